"""YAML loading for spaces and recipes, with YAML 1.2 floats.

PyYAML follows YAML 1.1, where ``1e-4`` and ``1e12`` are strings (1.1 wants ``1.0e-4``).
Learning rates are written that way all the time, so we resolve them as floats.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads ``1e-4``, ``1E5`` and ``.5e3`` as floats."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """Parse YAML text safely (no Python objects), with YAML 1.2 floats."""
    return yaml.load(text, Loader=_Loader)


def read_text(path: str | Path, error: type[Exception], what: str) -> str:
    """The file's text; a missing or unreadable file raises ``error`` naming it."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, expected a {what} file") from None
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: not a text file (byte {exc.start} is not UTF-8); expected a {what} in YAML"
        ) from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None


def parse_yaml(text: str, source: str, error: type[Exception]) -> Any:
    """Parsed YAML; a syntax error raises ``error`` naming ``source``."""
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:  # PyYAML's message spans lines: one line, with the place
        raise error(f"{source}: not valid YAML ({' '.join(str(exc).split())})") from None
