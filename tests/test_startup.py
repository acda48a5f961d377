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


@pytest.mark.slow
def test_a_run_reads_the_ldavis_scripts_without_importing_pyldavis(planted: Path, tmp_path: Path) -> None:
    # an LDA model's topics give every term positive weight, so its intertopic data comes from
    # its arrays (ldavis.prepare_ldavis): the run needs only pyLDAvis's script files
    # (ldavis.ldavis_assets), not the package
    text = planted.read_text(encoding="utf-8")
    planted.write_text(text.replace("  - type: nmf\n    n_topics: 4\n", ""), encoding="utf-8")
    assert "nmf" not in planted.read_text(encoding="utf-8")
    result = loaded_by("-q", "run", str(planted), "--out", str(tmp_path / "runs"), "--jobs", "1")
    assert result["code"] == 0
    assert "pyLDAvis" not in result["loaded"] and "matplotlib" in result["loaded"]
    [folder] = (tmp_path / "runs").iterdir()
    assert "d3" in (folder / "explorer.html").read_text(encoding="utf-8")
