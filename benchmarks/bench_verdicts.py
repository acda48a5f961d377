"""Evidence-based verdicts against human coding, beside today's per-model rule (align).

Corpora (benchmarks/verdict_data.py): the demo (reference codings of I01-I10), PDPilot (7
interviews, 91-code MAXQDA system, coded quotes by code path) and 2,500-comment samples of the
NHS comments from each half of the respondents (bench_recovery.py's split). Each codebook gets 5
planted decoy codes from unrelated domains, and every corpus runs twice: full codebook and
names only.

Settings of topicbook.verdicts (rounds 1-5) were chosen on the NHS *development* half only (its codebook gets
10 more development-only decoys, verdict_data.DEV_DECOYS, counted apart; rounds 4 and 5 on five
development samples, `--development-samples`, by the worst case); the demo, PDPilot and the NHS
*report* half are reported with those settings unchanged. Every corpus is scored six ways in
the same run: today's method (round 5), round 4's, round 3's, round 2's and round 1's (the same
package with the later rules switched off or set back: round_4_settings, round_3_settings,
round_2_settings, round_1_settings) and the per-model rule of align.

Figures per corpus and codebook variant: well-used codes (>= 20 human-coded segments in >= 2
documents; also >= 5, since the demo and PDPilot have few such codes) called present / absent;
decoys called present; codes without a status in some model; mean match precision (share of the
topic's top-10 segments that humans coded with the code) over the mean base rate. Baseline: the
per-model rule of topicbook.align (not found = no topic correlates >= 0.25 with the code's
seed-term density; a decoy counts as present when it is not "not found").

Usage:  .venv/bin/python benchmarks/bench_verdicts.py [--quick | --development | --development-samples]
Writes: benchmarks/results/verdicts.json (--development: verdicts_development.json;
--development-samples: verdicts_development_samples.json)
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verdict_data import (  # noqa: E402
    SEED,
    BenchCorpus,
    load_demo,
    load_nhs,
    load_pdpilot,
    pin_blas_threads,
    with_dev_decoys,
)

RESULTS = Path(__file__).resolve().parent / "results"
THRESHOLDS = (20, 5)
NHS_SAMPLE = 2500
# Round 4's development samples: (sampling seed, part). The half has 2,681 comments, so the three
# 2,500-comment samples overlap in most comments; the two parts (None = a 2,500 sample) are
# disjoint halves of it (1,340 comments each).
DEV_SAMPLES = ((43, None), (44, None), (45, None), (46, 0), (46, 1))
STABILITY_SEEDS = 3
log = logging.getLogger("bench_verdicts")


def fit_models(corpus: BenchCorpus, seeds, quick: bool):  # type: ignore[no-untyped-def]
    """The corpus's models and their stability re-fits (same cells as a run's stability)."""
    import dataclasses

    from topicbook.models import fit_model
    from topicbook.stability import stability_refits

    seed_topics = [(c, seeds.weights[c]) for c in corpus.codebook.ids() if seeds.weights.get(c)]
    configs = [dataclasses.replace(m, passes=min(m.passes, 5)) if quick and m.type == "lda" else m for m in corpus.models]
    start = time.perf_counter()
    models = [fit_model(m, corpus.dtm, SEED, seed_topics if m.guided else None) for m in configs]
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    refits = stability_refits(configs, corpus.dtm, SEED, 1 if quick else STABILITY_SEEDS, seed_topics)
    return models, refits, fit_s, time.perf_counter() - start


def well_used(corpus: BenchCorpus, minimum: int) -> list[int]:
    """Codes (not decoys) with >= minimum human-coded segments in >= 2 documents."""
    docs = np.asarray(corpus.documents)
    y = corpus.labels & corpus.coded[:, None]
    return [c for c, code in enumerate(corpus.codebook.codes)
            if code.id not in corpus.decoys and y[:, c].sum() >= minimum and len(set(docs[y[:, c]])) >= 2]


def match_precision(theta: np.ndarray, topic: int, code: int, corpus: BenchCorpus) -> tuple[float, float]:
    rows = np.flatnonzero(corpus.coded)
    top = rows[np.argsort(-theta[rows, topic], kind="stable")[:10]]
    return float(corpus.labels[top, code].mean()), float(corpus.labels[rows, code].mean())


def ratio(pairs: list[tuple[float, float]]) -> dict:
    if not pairs:
        return {"matches": 0, "mean_precision": None, "mean_base_rate": None, "ratio": None}
    p, b = float(np.mean([x[0] for x in pairs])), float(np.mean([x[1] for x in pairs]))
    return {"matches": len(pairs), "mean_precision": round(p, 4), "mean_base_rate": round(b, 4),
            "ratio": round(p / b, 2) if b > 0 else None}


def round_1_settings():  # type: ignore[no-untyped-def]
    """Round 1's method: the round-2 to round-4 rules switched off (present_quantile back to 0.8)."""
    from topicbook.verdicts import PresenceSettings, StructureSettings

    return (PresenceSettings(present_quantile=0.8, relative_coverage=None, full_coverage=None, family_share=None),
            StructureSettings(match_fdr=None, quote_fdr=None, lead_ratio=None, split_quotes=False))


def round_2_settings():  # type: ignore[no-untyped-def]
    """Round 2's method: the round-3 and round-4 rules (leading codes only, split over quoted topics) switched off."""
    from topicbook.verdicts import PresenceSettings, StructureSettings

    return (PresenceSettings(present_quantile=0.8, family_share=None),
            StructureSettings(lead_ratio=None, split_quotes=False, split_quote_similarity=None))


def round_3_settings():  # type: ignore[no-untyped-def]
    """Round 3's method: presence above the 0.8 quantile, leading codes within 0.6, split over quoted topics without a similarity floor."""
    from topicbook.verdicts import PresenceSettings, StructureSettings

    return PresenceSettings(present_quantile=0.8, family_share=None), StructureSettings(lead_ratio=0.6, split_quote_similarity=None)


def round_4_settings():  # type: ignore[no-untyped-def]
    """Round 4's method: today's without the word-family route of presence (round 5)."""
    from topicbook.verdicts import PresenceSettings, StructureSettings

    return PresenceSettings(family_share=None), StructureSettings()


def method_figures(table, models, corpus: BenchCorpus, decoys: list[int], dev_decoys: list[int]) -> dict:  # type: ignore[no-untyped-def]
    """Presence counts, decoys present, statuses and match precision of one verdict table."""
    ids = corpus.codebook.ids()
    pres = [v.presence for v in table.presence]
    out: dict = {"presence_counts": table.counts(), "decoys_present": sum(pres[c] == "present" for c in decoys),
                 "decoys_uncertain": sum(pres[c] == "uncertain" for c in decoys),
                 "codes_without_status": sum(any(m.codes[c].status not in
                                                 ("own_topic", "split", "merged", "present_without_topic", "absent")
                                                 for m in table.models) for c in range(len(ids))),
                 "per_model": {}}
    if dev_decoys:
        out["dev_decoys"] = len(dev_decoys)
        out["dev_decoys_present"] = sum(pres[c] == "present" for c in dev_decoys)
        out["dev_decoys_present_ids"] = [ids[c] for c in dev_decoys if pres[c] == "present"]
    pairs_all = []
    for m, st in zip(models, table.models, strict=True):
        pairs = [match_precision(m.doc_topic, k, c, corpus) for c, cs in enumerate(st.codes)
                 if cs.status in ("own_topic", "split", "merged") for k in cs.topics]
        pairs_all += pairs
        statuses = [cs.status for cs in st.codes]
        out["per_model"][m.name] = {"statuses": {s: statuses.count(s) for s in sorted(set(statuses))},
                                    "unstable": sum(cs.unstable for cs in st.codes),
                                    "topics": {s: sum(t.status == s for t in st.topics) for s in ("carries_codes", "explained", "emergent", "procedural")},
                                    "procedural_topics": [_top_terms(m, t.topic, corpus) for t in st.topics if t.status == "procedural"],
                                    "match_precision": ratio(pairs)}
    out["match_precision"] = ratio(pairs_all)
    human_present = [c for c in range(len(ids)) if ids[c] not in corpus.decoys and c not in dev_decoys
                     and (corpus.labels[:, c] & corpus.coded).any()]
    out["human_used_codes"] = {"codes": len(human_present), **{p: sum(pres[c] == p for c in human_present) for p in PRESENCE}}
    return out


PRESENCE = ("present", "uncertain", "absent")


def evaluate(corpus: BenchCorpus, quick: bool) -> dict:
    from topicbook.align import align
    from topicbook.codebook import seed_terms
    from topicbook.verdicts import verdict_table

    seeds = seed_terms(corpus.codebook, corpus.dtm.vocab, corpus.transform)
    models, refits, fit_s, refit_s = fit_models(corpus, seeds, quick)
    tables, seconds = {}, {}
    r1_presence, r1_structure = round_1_settings()
    r2_presence, r2_structure = round_2_settings()
    r3_presence, r3_structure = round_3_settings()
    r4_presence, r4_structure = round_4_settings()
    for method, kw in (("ours", {}), ("round1", {"presence_settings": r1_presence, "structure_settings": r1_structure}),
                       ("round2", {"presence_settings": r2_presence, "structure_settings": r2_structure}),
                       ("round3", {"presence_settings": r3_presence, "structure_settings": r3_structure}),
                       ("round4", {"presence_settings": r4_presence, "structure_settings": r4_structure})):
        start = time.perf_counter()
        tables[method] = verdict_table(corpus.dtm, corpus.codebook, corpus.transform, corpus.documents, models,
                                       refits=refits, language=corpus.language, labels=corpus.labels,
                                       coded=corpus.coded, **kw)
        seconds[method] = time.perf_counter() - start
    ids = corpus.codebook.ids()
    decoys = [ids.index(d) for d in corpus.decoys]
    dev_decoys = [ids.index(d) for d in corpus.notes.get("dev_decoys", [])]
    out: dict = {"segments": int(corpus.dtm.counts.shape[0]), "terms": int(corpus.dtm.n_terms),
                 "documents": len(set(corpus.documents)), "codes": len(ids), "seconds": {
                     "fits": round(fit_s, 2), "refits": round(refit_s, 2), "verdicts": round(seconds["ours"], 2),
                     "verdicts_round1": round(seconds["round1"], 2), "verdicts_round2": round(seconds["round2"], 2),
                     "verdicts_round3": round(seconds["round3"], 2), "verdicts_round4": round(seconds["round4"], 2)},
                 "well_used": {}, "decoys": list(corpus.decoys), "notes": corpus.notes}
    figures = {method: method_figures(t, models, corpus, decoys, dev_decoys) for method, t in tables.items()}
    pres = {method: [v.presence for v in t.presence] for method, t in tables.items()}
    baseline: dict = {}
    for m in models:
        al = align(m, corpus.dtm, corpus.codebook, seeds, threshold=0.25, quotes=0)
        nf = set(al.not_found)
        pairs = [match_precision(m.doc_topic, k, ids.index(c), corpus) for c, k in al.matches.items()]
        pairs += [match_precision(m.doc_topic, k, ids.index(c), corpus) for c, ks in al.splits.items() for k in ks]
        pairs += [match_precision(m.doc_topic, k, ids.index(c), corpus) for k, cs in al.merges.items() for c in cs]
        baseline[m.name] = {"not_found": len(nf), "decoys_present": sum(ids[c] not in nf for c in decoys),
                            "codes_without_status": sum(not al.code_status(c) for c in ids),
                            "match_precision": ratio(pairs), "_not_found": nf}
    for minimum in THRESHOLDS:
        codes = well_used(corpus, minimum)
        entry: dict = {"codes": len(codes),
                       "baseline_not_found": {name: sum(ids[c] in b["_not_found"] for c in codes) for name, b in baseline.items()}}
        for method, p in pres.items():
            prefix = "ours" if method == "ours" else method
            entry[f"{prefix}_present"] = sum(p[c] == "present" for c in codes)
            entry[f"{prefix}_absent"] = sum(p[c] == "absent" for c in codes)
            entry[f"{prefix}_uncertain"] = sum(p[c] == "uncertain" for c in codes)
            entry[f"{prefix}_absent_codes" if method != "ours" else "absent_codes"] = [ids[c] for c in codes if p[c] == "absent"]
            entry[f"{prefix}_not_present_codes"] = [ids[c] for c in codes if p[c] != "present"]
        out["well_used"][str(minimum)] = entry
    for b in baseline.values():
        b.pop("_not_found")
    out["ours"], out["round1"], out["round2"], out["round3"], out["round4"], out["baseline"] = (
        figures["ours"], figures["round1"], figures["round2"], figures["round3"], figures["round4"], baseline)
    out["decoy_verdicts"] = {ids[c]: {"presence": pres["ours"][c], "round1": pres["round1"][c],
                                      "support": tables["ours"].presence[c].support,
                                      "expected_false": tables["ours"].presence[c].expected_false,
                                      "coverage": tables["ours"].presence[c].coverage,
                                      "evidence_terms": list(tables["ours"].presence[c].evidence_terms),
                                      "reason": tables["ours"].presence[c].reason} for c in decoys + dev_decoys}
    return out


def scale_in_codes(n_segments: int = 64, sizes: tuple[int, ...] = (1000, 10000)) -> dict:
    """Seconds of evidence + presence + structure (one NMF model, 2 re-fits) for codebooks of
    `sizes` codes over `n_segments` synthetic segments (words drawn from a Zipf vocabulary of
    2,000 terms; codes: a name of 1-3 words and half of them a definition of 6-12 words)."""
    import dataclasses

    from topicbook.codebook import Code, Codebook
    from topicbook.config import ModelConfig, PreprocessConfig
    from topicbook.models import fit_model
    from topicbook.preprocess import Preprocessor, vectorize
    from topicbook.stability import stability_refits
    from topicbook.verdicts import evidence, presence, structure

    rng = np.random.default_rng(SEED)
    letters = "bcdfghjklmnpqrstvwxz"
    words = ["".join(letters[(i // 20 ** j) % 20] + "aeiou"[(i // 5 ** j) % 5] for j in range(3)) for i in range(2000)]
    p = 1 / np.arange(1, len(words) + 1)
    p /= p.sum()
    texts = [" ".join(rng.choice(words, size=60, p=p)) for _ in range(n_segments)]
    cfg = PreprocessConfig(min_df=2, max_df=0.9, phrases=False, stopwords=False, lemmatize="none")
    pre = Preprocessor(cfg, language="en")
    dtm = vectorize(pre.fit_transform(texts), [f"s{i}" for i in range(n_segments)], cfg, pre.report)
    documents = [f"d{i // 8}" for i in range(n_segments)]
    model_cfg = ModelConfig(type="nmf", n_topics=4)
    model = fit_model(model_cfg, dtm, SEED)
    refits = stability_refits([model_cfg], dtm, SEED, 2)[model_cfg.label]
    out = {"segments": n_segments, "terms": dtm.n_terms, "seconds": {}}
    for n_codes in sizes:
        codes = tuple(Code(id=f"c{i}", name=" ".join(rng.choice(words, size=int(rng.integers(1, 4)))),
                           definition=" ".join(rng.choice(words, size=int(rng.integers(6, 13)))) if i % 2 else "")
                      for i in range(n_codes))
        codebook = Codebook("scale", codes)
        start = time.perf_counter()
        ev = evidence(dtm, codebook, pre.transform, documents)
        verdicts = presence(ev, codebook)
        mid = time.perf_counter()
        structure(dataclasses.replace(model), ev, verdicts, refits=refits)
        end = time.perf_counter()
        out["seconds"][str(n_codes)] = {"presence": round(mid - start, 2), "structure": round(end - mid, 2),
                                        "total": round(end - start, 2)}
        log.info("   scale: %d codes over %d segments: %.1f s", n_codes, n_segments, end - start)
    return out


def _top_terms(model, k: int, corpus: BenchCorpus) -> str:  # type: ignore[no-untyped-def]
    return " / ".join(corpus.dtm.vocab[i] for i in np.argsort(-model.topic_term[k])[:6])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer LDA passes and one re-fit")
    parser.add_argument("--scale", action="store_true", help="only the cost in codes (1,000 and 10,000 codes over 64 segments)")
    parser.add_argument("--development", action="store_true",
                        help="the NHS development half only (where the settings are chosen); writes verdicts_development.json")
    parser.add_argument("--development-samples", action="store_true",
                        help="the five development samples of round 4 (DEV_SAMPLES); writes verdicts_development_samples.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("topicbook").setLevel(logging.ERROR)
    pin_blas_threads()
    import topicbook

    results: dict = {"machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                                 "topicbook": topicbook.__version__},
                     "command": "benchmarks/bench_verdicts.py" + (" --quick" if args.quick else ""),
                     "settings_chosen_on": f"nhs development half ({NHS_SAMPLE} comments; rounds 4 and 5: the five DEV_SAMPLES, worst case)", "corpora": {}}
    results["scale_in_codes"] = scale_in_codes()
    if args.scale:
        return
    with tempfile.TemporaryDirectory() as tmp:
        loaders = [("demo", load_demo), ("pdpilot", lambda: load_pdpilot(Path(tmp))),
                   ("nhs_report", lambda: load_nhs("report", NHS_SAMPLE)),
                   ("nhs_development", lambda: with_dev_decoys(load_nhs("development", NHS_SAMPLE)))]
        if args.development:
            loaders = loaders[-1:]
        if args.development_samples:
            loaders = [(f"nhs_development_{seed}" + ("" if part is None else f"_part{part}"),
                        lambda seed=seed, part=part: with_dev_decoys(load_nhs("development", NHS_SAMPLE, seed, part)))
                       for seed, part in DEV_SAMPLES]
        for key, loader in loaders:
            corpus = loader()
            for variant, data in (("full", corpus), ("names_only", corpus.names_only())):
                log.info("== %s, %s", key, variant)
                results["corpora"].setdefault(key, {})[variant] = res = evaluate(data, args.quick)
                w = res["well_used"]["20"]
                log.info("   well-used %d: present %d (round 4 %d, round 1 %d), absent %d; decoys present %d (round 4 %d, round 1 %d); "
                         "match precision %s (round 4 %s, round 3 %s, round 2 %s, round 1 %s); %.2f s",
                         w["codes"], w["ours_present"], w["round4_present"], w["round1_present"], w["ours_absent"],
                         res["ours"]["decoys_present"], res["round4"]["decoys_present"],
                         res["round1"]["decoys_present"], res["ours"]["match_precision"]["ratio"], res["round4"]["match_precision"]["ratio"],
                         res["round3"]["match_precision"]["ratio"], res["round2"]["match_precision"]["ratio"],
                         res["round1"]["match_precision"]["ratio"], res["seconds"]["verdicts"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = ("verdicts_development_samples.json" if args.development_samples
            else "verdicts_development.json" if args.development else "verdicts.json")
    (RESULTS / name).write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
