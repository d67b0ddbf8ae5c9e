"""``nas list``: what each registry holds (built-ins and plugins), without importing torch."""

from __future__ import annotations

import importlib

import typer

from nas.base import NASError
from nas.cli._app import app, console

# what ``nas list KIND`` shows -> (module, registry attribute)
REGISTRIES: dict[str, tuple[str, str]] = {
    "blocks": ("nas.blocks", "BLOCKS"),
    "readouts": ("nas.blocks", "READOUTS"),
    "activations": ("nas.blocks", "ACTIVATIONS"),
    "inits": ("nas.config", "INITS"),
    "optimizers": ("nas.config", "OPTIMIZERS"),
    "schedules": ("nas.config", "SCHEDULES"),
    "metrics": ("nas.config", "METRICS"),
    "datasets": ("nas.data", "DATASETS"),
    "readers": ("nas.data", "READERS"),
    "samplers": ("nas.samplers", "SAMPLERS"),
    "pruners": ("nas.study", "PRUNERS"),
    "formats": ("nas.export", "FORMATS"),
}


def registry(kind: str):  # type: ignore[no-untyped-def]
    """The registry ``nas list`` shows as ``kind``."""
    module, attribute = REGISTRIES[kind]
    return getattr(importlib.import_module(module), attribute)


@app.command(name="list")
def list_registered(
    kind: str | None = typer.Argument(
        None, metavar="[KIND]", help=f"One of: {', '.join(REGISTRIES)} (default: all)."
    ),
    plugin: list[str] = typer.Option(
        [], "--plugin", help="Also import this plugin module first (repeatable)."
    ),
) -> None:
    """List the registered blocks, samplers, datasets, export formats, ... (plugins too)."""
    from pathlib import Path

    from nas.base import load_plugins

    if kind is not None and kind not in REGISTRIES:
        raise NASError(f"unknown kind {kind!r}; available: {', '.join(REGISTRIES)}")
    load_plugins(plugin, where="--plugin", search_path=Path.cwd())
    for name in [kind] if kind else list(REGISTRIES):
        console.print(f"[bold]{name}[/]: {', '.join(registry(name).names())}", highlight=False)
