"""`learned` in a run: a planted study with a weak codebook, coded on half its interviews.

The codings teach the run what the codebook alone misses (on the uncoded half, and in the
run's own out-of-fold figures); autocode_scores.csv has a column per method and code;
suggestions.csv and its .qdpx name uncoded segments; reviewed segments count as coded and
nothing else in their documents does; codes without enough coded segments fall back and the
summary says so; the same seed gives the same learned scores.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import random
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from conftest import THEMES, WEAK_CODEBOOK, planted_turn
from refi import assert_valid_refi
from topicbook.agreement import LEARNED_FIT, LEARNING_CURVE, SECTIONS, SUGGESTION_COLUMNS
from topicbook.cli import main
from topicbook.codings import CODE_NEXT, read_codings, read_reviewed
from topicbook.config import load_config
from topicbook.errors import ConfigError, InputError
from topicbook.pipeline import analyse, fit_all, prepare, run
from topicbook.qdc import read_qdpx
from topicbook.report.run_folder import load_run
from topicbook.suggestions import next_suggestions, write_suggestions

# WEAK_CODEBOOK (conftest): each code names two of its theme's ten words, so the label-free scores
# miss the turns that use the others; astronomy is never talked about (no coded segment: it falls back).
CODED = ("gardening", "music", "cooking")
N_DOCS, TURNS = 12, 12
NAMES = ["Ada", "Ben", "Cleo", "Dev", "Eva", "Finn", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea"]
HALF = [f"doc{d:02d}" for d in range(0, N_DOCS, 2)]  # the coded half


def write_study(root: Path, *, suggestions: int = 8, seed: int = 11) -> tuple[Path, dict[tuple[str, str], str]]:
    """Interviews of short (6-word) planted turns, a weak codebook, codings of every turn of HALF by its
    theme (sailing turns have no code) and a config; returns the config and {(doc, text): theme}."""
    rng = random.Random(seed)
    themes = list(THEMES)
    (root / "interviews").mkdir(parents=True)
    truth: dict[tuple[str, str], str] = {}
    rows = []
    for d in range(N_DOCS):
        doc = f"doc{d:02d}"
        lines = []
        for t in range(TURNS):
            theme = themes[(d + t * 3 + rng.randrange(2)) % len(themes)]
            text = planted_turn(rng, theme, 6)
            truth[(doc, text)] = theme
            lines += ["Interviewer: And then?", f"{NAMES[d]}: {text}"]
            if doc in HALF and theme in CODED:
                rows.append([doc, theme, text])
        (root / "interviews" / f"{doc}.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    (root / "codebook.yaml").write_text(WEAK_CODEBOOK, encoding="utf-8")
    with (root / "codings.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["document", "code", "text"], *rows])
    config = root / "config.yaml"
    config.write_text(f"""\
name: planted-learning
seed: 3
corpus:
  path: interviews
segment:
  min_tokens: 0
preprocess:
  min_df: 2
  max_df: 0.6
  phrases: false
models:
  - type: nmf
    n_topics: 4
codebook:
  path: codebook.yaml
codings:
  path: codings.csv
  min_positives: 3
  suggestions: {suggestions}
evaluate:
  stability_seeds: 0
  coherence: [u_mass]
report:
  explorer: false
cache:
  enabled: false
""", encoding="utf-8")
    return config, truth


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("learning-run")
    config, truth = write_study(root / "project")
    result = CliRunner().invoke(main, ["run", str(config), "--out", str(root / "runs")])
    assert result.exit_code == 0, result.output
    folder = next((root / "runs").iterdir())
    return config, truth, folder, result.output


def _truth_matrix(folder: Path, truth: dict[tuple[str, str], str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    segments = {s.id: s for s in load_run(folder).segments}
    ids = list(load_run(folder).agreement.segment_ids)
    themes = np.array([truth[(segments[s].document, segments[s].text)] for s in ids])
    docs = np.array([segments[s].document for s in ids])
    return ids, docs, np.stack([themes == c for c in CODED], axis=1)


def _score_table(folder: Path) -> tuple[list[str], dict[str, np.ndarray]]:
    with (folder / "autocode_scores.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    values = np.array([[float(v) for v in r[1:]] for r in rows])
    return [r[0] for r in rows], {name: values[:, i] for i, name in enumerate(header[1:])}


def test_codings_on_half_the_documents_make_learned_beat_the_label_free_score(study) -> None:
    _, truth, folder, _ = study
    ids, docs, y = _truth_matrix(folder, truth)
    table_ids, columns = _score_table(folder)
    assert table_ids == ids
    other_half = ~np.isin(docs, HALF)

    def macro_auc(method: str, rows: np.ndarray) -> float:
        return float(np.mean([roc_auc_score(y[rows, c], columns[f"{method}:{code}"][rows]) for c, code in enumerate(CODED)]))

    label_free = macro_auc("selftrained", other_half)
    learned = macro_auc("learned", other_half)
    assert label_free < 0.9  # the weak codebook alone misses turns
    assert learned > label_free + 0.03
    # the run's own figures: learned's out-of-fold agreement on the coded half beats the label-free score's
    figures = json.loads((folder / "agreement.json").read_text(encoding="utf-8"))
    assert list(figures)[0] == "learned"
    assert figures["learned"]["macro_roc_auc"] > figures["selftrained"]["macro_roc_auc"] + 0.03
    assert figures["learned"]["n_segments"] == figures["selftrained"]["n_segments"] == int((~other_half).sum())
    # and they are out-of-fold: the coded rows of autocode_scores.csv give that AUC again
    coded_rows = ~other_half
    assert macro_auc("learned", coded_rows) == pytest.approx(figures["learned"]["macro_roc_auc"], abs=1e-3)


def test_learned_fit_and_curve_are_in_agreement_json(study) -> None:
    _, _, folder, _ = study
    data = json.loads((folder / "agreement.json").read_text(encoding="utf-8"))
    fit = data[LEARNED_FIT]
    assert fit["prior"] == "selftrained" and fit["groups"] == "document"
    assert fit["learned"] == list(CODED) and fit["fallback"] == ["astronomy"]
    assert fit["codes"]["astronomy"] == {"status": "fallback", "reason": "0 coded positive segments (fewer than 3)",
                                          "coded_positives": 0, "coded_documents": 0, "weight": 0.0,
                                          "threshold": "inf", "threshold_source": "none"}
    assert all(fit["codes"][c]["threshold_source"] == "grouped_cv" for c in CODED)
    assert fit["coded_groups"] == len(HALF) and fit["kappa_source"] == "grouped_cv"
    # grouped CV over the coded half: every coded document in exactly one test fold, no other
    tested = [d for fold in fit["folds"] for d in fold]
    assert sorted(tested) == HALF and len(fit["folds"]) == 5
    curve = data[LEARNING_CURVE]
    assert [p["n_documents"] for p in curve["points"]] == [1, 2, 4] and curve["skipped"] == []
    assert curve["points"][-1]["macro_roc_auc"] > curve["points"][-1]["prior_macro_roc_auc"]
    # the agreement reader keeps methods apart from these sections
    figures = load_run(folder).agreement_figures
    assert figures is not None and not set(figures) & set(SECTIONS) and "learned" in figures


def test_summary_says_which_codes_fell_back(study) -> None:
    _, _, folder, output = study
    lines = output.splitlines()
    learned = next(line for line in lines if line.startswith("learned:"))
    assert learned == ("learned: 3 codes learned, 1 fell back (fewer than 3 coded segments: astronomy); "
                       "5-fold grouped CV over 6 coded documents, kappa "
                       f"{json.loads((folder / 'agreement.json').read_text())[LEARNED_FIT]['kappa']:g}")
    assert any(line.startswith("  learning curve (out-of-fold macro ROC AUC by coded documents trained on; selftrained ")
               for line in lines)
    assert f"  8 segments to code next: {folder / 'suggestions.csv'}" in lines


def test_autocode_scores_have_a_column_per_method_and_code(study) -> None:
    _, _, folder, _ = study
    back = load_run(folder).agreement
    assert back is not None
    methods = list(back.scores)
    assert methods[0] == "learned"
    assert {"learned", "selftrained", "similarity", "keywords", "nmf_k4", "nmf_k4+similarity"} == set(methods)
    ids, columns = _score_table(folder)
    assert list(columns) == [f"{m}:{c}" for m in methods for c in ("gardening", "music", "cooking", "astronomy")]
    assert ids == list(back.segment_ids)
    for m in methods:  # the table holds scores.npz's values
        table = np.stack([columns[f"{m}:{c}"] for c in back.code_ids], axis=1)
        assert np.allclose(table, back.scores[m], atol=1e-6)
    # autocode.csv: learned first, predicted at its grouped-CV thresholds
    with (folder / "autocode.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["method"] == "learned"
    thresholds = dict(zip(back.code_ids, back.thresholds["learned"], strict=True))
    fit = json.loads((folder / "agreement.json").read_text())[LEARNED_FIT]
    for code in CODED:
        assert thresholds[code] == pytest.approx(fit["codes"][code]["threshold"])
    row_of = {s: i for i, s in enumerate(back.segment_ids)}
    learned_rows = [r for r in rows if r["method"] == "learned"]
    assert learned_rows and any(r["predicted"] == "1" for r in learned_rows)
    for r in learned_rows:
        c = back.code_ids.index(r["code"])
        assert r["predicted"] == str(int(back.scores["learned"][row_of[r["segment_id"]], c] > back.thresholds["learned"][c]))


def test_a_run_without_codings_has_scores_but_no_learned(tmp_path: Path) -> None:
    config, _ = write_study(tmp_path / "project")
    text = config.read_text(encoding="utf-8").replace("  path: codings.csv\n", "")
    config.write_text(text, encoding="utf-8")
    folder, result = run(load_config(config), out_dir=tmp_path / "runs")
    assert result.agreement is not None and "learned" not in result.agreement.scores
    _, columns = _score_table(folder)
    assert {c.split(":")[0] for c in columns} == {"similarity", "selftrained", "keywords", "nmf_k4", "nmf_k4+similarity"}
    assert not (folder / "suggestions.csv").exists() and not (folder / "agreement.json").exists()
    result = CliRunner().invoke(main, ["sample", str(folder), "--next", "5", "--format", "csv"])
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: {folder}: the run has no learned score (it had no human codings), so nothing "
                                     "to suggest. Code a few documents, set codings.path and run again.")


def test_suggestions_name_uncoded_segments_and_come_back_from_the_folder(study) -> None:
    _, _, folder, _ = study
    with (folder / "suggestions.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == SUGGESTION_COLUMNS
    assert [int(r["rank"]) for r in rows] == list(range(1, 9))
    segments = {s.id: s for s in load_run(folder).segments}
    for r in rows:
        seg = segments[r["segment_id"]]
        assert r["document"] == seg.document not in HALF and r["text"] == seg.text
        assert r["code"] in {"gardening", "music", "cooking", "astronomy"} and r["reason"]
    back = load_run(folder)
    assert [s.segment_id for s in back.suggestions] == [r["segment_id"] for r in rows]
    # recomputed from the run folder: the same picks, and more of them on request
    assert [s.segment_id for s in next_suggestions(back, 8)] == [r["segment_id"] for r in rows]
    assert [s.segment_id for s in next_suggestions(back, 12)][:8] == [r["segment_id"] for r in rows]
    with pytest.raises(InputError, match=r"--next must be at least 1; got 0\."):
        next_suggestions(back, 0)


def test_suggestions_qdpx_marks_each_span_with_a_note_and_is_schema_valid(study, tmp_path: Path) -> None:
    config, _, folder, _ = study
    back = load_run(folder)
    picks = next_suggestions(back, 5)
    target, record = write_suggestions(back, picks, "qdpx", out=tmp_path / "next.qdpx")
    assert_valid_refi(target)
    assert record == tmp_path / "next.json" and read_reviewed(record, back.segment_ids) == tuple(
        s for s in back.segment_ids if s in {p.segment_id for p in picks})
    project = read_qdpx(target)
    segments = {s.id: s for s in back.segments}
    assert {s.name for s in project.sources} == {segments[p.segment_id].document for p in picks}
    assert project.codebook is not None and CODE_NEXT.name in {c.name for c in project.codebook.codes}
    assert {"gardening", "music", "cooking", "astronomy"} <= {c.id for c in project.codebook.codes}
    marked = {(c.document, c.start, c.end) for c in project.codings}
    assert marked == {(segments[p.segment_id].document, a, b) for p in picks for a, b in segments[p.segment_id].spans}
    with zipfile.ZipFile(target) as zf:
        root = ET.fromstring(zf.read("project.qde"))
    ns = {"q": root.tag[1:].split("}")[0]}
    notes = {n.get("guid"): n.findtext("q:PlainTextContent", namespaces=ns) for n in root.iterfind("q:Notes/q:Note", ns)}
    assert len(notes) == 5
    for p in picks:  # a note per suggestion: its rank, segment, code and reason
        assert sum(f"({p.rank} of 5; segment {p.segment_id})" in t and p.reason in t for t in notes.values()) == 1
    refs = [r.get("targetGUID") for r in root.iterfind(".//q:PlainTextSelection/q:NoteRef", ns)]
    assert len(refs) == len(marked) and set(refs) == set(notes)
    with pytest.raises(InputError, match="already exists. Use --force"):
        write_suggestions(back, picks, "qdpx", out=target)
    # coded back and exported, the marks are not codes
    prepared = prepare(load_config(config))
    human = read_codings(target, documents={d.id: d.text for d in prepared.corpus.documents},
                         segments=prepared.segmentation.segments, segment_ids=prepared.dtm.segment_ids,
                         codebook=prepared.codebook)
    assert human.n_codings == 0 and not human.labels.any()


def test_suggestions_csv_export_is_a_reviewed_list(study, tmp_path: Path) -> None:
    _, _, folder, _ = study
    back = load_run(folder)
    picks = next_suggestions(back, 3)
    target, _ = write_suggestions(back, picks, "csv", out=tmp_path / "next.csv")
    assert read_reviewed(target, back.agreement.segment_ids) == tuple(
        s for s in back.agreement.segment_ids if s in {p.segment_id for p in picks})


def test_reviewed_lists_are_read_from_csv_and_sample_json(tmp_path: Path) -> None:
    ids = ("a#1", "a#2", "=b#1")
    (tmp_path / "s.csv").write_text("rank,segment_id\n1,'=b#1\n2,a#1\n", encoding="utf-8")  # as suggestions.csv writes it
    assert read_reviewed(tmp_path / "s.csv", ids) == ("a#1", "=b#1")
    (tmp_path / "sample.json").write_text(json.dumps({"format": 1, "segments": [{"segment_id": "a#2"}]}), encoding="utf-8")
    assert read_reviewed(tmp_path / "sample.json", ids) == ("a#2",)
    (tmp_path / "list.json").write_text(json.dumps(["a#2", "a#1"]), encoding="utf-8")
    assert read_reviewed(tmp_path / "list.json", ids) == ("a#1", "a#2")
    (tmp_path / "bad.csv").write_text("rank,segment_id\n1,zz#9\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_reviewed(tmp_path / "bad.csv", ids)
    assert str(err.value) == ("codings.reviewed: bad.csv: 1 of its 1 segment ids are not segments of this run (first: 'zz#9'). "
                              "The list must come from a run of this config and corpus (the same segment settings).")
    (tmp_path / "cols.csv").write_text("id\na#1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"codings.reviewed: cols.csv: no column 'segment_id'; found id\."):
        read_reviewed(tmp_path / "cols.csv", ids)
    with pytest.raises(InputError, match=r"codings.reviewed: missing.csv does not exist"):
        read_reviewed(tmp_path / "missing.csv", ids)


def test_reviewed_segments_count_as_coded_and_nothing_else_in_their_document(tmp_path: Path) -> None:
    config, truth = write_study(tmp_path / "project")
    cfg = load_config(config)
    prepared = prepare(cfg)
    segs = [s for s in prepared.segmentation.segments if s.document == "doc01" and s.id in set(prepared.dtm.segment_ids)]
    themed = next(s for s in segs if truth[("doc01", s.text)] in CODED)
    other = next(s for s in segs if s.id != themed.id)
    with (config.parent / "codings.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerow(["doc01", truth[("doc01", themed.text)], themed.text])
    (config.parent / "reviewed.csv").write_text(f"segment_id\n{themed.id}\n{other.id}\n", encoding="utf-8")
    fitted = fit_all(prepared)
    ids = np.array(prepared.dtm.segment_ids)
    docs = np.array([prepared.segments[s].document for s in ids])
    half = np.isin(docs, HALF)

    without = analyse(prepare(cfg), fitted).agreement
    assert without is not None and without.coded is not None
    assert np.array_equal(without.coded, half | (docs == "doc01"))  # one coding: all of doc01 counts

    cfg = dataclasses.replace(cfg, codings=dataclasses.replace(cfg.codings, reviewed=config.parent / "reviewed.csv"))
    folder, result = run(cfg, out_dir=tmp_path / "runs")
    coded = result.agreement.coded
    assert np.array_equal(coded, half | np.isin(ids, [themed.id, other.id]))
    assert result.agreement.learned is not None and np.array_equal(result.agreement.learned.coded, coded)
    figures = result.agreement.figures
    assert figures["similarity"].n_segments == figures["learned"].n_segments == int(coded.sum())
    report = json.loads((folder / "codings_report.json").read_text(encoding="utf-8"))
    assert report["reviewed"] == {"source": "reviewed.csv", "segments": 2, "segment_ids": sorted([themed.id, other.id], key=list(ids).index)}
    assert report["coded_segments"] == int(coded.sum())
    back = load_run(folder).agreement
    assert np.array_equal(back.coded, coded) and back.reviewed == tuple(report["reviewed"]["segment_ids"])
    # never suggested again: reviewed segments are coded
    assert not {themed.id, other.id} & {s.segment_id for s in result.agreement.suggestions}


def test_same_seed_same_learned_scores(tmp_path: Path) -> None:
    config, _ = write_study(tmp_path / "project")
    prepared = prepare(load_config(config))
    fitted = fit_all(prepared)
    a, b = analyse(prepared, fitted).agreement, analyse(prepared, fitted).agreement
    assert a is not None and b is not None and a.learned is not None and b.learned is not None
    assert np.array_equal(a.scores["learned"], b.scores["learned"])
    assert a.learned.fit_json() == b.learned.fit_json() and a.curve == b.curve and a.suggestions == b.suggestions
    other = dataclasses.replace(prepared.cfg, seed=prepared.cfg.seed + 1)
    prepared.cfg = other
    c = analyse(prepared, fitted).agreement
    assert c is not None and c.curve != a.curve  # the curve's draws follow the seed


def test_group_column_keeps_a_respondent_whole(tmp_path: Path) -> None:
    """A survey table: three answers per respondent; the CV folds never split a respondent."""
    rng = random.Random(5)
    themes = list(THEMES)
    rows, codings = [["id", "respondent", "text"]], [["document", "code", "text"]]
    for r in range(16):
        for q in range(3):
            theme = themes[(r + q) % 4]
            text = planted_turn(rng, theme, 8)
            rows.append([f"r{r:02d}q{q}", f"R{r:02d}", text])
            if r % 2 == 0 and theme in CODED:
                codings.append([f"r{r:02d}q{q}", theme, text])
    root = tmp_path / "survey"
    root.mkdir()
    for name, table in (("answers.csv", rows), ("codings.csv", codings)):
        with (root / name).open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(table)
    (root / "codebook.yaml").write_text(WEAK_CODEBOOK, encoding="utf-8")
    body = ("corpus: {path: answers.csv, text_column: text}\nsegment: {min_tokens: 0}\n"
            "preprocess: {min_df: 2, max_df: 0.6, phrases: false}\nmodels: [{type: nmf, n_topics: 4}]\n"
            "codebook: {path: codebook.yaml}\nevaluate: {stability_seeds: 0, coherence: [u_mass]}\n"
            "report: {explorer: false}\ncache: {enabled: false}\n")
    (root / "bad.yaml").write_text(body + "codings: {path: codings.csv, group_column: respondant}\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        prepare(load_config(root / "bad.yaml"))
    assert str(err.value) == "codings.group_column: no document has a metadata column 'respondant'. Metadata columns: respondent."
    (root / "ok.yaml").write_text(body + "codings: {path: codings.csv, group_column: respondent}\n", encoding="utf-8")
    prepared = prepare(load_config(root / "ok.yaml"))
    result = analyse(prepared, fit_all(prepared)).agreement
    assert result is not None and result.learned is not None and result.group_column == "respondent"
    assert sorted(d for fold in result.learned.folds for d in fold) == [f"R{r:02d}" for r in range(0, 16, 2)]
    fit = result.figures_json()[LEARNED_FIT]
    assert fit["groups"] == "respondent" and fit["coded_groups"] == 8


@pytest.mark.parametrize(("codings", "message"), [
    ("{reviewed: r.csv}", "'codings.reviewed' needs human codings: set codings.path (or a table corpus's corpus.codes_column), or remove codings.reviewed."),
    ("{group_column: respondent}", "'codings.group_column' needs human codings: set codings.path (or a table corpus's corpus.codes_column), or remove codings.group_column."),
    ("{suggestions: -1}", "'codings.suggestions' must be an int >= 0; got -1."),
])
def test_learning_keys_are_checked_when_the_config_loads(tmp_path: Path, codings: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"corpus: {{path: .}}\ncodings: {codings}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: {message}"


def test_a_model_cannot_take_a_method_name(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("corpus: {path: .}\nmodels: [{type: nmf, name: learned}]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: models: the name 'learned' is reserved (a scoring method or a section of agreement.json). Give the model another `name`."


def test_sample_next_writes_the_suggestions_and_their_record(study, tmp_path: Path) -> None:
    _, _, folder, _ = study
    result = CliRunner().invoke(main, ["sample", str(folder), "--next", "5", "--format", "qdpx"])
    assert result.exit_code == 0, result.output
    target, record = folder / "validation" / "next.qdpx", folder / "validation" / "next.json"
    picks = next_suggestions(load_run(folder), 5)
    assert result.output.splitlines() == [
        f"Next: 5 uncoded segments to code, in {len({p.document for p in picks})} documents",
        f"Exported: {target}", f"Record (give it as codings.reviewed once they are coded): {record}"]
    assert_valid_refi(target)
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["format"] == 1 and data["method"] == "next" and data["n"] == 5
    assert {s["segment_id"] for s in data["segments"]} == {p.segment_id for p in picks}
    again = CliRunner().invoke(main, ["sample", str(folder), "--next", "5", "--format", "qdpx"])
    assert again.exit_code == 1 and again.output.strip() == f"Error: {target}: already exists. Use --force to replace it, or --out to write elsewhere."
    csv_out = CliRunner().invoke(main, ["sample", str(folder), "--next", "3", "--format", "csv", "--out", str(tmp_path / "n.csv")])
    assert csv_out.exit_code == 0, csv_out.output
    with (tmp_path / "n.csv").open(encoding="utf-8", newline="") as fh:
        assert [r["segment_id"] for r in csv.DictReader(fh)] == [p.segment_id for p in picks[:3]]


@pytest.mark.parametrize("args", [["--n", "5", "--next", "5"], [], ["--next", "5", "--stratify", "code"],
                                  ["--next", "5", "--seed", "1"]])
def test_sample_takes_either_n_or_next(study, args: list[str]) -> None:
    _, _, folder, _ = study
    result = CliRunner().invoke(main, ["sample", str(folder), *args, "--format", "csv"])
    assert result.exit_code == 2
    assert result.output.strip() == "Error: give either --n N (a random sample; with --stratify, --model, --seed) or --next N (what to code next)."

