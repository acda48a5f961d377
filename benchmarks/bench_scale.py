"""Scale: `topicbook run` on table corpora of 10^4, 10^5 and 10^6 short texts.

The corpus is synthetic in its mix, real in its texts: rows are drawn **with replacement**
(numpy seed 0) from two pools, the non-empty NHS patient-experience comments (the `FFT answer`
column of ../shared/corpora/nhs-patient-experience/original/pxtextmining/datasets/
v6framework_230831.csv) and the sentences of the SOTU paragraphs (../shared/corpora/sotu/
sotu_paragraphs.csv.gz, split after . ! ? followed by a space and an upper-case letter;
sentences of at least 4 words), half from each. Every row gets a unique id, so repeated
texts are separate documents. The CSV is written to a temporary folder and deleted afterwards.

Each size runs `topicbook run` in a subprocess under `/usr/bin/time -v` (peak RSS of the
process tree's largest process: with --jobs 1 there are no workers) with a config suited to
scale: one LDA (K=20, 1 pass, 50 iterations, chunks of 2000) and one NMF (K=20, 100
iterations), stability_seeds 0, coherence u_mass only, 3 quotes per topic, the explorer on
(it caps what it embeds), no cache. Stage seconds come from the run's manifest.

    .venv/bin/python benchmarks/bench_scale.py [--sizes 10000,100000,1000000] [--repeats 1]

Writes benchmarks/results/scale.json. The growth exponent is the least-squares slope of
log(seconds) against log(tokens) over the sizes run.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
NHS = CORPORA / "nhs-patient-experience" / "original" / "pxtextmining" / "datasets" / "v6framework_230831.csv"
SOTU = CORPORA / "sotu" / "sotu_paragraphs.csv.gz"
RESULTS = REPO / "benchmarks" / "results"
MEMORY_LIMIT_MB = 4096
log = logging.getLogger("bench_scale")

CONFIG = """name: scale-{n}
seed: 42
corpus:
  path: {csv}
  id_column: id
  text_column: text
  language: en
segment:
  unit: turn
  min_tokens: 1
preprocess:
  min_df: 5
  max_df: 0.5
models:
  - type: lda
    n_topics: 20
    passes: 1
    iterations: 50
    chunksize: 2000
  - type: nmf
    n_topics: 20
    max_iter: 100
evaluate:
  coherence: [u_mass]
  stability_seeds: 0
report:
  quotes_per_topic: 3
  explorer: true
cache:
  enabled: false
"""


def pools() -> tuple[list[str], list[str]]:
    """(NHS comments, SOTU sentences), the two pools rows are drawn from."""
    import pandas as pd

    nhs = pd.read_csv(NHS, dtype=str, keep_default_na=False, usecols=["FFT answer"])["FFT answer"]
    comments = [t.strip() for t in nhs.tolist() if t.strip()]
    paragraphs = pd.read_csv(SOTU, usecols=["text"])["text"].fillna("").astype(str).tolist()
    splitter = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
    sentences = [s.strip() for p in paragraphs for s in splitter.split(p) if len(s.split()) >= 4]
    return comments, sentences


def write_corpus(path: Path, n: int, comments: list[str], sentences: list[str], seed: int = 0) -> None:
    """A CSV of `n` rows (id, source, text), half NHS comments and half SOTU sentences, drawn
    with replacement; written in chunks of 100,000 rows."""
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "source", "text"])
        for start in range(0, n, 100_000):
            size = min(100_000, n - start)
            from_nhs = rng.random(size) < 0.5
            nhs_idx = rng.integers(0, len(comments), size)
            sotu_idx = rng.integers(0, len(sentences), size)
            writer.writerows(
                (f"r{start + i:07d}", "nhs" if from_nhs[i] else "sotu",
                 comments[nhs_idx[i]] if from_nhs[i] else sentences[sotu_idx[i]])
                for i in range(size))


def run_once(n: int, folder: Path, jobs: int) -> dict:
    """One `topicbook run` on the n-row corpus in `folder`; seconds, peak RSS, stage seconds."""
    cfg = folder / f"scale-{n}.yaml"
    out = folder / "runs"
    started = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", str(REPO / ".venv" / "bin" / "topicbook"), "-q", "run", str(cfg), "--out", str(out),
         "--jobs", str(jobs)],
        capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"topicbook run failed for n={n}: {proc.stderr[-2000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    folder_line = next(line for line in proc.stdout.splitlines() if line.startswith("Run folder:"))
    run_folder = Path(folder_line.split(":", 1)[1].strip())
    manifest = json.loads((run_folder / "manifest.json").read_text())
    stages = manifest.get("timings_seconds", {})
    report = json.loads((run_folder / "preprocess_report.json").read_text()) if (run_folder / "preprocess_report.json").exists() else {}
    sizes = {p.name: p.stat().st_size for p in run_folder.iterdir() if p.is_file()}
    import shutil

    shutil.rmtree(out)
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(rss_kb / 1024, 1), "stages": stages,
            "tokens": (report.get("tokens_after_step") or {}).get("tokenized"),
            "modelled_tokens": (report.get("tokens_after_step") or {}).get("pruned"),
            "vocabulary": report.get("vocabulary_size"), "segments_modelled": report.get("segments_modelled"),
            "output_bytes": sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sizes = [int(s) for s in args.sizes.split(",")]
    comments, sentences = pools()
    log.info("pools: %d NHS comments, %d SOTU sentences", len(comments), len(sentences))
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="topicbook-scale-") as tmp:
        folder = Path(tmp)
        for n in sizes:
            csv_path = folder / f"scale-{n}.csv"
            write_corpus(csv_path, n, comments, sentences)
            (folder / f"scale-{n}.yaml").write_text(CONFIG.format(n=n, csv=csv_path))
            runs = [run_once(n, folder, args.jobs) for _ in range(args.repeats)]
            secs = [r["seconds"] for r in runs]
            row = {**runs[-1], "texts": n, "csv_mb": round(csv_path.stat().st_size / 2**20, 1),
                   "seconds": statistics.median(secs), "seconds_runs": secs,
                   "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}
            rows.append(row)
            log.info("n=%d: %.1f s, peak RSS %.0f MB, %s tokens; stages %s", n, row["seconds"], row["peak_rss_mb"],
                     row["tokens"], row["stages"])
            csv_path.unlink()
    slope = None
    if len(rows) >= 2:
        x = np.log([r["tokens"] for r in rows])
        y = np.log([r["seconds"] for r in rows])
        slope = float(np.polyfit(x, y, 1)[0])
    result = {
        "command": "benchmarks/bench_scale.py " + " ".join(sys.argv[1:]),
        "pools": {"nhs_comments": len(comments), "sotu_sentences": len(sentences)},
        "config": CONFIG.format(n="N", csv="<temp>/scale-N.csv"),
        "jobs": args.jobs,
        "rows": rows,
        "growth_exponent_seconds_vs_tokens": None if slope is None else round(slope, 3),
        "memory_limit_mb": MEMORY_LIMIT_MB,
        "under_limit": all(r["peak_rss_mb"] < MEMORY_LIMIT_MB for r in rows),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(result, indent=2) + "\n")
    log.info("growth exponent (seconds vs tokens): %s", result["growth_exponent_seconds_vs_tokens"])


if __name__ == "__main__":
    main()
