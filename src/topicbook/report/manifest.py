"""The run manifest: config, seed, versions, input hashes, timings, command line."""

from __future__ import annotations

import hashlib
import platform
import sys
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

KEY_PACKAGES = ("topicbook", "gensim", "scikit-learn", "nltk", "numpy", "scipy", "pandas",
                "pyLDAvis", "simplemma", "stopwordsiso", "click", "PyYAML", "Jinja2")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def package_versions(names: Iterable[str] = KEY_PACKAGES) -> dict[str, str]:
    """Python's version and each named package's installed version (or "not installed")."""
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def input_hashes(files: Iterable[Path], base: Path) -> dict[str, str]:
    """SHA-256 per input file, keyed by its path relative to `base` (or its name)."""
    out = {}
    for f in files:
        try:
            key = f.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            key = f.name
        out[key] = sha256_file(f)
    return dict(sorted(out.items()))


def command_line() -> list[str]:
    return [Path(sys.argv[0]).name, *sys.argv[1:]]


def portable_command(argv: list[str]) -> list[str]:
    """The command line without absolute paths of this machine: a path inside the current
    folder becomes relative to it, any other absolute path just its file name."""
    import os

    cwd = Path.cwd()

    def portable(arg: str) -> str:
        option, eq, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
        if not os.path.isabs(value):
            return arg
        path = Path(value)
        try:
            short = path.resolve().relative_to(cwd.resolve()).as_posix() or "."
        except ValueError:
            short = path.name
        return f"{option}{eq}{short}"

    return [Path(argv[0]).name, *(portable(a) for a in argv[1:])] if argv else []


def absolute_paths(cfg, out_dir: Path) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    """The run's input and output locations as absolute paths (only with --record-paths)."""
    def absolute(p: Path | None) -> str | None:
        return str(Path(p).resolve()) if p is not None else None

    return {"cwd": str(Path.cwd()), "config": absolute(cfg.source), "corpus": absolute(cfg.corpus.path),
            "metadata": absolute(cfg.corpus.metadata), "codebook": absolute(cfg.codebook.path),
            "codings": absolute(cfg.codings.path), "out": absolute(out_dir)}
