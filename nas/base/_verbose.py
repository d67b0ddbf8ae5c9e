"""Whether Optuna's and Lightning's own log lines and warnings are shown.

nas reports trials and epochs itself; the libraries' INFO lines and the notices about
experimental features nas uses on purpose are noise unless a user debugs. ``nas
--verbose`` (or ``NAS_VERBOSE=1``, which worker processes inherit) shows them.
"""

from __future__ import annotations

import os

VERBOSE_ENV = "NAS_VERBOSE"


def verbose() -> bool:
    """True when ``$NAS_VERBOSE`` is set to anything but ``""`` or ``0``."""
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def set_verbose(on: bool) -> None:
    """Turn the libraries' own output on or off for this process and its children."""
    os.environ[VERBOSE_ENV] = "1" if on else "0"
