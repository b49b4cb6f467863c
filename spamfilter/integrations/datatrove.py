"""A datatrove pipeline step that removes spam paragraphs from each document.

Paragraph mode: ``document.text`` is rewritten without its spam paragraphs; the removed
ones (index, text, score, separators) are kept in ``document.metadata["spamfilter_removed"]``
so the original can be restored, and the counts go to ``metadata["spamfilter"]`` and to
datatrove's stats (``total``, ``forwarded``, ``dropped``, ``paragraphs``,
``paragraphs_kept``, ``paragraphs_removed``).

It is a :class:`~datatrove.pipeline.base.PipelineStep` rather than a ``BaseFilter``:
it rewrites documents instead of only dropping them, and importing datatrove's filter
package pulls optional libraries (``regex``...) this step does not need.
"""

from __future__ import annotations

from pathlib import Path

from . import missing_extra
from ..filtering import Filter
from ..model import SpamClassifier
from ..paragraphs import SplitMode

try:
    from datatrove.data import Document, DocumentsPipeline
    from datatrove.pipeline.base import PipelineStep
    from datatrove.utils.typeshelper import StatHints
except ImportError as error:  # pragma: no cover - depends on the environment
    raise missing_extra("datatrove", "datatrove", error) from error

REMOVED_KEY = "spamfilter_removed"


class SpamfilterParagraphFilter(PipelineStep):
    """Rewrite ``document.text`` without spam paragraphs. A document is dropped only when
    ``drop_empty`` and nothing is left (stat ``dropped_empty``). Scores ``batch_size``
    documents per model call; the step pickles as the model path and loads the model once
    per worker."""

    name = "🧹 spamfilter paragraphs"
    type = "🔻 - FILTER"

    def __init__(self, model: SpamClassifier | str | Path | None = None, threshold: float | None = None,
                 split: SplitMode = "blank", drop_empty: bool = False, batch_size: int = 512):
        super().__init__()
        self.spamfilter = Filter(model, threshold, split)
        self.drop_empty = drop_empty
        self.batch_size = batch_size

    def clean_batch(self, batch: list[Document]) -> list[bool]:
        """Rewrite each document of ``batch`` in place; True for those to keep."""
        flt = self.spamfilter
        keep = []
        for doc, cleaned in zip(batch, flt.clean_texts([doc.text for doc in batch])):
            doc.text = cleaned.text
            doc.metadata["spamfilter"] = cleaned.metadata(flt.model_name, flt.split_mode)
            doc.metadata[REMOVED_KEY] = [r.record(str(doc.id)) for r in cleaned.removed]
            self.stat_update("paragraphs", value=cleaned.paragraphs)
            self.stat_update("paragraphs_kept", value=cleaned.kept)
            self.stat_update("paragraphs_removed", value=len(cleaned.removed))
            keep.append(not (self.drop_empty and cleaned.empty))
        return keep

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        batch: list[Document] = []
        for doc in data or ():
            batch.append(doc)
            if len(batch) >= self.batch_size:
                yield from self._flush(batch)
                batch = []
        if batch:
            yield from self._flush(batch)

    def _flush(self, batch: list[Document]) -> DocumentsPipeline:
        with self.track_time("batch"):
            keep = self.clean_batch(batch)
        for doc, kept in zip(batch, keep):
            self.stat_update(StatHints.total)
            if kept:
                self.stat_update(StatHints.forwarded)
                self.update_doc_stats(doc)
                yield doc
            else:
                self.stat_update(StatHints.dropped, "dropped_empty")
