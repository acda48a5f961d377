"""Codebook recovery on real human-coded data: how well label-free scores find human codes.

NHS patient experience (../shared/corpora/nhs-patient-experience):
  v6 coded comments (empty and exact-duplicate texts dropped; comments that are verbatim
  examples of the v7 codebook dropped too, since the codebook would otherwise contain the
  answer), v7 codebook (definitions + examples), v6 -> v7 crosswalk (benchmarks/nhs_crosswalk.csv),
  codes with >= 30 positives. Respondents are split at random into a development half and a
  report half (all comments of one respondent in one half). Every setting of every method is
  fixed before looking at labels; the development half is reported too, and only the report
  half is quoted as the result.
PDPilot interviews: 91-code MAXQDA system (memos as definitions), 261 coded quotes mapped onto
  respondent turns; per-code agreement for codes with >= 10 segments.

Usage:  .venv/bin/python benchmarks/bench_recovery.py [--quick]
Writes: benchmarks/results/recovery.json
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from topicbook.codebook import Code, Codebook, seed_terms
from topicbook.codings import normalise
from topicbook.config import ModelConfig, PreprocessConfig
from topicbook.metrics import agreement
from topicbook.models import fit_model
from topicbook.preprocess import Preprocessor, vectorize
from topicbook.scoring import (
    combine_scores,
    dictionary_terms,
    keyword_scores,
    length_scores,
    selftrained_scores,
    similarity_scores,
    topic_scores,
)

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
NHS = CORPORA / "nhs-patient-experience"
PDP = CORPORA / "pdpilot-interviews"
RESULTS = ROOT / "benchmarks" / "results"
SEED = 42
MIN_POSITIVES = 30
log = logging.getLogger("bench_recovery")


# --------------------------------------------------------------------------- NHS data


def split_examples(text: str) -> list[str]:
    """The examples field of framework3 as single quotes: 'A', 'B' ... with Positive:/Negative: heads."""
    text = str(text or "")
    parts = re.split(r"(?<=[’'.!?\]])\s*[,;]?\s*(?=[‘'])|\n+", text)
    out = []
    for part in parts:
        part = re.sub(r"^\s*[A-Za-z/ ]{3,30}:\s*", "", part)  # "Negative/ wishlist: "
        part = part.strip().strip(",").strip().strip("‘’'\"").strip()
        if len(normalise(part)) >= 2:
            out.append(part)
    return out


def nhs_codebook() -> Codebook:
    frame = pd.read_csv(NHS / "derived" / "codebook_v7_framework3.csv")
    codes = []
    for rec in frame.to_dict("records"):
        codes.append(Code(id=rec["subcategory"], name=rec["subcategory"],
                          definition=str(rec["definition"] or ""),
                          examples=tuple(split_examples(rec["examples"]))))
    return Codebook("NHS patient experience v7", tuple(codes), "codebook_v7_framework3.csv")


def nhs_data() -> tuple[pd.DataFrame, pd.DataFrame, Codebook, dict]:
    """Comments (id, respondent, text) and their v7 labels (bool frame), the codebook, counts."""
    raw = pd.read_csv(NHS / "original" / "pxtextmining" / "datasets" / "v6framework_230831.csv")
    cross = pd.read_csv(ROOT / "benchmarks" / "nhs_crosswalk.csv", keep_default_na=False)
    codebook = nhs_codebook()
    text = raw["FFT answer"].fillna("").astype(str).str.strip()
    counts = {"rows": len(raw), "empty": int((text == "").sum())}
    keep = (text != "") & ~text.duplicated()
    counts["exact_duplicates"] = int(((text != "") & text.duplicated()).sum())
    example_norms = {normalise(e) for c in codebook.codes for e in c.examples}
    is_example = text.map(lambda t: normalise(t) in example_norms)
    counts["verbatim_codebook_examples"] = int((keep & is_example).sum())
    keep &= ~is_example
    labels = pd.DataFrame(False, index=raw.index, columns=codebook.ids())
    for rec in cross.to_dict("records"):
        if rec["v7_code"]:
            labels[rec["v7_code"]] |= pd.to_numeric(raw[rec["v6_label"]], errors="coerce").fillna(0) > 0
    comments = pd.DataFrame({"id": raw["Comment ID"].astype(str), "respondent": raw["Respondent ID"].astype(str),
                             "text": text})[keep].reset_index(drop=True)
    labels = labels[keep].reset_index(drop=True)
    counts["comments"] = len(comments)
    return comments, labels, codebook, counts


def nhs_rules(codebook: Codebook) -> dict[str, list[str]]:
    """pxtextmining's keyword rules, mapped through the crosswalk onto v7 codes."""
    data = json.loads((NHS / "derived" / "keyword_rules_and_hierarchy.json").read_text())
    cross = pd.read_csv(ROOT / "benchmarks" / "nhs_crosswalk.csv", keep_default_na=False)
    to_v7 = {r["v6_label"]: r["v7_code"] for r in cross.to_dict("records")}
    rules: dict[str, list[str]] = {}
    for label, words in data["rules_dict"].items():
        code = label if label in codebook.ids() else to_v7.get(label, "")
        if code:
            rules.setdefault(code, []).extend(words)
    return rules


def rule_scores(texts: list[str], rules: dict[str, list[str]], code_ids: list[str]) -> np.ndarray:
    """pxtextmining's rule semantics: a keyword hits when it is a substring of the lowercased text."""
    out = np.zeros((len(texts), len(code_ids)))
    lowered = [t.lower() for t in texts]
    for c, code in enumerate(code_ids):
        for word in rules.get(code, []):
            out[:, c] += [word in t for t in lowered]
    return out


# --------------------------------------------------------------------------- methods


def fit(cfg: ModelConfig, dtm, seeds_list=None):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    model = fit_model(cfg, dtm, SEED, seeds_list)
    log.info("fitted %s in %.1f s", cfg.label, time.perf_counter() - start)
    return model


def hungarian_topics(model, dtm, codebook, seeds) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Each code's topic by the Hungarian pairing on the alignment similarity (no threshold)."""
    from scipy.optimize import linear_sum_assignment

    from topicbook.align import align

    al = align(model, dtm, codebook, seeds, threshold=0.0, quotes=0)
    rows, cols = linear_sum_assignment(-al.similarity)
    return {al.code_ids[c]: int(k) for k, c in zip(rows, cols, strict=True)}


def evaluate_methods(methods: dict[str, np.ndarray], labels: np.ndarray, lengths: np.ndarray,
                     code_ids: list[str], halves: dict[str, np.ndarray], min_positives: int) -> dict:
    out = {}
    for name, scores in methods.items():
        out[name] = {}
        for half, mask in halves.items():
            res = agreement(scores, labels, lengths, code_ids, evaluate=mask, min_positives=min_positives).to_json()
            res.pop("confusion")
            out[name][half] = res
    return out


def nhs_prepared() -> dict:
    """The NHS comments as every benchmark models them: the Preprocessor and matrix, the texts,
    labels and respondents of the matrix rows, the codes evaluated (>= MIN_POSITIVES), and the
    development half of respondents (seeded split, all comments of one respondent in one half)."""
    comments, label_frame, codebook, counts = nhs_data()
    texts = comments["text"].tolist()
    pre_cfg = PreprocessConfig(lemmatize="lemma", stopwords=True, phrases=True, min_df=2, max_df=0.5)
    pre = Preprocessor(pre_cfg, language="en")
    tokens = pre.fit_transform(texts)
    dtm = vectorize(tokens, comments["id"].tolist(), pre_cfg, pre.report)
    rows = {s: i for i, s in enumerate(comments["id"])}
    idx = np.array([rows[s] for s in dtm.segment_ids])
    labels = label_frame.to_numpy()[idx]
    respondents = comments["respondent"].to_numpy()[idx]
    code_ids = codebook.ids()
    pos = labels.sum(axis=0)
    evaluated = [c for c, n in zip(code_ids, pos, strict=True) if n >= MIN_POSITIVES]
    log.info("NHS: %d comments modelled, %d codes with >= %d positives", len(idx), len(evaluated), MIN_POSITIVES)
    rng = np.random.default_rng(SEED)
    people = np.array(sorted(set(respondents)))
    dev_people = set(rng.choice(people, size=len(people) // 2, replace=False).tolist())
    dev = np.array([r in dev_people for r in respondents])
    return {"codebook": codebook, "counts": counts, "pre": pre, "dtm": dtm, "texts": [texts[i] for i in idx],
            "labels": labels, "respondents": respondents, "evaluated": evaluated, "people": people, "dev": dev}


def run_nhs(quick: bool) -> dict:
    t0 = time.perf_counter()
    data = nhs_prepared()
    codebook, counts, pre, dtm = data["codebook"], data["counts"], data["pre"], data["dtm"]
    labels, evaluated, people, dev = data["labels"], data["evaluated"], data["people"], data["dev"]
    code_ids = codebook.ids()
    pos = labels.sum(axis=0)
    idx = np.arange(len(dtm.segment_ids))
    # development / report halves by respondent
    halves = {"development": dev, "report": ~dev, "all": np.ones(len(dev), dtype=bool)}

    seeds = seed_terms(codebook, dtm.vocab, pre.transform)
    seed_list = [(c, seeds.weights[c]) for c in code_ids if seeds.weights.get(c)]
    lengths = np.asarray(dtm.counts.sum(axis=1)).ravel().astype(float)
    methods: dict[str, np.ndarray] = {}
    timings: dict[str, float] = {}

    def timed(name, fn):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        value = fn()
        timings[name] = round(time.perf_counter() - start, 2)
        return value

    seg_texts = data["texts"]
    methods["similarity_words"] = timed("similarity_words", lambda: similarity_scores(dtm, codebook, pre.transform))
    sim = timed("similarity", lambda: similarity_scores(dtm, codebook, pre.transform, seg_texts))
    methods["similarity"] = sim
    methods["selftrained"] = timed("selftrained", lambda: selftrained_scores(dtm, seg_texts, sim, seed=SEED))
    methods["keywords_top10"] = keyword_scores(dtm, dictionary_terms(codebook, seeds, 10), code_ids)
    rules = nhs_rules(codebook)
    rule = rule_scores(seg_texts, rules, code_ids)
    # keyword rules where pxtextmining has them, top-10 seed terms elsewhere
    methods["keywords_rules"] = np.where([c in rules for c in code_ids], rule, methods["keywords_top10"])
    methods["length"] = length_scores(dtm, len(code_ids))
    k = len(code_ids)
    passes = 5 if quick else 10
    models = {
        "guided_lda": ModelConfig(type="lda", guided=True, extra_topics=3, passes=passes, iterations=100),
        "guided_nmf": ModelConfig(type="nmf", guided=True, extra_topics=3),
        "lda": ModelConfig(type="lda", n_topics=k, passes=passes, iterations=100),
        "nmf": ModelConfig(type="nmf", n_topics=k),
    }
    for name, cfg in models.items():
        model = timed(name, lambda cfg=cfg: fit(cfg, dtm, seed_list if cfg.guided else None))
        if cfg.guided:
            code_topic = {c: t for t, c in model.seeded_codes.items()}
        else:
            code_topic = hungarian_topics(model, dtm, codebook, seeds)
        methods[name] = topic_scores(model.doc_topic, code_topic, code_ids)
        methods[f"combined:{name}"] = combine_scores(sim, methods[name])
    results = evaluate_methods(methods, labels, lengths, code_ids, halves, MIN_POSITIVES)
    return {
        "data": {**counts, "modelled": int(len(idx)), "respondents": int(len(people)),
                 "codes_evaluated": evaluated, "positives": {c: int(n) for c, n in zip(code_ids, pos, strict=True)},
                 "development_comments": int(dev.sum()), "report_comments": int((~dev).sum())},
        "methods": results, "seconds": timings, "total_seconds": round(time.perf_counter() - t0, 1),
    }


# --------------------------------------------------------------------------- PDPilot


def pdpilot_codebook() -> Codebook:
    frame = pd.read_csv(PDP / "text" / "code_system.csv", keep_default_na=False)
    codes = []
    for rec in frame.to_dict("records"):
        parent = rec["parent_path"].strip()
        code_id = f"{parent} > {rec['code']}" if parent else rec["code"]
        codes.append(Code(id=code_id, name=rec["code"], definition=rec["memo"], parent=parent or None))
    return Codebook("PDPilot code system", tuple(codes), "code_system.csv")


def pdpilot_prepared() -> dict:
    """The PDPilot participant turns as every benchmark models them: codebook, corpus, turns,
    Preprocessor and matrix, the texts of the matrix rows, and the coded quotes mapped onto them."""
    from topicbook.codings import read_codings
    from topicbook.config import CorpusConfig, SegmentConfig, SpeakersConfig
    from topicbook.ingest import read_corpus
    from topicbook.segment import segment_corpus

    codebook = pdpilot_codebook()
    corpus = read_corpus(CorpusConfig(path=PDP / "text", include=["P*.txt"]))
    segmentation = segment_corpus(corpus, SpeakersConfig(interviewer=["Dan"], keep="respondent"), SegmentConfig(unit="turn", min_tokens=0))
    pre_cfg = PreprocessConfig(min_df=2, max_df=0.5)
    pre = Preprocessor(pre_cfg, language="en")
    segments = segmentation.segments
    tokens = pre.fit_transform([s.text for s in segments])
    dtm = vectorize(tokens, [s.id for s in segments], pre_cfg, pre.report)
    codings = pd.read_csv(PDP / "text" / "coded_segments.csv")
    tmp = RESULTS / "_pdpilot_codings.csv"
    pd.DataFrame({"document": codings["participant"], "code": codings["code_path"], "text": codings["segment"]}).to_csv(tmp, index=False)
    try:
        human = read_codings(tmp, documents={d.id: d.text for d in corpus.documents}, segments=segments,
                             segment_ids=dtm.segment_ids, codebook=codebook)
    finally:
        tmp.unlink()
    texts = [seg.text for seg in segments if seg.id in set(dtm.segment_ids)]
    return {"codebook": codebook, "corpus": corpus, "segments": segments, "pre": pre, "dtm": dtm,
            "texts": texts, "human": human}


def run_pdpilot() -> dict:
    data = pdpilot_prepared()
    codebook, pre, dtm, texts, human = data["codebook"], data["pre"], data["dtm"], data["texts"], data["human"]
    seeds = seed_terms(codebook, dtm.vocab, pre.transform)
    lengths = np.asarray(dtm.counts.sum(axis=1)).ravel().astype(float)
    sim = similarity_scores(dtm, codebook, pre.transform, texts)
    methods = {"similarity": sim, "selftrained": selftrained_scores(dtm, texts, sim, seed=SEED),
               "keywords_top10": keyword_scores(dtm, dictionary_terms(codebook, seeds, 10), codebook.ids()),
               "length": length_scores(dtm, len(codebook))}
    out = {}
    for name, scores in methods.items():
        res = agreement(scores, human.labels, lengths, codebook.ids(), min_positives=10)
        res.pop("confusion")
        out[name] = res
    summary = human.summary()
    summary.pop("unmatched_codings")
    return {"data": {"segments": len(dtm.segment_ids), **summary,
                     "unmatched_examples": human.unmatched[:5]}, "methods": out}


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer LDA passes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import sklearn

    import topicbook

    out = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                       "topicbook": topicbook.__version__, "scikit-learn": sklearn.__version__,
                       "numpy": np.__version__, "pandas": pd.__version__},
           "command": "benchmarks/bench_recovery.py" + (" --quick" if args.quick else ""),
           "nhs": run_nhs(args.quick), "pdpilot": run_pdpilot()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recovery.json").write_text(json.dumps(out, indent=1))
    for half in ("development", "report"):
        print(f"NHS ({half} half) method: macro ROC AUC / micro F1 at prevalence / top-1 macro F1 / length floor")
        for name, res in out["nhs"]["methods"].items():
            r = res[half]
            print(f"  {name:22s} {r['macro_roc_auc']:.3f}  {r['micro_f1']:.3f}  {r['top1_macro_f1']:.3f}  {r['length_floor_auc']:.3f}")
    print("PDPilot (codes with >= 10 segments):")
    for name, r in out["pdpilot"]["methods"].items():
        print(f"  {name:22s} codes {r['n_codes']}  macro AUC {r['macro_roc_auc']}  micro F1 {r['micro_f1']}")


if __name__ == "__main__":
    main()
