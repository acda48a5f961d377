"""LDA engine choice: tomotopy (collapsed Gibbs sampling, C++) against gensim LdaModel (online
variational Bayes, topicbook's engine) at equal K, on the corpora our users have.

Corpora (each preprocessed once by topicbook's Preprocessor + vectorize, so both engines see
the same token lists, restricted to the same pruned vocabulary):

- ``nhs_comments``: the non-empty NHS patient-experience comments (`FFT answer` of
  v6framework_230831.csv), short answers; K = 20;
- ``demo_turns``: the demo interviews' respondent turns (configs/demo.yaml); K = 10;
- ``pdpilot_turns``: the PDPilot participant turns (interviewer Dan left out); K = 10.

Engines, each fitted with --seeds seeds (medians reported), one process each:

- ``gensim``: topicbook's LdaModel with the config defaults (20 passes, 200 iterations,
  symmetric alpha, chunksize = a quarter of the documents between 16 and 2000);
- ``tomotopy``: ``tomotopy.LDAModel(k=K, alpha=0.1, eta=0.01, seed=s)``, 1,000 Gibbs
  iterations with ``workers=1`` (the same one core as gensim).

Coherence: c_v of each topic's top 10 terms over the corpus's own token lists (topicbook's
`evaluate.coherence`, i.e. gensim's CoherenceModel), mean over topics. Fit seconds exclude
preprocessing. tomotopy is not a topicbook dependency: if it is missing, this script installs
it from PyPI into the running environment (``python -m pip install tomotopy``).

    .venv/bin/python benchmarks/bench_engines.py [--seeds 3]

Writes benchmarks/results/engines.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CORPORA = REPO.parent / "shared" / "corpora"
NHS = CORPORA / "nhs-patient-experience" / "original" / "pxtextmining" / "datasets" / "v6framework_230831.csv"
PDP = CORPORA / "pdpilot-interviews"
RESULTS = REPO / "benchmarks" / "results"
TOMOTOPY_ITERATIONS = 1000
log = logging.getLogger("bench_engines")


def ensure_tomotopy() -> None:
    try:
        import tomotopy  # noqa: F401
    except ImportError:
        log.info("tomotopy is not installed; installing it from PyPI into this environment only")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "tomotopy"], check=True)


def corpora() -> dict[str, tuple[object, int]]:
    """name -> (DocumentTermMatrix, K)."""
    import pandas as pd

    from topicbook.config import (
        CorpusConfig,
        PreprocessConfig,
        SegmentConfig,
        SpeakersConfig,
        load_config,
    )
    from topicbook.ingest import read_corpus
    from topicbook.pipeline import prepare
    from topicbook.preprocess import Preprocessor, vectorize
    from topicbook.segment import segment_corpus

    out: dict[str, tuple[object, int]] = {}
    texts = [t.strip() for t in pd.read_csv(NHS, dtype=str, keep_default_na=False, usecols=["FFT answer"])["FFT answer"] if t.strip()]
    cfg = PreprocessConfig(min_df=5, max_df=0.5)
    pre = Preprocessor(cfg, language="en")
    out["nhs_comments"] = (vectorize(pre.fit_transform(texts), [f"c{i}" for i in range(len(texts))], cfg), 20)
    demo = load_config(REPO / "configs" / "demo.yaml")
    demo = type(demo)(**{**demo.__dict__, "cache": type(demo.cache)(enabled=False)})
    out["demo_turns"] = (prepare(demo).dtm, 10)
    corpus = read_corpus(CorpusConfig(path=PDP / "text", include=["P*.txt"]))
    seg = segment_corpus(corpus, SpeakersConfig(interviewer=["Dan"], keep="respondent"), SegmentConfig(unit="turn", min_tokens=0))
    cfg = PreprocessConfig(min_df=2, max_df=0.5)
    pre = Preprocessor(cfg, language="en")
    out["pdpilot_turns"] = (vectorize(pre.fit_transform([s.text for s in seg.segments]), [s.id for s in seg.segments], cfg), 10)
    return out


def fit_gensim(dtm, k: int, seed: int) -> tuple[float, list[list[str]]]:  # type: ignore[no-untyped-def]
    from topicbook.models.lda import LdaModel

    start = time.perf_counter()
    model = LdaModel(n_topics=k, random_state=seed).fit(dtm.counts, dtm.vocab)
    seconds = time.perf_counter() - start
    return seconds, [[dtm.vocab[i] for i in np.argsort(-row)[:10]] for row in model.topic_term_]


def fit_tomotopy(dtm, k: int, seed: int) -> tuple[float, list[list[str]]]:  # type: ignore[no-untyped-def]
    import tomotopy as tp

    start = time.perf_counter()
    model = tp.LDAModel(k=k, alpha=0.1, eta=0.01, seed=seed)
    for tokens in dtm.tokens:
        model.add_doc(list(tokens))
    model.train(TOMOTOPY_ITERATIONS, workers=1, show_progress=False)
    seconds = time.perf_counter() - start
    return seconds, [[w for w, _ in model.get_topic_words(t, top_n=10)] for t in range(k)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("gensim").setLevel(logging.WARNING)
    ensure_tomotopy()
    from topicbook.evaluate import coherence

    load_before = os.getloadavg()
    rows = {}
    for name, (dtm, k) in corpora().items():
        tokens = [list(t) for t in dtm.tokens]
        per_engine: dict[str, dict] = {}
        coherence_seconds: list[float] = []
        for seed in range(args.seeds):
            for engine, fit in (("gensim", fit_gensim), ("tomotopy", fit_tomotopy)):  # alternating
                seconds, tops = fit(dtm, k, seed)
                started = time.perf_counter()
                cv = coherence(tops, tokens, measures=["c_v"])["c_v"].mean
                coherence_seconds.append(time.perf_counter() - started)
                entry = per_engine.setdefault(engine, {"seconds": [], "c_v": []})
                entry["seconds"].append(round(seconds, 3))
                entry["c_v"].append(round(float(cv), 4))
                log.info("%s %s seed %d: %.2f s, c_v %.3f", name, engine, seed, seconds, cv)
        for entry in per_engine.values():
            entry["median_seconds"] = statistics.median(entry["seconds"])
            entry["median_c_v"] = statistics.median(entry["c_v"])
        g, t = per_engine["gensim"], per_engine["tomotopy"]
        rows[name] = {
            "documents": int(dtm.counts.shape[0]), "tokens": int(dtm.counts.sum()),
            "tokens_per_document": round(float(dtm.counts.sum()) / dtm.counts.shape[0], 1),
            "vocabulary": dtm.n_terms, "n_topics": k, "engines": per_engine,
            "c_v_seconds_median": round(statistics.median(coherence_seconds), 3),
            "speedup_tomotopy": round(g["median_seconds"] / t["median_seconds"], 2),
            "c_v_difference_tomotopy_minus_gensim": round(t["median_c_v"] - g["median_c_v"], 4),
        }
    clear_win = all(r["speedup_tomotopy"] >= 1.5 and r["c_v_difference_tomotopy_minus_gensim"] >= -0.01 for r in rows.values())
    result = {
        "command": "benchmarks/bench_engines.py " + " ".join(sys.argv[1:]),
        "seeds": args.seeds, "tomotopy_iterations": TOMOTOPY_ITERATIONS,
        "versions": {p: version(p) for p in ("tomotopy", "gensim", "numpy")},
        "corpora": rows,
        "rule": "add engine: tomotopy only if it is >= 1.5x faster at c_v no more than 0.01 below gensim on every corpus",
        "clear_win": clear_win,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "engines.json").write_text(json.dumps(result, indent=2) + "\n")
    for name, r in rows.items():
        log.info("%s: tomotopy %.2fx faster, c_v %+.3f", name, r["speedup_tomotopy"], r["c_v_difference_tomotopy_minus_gensim"])


if __name__ == "__main__":
    main()
