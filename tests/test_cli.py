"""The CLI: every command has help, errors are one line with exit 1, runs write a full folder."""

import json

import pytest
from click.testing import CliRunner

from topicbook import __version__
from topicbook.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_text(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert main.commands[command].help, f"{command} has no docstring"
    assert "Usage:" in result.output


@pytest.mark.slow
def test_run_writes_a_complete_run_folder(planted, tmp_path):
    out = tmp_path / "runs"
    result = invoke("run", str(planted), "--out", str(out))
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert folder.name.startswith("planted-")
    expected = {"manifest.json", "config.resolved.yaml", "segments.csv", "topics.csv", "doc_topics.csv",
                "alignment.csv", "alignment.json", "explorer.html"}
    assert expected <= {p.name for p in folder.iterdir()}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 7
    assert set(manifest["inputs_sha256"]) >= {"interviews/doc01.txt", "metadata.csv", "codebook.yaml", "config.yaml"}
    assert {"read", "segment", "preprocess", "fit:lda_k4", "fit:nmf_k4"} <= set(manifest["timings_seconds"])
    assert manifest["versions"]["gensim"] and manifest["command"][1] == "run"
    assert f"Explorer: {folder / 'explorer.html'}" in result.output
    # no absolute path of the user's machine outside the manifest's command line
    for name in expected - {"manifest.json"}:
        assert str(tmp_path) not in (folder / name).read_text(encoding="utf-8"), name


def test_validate_prints_what_it_found(planted):
    result = invoke("validate", str(planted))
    assert result.exit_code == 0, result.output
    assert "Documents: 8 (8 with speaker labels)" in result.output
    assert "Interviewer(s): interviewer [known interviewer label]" in result.output
    assert "Codebook: 4 codes (3 with seed terms in the vocabulary)" in result.output
    assert "code 'astronomy' has no seed term in the vocabulary" in result.output


def test_validate_unknown_key_is_one_line_exit_1(planted):
    planted.write_text(planted.read_text().replace("segment:", "segmnt:"))
    result = CliRunner().invoke(main, ["validate", str(planted)])
    assert result.exit_code == 1
    assert result.output == f"Error: {planted}: unknown key 'segmnt'. Did you mean 'segment'?\n"
    assert "Traceback" not in result.output


def test_validate_missing_corpus_path(planted):
    planted.write_text(planted.read_text().replace("path: interviews", "path: nowhere"))
    result = CliRunner().invoke(main, ["validate", str(planted)])
    assert result.exit_code == 1
    nowhere = planted.parent / "nowhere"
    assert result.output == (f"Error: corpus.path: 'nowhere' does not exist ({nowhere}). "
                             "Point corpus.path at a folder of transcripts or a CSV/JSONL table.\n")


def test_validate_corpus_without_text(planted):
    folder = planted.parent / "interviews"
    for f in folder.iterdir():
        f.write_text("   \n")
    result = CliRunner().invoke(main, ["validate", str(planted)])
    assert result.exit_code == 1
    assert result.output == ("Error: corpus.path: no readable document in interviews. First problem: doc01.txt: "
                             "the file is empty; skipped. (8 more problems: run with -v to see them)\n")
    assert result.output.count("\n") == 1


def test_missing_config_file(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "config file not found" in result.output


def test_usage_error_exits_2():
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 2
