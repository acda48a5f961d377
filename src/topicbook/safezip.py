"""Checks on zip containers (.docx, .odt, .qdpx) before anything is unpacked.

A zip's central directory declares each member's unpacked size, and :mod:`zipfile` never
returns more than that many bytes, so checking the declared sizes bounds the memory a reader
can use. Refused, each with a one-line :class:`InputError`:

- a member whose path is absolute or climbs out of the archive (``../``): path traversal;
- a member that unpacks to more than ``MAX_RATIO`` times its packed size once it is larger than
  ``RATIO_FLOOR_BYTES`` (a zip bomb; text and XML pack 3:1 to 30:1);
- an archive that unpacks to more than ``MAX_UNPACKED_BYTES`` in all.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath

from topicbook.errors import InputError

MAX_UNPACKED_BYTES = 1 << 30  # 1 GiB
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 10 << 20  # 10 MiB


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.1f} KB"


def check_zip(zf: zipfile.ZipFile, name: str, fix: str) -> None:
    """Raise InputError if `zf` (opened from the file `name`) is a zip bomb or has unsafe paths.

    `fix` ends the message: what the user should do instead (e.g. "Re-save it as .docx.").
    """
    total = 0
    for info in zf.infolist():
        member = info.filename
        parts = PurePosixPath(member.replace("\\", "/")).parts
        if member.startswith(("/", "\\")) or ".." in parts or (parts and parts[0].endswith(":")):
            raise InputError(f"{name}: the archive holds an entry with an unsafe path ('{member[:80]}'); refused (path traversal). {fix}")
        total += info.file_size
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputError(
                f"{name}: entry '{member[:80]}' unpacks to {_mb(info.file_size)} from {_mb(info.compress_size)} "
                f"(more than {MAX_RATIO}:1), which looks like a zip bomb; refused. {fix}")
    if total > MAX_UNPACKED_BYTES:
        raise InputError(f"{name}: the archive unpacks to {_mb(total)}, more than the {_mb(MAX_UNPACKED_BYTES)} limit; refused. {fix}")
