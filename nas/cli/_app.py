"""The ``nas`` Typer app and its consoles; each command module registers itself on it, and
imports heavy libraries only inside the command."""

from __future__ import annotations

import typer
from rich.console import Console

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
    verbose: bool = typer.Option(
        False, "--verbose", help="Show Optuna's and Lightning's own log lines and warnings."
    ),
) -> None:
    """Neural architecture search and hyperparameter tuning."""
    if verbose:
        from nas.base import set_verbose

        set_verbose(True)
