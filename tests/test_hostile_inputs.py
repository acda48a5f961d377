"""Inputs a hostile or careless user brings: symbolic links out of the corpus folder, NUL bytes,
terminal escape sequences in file names, duplicate metadata rows, identical documents, and
subtitle files whose voice tags name people."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from topicbook.cli import main

SECRET = "Interviewer: What is the password?\n\nAda: Zanzibar quokka xylophone marmalade zanzibar quokka xylophone marmalade.\n" * 3
SECRET_WORDS = ("zanzibar", "quokka", "xylophone", "marmalade")


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()).lower()


def _run(config: Path, *args: str) -> object:
    return CliRunner().invoke(main, ["run", str(config), "--out", str(config.parent / "runs"), *args])


def _cheap(config: Path, extra: str = "") -> Path:
    config.write_text(config.read_text(encoding="utf-8") + "evaluate:\n  stability_seeds: 0\n" + extra, encoding="utf-8")
    return config


# --------------------------------------------------------------------------- symbolic links


@pytest.fixture
def linked(planted: Path, tmp_path: Path) -> Path:
    """The planted project with a transcript linked in from outside the corpus folder and a
    linked subfolder (read with include: **/*.txt)."""
    outside = tmp_path / "elsewhere"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (outside / "folder" / "more.txt").write_text(SECRET, encoding="utf-8")
    corpus = planted.parent / "interviews"
    (corpus / "zz_link.txt").symlink_to(outside / "secret.txt")
    (corpus / "linked_dir").symlink_to(outside / "folder", target_is_directory=True)
    text = planted.read_text(encoding="utf-8").replace("  metadata: metadata.csv\n", '  metadata: metadata.csv\n  include: ["*.txt", "linked_dir/*.txt"]\n')
    planted.write_text(text, encoding="utf-8")
    return _cheap(planted)


def test_symlinks_in_the_corpus_folder_are_not_read_and_are_named(linked: Path) -> None:
    result = _run(linked)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for rel in ("linked_dir/more.txt", "zz_link.txt"):
        assert f"Warning: {rel}: a symbolic link; not read (it may point outside the corpus folder). Set corpus.follow_symlinks: true to read linked files." in lines
    [folder] = (linked.parent / "runs").iterdir()
    written = _all_text(folder)
    assert (folder / "segments.csv").is_file() and "tomato" in written
    assert not any(word in written for word in SECRET_WORDS)
    cache = _all_text(linked.parent / ".topicbook-cache")
    assert not any(word in cache for word in SECRET_WORDS)


def test_follow_symlinks_reads_them(linked: Path) -> None:
    linked.write_text(linked.read_text(encoding="utf-8").replace("  metadata: metadata.csv\n", "  metadata: metadata.csv\n  follow_symlinks: true\n"), encoding="utf-8")
    result = _run(linked)
    assert result.exit_code == 0, result.output
    assert "symbolic link" not in result.output
    [folder] = (linked.parent / "runs").iterdir()
    assert all(word in (folder / "segments.csv").read_text(encoding="utf-8").lower() for word in SECRET_WORDS)


def test_a_link_added_later_is_warned_about_with_the_cache_on(planted: Path, tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["validate", str(planted)]).exit_code == 0  # fills the cache
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    (planted.parent / "interviews" / "late.txt").symlink_to(tmp_path / "secret.txt")
    result = CliRunner().invoke(main, ["validate", str(planted)])
    assert "Warning: late.txt: a symbolic link; not read" in result.output
