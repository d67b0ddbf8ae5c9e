"""Child processes that do not outlive their parent.

``nas search --workers N`` starts its workers in process groups of their own (so that the
terminal's Ctrl-C reaches only the parent, which passes it on). A parent killed with
SIGKILL cannot pass anything on, so each worker watches its parent itself: on Linux the
kernel sends it SIGTERM when the parent dies (``PR_SET_PDEATHSIG``), elsewhere a thread
polls the parent's pid. SIGTERM then stops the worker like Ctrl-C: after the current batch,
its trial marked FAIL.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading

PARENT_ENV = "NAS_PARENT_PID"  # set by the launcher in each worker's environment
PR_SET_PDEATHSIG = 1  # linux/prctl.h
POLL_S = 1.0


def exit_with_parent(parent: int | None = None) -> bool:
    """Arrange SIGTERM for this process when ``parent`` (default: ``$NAS_PARENT_PID``)
    exits; True if a parent was given. If it is already gone, SIGTERM comes at once."""
    if parent is None:
        value = os.environ.get(PARENT_ENV, "")
        if not value.isdigit():
            return False
        parent = int(value)
    if not (sys.platform.startswith("linux") and _pdeathsig()):
        threading.Thread(target=_watch, args=(parent,), name="nas-parent", daemon=True).start()
    if os.getppid() != parent:  # it died before the kernel was told to watch it
        os.kill(os.getpid(), signal.SIGTERM)
    return True


def _pdeathsig() -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(POLL_S)
    os.kill(os.getpid(), signal.SIGTERM)
