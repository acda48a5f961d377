"""BLAS and OpenMP threads for topicbook's own numeric work, set with threadpoolctl.

Two BLAS threads per process on a busy 2-core machine made the demo's agreement stage 50-100x
slower than one thread (ten small logistic regressions: 1.6-3.5 s each against 0.03 s) with
identical scores: the threads wait for each other and for the cores. So topicbook limits the
thread pools of the libraries already loaded (OpenBLAS/MKL behind numpy and scipy, OpenMP behind
scikit-learn) for the duration of a run, with :func:`thread_limit`, and restores them afterwards.
It never sets OMP_NUM_THREADS or any other environment variable: a user's own code, before or
after the run, keeps its settings.

The rule (config key ``threads``, ``topicbook run --threads``; the default ``auto``):

- a worker process (stability re-fits and sweep cells with ``--jobs`` > 1, Dask workers) always
  uses one thread: the processes already share the cores;
- in the run's own process, ``auto`` means one thread below :data:`MANY_SEGMENTS` segments (every
  corpus measured so far, up to the 10,000-segment NHS run, was fastest that way) and, from
  there, the process's cores divided by ``jobs`` (the fits' matrix products grow with the corpus);
- a number N means N threads in the run's own process (workers still use one);
- the code scores' logistic regressions (self-trained, learned) and the rest of the agreement
  stage always run with one thread (:func:`one_thread`): they are small problems, and BLAS
  splits a long dot product over threads in another order, which changes the last bits of a
  regression's solution (measured: 3e-15 on the demo's scores, enough to flip a rounded digit of
  agreement.json). The model fits gave bit-identical topics with one and two threads.

Scores, topics and verdicts do not depend on the setting (tested: one and two threads give
identical run files on the demo).
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, ParamSpec, TypeVar

log = logging.getLogger(__name__)

MANY_SEGMENTS = 50_000
ThreadSetting = int | Literal["auto"]
P = ParamSpec("P")
R = TypeVar("R")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS and Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)


def resolve_threads(setting: ThreadSetting, n_segments: int, jobs: int = 1) -> int:
    """The BLAS/OpenMP threads of the run's own process under the rule above (at least 1)."""
    if setting != "auto":
        return max(1, int(setting))
    if n_segments < MANY_SEGMENTS:
        return 1
    return max(1, available_cores() // max(1, jobs))


@contextmanager
def thread_limit(threads: int) -> Iterator[None]:
    """Limit the BLAS and OpenMP pools of the loaded libraries to `threads` inside the block,
    then restore them (threadpoolctl; the environment is not touched). numexpr's own pool
    (pandas evaluates pyLDAvis's topic-term tables with it) gets the same limit when it is
    installed."""
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    numexpr = _numexpr()
    previous = numexpr.set_num_threads(threads) if numexpr is not None else None
    try:
        with threadpool_limits(limits=threads):
            yield
    finally:
        if numexpr is not None:
            numexpr.set_num_threads(previous)


def _numexpr() -> Any:
    """numexpr when installed (an optional dependency of pandas), else None."""
    try:
        import numexpr
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return numexpr


def one_thread(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` with one BLAS/OpenMP thread, whatever the caller's limit: for work whose result
    must not depend on the thread setting (see the module docstring)."""
    @functools.wraps(fn)
    def single(*args: P.args, **kwargs: P.kwargs) -> R:
        with thread_limit(1):
            return fn(*args, **kwargs)
    return single
