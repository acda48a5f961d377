"""Agreement with human codings: mapping codings onto segments, metrics, holdout, run outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from topicbook.agreement import SECTIONS
from topicbook.codebook import Code, Codebook
from topicbook.codings import find_quote, read_codings, segments_for_span
from topicbook.errors import InputError
from topicbook.metrics import agreement, holdout_split, prevalence_thresholds
from topicbook.segment import Segment

DOC = "Ada: I grew Tomatoes, in my allotment!\nInterviewer: And?\nAda: Then I played the guitar all night."
SEGS = (
    Segment("d#1", "d", "Ada", "respondent", ((5, 38),), DOC[5:38]),
    Segment("d#2", "d", "Ada", "respondent", ((62, 92),), DOC[62:92]),
)
BOOK = Codebook("b", (Code("garden", "Gardening"), Code("music", "Making music")))


def codings(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codings.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_quotes_match_across_case_whitespace_and_punctuation(tmp_path: Path) -> None:
    path = codings(tmp_path, 'document,code,text\nd,garden,"grew tomatoes   in my ALLOTMENT"\n'
                             'd,Making music,"played the guitar"\nd,music,"a quote nobody said"\nx,music,"guitar"\n'
                             'd,dance,"guitar"\n')
    human = read_codings(path, documents={"d": DOC}, segments=SEGS, segment_ids=["d#1", "d#2"], codebook=BOOK)
    assert human.labels.tolist() == [[True, False], [False, True]]  # code names work as well as ids
    assert human.n_codings == 5
    assert [(u["line"], u["reason"]) for u in human.unmatched] == [
        (4, "quote not found in the document"), (5, "unknown document"), (6, "code not in the codebook")]
    assert human.unknown_codes == ["dance"]


def test_span_codings_use_half_overlap(tmp_path: Path) -> None:
    # 5..40 covers segment 1 and two characters of nothing; 36..70 overlaps segment 2 by 8 of 34 chars
    path = codings(tmp_path, "document,start,end,code\nd,5,40,garden\nd,36,70,music\n")
    human = read_codings(path, documents={"d": DOC}, segments=SEGS, segment_ids=["d#1", "d#2"], codebook=BOOK)
    assert human.labels.tolist() == [[True, False], [False, False]]
    assert human.unmatched[0]["reason"] == "overlaps no analysed segment"
    assert segments_for_span(SEGS, 70, 80) == ["d#2"]  # a short span inside a long segment


@pytest.mark.parametrize(("text", "message"), [
    ("document,quote\nd,x\n", "codings.csv: codings need columns document,code,text (quotes) or document,start,end,code (offsets); found document, quote."),
    ("document,start,end,code\nd,1,x,garden\n", "codings.csv: line 2: start and end must be whole numbers (character offsets); got '1', 'x'."),
    ("document,start,end,code\nd,1,40,garden\nd,9,3,garden\n", "codings.csv: line 3: end (3) must be greater than start (9) and start >= 0."),
    ("document,code,text\n", "codings.csv: no codings (the table has no rows). Add at least one coded quote or span."),
])
def test_bad_codings_give_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        read_codings(codings(tmp_path, text), documents={"d": DOC}, segments=SEGS, segment_ids=["d#1", "d#2"], codebook=BOOK)
    assert str(err.value) == message


def test_find_quote_returns_original_offsets() -> None:
    start, end = find_quote(DOC, "tomatoes, in my")
    assert DOC[start:end] == "Tomatoes, in my"
    assert find_quote(DOC, "...") is None


def test_quotes_of_one_document_normalise_it_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from topicbook import codings as codings_module

    calls: list[int] = []
    real = codings_module.normalise_with_map

    def counted(text: str) -> tuple[str, list[int]]:
        if text == DOC:
            calls.append(1)
        return real(text)

    monkeypatch.setattr(codings_module, "normalise_with_map", counted)
    path = codings(tmp_path, 'document,code,text\nd,garden,"grew tomatoes"\nd,music,"played the guitar"\n'
                             'd,garden,"in my ALLOTMENT"\nd,music,"a quote nobody said"\n')
    human = read_codings(path, documents={"d": DOC}, segments=SEGS, segment_ids=["d#1", "d#2"], codebook=BOOK)
    assert human.labels.tolist() == [[True, False], [False, True]]
    assert [u["reason"] for u in human.unmatched] == ["quote not found in the document"]
    assert len(calls) == 1  # four quotes, one normalisation of their document


def test_metrics_on_a_known_case() -> None:
    labels = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [0, 0], [0, 0]], dtype=bool)
    perfect = labels.astype(float) + np.array([[0.1], [0.2], [0.3], [0.4], [0.5], [0.6]]) * 0.01
    lengths = np.array([10, 9, 8, 7, 1, 2], dtype=float)
    res = agreement(perfect, labels, lengths, ["a", "b"])
    assert res.macro_roc_auc == 1.0
    assert res.micro_f1 == res.micro_f1_at_prevalence == 1.0
    assert res.kappa == 1.0
    assert res.length_floor_auc == 0.75  # a: 1.0, b: 0.5
    assert res.confusion == {"a": {"a": 2, "b": 0}, "b": {"a": 0, "b": 2}}
    flipped = agreement(-perfect, labels, lengths, ["a", "b"])
    assert flipped.macro_roc_auc == 0.0 and flipped.micro_f1 == 0.0
    assert agreement(perfect, labels, lengths, ["a", "b"], min_positives=3).n_codes == 0


def test_prevalence_threshold_predicts_at_most_the_positives() -> None:
    scores = np.array([[0.9], [0.5], [0.5], [0.1]])
    labels = np.array([[1], [1], [0], [0]], dtype=bool)
    t = prevalence_thresholds(scores, labels)
    assert t[0] == 0.5 and int((scores[:, 0] > t[0]).sum()) == 1  # ties at the boundary are not predicted


def test_holdout_split_is_seeded_and_by_document() -> None:
    docs = [f"doc{i}" for i in range(10)] * 3
    a, b = holdout_split(docs, 0.3, 1), holdout_split(docs, 0.3, 1)
    assert a == b and len(a) == 3 and a <= set(docs)
    assert holdout_split(docs, 0.0, 1) == set()


def _planted_codings(config: Path, holdout: float) -> None:
    """Code every respondent turn by its planted theme with an upper-cased 6-word quote."""
    root = config.parent
    themes = {"gardening": {"tomato", "soil", "compost", "seedling", "harvest"},
              "music": {"guitar", "chord", "melody", "concert", "rhythm"},
              "cooking": {"recipe", "oven", "flour", "dough", "pastry"}}
    rows = []
    for path in sorted((root / "interviews").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("Interviewer"):
                continue
            body = line.split(":", 1)[1].strip()
            words = {w.strip(".,").lower() for w in body.split()}
            code = next((c for c, kw in themes.items() if words & kw), None)
            if code:
                rows.append([path.stem, code, " ".join(body.split()[:6]).upper()])
    rows.append(["doc01", "music", "a quote that nobody said"])
    with (root / "codings.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["document", "code", "text"])
        writer.writerows(rows)
    config.write_text(config.read_text(encoding="utf-8") + f"codings:\n  path: codings.csv\n  holdout: {holdout}\n  min_positives: 3\n", encoding="utf-8")


@pytest.mark.slow
def test_run_writes_agreement_autocode_and_codings_report(planted: Path, tmp_path: Path) -> None:
    from topicbook.config import load_config
    from topicbook.pipeline import run

    _planted_codings(planted, holdout=0.5)
    folder, _ = run(load_config(planted), out_dir=tmp_path / "runs")
    figures = json.loads((folder / "agreement.json").read_text(encoding="utf-8"))
    figures = {k: v for k, v in figures.items() if k not in SECTIONS}  # learned_fit, learning_curve: not methods
    assert set(figures) >= {"similarity", "selftrained", "keywords", "lda_k4", "nmf_k4", "nmf_k4+similarity"}
    for fig in figures.values():
        assert {"macro_roc_auc", "macro_f1", "micro_f1", "kappa", "per_code", "length_floor_auc",
                "micro_f1_at_prevalence"} <= set(fig)
        assert set(fig["per_code"]) == {"gardening", "music", "cooking"}
        assert fig["n_segments"] == fig["n_calibration_segments"] == 32  # holdout: 4 of 8 documents
    # planted themes are easy: codebook similarity and the NMF topics recover them
    assert figures["similarity"]["macro_roc_auc"] > 0.95
    assert figures["nmf_k4"]["macro_roc_auc"] > 0.95
    assert figures["similarity"]["micro_f1"] > 0.8
    report = json.loads((folder / "codings_report.json").read_text(encoding="utf-8"))
    assert report["unmatched"] == 1 and report["unmatched_codings"][0]["text"] == "a quote that nobody said"
    assert len(report["holdout_documents"]) == 4
    with (folder / "autocode.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["method"] for r in rows} >= {"similarity", "lda_k4"}
    first = [r for r in rows if r["method"] == "similarity" and r["rank"] == "1"]
    assert len(first) == 64
    predicted = [r for r in rows if r["method"] == "similarity" and r["predicted"] == "1"]
    assert len(predicted) >= 40 and all(r["code"] != "astronomy" for r in predicted)  # no positives: never predicted
