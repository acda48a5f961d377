"""The run folder's one reader: load_run gives back what the run held in memory; export,
explore and compare read through it; a moved run folder without its corpus still exports the
same bytes; bad or incomplete folders are one line naming the file."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import THEMES, write_planted_corpus
from topicbook.agreement import SECTIONS
from topicbook.cli import main
from topicbook.config import load_config
from topicbook.errors import InputError
from topicbook.pipeline import run
from topicbook.report.run_folder import FORMAT, load_run


def planted_codings(config: Path) -> None:
    """Code every respondent turn of the planted corpus by its theme (a 6-word quote)."""
    rows = []
    for path in sorted((config.parent / "interviews").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("Interviewer"):
                body = line.split(":", 1)[1].strip()
                words = {w.strip(".,").lower() for w in body.split()}
                code = next((c for c in ("gardening", "music", "cooking") if words & set(THEMES[c])), None)
                if code:
                    rows.append([path.stem, code, " ".join(body.split()[:6])])
    with (config.parent / "codings.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["document", "code", "text"], *rows])
    config.write_text(config.read_text(encoding="utf-8") + "codings:\n  path: codings.csv\n  min_positives: 3\n"
                      "evaluate:\n  stability_seeds: 1\ncache:\n  enabled: false\n", encoding="utf-8")


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("runfolder")
    config = write_planted_corpus(root / "project")
    planted_codings(config)
    folder, result = run(load_config(config), out_dir=root / "runs", name="planted")
    return root, folder, result


def test_load_run_gives_back_every_stage(planted_run) -> None:
    _, folder, result = planted_run
    back = load_run(folder)
    prepared = result.prepared
    assert back.format == FORMAT and back.name == "planted"
    assert back.documents == prepared.corpus.documents
    assert back.segments == prepared.segmentation.segments  # spans too, multi-span segments included
    docs = {d.id: d.text for d in back.documents}
    for seg in back.segments:
        assert "\n".join(docs[seg.document][s:e] for s, e in seg.spans) == seg.text
    assert back.vocab == prepared.dtm.vocab and back.segment_ids == prepared.dtm.segment_ids
    for model in result.models:
        again = back.models[model.name]
        assert np.array_equal(again.doc_topic, model.doc_topic) and np.array_equal(again.topic_term, model.topic_term)
        assert again.seeded_codes == model.seeded_codes and again.type == model.type
        assert back.summaries[model.name] == tuple(result.summaries[model.name])
        assert back.evaluation[model.name].to_json() == result.evaluation[model.name].to_json()
        al, al_back = result.alignments[model.name], back.alignments[model.name]
        assert al_back.to_json() == al.to_json()
        assert al_back.matches == al.matches and al_back.cell_quotes == {k: v for k, v in al.cell_quotes.items() if v}
    assert back.preprocess_report == prepared.preprocess_report()
    assert back.keywords == prepared.keywords
    assert back.codebook == prepared.codebook
    run_agreement, agreement_back = result.agreement, back.agreement
    assert run_agreement is not None and agreement_back is not None and run_agreement.codings is not None
    assert agreement_back.figures == run_agreement.figures
    assert agreement_back.holdout_documents == run_agreement.holdout_documents
    assert agreement_back.codings is not None
    assert np.array_equal(agreement_back.codings.labels, run_agreement.codings.labels)
    assert agreement_back.codings.documents == run_agreement.codings.documents
    for method, scores in run_agreement.scores.items():
        assert np.array_equal(agreement_back.scores[method], scores)
        assert np.array_equal(agreement_back.thresholds[method], run_agreement.thresholds[method])
    assert back.config.seed == prepared.cfg.seed and back.config.models == prepared.cfg.models


def _zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _xlsx_cells(path: Path) -> dict[str, list[list[object]]]:
    import openpyxl

    book = openpyxl.load_workbook(path)
    return {sheet.title: [[c.value for c in row] for row in sheet.iter_rows()] for sheet in book.worksheets}


def test_a_moved_run_folder_without_its_corpus_exports_the_same(planted_run, tmp_path: Path) -> None:
    root, folder, _ = planted_run
    before = tmp_path / "before"
    for fmt in ("qdc", "qdpx", "csv", "xlsx"):
        result = CliRunner().invoke(main, ["export", str(folder), "--format", fmt, "--out", str(before / f"run.{fmt}")])
        assert result.exit_code == 0, result.output
    moved = tmp_path / "elsewhere" / folder.name
    shutil.copytree(folder, moved)
    project = tmp_path / "project-copy"
    shutil.copytree(root / "project", project)
    shutil.rmtree(root / "project")  # the corpus, codebook and config are gone
    try:
        after = tmp_path / "after"
        for fmt in ("qdc", "qdpx", "csv", "xlsx"):
            result = CliRunner().invoke(main, ["export", str(moved), "--format", fmt, "--out", str(after / f"run.{fmt}")])
            assert result.exit_code == 0, result.output
    finally:
        shutil.copytree(project, root / "project")
    for name in ("run.qdc", "run.qdpx", "run.csv", "run_codings.csv"):
        assert (after / name).read_bytes() == (before / name).read_bytes(), name
    assert _zip_members(after / "run.qdpx") == _zip_members(before / "run.qdpx")
    assert _xlsx_cells(after / "run.xlsx") == _xlsx_cells(before / "run.xlsx")
    members = _zip_members(after / "run.qdpx")
    texts = [v.decode() for k, v in members.items() if k.startswith("sources/")]
    assert len(texts) == 8 and all("Interviewer:" in t for t in texts)  # the documents' full texts


def test_compare_prints_the_agreement_json_table(planted_run) -> None:
    _, folder, _ = planted_run
    result = CliRunner().invoke(main, ["compare", str(folder)])
    assert result.exit_code == 0, result.output
    figures = json.loads((folder / "agreement.json").read_text(encoding="utf-8"))
    figures = {k: v for k, v in figures.items() if k not in SECTIONS}  # learned_fit, learning_curve: not methods
    lines = result.output.splitlines()
    assert lines[0].split() == ["method", "codes", "ROC", "AUC", "length", "macro", "F1", "micro", "F1", "kappa"]
    assert [line.split()[0] for line in lines[1:]] == list(figures)
    for line in lines[1:]:
        name, codes, *cells = line.split()
        fig = figures[name]
        assert int(codes) == fig["n_codes"]
        expected = ["-" if fig[k] is None else f"{fig[k]:.3f}"
                    for k in ("macro_roc_auc", "length_floor_auc", "macro_f1", "micro_f1", "kappa")]
        assert cells == expected


def test_compare_without_codings_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    result = CliRunner().invoke(main, ["compare", str(folder)])
    assert result.exit_code == 1
    assert result.output == f"Error: {folder}: no agreement.json; set codings.path in the config (or a corpus codes_column) and run again.\n"


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / folder.name
    shutil.copytree(folder, target)
    return target


def test_a_newer_format_is_refused_in_one_line(planted_run, tmp_path: Path) -> None:
    folder = _copy(planted_run[1], tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["format"] = FORMAT + 1
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = CliRunner().invoke(main, ["export", str(folder), "--format", "qdc"])
    assert result.exit_code == 1
    assert result.output == (f"Error: {folder / 'manifest.json'}: run folder format {FORMAT + 1} is newer than this "
                             f"topicbook reads ({FORMAT}); upgrade topicbook (it wrote {manifest['topicbook']}).\n")


@pytest.mark.parametrize(("name", "damage", "message"), [
    ("documents.jsonl", None, "{path}: not found. Run `topicbook run` again to write a complete run folder."),
    ("models.npz", b"not a zip", "{path}: not a readable .npz file"),
    ("topics.json", b"{", "{path}: not valid JSON ("),
    ("segments.csv", b"segment_id,document\nx,y\n", "{path}: line 2: not a segment row (KeyError: 'speaker')"),
])
def test_a_missing_or_damaged_file_is_one_line_naming_it(planted_run, tmp_path: Path, name: str,
                                                         damage: bytes | None, message: str) -> None:
    folder = _copy(planted_run[1], tmp_path)
    path = folder / name
    if damage is None:
        path.unlink()
    else:
        path.write_bytes(damage)
    result = CliRunner().invoke(main, ["export", str(folder), "--format", "qdpx", "--out", str(tmp_path / "x.qdpx")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: " + message.format(path=path)), result.output
    assert result.output.count("\n") == 1
    assert not (tmp_path / "x.qdpx").exists()


@pytest.mark.parametrize("data", [{"format": 1}, {"format": 1, "run": {"name": "x"}, "models": []},
                                  "MODEL_WITHOUT_LDAVIS"])
def test_explore_on_incomplete_explorer_data_is_one_line(planted_run, tmp_path: Path, data) -> None:
    folder = _copy(planted_run[1], tmp_path)
    if data == "MODEL_WITHOUT_LDAVIS":
        data = json.loads((folder / "explorer_data.json").read_text(encoding="utf-8"))
        del data["models"][1]["ldavis"]
    (folder / "explorer_data.json").write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, ["explore", str(folder)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {folder / 'explorer_data.json'}: incomplete explorer data (no '")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_load_run_of_a_missing_folder_names_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such run folder"):
        load_run(tmp_path / "nope")
