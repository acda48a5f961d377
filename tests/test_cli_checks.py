"""What `validate` and `run` check before any model is fitted, and how warnings reach the screen.

- `validate` reads and places the codings (a codings line, why the others were not placed, each
  listed with -v) and reports the problems that would stop fitting; `run` checks the same before
  its first fit (here: the fit function fails the test if it is called).
- Warnings are held while a command reads and checks its inputs and printed when they are
  checked (before `run` fits) and at the end, one line per kind; an error is the only line when
  it ends a command (topicbook.logs, cli.py).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import topicbook.pipeline as pipeline
from conftest import REPO, write_planted_corpus
from topicbook.cli import main
from topicbook.logs import WarningSummary


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def edit_config(config: Path, **sections: dict) -> Path:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    for key, value in sections.items():
        data[key] = value
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return config


def first_answer(project: Path, doc: str = "doc01") -> str:
    lines = (project / "interviews" / f"{doc}.txt").read_text(encoding="utf-8").split("\n\n")
    return next(line for line in lines if not line.startswith("Interviewer:")).split(": ", 1)[1]


@pytest.fixture
def no_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any model fit fails the test: the checks must come first."""
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was fitted before the inputs were checked")

    monkeypatch.setattr(pipeline, "fit_model", fail)
    monkeypatch.setattr(pipeline, "stability_refits", fail)


CODINGS_ERRORS = {
    "wrong_path": (None, "Error: codings.path: nowhere.csv does not exist ({project}/nowhere.csv). Fix the path or remove codings.path.\n"),
    "wrong_columns": ("doc,label\ndoc01,music\n",
                      "Error: nowhere.csv: codings need columns document,code,text (quotes) or document,start,end,code (offsets); found doc, label.\n"),
    "nothing_placed": ("document,code,text\ndoc01,sailing,harbour boat\n",
                       "Error: nowhere.csv: none of the 1 codings matches a segment (line 2: code not in the codebook: document 'doc01', code 'sailing'). Codes must be ids or names of the codebook's codes, documents the corpus's document ids.\n"),
}


@pytest.mark.parametrize("case", sorted(CODINGS_ERRORS))
@pytest.mark.parametrize("command", ["run", "validate"])
def test_codings_problems_are_one_line_before_any_fit(planted: Path, no_fit: None, command: str, case: str) -> None:
    content, message = CODINGS_ERRORS[case]
    if content is not None:
        (planted.parent / "nowhere.csv").write_text(content, encoding="utf-8")
    edit_config(planted, codings={"path": "nowhere.csv"})
    result = CliRunner().invoke(main, [command, str(planted), "--out", str(planted.parent / "runs")] if command == "run"
                                else [command, str(planted)])
    assert result.exit_code == 1
    assert result.output == message.format(project=planted.parent)
    assert not (planted.parent / "runs").exists() or not any((planted.parent / "runs").iterdir())


def test_run_checks_topics_against_segments_before_any_fit(planted: Path, no_fit: None) -> None:
    data = yaml.safe_load(planted.read_text())
    data["models"][1]["n_topics"] = 500
    edit_config(planted, models=data["models"])
    result = CliRunner().invoke(main, ["run", str(planted), "--out", str(planted.parent / "runs")])
    assert result.exit_code == 1
    # the codebook's keyword warning is dropped: the error is the one line
    assert result.output == ("Error: models: 'nmf_k500' asks for n_topics=500 but the corpus has only 64 segments. "
                             "Use fewer topics or a smaller segment.unit.\n")


def test_validate_lists_what_stops_a_fit(planted: Path) -> None:
    data = yaml.safe_load(planted.read_text())
    data["models"][0]["n_topics"] = 64
    edit_config(planted, models=data["models"])
    result = invoke("validate", str(planted))
    assert result.exit_code == 0
    assert ("  - models: 'lda_k64' asks for n_topics=64 but the corpus has only 64 segments. "
            "Use fewer topics or a smaller segment.unit.") in result.output.splitlines()


def test_validate_prints_how_codings_were_placed(planted: Path) -> None:
    project = planted.parent
    quote = " ".join(first_answer(project).split()[:12])
    rows = ["document,code,text", f"doc01,gardening,{quote}", f"doc01,Gardening,{quote}",
            "doc01,music,this sentence is in no interview", f"doc02,sailing,{first_answer(project, 'doc02')[:40]}"]
    (project / "codings.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    edit_config(planted, codings={"path": "codings.csv"})
    result = invoke("validate", str(planted))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert ("Codings: codings.csv: 4 read, 2 placed on segments; 2 not placed (1 quote not found in the document, "
            "1 code not in the codebook); `topicbook -v validate` lists them") in lines
    assert ("Coded codes: 1 with codings, 0 of them on at least codings.min_positives=5 segments "
            "(agreement is computed for those)") in lines
    assert not any(line.startswith("Warning:") for line in lines)  # the codings line says it
    verbose = invoke("-v", "validate", str(planted)).output.splitlines()
    assert "  - line 4: document 'doc01', code 'music': quote not found in the document" in verbose
    assert "  - line 5: document 'doc02', code 'sailing': code not in the codebook" in verbose


def test_validate_shows_the_name_and_definition_seeds_and_groups(planted: Path) -> None:
    project = planted.parent
    book = yaml.safe_load((project / "codebook.yaml").read_text())
    book["codes"].insert(0, {"id": "hobbies", "name": "Hobbies", "definition": "What people do for fun."})
    for code in book["codes"][1:]:
        code["parent"] = "hobbies"
    book["codes"].append({"id": "sailing", "name": "Sailing", "definition": "A boat, the wind and the harbour.",
                          "parent": "hobbies"})
    (project / "codebook.yaml").write_text(yaml.safe_dump(book, sort_keys=False), encoding="utf-8")
    lines = invoke("validate", str(planted)).output.splitlines()
    assert ("Codebook: 6 codes: 5 analysed (4 with seed terms in the vocabulary) and 1 groups "
            "(parent codes: not seeded or scored)") in lines
    assert "  - hobbies: group of 5 codes (not seeded or scored)" in lines
    (sailing,) = [line for line in lines if line.startswith("  - sailing: ")]
    assert sailing.startswith("  - sailing: no keywords; seeded by its name and definition: ")
    assert {"boat", "wind", "harbour"} <= {t.split(" (")[0] for t in sailing.split(": ", 2)[2].split(", ")}
    assert "  - astronomy: no keyword in the vocabulary; no term of its name or definition is in the vocabulary either" in lines


# --------------------------------------------------------------------------- warnings


def record(message: str, *args: object, kind: str | None = None, level: int = logging.WARNING) -> logging.LogRecord:
    rec = logging.LogRecord("topicbook.x", level, __file__, 1, message, args, None)
    if kind:
        rec.kind = kind
    return rec


def test_warning_summary_is_one_line_per_kind_with_a_count() -> None:
    held = WarningSummary()
    for name in ("doc01.txt", "doc02.txt", "doc03.txt", "doc04.txt"):
        held.emit(record(f"{name}: the file is empty; skipped."))
    for name in ("a.txt", "b.txt"):
        held.emit(record(f"{name}: a symbolic link; not read."))
    held.emit(record("%s: only %.1f segments per topic", "lda_k9", 3.5))
    held.emit(record("%s: only %.1f segments per topic", "lda_k9", 3.5))
    held.emit(record("codebook: 10 codes have keywords missing", kind="codebook.keywords"))
    held.emit(record("a real error", level=logging.ERROR))
    assert held.lines() == [
        "doc01.txt: the file is empty; skipped. (4 warnings like this; run with -v to see each)",
        "a.txt: a symbolic link; not read.", "b.txt: a symbolic link; not read.",  # few of a kind: each
        "lda_k9: only 3.5 segments per topic (2 times)",
        "codebook: 10 codes have keywords missing",
    ]
    assert held.lines() == []  # flushed once
    held.emit(record("codebook: 10 codes have keywords missing", kind="codebook.keywords"))
    held.emit(record("kept"))
    held.forget(["codebook.keywords"])
    assert held.lines() == ["kept"]


def test_warnings_of_the_inputs_come_before_the_fits_and_validate_lists_its_own(planted: Path) -> None:
    result = invoke("validate", str(planted))  # the planted codebook has a code without vocabulary
    lines = result.output.splitlines()
    assert lines[0].startswith("Config: ")
    assert not any(line.startswith("Warning:") for line in lines)  # validate lists the keywords per code
    run = CliRunner().invoke(main, ["run", str(planted), "--out", str(planted.parent / "runs")])
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    assert [line for line in lines if line.startswith("Warning:")] == [
        "Warning: codebook: 1 code has keywords missing from the vocabulary; `topicbook validate` lists them"]
    assert lines[0].startswith("Warning: codebook:") and lines[1].startswith("Run folder: ")


# --------------------------------------------------------------------------- the real entry point


def topicbook(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "topicbook.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


def demo_config(tmp_path: Path, **changes: object) -> Path:
    """configs/demo.yaml with absolute input paths and a cache in tmp_path."""
    data = yaml.safe_load((REPO / "configs" / "demo.yaml").read_text(encoding="utf-8"))
    base = REPO / "configs"
    data["corpus"]["path"] = str((base / data["corpus"]["path"]).resolve())
    data["corpus"]["metadata"] = str((base / data["corpus"]["metadata"]).resolve())
    data["codebook"]["path"] = str((base / data["codebook"]["path"]).resolve())
    data["codings"]["path"] = str((base / data["codings"]["path"]).resolve())
    data["cache"] = {"path": str(tmp_path / "cache")}
    data.update(changes)
    config = tmp_path / "demo.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return config


@pytest.mark.slow
def test_the_demo_prints_at_most_two_warning_lines(tmp_path: Path) -> None:
    done = topicbook("run", str(demo_config(tmp_path)), "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "arning" in line]
    assert 1 <= len(warnings) <= 2, done.stderr
    assert all(line.startswith("Warning: ") for line in warnings)
    assert done.stdout.splitlines()[0].startswith("Run folder: ")


@pytest.mark.slow
def test_a_500_topic_config_prints_exactly_one_line(tmp_path: Path) -> None:
    config = demo_config(tmp_path, models=[{"type": "lda", "n_topics": 500}])
    done = topicbook("run", str(config), "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == ("Error: models: 'lda_k500' asks for n_topics=500 but the corpus has only 229 segments. "
                           "Use fewer topics or a smaller segment.unit.\n")


@pytest.mark.slow
def test_warnings_of_worker_processes_have_the_same_prefix(tmp_path: Path) -> None:
    config = write_planted_corpus(tmp_path / "project")
    data = yaml.safe_load(config.read_text())
    data["models"] = [{"type": "nmf", "n_topics": 4, "max_iter": 2}]  # too few iterations: a ConvergenceWarning per fit
    data["evaluate"] = {"coherence": ["u_mass"], "stability_seeds": 2}
    data["report"] = {"explorer": False}
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    # the planted corpus is below stability.REFIT_WORKERS_MIN_SEGMENTS: its re-fits would stay in
    # the run's process, so the child lowers the threshold to fit them in worker processes
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    child = ("import sys, topicbook.stability as s; s.REFIT_WORKERS_MIN_SEGMENTS = 0; "
             "from topicbook.cli import main; main(sys.argv[1:], prog_name='topicbook')")
    done = subprocess.run([sys.executable, "-c", child, "run", str(config), "--out", str(tmp_path / "runs"), "--jobs", "2"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "ConvergenceWarning" in line]
    # the main fit's warning and the two re-fits' (in worker processes) are one line
    assert lines == ["Warning: ConvergenceWarning: Maximum number of iterations 2 reached. Increase it to improve "
                     "convergence. (3 times)"], done.stderr


# --------------------------------------------------------------------------- agreement coverage


@pytest.mark.slow
def test_run_says_when_agreement_covers_few_of_the_coded_codes(planted: Path) -> None:
    project = planted.parent
    whole = len((project / "interviews" / "doc01.txt").read_text(encoding="utf-8"))
    rows = ["document,start,end,code", f"doc01,0,{whole},music"]  # all 8 segments of doc01
    for doc, code in (("doc02", "gardening"), ("doc03", "cooking")):
        text = (project / "interviews" / f"{doc}.txt").read_text(encoding="utf-8")
        start = text.index(first_answer(project, doc))
        rows.append(f"{doc},{start},{start + 60},{code}")  # one segment each
    (project / "codings.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    edit_config(planted, codings={"path": "codings.csv"}, evaluate={"stability_seeds": 0, "coherence": ["u_mass"]},
                report={"explorer": False})
    result = CliRunner().invoke(main, ["run", str(planted), "--out", str(project / "runs")])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("Agreement with")]
    assert line == ("Agreement with codings.csv (macro ROC AUC; segment length alone: "
                    f"{line.split('alone: ')[1].split(';')[0]}; agreement covers 1 of 3 coded codes (the others have "
                    "fewer than codings.min_positives=5 coded segments)):")
