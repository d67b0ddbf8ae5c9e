"""Searchable values: fixed scalars, choice lists and int/float ranges.

In YAML, a scalar is fixed, a list is a categorical choice, and a mapping
``{low, high, log, step}`` is a range. Each knows how to ask an Optuna trial for a value
under a stable parameter name (define-by-run), so any sampler can drive a space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nas.base import OptionSpec, SearchSpaceError, check_value

if TYPE_CHECKING:
    import optuna


@dataclass(frozen=True)
class Fixed:
    """A value that is not searched (no trial parameter)."""

    value: Any

    def suggest(self, trial: optuna.trial.BaseTrial, name: str) -> Any:
        return self.value


@dataclass(frozen=True)
class Choice:
    """A categorical choice among two or more values."""

    choices: tuple[Any, ...]

    def suggest(self, trial: optuna.trial.BaseTrial, name: str) -> Any:
        return trial.suggest_categorical(name, list(self.choices))


@dataclass(frozen=True)
class IntRange:
    """An integer range, inclusive, optionally log-scaled or stepped."""

    low: int
    high: int
    step: int = 1
    log: bool = False

    def suggest(self, trial: optuna.trial.BaseTrial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)


@dataclass(frozen=True)
class FloatRange:
    """A float range, optionally log-scaled or stepped."""

    low: float
    high: float
    step: float | None = None
    log: bool = False

    def suggest(self, trial: optuna.trial.BaseTrial, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)


Param = Fixed | Choice | IntRange | FloatRange
_RANGE_KEYS = ("low", "high", "log", "step")


def parse_param(raw: Any, spec: OptionSpec, where: str) -> Param:
    """Turn one YAML value into a Param checked against ``spec``; errors name ``where``."""
    if isinstance(raw, dict):
        return _parse_range(raw, spec, where)
    if isinstance(raw, list):
        if not raw:
            raise SearchSpaceError(
                f"{where}: empty choice list; give at least one value, each {spec.describe()}"
            )
        values = tuple(_check(v, spec, f"{where}[{i}]") for i, v in enumerate(raw))
        if len(set(map(repr, values))) != len(values):
            raise SearchSpaceError(f"{where}: duplicate values in choice list {list(values)}")
        return Fixed(values[0]) if len(values) == 1 else Choice(values)
    return Fixed(_check(raw, spec, where))


def _check(value: Any, spec: OptionSpec, where: str) -> Any:
    try:
        return check_value(spec, value)
    except ValueError as exc:
        raise SearchSpaceError(f"{where}: {exc}") from None


def _parse_range(raw: dict[str, Any], spec: OptionSpec, where: str) -> Param:
    if spec.kind not in (int, float) or spec.allowed_choices() is not None:
        raise SearchSpaceError(
            f"{where}: a range {{low, high}} is only allowed for numbers; use a list of choices, "
            f"each {spec.describe()}"
        )
    unknown = sorted(set(raw) - set(_RANGE_KEYS))
    if unknown:
        raise SearchSpaceError(
            f"{where}.{unknown[0]}: unknown range key; allowed: {', '.join(_RANGE_KEYS)}"
        )
    for key in ("low", "high"):
        if key not in raw:
            raise SearchSpaceError(
                f"{where}: a range needs '{key}' (allowed keys: {', '.join(_RANGE_KEYS)})"
            )
    low = _check(raw["low"], spec, f"{where}.low")
    high = _check(raw["high"], spec, f"{where}.high")
    if low > high:
        raise SearchSpaceError(f"{where}: inverted range, low {low} > high {high}")
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise SearchSpaceError(f"{where}.log: expected true or false, got {log!r}")
    if log and low <= 0:
        raise SearchSpaceError(f"{where}: a log range needs low > 0, got {low}")
    step = raw.get("step")
    if step is not None:
        numeric = (int,) if spec.kind is int else (int, float)
        if isinstance(step, bool) or not isinstance(step, numeric) or step <= 0:
            raise SearchSpaceError(
                f"{where}.step: expected a positive {spec.kind.__name__}, got {step!r}"
            )
        if log:
            raise SearchSpaceError(f"{where}: 'step' and 'log' cannot be combined (Optuna)")
    if low == high:
        return Fixed(low)
    if spec.kind is int:
        return IntRange(low, high, step or 1, log)
    return FloatRange(float(low), float(high), None if step is None else float(step), log)
