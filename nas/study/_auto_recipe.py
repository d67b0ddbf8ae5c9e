"""The recipe of ``nas search --data FILE``: everything derived, nothing to write.

The space comes from the data (``space: auto``), validation is ``auto`` (cross-validation
on small data), TPE samples (multivariate, so block choices and their options are learnt
together) and the median pruner may stop a trial after its first fold or epoch. The
search runs for ``AUTO_TIMEOUT`` seconds. ``nas space --data FILE`` prints the space, and
any of this can be written down as a recipe and edited instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nas.study._recipe import StudyRecipe, parse_recipe

AUTO_TIMEOUT = 600.0  # seconds of search: 10 minutes
AUTO_TRIAL_TIMEOUT = 180.0  # seconds of training per trial (all folds)
AUTO_SAMPLER = {"name": "tpe", "options": {"n_startup_trials": 8, "multivariate": True,
                                            "group": True, "constant_liar": True}}  # fmt: skip
AUTO_PRUNER = {"name": "median", "options": {"n_startup_trials": 4, "n_warmup_steps": 0}}


def auto_recipe_doc(
    data: str, target: str | None = None, task: str | None = None
) -> dict[str, Any]:
    """The recipe mapping for ``data`` (a file, folder or dataset name)."""
    name = Path(data.rstrip("/")).stem.removesuffix("_TRAIN") or "nas"
    doc: dict[str, Any] = {
        "study": name,
        "space": "auto",
        "data": data,
        "sampler": AUTO_SAMPLER,
        "pruner": AUTO_PRUNER,
        "n_trials": None,
        "timeout": AUTO_TIMEOUT,
        "trial_timeout": AUTO_TRIAL_TIMEOUT,
    }
    if target is not None:
        doc["target"] = target
    if task is not None:
        doc["task"] = task
    return doc


def auto_recipe(data: str, target: str | None = None, task: str | None = None) -> StudyRecipe:
    """The validated recipe of ``nas search --data DATA`` (paths relative to the cwd)."""
    return parse_recipe(auto_recipe_doc(data, target, task), "--data", base=Path.cwd())
