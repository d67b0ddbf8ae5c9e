"""The ``nas`` command: a Typer app whose commands import heavy libraries lazily.

Any :class:`nas.NASError` becomes one ``error: ...`` line on stderr and exit code 2;
``nas --debug ...`` shows the traceback instead.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from nas.base import NASError

app = typer.Typer(
    name="nas",
    help="Neural architecture search and hyperparameter tuning on Optuna and PyTorch Lightning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = Console(soft_wrap=True)
if not console.is_terminal:  # logs and pipes: don't squeeze tables into 80 columns
    console.width = 160
err_console = Console(stderr=True)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    """Neural architecture search and hyperparameter tuning."""


def _register_commands() -> None:
    from nas.cli import (  # noqa: F401  (registration)
        _dashboard,
        _export,
        _inspect,
        _list,
        _search,
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
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
