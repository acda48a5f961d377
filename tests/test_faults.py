"""Fault behaviour: an interrupted or killed run leaves no folder that looks finished and a
re-run works; a full disk or a read-only output folder is one clear line; two runs started at
once with one name both complete, in separate folders.

The interrupt tests run `topicbook run` in a child process whose explorer stage prints a line
and then waits on its stdin: the test reads that line (so the run is known to be half-written)
and only then sends the signal. No sleeps.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from topicbook.cli import main
from topicbook.config import load_config

CHEAP = "  explorer: false\nevaluate:\n  stability_seeds: 0\n"  # under the last section, report:

# The child: block inside write_run (some files already in the partial folder) until told.
CHILD = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # a foreground job's (a background one inherits SIG_IGN)
import topicbook.report.writer as writer
from topicbook.cli import main

original = writer.evaluation_json

def blocking(*args, **kwargs):
    print("REACHED", flush=True)
    sys.stdin.readline()
    return original(*args, **kwargs)

writer.evaluation_json = blocking
main(sys.argv[1:], prog_name="topicbook")
"""


@pytest.fixture
def cheap(planted: Path) -> Path:
    """The planted config without stability re-fits or explorer (faster; faults do not depend on them)."""
    text = planted.read_text(encoding="utf-8")
    assert text.endswith("report:\n  quotes_per_topic: 3\n")
    planted.write_text(text + CHEAP, encoding="utf-8")
    return planted


def finished_folders(out: Path) -> list[Path]:
    """Folders a user would take for a run: visible, or holding a manifest."""
    if not out.exists():
        return []
    return sorted(p for p in out.iterdir() if not p.name.startswith(".") or (p / "manifest.json").exists())


def start_blocked_run(config: Path, out: Path) -> subprocess.Popen:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, "-q", "run", str(config), "--out", str(out), "--name", "study"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.parent)
    assert child.stdout.readline().strip() == "REACHED"
    partials = list(out.iterdir())
    assert len(partials) == 1 and partials[0].name.startswith(".study-") and partials[0].name.endswith(".partial")
    assert (partials[0] / "topics.csv").is_file()  # the run really is half-written
    return child


@pytest.mark.slow
def test_ctrl_c_mid_run_removes_the_partial_folder_and_a_rerun_works(cheap: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    child = start_blocked_run(cheap, out)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130
    assert err == "Interrupted: no run folder was completed; partial output was removed.\n"
    assert list(out.iterdir()) == []
    result = CliRunner().invoke(main, ["-q", "run", str(cheap), "--out", str(out), "--name", "study"])
    assert result.exit_code == 0, result.output
    [done] = finished_folders(out)
    assert json.loads((done / "manifest.json").read_text())["run_name"] == "study"


@pytest.mark.slow
def test_kill_mid_run_leaves_only_a_hidden_partial_and_a_rerun_works(cheap: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    child = start_blocked_run(cheap, out)
    child.kill()  # SIGKILL: no clean-up can run
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    [left] = list(out.iterdir())
    assert left.name.startswith(".") and left.name.endswith(".partial")
    assert not (left / "manifest.json").exists()  # the manifest is written last
    assert finished_folders(out) == []
    result = CliRunner().invoke(main, ["-q", "run", str(cheap), "--out", str(out), "--name", "study"])
    assert result.exit_code == 0, result.output
    [done] = finished_folders(out)
    assert (done / "manifest.json").is_file() and (done / "evaluation.json").is_file()


def _enospc_on_topics(monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up when topics.csv is written, whichever file API RunFolderWriter uses."""
    import builtins

    import topicbook.report.run_folder as run_folder

    def is_topics(path: object) -> bool:
        path = Path(str(path))
        return path.name == "topics.csv" and path.parent.name.endswith(".partial")

    def enospc(path: object) -> OSError:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    write_text, open_ = Path.write_text, builtins.open

    def full_write_text(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if is_topics(self):
            raise enospc(self)
        return write_text(self, *args, **kwargs)

    def full_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if "w" in mode and is_topics(file):
            raise enospc(file)
        return open_(file, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_write_text)
    monkeypatch.setattr(run_folder, "open", full_open, raising=False)


def _enospc_in_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    import topicbook.report.figures as figures

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(figures, "write_figures", full)


@pytest.mark.parametrize("where", [_enospc_on_topics, _enospc_in_figures], ids=["table", "matplotlib"])
def test_a_full_disk_is_one_line_and_leaves_nothing(planted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "runs"
    planted.write_text(planted.read_text(encoding="utf-8") + "evaluate:\n  stability_seeds: 0\n", encoding="utf-8")
    where(monkeypatch)
    result = CliRunner().invoke(main, ["-q", "run", str(planted), "--out", str(out)])
    assert result.exit_code == 1
    assert result.output == f"Error: {out}: no space left on the device while writing the run. Free some space or use --out on another disk; no run folder was left.\n"
    assert list(out.iterdir()) == []


def test_a_read_only_output_folder_is_one_line(cheap: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "readonly"
    out.mkdir()
    if os.geteuid() == 0:  # root ignores permission bits: make the folder refuse new entries
        import topicbook.report.run_folder as run_folder

        def refuse(parent: Path, prefix: str, suffix: str) -> str:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(parent))

        monkeypatch.setattr(run_folder, "_mkdtemp", refuse)
    else:
        out.chmod(0o555)
    try:
        result = CliRunner().invoke(main, ["-q", "run", str(cheap), "--out", str(out)])
    finally:
        out.chmod(0o755)
    assert result.exit_code == 1
    assert result.output == f"Error: {out}: cannot write there (Permission denied). Use --out with a writable folder.\n"
    assert list(out.iterdir()) == []


@pytest.mark.slow
def test_two_runs_at_once_with_one_name_both_complete(cheap: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both writers get the same name and second, and reach the final rename together."""
    import topicbook.report.writer as writer
    from topicbook.pipeline import analyse, fit_all, prepare
    from topicbook.report.run_folder import RunFolderWriter

    prepared = prepare(load_config(cheap))
    result = analyse(prepared, fit_all(prepared))
    monkeypatch.setattr(writer, "utc_stamp", lambda: "20260101T000000Z")
    barrier = threading.Barrier(2, timeout=60)
    commit = RunFolderWriter.commit

    def together(self: RunFolderWriter) -> Path:
        barrier.wait()
        return commit(self)

    monkeypatch.setattr(RunFolderWriter, "commit", together)
    out = tmp_path / "runs"
    folders: list[Path] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            folders.append(writer.write_run(result, out_dir=out, name="same"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.name for p in folders) == ["same-20260101T000000Z", "same-20260101T000000Z-2"]
    assert sorted(p.name for p in out.iterdir()) == ["same-20260101T000000Z", "same-20260101T000000Z-2"]
    a, b = sorted(folders)
    for name in ("topics.csv", "doc_topics.csv", "alignment.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert {json.loads((f / "manifest.json").read_text())["run_name"] for f in folders} == {"same"}


# --------------------------------------------------------------------------- the cache and unreadable inputs


def _unreadable(monkeypatch: pytest.MonkeyPatch, *files: Path) -> None:
    """Make `files` unreadable: chmod 000, or (as root, whom permission bits do not stop) an open
    that raises EACCES for them, whichever file API reads them."""
    if os.geteuid() != 0:
        for f in files:
            f.chmod(0)
        return
    import builtins

    denied = {str(f.resolve()) for f in files}
    path_open, open_ = Path.open, builtins.open

    def refuse(file: object) -> None:
        if str(Path(str(file)).resolve()) in denied:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))

    def guarded_path_open(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        refuse(self)
        return path_open(self, *args, **kwargs)

    def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, Path)):
            refuse(file)
        return open_(file, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded_path_open)
    monkeypatch.setattr(builtins, "open", guarded_open)


@pytest.mark.parametrize("cache", ["on", "off"])
def test_an_unreadable_transcript_is_one_warning_with_the_cache_on_or_off(planted: Path, monkeypatch: pytest.MonkeyPatch, cache: str) -> None:
    if cache == "off":
        planted.write_text(planted.read_text(encoding="utf-8") + "cache:\n  enabled: false\n", encoding="utf-8")
    doc = planted.parent / "interviews" / "doc03.txt"
    _unreadable(monkeypatch, doc)
    try:
        result = CliRunner().invoke(main, ["validate", str(planted)])
    finally:
        doc.chmod(0o644)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Warning: doc03.txt: cannot be read (Permission denied); skipped. Check that the file is readable."
    assert "Documents: 7 (7 with speaker labels)" in lines


def test_a_corpus_with_no_readable_file_is_one_error_line(planted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = sorted((planted.parent / "interviews").iterdir())
    _unreadable(monkeypatch, *docs)
    try:
        result = CliRunner().invoke(main, ["-q", "validate", str(planted)])
    finally:
        for d in docs:
            d.chmod(0o644)
    assert result.exit_code == 1
    assert result.output == ("Error: corpus.path: no readable document in interviews. First problem: doc01.txt: cannot be read "
                             "(Permission denied); skipped. Check that the file is readable. (8 more problems: run with -v to see them)\n")


def test_a_full_disk_while_writing_the_cache_leaves_no_partial_file(planted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    write_array = np.lib.format.write_array
    calls = {"n": 0}

    def fills_up(fp, array, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:  # two arrays are on disk when the disk fills up
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write_array(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", fills_up)
    result = CliRunner().invoke(main, ["validate", str(planted)])
    assert result.exit_code == 0, result.output
    folder = planted.parent / ".topicbook-cache"
    assert calls["n"] == 3
    assert f"Warning: cache: cannot write to {folder} (No space left on device); continuing without a cache." in result.output.splitlines()
    assert list(folder.iterdir()) == []
