"""Nothing topicbook writes lands outside the run folder, the cache folder or the export path the
user gave, whatever the names: hostile run names (`--name`, the config's `name`) and model names
go through run, export, explore and sweep while an audit hook resolves the path of every file
operation before it happens (open for writing, rename, mkdir, remove, ...), and a planted file
that a `../` model name aims at stays as it was.

The name rule (topicbook.names.safe_name) has its own tests in tests/test_safety_helpers.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import write_planted_corpus
from topicbook.cli import main
from topicbook.errors import TopicbookError
from topicbook.names import MAX_NAME_BYTES
from topicbook.report.run_folder import RunFolderWriter

# --------------------------------------------------------------------------- the audit

_WRITE_EVENTS = {"os.rename": (0, 1), "os.mkdir": (0,), "os.remove": (0,), "os.rmdir": (0,), "shutil.rmtree": (0,),
                 "os.symlink": (0, 1), "os.link": (0, 1), "os.truncate": (0,), "os.chmod": (0,),
                 "shutil.copyfile": (1,), "tempfile.mkstemp": (0,), "tempfile.mkdtemp": (0,)}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_recording: list[list[tuple[str, str]]] = []


def _audit(event: str, args: tuple) -> None:
    if not _recording:
        return
    if event == "open":
        path, mode, flags = args
        writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & _WRITE_FLAGS)
        paths = [path] if writing else []
    else:
        paths = [args[i] for i in _WRITE_EVENTS.get(event, ())]
    for path in paths:
        if isinstance(path, (str, bytes, os.PathLike)):
            text = os.fsdecode(path)
            # resolved now, before the operation, as the writer itself does
            resolved = os.path.realpath(text) if "\x00" not in text else text
            _recording[-1].append((event, resolved))


sys.addaudithook(_audit)  # audit hooks cannot be removed: it records only inside `writes()`


@contextmanager
def writes() -> Iterator[list[tuple[str, str]]]:
    """Every (event, resolved path) of a file operation that writes, made inside the block."""
    record: list[tuple[str, str]] = []
    _recording.append(record)
    try:
        yield record
    finally:
        _recording.pop()


def outside(record: list[tuple[str, str]], *roots: Path) -> list[tuple[str, str]]:
    """The recorded operations whose path is neither one of `roots` (made by the mkdir of the
    output or cache folder) nor inside one (the interpreter's own byte-code cache aside)."""
    bases = [os.path.realpath(r) for r in roots]
    return [(e, p) for e, p in record
            if not any(p == b or p.startswith(b + os.sep) for b in bases) and "__pycache__" not in p]


def snapshot(root: Path, *skip: Path) -> dict[str, str]:
    """SHA-256 of every file under `root` outside `skip`: what must not change."""
    skipped = [s.resolve() for s in skip]
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(s == path.resolve() or s in path.resolve().parents for s in skipped):
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


# --------------------------------------------------------------------------- hostile names

RUN_NAME = "../../escape"
# Model names, each aimed at a place outside the run folder or at another model's files. The
# first one would put ldavis_<name>.html exactly on the planted victim.html beside runs/.
MODEL_NAMES = [
    "../../../victim",
    "/abs/olute",
    "a/../../b",
    "\x1b[2J\x1b]0;pwned\x07",
    "CON",
    "m" * 300,
    "café",  # NFC
    "cafe\u0301",  # the same name in NFD: one file name after normalisation
    "\uff0e\uff0e\uff0fwide",  # fullwidth "../": not a path separator, but not kept either
    "lda/1",
    "lda:1",  # equal to the one before once cleaned
    "LDA",
    "lda",  # equal to the one before on macOS and Windows file systems
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted project with a hostile run name and 13 hostile model names (cheap NMF fits)."""
    root = tmp_path_factory.mktemp("paths")
    config = write_planted_corpus(root / "project")
    text = config.read_text(encoding="utf-8")
    models = "".join(f"  - type: nmf\n    n_topics: 4\n    name: {json.dumps(n)}\n" for n in MODEL_NAMES)
    start, end = text.index("models:\n"), text.index("codebook:\n")
    text = text[:start] + "models:\n" + models + text[end:]
    text = text.replace("name: planted", f"name: {json.dumps(RUN_NAME)}")
    config.write_text(text + "evaluate:\n  stability_seeds: 0\n  coherence: [u_mass]\n", encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def hostile_run(hostile: Path) -> tuple[Path, Path, list[tuple[str, str]]]:
    """The run, with every write it made: (config, run folder, writes)."""
    import matplotlib.font_manager  # noqa: F401 - its font cache is built before the audit, not by topicbook

    root = hostile.parent.parent
    victim = root / "victim.html"
    victim.write_text("the user's own page\n", encoding="utf-8")
    before = snapshot(root, root / "runs", hostile.parent / ".topicbook-cache")
    with writes() as record:
        result = CliRunner().invoke(main, ["-q", "run", str(hostile), "--out", str(root / "runs"), "--name", "a/../../b"])
    assert result.exit_code == 0, result.output
    assert victim.read_text(encoding="utf-8") == "the user's own page\n"
    assert snapshot(root, root / "runs", hostile.parent / ".topicbook-cache") == before
    [folder] = (root / "runs").iterdir()
    return hostile, folder, record


@pytest.mark.slow
def test_a_run_with_hostile_names_writes_only_inside_its_folder_and_the_cache(hostile_run) -> None:
    config, folder, record = hostile_run
    root = config.parent.parent
    assert record, "the audit saw nothing"
    assert outside(record, root / "runs", config.parent / ".topicbook-cache") == []
    assert folder.name.startswith("a_.._.._b-")  # --name, in its safe form
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_name"] == "a/../../b"  # shown as typed
    files = {name: info["file_name"] for name, info in manifest["models"].items()}
    assert list(files) == MODEL_NAMES
    assert files["../../../victim"] == "_.._.._victim"
    assert files["CON"] == "CON_" and files["lda/1"] == "lda_1" and files["lda:1"] == "lda_1-2"
    assert files["LDA"] == "LDA" and files["lda"] == "lda-2"
    assert files["café"] == "café" and files["cafe\u0301"] == "café-2"
    assert files["\x1b[2J\x1b]0;pwned\x07"] == "_2J_0_pwned_"
    assert len(files["m" * 300].encode()) <= MAX_NAME_BYTES
    assert len({f.casefold() for f in files.values()}) == len(MODEL_NAMES)  # no two models share a file
    for name in files.values():
        assert unicodedata.is_normalized("NFC", name) and "/" not in name and not name.startswith(".")
        assert (folder / f"ldavis_{name}.html").is_file()
        for figure in ("top_terms", "topic_code_heatmap", "prevalence_country"):
            assert (folder / "figures" / f"{figure}_{name}.png").is_file(), (figure, name)
    everything = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert everything == sorted(manifest["outputs"])  # every file is in the manifest, nothing else


def scratch(operations: list[tuple[str, str]], fmt: str) -> list[tuple[str, str]]:
    """`operations` without openpyxl's own scratch files: it stages each worksheet of an .xlsx
    in the system's temporary folder (tempfile) and removes it (README, "Names and paths")."""
    if fmt != "xlsx":
        return operations
    temp = os.path.realpath(tempfile.gettempdir())
    staged = [(e, p) for e, p in operations if p == temp or Path(p).parent == Path(temp)]
    assert all(not Path(p).name.startswith("openpyxl.") or not Path(p).exists() for _, p in staged)  # removed
    return [op for op in operations if op not in staged]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["qdc", "qdpx", "csv", "xlsx"])
def test_exports_of_the_hostile_run_write_only_their_files(hostile_run, fmt: str, tmp_path: Path) -> None:
    _, folder, _ = hostile_run
    with writes() as record:
        result = CliRunner().invoke(main, ["-q", "export", str(folder), "--format", fmt, "--force"])
    assert result.exit_code == 0, result.output
    assert scratch(outside(record, folder / "export"), fmt) == []
    assert (folder / "export" / f"{folder.name}.{fmt}").is_file()
    mine = tmp_path / "mine" / f"out.{fmt}"
    with writes() as record:
        result = CliRunner().invoke(main, ["-q", "export", str(folder), "--format", fmt, "--out", str(mine)])
    assert result.exit_code == 0, result.output
    assert scratch(outside(record, tmp_path / "mine"), fmt) == []
    expected = {f"out.{fmt}"} | ({"out_codings.csv"} if fmt == "csv" else set())
    assert {p.name for p in mine.parent.iterdir()} == expected  # and no .partial file


@pytest.mark.slow
def test_explore_of_the_hostile_run_writes_only_its_page(hostile_run) -> None:
    _, folder, _ = hostile_run
    with writes() as record:
        result = CliRunner().invoke(main, ["-q", "explore", str(folder)])
    assert result.exit_code == 0, result.output
    assert outside(record, folder) == []
    assert {p for _, p in record if not p.endswith(".partial")} <= {os.path.realpath(folder / "explorer.html")}


@pytest.mark.slow
def test_the_validation_commands_on_the_hostile_run_write_only_their_files(hostile_run, tmp_path: Path) -> None:
    from topicbook.intrusion import TaskSet

    _, folder, _ = hostile_run
    validation = folder / "validation"
    commands = [["sample", str(folder), "--n", "5", "--format", "csv"],
                ["sample", str(folder), "--n", "5", "--format", "qdpx", "--out", str(validation / "s.qdpx")],
                ["intrusion", str(folder)]]
    for command in commands:
        with writes() as record:
            result = CliRunner().invoke(main, ["-q", *command, "--force"])
        assert result.exit_code == 0, (command, result.output)
        assert outside(record, validation) == [], command
    key = TaskSet.from_key(json.loads((validation / "intrusion_key.json").read_text(encoding="utf-8")))
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"format": 1, "run": key.run, "set": key.set_id, "rater": "r1",
                                   "answers": {t.id: t.answer for t in key.tasks}}), encoding="utf-8")
    with writes() as record:
        result = CliRunner().invoke(main, ["-q", "intrusion-score", str(folder), str(answers), "--force"])
    assert result.exit_code == 0, result.output
    assert outside(record, folder) == []  # intrusion.json, explorer.html and methods.md, in place
    touched = {Path(p).name for _, p in record if not p.endswith(".partial") and p != os.path.realpath(folder)}
    assert touched <= {"intrusion.json", "explorer.html", "methods.md"}
    assert _partials(folder) == []


def _partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.partial"))


def joblib_scratch(operations: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`operations` without joblib's own scratch folder: with worker processes (`--jobs` 2, the
    default) it stages arrays for them in a `joblib_memmapping_folder_*` of /dev/shm or the
    system's temporary folder, which its resource tracker removes."""
    temps = ("/dev/shm", os.path.realpath(tempfile.gettempdir()))
    staged = [(e, p) for e, p in operations if p.startswith(temps)
              and any(part.startswith("joblib_memmapping_folder_") for part in Path(p).parts)]
    return [op for op in operations if op not in staged]


@pytest.mark.slow
def test_a_sweep_with_a_hostile_name_writes_only_inside_its_folder(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweeps"
    with writes() as record:
        result = CliRunner().invoke(main, ["-q", "sweep", str(hostile), "--k", "3,4", "--seeds", "1", "--models", "nmf",
                                           "--coherence", "u_mass", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert joblib_scratch(outside(record, out, hostile.parent / ".topicbook-cache")) == []
    [folder] = out.iterdir()
    assert folder.name.startswith("_.._escape-sweep-")
    assert {p.name for p in folder.iterdir()} == {"sweep.csv", "sweep_summary.csv", "sweep.json", "sweep.png", "sweep.svg"}


# --------------------------------------------------------------------------- the one writer


@pytest.mark.parametrize("name", ["../x", "/abs", "a/../../b", "\x1b[2J", "CON", "n" * 500, "..\\..\\win", "~/.ssh/k"])
def test_the_run_folder_of_any_name_is_a_child_of_the_output_folder(name: str, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    writer = RunFolderWriter(out, name, "20260101T000000Z")
    writer.write_text("a.txt", "x")
    final = writer.commit()
    assert final.parent == out and final.resolve().parent == out.resolve()
    assert len(final.name.encode()) <= MAX_NAME_BYTES + len("-20260101T000000Z")
    assert [p.name for p in tmp_path.iterdir()] == ["runs"]


@pytest.mark.parametrize("relative", ["../x.html", "/tmp/abs.html", "a/../../b.html", "figures/../../c.html", "nul\x00.html"])
def test_the_writer_refuses_a_path_that_leaves_the_folder(relative: str, tmp_path: Path) -> None:
    writer = RunFolderWriter(tmp_path / "runs", "run")
    with pytest.raises(TopicbookError, match="refused"):
        writer.write_text(relative, "x")
    writer.discard()
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "b.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["runs"]


def test_the_writer_refuses_a_symbolic_link_that_leads_outside(tmp_path: Path) -> None:
    writer = RunFolderWriter(tmp_path / "runs", "run")
    (tmp_path / "elsewhere").mkdir()
    (writer.path / "figures").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(TopicbookError) as info:
        writer.write_bytes("figures/top_terms_lda.png", b"png")
    assert str(info.value).endswith("refused. topicbook writes only inside the run folder, the cache folder and the export path you give.")
    assert list((tmp_path / "elsewhere").iterdir()) == []
    writer.discard()


def test_an_export_folder_that_is_a_link_to_elsewhere_is_refused(tmp_path: Path) -> None:
    """A run folder from a colleague whose export/ points into the user's home."""
    from topicbook.export import export_run

    target = tmp_path / "home"
    target.mkdir()
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({
        "format": 2, "topicbook": "0", "run_name": "r", "created_utc": "x", "command": [], "seed": 1, "config": {},
        "versions": {}, "inputs_sha256": {}, "timings_seconds": {}, "models": {}, "outputs": []}), encoding="utf-8")
    (run / "topics.json").write_text("{}", encoding="utf-8")
    (run / "export").symlink_to(target, target_is_directory=True)
    with pytest.raises(TopicbookError, match="outside the run folder"):
        export_run(run, "qdc")
    assert list(target.iterdir()) == []


def test_explore_refuses_a_page_that_links_outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import topicbook.report.explorer as explorer

    monkeypatch.setattr(explorer, "render_explorer_html", lambda data: "<html></html>")
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text("{}", encoding="utf-8")
    victim = tmp_path / "victim.html"
    victim.write_text("mine\n", encoding="utf-8")
    (run / "explorer.html").symlink_to(victim)

    class Run:
        path = run
        explorer_data: dict = {}
        intrusion = None

    monkeypatch.setattr(explorer, "load_run", lambda path: Run())
    with pytest.raises(TopicbookError, match="outside the run folder"):
        explorer.rebuild_explorer(run)
    assert victim.read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in run.iterdir()) == ["explorer.html", "manifest.json"]


# --------------------------------------------------------------------------- names at load time


@pytest.mark.parametrize(("name", "message"), [
    ("///", "Error: --name: '///' has no letter or digit left as a file name. Use letters, digits, '-', '_' and '.'."),
    ("..", "Error: --name: '..' has no letter or digit left as a file name. Use letters, digits, '-', '_' and '.'."),
    ("a\x00b", "Error: --name: 'a\\x00b' contains a NUL character and cannot be used as a file name. Use only letters, digits, '-', '_' and '.'."),
])
def test_a_name_option_that_cannot_be_made_safe_is_one_line(planted: Path, tmp_path: Path, name: str, message: str) -> None:
    result = CliRunner().invoke(main, ["run", str(planted), "--out", str(tmp_path / "runs"), "--name", name])
    assert (result.exit_code, result.output) == (1, message + "\n")
    assert not (tmp_path / "runs").exists()
