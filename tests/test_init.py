"""`topicbook init FOLDER`: what it finds, the config it writes, and that `topicbook run`
completes that config unchanged (slow: two full runs on real folders)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO, shared_corpus
from topicbook.cli import main
from topicbook.init import guess_table_columns, inspect_folder

ENGLISH = [
    "Interviewer: What did you learn in the online course?\n\n{n}: I learned how to use spreadsheets and a bit of "
    "programming, and I use both at work every week now. My manager noticed that my reports are faster.\n\n"
    "Interviewer: Did the certificate help you?\n\n{n}: Not really, nobody asked for the certificate, but the skills "
    "helped me when I applied for a new position in the same company last year.\n",
]
FRENCH = ("Interviewer: Qu'avez-vous appris pendant le cours en ligne ?\n\nLéa: J'ai appris à utiliser les tableurs et "
          "un peu de programmation, et je les utilise au travail chaque semaine. Mon responsable a remarqué que mes "
          "rapports sont plus rapides.\n\nInterviewer: Le certificat vous a-t-il aidé ?\n\nLéa: Pas vraiment, personne "
          "ne m'a demandé le certificat, mais les compétences m'ont aidée quand j'ai postulé pour un nouveau poste.\n")


def mixed_folder(root: Path) -> Path:
    folder = root / "interviews"
    folder.mkdir(parents=True)
    for i, name in enumerate(["Ada", "Ben", "Cleo"], 1):
        (folder / f"en{i:02d}.txt").write_text(ENGLISH[0].format(n=name), encoding="utf-8")
    (folder / "fr01.txt").write_text(FRENCH, encoding="utf-8")
    (folder / "README.txt").write_text("Notes about the study, not an interview.", encoding="utf-8")
    return folder


def test_a_french_interview_among_english_ones_is_named_in_a_warning(tmp_path: Path) -> None:
    folder = mixed_folder(tmp_path)
    result = CliRunner().invoke(main, ["init", str(folder), "--out", str(tmp_path / "study.yaml")])
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.output.splitlines() if line.startswith("Warning: corpus.language"))
    assert warning.startswith("Warning: corpus.language: 1 of 5 documents are not in 'en': fr01 (fr).")
    assert "Warning: README.txt in interviews will be read as a transcript (*.txt); move it out of the folder." in result.output
    cfg = yaml.safe_load((tmp_path / "study.yaml").read_text(encoding="utf-8"))
    assert cfg["corpus"]["language"] == "en" and cfg["corpus"]["include"] == ["*.txt"]
    findings = inspect_folder(folder)
    assert findings.documents == 5 and findings.other_language == {"fr01": "fr"}
    assert findings.interviewers == ["Interviewer"]


def test_init_never_replaces_a_config_without_force(tmp_path: Path) -> None:
    folder = mixed_folder(tmp_path)
    out = tmp_path / "study.yaml"
    out.write_text("mine: true\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["init", str(folder), "--out", str(out)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {out}: already exists. Use --force to replace it, or --out to write elsewhere."
    assert out.read_text(encoding="utf-8") == "mine: true\n"
    assert CliRunner().invoke(main, ["init", str(folder), "--out", str(out), "--force"]).exit_code == 0
    assert "corpus:" in out.read_text(encoding="utf-8")


def test_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "nowhere"), "--out", str(tmp_path / "c.yaml")])
    assert result.exit_code == 1 and result.output.startswith("Error: nowhere: no such folder or file")
    assert not (tmp_path / "c.yaml").exists()


def test_table_columns_are_guessed(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({"respondent": ["r1", "r2", "r3"], "ward": ["A", "B", "A"],
                          "answer": ["The nurses were kind and quick to help me.", "Food was cold every day.",
                                     "Parking was hard to find near the entrance."],
                          "labels": ["staff", "food", "parking; access"]})
    guess = guess_table_columns(frame)
    assert (guess.id_column, guess.text_column, guess.codes_column) == ("respondent", "answer", "labels")
    path = tmp_path / "answers.csv"
    frame.to_csv(path, index=False)
    result = CliRunner().invoke(main, ["init", str(path), "--out", str(tmp_path / "t.yaml")])
    assert result.exit_code == 0, result.output
    corpus = yaml.safe_load((tmp_path / "t.yaml").read_text(encoding="utf-8"))["corpus"]
    assert (corpus["id_column"], corpus["text_column"], corpus["codes_column"]) == ("respondent", "answer", "labels")


def init_and_run(folder: Path, tmp_path: Path) -> tuple[dict, Path]:
    config = tmp_path / "study.yaml"
    result = CliRunner().invoke(main, ["init", str(folder), "--out", str(config)])
    assert result.exit_code == 0, result.output
    ran = CliRunner().invoke(main, ["run", str(config), "--out", str(tmp_path / "runs")])
    assert ran.exit_code == 0, ran.output
    folder_line = next(line for line in ran.output.splitlines() if line.startswith("Run folder: "))
    return yaml.safe_load(config.read_text(encoding="utf-8")), Path(folder_line.removeprefix("Run folder: "))


@pytest.mark.slow
def test_init_on_the_pdpilot_pdfs_writes_a_config_that_runs(tmp_path: Path) -> None:
    cfg, run_dir = init_and_run(shared_corpus("pdpilot-interviews", "original", "transcripts"), tmp_path)
    assert cfg["corpus"]["include"] == ["*.pdf"] and "metadata" not in cfg["corpus"]
    assert cfg["preprocess"]["extra_stopwords"] == [] and cfg["speakers"]["interviewer"] == ["Dan"]
    assert (run_dir / "explorer.html").is_file() and (run_dir / "manifest.json").is_file()


@pytest.mark.slow
def test_init_on_the_demo_folder_writes_a_config_that_runs(tmp_path: Path) -> None:
    cfg, run_dir = init_and_run(REPO / "corpora" / "mooc-demo", tmp_path)
    root = tmp_path.resolve()
    assert (root / cfg["corpus"]["path"]).resolve() == (REPO / "corpora" / "mooc-demo" / "interviews").resolve()
    assert (root / cfg["corpus"]["metadata"]).resolve() == (REPO / "corpora" / "mooc-demo" / "metadata.csv").resolve()
    assert cfg["corpus"]["include"] == ["*.txt"] and cfg["preprocess"]["extra_stopwords"] == []
    assert (run_dir / "explorer.html").is_file()
