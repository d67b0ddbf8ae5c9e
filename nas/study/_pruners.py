"""Optuna pruners by name, as study recipes name them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from nas._errors import RecipeError

if TYPE_CHECKING:
    import optuna

PrunerFactory = Callable[[Mapping[str, Any]], "optuna.pruners.BasePruner"]


def _median(options: Mapping[str, Any]) -> optuna.pruners.BasePruner:
    import optuna

    return optuna.pruners.MedianPruner(**options)


def _successive_halving(options: Mapping[str, Any]) -> optuna.pruners.BasePruner:
    import optuna

    return optuna.pruners.SuccessiveHalvingPruner(**options)


def _hyperband(options: Mapping[str, Any]) -> optuna.pruners.BasePruner:
    import optuna

    return optuna.pruners.HyperbandPruner(**options)


def _none(options: Mapping[str, Any]) -> optuna.pruners.BasePruner:
    import optuna

    return optuna.pruners.NopPruner(**options)


_PRUNERS: dict[str, PrunerFactory] = {
    "median": _median,
    "successive_halving": _successive_halving,
    "hyperband": _hyperband,
    "none": _none,
}


def list_pruners() -> list[str]:
    """Names of the available pruners."""
    return list(_PRUNERS)


def make_pruner(
    name: str, options: Mapping[str, Any], where: str = "pruner"
) -> optuna.pruners.BasePruner:
    """Construct pruner ``name``; a bad name or option is a :class:`RecipeError`."""
    if name not in _PRUNERS:
        raise RecipeError(f"{where}: unknown pruner {name!r}; available: {', '.join(_PRUNERS)}")
    try:
        return _PRUNERS[name](options)
    except TypeError as exc:
        raise RecipeError(f"{where}.options: {exc}") from None
