"""Command-line interface (``nas``).

Any :class:`nas.NASError` becomes one ``error: ...`` line on stderr and exit code 2;
``nas --debug ...`` shows the traceback instead.
"""

from __future__ import annotations

import sys

from nas.base import NASError
from nas.cli._app import app, err_console


def _register_commands() -> None:
    from nas.cli import (  # noqa: F401  (each module registers its command on the app)
        _dashboard,
        _export,
        _inspect,
        _list,
        _search,
        _space,
        _train,
        _worker,
    )


def main() -> None:
    """Console-script entry point."""
    _register_commands()
    try:
        app()
    except NASError as exc:
        if "--debug" in sys.argv:
            raise
        # the message is plain text: "[mysql]" in a pip hint is not rich markup
        err_console.print("[bold red]error:[/] ", end="", highlight=False)
        err_console.print(str(exc), highlight=False, soft_wrap=True, markup=False)
        sys.exit(2)


__all__ = ["app", "main"]
