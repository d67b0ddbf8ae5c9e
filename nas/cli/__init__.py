"""Command-line interface (``nas``)."""

from nas.cli._app import app, main

__all__ = ["app", "main"]
