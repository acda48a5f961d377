"""The garbage collector around bulk work on many small objects (10^4 codes and up).

CPython's collector walks every tracked object at each full pass; a pass is triggered by
allocations, so building or writing millions of small objects (a large codebook's YAML
nodes, a finished run's result) pays for walking all of them again and again (0.5 s a pass
at 10,000 codes). Neither context manager changes what is computed, only when the collector
runs; objects that form cycles are collected once the block ends.
"""

from __future__ import annotations

import atexit
import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collection in the block (gc.disable), for a bulk build of objects that stay alive
    (a parser's output); the collector's previous state is restored after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def frozen_heap() -> Iterator[None]:
    """The objects alive when the block starts left out of every collection until it ends
    (gc.freeze): they are known not to be garbage (a finished run's result while its files are
    written). Objects made in the block are collected as usual. Nested use keeps the outer
    freeze."""
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()


_exit_hook: list[bool] = []  # registered once per process


def no_collection_at_exit() -> None:
    """Leave the objects alive at interpreter exit out of the collector's final passes (gc.freeze
    in an atexit hook, registered once). A command that has loaded scikit-learn, gensim, nltk and
    matplotlib and built a run holds millions of objects, and CPython's shutdown walks all of
    them again in its final collections: about a second of a `topicbook run` (0.14 s instead
    of 1.1 s after importing scikit-learn, SciPy and nltk alone, at load 4.5). Nothing it
    computed or wrote depends on those passes: they come after the run folder is committed,
    and the other atexit hooks (logging's flush) still run."""
    if not _exit_hook:
        atexit.register(gc.freeze)
        _exit_hook.append(True)
