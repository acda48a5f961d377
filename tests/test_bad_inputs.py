"""The catalogue of bad inputs (tests/bad_inputs/cases.yaml): every case gets exit code 1 and
exactly its one-line message, with no traceback and no run folder left behind.

Each case is the planted-theme project (conftest) with the files of `tests/bad_inputs/<id>/`
laid over it, plus files made here by the generator named in the case's `generate` (binary,
large or non-UTF-8 files are never committed). The command runs in the project folder; in a
message, `{project}` stands for that folder. `not_written` lists paths the command must not
create (an export folder, for example).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import write_planted_corpus
from topicbook.cli import main

HERE = Path(__file__).parent / "bad_inputs"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))

# --------------------------------------------------------------------------- generators
# Each takes the target path and the project folder and writes the file.

QDE = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="p">
  <CodeBook><Codes><Code guid="g1" name="Gardening" isCodable="true"/></Codes></CodeBook>
  <Sources>
    <TextSource guid="s1" name="doc01.txt" plainTextPath="internal://s1.txt">
      <PlainTextSelection guid="x1" startPosition="{start}" endPosition="{end}">
        <Coding guid="c1"><CodeRef targetGUID="{target}"/></Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""
BOMB_BYTES = 20 << 20  # 20 MiB of one byte: packs to ~20 KB (ratio ~1000:1)


def _zip(path: Path, members: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _docx_members(document: bytes = b"<w:document/>") -> dict[str, bytes]:
    return {"[Content_Types].xml": b"<Types/>", "word/document.xml": document}


def _qdpx_members(project: Path, target: str = "g1", start: int = 0, end: int = 40) -> dict[str, bytes]:
    qde = QDE.replace("{target}", target).replace("{start}", str(start)).replace("{end}", str(end))
    return {"project.qde": qde.encode(),
            "sources/s1.txt": (project / "interviews" / "doc01.txt").read_bytes()}


def gen_empty(path: Path, project: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def gen_binary(path: Path, project: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


def gen_docx_truncated(path: Path, project: Path) -> None:
    _zip(path, _docx_members(b"<w:document>" + b"<w:p><w:r><w:t>Interviewer: hello</w:t></w:r></w:p>" * 200 + b"</w:document>"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def gen_docx_zip_bomb(path: Path, project: Path) -> None:
    _zip(path, _docx_members(b" " * BOMB_BYTES))


def gen_docx_path_traversal(path: Path, project: Path) -> None:
    _zip(path, {**_docx_members(), "../../outside.xml": b"<x/>"})


def gen_mixed_encoding(path: Path, project: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes("Interviewer: Où avez-vous étudié ?\n".encode()
                     + "Marie: À Besançon, puis à Zürich, un café près de la gare.\n".encode("cp1252"))


def gen_50mb_single_line(path: Path, project: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        chunk = b"word " * (1 << 20)  # 5 MiB
        for _ in range(10):
            handle.write(chunk)


def gen_cp1252_metadata(path: Path, project: Path) -> None:
    path.write_bytes("document,country\ndoc01,España\ndoc02,Österreich\n".encode("cp1252"))


def gen_cp1252_codebook_csv(path: Path, project: Path) -> None:
    path.write_bytes("id,name,keywords\ngardening,Gärtnern,tomato;soil\n".encode("cp1252"))


def gen_config_not_utf8(path: Path, project: Path) -> None:
    path.write_bytes((project / "config.yaml").read_bytes() + "# Prüfung der Interviews\n".encode("cp1252"))


def gen_deeply_nested(path: Path, project: Path) -> None:
    path.write_text("corpus: " + "[" * 20000 + "\n", encoding="utf-8")


def gen_qdpx_zip_bomb(path: Path, project: Path) -> None:
    _zip(path, {**_qdpx_members(project), "sources/s2.txt": b"a" * BOMB_BYTES})


def gen_qdpx_path_traversal(path: Path, project: Path) -> None:
    _zip(path, {**_qdpx_members(project), "../../../home/user/.bashrc": b"echo owned\n"})


def gen_qdpx_xml_bomb(path: Path, project: Path) -> None:
    qde = ('<?xml version="1.0"?>\n<!DOCTYPE p [\n  <!ENTITY a "aaaaaaaaaa">\n  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n'
           '<Project xmlns="urn:QDA-XML:project:1.0" name="&b;"/>\n')
    _zip(path, {"project.qde": qde.encode()})


def gen_qdpx_unknown_code_ref(path: Path, project: Path) -> None:
    _zip(path, _qdpx_members(project, target="no-such-guid"))


def gen_qdpx_offsets_beyond_text(path: Path, project: Path) -> None:
    _zip(path, _qdpx_members(project, start=100, end=99_999))


def gen_qdpx_end_before_start(path: Path, project: Path) -> None:
    _zip(path, _qdpx_members(project, start=40, end=10))


# ----- issue 17: NUL past the binary check, symbolic links, escape sequences in names

NUL_PAST = 5000  # bytes of clean text before the NUL: past the 4 KB binary check


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _padded(block: str, tail: str) -> bytes:
    return (block * (NUL_PAST // len(block) + 1) + tail).encode("utf-8")


def gen_txt_nul_after_4kb(path: Path, project: Path) -> None:
    _write(path, _padded("Interviewer: What did you grow?\n\nIda: Tomato soil compost harvest.\n\n", "Ida: weeds\x00and more\n"))


def gen_vtt_nul_after_4kb(path: Path, project: Path) -> None:
    cue = "00:00:01.000 --> 00:00:02.000\n<v Ida>Tomato soil compost harvest seedling.</v>\n\n"
    _write(path, b"WEBVTT\n\n" + _padded(cue, "00:00:03.000 --> 00:00:04.000\n<v Ida>weeds\x00and more</v>\n"))


def gen_srt_nul_after_4kb(path: Path, project: Path) -> None:
    cue = "1\n00:00:01,000 --> 00:00:02,000\nIda: Tomato soil compost harvest seedling.\n\n"
    _write(path, _padded(cue, "2\n00:00:03,000 --> 00:00:04,000\nIda: weeds\x00and more\n"))


def gen_utf16_nul(path: Path, project: Path) -> None:
    _write(path, "Interviewer: What did you grow?\n\nIda: Tomato\x00 soil compost harvest.\n".encode("utf-16"))


def gen_table_nul_after_4kb(path: Path, project: Path) -> None:
    rows = "".join(f"{i},Tomato soil compost harvest seedling {i}\n" for i in range(200))
    _write(path, f"id,text\n{rows}".encode() + b"200,weeds\x00and more\n")


def gen_metadata_nul_after_4kb(path: Path, project: Path) -> None:
    rows = "".join(f"doc{i:02d},FR,bachelor\n" for i in range(1, 300))
    _write(path, f"document,country,education\n{rows}".encode() + b"doc300,F\x00R,master\n")


def gen_codebook_csv_nul_after_4kb(path: Path, project: Path) -> None:
    rows = "".join(f"code{i},Code {i},Growing tomatoes {i},tomato;soil\n" for i in range(200))
    _write(path, f"id,name,definition,keywords\n{rows}".encode() + b"code200,Weeds,Pulling\x00weeds,weed\n")


def gen_codings_nul_after_4kb(path: Path, project: Path) -> None:
    rows = "".join(f"doc01,gardening,tomato soil compost {i}\n" for i in range(200))
    _write(path, f"document,code,text\n{rows}".encode() + b"doc02,gardening,weeds\x00and more\n")


def gen_symlink_outside(path: Path, project: Path) -> None:
    secret = project.parent / "outside" / "secret.txt"
    _write(secret, b"Interviewer: What is the password?\n\nAda: zanzibar quokka xylophone.\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(secret)


def gen_symlinked_folder(path: Path, project: Path) -> None:
    folder = project.parent / "outside_folder"
    _write(folder / "interview.txt", b"Interviewer: What is the password?\n\nAda: zanzibar quokka xylophone.\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(folder, target_is_directory=True)


def gen_table_escape_column(path: Path, project: Path) -> None:
    _write(path, b"id,\x1b[2J\x1b]0;pwned\x07answer\n1,I liked the course\n")


# ----- issue 13: decisions files (export --decisions) against a finished run


@functools.cache
def _planted_run() -> Path:
    """One finished run of the planted project, made once per session (a temporary folder removed
    at exit): the cases copy it, so a bad decisions file is checked against a real run."""
    from topicbook.config import load_config
    from topicbook.pipeline import run

    root = Path(tempfile.mkdtemp(prefix="topicbook-bad-inputs-"))
    atexit.register(shutil.rmtree, root, True)
    config = write_planted_corpus(root / "project")
    config.write_text(config.read_text(encoding="utf-8") + "cache:\n  enabled: false\n"
                      "evaluate:\n  stability_seeds: 0\n  coherence: [u_mass]\n", encoding="utf-8")
    folder, _ = run(load_config(config), out_dir=root / "runs")
    return folder


def gen_run_folder(path: Path, project: Path) -> None:
    shutil.copytree(_planted_run(), path)


GENERATORS: dict[str, Callable[[Path, Path], None]] = {
    name[len("gen_"):]: func for name, func in globals().items() if name.startswith("gen_")
}


# --------------------------------------------------------------------------- the test


def build_case(case: dict, root: Path) -> Path:
    """The planted project with the case's files laid over it; returns the project folder."""
    project = root / "project"
    write_planted_corpus(project)
    shutil.copytree(HERE / case["id"], project, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".keep"))
    for rel, generator in (case.get("generate") or {}).items():
        GENERATORS[generator](project / rel, project)
    return project


def test_catalogue_is_complete() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 30
    assert sorted(ids) == sorted(p.name for p in HERE.iterdir() if p.is_dir())
    used = {g for c in CASES for g in (c.get("generate") or {}).values()}
    assert used == set(GENERATORS)
    for kind in ("corpus", "metadata", "config", "codebook", "codings"):
        assert any(i.startswith(kind) for i in ids), kind


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_input_gives_its_one_line_message(case: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = build_case(case, tmp_path)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, case["command"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.output == case["message"].replace("{project}", str(project)) + "\n"
    assert result.exit_code == 1
    runs = project / "runs"
    assert not runs.exists() or not any(runs.iterdir()), "a run folder (or a partial one) was left"
    for path in case.get("not_written", ()):
        assert not (project / path).exists(), f"{path} was written"
