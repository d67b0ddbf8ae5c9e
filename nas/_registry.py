"""A named registry: ``register`` decorator, ``get`` with a helpful error, ``names``.

OPTIMIZERS: Registry[OptimizerFactory] = Registry("optimizer")

@OPTIMIZERS.register("adam")
def _adam(params, config): ...

OPTIMIZERS.get("adma")  # ValueError: unknown optimizer 'adma'; available: adam, ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Name -> entry, in registration order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # what an entry is, for error messages ("optimizer", "schedule", ...)
        self._entries: dict[str, T] = {}

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
        """The entry ``name``; ``ValueError`` lists the valid names otherwise."""
        try:
            return self._entries[name]
        except KeyError:
            raise ValueError(
                f"unknown {self.kind} {name!r}; available: {', '.join(self._entries)}"
            ) from None

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries
