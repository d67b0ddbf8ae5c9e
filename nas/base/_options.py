"""Typed, documented options shared by block configs and training hyperparameters.

A config is a frozen dataclass whose fields are declared with :func:`option`. The same
metadata validates a YAML search space (every value a choice list may hold), an
architecture JSON file, and a config built in Python, so the three never disagree::

    @dataclass(frozen=True)
    class DenseConfig:
        units: int = option(64, "output features", low=1)
        activation: str = option("relu", "nonlinearity", choices=list_activations)

    build_config(DenseConfig, {"units": 128}, where="head[0]", error=ArchitectureError)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from nas.base._errors import NASError
from nas.base._text import key_text

T = TypeVar("T")

_META_KEY = "nas"
_KIND_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


@dataclass(frozen=True)
class OptionSpec:
    """What values one config field accepts."""

    kind: type  # int, float, str or bool: the type a value must have
    doc: str  # one line shown in error messages and docs
    choices: tuple[Any, ...] | Callable[[], Iterable[Any]] | None = None  # closed set, if any
    low: float | None = None  # smallest allowed value (numbers)
    high: float | None = None  # largest allowed value (numbers)
    nullable: bool = False  # whether null (meaning "automatic") is allowed

    def allowed_choices(self) -> tuple[Any, ...] | None:
        """The closed set of allowed values, resolving a registry lookup if needed."""
        if self.choices is None:
            return None
        if callable(self.choices):
            return tuple(self.choices())
        return self.choices

    def describe(self) -> str:
        """Human description of what is allowed, for error messages."""
        choices = self.allowed_choices()
        if choices is not None:
            text = "one of " + ", ".join(repr(c) for c in choices)
        else:
            text = _KIND_NAMES.get(self.kind, self.kind.__name__)
            if self.low is not None and self.high is not None:
                text += f" in [{self.low}, {self.high}]"
            elif self.low is not None:
                text += f" >= {self.low}"
            elif self.high is not None:
                text += f" <= {self.high}"
        if self.nullable:
            text += " (or null for automatic)"
        return text


def option(
    default: Any,
    doc: str,
    *,
    kind: type | None = None,
    choices: tuple[Any, ...] | Callable[[], Iterable[Any]] | None = None,
    low: float | None = None,
    high: float | None = None,
    nullable: bool = False,
) -> Any:
    """Declare a config field with its default and what it accepts."""
    if kind is None:
        if default is None:
            raise TypeError("option(): a None default needs an explicit kind")
        kind = type(default)
    spec = OptionSpec(kind, doc, choices, low, high, nullable)
    return dataclasses.field(default=default, metadata={_META_KEY: spec})


def option_specs(cls: type) -> dict[str, OptionSpec]:
    """The option specs of a config dataclass, in field order."""
    return {
        f.name: f.metadata[_META_KEY] for f in dataclasses.fields(cls) if _META_KEY in f.metadata
    }


def check_value(spec: OptionSpec, value: Any) -> Any:
    """Return ``value`` normalised to the option's kind, or raise ``ValueError`` saying why."""
    if value is None:
        if spec.nullable:
            return None
        raise ValueError(f"expected {spec.describe()}, got null")
    if spec.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if (spec.kind is not bool and isinstance(value, bool)) or not isinstance(value, spec.kind):
        raise ValueError(f"expected {spec.describe()}, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected {spec.describe()}, got {value!r} (not a finite number)")
    choices = spec.allowed_choices()
    if choices is not None and value not in choices:
        raise ValueError(f"expected {spec.describe()}, got {value!r}")
    if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
        raise ValueError(f"expected {spec.describe()}, got {value!r}")
    return value


def build_config(
    cls: type[T], values: Mapping[str, Any], *, where: str, error: type[NASError]
) -> T:
    """Validate a mapping against ``cls``'s options and build the frozen config.

    Unknown keys and invalid values raise ``error`` with ``where`` (file and key path)
    in the message; missing keys take the documented defaults.
    """
    specs = option_specs(cls)
    unknown = sorted(set(values) - set(specs))
    if unknown:
        raise error(f"{where}.{key_text(unknown[0])}: unknown option; allowed: {', '.join(specs)}")
    checked = {}
    for name, raw in values.items():
        try:
            checked[name] = check_value(specs[name], raw)
        except ValueError as exc:
            raise error(f"{where}.{name}: {exc}") from None
    return cls(**checked)


def config_to_dict(config: Any) -> dict[str, Any]:
    """Plain JSON-ready dict of a config dataclass."""
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
