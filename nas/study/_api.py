"""The Python API of a whole search: ``nas.search`` and ``nas.best``.

The same code path as ``nas search``: a recipe (validated exactly as a YAML one), the
same worker plan, the same trials in the same store; only the terminal output is left
out, and Optuna's and Lightning's own log lines stay quiet unless ``verbose=True``::

    import nas
    study = nas.search("search_spaces/quickstart.yaml", "mnist1d", n_trials=10,
                       storage="sqlite:///studies/api.db", study="api")
    trial = nas.best(study)
    print(trial.number, trial.value, trial.user_attrs["summary"])
    nas.export(study, "best/")
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from nas.base import RecipeError, parse_yaml, read_text, set_verbose
from nas.space import AUTO
from nas.study._auto_recipe import auto_recipe_doc
from nas.study._recipe import StudyRecipe, parse_recipe

if TYPE_CHECKING:
    import optuna

    from nas.study._search import EpochHook, TrialHook

SOURCE = "nas.search()"


def search(
    space: str | Path = AUTO,
    data: str | Path | None = None,
    *,
    workers: int | None = None,
    verbose: bool = False,
    on_trial: TrialHook | None = None,
    on_epoch: EpochHook | None = None,
    **recipe: Any,
) -> optuna.Study:
    """Run a search and return its Optuna study (created, or resumed if it exists).

    Args:
        space: a search-space YAML file, ``"auto"`` (derived from the data, as ``nas
            search --data`` does), or a study recipe file (``studies/*.yaml``), whose keys
            the other arguments override.
        data: a registered dataset (``"mnist1d"``), a data file or an image folder; with
            ``space="auto"`` and no recipe, everything else is derived from it.
        workers: trials at once (None: one per CPU on a CPU-only machine, as ``nas search``).
        verbose: show Optuna's and Lightning's own log lines and warnings.
        on_trial: called with ``(study, frozen_trial)`` as each trial finishes.
        on_epoch: called with ``(trial number, epochs done, planned, val metrics)``.
        **recipe: any recipe key: ``n_trials``, ``timeout``, ``sampler``, ``pruner``,
            ``storage``, ``study``, ``seed``, ``objectives``, ``validation``, ``target``,
            ``threads``, ``trial_timeout``, ... (validated like a YAML recipe's).

    Raises:
        RecipeError: a key or value is wrong (the message names it).
        NASError: the data, the space or the store cannot be used.
    """
    from nas.study._search import prepare_search, run_search
    from nas.study._workers import launch_workers, plan_search

    set_verbose(verbose)
    quiet_optuna()
    parsed = build_recipe(space, data, recipe)
    plan = plan_search(parsed, workers)
    prepared = prepare_search(parsed)
    if plan is None:
        run_search(parsed, prepared=prepared, on_trial=on_trial, on_epoch=on_epoch)
        return prepared.study
    with tempfile.TemporaryDirectory(prefix="nas-search-") as folder:
        recipe_file = Path(folder) / "recipe.yaml"  # what each worker process reads
        recipe_file.write_text(yaml.safe_dump(prepared.recipe.to_dict(), sort_keys=False))
        launch_workers(prepared, plan, [str(recipe_file)], on_trial=on_trial, on_epoch=on_epoch)
    return prepared.study


def build_recipe(
    space: str | Path, data: str | Path | None, keys: Mapping[str, Any]
) -> StudyRecipe:
    """The recipe of :func:`search`'s arguments, validated like a YAML file's."""
    space = str(space)
    if space != AUTO and Path(space).is_file() and _is_recipe(Path(space)):
        doc = dict(_read_yaml(Path(space)))
        base, source, name = Path(space).resolve().parent, space, Path(space).stem
        if data is not None:
            doc["data"] = str(Path(data).resolve()) if Path(data).exists() else str(data)
    else:
        data = str(data) if data is not None else "mnist1d"
        doc = auto_recipe_doc(data, keys.get("target")) if space == AUTO else {}
        doc.update({"space": space, "data": data})
        base, source, name = Path.cwd(), SOURCE, doc.get("study", "nas")
    doc.update(keys)
    return parse_recipe(doc, source, base=base, default_name=name)


def _read_yaml(path: Path) -> Any:
    return parse_yaml(read_text(path, RecipeError, "study recipe"), str(path), RecipeError)


def _is_recipe(path: Path) -> bool:
    """Whether a YAML file is a study recipe (it names a space) rather than a space."""
    doc = _read_yaml(path)
    return isinstance(doc, Mapping) and "space" in doc


def best(study: optuna.Study) -> optuna.trial.FrozenTrial:
    """The study's best trial as ``nas best`` chooses it (ties on the objective go to the
    lower validation loss; cross-validated trials within one standard error of the best
    to the fewest parameters). Its ``user_attrs`` hold the architecture, metrics and cost.

    Raises:
        StorageError: the study has no complete (feasible) trial yet.
    """
    from nas.base import StorageError
    from nas.study._best import best_trial

    trial = best_trial(study)
    if trial is None:
        raise StorageError(f"study {study.study_name!r} has no complete trial yet")
    return trial


def quiet_optuna() -> None:
    """Optuna's INFO lines and its notices about the experimental features nas uses on
    purpose (metric names, heartbeats) are noise unless verbose (``nas --verbose``)."""
    import warnings

    import optuna

    from nas.base import verbose

    if verbose():
        optuna.logging.set_verbosity(optuna.logging.INFO)
        return
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
