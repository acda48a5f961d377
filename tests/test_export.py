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
    # the export re-reads the corpus; keep that independent of the preprocessed-corpus cache
    config.write_text(config.read_text(encoding="utf-8") + "cache:\n  enabled: false\n", encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs")
    return folder


def test_alignment_names_matched_emergent_and_not_found(run_dir: Path) -> None:
    with (run_dir / "alignment.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for model in ("lda_k4", "nmf_k4"):
        mine = [r for r in rows if r["model"] == model]
        assert {r["code"] for r in mine if r["status"] == "matched"} == {"gardening", "music", "cooking"}
        assert [r["code"] for r in mine if r["status"] == "not_found"] == ["astronomy"]
        emergent = [r for r in mine if r["status"] == "emergent"]
        assert len(emergent) == 1 and any(w in emergent[0]["topic_label"] for w in ("sail", "wind", "mast", "boat", "harbour"))


def test_qdc_export_round_trips(run_dir: Path) -> None:
    result = CliRunner().invoke(main, ["export", str(run_dir), "--format", "qdc"])
    assert result.exit_code == 0, result.output
    path = run_dir / "export" / f"{run_dir.name}.qdc"
    assert_valid_refi(path)
    book = load_codebook(path)
    original = load_codebook(run_dir / "codebook.yaml")
    assert {c.id: c for c in book.codes if c.id in original.ids()} == {c.id: c for c in original.codes}
    topics = [c for c in book.codes if c.parent == "topicbook_nmf_k4"]
    assert len(topics) == 4 and sum("Matched code:" in c.definition for c in topics) == 3
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
