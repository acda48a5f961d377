"""Ctrl-C that cannot be lost: an interrupt during a run always ends it, and never in a folder
that looks finished.

Python turns SIGINT into a KeyboardInterrupt raised wherever the main thread happens to be.
When that is inside a weakref callback, a ``__del__`` method or a garbage-collector callback
(matplotlib and joblib run such code all the time), Python cannot raise it: it prints
"Exception ignored in ..." through :data:`sys.unraisablehook` and carries on, and the run
would go on to commit a finished folder and exit 0. Libraries that catch ``BaseException``
lose it the same way.

:func:`watch_interrupts` (used by :func:`topicbook.pipeline.run`, the sweep and the CLI) closes
that gap while a run is in progress:

- its SIGINT handler records the interrupt, then raises KeyboardInterrupt as Python's own
  handler does;
- a KeyboardInterrupt that reaches :data:`sys.unraisablehook` is recorded silently (no
  "Exception ignored" traceback), and the next Ctrl-C raises again (delivering it again from
  the hook would only raise it inside the hook);
- :func:`raise_if_interrupted` raises KeyboardInterrupt for a recorded interrupt: every stage
  boundary (:class:`topicbook.results.Timer`), every file the run folder
  writes and the run folder's commit, just before its rename, call it, so a swallowed
  interrupt stops the run soon, and at the latest there;
- once an interrupt has been raised, further Ctrl-C (a second one while the run cleans up, or
  while worker processes shut down) are recorded but not raised again, so that the clean-up
  runs to its end and the command exits with 130, not with a traceback.

The previous handler and hook are put back when the outermost :func:`watch_interrupts` ends.
Signal handlers can only be set from the main thread: elsewhere the watch does nothing; and it
replaces only Python's own handler, so a program that ignores SIGINT or handles it itself
keeps its handler.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class _State:
    depth: int = 0  # nested watches; the outermost installs and restores
    interrupted: bool = False  # a SIGINT arrived during the watch
    raised: bool = False  # ... and a KeyboardInterrupt for it is on its way up the stack
    previous: Any = None  # the handler replaced (Python's default_int_handler, which raises)


_state = _State()


def interrupted() -> bool:
    """True when Ctrl-C arrived during the current watch (even if a library swallowed it)."""
    return _state.interrupted


def raise_if_interrupted() -> None:
    """Raise KeyboardInterrupt when Ctrl-C arrived during the current watch."""
    if _state.interrupted:
        _state.raised = True
        raise KeyboardInterrupt


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _state.interrupted = True
    if _state.raised:  # already unwinding (clean-up, worker shutdown): let it finish
        return
    _state.raised = True
    previous = _state.previous
    if callable(previous):
        previous(signum, frame)  # Python's default_int_handler raises KeyboardInterrupt
    else:  # pragma: no cover - only installed over a callable handler
        raise KeyboardInterrupt


def _on_unraisable(previous_hook: Callable[[Any], object]) -> Callable[[Any], object]:
    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) or unraisable.exc_type is KeyboardInterrupt:
            # Python dropped the interrupt (a weakref callback, __del__, ...): keep it recorded
            # for the next check, and let the next Ctrl-C raise again.
            _state.interrupted = True
            _state.raised = False
            log.debug("an interrupt raised inside %r was swallowed; the run stops at the next check", unraisable.object)
            return
        previous_hook(unraisable)
    return hook


@contextmanager
def watch_interrupts() -> Iterator[None]:
    """Record Ctrl-C for :func:`raise_if_interrupted` while the block runs (see the module
    docstring); nested watches share the outermost one."""
    if _state.depth:
        _state.depth += 1
        try:
            yield
        finally:
            _state.depth -= 1
        return
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield  # not ours to change: another thread, or a process that ignores or handles SIGINT itself
        return
    previous_hook = sys.unraisablehook
    _state.previous = signal.signal(signal.SIGINT, _on_sigint)
    sys.unraisablehook = _on_unraisable(previous_hook)
    _state.depth, _state.interrupted, _state.raised = 1, False, False
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, _state.previous)
        sys.unraisablehook = previous_hook
        _state.depth, _state.interrupted, _state.raised, _state.previous = 0, False, False, None


def ignore_in_worker() -> None:
    """Initializer of worker processes: Ctrl-C is the parent's to handle (it stops the
    workers), so a worker neither dies with a traceback nor breaks the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
