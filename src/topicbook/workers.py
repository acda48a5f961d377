"""Worker processes forked from the run's own process, so that they do not import topicbook again.

A worker started by joblib's default backend (loky) or by ``spawn`` is a fresh interpreter: it
imports topicbook, numpy, scipy, scikit-learn and gensim before it fits anything, about 3.5
CPU-seconds each on the development machine, more than the demo's re-fits take. A process
*forked* from the run's process, once those modules are loaded, starts with all of them: the
function and its arguments travel by pickle, the code does not.

:func:`worker_pool` gives a :class:`WorkerPool` of `jobs` such processes (a
:class:`concurrent.futures.ProcessPoolExecutor` over the ``fork`` start method), or None when
`jobs` is 1 or the platform is not Linux (Windows cannot fork; macOS cannot fork a process
that has used system frameworks safely; elsewhere the workers could outlive a killed run): the
caller then works in its own process as before. The run uses
it to fit its models and its stability re-fits together (:func:`topicbook.pipeline.run`).

Fork-safety, point by point:

- the processes are forked when the pool starts, from the main thread, with SIGINT blocked (so
  that a Ctrl-C cannot arrive before the worker ignores it: Ctrl-C is the parent's to handle,
  :func:`topicbook.interrupts.ignore_in_worker`), and with stdout/stderr flushed (a worker
  flushes its copy of the buffers when it exits);
- each worker limits its BLAS/OpenMP pools to one thread (threadpoolctl; the workers already
  share the cores, :mod:`topicbook.threads`) before it runs anything;
- each worker drops the logging handlers it inherited (the command's stderr handler and warning
  summary): what a task logs is captured and sent back with its result
  (:func:`topicbook.logs.capture_records`), as from any worker process;
- a worker that dies (killed, out of memory) ends the run with a one-line error, and a run
  that dies (even by SIGKILL) takes its workers with it (prctl's parent-death signal);
- when the block ends with an exception (an error in a task, or KeyboardInterrupt), the tasks
  not started are cancelled and the workers are terminated, so a Ctrl-C does not wait for a
  long fit to finish; the exception goes on unchanged (a task's :class:`TopicbookError` is
  re-raised in the parent as the same one-line error).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from topicbook.errors import TopicbookError
from topicbook.interrupts import ignore_in_worker

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def fork_available() -> bool:
    """True where worker processes can be forked safely and made to end with their parent
    (Linux: the fork start method and prctl's parent-death signal)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _end_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when the run's process dies, even by SIGKILL (the
    worker would otherwise wait for tasks forever, holding the run's stdout and stderr)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the signal was set
        os._exit(1)


def _start_worker(parent: int) -> None:
    """Initializer of each worker process (see the module docstring)."""
    _end_with_parent(parent)
    ignore_in_worker()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    threadpool_limits(limits=1)
    for name in ("", "topicbook"):  # a fresh process's logging: no handler, the default levels
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.setLevel(logging.WARNING if name == "" else logging.NOTSET)


def worker_pid() -> int:
    """The process id of the worker that runs it (a task that starts a worker at once)."""
    return os.getpid()


class WorkerPool:
    """`jobs` forked worker processes; tasks run in the order they are submitted."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        self._executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_start_worker, initargs=(os.getpid(),))
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self._executor.submit(worker_pid)  # forks every worker now (the fork start method)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        """Run ``fn(*args, **kwargs)`` in a worker (fn and the arguments must pickle)."""
        return self._executor.submit(fn, *args, **kwargs)

    def close(self) -> None:
        """Wait for the submitted tasks, then end the workers."""
        self._executor.shutdown(wait=True)

    def terminate(self) -> None:
        """Cancel the tasks not started, end the workers now and wait until they are gone.

        The executor's manager thread joins the ended workers too; it is waited for last, so
        that no join of it is still between reaping a worker and recording its exit code when
        this returns (a `Process.is_alive()` in that window says True for a reaped worker)."""
        processes = list((getattr(self._executor, "_processes", None) or {}).values())
        manager = getattr(self._executor, "_executor_manager_thread", None)
        self._executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
        self._executor.shutdown(wait=True)
        if manager is not None:
            manager.join()


@contextmanager
def worker_pool(jobs: int) -> Iterator[WorkerPool | None]:
    """A pool of `jobs` forked workers for the block (None when jobs < 2 or fork is not
    available); terminated if the block raises, closed otherwise."""
    if jobs < 2 or not fork_available():
        yield None
        return
    pool = WorkerPool(jobs)
    try:
        yield pool
    except BrokenProcessPool:
        pool.terminate()
        raise TopicbookError(f"--jobs {jobs}: a worker process ended unexpectedly (killed, or out of memory). Run again with --jobs 1 to work in one process.") from None
    except BaseException:
        pool.terminate()
        raise
    pool.close()

