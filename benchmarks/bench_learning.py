"""Learning from partial coding: the `learned` score against its two ingredients, on real codings.

A researcher codes some documents; the rest are scored. For each corpus and share of coded
documents (10%, 25%, 50%; 3 seeded draws each) the benchmark hides the codes of the other
documents and compares, on those uncoded documents only, in the same run:

- `learned` (topicbook.learning.learn_scores: the codebook prior blended with a regression on
  the coded documents, grouped CV inside the coded ones),
- `selftrained`: the label-free self-trained score (the prior `learned` starts from),
- `lr`: a supervised logistic regression alone on the same features (words + character
  n-grams; C = 1, balanced class weights, the regression inside `learned`), trained on the
  coded documents; a code with no coded positive gets a constant score,
- `similarity`: the label-free codebook similarity, for reference.

Figures: macro ROC AUC and micro F1 at prevalence (topicbook.agreement.agreement over the
uncoded documents; per code the threshold predicts as many segments as it has there), plus the
micro F1 with each method's thresholds set on the coded documents (for `learned`: its grouped
CV thresholds). Codes evaluated: the corpus's benchmark codes with at least 3 positives among
the evaluated segments.

Corpora (prepared exactly as benchmarks/bench_recovery.py does):
- NHS patient comments, grouped by respondent (`Respondent ID`). Settings of `learned` were
  chosen on the development half of respondents (`--develop`, the same seeded split as
  bench_recovery) with coded and evaluated respondents both drawn inside that half. Reported:
  coded respondents drawn from all respondents, evaluated on the uncoded respondents of the
  report half (the development half's uncoded respondents are recorded too, not quoted).
- PDPilot interviews, grouped by participant (7): coded quotes mapped onto participant turns.
- The demo (configs/demo.yaml): its reference codings cover I01-I10; shares of those 10 are
  coded, the others of the 10 evaluated; I11-I21 are uncoded and never evaluated.
Neither interview corpus was used to choose anything.

Usage:  .venv/bin/python benchmarks/bench_learning.py [--draws 3] [--only nhs,pdpilot,demo]
        .venv/bin/python benchmarks/bench_learning.py --develop   # the settings study (NHS dev half)
        .venv/bin/python benchmarks/bench_learning.py --posthoc   # after the run: fixed kappas (chooses nothing)
Writes: benchmarks/results/learning.json (or learning_develop.json, learning_posthoc.json)
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from topicbook.learning import (
    LearningSettings,
    design_matrix,
    learn_scores,
    learning_curve,
    suggest_next,
)
from topicbook.metrics import agreement
from topicbook.scoring import (
    FeatureSpaces,
    feature_spaces,
    selftrained_from_spaces,
    similarity_from_spaces,
    standardise,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SEED = 42
SHARES = (0.10, 0.25, 0.50)
SUGGEST = {"nhs": 100, "pdpilot": 20, "demo": 20}  # segments coded next, suggested vs random
EVAL_MIN_POSITIVES = 3
PDPILOT_MIN_POSITIVES = 10  # bench_recovery's PDPilot codes
METHODS = ("learned", "selftrained", "lr", "similarity")
log = logging.getLogger("bench_learning")


@dataclass
class Task:
    """One corpus ready for the benchmark. Arrays are over the matrix rows (segments)."""

    name: str
    spaces: FeatureSpaces
    selftrained: np.ndarray
    similarity: np.ndarray
    labels: np.ndarray  # human codes (valid on `known` rows)
    known: np.ndarray  # rows whose documents have human codes
    report: np.ndarray  # rows that may be reported on (NHS: the report half)
    groups: np.ndarray  # document / respondent per row
    pool: np.ndarray  # groups that can be drawn as coded
    segment_ids: list[str]
    code_ids: list[str]
    eval_codes: list[int]  # column indices of the benchmark codes
    lengths: np.ndarray
    seconds: dict[str, float]
    data: dict


def _label_free(dtm, texts, codebook, transform) -> tuple[FeatureSpaces, np.ndarray, np.ndarray, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    spaces = feature_spaces(dtm, texts)
    sim = similarity_from_spaces(spaces, codebook, dtm.vocab, transform)
    st = selftrained_from_spaces(spaces, sim, seed=SEED)
    return spaces, sim, st, round(time.perf_counter() - start, 2)


def nhs_task(development: bool = False) -> Task:
    import bench_recovery as br

    start = time.perf_counter()
    d = br.nhs_prepared()
    prepared = round(time.perf_counter() - start, 2)
    spaces, sim, st, label_free = _label_free(d["dtm"], d["texts"], d["codebook"], d["pre"].transform)
    code_ids = list(d["codebook"].ids())
    groups = np.asarray(d["respondents"]).astype(str)
    dev = d["dev"]
    half = dev if development else ~dev
    pool = np.array(sorted(set(groups[dev].tolist()))) if development else np.array(sorted(set(groups.tolist())))
    n = len(groups)
    return Task("nhs", spaces, st, sim, d["labels"].astype(bool), np.ones(n, bool), half, groups, pool,
                list(d["dtm"].segment_ids), code_ids, [code_ids.index(c) for c in d["evaluated"]],
                np.asarray(d["dtm"].counts.sum(axis=1)).ravel().astype(float),
                {"prepare": prepared, "label_free": label_free},
                {"segments": n, "respondents": len(set(groups.tolist())), "codes": len(code_ids),
                 "benchmark_codes": len(d["evaluated"]), "report_half_segments": int((~dev).sum()),
                 "development_half_segments": int(dev.sum()), "group": "Respondent ID"})


def pdpilot_task() -> Task:
    import bench_recovery as br

    start = time.perf_counter()
    d = br.pdpilot_prepared()
    prepared = round(time.perf_counter() - start, 2)
    dtm, human = d["dtm"], d["human"]
    spaces, sim, st, label_free = _label_free(dtm, d["texts"], d["codebook"], d["pre"].transform)
    by_id = {s.id: s.document for s in d["segments"]}
    groups = np.array([by_id[s] for s in dtm.segment_ids])
    code_ids = list(d["codebook"].ids())
    pos = human.labels.sum(axis=0)
    n = len(groups)
    return Task("pdpilot", spaces, st, sim, human.labels.astype(bool), np.ones(n, bool), np.ones(n, bool), groups,
                np.array(sorted(set(groups.tolist()))), list(dtm.segment_ids), code_ids,
                [c for c in range(len(code_ids)) if pos[c] >= PDPILOT_MIN_POSITIVES],
                np.asarray(dtm.counts.sum(axis=1)).ravel().astype(float),
                {"prepare": prepared, "label_free": label_free},
                {"segments": n, "participants": len(set(groups.tolist())), "codes": len(code_ids),
                 "benchmark_codes": int((pos >= PDPILOT_MIN_POSITIVES).sum()), "coded_segments": int(human.labels.any(axis=1).sum()),
                 "group": "participant (document)"})


def demo_task() -> Task:
    from topicbook.codings import read_codings
    from topicbook.config import load_config
    from topicbook.pipeline import prepare

    start = time.perf_counter()
    cfg = load_config(ROOT / "configs" / "demo.yaml")
    cfg = type(cfg)(**{**cfg.__dict__, "cache": type(cfg.cache)(enabled=False)})
    p = prepare(cfg)
    segs = p.segments
    dtm = p.dtm
    human = read_codings(cfg.codings.path, documents={d.id: d.text for d in p.corpus.documents},
                         segments=p.segmentation.segments, segment_ids=dtm.segment_ids, codebook=p.codebook)
    prepared = round(time.perf_counter() - start, 2)
    texts = [segs[s].text for s in dtm.segment_ids]
    spaces, sim, st, label_free = _label_free(dtm, texts, p.codebook, p.preprocessor.transform)
    groups = np.array([segs[s].document for s in dtm.segment_ids])
    known = np.isin(groups, list(human.documents))
    code_ids = list(p.codebook.ids())
    n = len(groups)
    return Task("demo", spaces, st, sim, human.labels.astype(bool), known, np.ones(n, bool), groups,
                np.array(sorted(human.documents)), list(dtm.segment_ids), code_ids, list(range(len(code_ids))),
                np.asarray(dtm.counts.sum(axis=1)).ravel().astype(float),
                {"prepare": prepared, "label_free": label_free},
                {"segments": n, "documents": len(set(groups.tolist())), "coded_documents": len(human.documents),
                 "segments_with_codings": int(known.sum()), "codes": len(code_ids), "group": "interview (document)"})


# --------------------------------------------------------------------------- methods


def supervised_lr(X: sp.csr_matrix, labels: np.ndarray, coded: np.ndarray, settings: LearningSettings) -> np.ndarray:
    """Logistic regression alone, per code, trained on the coded segments: (n_segments, n_codes);
    a code with no coded positive (or only positives) gets a constant 0."""
    from sklearn.linear_model import LogisticRegression

    out = np.zeros(labels.shape)
    for c in range(labels.shape[1]):
        y = labels[coded, c]
        if y.any() and not y.all():
            clf = LogisticRegression(C=settings.c, class_weight="balanced", max_iter=settings.max_iter,
                                     random_state=SEED).fit(X[coded], y)
            out[:, c] = clf.decision_function(X)
    return out


def _draw_groups(task: Task, share: float, draw: int, attempt: int) -> frozenset[str]:
    rng = np.random.default_rng([SEED, draw, int(round(share * 1000))] + ([attempt] if attempt else []))
    n = min(max(1, int(round(share * len(task.pool)))), len(task.pool) - 1)
    return frozenset(rng.choice(task.pool, size=n, replace=False).tolist())


def draw_coded(task: Task, share: float, draw: int) -> np.ndarray:
    """A seeded share of the pool's groups (at least one, never all): (n_segments,) bool. Draw k
    differs from draws 0..k-1 (redrawn with a further seed when it repeats one, as 1 of 7
    participants easily does), as long as the pool has that many different sets."""
    n = min(max(1, int(round(share * len(task.pool)))), len(task.pool) - 1)
    distinct = math.comb(len(task.pool), n)
    earlier: list[frozenset[str]] = []
    for k in range(draw + 1):
        attempt = 0
        chosen = _draw_groups(task, share, k, attempt)
        while chosen in earlier and len(earlier) < distinct:
            attempt += 1
            chosen = _draw_groups(task, share, k, attempt)
        earlier.append(chosen)
    return np.isin(task.groups, sorted(earlier[-1]))


def figures(scores: np.ndarray, task: Task, evaluate: np.ndarray, coded: np.ndarray) -> dict:
    """macro ROC AUC, micro F1 at prevalence (thresholds on the evaluated rows) and micro F1 with
    thresholds from the coded rows, over the benchmark codes."""
    cols = task.eval_codes
    ids = [task.code_ids[c] for c in cols]
    at_prev = agreement(scores[:, cols], task.labels[:, cols], task.lengths, ids, evaluate=evaluate,
                        min_positives=EVAL_MIN_POSITIVES)
    from_coded = agreement(scores[:, cols], task.labels[:, cols], task.lengths, ids, evaluate=evaluate,
                           calibrate=coded, min_positives=EVAL_MIN_POSITIVES)
    return {"macro_roc_auc": at_prev.macro_roc_auc, "micro_f1": at_prev.micro_f1,
            "micro_f1_coded_thresholds": from_coded.micro_f1, "n_codes": at_prev.n_codes,
            "n_segments": at_prev.n_segments}


def run_draw(task: Task, share: float, draw: int, settings: LearningSettings, X: sp.csr_matrix) -> dict:
    coded = draw_coded(task, share, draw)
    train = task.labels & coded[:, None]
    evaluate = task.known & task.report & ~coded
    start = time.perf_counter()
    learned = learn_scores(task.spaces, task.selftrained, train, coded, task.groups, task.segment_ids,
                           task.code_ids, seed=SEED, settings=settings)
    t_learned = time.perf_counter() - start
    start = time.perf_counter()
    lr = supervised_lr(X, train, coded, settings)
    t_lr = time.perf_counter() - start
    scores = {"learned": learned.scores, "selftrained": task.selftrained, "lr": lr, "similarity": task.similarity}
    out = {"coded_groups": int(len(set(task.groups[coded].tolist()))), "coded_segments": int(coded.sum()),
           "methods": {m: figures(s, task, evaluate, coded) for m, s in scores.items()},
           "seconds": {"learned": round(t_learned, 2), "lr": round(t_lr, 2)},
           "learned": {"kappa": learned.kappa, "kappa_source": learned.kappa_source, "cv_folds": len(learned.folds),
                       "learned_codes": len(learned.learned_codes), "fallback_codes": len(learned.fallback_codes),
                       "learned_benchmark_codes": sum(learned.codes[c].status == "learned" for c in task.eval_codes)}}
    if task.name == "nhs" and not np.array_equal(task.report, np.ones_like(task.report)):
        other = task.known & ~task.report & ~coded
        out["other_half"] = {m: figures(s, task, other, coded) for m, s in scores.items()}
    log.info("%s %.0f%% draw %d: %d groups coded; AUC learned %.3f selftrained %.3f lr %.3f (kappa %g, %.1f s)",
             task.name, share * 100, draw, out["coded_groups"], out["methods"]["learned"]["macro_roc_auc"],
             out["methods"]["selftrained"]["macro_roc_auc"], out["methods"]["lr"]["macro_roc_auc"], learned.kappa, t_learned)
    return out


def summarise(draws: list[dict]) -> dict:
    """Per method and figure: mean, sd, min, max over the draws; and how often learned beat each."""
    out: dict = {}
    for m in METHODS:
        out[m] = {}
        for key in ("macro_roc_auc", "micro_f1", "micro_f1_coded_thresholds"):
            vals = [d["methods"][m][key] for d in draws if d["methods"][m][key] is not None]
            out[m][key] = ({"mean": round(float(np.mean(vals)), 4), "sd": round(float(np.std(vals, ddof=1)), 4) if len(vals) > 1 else 0.0,
                            "min": round(float(min(vals)), 4), "max": round(float(max(vals)), 4)} if vals else None)
    wins = {}
    for other in ("selftrained", "lr"):
        for key in ("macro_roc_auc", "micro_f1"):
            wins[f"{other}:{key}"] = sum(d["methods"]["learned"][key] > d["methods"][other][key] for d in draws)
    out["learned_wins"] = wins
    out["learned_beats_both_on_mean"] = all(
        out["learned"][key]["mean"] > out[other][key]["mean"] for other in ("selftrained", "lr") for key in ("macro_roc_auc", "micro_f1"))
    return out


def suggestion_check(task: Task, draws: int, settings: LearningSettings) -> dict:
    """Do the suggestions teach more than random segments? From the 10% draws: code the
    `SUGGEST` segments :func:`suggest_next` picks (among the uncoded segments with known codes),
    or as many random ones, learn again, and compare on the remaining uncoded segments."""
    n = SUGGEST[task.name]
    runs = []
    for draw in range(draws):
        coded = draw_coded(task, SHARES[0], draw)
        candidates = task.known & task.report & ~coded
        first = learn_scores(task.spaces, task.selftrained, task.labels & coded[:, None], coded, task.groups,
                             task.segment_ids, task.code_ids, seed=SEED, settings=settings)
        row = {i: k for k, i in enumerate(task.segment_ids)}
        suggested = np.zeros(len(coded), bool)
        suggested[[row[s.segment_id] for s in suggest_next(first, n, candidates=candidates)]] = True
        rng = np.random.default_rng([SEED, draw, 7])
        random = np.zeros(len(coded), bool)
        random[rng.choice(np.flatnonzero(candidates), size=int(suggested.sum()), replace=False)] = True
        evaluate = candidates & ~suggested & ~random
        out = {"before": figures(first.scores, task, evaluate, coded), "added_segments": int(suggested.sum()),
               "positives_added": {"suggested": int(task.labels[suggested][:, task.eval_codes].sum()),
                                   "random": int(task.labels[random][:, task.eval_codes].sum())}}
        for name, added in (("suggested", suggested), ("random", random)):
            more = coded | added
            res = learn_scores(task.spaces, task.selftrained, task.labels & more[:, None], more, task.groups,
                               task.segment_ids, task.code_ids, seed=SEED, settings=settings)
            out[name] = figures(res.scores, task, evaluate, more)
        log.info("%s suggestions draw %d: AUC before %.3f, + %d suggested %.3f, + random %.3f", task.name, draw,
                 out["before"]["macro_roc_auc"], n, out["suggested"]["macro_roc_auc"], out["random"]["macro_roc_auc"])
        runs.append(out)
    mean = {k: round(float(np.mean([r[k]["macro_roc_auc"] for r in runs])), 4) for k in ("before", "suggested", "random")}
    mean_f1 = {k: round(float(np.mean([r[k]["micro_f1"] for r in runs])), 4) for k in ("before", "suggested", "random")}
    return {"segments": n, "share": SHARES[0], "draws": runs, "mean_macro_roc_auc": mean, "mean_micro_f1": mean_f1}


def run_task(task: Task, draws: int, settings: LearningSettings) -> dict:
    X = design_matrix(task.spaces)
    shares = {}
    for share in SHARES:
        runs = [run_draw(task, share, d, settings, X) for d in range(draws)]
        shares[f"{share:.2f}"] = {"draws": runs, "summary": summarise(runs)}
    # learning curve: the 50% draw 0 codings, grouped CV inside them, benchmark codes
    coded = draw_coded(task, SHARES[-1], 0)
    cols = task.eval_codes
    start = time.perf_counter()
    first = learn_scores(task.spaces, task.selftrained, task.labels & coded[:, None], coded, task.groups,
                         task.segment_ids, task.code_ids, seed=SEED, settings=settings)
    curve = learning_curve(task.spaces, task.selftrained[:, cols], task.labels[:, cols] & coded[:, None], coded,
                           task.groups, [task.code_ids[c] for c in cols], task.lengths, kappa=first.kappa, seed=SEED,
                           min_positives=EVAL_MIN_POSITIVES, settings=settings)
    t_curve = time.perf_counter() - start
    suggestions = suggestion_check(task, draws, settings)
    learned_secs = [d["seconds"]["learned"] for s in shares.values() for d in s["draws"]]
    lr_secs = [d["seconds"]["lr"] for s in shares.values() for d in s["draws"]]
    return {"data": task.data, "shares": shares, "learning_curve": curve.to_json(), "suggestions": suggestions,
            "seconds": {**task.seconds, "learned_mean_per_draw": round(float(np.mean(learned_secs)), 2),
                        "learned_max_per_draw": round(float(max(learned_secs)), 2),
                        "lr_mean_per_draw": round(float(np.mean(lr_secs)), 2), "learning_curve": round(t_curve, 2)}}


# --------------------------------------------------------------------------- the settings study


def develop(draws: int) -> dict:
    """Variants of the learned score on the NHS development half only (coded and evaluated
    respondents both drawn from it): what the settings of LearningSettings were chosen by."""
    from sklearn.linear_model import LogisticRegression

    task = nhs_task(development=True)
    X = design_matrix(task.spaces)
    z_prior = standardise(task.selftrained)
    base = LearningSettings()
    variants = {
        "learned (kappa by grouped CV)": base,
        **{f"learned, kappa fixed {k:g}": replace(base, kappa_grid=(k,)) for k in (5.0, 20.0, 80.0)},
        "learned, min_positives 1": replace(base, min_positives=1),
        "learned, min_positives 5": replace(base, min_positives=5),
        "learned, C 10": replace(base, c=10.0),
    }

    def prior_feature(train: np.ndarray, coded: np.ndarray) -> np.ndarray:
        """Alternative design: one regression with the prior as an extra (lightly penalised) feature."""
        out = z_prior.copy()
        for c in range(train.shape[1]):
            y = train[coded, c]
            if y.sum() >= base.min_positives and not y.all():
                F = sp.hstack([X, sp.csr_matrix(3.0 * z_prior[:, [c]])]).tocsr()
                clf = LogisticRegression(C=base.c, class_weight="balanced", max_iter=base.max_iter).fit(F[coded], y)
                out[:, c] = clf.decision_function(F)
        return out

    def pseudo_labels(train: np.ndarray, coded: np.ndarray, kappa: float) -> np.ndarray:
        """Alternative design: the regression also learns the prior's top 2% of uncoded segments as
        positives (weight 0.1), then the same blend."""
        out = z_prior.copy()
        m = max(2, int(0.02 * len(coded)))
        for c in range(train.shape[1]):
            y = train[coded, c]
            if y.sum() < base.min_positives or y.all():
                continue
            top = np.zeros(len(coded), bool)
            top[np.argsort(-z_prior[:, c], kind="stable")[:m]] = True
            target = np.where(coded, train[:, c], top)
            clf = LogisticRegression(C=base.c, class_weight="balanced", max_iter=base.max_iter).fit(
                X, target, sample_weight=np.where(coded, 1.0, 0.1))
            z = standardise(clf.decision_function(X)[:, None])[:, 0]
            n_docs = len(set(task.groups[coded & train[:, c]].tolist()))
            a = n_docs / (n_docs + kappa)
            out[:, c] = (1 - a) * z_prior[:, c] + a * z
        return out

    rows = []
    for share in (0.01, 0.05, 0.10, 0.25, 0.50):
        for draw in range(draws):
            coded = draw_coded(task, share, draw)
            train = task.labels & coded[:, None]
            evaluate = task.report & ~coded
            row = {"share": share, "draw": draw, "coded_segments": int(coded.sum()),
                   "selftrained": figures(task.selftrained, task, evaluate, coded),
                   "lr": figures(supervised_lr(X, train, coded, base), task, evaluate, coded)}
            for name, settings in variants.items():
                res = learn_scores(task.spaces, task.selftrained, train, coded, task.groups, task.segment_ids,
                                   task.code_ids, seed=SEED, settings=settings)
                row[name] = {**figures(res.scores, task, evaluate, coded), "kappa": res.kappa}
            row["prior as a feature"] = figures(prior_feature(train, coded), task, evaluate, coded)
            row["pseudo-labels + blend (kappa 20)"] = figures(pseudo_labels(train, coded, 20.0), task, evaluate, coded)
            log.info("develop %.0f%% draw %d: %s", share * 100, draw,
                     ", ".join(f"{k} {v['macro_roc_auc']:.3f}" for k, v in row.items() if isinstance(v, dict)))
            rows.append(row)
    return {"data": task.data, "rows": rows}


# --------------------------------------------------------------------------- after the run


POSTHOC_KAPPAS = (0.5, 1.0, 2.0, 5.0, 20.0)


def posthoc(draws: int) -> dict:
    """Written after the reported run, on the reported labels, and used to choose nothing: the
    interview corpora with the prior strength fixed at each of POSTHOC_KAPPAS (the same draws),
    to see whether any weight of the human codes would have beaten the label-free score."""
    out: dict = {}
    for build in (pdpilot_task, demo_task):
        task = build()
        out[task.name] = {}
        for share in SHARES:
            row = {}
            for kappa in POSTHOC_KAPPAS:
                settings = replace(LearningSettings(), kappa_grid=(kappa,), default_kappa=kappa)
                figs = []
                for draw in range(draws):
                    coded = draw_coded(task, share, draw)
                    res = learn_scores(task.spaces, task.selftrained, task.labels & coded[:, None], coded, task.groups,
                                       task.segment_ids, task.code_ids, seed=SEED, settings=settings)
                    figs.append(figures(res.scores, task, task.known & task.report & ~coded, coded))
                row[f"{kappa:g}"] = {k: round(float(np.mean([f[k] for f in figs])), 4) for k in ("macro_roc_auc", "micro_f1")}
            out[task.name][f"{share:.2f}"] = row
            log.info("posthoc %s %.0f%%: %s", task.name, share * 100, row)
    return out


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=3, help="random draws of the coded documents per share")
    parser.add_argument("--only", default="nhs,pdpilot,demo", help="corpora, comma-separated")
    parser.add_argument("--develop", action="store_true", help="the settings study on the NHS development half")
    parser.add_argument("--posthoc", action="store_true", help="after the run: fixed prior strengths on the interview corpora (chooses nothing)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("topicbook", "gensim"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    import sklearn
    from threadpoolctl import threadpool_limits

    import topicbook

    machine = {"python": sys.version.split()[0], "platform": platform.platform(), "topicbook": topicbook.__version__,
               "scikit-learn": sklearn.__version__, "numpy": np.__version__, "blas_threads": 1}
    command = "benchmarks/bench_learning.py " + " ".join(sys.argv[1:])
    RESULTS.mkdir(parents=True, exist_ok=True)
    with threadpool_limits(limits=1):
        if args.develop:
            out = {"machine": machine, "command": command.strip(), "develop": develop(args.draws)}
            (RESULTS / "learning_develop.json").write_text(json.dumps(out, indent=1))
            return
        if args.posthoc:
            out = {"machine": machine, "command": command.strip(), "posthoc": posthoc(args.draws)}
            (RESULTS / "learning_posthoc.json").write_text(json.dumps(out, indent=1))
            return
        settings = LearningSettings()
        builders = {"nhs": nhs_task, "pdpilot": pdpilot_task, "demo": demo_task}
        out = {"machine": machine, "command": command.strip(), "settings": settings.to_json(), "shares": list(SHARES),
               "draws": args.draws, "eval_min_positives": EVAL_MIN_POSITIVES, "corpora": {}}
        for name in args.only.split(","):
            start = time.perf_counter()
            out["corpora"][name] = run_task(builders[name](), args.draws, settings)
            out["corpora"][name]["seconds"]["total"] = round(time.perf_counter() - start, 1)
    nhs25 = out["corpora"].get("nhs", {}).get("shares", {}).get("0.25")
    out["targets"] = {
        "learned_beats_both_everywhere": all(s["summary"]["learned_beats_both_on_mean"]
                                             for c in out["corpora"].values() for s in c["shares"].values()),
        "nhs_25_macro_auc": nhs25["summary"]["learned"]["macro_roc_auc"]["mean"] if nhs25 else None,
    }
    (RESULTS / "learning.json").write_text(json.dumps(out, indent=1))
    for name, corpus in out["corpora"].items():
        print(f"{name}: macro ROC AUC / micro F1 at prevalence on the uncoded documents (mean of {args.draws} draws)")
        for share, s in corpus["shares"].items():
            print(f"  {float(share):.0%} coded: " + "  ".join(
                f"{m} {s['summary'][m]['macro_roc_auc']['mean']:.3f}/{s['summary'][m]['micro_f1']['mean']:.3f}" for m in METHODS))
    print("targets:", out["targets"])


if __name__ == "__main__":
    main()
