"""Codebook size: `topicbook run` on 64 planted segments with 1,000, 3,000 and 10,000 codes.

The corpus is the tests' planted one (tests/conftest.py `write_planted_corpus`: 8 interviews of
8 turns, 64 segments, four themes); the codebook is generated deterministically by
`write_many_codes` (one group per 50 codes; every leaf with a unique name, a definition of
planted words, 2-4 keywords of one theme, a third of them with an invented keyword, an
example and an `exclude` term). The planted codebook itself (4 codes) runs first as the
baseline: what a run costs before any per-code work.

Each size runs `topicbook run --jobs J` in a subprocess under `/usr/bin/time -v` (peak RSS),
BLAS threads pinned to 1; stage wall seconds come from the run's manifest, CPU seconds (user +
system) of the whole process from `time`, and CPU seconds per stage from the child itself
(`CHILD`: the CLI with every `Timer.stage` and the writing timed by `time.process_time`; the
run and its outputs are those of `topicbook run`). On this shared machine a run often gets a
third of a core: CPU seconds are what it costs when nothing else runs. J is 1 by default: the
per-code work runs in one process whatever J is, and on a shared 2-core machine the second
process of the stability re-fits mostly measures the other sessions. Per stage the benchmark
reports seconds, seconds per 1,000 codes above the baseline, and the linearity ratio: the
per-code cost at the largest size over that at the smallest (1.0 for linear work, the ratio of
the sizes, 10, for quadratic work).

    .venv/bin/python benchmarks/bench_codes.py [--sizes 1000,3000,10000] [--jobs 1]

Writes benchmarks/results/codes.json. Targets (issue 17): 10,000 codes in under 60 s and 1 GB.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
TARGET_SECONDS = 60.0
TARGET_RSS_MB = 1024.0
BASELINE = 4  # the planted codebook's codes
log = logging.getLogger("bench_codes")


# `topicbook run` with CPU seconds per stage (time.process_time of this process, the main one:
# worker processes are not counted) written as JSON to the file named by argv[1]; nested stages
# (explorer and figures inside the writing) are counted in both, as the manifest's wall seconds are.
CHILD = r"""
import json, sys, time
from contextlib import contextmanager
from topicbook import pipeline, results
from topicbook.cli import main

cpu = {}
stage = results.Timer.stage


@contextmanager
def timed(name):
    start = time.process_time()
    try:
        yield
    finally:
        cpu[name] = cpu.get(name, 0.0) + time.process_time() - start


def timed_stage(self, name):
    with timed(name), stage(self, name):
        yield


def timed_write(*args, _write=pipeline.write_run, **kwargs):
    with timed("write"):
        return _write(*args, **kwargs)


results.Timer.stage = contextmanager(timed_stage)
pipeline.write_run = timed_write
try:
    main(sys.argv[2:], prog_name="topicbook")
finally:
    cpu["process"] = time.process_time()
    with open(sys.argv[1], "w", encoding="utf-8") as handle:
        json.dump({k: round(v, 3) for k, v in cpu.items()}, handle)
"""


def project(root: Path, n_codes: int) -> Path:
    """The planted corpus with a generated codebook of `n_codes` (the planted one for BASELINE)."""
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import write_many_codes, write_planted_corpus

    config = write_planted_corpus(root)
    if n_codes != BASELINE:
        write_many_codes(root / "codebook.yaml", n_codes)
    return config


def stage_groups(stages: dict[str, float], wall: float) -> dict[str, float]:
    """The manifest's stages grouped as the table shows them (seconds)."""
    def total(prefix: str) -> float:
        return sum(v for k, v in stages.items() if k.startswith(prefix))

    groups = {"read": stages.get("read", 0.0), "codebook": stages.get("codebook", 0.0),
              "fit + stability": total("fit:") + stages.get("stability", 0.0),
              "align": total("align:"), "agreement": stages.get("agreement", 0.0),
              "verdicts": stages.get("verdicts", 0.0),
              "explorer": stages.get("explorer", 0.0), "figures": stages.get("figures", 0.0)}
    groups["other writing"] = stages.get("write", 0.0) - groups["explorer"] - groups["figures"]
    groups["rest"] = wall - sum(groups.values())  # interpreter start, imports, summaries, evaluation, waiting for a core
    return {k: round(v, 2) for k, v in groups.items()}


def run_once(root: Path, n_codes: int, jobs: int) -> dict:
    """One `topicbook run` on a fresh project; seconds, peak RSS, stages and output sizes."""
    config = project(root, n_codes)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    load = os.getloadavg()
    cpu_file = root / "cpu_seconds.json"
    started = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v", str(REPO / ".venv" / "bin" / "python"), "-c", CHILD, str(cpu_file),
                           "-q", "run", str(config), "--out", str(root / "runs"), "--jobs", str(jobs)],
                          capture_output=True, text=True, check=False, env=env)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"topicbook run failed for {n_codes} codes: {proc.stderr[-2000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", proc.stderr).group(1)) for kind in ("User", "System"))
    folder = next(p for p in (root / "runs").iterdir() if p.is_dir() and not p.name.startswith("."))
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()}
    stage_cpu = json.loads(cpu_file.read_text(encoding="utf-8"))
    return {"codes": n_codes, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(rss_kb / 1024, 1),
            "stages": manifest["timings_seconds"], "groups": stage_groups(manifest["timings_seconds"], seconds),
            "stage_cpu_seconds": stage_cpu, "cpu_groups": stage_groups(stage_cpu, cpu),
            "page_bytes": files.get("explorer.html", 0), "explorer_data_bytes": files.get("explorer_data.json", 0),
            "folder_bytes": sum(files.values()), "figures": sum(1 for f in files if f.startswith("figures/")),
            "load_before": [round(v, 2) for v in load], "load_after": [round(v, 2) for v in os.getloadavg()]}


def linearity(rows: list[dict], base: dict) -> dict[str, dict[str, float | None]]:
    """Per stage group (and wall time, page bytes, peak RSS): cost per 1,000 codes above the
    baseline at each size, and the ratio of that cost at the largest size to that at the smallest
    (None when the smallest is not above the baseline: no per-code cost to compare)."""
    out: dict[str, dict[str, float | None]] = {}
    keys = [*rows[0]["groups"], "wall", "cpu_seconds", "page_bytes", "peak_rss_mb"]

    def value(r: dict, key: str) -> float:
        return r["seconds"] if key == "wall" else r["groups"][key] if key in r["groups"] else r[key]

    for key in keys:
        per = [(value(r, key) - value(base, key)) / ((r["codes"] - base["codes"]) / 1000) for r in rows]
        first, last = per[0], per[-1]
        out[key] = {"per_1000_codes": [round(p, 3) for p in per],
                    "ratio_largest_to_smallest": round(last / first, 2) if first > 0 else None}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000,10000")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="topicbook-codes-") as tmp:
        for n in [BASELINE, *sizes]:
            row = run_once(Path(tmp) / f"codes-{n}", n, args.jobs)
            log.info("%d codes: %.1f s (CPU %.1f s, load %.1f), peak RSS %.0f MB, page %.1f MB, %d figure files; wall %s; CPU %s",
                     n, row["seconds"], row["cpu_seconds"], row["load_before"][0], row["peak_rss_mb"],
                     row["page_bytes"] / 2**20, row["figures"], row["groups"], row["cpu_groups"])
            rows.append(row)
    base, sized = rows[0], rows[1:]
    largest = sized[-1]
    x = np.log([r["codes"] for r in sized])
    above = [max(r["seconds"] - base["seconds"], 1e-3) for r in sized]
    slope = float(np.polyfit(x, np.log(above), 1)[0]) if len(sized) >= 2 else None
    result = {
        "command": "benchmarks/bench_codes.py " + " ".join(sys.argv[1:]),
        "jobs": args.jobs, "segments": 64, "baseline": base, "rows": sized,
        "linearity": linearity(sized, base),
        "growth_exponent_seconds_above_baseline_vs_codes": None if slope is None else round(slope, 3),
        "target": {"codes": 10_000, "seconds": TARGET_SECONDS, "peak_rss_mb": TARGET_RSS_MB},
        "target_met": (largest["codes"] >= 10_000 and largest["seconds"] < TARGET_SECONDS
                       and largest["peak_rss_mb"] < TARGET_RSS_MB),
        # the wall target on an idle machine: CPU seconds are what the run costs when nothing else runs
        "target_met_in_cpu_seconds": (largest["codes"] >= 10_000 and largest["cpu_seconds"] < TARGET_SECONDS
                                      and largest["peak_rss_mb"] < TARGET_RSS_MB),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "codes.json").write_text(json.dumps(result, indent=2) + "\n")
    log.info("linearity (per-code cost, largest / smallest size): %s",
             {k: v["ratio_largest_to_smallest"] for k, v in result["linearity"].items()})
    log.info("growth exponent above the baseline: %s; target met: %s", result["growth_exponent_seconds_above_baseline_vs_codes"],
             result["target_met"])


if __name__ == "__main__":
    main()
