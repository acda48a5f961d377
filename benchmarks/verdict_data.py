"""The corpora of bench_verdicts.py: demo, PDPilot and NHS samples, each with 5 planted decoy
codes, in a full and a names-only variant.

The decoys were written before any verdict was computed and never changed afterwards. Each is
from a domain that the corpus does not talk about, written in the style of that corpus's
codebook (demo: definition, keywords and an example; PDPilot: a one-sentence memo; NHS: a
definition and two examples). The names-only variant keeps only every code's name (decoys
included).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from topicbook.codebook import Code, Codebook
from topicbook.config import ModelConfig, PreprocessConfig
from topicbook.preprocess import DocumentTermMatrix, Preprocessor, vectorize

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
NHS = CORPORA / "nhs-patient-experience"
PDP = CORPORA / "pdpilot-interviews"
SEED = 42

DECOYS: dict[str, list[dict]] = {
    "demo": [
        dict(id="decoy_volcanoes", name="Volcanic eruptions", definition="Volcanoes erupting: lava flows, ash clouds, magma chambers and the evacuation of villages near a crater.",
             keywords=("volcano", "lava", "eruption", "magma", "crater", "ash cloud"), examples=("The volcano erupted at dawn and the lava reached the first houses by noon.",)),
        dict(id="decoy_beekeeping", name="Beekeeping and honey", definition="Keeping bees: hives, honey harvest, beeswax, the queen bee and swarms in spring.",
             keywords=("bee", "hive", "honey", "beeswax", "queen bee", "swarm"), examples=("We opened the hive in May and the queen bee had left with a swarm.",)),
        dict(id="decoy_ice_hockey", name="Ice hockey matches", definition="Playing or watching ice hockey: the puck, the rink, goalies, skates and penalties.",
             keywords=("hockey", "puck", "rink", "goalie", "skate", "penalty box"), examples=("The goalie stopped the puck and the whole rink stood up.",)),
        dict(id="decoy_coral_reefs", name="Coral reefs and scuba diving", definition="Diving on coral reefs: scuba gear, snorkels, tropical fish, dolphins and reef bleaching.",
             keywords=("coral", "reef", "scuba", "diving", "snorkel", "dolphin"), examples=("On the second dive we saw a turtle and a bleached coral reef.",)),
        dict(id="decoy_horse_racing", name="Horse racing and betting", definition="Horse races: jockeys, racecourses, bets on a horse, the gallop and the stables.",
             keywords=("horse", "jockey", "racecourse", "bet", "gallop", "stable"), examples=("I bet ten pounds on the grey horse and the jockey fell at the last fence.",)),
    ],
    "pdpilot": [
        dict(id="Decoy > Vegetable gardening", name="Vegetable gardening", definition="Growing tomatoes, beans and lettuce in a garden bed or allotment; compost, watering and the harvest."),
        dict(id="Decoy > Baking bread", name="Baking bread", definition="Kneading dough, proofing and baking loaves of bread or pastries in an oven."),
        dict(id="Decoy > Religious worship", name="Religious worship", definition="Attending church, mosque or temple services, prayer and religious holidays."),
        dict(id="Decoy > Mountaineering", name="Mountaineering", definition="Climbing mountains: ropes, summits, glaciers, base camps and altitude sickness."),
        dict(id="Decoy > Pet care", name="Pet care", definition="Looking after dogs and cats: feeding, walks, grooming and visits to the vet."),
    ],
    "nhs": [
        dict(id="Decoy: Volcanic activity", name="Volcanic activity", definition="Comments about volcanoes, lava, eruptions and earthquakes.",
             examples=("The lava from the eruption destroyed the road.", "We had to evacuate because of the volcano.")),
        dict(id="Decoy: Space exploration", name="Space exploration", definition="Rockets, astronauts, satellites and missions to the Moon or Mars.",
             examples=("The rocket launch to Mars was delayed again.", "Astronauts repaired the satellite in orbit.")),
        dict(id="Decoy: Medieval knights", name="Medieval knights and castles", definition="Knights, castles, swords, jousting and the kings of the Middle Ages.",
             examples=("The knight defended the castle with his sword.", "A jousting tournament was held for the king.")),
        dict(id="Decoy: Surfing", name="Surfing", definition="Riding waves on a surfboard at the beach.",
             examples=("The waves were perfect for surfing this morning.", "I waxed my surfboard before paddling out.")),
        dict(id="Decoy: Chess", name="Chess", definition="Playing chess: openings, checkmate, pawns, bishops and tournaments.",
             examples=("I lost the chess game to checkmate in twenty moves.", "Her bishop took my pawn.")),
    ],
}


# Ten more decoys for *development only* (NHS development half; bench_verdicts.py does not use
# them): written in the NHS decoys' style, from domains the NHS comments do not talk about,
# fixed before the second round's method was run on them and never changed afterwards.
DEV_DECOYS: dict[str, list[dict]] = {
    "nhs": [
        dict(id="Dev decoy: Cryptocurrency", name="Cryptocurrency trading", definition="Buying and selling bitcoin and other cryptocurrencies on exchanges, with wallets and price charts.",
             examples=("I bought bitcoin when the price dropped last week.", "My crypto wallet was hacked and the coins were gone.")),
        dict(id="Dev decoy: Football", name="Football matches", definition="Football: formations, goals, referees, the league table and player transfers.",
             examples=("The striker scored twice in the second half.", "The referee gave a penalty in extra time.")),
        dict(id="Dev decoy: Knitting", name="Knitting and crochet", definition="Knitting and crochet: yarn, needles, patterns and stitches.",
             examples=("I knitted a scarf with merino wool.", "Drop one stitch and the whole row unravels.")),
        dict(id="Dev decoy: Wine", name="Wine tasting", definition="Tasting wine: vineyards, grapes, vintages, red and white wines.",
             examples=("The red from that vineyard had notes of cherry and oak.", "We visited three wineries on the tasting tour.")),
        dict(id="Dev decoy: Car repair", name="Car mechanics", definition="Repairing cars: engines, gearboxes, brakes, oil changes and the garage.",
             examples=("The mechanic replaced the brake pads and the clutch.", "The engine overheated on the motorway.")),
        dict(id="Dev decoy: Programming", name="Computer programming", definition="Writing software: source code, bugs, compilers, functions and version control.",
             examples=("The function crashed because of a null pointer.", "I pushed the commit to the repository before the release.")),
        dict(id="Dev decoy: Opera", name="Opera performances", definition="Going to the opera: singers, arias, the orchestra and the stage.",
             examples=("The soprano sang the final aria beautifully.", "The orchestra tuned up before the curtain rose.")),
        dict(id="Dev decoy: Livestock", name="Livestock farming", definition="Raising cattle, sheep and pigs: feeding, milking, lambing and the barn.",
             examples=("The ewes started lambing early this spring.", "We milk the cows twice a day.")),
        dict(id="Dev decoy: Stock market", name="Stock market investing", definition="Shares, dividends, stock exchanges, portfolios and interest rates.",
             examples=("The shares paid a good dividend this year.", "I moved my portfolio into index funds.")),
        dict(id="Dev decoy: Astronomy", name="Stargazing and astronomy", definition="Stars, planets, galaxies, telescopes and comets in the night sky.",
             examples=("We saw Jupiter's moons through the telescope.", "A comet was visible after midnight.")),
    ],
}


@dataclass
class BenchCorpus:
    """One benchmark corpus, ready for verdicts.

    labels: (n_segments, n_codes) human codes over the codebook (decoys: all False); coded:
    (n_segments,) rows of documents that were coded at all; positions: (n_segments,) the
    segment's index among its document's segments, n_in_document: how many that document has.
    """

    name: str
    dtm: DocumentTermMatrix
    texts: list[str]
    documents: list[str]
    codebook: Codebook
    decoys: tuple[str, ...]
    labels: np.ndarray
    coded: np.ndarray
    transform: object
    models: list[ModelConfig]
    positions: np.ndarray
    n_in_document: np.ndarray
    language: str = "en"
    notes: dict = field(default_factory=dict)

    def names_only(self) -> BenchCorpus:
        codes = tuple(Code(id=c.id, name=c.name, parent=c.parent) for c in self.codebook.codes)
        return replace(self, name=self.name + " (names only)", codebook=Codebook(self.codebook.name + " (names only)", codes))


def _bench_recovery():  # type: ignore[no-untyped-def]
    """benchmarks/bench_recovery.py, whose NHS and PDPilot readers these corpora reuse."""
    import importlib
    import sys

    if str(ROOT / "benchmarks") not in sys.path:
        sys.path.insert(0, str(ROOT / "benchmarks"))
    return importlib.import_module("bench_recovery")


def _with_decoys(codebook: Codebook, corpus: str) -> tuple[Codebook, tuple[str, ...]]:
    decoys = tuple(Code(**d) for d in DECOYS[corpus])
    return Codebook(codebook.name, codebook.codes + decoys, codebook.source), tuple(d.id for d in decoys)


def _positions(documents: list[str]) -> tuple[np.ndarray, np.ndarray]:
    pos, counts = np.zeros(len(documents), dtype=int), {}
    for i, d in enumerate(documents):
        pos[i] = counts.get(d, 0)
        counts[d] = pos[i] + 1
    return pos, np.array([counts[d] for d in documents])


def _labels_with_decoys(labels: np.ndarray, n_decoys: int) -> np.ndarray:
    return np.hstack([labels, np.zeros((labels.shape[0], n_decoys), dtype=bool)])


def load_demo() -> BenchCorpus:
    """The demo run's corpus, codebook and reference codings (configs/demo.yaml)."""
    from topicbook.codings import human_codings
    from topicbook.config import load_config
    from topicbook.pipeline import prepare

    cfg = load_config(ROOT / "configs" / "demo.yaml")
    cfg = replace(cfg, cache=replace(cfg.cache, enabled=False))
    prepared = prepare(cfg)
    human = human_codings(cfg.codings.path, corpus=prepared.corpus, segments=prepared.segmentation.segments,
                          segment_ids=prepared.dtm.segment_ids, codebook=prepared.codebook)
    assert human is not None  # configs/demo.yaml has codings
    segs = prepared.segments
    dtm = prepared.dtm
    texts = [segs[s].text for s in dtm.segment_ids]
    docs = [segs[s].document for s in dtm.segment_ids]
    codebook, decoys = _with_decoys(prepared.codebook, "demo")
    pos, n_in = _positions(docs)
    return BenchCorpus("demo", dtm, texts, docs, codebook, decoys, _labels_with_decoys(human.labels, len(decoys)),
                       np.isin(docs, list(human.documents)), prepared.preprocessor.transform, list(cfg.models), pos, n_in)


def load_pdpilot(tmp: Path) -> BenchCorpus:
    """The 7 PDPilot interviews (participant turns), the 91-code system and the coded quotes."""
    from topicbook.codings import read_codings
    from topicbook.config import CorpusConfig, SegmentConfig, SpeakersConfig
    from topicbook.ingest import read_corpus
    from topicbook.segment import segment_corpus

    corpus = read_corpus(CorpusConfig(path=PDP / "text", include=["P*.txt"]))
    segmentation = segment_corpus(corpus, SpeakersConfig(interviewer=["Dan"], keep="respondent"),
                                  SegmentConfig(unit="turn", min_tokens=0))
    pre_cfg = PreprocessConfig(min_df=2, max_df=0.5)
    pre = Preprocessor(pre_cfg, language="en")
    segments = segmentation.segments
    tokens = pre.fit_transform([s.text for s in segments])
    dtm = vectorize(tokens, [s.id for s in segments], pre_cfg, pre.report)
    base = _bench_recovery().pdpilot_codebook()
    codings = pd.read_csv(PDP / "text" / "coded_segments.csv")
    path = tmp / "pdpilot_codings.csv"
    pd.DataFrame({"document": codings["participant"], "code": codings["code_path"], "text": codings["segment"]}).to_csv(path, index=False)
    human = read_codings(path, documents={d.id: d.text for d in corpus.documents}, segments=segments,
                         segment_ids=dtm.segment_ids, codebook=base)
    by_id = {s.id: s for s in segments}
    texts = [by_id[s].text for s in dtm.segment_ids]
    docs = [by_id[s].document for s in dtm.segment_ids]
    codebook, decoys = _with_decoys(base, "pdpilot")
    pos, n_in = _positions(docs)
    models = [ModelConfig(type="lda", n_topics=10, passes=20), ModelConfig(type="nmf", n_topics=10)]
    return BenchCorpus("pdpilot", dtm, texts, docs, codebook, decoys, _labels_with_decoys(human.labels, len(decoys)),
                       np.isin(docs, list(human.documents)), pre.transform, models, pos, n_in,
                       notes={"codings": human.n_codings, "unmatched": len(human.unmatched)})


def load_nhs(half: str, n_sample: int, sample_seed: int = SEED + 1, part: int | None = None) -> BenchCorpus:
    """A seeded sample of `n_sample` NHS comments from one half of the respondents (the split of
    bench_recovery.py: seed 42; `development` or `report`). A respondent is a document.
    sample_seed: the seed of the sample within the half (the benchmark's is SEED + 1). part 0
    or 1: instead, one of two disjoint halves of the half's comments (a permutation by
    sample_seed, cut in two; n_sample is ignored). Round 4 chose its settings on several
    development samples (docs/verdicts.md)."""
    comments, label_frame, base, _ = _bench_recovery().nhs_data()
    rng = np.random.default_rng(SEED)
    people = np.array(sorted(set(comments["respondent"])))
    dev_people = set(rng.choice(people, size=len(people) // 2, replace=False).tolist())
    in_dev = comments["respondent"].isin(dev_people).to_numpy()
    rows = np.flatnonzero(in_dev if half == "development" else ~in_dev)
    if part is None:
        rows = np.sort(np.random.default_rng(sample_seed).choice(rows, size=min(n_sample, len(rows)), replace=False))
    else:
        rows = np.sort(np.array_split(np.random.default_rng(sample_seed).permutation(rows), 2)[part])
    texts_all = comments["text"].to_numpy()[rows].tolist()
    ids = comments["id"].to_numpy()[rows].tolist()
    pre_cfg = PreprocessConfig(lemmatize="lemma", stopwords=True, phrases=True, min_df=2, max_df=0.5)
    pre = Preprocessor(pre_cfg, language="en")
    dtm = vectorize(pre.fit_transform(texts_all), ids, pre_cfg, pre.report)
    where = {s: i for i, s in enumerate(ids)}
    keep = np.array([rows[where[s]] for s in dtm.segment_ids])
    texts = comments["text"].to_numpy()[keep].tolist()
    docs = comments["respondent"].to_numpy()[keep].tolist()
    labels = label_frame.to_numpy()[keep].astype(bool)
    codebook, decoys = _with_decoys(base, "nhs")
    pos, n_in = _positions(docs)
    k = 20
    models = [ModelConfig(type="lda", n_topics=k, passes=10, iterations=100), ModelConfig(type="nmf", n_topics=k)]
    return BenchCorpus(f"nhs ({half} half, {len(texts)} comments)", dtm, texts, docs, codebook, decoys,
                       _labels_with_decoys(labels, len(decoys)), np.ones(len(texts), dtype=bool), pre.transform,
                       models, pos, n_in)


def with_dev_decoys(corpus: BenchCorpus) -> BenchCorpus:
    """The corpus with DEV_DECOYS added to its codebook (development only); their ids in
    notes["dev_decoys"], the planted decoys stay in `decoys`."""
    key = "nhs" if corpus.name.startswith("nhs") else corpus.name
    extra = tuple(Code(**d) for d in DEV_DECOYS[key])
    codebook = Codebook(corpus.codebook.name, corpus.codebook.codes + extra, corpus.codebook.source)
    return replace(corpus, codebook=codebook, labels=_labels_with_decoys(corpus.labels, len(extra)),
                   notes={**corpus.notes, "dev_decoys": [d.id for d in extra]})


def pin_blas_threads() -> None:
    """One BLAS/OpenMP thread (the machine has 2 shared cores)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
