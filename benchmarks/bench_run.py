"""The whole run against its raw model fits, per stage, with the thread setting; start-up time.

Two runs, each as `topicbook run CONFIG --jobs 2 --threads T` in a subprocess (what a user
types, imports included; preprocessing cache off), and, in this process right after it, the
raw fits of the same models: the same gensim `LdaModel` / scikit-learn `TfidfTransformer` +
`NMF` calls with the same parameters on the same document-term matrix, under the same BLAS
thread limit as the run's own process (threadpoolctl; the environment is not changed):

- demo: configs/demo.yaml (21 interviews, 229 segments; two LDA, one NMF, stability re-fits,
  agreement with the reference codings, explorer and figures);
- nhs: 10,000 NHS patient comments (`FFT answer`, drawn with replacement from the 7,394
  non-empty ones, numpy seed 0, each row its own id), one LDA and one NMF with K = 20 and the
  defaults otherwise (stability re-fits, three coherence measures, explorer and figures); no
  codebook.

The ratio is "whole run wall seconds / sum of the raw fits", medians over the repeats (runs and
raw fits alternate). CPU seconds (the run with its worker processes, and the raw fits) are
recorded too: on a loaded machine they move less than wall seconds. Stage seconds come from the run's manifest; "start-up and rest" is the wall
time the manifest's stages do not cover (interpreter, imports, config, writing the manifest).
Start-up: `topicbook --help` against `python -c pass`, alternating, medians of 7.

Usage:  .venv/bin/python benchmarks/bench_run.py [--only demo,nhs] [--repeats 3] [--threads auto]
Writes: benchmarks/results/run.json (with --only, the other corpus's figures are kept from it)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NHS = ROOT.parent / "shared" / "corpora" / "nhs-patient-experience" / "original" / "pxtextmining" / "datasets" / "v6framework_230831.csv"
NHS_ROWS = 10_000
TOPICBOOK = Path(sys.executable).parent / "topicbook"
log = logging.getLogger("bench_run")

NHS_CONFIG = """\
name: nhs-10k
seed: 42
corpus:
  path: nhs.csv
  id_column: id
  text_column: text
segment:
  min_tokens: 0
preprocess:
  min_df: 5
  max_df: 0.5
cache:
  enabled: false
models:
  - type: lda
    n_topics: 20
  - type: nmf
    n_topics: 20
"""


def nhs_config(folder: Path) -> Path:
    """A table of NHS_ROWS comments and its config in `folder`; returns the config path."""
    import pandas as pd

    raw = pd.read_csv(NHS)
    text = raw["FFT answer"].fillna("").astype(str).str.strip()
    pool = text[text != ""].to_numpy()
    drawn = np.random.default_rng(0).choice(pool, size=NHS_ROWS, replace=True)
    pd.DataFrame({"id": [f"c{i:05d}" for i in range(NHS_ROWS)], "text": drawn}).to_csv(folder / "nhs.csv", index=False)
    (folder / "nhs.yaml").write_text(NHS_CONFIG, encoding="utf-8")
    return folder / "nhs.yaml"


def demo_config(folder: Path) -> Path:
    """configs/demo.yaml with the preprocessing cache off (every run preprocesses), in `folder`."""
    import yaml

    base = ROOT / "configs"
    data = yaml.safe_load((base / "demo.yaml").read_text(encoding="utf-8"))
    for section, key in (("corpus", "path"), ("corpus", "metadata"), ("codebook", "path"), ("codings", "path")):
        data[section][key] = str((base / data[section][key]).resolve())
    data["cache"] = {"enabled": False}
    (folder / "demo.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder / "demo.yaml"


def raw_fits(prepared: Any) -> dict[str, float]:
    """Seconds of each model's raw library fit (same calls, same parameters as topicbook's
    adapters) on the prepared document-term matrix."""
    from gensim.matutils import Sparse2Corpus
    from gensim.models import LdaModel as GensimLda
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfTransformer

    from topicbook.models.base import ESTIMATORS
    from topicbook.models.params import config_params

    cfg = prepared.cfg
    dtm = prepared.dtm
    seed_topics = prepared.seed_topics()
    X = dtm.counts
    out = {}
    for model_cfg in cfg.models:
        params = config_params(model_cfg, ESTIMATORS[model_cfg.type])
        seeds = [w for _, w in seed_topics] if model_cfg.guided and seed_topics else None
        k = len(seeds) + model_cfg.extra_topics if seeds else model_cfg.n_topics
        start = time.perf_counter()
        if model_cfg.type == "lda":
            adapter = ESTIMATORS["lda"](**{**params, "n_topics": k, "seed_terms": seeds})
            chunksize = params["chunksize"] or max(16, min(2000, -(-X.shape[0] // 4)))
            common = dict(id2word=dict(enumerate(dtm.vocab)), num_topics=k, eta=adapter._prior(len(dtm.vocab)),
                          passes=params["passes"], iterations=params["iterations"], chunksize=chunksize,
                          random_state=cfg.seed, alpha=params["alpha"], update_every=1)
            corpus = Sparse2Corpus(X, documents_columns=False)
            if seeds:  # the seeded start: an empty model, then the same passes
                model = GensimLda(corpus=None, **common)
                model.update(corpus, passes=params["passes"], iterations=params["iterations"], chunksize=chunksize)
            else:
                GensimLda(corpus, **common)
        else:
            tfidf = TfidfTransformer(sublinear_tf=True).fit_transform(X) if params["input"] == "tfidf" else X.astype(float)
            NMF(n_components=k, init=params["init"], beta_loss=params["beta_loss"], solver="cd" if params["beta_loss"] == "frobenius" else "mu",
                l1_ratio=params["l1_ratio"], alpha_W=params["alpha_W"], alpha_H=params["alpha_H"], max_iter=params["max_iter"],
                random_state=cfg.seed).fit_transform(tfidf)
        out[model_cfg.label] = time.perf_counter() - start
    return out


def whole_run(config: Path, out: Path, threads: str, jobs: int) -> dict[str, Any]:
    """`topicbook run` in a subprocess: wall seconds, peak RSS (largest process) and stages."""
    before = set(out.iterdir()) if out.exists() else set()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([str(TOPICBOOK), "-q", "run", str(config), "--out", str(out), "--jobs", str(jobs),
                           "--threads", threads], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"topicbook run failed: {proc.stderr.strip()}")
    [folder] = sorted(set(out.iterdir()) - before)
    stages = json.loads((folder / "manifest.json").read_text())["timings_seconds"]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime  # the run and its worker processes
    return {"wall": wall, "cpu": cpu, "stages": stages, "peak_rss_mb": after.ru_maxrss / 1024}


def grouped(stages: dict[str, float]) -> dict[str, float]:
    """Stage seconds summed by kind (fit:lda_k10 + fit:nmf_k10 -> fit)."""
    out: dict[str, float] = {}
    for name, seconds in stages.items():
        kind = name.split(":")[0]
        out[kind] = out.get(kind, 0.0) + seconds
    return out


def bench_corpus(name: str, config: Path, repeats: int, threads: str, jobs: int) -> dict[str, Any]:
    from topicbook.config import load_config
    from topicbook.pipeline import prepare
    from topicbook.threads import resolve_threads, thread_limit

    prepared = prepare(load_config(config))
    X = prepared.dtm.counts
    data = {"segments": int(X.shape[0]), "terms": int(X.shape[1]), "tokens": int(X.sum()),
            "models": [m.label for m in prepared.cfg.models]}
    threads_used = resolve_threads(threads if threads == "auto" else int(threads), data["segments"], jobs)
    runs, fits, loads, fits_cpu = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            loads.append(os.getloadavg()[0])
            runs.append(whole_run(config, Path(tmp) / "runs", threads, jobs))
            cpu = time.process_time()
            with thread_limit(threads_used):  # the limit of the run's own process
                seconds = raw_fits(prepared)
            fits.append(seconds)
            fits_cpu.append(time.process_time() - cpu)
            log.info("%s %d: run %.1f s, raw fits %.1f s (%s)", name, i + 1, runs[-1]["wall"], sum(seconds.values()),
                     ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
    wall = statistics.median(r["wall"] for r in runs)
    fit_sum = statistics.median(sum(f.values()) for f in fits)
    stage_rows = [grouped(r["stages"]) for r in runs]
    kinds = list(dict.fromkeys(k for row in stage_rows for k in row))
    stages = {k: statistics.median(row.get(k, 0.0) for row in stage_rows) for k in kinds}
    # nested stages are not added twice: learned, learning_curve and suggestions are inside
    # agreement; explorer and figures inside write
    nested = {"learned", "learning_curve", "suggestions", "explorer", "figures"}
    covered = sum(v for k, v in stages.items() if k not in nested)
    return {"data": data, "repeats": repeats, "jobs": jobs, "threads_setting": threads,
            "threads_run_process": threads_used, "threads_workers": 1, "threads_raw_fits": threads_used,
            "wall_seconds": round(wall, 2), "wall_all": [round(r["wall"], 2) for r in runs],
            "raw_fits_seconds": round(fit_sum, 2), "raw_fits_all": [round(sum(f.values()), 2) for f in fits],
            "raw_fits_by_model": {k: round(statistics.median(f[k] for f in fits), 2) for k in fits[0]},
            "ratio_run_over_raw_fits": round(wall / fit_sum, 2),
            "run_cpu_seconds": round(statistics.median(r["cpu"] for r in runs), 2),
            "raw_fits_cpu_seconds": round(statistics.median(fits_cpu), 2),
            "stages_seconds": {k: round(v, 2) for k, v in stages.items()},
            "startup_and_rest_seconds": round(wall - covered, 2),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs)),
            "load_1min_at_starts": [round(v, 2) for v in loads]}


def bench_startup(repeats: int = 7) -> dict[str, Any]:
    """`topicbook --help` against `python -c pass`, alternating; medians."""
    def timed(cmd: list[str]) -> float:
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        return time.perf_counter() - start

    bare, helped = [], []
    for _ in range(repeats):
        bare.append(timed([sys.executable, "-c", "pass"]))
        helped.append(timed([str(TOPICBOOK), "--help"]))
    b, h = statistics.median(bare), statistics.median(helped)
    return {"python_pass_s": round(b, 3), "topicbook_help_s": round(h, 3), "over_bare_python_s": round(h - b, 3),
            "repeats": repeats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="demo,nhs", help="corpora, comma-separated (demo, nhs)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per corpus (demo; the NHS run repeats once fewer, at least 1)")
    parser.add_argument("--threads", default="auto", help="the runs' --threads (auto or a number)")
    parser.add_argument("--jobs", type=int, default=2, help="the runs' --jobs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("topicbook", "gensim"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    import topicbook

    out: dict[str, Any] = {
        "command": ("benchmarks/bench_run.py " + " ".join(sys.argv[1:])).strip(),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "topicbook": topicbook.__version__},
        "thread_environment": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "corpora": {}}
    with tempfile.TemporaryDirectory() as tmp:
        configs = {"demo": demo_config(Path(tmp))}
        if "nhs" in args.only.split(","):
            configs["nhs"] = nhs_config(Path(tmp))
        for name in args.only.split(","):
            repeats = args.repeats if name == "demo" else max(1, args.repeats - 2)
            out["corpora"][name] = bench_corpus(name, configs[name], repeats, args.threads, args.jobs)
    out["startup"] = bench_startup()
    previous = RESULTS / "run.json"
    if previous.exists() and set(out["corpora"]) != {"demo", "nhs"}:  # --only: keep the other corpus's figures
        kept = json.loads(previous.read_text())["corpora"]
        out["corpora"] = {**{k: v for k, v in kept.items() if k not in out["corpora"]}, **out["corpora"]}
        out["corpora"] = {k: out["corpora"][k] for k in ("demo", "nhs") if k in out["corpora"]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "run.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
