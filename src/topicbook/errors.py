"""The package's own exceptions.

Every user mistake raises :class:`TopicbookError` with a one-line message that names the file,
line or key, says what was wrong and how to fix it. The CLI turns it into that line on stderr
and exit code 1, with no traceback.
"""

from __future__ import annotations


class TopicbookError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class ConfigError(TopicbookError):
    """A run config that cannot be used as written."""


class InputError(TopicbookError):
    """A corpus, metadata, codebook or codings file that cannot be read."""
