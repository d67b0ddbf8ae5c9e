"""Small text helpers shared by every layer's messages."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for one: ``count(1, "output")`` -> ``"1 output"``.

    >>> count(10, "output"), count(1, "class", "classes")
    ('10 outputs', '1 class')
    """
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
