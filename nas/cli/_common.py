"""Helpers every command shares: the store option, library noise, and one line per trial."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import typer

from nas.cli._format import duration, number

if TYPE_CHECKING:
    import optuna

STORAGE_HELP = (
    "SQLAlchemy URL of the study store (default: $NAS_STORAGE or sqlite:///studies/nas.db)."
)


def storage_option() -> Any:
    """The ``--storage URL`` option of the commands that read or write a store."""
    return typer.Option(None, "--storage", help=STORAGE_HELP)


def storage_url(flag: str | None) -> str | None:
    """``--storage``, else ``$NAS_STORAGE``; None leaves the recipe's (or the default) store."""
    from nas.study import STORAGE_ENV

    return flag or os.environ.get(STORAGE_ENV) or None


def open_store(flag: str | None) -> tuple[optuna.storages.BaseStorage, str]:
    """The existing store named by ``--storage`` (or the default) and its URL, password
    masked. Read-only: a missing store is an error, nothing is created."""
    from nas.study import default_storage, mask_password, open_storage

    url = flag or default_storage()
    return open_storage(url, create=False), mask_password(url)


def quiet_libraries() -> None:
    """We report each trial ourselves: Optuna's own lines only with ``nas --verbose``."""
    from nas.study import quiet_optuna

    quiet_optuna()


def has_best(study: optuna.Study) -> bool:
    """Whether a single-objective study has a (feasible) complete trial yet."""
    try:
        study.best_value  # noqa: B018
        return True
    except ValueError:
        return False


def trial_line(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> str:
    """``#3  COMPLETE  val_acc 0.91  best 0.93  4.2s  conv32k5 > ...`` (rich markup)."""
    from nas.study import TrialRecord, trial_json

    summary = trial_json(study, trial)
    state = trial.state.name
    colour = {"COMPLETE": "green", "PRUNED": "yellow", "FAIL": "red"}.get(state, "white")
    parts = [f"#{trial.number:<4d}", f"[{colour}]{state:<8s}[/]"]
    if trial.values:
        sd = summary["metrics_sd"]
        parts.append("  ".join(
            f"{k} {number(v)}" + (f"±{number(sd[k])}" if k in sd else "")
            for k, v in summary["values"].items()
        ))  # fmt: skip
        if len(study.directions) == 1:
            parts.append(f"best {number(study.best_value)}" if has_best(study) else "")
    else:
        parts.append(TrialRecord.read(trial).fail_reason or "")
    parts.append(duration(summary["seconds"] or 0.0))
    if summary["summary"]:
        parts.append(f"[dim]{summary['summary']}[/]")
    return "  ".join(p for p in parts if p)
