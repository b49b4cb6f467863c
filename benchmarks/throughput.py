"""Throughput, peak memory and content F1 of spamfilter against a fastText baseline.

    .venv/bin/python benchmarks/throughput.py [--paragraphs 1000000] [--model DIR] [--repeat 3] [--profile]

From the shared benchmark pages (``../shared/datasets/benchmarks/*.jsonl.gz``) it makes:
a held-out part (10% of the pages, by id hash) for content F1; a training part; and a
throughput input of at least ``--paragraphs`` paragraphs (pages repeated, new ids) written
as document JSONL (``{"id", "text"}``, paragraphs joined by blank lines). Then, on that
same input, it times spamfilter's ``Filter`` in this process, ``spamfilter filter`` with
``--jobs 1`` and ``--jobs 2`` and ``spamfilter predict`` end to end, and a fastText
supervised model (wordNgrams=2, trained on the training part) in this process and end to end.
Each end-to-end command runs ``--repeat`` times with nothing else of ours running and the
fastest counts; ``--jobs 1`` and ``--jobs 2`` alternate, and their speed-up is the median of
the pairs. The fixed cost of a run (``filter`` on one document) is printed beside it.
Peak RSS and PSS come from one more run per command, watched by psutil: the largest sums
over the process tree; PSS is the one to read for ``--jobs`` (RSS counts pages shared after
fork in every worker).
Without ``--model`` a spamfilter model is trained on the same training part.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import io
import json
import pstats
import re
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import psutil
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets" / "benchmarks"
BIN = Path(sys.executable).parent
HELD_OUT_PERCENT = 10
_NEWLINES = re.compile(r"\s*\n\s*")

# fastText end to end, two ways: one line of labels per document (the least a script can
# write), and the same rows as ``spamfilter predict`` (doc_id, index, text, label, score),
# read and written with orjson as spamfilter does: the like-for-like comparison.
FASTTEXT_LABELS_SCRIPT = r"""
import json, sys, fasttext
model = fasttext.load_model(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as src, open(sys.argv[3], "w", encoding="utf-8") as out:
    for line in src:
        record = json.loads(line)
        paragraphs = record["text"].split("\n\n")
        labels, _ = model.predict(paragraphs)
        out.write(json.dumps({"id": record["id"], "labels": [l[0][9:] for l in labels]}) + "\n")
"""
FASTTEXT_ROWS_SCRIPT = r"""
import sys, fasttext, orjson
model = fasttext.load_model(sys.argv[1])
with open(sys.argv[2], "rb") as src, open(sys.argv[3], "wb") as out:
    for line in src:
        record = orjson.loads(line)
        paragraphs = record["text"].split("\n\n")
        labels, probabilities = model.predict(paragraphs)
        rows = []
        for index, (text, label, p) in enumerate(zip(paragraphs, labels, probabilities)):
            content, p = label[0] == "__label__content", min(float(p[0]), 1.0)  # fastText may give 1.00001
            rows.append(orjson.dumps({"doc_id": record["id"], "index": index, "text": text,
                                      "label": "content" if content else "spam", "score": round(1 - p if content else p, 6)},
                                     option=orjson.OPT_APPEND_NEWLINE))
        out.writelines(rows)
"""


def load_pages() -> list[dict]:
    pages = []
    for path in sorted(DATASETS.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                paragraphs = [{"text": _NEWLINES.sub(" ", p["text"]).strip(), "label": p["label"]}
                              for p in record["paragraphs"]]
                record["paragraphs"] = [p for p in paragraphs if p["text"]]
                if record["paragraphs"]:
                    pages.append(record)
    return pages


def held_out(page: dict) -> bool:
    return zlib.crc32(page["id"].encode()) % 100 < HELD_OUT_PERCENT


def write_jsonl(path: Path, records) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def throughput_input(pages: list[dict], paragraphs: int) -> list[dict]:
    out, total, round_ = [], 0, 0
    while total < paragraphs:
        for page in pages:
            out.append({"id": f"{page['id']}#{round_}", "text": "\n\n".join(p["text"] for p in page["paragraphs"])})
            total += len(page["paragraphs"])
            if total >= paragraphs:
                break
        round_ += 1
    return out


def best_of(repeat: int, command: list[str]) -> tuple[float, tuple[float, float]]:
    """The fastest of ``repeat`` timed runs of ``command`` (timings on a shared machine only
    ever come out slower than the code is), and the peak memory of one more, watched run."""
    return min(run_timed(command) for _ in range(repeat)), run_measured(command)


def run_timed(command: list[str]) -> float:
    """Wall seconds of ``command``, with nothing else of ours running: polling memory costs
    CPU, which on a machine whose cores the command fills would be charged to it."""
    started = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{completed.stderr.decode()[-2000:]}")
    return seconds


def run_measured(command: list[str]) -> tuple[float, float]:
    """The peak summed RSS and PSS (MB) of the process tree of ``command``.

    RSS counts the pages that forked workers share with their parent once per process;
    PSS splits them between the processes, so its sum is the memory the tree really uses.
    """
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0]
    watched = psutil.Process(process.pid)
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            try:
                infos = [p.memory_full_info() for p in (watched, *watched.children(recursive=True))]
                peak[0] = max(peak[0], sum(i.rss for i in infos))
                peak[1] = max(peak[1], sum(i.pss for i in infos))
            except psutil.Error:
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    _, stderr = process.communicate()
    done.set()
    thread.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr.decode()[-2000:]}")
    return peak[0] / 1e6, peak[1] / 1e6


def row(name: str, paragraphs: int, megabytes: float, seconds: float, memory: tuple[float, float] | None,
        cores: int = 1) -> dict:
    return {"run": name, "paragraphs": paragraphs, "seconds": round(seconds, 2),
            "paragraphs_per_s": round(paragraphs / seconds), "per_core": round(paragraphs / seconds / cores),
            "mb_per_s": round(megabytes / seconds, 2),
            "peak_rss_mb": None if memory is None else round(memory[0]),
            "peak_pss_mb": None if memory is None else round(memory[1])}


def train_fasttext(train_pages: list[dict], workdir: Path):
    import fasttext

    path = workdir / "fasttext-train.txt"
    with open(path, "w", encoding="utf-8") as handle:
        for page in train_pages:
            for p in page["paragraphs"]:
                label = "content" if p["label"] == "content" else "spam"
                handle.write(f"__label__{label} {p['text']}\n")
    model = fasttext.train_supervised(input=str(path), wordNgrams=2, epoch=5, thread=2, verbose=0, seed=0)
    model.save_model(str(workdir / "fasttext.bin"))
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--paragraphs", type=int, default=1_000_000, help="Paragraphs in the throughput input.")
    parser.add_argument("--model", type=Path, help="spamfilter model (default: train one on the training part).")
    parser.add_argument("--train-paragraphs", type=int, default=150_000,
                        help="Cap on training paragraphs for the models trained here.")
    parser.add_argument("--profile", action="store_true", help="Print the top cProfile hot spots of Filter.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each end-to-end command; the fastest counts.")
    args = parser.parse_args()

    import fasttext  # noqa: F401  (fail early without the bench extra)

    import spamfilter
    from spamfilter.tables import read_corpus

    workdir = Path(tempfile.mkdtemp(prefix="spamfilter-bench-"))
    pages = load_pages()
    test_pages = [p for p in pages if held_out(p)]
    train_pages, count = [], 0
    for page in (p for p in pages if not held_out(p)):
        if count >= args.train_paragraphs:
            break
        train_pages.append(page)
        count += len(page["paragraphs"])
    print(f"{len(pages):,} pages; training on {count:,} paragraphs, "
          f"held out {sum(len(p['paragraphs']) for p in test_pages):,}; work dir {workdir}", file=sys.stderr)

    model_dir = args.model
    if model_dir is None:
        write_jsonl(workdir / "train.jsonl", train_pages)
        model_dir = workdir / "model"
        started = time.perf_counter()
        subprocess.run([str(BIN / "spamfilter"), "train", str(workdir / "train.jsonl"), "-o", str(model_dir)],
                       check=True, stdout=subprocess.DEVNULL)
        print(f"trained spamfilter in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    started = time.perf_counter()
    ft_model = train_fasttext(train_pages, workdir)
    print(f"trained fastText in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    records = throughput_input(pages, args.paragraphs)
    source = workdir / "input.jsonl"
    write_jsonl(source, records)
    small = workdir / "input-quarter.jsonl"
    write_jsonl(small, records[: len(records) // 4])
    n_paragraphs = sum(r["text"].count("\n\n") + 1 for r in records)
    n_small = sum(r["text"].count("\n\n") + 1 for r in records[: len(records) // 4])
    megabytes = source.stat().st_size / 1e6
    rows = []

    flt = spamfilter.Filter(model_dir)
    flt.model  # noqa: B018
    started = time.perf_counter()
    for _ in flt.filter_documents(records):
        pass
    rows.append(row("Filter.filter_documents, in process", n_paragraphs, megabytes, time.perf_counter() - started, None))
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in flt.filter_documents(records[: len(records) // 4]):
            pass
        profiler.disable()
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
        print(text.getvalue(), file=sys.stderr)

    cli = [str(BIN / "spamfilter")]
    def filter_command(jobs: int) -> list[str]:
        return cli + ["filter", str(source), "-m", str(model_dir), "-o", str(workdir / "clean.jsonl"),
                      "--removed", str(workdir / "removed.jsonl"), "--jobs", str(jobs)]

    # --jobs 1 and --jobs 2 alternate, so that a slower spell of a shared machine hits both.
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.repeat):
        for jobs in times:
            times[jobs].append(run_timed(filter_command(jobs)))
    for jobs, seconds in times.items():
        rows.append(row(f"spamfilter filter --jobs {jobs}", n_paragraphs, megabytes, min(seconds),
                        run_measured(filter_command(jobs)), jobs))
    speedup = float(np.median([one / two for one, two in zip(times[1], times[2])]))
    one = workdir / "input-one.jsonl"
    write_jsonl(one, records[:1])
    fixed = {jobs: min(run_timed(cli + ["filter", str(one), "-m", str(model_dir), "-o", str(workdir / "clean-1.jsonl"),
                                        "--jobs", str(jobs)]) for _ in range(args.repeat)) for jobs in (1, 2)}
    seconds, memory = best_of(args.repeat, cli + ["filter", str(small), "-m", str(model_dir), "-o", str(workdir / "clean-q.jsonl")])
    rows.append(row("spamfilter filter --jobs 1, 1/4 input", n_small, megabytes / 4, seconds, memory))
    seconds, memory = best_of(args.repeat, cli + ["predict", str(source), "-m", str(model_dir), "-o", str(workdir / "pred.jsonl")])
    rows.append(row("spamfilter predict", n_paragraphs, megabytes, seconds, memory))

    texts = [p for r in records for p in r["text"].split("\n\n")]
    started = time.perf_counter()
    ft_model.predict(texts)
    rows.append(row("fastText predict, in process", n_paragraphs, megabytes, time.perf_counter() - started, None))
    for name, text in (("labels per document", FASTTEXT_LABELS_SCRIPT), ("rows as predict", FASTTEXT_ROWS_SCRIPT)):
        script = workdir / f"fasttext_{name.split()[0]}.py"
        script.write_text(text)
        seconds, memory = best_of(args.repeat, [sys.executable, str(script), str(workdir / "fasttext.bin"), str(source),
                                                str(workdir / "ft.jsonl")])
        rows.append(row(f"fastText end to end, {name}", n_paragraphs, megabytes, seconds, memory))

    write_jsonl(workdir / "test.jsonl", test_pages)
    test = read_corpus([str(workdir / "test.jsonl")])
    labeled = test["label"].notna().to_numpy()
    sf_pred = spamfilter.load_model(model_dir).predict(test)
    ft_labels, _ = ft_model.predict(test["text"].tolist())
    ft_pred = np.array([l[0][9:] for l in ft_labels], dtype=object)
    truth = test["label"].to_numpy()[labeled]
    f1 = {"spamfilter": f1_score(truth, sf_pred[labeled], pos_label="content"),
          "fastText": f1_score(truth, ft_pred[labeled], pos_label="content")}

    print(f"\ninput: {len(records):,} documents, {n_paragraphs:,} paragraphs, {megabytes:.1f} MB; "
          f"model {model_dir}; {psutil.cpu_count()} cores")
    header = (f"{'run':42}{'paragraphs/s':>14}{'per core':>10}{'MB/s':>8}{'peak RSS MB':>13}"
              f"{'peak PSS MB':>13}{'seconds':>9}")
    print(header)
    for r in rows:
        rss = "-" if r["peak_rss_mb"] is None else str(r["peak_rss_mb"])
        pss = "-" if r["peak_pss_mb"] is None else str(r["peak_pss_mb"])
        print(f"{r['run']:42}{r['paragraphs_per_s']:>14,}{r['per_core']:>10,}{r['mb_per_s']:>8}{rss:>13}"
              f"{pss:>13}{r['seconds']:>9}")
    print(f"\n--jobs 2 / --jobs 1 speed-up (median of {args.repeat} alternating pairs): {speedup:.2f}x; fixed cost of a run (one document): "
          f"{fixed[1]:.2f} s with --jobs 1, {fixed[2]:.2f} s with --jobs 2")
    print(f"content F1 on {int(labeled.sum()):,} held-out paragraphs: spamfilter {f1['spamfilter']:.3f}, "
          f"fastText {f1['fastText']:.3f}")
    (workdir / "results.json").write_text(json.dumps({"rows": rows, "f1": f1, "speedup_jobs2": speedup, "fixed_seconds": fixed}, indent=2))


if __name__ == "__main__":
    main()
