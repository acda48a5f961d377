"""A run folder that appears only when complete.

Files are written into a hidden partial folder beside the target; :meth:`RunFolder.commit`
renames it into place (an atomic rename on one file system). A crash, Ctrl-C or kill leaves
only a ``.partial`` folder, never one that looks finished, and a run never replaces another:
a name clash gets a ``-2``, ``-3``, ... suffix.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from topicbook.errors import TopicbookError

PARTIAL_SUFFIX = ".partial"


def utc_stamp(now: datetime | None = None) -> str:
    """UTC time as used in run folder names: 20261129T101500Z."""
    return (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


class RunFolder:
    """Write files into a partial folder, then commit it as ``<out>/<name>-<UTC stamp>``."""

    def __init__(self, out_dir: Path, name: str, stamp: str | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.name = name
        self.stamp = stamp or utc_stamp()
        self.final: Path | None = None
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self.path = Path(_mkdtemp(self.out_dir, f".{name}-{self.stamp}-", PARTIAL_SUFFIX))
        except OSError as exc:
            raise _os_error(exc, self.out_dir) from None

    def write_text(self, relative: str, text: str) -> Path:
        target = self.path / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _os_error(exc, self.out_dir) from None
        return target

    def write_bytes(self, relative: str, data: bytes) -> Path:
        target = self.path / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        except OSError as exc:
            raise _os_error(exc, self.out_dir) from None
        return target

    def write_json(self, relative: str, data: Any) -> Path:
        return self.write_text(relative, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=_json_default) + "\n")

    def write_csv(self, relative: str, rows: Iterable[dict], columns: Sequence[str]) -> Path:
        """Stream `rows` (any iterable, e.g. a generator) into a UTF-8 CSV with "\n" line ends."""
        target = self.path / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
                writer.writeheader()
                writer.writerows(rows)
        except OSError as exc:
            raise _os_error(exc, self.out_dir) from None
        return target

    def write_lines(self, relative: str, lines: Iterable[str]) -> Path:
        """Stream already formatted text lines (each ending in "\n") into a UTF-8 file."""
        target = self.path / relative
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="") as handle:
                handle.writelines(lines)
        except OSError as exc:
            raise _os_error(exc, self.out_dir) from None
        return target

    def commit(self) -> Path:
        """Rename the partial folder to its final name; returns the final path."""
        base = f"{self.name}-{self.stamp}"
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(self.path, 0o777 & ~umask)  # mkdtemp made it private (0700)
        for n in range(1, 1000):
            final = self.out_dir / (base if n == 1 else f"{base}-{n}")
            if final.exists():
                continue
            try:
                os.rename(self.path, final)
            except OSError as exc:
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                    continue
                raise _os_error(exc, self.out_dir) from None
            self.final = final
            return final
        raise TopicbookError(f"{self.out_dir}: more than 999 runs named '{base}'. Use another --name.")

    def discard(self) -> None:
        """Remove the partial folder (after an error)."""
        shutil.rmtree(self.path, ignore_errors=True)


def _mkdtemp(parent: Path, prefix: str, suffix: str) -> str:
    import tempfile

    return tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent)


def _os_error(exc: OSError, out_dir: Path) -> TopicbookError:
    if exc.errno == errno.ENOSPC:
        return TopicbookError(f"{out_dir}: no space left on the device while writing the run. Free some space or use --out on another disk; no run folder was left.")
    if exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return TopicbookError(f"{out_dir}: cannot write there ({os.strerror(exc.errno)}). Use --out with a writable folder.")
    return TopicbookError(f"{out_dir}: cannot write the run ({exc.strerror or exc}). Check the output folder.")


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return value.as_posix()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
