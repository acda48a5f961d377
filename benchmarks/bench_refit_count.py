"""What two stability re-fits instead of three change: the figures, the verdicts' marks, the time.

Per corpus, the run's models are fitted once, then their three stability re-fits (seeds
seed+1..seed+3, each on a random 90% of the segments: the cells of a run). A run with two
re-fits fits exactly the first two of them (same seeds, same rows), so its figures are computed
here from that subset, and compared with those of all three:

- the stability a run reports (topicbook.evaluate.stability): per topic the mean matched
  cosine (`per_topic`, its mean `mean`) and the share of re-fits in which the topic reappears
  (`reappear`, top-10 Jaccard >= 0.9); a topic "reappears" when it does so in at least half;
- where the corpus has a codebook, the structure verdict's stability of each topic-code match
  (the share of re-fits in which it holds) and its `unstable` mark (holds in fewer than half),
  and every status.

Corpora: the demo (configs/demo.yaml, 229 segments, its codebook); the NHS run of bench_run.py
(10,000 comments, 8,912 segments, LDA and NMF K=20), with the NHS v7 framework codebook of
bench_recovery.py for the verdicts; a 6,000-paragraph sample of the SOTU corpus (numpy seed 0,
without replacement; same settings as the NHS run; no codebook).

Time: every fit and re-fit runs in this process with one BLAS thread (as in a run's workers),
timed in CPU seconds (a loaded machine stretches wall seconds far more); `pool` gives each
model's fit and mean re-fit CPU seconds and what they make on a run's two forked workers (the
fits first, then the re-fits, each to the first free worker) with 3 and with 2 re-fits.

With --runs N, N whole NHS runs of bench_run.py (`topicbook run --jobs 2`) with 3 and with 2
re-fits, alternating: what a run actually saves (the fits are indivisible: on two workers the
re-fits only finish earlier when a whole fit drops off the longest worker).

Usage:  OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_refit_count.py [--only demo,nhs,sotu] [--runs 1]
Writes: benchmarks/results/refit_count.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
RESULTS = ROOT / "benchmarks" / "results"
SOTU = ROOT.parent / "shared" / "corpora" / "sotu" / "sotu_paragraphs.csv.gz"
SOTU_ROWS = 6_000
N_SEEDS = 3
T = TypeVar("T")
log = logging.getLogger("bench_refit_count")


def sotu_config(folder: Path) -> Path:
    """A table of SOTU_ROWS SOTU paragraphs and a config like bench_run's NHS one, in `folder`."""
    import bench_run
    import pandas as pd

    raw = pd.read_csv(SOTU)
    rows = np.sort(np.random.default_rng(0).choice(len(raw), size=SOTU_ROWS, replace=False))
    pd.DataFrame({"id": [f"p{i:05d}" for i in rows], "text": raw["text"].to_numpy()[rows]}).to_csv(folder / "sotu.csv", index=False)
    (folder / "sotu.yaml").write_text(bench_run.NHS_CONFIG.replace("nhs", "sotu"), encoding="utf-8")
    return folder / "sotu.yaml"


def cpu_timed(work: Callable[[], T]) -> tuple[T, float]:
    """work() and the CPU seconds this process spent on it (one BLAS thread: the fit's own work,
    which a loaded machine stretches less than its wall time)."""
    start = time.process_time()
    result = work()
    return result, time.process_time() - start


def makespan(seconds: list[float], workers: int = 2) -> float:
    """Wall seconds of tasks of these durations, in this order, each to the first free worker
    (a run's pool: the model fits, then the re-fits)."""
    free = [0.0] * workers
    for s in seconds:
        free[free.index(min(free))] += s
    return max(free)


def schedule(fit: dict[str, float], refit: dict[str, float]) -> dict[str, Any]:
    """Each model's fit and mean re-fit CPU seconds and what they make on a run's two workers
    (the fits in config order, then the re-fits), with 3 and with 2 re-fits per model."""
    out: dict[str, Any] = {"fit_cpu_seconds": {k: round(v, 2) for k, v in fit.items()},
                           "refit_cpu_seconds_mean": {k: round(v, 2) for k, v in refit.items()},
                           "refit_over_fit": {k: round(refit[k] / fit[k], 3) for k in fit}}
    for n in (N_SEEDS, 2):
        tasks = list(fit.values()) + [refit[k] for k in fit for _ in range(n)]
        out[f"two_workers_seconds_{n}_refits"] = round(makespan(tasks), 2)
    out["two_workers_seconds_saved"] = round(out[f"two_workers_seconds_{N_SEEDS}_refits"] - out["two_workers_seconds_2_refits"], 2)
    return out


def compare_stability(reference: np.ndarray, topic_terms: list[np.ndarray]) -> dict[str, Any]:
    """The run's stability figures with all re-fits and with the first two."""
    from topicbook.evaluate import stability

    full, two = stability(reference, topic_terms), stability(reference, topic_terms[:2])
    cos = np.abs(np.subtract(full.per_topic, two.per_topic))
    reappear_full, reappear_two = np.array(full.reappear), np.array(two.reappear)
    return {"topics": len(full.per_topic), "mean_3": round(full.mean, 4), "mean_2": round(two.mean, 4),
            "mean_difference": round(two.mean - full.mean, 4), "per_topic_max_abs_difference": round(float(cos.max()), 4),
            "reappear_mean_3": round(float(reappear_full.mean()), 4), "reappear_mean_2": round(float(reappear_two.mean()), 4),
            "reappear_max_abs_difference": round(float(np.abs(reappear_full - reappear_two).max()), 4),
            "topics_reappearing_3": int((reappear_full >= 0.5).sum()), "topics_reappearing_2": int((reappear_two >= 0.5).sum()),
            "topics_changing_reappear_mark": int(((reappear_full >= 0.5) != (reappear_two >= 0.5)).sum())}


def compare_verdicts(prepared: Any, fitted: list[Any], refits: dict[str, list[Any]], codebook: Any,
                     documents: list[str], analysed: Any) -> dict[str, Any]:
    """The structure verdicts with all re-fits and with the first two: per model, matches, their
    stability differences, unstable marks and statuses that change."""
    from topicbook.verdicts import verdict_table

    def table(n: int) -> Any:
        return verdict_table(prepared.dtm, codebook, prepared.preprocessor.transform, documents, fitted,
                             refits={k: v[:n] for k, v in refits.items()}, language=prepared.cfg.corpus.language,
                             analysed=analysed)

    full, two = table(N_SEEDS), table(2)
    out = {}
    for a, b in zip(full.models, two.models, strict=True):
        diffs, matches, marks, statuses, unstable = [], 0, 0, 0, [0, 0]
        for x, y in zip(a.codes, b.codes, strict=True):
            statuses += x.status != y.status
            marks += x.unstable != y.unstable
            unstable[0] += x.unstable
            unstable[1] += y.unstable
            matches += len(x.stability)
            diffs += [abs(p - q) for p, q in zip(x.stability, y.stability, strict=True)]
        out[a.model] = {"codes": len(a.codes), "matches": matches, "unstable_codes_3": unstable[0],
                        "unstable_codes_2": unstable[1], "codes_changing_unstable_mark": marks,
                        "statuses_changed": statuses,
                        "match_stability_mean_abs_difference": round(float(np.mean(diffs)), 4) if diffs else None,
                        "match_stability_max_abs_difference": round(float(max(diffs)), 4) if diffs else None}
    return out


def bench(name: str, config: Path, codebook: Any = None) -> dict[str, Any]:
    from topicbook.config import load_config
    from topicbook.models import fit_model
    from topicbook.pipeline import prepare
    from topicbook.stability import Refit, fit_cell, refit_cells, subsample_rows
    from topicbook.threads import thread_limit

    prepared = prepare(load_config(config))
    cfg, dtm = prepared.cfg, prepared.dtm
    n = dtm.counts.shape[0]
    seed_topics = prepared.seed_topics()
    log.info("%s: %d segments; fitting %s", name, n, ", ".join(m.label for m in cfg.models))
    fitted, fit_cpu, refits, refit_cpu = [], {}, {}, {}
    with thread_limit(1):
        for m in cfg.models:
            model, fit_cpu[m.label] = cpu_timed(lambda m=m: fit_model(m, dtm, cfg.seed, seed_topics if m.guided else None))
            fitted.append(model)
        for m in cfg.models:
            refits[m.label], seconds = [], []
            for cell in refit_cells([m], cfg.seed, N_SEEDS):
                fit, cpu = cpu_timed(lambda cell=cell: fit_cell(cell, dtm, seed_topics, (), keep_doc_topic=True))
                refits[m.label].append(Refit(cell.seed, subsample_rows(n, cell.subsample, cell.seed), fit.doc_topic, fit.topic_term))
                seconds.append(cpu)
            refit_cpu[m.label] = float(np.mean(seconds))
    out: dict[str, Any] = {
        "segments": int(n), "models": [m.name for m in fitted], "pool": schedule(fit_cpu, refit_cpu),
        "stability": {m.name: compare_stability(m.topic_term, [r.topic_term for r in refits[m.name]]) for m in fitted}}
    if codebook is not None or prepared.codebook is not None:
        segs = prepared.segments
        documents = [segs[s].document for s in prepared.dtm.segment_ids]
        analysed = prepared.analysed.ids() if codebook is None and prepared.analysed is not None else None
        out["verdicts"] = compare_verdicts(prepared, fitted, refits, codebook or prepared.codebook, documents, analysed)
    log.info("%s: %s", name, json.dumps(out))
    return out


def run_times(folder: Path, repeats: int) -> dict[str, Any]:
    """bench_run's NHS run (`topicbook run --jobs 2 --threads auto`) with stability_seeds 3 and 2,
    alternating: wall and CPU seconds (with the workers) and the stability stage (the wait for
    the re-fits), medians."""
    import statistics

    import bench_run

    config = bench_run.nhs_config(folder)
    base = config.read_text(encoding="utf-8")
    runs: dict[int, list[dict[str, Any]]] = {3: [], 2: []}
    loads = []
    for _ in range(repeats):
        for n in runs:
            variant = folder / f"nhs_{n}.yaml"
            variant.write_text(base + f"evaluate:\n  stability_seeds: {n}\n", encoding="utf-8")
            loads.append(round(os.getloadavg()[0], 2))
            runs[n].append(bench_run.whole_run(variant, folder / "runs", "auto", 2))
            log.info("nhs run, %d re-fits: %.1f s wall, %.1f CPU s", n, runs[n][-1]["wall"], runs[n][-1]["cpu"])
    return {"repeats": repeats, "load_1min_at_starts": loads, **{
        f"stability_seeds_{n}": {"wall_seconds": round(statistics.median(r["wall"] for r in rs), 2),
                                 "wall_all": [round(r["wall"], 2) for r in rs],
                                 "cpu_seconds": round(statistics.median(r["cpu"] for r in rs), 2),
                                 "stability_stage_seconds": round(statistics.median(r["stages"]["stability"] for r in rs), 2)}
        for n, rs in runs.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="demo,nhs,sotu", help="corpora, comma-separated (demo, nhs, sotu)")
    parser.add_argument("--runs", type=int, default=0, help="also time that many NHS runs with 3 and with 2 re-fits")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("topicbook", "gensim"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    import bench_recovery
    import bench_run

    out: dict[str, Any] = {"command": ("benchmarks/bench_refit_count.py " + " ".join(sys.argv[1:])).strip(),
                           "load_1min_at_start": round(os.getloadavg()[0], 2), "corpora": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in filter(None, args.only.split(",")):
            if name == "demo":
                out["corpora"][name] = bench(name, bench_run.demo_config(Path(tmp)))
            elif name == "nhs":
                out["corpora"][name] = bench(name, bench_run.nhs_config(Path(tmp)), bench_recovery.nhs_codebook())
            else:
                out["corpora"][name] = bench(name, sotu_config(Path(tmp)))
        if args.runs:
            out["nhs_runs"] = run_times(Path(tmp), args.runs)
    out["load_1min_at_end"] = round(os.getloadavg()[0], 2)
    previous = RESULTS / "refit_count.json"
    if previous.exists():  # keep what this call did not measure again (--only, --runs 0)
        kept = json.loads(previous.read_text())
        out["corpora"] = {**{k: v for k, v in kept.get("corpora", {}).items() if k not in out["corpora"]}, **out["corpora"]}
        if "nhs_runs" not in out and "nhs_runs" in kept:
            out["nhs_runs"] = kept["nhs_runs"]
        out["commands"] = [*kept.get("commands", [kept.get("command", "")]), out.pop("command")]
    RESULTS.mkdir(parents=True, exist_ok=True)
    previous.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
