"""Preprocessing throughput on the SOTU paragraphs, against a plain-nltk loop in the same run.

Corpus: ../shared/corpora/sotu/sotu_paragraphs.csv.gz (23,606 paragraphs, about 2M words).
Variants, each run in a fresh subprocess (so that its peak RSS is its own), alternating, and
repeated --repeats times (median reported):

- ``topicbook_1job``: Preprocessor.fit_transform with the default config (NFKC + lowercase,
  nltk RegexpTokenizer, fillers, stopwords, simplemma lemmas, gensim Phrases npmi), 1 process;
- ``topicbook_2jobs``: the same with jobs=2 (tokenising and lemmatising in 2 processes; phrases
  in the parent; output identical, checked here);
- ``nltk_treebank``: the plain loop ``[w for w in TreebankWordTokenizer().tokenize(t.lower())
  if w not in stop]`` with the same English stopword set.

Throughput is tokens per second, where tokens are what each tokenizer produced (topicbook:
the ``tokenized`` count of its report). Peak RSS is the subprocess's maximum resident set
(for jobs=2 also the largest worker), and ``rss_before_mb`` what the loaded texts alone take.
The machine's load average before and after is recorded: other processes on a shared machine
slow every variant, so compare variants within one run, not across runs.

    .venv/bin/python benchmarks/bench_preprocess.py [--repeats 3] [--rows N]

Writes benchmarks/results/preprocess.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOTU = REPO.parent / "shared" / "corpora" / "sotu" / "sotu_paragraphs.csv.gz"
RESULTS = REPO / "benchmarks" / "results"
VARIANTS = ("topicbook_1job", "topicbook_2jobs", "nltk_treebank")
TARGET_TOKENS_PER_S = 300_000


def load_texts(rows: int | None) -> list[str]:
    import pandas as pd

    frame = pd.read_csv(SOTU, usecols=["text"])
    texts = frame["text"].fillna("").astype(str).tolist()
    return texts[:rows] if rows else texts


def worker(variant: str, rows: int | None) -> dict:
    """One timed run of `variant` in this process; returns seconds, tokens and memory."""
    texts = load_texts(rows)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result: dict = {"variant": variant}
    if variant.startswith("topicbook"):
        from topicbook.config import PreprocessConfig
        from topicbook.preprocess import Preprocessor

        pre = Preprocessor(PreprocessConfig(), language="en")
        jobs = 2 if variant == "topicbook_2jobs" else 1
        start = time.perf_counter()
        docs = pre.fit_transform(texts, jobs=jobs)
        result["seconds"] = time.perf_counter() - start
        result["tokens"] = pre.report.steps["tokenized"]
        result["steps"] = pre.report.steps
        result["phrases_learned"] = pre.report.n_phrases
        result["output_sha256"] = hashlib.sha256(json.dumps(docs).encode()).hexdigest()
    else:
        from nltk.tokenize import TreebankWordTokenizer

        from topicbook.preprocess import stopword_set

        stop = stopword_set("en")
        tokenizer = TreebankWordTokenizer()
        start = time.perf_counter()
        tokens = 0
        out = []
        for text in texts:
            words = tokenizer.tokenize(text.lower())
            tokens += len(words)
            out.append([w for w in words if w not in stop])
        result["seconds"] = time.perf_counter() - start
        result["tokens"] = tokens
    result["rss_before_mb"] = round(rss_before, 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["peak_rss_children_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return result


def run_variant(variant: str, rows: int | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", variant] + (["--rows", str(rows)] if rows else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=None, help="only the first N paragraphs (quick check)")
    parser.add_argument("--worker", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.rows)))
        return

    load_before = [round(x, 2) for x in os.getloadavg()]
    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for repeat in range(args.repeats):
        for variant in VARIANTS:
            run = run_variant(variant, args.rows)
            runs[variant].append(run)
            print(f"[{repeat + 1}/{args.repeats}] {variant}: {run['seconds']:.2f} s, "
                  f"{run['tokens'] / run['seconds']:,.0f} tokens/s, peak RSS {run['peak_rss_mb']:.0f} MB", flush=True)

    summary: dict[str, dict] = {}
    for variant, rs in runs.items():
        seconds = statistics.median(r["seconds"] for r in rs)
        summary[variant] = {
            "median_seconds": round(seconds, 3),
            "all_seconds": [round(r["seconds"], 3) for r in rs],
            "tokens": rs[0]["tokens"],
            "tokens_per_second": round(rs[0]["tokens"] / seconds),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
            "rss_before_mb": rs[0]["rss_before_mb"],
        }
        if variant == "topicbook_2jobs":
            summary[variant]["peak_rss_largest_worker_mb"] = max(r["peak_rss_children_mb"] for r in rs)
        if "steps" in rs[0]:
            summary[variant]["steps"] = rs[0]["steps"]
            summary[variant]["phrases_learned"] = rs[0]["phrases_learned"]
    hashes = {r["output_sha256"] for v in ("topicbook_1job", "topicbook_2jobs") for r in runs[v]}
    one = summary["topicbook_1job"]["tokens_per_second"]
    result = {
        "benchmark": "preprocess",
        "corpus": f"{SOTU.name} ({summary['topicbook_1job']['tokens']:,} tokens"
                  + (f", first {args.rows} rows)" if args.rows else ", all rows)"),
        "config": "PreprocessConfig() defaults: lemmatize=lemma (simplemma), stopwords, filler_words, phrases (gensim npmi, threshold 0.5)",
        "repeats": args.repeats,
        "variants": summary,
        "ratio_1job_vs_nltk_treebank": round(one / summary["nltk_treebank"]["tokens_per_second"], 2),
        "speedup_2jobs_vs_1job": round(summary["topicbook_2jobs"]["tokens_per_second"] / one, 2),
        "jobs_output_identical": len(hashes) == 1,
        "target_tokens_per_second_per_core": TARGET_TOKENS_PER_S,
        "target_met": one >= TARGET_TOKENS_PER_S,
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": _cpus(),
                    "load_average_1_5_15min_before": load_before,
                    "load_average_1_5_15min_after": [round(x, 2) for x in os.getloadavg()]},
        "versions": {p: version(p) for p in ("nltk", "simplemma", "gensim", "scikit-learn", "numpy")},
        "command": "python benchmarks/bench_preprocess.py" + (f" --rows {args.rows}" if args.rows else "") + f" --repeats {args.repeats}",
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "preprocess.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("ratio_1job_vs_nltk_treebank", "speedup_2jobs_vs_1job", "jobs_output_identical", "target_met")}))
    print(f"1 job: {one:,} tokens/s; wrote {RESULTS / 'preprocess.json'}")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    main()
