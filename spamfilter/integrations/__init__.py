"""Adapters that run :class:`spamfilter.Filter` inside data-processing frameworks.

- :mod:`.pandas`: batch functions over pandas objects (what the others call per partition);
- :mod:`.dask`: ``clean_dataframe`` for Dask DataFrames (extra ``spamfilter[dask]``);
- :mod:`.spark`: ``clean_dataframe`` for Spark DataFrames (extra ``spamfilter[spark]``);
- :mod:`.datatrove`: ``SpamfilterParagraphFilter`` pipeline step (extra ``spamfilter[datatrove]``).

Submodules are imported on demand, so a missing optional library only matters for the
integration that needs it; its ImportError names the extra to install.
"""


def missing_extra(library: str, extra: str, error: ImportError) -> ImportError:
    """The ImportError raised when an integration's optional library is not installed."""
    return ImportError(f"spamfilter.integrations.{extra} needs {library}, which is not installed: "
                       f"pip install 'spamfilter[{extra}]' ({error})")
