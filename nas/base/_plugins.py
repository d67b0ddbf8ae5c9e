"""Plugins: a user's own blocks, samplers, datasets or export formats, in every process.

A plugin is an importable module that registers entries in nas's registries at import
time (``@register_block(...)``, ``@register_sampler(...)``, ...). It reaches a process two
ways, and every process that runs trials (``nas search``, each ``nas worker``, ``nas
train``, ``nas export``, ``nas.load``) honours both:

- a recipe's ``plugins: [my_package.blocks]``, imported with the recipe's folder on the
  import path (so a module beside the recipe works without installing it);
- a Python entry point in the group ``nas.plugins`` of an installed distribution,
  imported the first time any registry is read::

      [project.entry-points."nas.plugins"]
      se_block = "nas_se_block"
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from nas.base._errors import NASError

ENTRY_POINT_GROUP = "nas.plugins"
_entry_points_loaded = False


class PluginError(NASError, ImportError):
    """A plugin named by a recipe, a bundle or an entry point cannot be imported."""


def load_entry_point_plugins() -> None:
    """Import every installed ``nas.plugins`` entry point (once per process)."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            point.load()
        except Exception as exc:
            raise PluginError(
                f"entry point {point.name!r} ({point.value}) of group {ENTRY_POINT_GROUP}: "
                f"cannot import it: {type(exc).__name__}: {exc}"
            ) from None


def load_plugins(modules: Sequence[str], *, where: str, search_path: Path | None = None) -> None:
    """Import the plugin ``modules`` (a recipe's ``plugins:`` list, say).

    Args:
        modules: importable module names.
        where: the file and key they came from, for errors (``study.yaml: plugins``).
        search_path: a folder put first on the import path (the recipe's folder).

    Raises:
        PluginError: naming the module, where it was listed and why it failed.
    """
    if modules and search_path is not None and str(search_path) not in sys.path:
        sys.path.insert(0, str(search_path))
    for i, module in enumerate(modules):
        try:
            importlib.import_module(module)
        except Exception as exc:
            raise PluginError(
                f"{where}[{i}]: cannot import plugin {module!r}: {type(exc).__name__}: {exc}"
            ) from None
