"""Child processes that do not outlive their parent.

``nas search --workers N`` starts its workers in process groups of their own (so that the
terminal's Ctrl-C reaches only the parent, which passes it on). A parent killed with
SIGKILL cannot pass anything on, so each worker watches its parent itself: on Linux the
kernel signals it when the parent dies (``PR_SET_PDEATHSIG``), elsewhere a thread polls the
parent's pid. Either way the worker then gets exactly one SIGTERM, which stops it like
Ctrl-C: after the current batch, its trial marked FAIL.

Exactly one matters. The kernel sends the parent-death signal each time the child is
handed to a new parent, and a multi-threaded parent killed with SIGKILL hands its children
from one dying thread to the next: measured, 1 to 4 signals per child (2 or more in 17 of
20 runs). A second SIGTERM means "abort now" to the search, so it could cut off the
worker's own write of its trial's result. The kernel's signal is therefore
:data:`PARENT_DEATH_SIGNAL`, and its handler turns the first into one SIGTERM and ignores
the rest.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from types import FrameType

PARENT_ENV = "NAS_PARENT_PID"  # set by the launcher in each worker's environment
PR_SET_PDEATHSIG = 1  # linux/prctl.h
POLL_S = 1.0
# what the kernel sends when the parent dies (SIGUSR1 is Slurm's requeue signal)
PARENT_DEATH_SIGNAL = signal.SIGUSR2 if hasattr(signal, "SIGUSR2") else None


def exit_with_parent(parent: int | None = None) -> bool:
    """Arrange one SIGTERM for this process when ``parent`` (default: ``$NAS_PARENT_PID``)
    exits; True if a parent was given. If it is already gone, SIGTERM comes at once.
    Call it from the main thread (it installs a signal handler there)."""
    if parent is None:
        value = os.environ.get(PARENT_ENV, "")
        if not value.isdigit():
            return False
        parent = int(value)
    if not (sys.platform.startswith("linux") and _pdeathsig()):
        threading.Thread(target=_watch, args=(parent,), name="nas-parent", daemon=True).start()
    if os.getppid() != parent:  # it died before the kernel was told to watch it
        _parent_died()
    return True


# taken by the first report of the parent's death and never released: which report is
# first is atomic between the watcher thread and a signal handler, and a handler that
# interrupted the main thread inside _parent_died cannot deadlock on it
_FIRST_REPORT = threading.Lock()


def _parent_died(signum: int | None = None, frame: FrameType | None = None) -> None:
    """The parent-death handler: the first report becomes one SIGTERM; repeats do nothing."""
    if _FIRST_REPORT.acquire(blocking=False):
        os.kill(os.getpid(), signal.SIGTERM)


def _pdeathsig() -> bool:
    if PARENT_DEATH_SIGNAL is None or threading.current_thread() is not threading.main_thread():
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return False
    previous = signal.signal(PARENT_DEATH_SIGNAL, _parent_died)  # before the kernel may send it
    try:
        if libc.prctl(PR_SET_PDEATHSIG, PARENT_DEATH_SIGNAL, 0, 0, 0) == 0:
            return True
    except AttributeError:
        pass
    signal.signal(PARENT_DEATH_SIGNAL, previous)
    return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(POLL_S)
    _parent_died()
