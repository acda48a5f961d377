"""Privacy of a run folder: with de-identification on, no listed name and no e-mail address of
the transcripts appears in any file the run writes (tables, JSON, explorer, pyLDAvis pages,
figures, manifest); and no file records an absolute path of this machine unless the run was
asked to with --record-paths, and then only manifest.json does.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SVG_TOO, write_planted_corpus
from topicbook.cli import main

pytestmark = pytest.mark.slow  # real corpora or several full runs

# planted speaker -> a listed name (distinctive, so that no library asset contains it)
SPEAKERS = {"Ada": "Zephyrine", "Ben": "Orsolya Brzezinska", "Cleo": "Quillfeather"}
EMAILS = ["zephyrine.q@example.org", "o.brzezinska@uni-example.de"]
LISTED = ["Zephyrine", "Orsolya Brzezinska", "Quillfeather", "Thaddeus Okonkwo-Varga"]
SECRETS = [*LISTED, "Brzezinska", "Okonkwo", *EMAILS]


def private_project(root: Path) -> Path:
    """The planted project with names as speaker labels and in the text, e-mails in the text,
    a name in the metadata, and de-identification on."""
    config = write_planted_corpus(root)
    for doc in sorted((root / "interviews").iterdir())[:3]:
        text = doc.read_text(encoding="utf-8")
        for old, new in SPEAKERS.items():
            text = text.replace(f"{old}: ", f"{new}: ")
        lines = text.split("\n\n")
        lines[1] += f" Write to {EMAILS[0]} or ask Thaddeus Okonkwo-Varga, or {EMAILS[1]}."
        lines[3] += " orsolya brzezinska told me, and Quillfeather agreed."
        doc.write_text("\n\n".join(lines), encoding="utf-8")
    meta = root / "metadata.csv"
    rows = meta.read_text(encoding="utf-8").splitlines()
    meta.write_text("\n".join([rows[0] + ",note"] + [r + ",met Zephyrine" for r in rows[1:]]) + "\n", encoding="utf-8")
    text = config.read_text(encoding="utf-8").replace(
        "  phrases: false\n",
        "  phrases: false\n  deidentify: true\n  deidentify_names: [" + ", ".join(LISTED) + "]\n")
    config.write_text(text + SVG_TOO + "evaluate:\n  stability_seeds: 0\n", encoding="utf-8")
    assert "deidentify: true" in config.read_text(encoding="utf-8")
    return config


def run_folder_files(folder: Path) -> dict[str, bytes]:
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert {"manifest.json", "explorer.html", "explorer_data.json", "segments.csv", "config.resolved.yaml"} <= set(files)
    assert any(n.startswith("ldavis_") for n in files) and any(n.startswith("figures/") and n.endswith(".svg") for n in files)
    return files


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One run as usual and one with --record-paths, both started with absolute paths."""
    root = tmp_path_factory.mktemp("private")
    config = private_project(root / "project")
    out = {}
    for key, extra in (("default", []), ("recorded", ["--record-paths"])):
        result = CliRunner().invoke(main, ["-q", "run", str(config), "--out", str(root / "runs"), "--name", key, *extra])
        assert result.exit_code == 0, result.output
        out[key] = Path(re.search(r"Run folder: (\S+)", result.output).group(1))
    out["root"] = root
    return out


def test_the_corpus_really_holds_the_secrets(runs: dict[str, Path]) -> None:
    corpus = "".join(p.read_text(encoding="utf-8") for p in (runs["root"] / "project" / "interviews").iterdir())
    for secret in SECRETS:
        assert secret.lower() in corpus.lower(), secret


@pytest.mark.parametrize("key", ["default", "recorded"])
def test_no_listed_name_or_email_in_any_file_of_the_run(runs: dict[str, Path], key: str) -> None:
    files = run_folder_files(runs[key])
    for name, data in files.items():
        text = data.decode("utf-8", errors="replace").lower()
        for secret in SECRETS:
            assert secret.lower() not in text, f"{secret!r} in {name}"
        assert not re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", text.replace("@media", "").replace("@import", "")) or name.endswith(".html"), name
    segments = files["segments.csv"].decode()
    assert "[EMAIL]" in segments and "[NAME]" in segments and "Person 1" in segments


def test_no_absolute_path_outside_the_manifest_and_there_only_when_asked(runs: dict[str, Path]) -> None:
    root = str(runs["root"])
    for key in ("default", "recorded"):
        for name, data in run_folder_files(runs[key]).items():
            if key == "recorded" and name == "manifest.json":
                continue
            assert root.encode() not in data, f"{key}: absolute path in {name}"
    recorded = json.loads((runs["recorded"] / "manifest.json").read_text())
    assert recorded["paths"]["config"] == str(runs["root"] / "project" / "config.yaml")
    assert recorded["paths"]["out"] == str(runs["root"] / "runs")
    assert str(runs["root"] / "project" / "config.yaml") in recorded["command"]
    default = json.loads((runs["default"] / "manifest.json").read_text())
    assert "paths" not in default
    assert default["command"][1:3] == ["-q", "run"] and "config.yaml" in default["command"]
    inputs = json.loads((runs["default"] / "run_inputs.json").read_text())
    assert (runs["default"] / inputs["config"]).resolve() == (runs["root"] / "project" / "config.yaml")


def test_export_still_finds_the_sources_and_keeps_them_deidentified(runs: dict[str, Path]) -> None:
    import zipfile

    result = CliRunner().invoke(main, ["export", str(runs["default"]), "--format", "qdpx"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(runs["default"] / "export" / f"{runs['default'].name}.qdpx") as zf:
        text = b"".join(zf.read(n) for n in zf.namelist()).decode("utf-8").lower()
    assert "[email]" in text
    for secret in SECRETS:
        assert secret.lower() not in text, secret
