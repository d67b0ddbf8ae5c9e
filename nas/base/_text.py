"""Small text helpers shared by every layer's messages."""

from __future__ import annotations

import re


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for one: ``count(1, "output")`` -> ``"1 output"``.

    >>> count(10, "output"), count(1, "class", "classes")
    ('10 outputs', '1 class')
    """
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.\-]+")


def key_text(key: object) -> str:
    """A mapping key as an error message shows it: plain names as they are, anything else
    (empty, spaces, newlines, not a string) quoted, so a message stays one readable line."""
    text = str(key)
    return text if _PLAIN_KEY.fullmatch(text) else repr(key)


def exception_line(exc: BaseException) -> str:
    """``TypeName: first line of the message`` (just the type name for an empty one): an
    unexpected exception as a one-line reason."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
