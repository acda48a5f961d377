"""Model fit overhead against direct gensim / scikit-learn calls, sweep speed-up, peak memory.

Corpus: the SOTU paragraphs (../shared/corpora/sotu/sotu_paragraphs.csv.gz, 23,606 paragraphs)
preprocessed once by topicbook (lemmas, phrases, min_df 5, max_df 0.5). Each timing is the
median of --repeats runs; the ratios compare calls made in the same process, alternating.

    .venv/bin/python benchmarks/bench_models.py [--repeats 3] [--quick] [--only fits,sweep,memory]

With --only, the other parts' figures are kept from benchmarks/results/models.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOTU = REPO.parent / "shared" / "corpora" / "sotu" / "sotu_paragraphs.csv.gz"
RESULTS = REPO / "benchmarks" / "results"


def load_dtm(quick: bool):
    """The SOTU paragraphs as a DocumentTermMatrix (topicbook preprocessing)."""
    import tempfile

    import pandas as pd

    from topicbook.config import config_from_dict
    from topicbook.pipeline import prepare

    frame = pd.read_csv(SOTU)
    if quick:
        frame = frame.iloc[:3000]
    frame["id"] = frame["doc_id"].astype(str) + "-" + frame["para_no"].astype(str)
    tmp = Path(tempfile.mkdtemp()) / "sotu.csv"
    frame[["id", "text", "year", "president"]].to_csv(tmp, index=False)
    cfg = config_from_dict({"corpus": {"path": str(tmp)}, "segment": {"min_tokens": 0},
                            "preprocess": {"min_df": 5, "max_df": 0.5}, "evaluate": {"stability_seeds": 0}},
                           base_dir=tmp.parent)
    return prepare(cfg).dtm


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_fits(dtm, repeats: int, k: int, passes: int) -> dict:
    """topicbook adapters against the same library calls with the same parameters."""
    from gensim.matutils import Sparse2Corpus
    from gensim.models import LdaModel as GensimLda
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfTransformer

    from topicbook.models import LdaModel, NmfModel

    X = dtm.counts
    chunksize = 2000
    id2word = dict(enumerate(dtm.vocab))

    def gensim_fit():
        corpus = Sparse2Corpus(X, documents_columns=False)
        return GensimLda(corpus, id2word=id2word, num_topics=k, passes=passes, iterations=50,
                         chunksize=chunksize, random_state=1, update_every=1)

    def gensim_fit_infer_perplexity():
        model = gensim_fit()
        docs = list(Sparse2Corpus(X, documents_columns=False))
        gamma, _ = model.inference(docs)
        model.bound(docs, gamma=gamma[:, None, :])
        return gamma

    def ours_lda():
        return LdaModel(n_topics=k, passes=passes, iterations=50, chunksize=chunksize, random_state=1).fit(X, dtm.vocab)

    def sklearn_nmf():
        tfidf = TfidfTransformer(sublinear_tf=True).fit_transform(X)
        return NMF(n_components=k, init="nndsvda", random_state=1, max_iter=400).fit_transform(tfidf)

    def ours_nmf():
        return NmfModel(n_topics=k, random_state=1, max_iter=400).fit(X)

    out = {}
    pairs = {"lda_vs_gensim_fit": (ours_lda, gensim_fit),
             "lda_vs_gensim_fit_inference_perplexity": (ours_lda, gensim_fit_infer_perplexity),
             "nmf_vs_sklearn": (ours_nmf, sklearn_nmf)}
    for name, (ours, theirs) in pairs.items():
        t_ours, t_theirs = [], []
        for _ in range(repeats):  # alternate, so that machine noise hits both
            t_theirs.append(median_time(theirs, 1))
            t_ours.append(median_time(ours, 1))
        out[name] = {"topicbook_s": statistics.median(t_ours), "library_s": statistics.median(t_theirs),
                     "ratio": statistics.median(t_ours) / statistics.median(t_theirs)}
        print(f"{name}: topicbook {out[name]['topicbook_s']:.2f} s, library {out[name]['library_s']:.2f} s, ratio {out[name]['ratio']:.3f}", flush=True)
    return out


def bench_sweep(dtm, repeats: int, quick: bool) -> dict:
    """The same K x seed grid with 1 and 2 processes (u_mass coherence)."""
    from topicbook.config import ModelConfig
    from topicbook.stability import run_grid
    from topicbook.sweep import sweep_cells

    models = [ModelConfig(type="nmf"), ModelConfig(type="lda", passes=1, iterations=50, chunksize=2000)]
    cells = sweep_cells(models, [10, 20] if not quick else [5, 10], [1, 2])
    timings = {}
    for jobs in (1, 2):
        timings[jobs] = median_time(lambda jobs=jobs: run_grid(cells, dtm, measures=("u_mass",), jobs=jobs), repeats)
        print(f"sweep of {len(cells)} fits with {jobs} job(s): {timings[jobs]:.1f} s", flush=True)
    return {"fits": len(cells), "seconds_1_job": timings[1], "seconds_2_jobs": timings[2],
            "speedup": timings[1] / timings[2]}


def _peak_rss_child(stage: str, quick: bool) -> tuple[str, float]:
    """Run one stage in a fresh process; returns its peak RSS in MB."""
    dtm = load_dtm(quick)
    if stage == "lda":
        from topicbook.models import LdaModel

        LdaModel(n_topics=20, passes=1, iterations=50, chunksize=2000, random_state=1).fit(dtm.counts, dtm.vocab)
    elif stage == "nmf":
        from topicbook.models import NmfModel

        NmfModel(n_topics=20, random_state=1).fit(dtm.counts)
    return stage, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_memory(quick: bool) -> dict:
    out = {}
    for stage in ("prepare", "lda", "nmf"):
        with ProcessPoolExecutor(max_workers=1) as pool:
            name, mb = pool.submit(_peak_rss_child, stage, quick).result()
        out[f"peak_rss_mb_{'prepare_only' if stage == 'prepare' else 'prepare_and_' + stage}"] = round(mb, 1)
        print(f"peak RSS, {stage}: {mb:.0f} MB", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="3,000 paragraphs only (smoke test)")
    parser.add_argument("--only", default="fits,sweep,memory", help="parts, comma-separated (fits, sweep, memory)")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if not SOTU.exists():
        sys.exit(f"missing corpus: {SOTU}")
    dtm = load_dtm(args.quick)
    n_tokens = int(dtm.counts.sum())
    print(f"SOTU paragraphs: {dtm.counts.shape[0]} segments, {dtm.n_terms} terms, {n_tokens} tokens", flush=True)
    from topicbook.threads import thread_limit

    with thread_limit(1):  # like with like: one BLAS thread for both sides (workers use one anyway)
        result = {
            "command": "python benchmarks/bench_models.py" + (" --quick" if args.quick else ""),
            "machine": {"cores": __import__("os").cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                        "blas_threads": 1},
            "corpus": {"segments": dtm.counts.shape[0], "terms": dtm.n_terms, "tokens": n_tokens},
            "load_1min_at_start": round(__import__("os").getloadavg()[0], 2),
        }
        if "fits" in parts:
            result["fits_k20"] = bench_fits(dtm, args.repeats, k=20, passes=1)
        if "sweep" in parts:
            result["sweep"] = bench_sweep(dtm, args.repeats, args.quick)
        if "memory" in parts:
            result["memory"] = bench_memory(args.quick)
    previous = RESULTS / "models.json"
    if previous.exists() and parts != {"fits", "sweep", "memory"}:  # --only: keep the other parts' figures
        kept = json.loads(previous.read_text())
        result = {**{k: kept[k] for k in ("fits_k20", "sweep", "memory") if k in kept and k not in result}, **result}
        result["command"] += f" --only {args.only}"
    from topicbook.report.manifest import package_versions

    result["versions"] = package_versions()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "models.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k in ("fits_k20", "sweep", "memory")}, indent=2))


if __name__ == "__main__":
    main()
