"""The run manifest: config, seed, versions, input hashes, timings, command line."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from topicbook.config import RunConfig
from topicbook.files import sha256_file

KEY_PACKAGES = ("topicbook", "gensim", "scikit-learn", "nltk", "numpy", "scipy", "pandas",
                "pyLDAvis", "simplemma", "stopwordsiso", "click", "PyYAML", "Jinja2")


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
    out: dict[str, str] = {}
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


def absolute_paths(cfg: RunConfig, out_dir: Path) -> dict[str, str | None]:
    """The run's input and output locations as absolute paths (only with --record-paths)."""
    def absolute(p: Path | None) -> str | None:
        return str(Path(p).resolve()) if p is not None else None

    return {"cwd": str(Path.cwd()), "config": absolute(cfg.source), "corpus": absolute(cfg.corpus.path),
            "metadata": absolute(cfg.corpus.metadata), "codebook": absolute(cfg.codebook.path),
            "codings": absolute(cfg.codings.path), "out": absolute(out_dir)}


@dataclass(frozen=True)
class ModelInfo:
    """A model as the manifest records it: type, K, seeded topics ("T01" -> code), params and
    `file_name`, the model's name in file names (ldavis_<file_name>.html, figures; its safe
    form, with a suffix when two names become one; "" in folders written before it)."""

    type: str
    n_topics: int
    seeded_topics: Mapping[str, str]
    params: Mapping[str, Any]
    file_name: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "n_topics": self.n_topics, "seeded_topics": dict(self.seeded_topics),
                "params": dict(self.params), "file_name": self.file_name}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelInfo:
        return cls(str(data["type"]), int(data["n_topics"]), dict(data.get("seeded_topics", {})),
                   dict(data.get("params", {})), str(data.get("file_name", "")))


@dataclass(frozen=True)
class Manifest:
    """manifest.json: the run folder's `format`, topicbook's version, run name and time, the
    command line, seed, config, package versions, input SHA-256s, seconds per stage, the models
    and every file of the folder (`paths` only with --record-paths)."""

    format: int
    topicbook: str
    run_name: str
    created_utc: str
    command: tuple[str, ...]
    seed: int
    config: Mapping[str, Any]
    versions: Mapping[str, str]
    inputs_sha256: Mapping[str, str]
    timings_seconds: Mapping[str, float]
    models: Mapping[str, ModelInfo]
    outputs: tuple[str, ...]
    paths: Mapping[str, str | None] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "format": self.format, "topicbook": self.topicbook, "run_name": self.run_name,
            "created_utc": self.created_utc, "command": list(self.command), "seed": self.seed,
            "config": self.config, "versions": dict(self.versions), "inputs_sha256": dict(self.inputs_sha256),
            "timings_seconds": dict(self.timings_seconds),
            "models": {name: m.to_json() for name, m in self.models.items()}, "outputs": list(self.outputs),
        }
        if self.paths is not None:
            out["paths"] = dict(self.paths)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        return cls(int(data.get("format", 1)), str(data["topicbook"]), str(data["run_name"]),
                   str(data["created_utc"]), tuple(data["command"]), int(data["seed"]), dict(data["config"]),
                   dict(data["versions"]), dict(data["inputs_sha256"]), dict(data["timings_seconds"]),
                   {name: ModelInfo.from_json(m) for name, m in data["models"].items()}, tuple(data["outputs"]),
                   data.get("paths"))
