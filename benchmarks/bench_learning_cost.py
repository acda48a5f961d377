"""What learning from partial coding adds to a run's time: the demo and NHS-size data.

A run with human codings adds, inside its agreement stage, `learned` (learn_scores: one
regression per code in every grouped-CV fold and on all coded data, the kappa selection, its
out-of-fold figures), the learning curve (capped at CURVE_MAX_POINTS sizes and
CURVE_MAX_WORK work units; its largest size read from the CV fits) and the suggestions, and it writes
autocode_scores.csv and suggestions.csv. This benchmark times those steps in the same process
as the run's own model fits and label-free scores, as `topicbook run` does them
(topicbook.agreement.evaluate_run with the run's Timer stages):

- demo: configs/demo.yaml (no preprocessing cache), its reference codings of I01-I10, the
  three models of the config; 3 repeats, medians.
- NHS patient comments (prepared as benchmarks/bench_recovery.py does: 7,908 comments, 50
  codes), a seeded 25% of the respondents coded, respondents as the CV groups; the raw model
  fits are the default LDA and NMF with K = 20; 1 repeat.

Seconds are wall-clock (`time.perf_counter`) and CPU (`time.process_time`) with BLAS pinned to
one thread; on a shared machine the CPU seconds are the steadier figure.

Usage:  .venv/bin/python benchmarks/bench_learning_cost.py [--only demo,nhs] [--repeats 3]
Writes: benchmarks/results/learning_cost.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import platform
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SEED = 42
CODED_SHARE = 0.25
ADDED = ("learned", "learning_curve", "suggestions")
log = logging.getLogger("bench_learning_cost")


class Clock:
    """Wall and CPU seconds per named step (summed when a step repeats)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu


def _write_tables(run: Any, clock: Clock, segments: dict[str, Any]) -> None:
    """autocode_scores.csv and suggestions.csv, formatted as the writer does (into memory)."""
    from topicbook.agreement import suggestion_rows
    from topicbook.report.writer import score_table_lines

    with clock.stage("write_tables"):
        size = sum(len(line) for line in score_table_lines(run))
        rows = list(suggestion_rows(run.suggestions, segments))
    log.info("autocode_scores.csv: %.1f MB; %d suggestions", size / 2**20, len(rows))


def demo_once() -> dict[str, Any]:
    from topicbook.agreement import evaluate_run
    from topicbook.codings import human_codings
    from topicbook.config import load_config
    from topicbook.pipeline import analyse, fit_all, prepare

    cfg = load_config(ROOT / "configs" / "demo.yaml")
    cfg = dataclasses.replace(cfg, cache=dataclasses.replace(cfg.cache, enabled=False),
                              evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=0))
    prepared = prepare(cfg)
    fitted = fit_all(prepared)
    fits = sum(v for k, v in prepared.timer.seconds.items() if k.startswith("fit:"))
    result = analyse(prepared, fitted)  # alignments (and the run's own agreement stage, not timed here)
    dtm, segs = prepared.dtm, prepared.segments
    assert prepared.codebook is not None and prepared.seeds is not None  # noqa: S101 - the demo has both
    human = human_codings(cfg.codings.path, corpus=prepared.corpus, segments=prepared.segmentation.segments,
                          segment_ids=dtm.segment_ids, codebook=prepared.codebook)
    clock = Clock()
    with clock.stage("agreement"):
        run = evaluate_run(dtm, [segs[s].text for s in dtm.segment_ids], [segs[s].document for s in dtm.segment_ids],
                           prepared.codebook, prepared.seeds, prepared.preprocessor.transform, fitted,
                           result.alignments, human, seed=cfg.seed, min_positives=cfg.codings.min_positives,
                           stage=clock.stage)
    _write_tables(run, clock, segs)
    return _figures(clock, fits, {"segments": len(dtm.segment_ids), "codes": len(prepared.codebook),
                                  "coded_documents": len(human.documents) if human else 0,
                                  "models": [m.name for m in fitted]}, run)


def nhs_once() -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_recovery as br

    from topicbook.agreement import evaluate_run
    from topicbook.codebook import seed_terms
    from topicbook.codings import HumanCodings
    from topicbook.config import ModelConfig
    from topicbook.models import fit_model

    d = br.nhs_prepared()
    dtm, codebook, pre = d["dtm"], d["codebook"], d["pre"]
    respondents = np.asarray(d["respondents"]).astype(str)
    people = np.array(sorted(set(respondents.tolist())))
    chosen = np.random.default_rng(SEED).choice(people, size=int(round(CODED_SHARE * len(people))), replace=False)
    coded = np.isin(respondents, chosen)
    ids = tuple(dtm.segment_ids)
    labels = np.asarray(d["labels"], dtype=bool) & coded[:, None]
    human = HumanCodings("nhs", ids, tuple(codebook.ids()), labels, tuple(np.asarray(ids)[coded].tolist()), int(labels.sum()))
    clock = Clock()
    fitted = []
    for kind in ("lda", "nmf"):
        with clock.stage(f"fit:{kind}"):
            fitted.append(fit_model(ModelConfig(type=kind, n_topics=20), dtm, SEED))
    fits = clock.wall["fit:lda"] + clock.wall["fit:nmf"]
    seeds = seed_terms(codebook, dtm.vocab, pre.transform)
    with clock.stage("agreement"):
        run = evaluate_run(dtm, d["texts"], list(ids), codebook, seeds, pre.transform, [], {}, human, seed=SEED,
                           min_positives=5, groups=respondents.tolist(), group_column="Respondent ID",
                           stage=clock.stage)
    segments = {s: _Segment(s, t) for s, t in zip(ids, d["texts"], strict=True)}
    _write_tables(run, clock, segments)
    return _figures(clock, fits, {"segments": len(ids), "codes": len(codebook), "respondents": len(people),
                                  "coded_respondents": len(chosen), "coded_segments": int(coded.sum()),
                                  "models": ["lda K=20", "nmf K=20"]}, run)


@dataclasses.dataclass(frozen=True)
class _Segment:
    document: str
    text: str


def _figures(clock: Clock, fits: float, data: dict[str, Any], run: Any) -> dict[str, Any]:
    added = {k: clock.wall.get(k, 0.0) for k in (*ADDED, "write_tables")}
    added_cpu = {k: clock.cpu.get(k, 0.0) for k in (*ADDED, "write_tables")}
    label_free = clock.wall["agreement"] - sum(clock.wall.get(k, 0.0) for k in ADDED)
    curve = run.curve
    return {"data": data, "raw_model_fits": round(fits, 3), "label_free_scores_and_figures": round(label_free, 3),
            "added": {k: round(v, 3) for k, v in added.items()}, "added_cpu": {k: round(v, 3) for k, v in added_cpu.items()},
            "added_total": round(sum(added.values()), 3), "added_total_cpu": round(sum(added_cpu.values()), 3),
            "added_over_fits": round(sum(added.values()) / fits, 3) if fits else None,
            "learned_codes": len(run.learned.learned_codes), "fallback_codes": len(run.learned.fallback_codes),
            "kappa": run.learned.kappa, "folds": len(run.learned.folds),
            "curve_sizes": [p.n_documents for p in curve.points] if curve else [],
            "curve_skipped": list(curve.skipped) if curve else [],
            "learned_macro_roc_auc": run.figures["learned"].macro_roc_auc if "learned" in run.figures else None,
            "prior_macro_roc_auc": run.figures[run.prior].macro_roc_auc}


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median added seconds (its figures kept together), and every run's totals."""
    order = sorted(range(len(runs)), key=lambda i: runs[i]["added_total"])
    out = dict(runs[order[len(order) // 2]])
    out["repeats"] = len(runs)
    out["added_total_all"] = [r["added_total"] for r in runs]
    out["raw_model_fits_all"] = [r["raw_model_fits"] for r in runs]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="demo,nhs", help="corpora, comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the demo (NHS runs once)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("topicbook", "gensim"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from threadpoolctl import threadpool_limits

    import topicbook
    from topicbook.agreement import CURVE_MAX_POINTS, CURVE_MAX_WORK

    out: dict[str, Any] = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "topicbook": topicbook.__version__,
                    "blas_threads": 1},
        "command": ("benchmarks/bench_learning_cost.py " + " ".join(sys.argv[1:])).strip(),
        "curve_max_points": CURVE_MAX_POINTS, "curve_max_work": CURVE_MAX_WORK, "coded_share_nhs": CODED_SHARE,
        "corpora": {}}
    builders: dict[str, tuple[Callable[[], dict[str, Any]], int]] = {"demo": (demo_once, args.repeats), "nhs": (nhs_once, 1)}
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        for name in args.only.split(","):
            build, repeats = builders[name]
            runs = [build() for _ in range(repeats)]
            out["corpora"][name] = _median(runs)
            r = out["corpora"][name]
            log.info("%s: fits %.1f s, label-free %.1f s, added %.1f s (%s)", name, r["raw_model_fits"],
                     r["label_free_scores_and_figures"], r["added_total"], r["added"])
    out["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "learning_cost.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
