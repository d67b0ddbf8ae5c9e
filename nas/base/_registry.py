"""One registry mechanism for every extension point: blocks, readouts, activations,
initialisations, optimizers, schedules, metrics, datasets, file readers, pruners, samplers
and export formats.

A registry may sit in a lower layer than its entries: ``builtins`` names the modules that
register the built-in entries, imported the first time the registry is read. So the
torch-free training config lists the optimizers that ``nas.training`` implements without
importing it, and a plugin registers exactly the way the built-ins do::

    OPTIMIZERS = Registry("optimizer", builtins=("nas.training._optimizers",))

    @OPTIMIZERS.register("adam")           # in nas/training/_optimizers.py
    def _adam(params, config): ...

    OPTIMIZERS.get("adma")  # ValueError: unknown optimizer 'adma'; registered: sgd, ..., adam
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> entry, in registration order (built-ins first, then plugins)."""

    def __init__(self, kind: str, *, builtins: tuple[str, ...] = ()) -> None:
        self.kind = kind  # what an entry is, for messages ("optimizer", "block type", ...)
        self.builtins = builtins  # modules that register the built-in entries
        self._entries: dict[str, T] = {}
        self._loaded = False  # built-ins and entry-point plugins imported

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator registering the decorated object as ``name``."""

        def decorator(entry: T) -> T:
            self.add(name, entry)
            return entry

        return decorator

    def add(self, name: str, entry: T) -> None:
        """Register ``entry`` as ``name``; a name registers once."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry

    def get(self, name: str) -> T:
        """The entry ``name``; ``ValueError`` lists the registered names otherwise."""
        self._load()
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise ValueError(
                f"unknown {self.kind} {name!r}; registered: {', '.join(self._entries)}"
            ) from None

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        self._load()
        return list(self._entries)

    def items(self) -> Iterator[tuple[str, T]]:
        """``(name, entry)`` pairs, in registration order."""
        self._load()
        return iter(list(self._entries.items()))

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._entries

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True  # first: a built-in module may read its own registry
        from nas.base._plugins import load_entry_point_plugins

        for module in self.builtins:
            importlib.import_module(module)
        load_entry_point_plugins()
