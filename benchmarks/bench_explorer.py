"""Explorer page size and load time in headless chromium: the demo run, a PDPilot run (91 codes)
and a SOTU-paragraph run.

For each run: seconds to compute the explorer data and render the page, the page's size (and
how much of it is transcripts, pyLDAvis data and inlined scripts), and the load time in
headless chromium from file:// (navigation start to the page's `data-ready` mark, and to a
drawn pyLDAvis SVG). Baseline in the same run: pyLDAvis.prepare with its defaults (mds='pcoa',
n_jobs=-1, sort_topics=True) on the same matrices, against our prepare (own PCoA, n_jobs=1,
sort_topics=False).

    .venv/bin/python benchmarks/bench_explorer.py [--sotu-rows N]

Target: the SOTU page is ready (its script has rendered every view) within READY_TARGET_MS.

Writes benchmarks/results/explorer.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import logging
import platform
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SOTU = REPO.parent / "shared" / "corpora" / "sotu" / "sotu_paragraphs.csv.gz"
PDPILOT = REPO.parent / "shared" / "corpora" / "pdpilot-interviews"
READY_TARGET_MS = 1500
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

log = logging.getLogger("bench_explorer")


def sotu_config(root: Path, rows: int | None) -> Path:
    """A table corpus of SOTU paragraphs (id = doc_id-para_no) and a config for it."""
    import pandas as pd

    with gzip.open(SOTU, "rt", encoding="utf-8") as handle:
        frame = pd.read_csv(handle)
    if rows:
        frame = frame.head(rows)
    frame.insert(0, "id", frame["doc_id"].astype(str) + "-" + frame["para_no"].astype(str))
    frame.to_csv(root / "sotu.csv", index=False)
    (root / "sotu.yaml").write_text(
        """\
name: sotu-paragraphs
seed: 42
corpus: {path: sotu.csv, id_column: id, text_column: text}
segment: {unit: paragraph, min_tokens: 0}
preprocess: {phrases: false, min_df: 5, max_df: 0.5}
models:
  - {type: lda, n_topics: 20, passes: 2, iterations: 50}
  - {type: nmf, n_topics: 20}
evaluate: {stability_seeds: 0}
cache: {enabled: false}
report: {quotes_per_topic: 5}
""", encoding="utf-8")
    return root / "sotu.yaml"


def pdpilot_config(root: Path) -> Path:
    """The README's PDPilot walk-through (PDF transcripts, 91 MAXQDA codes, the coded segments)
    with the two unguided models and no stability re-fits."""
    (root / "pdpilot.yaml").write_text(f"""\
name: pdpilot
seed: 42
corpus: {{path: "{PDPILOT / 'original' / 'transcripts'}", include: ["*.pdf"], language: en, remove_page_break_repeats: true}}
speakers: {{interviewer: [Dan], keep: respondent}}
segment: {{unit: turn, min_tokens: 15}}
models:
  - {{type: lda, n_topics: 10}}
  - {{type: nmf, n_topics: 10}}
codebook: {{path: "{PDPILOT / 'text' / 'code_system.csv'}"}}
codings: {{path: "{PDPILOT / 'text' / 'coded_segments.csv'}"}}
evaluate: {{stability_seeds: 0}}
cache: {{enabled: false}}
""", encoding="utf-8")
    return root / "pdpilot.yaml"


def measure(config: Path, out_dir: Path, browser, demo: bool) -> dict:  # type: ignore[no-untyped-def]
    from topicbook.config import load_config
    from topicbook.pipeline import analyse, fit_all, prepare
    from topicbook.report.explorer import explorer_data, render_explorer_html

    cfg = load_config(config)
    if demo:
        cfg = dataclasses.replace(cfg, cache=dataclasses.replace(cfg.cache, enabled=False),
                                  evaluate=dataclasses.replace(cfg.evaluate, stability_seeds=0))
    t0 = time.perf_counter()
    prepared = prepare(cfg)
    result = analyse(prepared, fit_all(prepared))
    pipeline_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    data = explorer_data(result, cfg.name)
    data_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    html = render_explorer_html(data)
    render_s = time.perf_counter() - t0
    page = out_dir / f"{cfg.name}.html"
    page.write_text(html, encoding="utf-8")

    # baseline: pyLDAvis.prepare with its defaults on the same matrices, and ours
    import pyLDAvis

    from topicbook.report.ldavis import prepare_ldavis

    dtm, model = prepared.dtm, result.models[0]
    lengths = np.asarray(dtm.counts.sum(axis=1)).ravel().astype(float)
    freq = np.asarray(dtm.counts.sum(axis=0)).ravel().astype(float)
    t0 = time.perf_counter()
    with np.errstate(divide="ignore"):
        pyLDAvis.prepare(model.topic_term, model.doc_topic, lengths, list(dtm.vocab), freq)
    default_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with np.errstate(divide="ignore"):
        prepare_ldavis(model.topic_term, model.doc_topic, lengths, dtm.vocab, freq)
    ours_s = time.perf_counter() - t0

    sizes = {
        "page_bytes": len(html.encode("utf-8")),
        "transcripts_bytes": len(json.dumps(data["segments"], ensure_ascii=False).encode("utf-8")),
        "ldavis_data_bytes": sum(len(json.dumps(m["ldavis"]).encode("utf-8")) for m in data["models"]),
        "documents_bytes": len(json.dumps(data["documents"], ensure_ascii=False).encode("utf-8")),
    }
    loads = []
    for _ in range(3):
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        tab.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        t0 = time.perf_counter()
        tab.goto(page.resolve().as_uri())
        tab.wait_for_selector("body[data-ready='1']", timeout=120_000)
        ready_ms = tab.evaluate("performance.now()")
        wall_ready = time.perf_counter() - t0
        tab.click("button[data-view='map']")
        tab.wait_for_selector("#ldavis-host svg", timeout=120_000)
        map_ms = tab.evaluate("performance.now()")
        loads.append({"ready_ms": round(ready_ms), "map_drawn_ms": round(map_ms), "wall_ready_s": round(wall_ready, 3),
                      "errors": errors})
        tab.close()
    return {
        "run": cfg.name,
        "documents": len(prepared.corpus), "segments": len(prepared.segmentation.segments),
        "vocabulary": len(dtm.vocab), "models": [m.name for m in result.models],
        "transcripts_embedded": data["run"]["embedded_all_segments"],
        "segments_embedded": data["run"]["segments_embedded"],
        "pipeline_s": round(pipeline_s, 2), "explorer_data_s": round(data_s, 2), "render_s": round(render_s, 3),
        "pyldavis_prepare_default_s": round(default_s, 3), "pyldavis_prepare_ours_s": round(ours_s, 3),
        **sizes, "page_mb": round(sizes["page_bytes"] / 1e6, 2),
        "load": loads, "median_ready_ms": int(np.median([x["ready_ms"] for x in loads])),
        "median_map_drawn_ms": int(np.median([x["map_drawn_ms"] for x in loads])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sotu-rows", type=int, default=None, help="only the first N paragraphs (default: all)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from playwright.sync_api import sync_playwright

    results = {"machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                           "platform": platform.platform()},
               "versions": {p: version(p) for p in ("topicbook", "pyLDAvis", "playwright", "numpy", "gensim", "scikit-learn")},
               "runs": []}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        root = Path(tmp)
        results["runs"].append(measure(REPO / "configs" / "demo.yaml", root, browser, demo=True))
        print(json.dumps(results["runs"][-1], indent=1))
        results["runs"].append(measure(pdpilot_config(root), root, browser, demo=False))
        print(json.dumps(results["runs"][-1], indent=1))
        results["runs"].append(measure(sotu_config(root, args.sotu_rows), root, browser, demo=False))
        print(json.dumps(results["runs"][-1], indent=1))
        results["ready_target_ms"] = READY_TARGET_MS
        results["target_met"] = results["runs"][-1]["median_ready_ms"] <= READY_TARGET_MS
        browser.close()
    out = REPO / "benchmarks" / "results" / "explorer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
