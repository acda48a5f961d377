"""Start-up: `topicbook validate` and `topicbook --help` do not import the heavy libraries.

Each check runs the command in a fresh interpreter and reads its `sys.modules` at exit, so an
import added anywhere on the command's path (at module level or inside a function it calls)
shows up here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("gensim", "pyLDAvis", "matplotlib")
PROBE = """
import json, sys
from topicbook.cli import main
try:
    main({args!r})
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def loaded_by(*args: str) -> dict:
    """Run `topicbook ARGS` in a fresh interpreter: its exit code and the HEAVY modules loaded."""
    proc = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args), heavy=HEAVY)],
                          capture_output=True, text=True, check=True, timeout=300)
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_validate_imports_no_gensim_pyldavis_or_matplotlib(planted: Path) -> None:
    # the planted config has phrases off; with phrases on and no cache, validate learns them
    # with gensim's Phrases, the only gensim import on its path
    result = loaded_by("validate", str(planted))
    assert result == {"code": 0, "loaded": []}


def test_help_imports_no_heavy_library() -> None:
    assert loaded_by("--help") == {"code": 0, "loaded": []}
