"""Progress bars (tqdm) for the long steps of a run: fits, stability re-fits, coherence.

A bar is drawn on stderr only when asked for (the CLI asks unless -q) and stderr is a
terminal, so logs, pipes and tests see none.
"""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(total: int, desc: str, *, enabled: bool, unit: str = "it") -> tqdm:
    """A tqdm bar of `total` steps; disabled unless `enabled` and stderr is a terminal."""
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False,
                disable=None if enabled else True)
