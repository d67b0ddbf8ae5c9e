"""Optuna pruners by name, as study recipes name them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from nas.base import RecipeError, Registry, check_options

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


PRUNERS: Registry[PrunerFactory] = Registry("pruner")
register_pruner = PRUNERS.register
list_pruners = PRUNERS.names
for _name, _factory in (
    ("median", _median),
    ("successive_halving", _successive_halving),
    ("hyperband", _hyperband),
    ("none", _none),
):
    PRUNERS.add(_name, _factory)


def make_pruner(
    name: str, options: Mapping[str, Any], where: str = "pruner"
) -> optuna.pruners.BasePruner:
    """Construct pruner ``name``; a bad name or option is a :class:`RecipeError`."""
    try:
        factory = PRUNERS.get(name)
    except ValueError as exc:
        raise RecipeError(f"{where}: {exc}") from None
    check_options(options, where)
    try:
        return factory(options)
    except (TypeError, ValueError) as exc:  # an unknown option, or one Optuna refuses
        raise RecipeError(f"{where}.options: {exc}") from None
