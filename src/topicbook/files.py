"""File helpers shared by the cache, the manifest and every writer.

:func:`contained` is the one check that a path topicbook is about to write stays inside the
folder it belongs to (the run folder, the cache folder, an export folder): the path is resolved
first, so neither a ``..`` part nor a symbolic link on the way can lead outside.
:func:`replacing` writes single files (exports, a rebuilt explorer page) through hidden
temporary files that replace their targets only when complete.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from topicbook.errors import TopicbookError
from topicbook.interrupts import raise_if_interrupted
from topicbook.names import printable


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def contained(root: Path, target: Path, *, what: str) -> Path:
    """`target`, after checking that it resolves (symbolic links followed) strictly inside `root`.

    Raises TopicbookError naming `what` (the folder, e.g. "the run folder") otherwise, or when
    the path cannot be resolved (a NUL character). Returns `target` unchanged.
    """
    try:
        base = Path(os.path.realpath(root))
        resolved = Path(os.path.realpath(target))
    except (ValueError, OSError) as exc:
        raise TopicbookError(f"{printable(target)}: not a path topicbook can write ({exc}); refused.") from None
    if resolved == base or base not in resolved.parents:
        raise TopicbookError(f"{printable(target)}: resolves to {printable(resolved)}, outside {what} ({printable(base)}); refused. "
                             "topicbook writes only inside the run folder, the cache folder and the export path you give.")
    return target


@contextmanager
def replacing(targets: Sequence[Path], *, root: Path, what: str) -> Iterator[list[Path]]:
    """Temporary paths (hidden ``.<name>.partial`` beside each target) to write `targets` to.

    When the block ends normally, each temporary file replaces its target (one rename each,
    after a last check for Ctrl-C); when it raises, an interrupt included, the temporary files
    are removed, so a refused or failed write never leaves a ``.partial`` file and never
    touches an existing target. Every path is checked with :func:`contained` against `root`.
    """
    for target in targets:
        contained(root, target, what=what)
    temporary = [contained(root, t.with_name(f".{t.name}.partial"), what=what) for t in targets]
    try:
        yield temporary
        raise_if_interrupted()
        for tmp, target in zip(temporary, targets, strict=True):
            os.replace(tmp, target)
    finally:
        for tmp in temporary:
            tmp.unlink(missing_ok=True)
