"""What the command line changes in a recipe, as one object: it applies itself to the
recipe, and renders itself as the flags that a worker process or a resumed search gets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from nas.base import RecipeError

if TYPE_CHECKING:
    from nas.study import StudyRecipe


@dataclass(frozen=True)
class RecipeOverrides:
    """Flags of ``nas search`` and ``nas worker`` that override the recipe (None: keep)."""

    n_trials: int | None = None  # trials this run adds
    timeout: float | None = None  # seconds for this run
    storage: str | None = None  # the store's URL (the flag, else $NAS_STORAGE)
    study_name: str | None = None  # the study's name in the store
    sampler: str | None = None  # a registered sampler; its options are kept only if unchanged
    seed: int | None = None  # the study's seed: the sampler's and every trial's
    data: str | None = None  # the data (a recipe is optional with it: nas search --data)
    target: str | None = None  # tables: the column to predict
    task: str | None = None  # classification or regression (None: the recipe's)
    threads: int | None = None  # CPU threads per trial
    search_mode: str | None = None  # trials, or one_shot (a supernet phase first)

    FLAGS: ClassVar[dict[str, str]] = {
        "n_trials": "--n-trials",
        "timeout": "--timeout",
        "storage": "--storage",
        "study_name": "--study-name",
        "sampler": "--sampler",
        "seed": "--seed",
        "data": "--data",
        "target": "--target",
        "task": "--task",
        "threads": "--threads",
        "search_mode": "--search-mode",
    }
    # what every worker gets (the storage travels in $NAS_STORAGE, so no password shows in a
    # process list; the launcher adds each worker's study name and share of trials)
    WORKER_FIELDS: ClassVar[tuple[str, ...]] = (
        "sampler", "seed", "timeout", "data", "target", "task", "threads"
    )  # fmt: skip
    # what a resumed search needs to continue the same study the same way (not the budget)
    RESUME_FIELDS: ClassVar[tuple[str, ...]] = (
        "storage", "study_name", "sampler", "seed", "data", "target", "task", "threads",
        "search_mode",
    )  # fmt: skip

    def apply(self, recipe: StudyRecipe) -> StudyRecipe:
        """The recipe with these overrides (the store: the flag, else ``$NAS_STORAGE``)."""
        from nas.cli._common import storage_url
        from nas.data import is_data_file
        from nas.samplers import list_samplers
        from nas.study import Component

        changes: dict[str, Any] = {
            "data": (
                str(Path(self.data).resolve())
                if self.data is not None and is_data_file(self.data)
                else self.data
            ),
            "target": self.target,
            "n_trials": self.n_trials,
            "timeout": self.timeout,
            "storage": storage_url(self.storage),
            "study": self.study_name,
            "seed": self.seed,
            "threads": self.threads,
            "task": self.task,
        }
        from nas.study import check_override

        for key, flag in (("n_trials", "--n-trials"), ("timeout", "--timeout"),
                          ("seed", "--seed"), ("threads", "--threads")):  # fmt: skip
            if changes[key] is not None:
                changes[key] = check_override(key, changes[key], flag)
        if self.task is not None:
            from nas.data import TASKS

            if self.task not in TASKS:
                raise RecipeError(f"--task: {self.task!r}; expected one of {', '.join(TASKS)}")
        if self.sampler is not None:
            if self.sampler not in list_samplers():
                raise RecipeError(
                    f"--sampler: unknown sampler {self.sampler!r}; "
                    f"available: {', '.join(list_samplers())}"
                )
            keep = recipe.sampler.options if self.sampler == recipe.sampler.name else {}
            changes["sampler"] = Component(self.sampler, keep)
        if self.search_mode is not None:
            from nas.study import SEARCH_MODES

            if self.search_mode not in SEARCH_MODES:
                raise RecipeError(
                    f"--search-mode: {self.search_mode!r}; expected one of "
                    f"{', '.join(SEARCH_MODES)}"
                )
            changes["search"] = replace(recipe.search, mode=self.search_mode)
        return replace(recipe, **{k: v for k, v in changes.items() if v is not None})

    def argv(self, fields: tuple[str, ...] | None = None) -> list[str]:
        """``--flag value`` pairs of the set ``fields`` (default: all); passwords masked."""
        from nas.study import mask_password

        out: list[str] = []
        for field in fields or tuple(f.name for f in dataclasses.fields(self)):
            value = getattr(self, field)
            if value is not None:
                out += [self.FLAGS[field], mask_password(str(value))]
        return out

    def worker_argv(self, recipe_file: Path | None) -> list[str]:
        """The arguments of ``nas worker`` for a worker of this search."""
        return [*_file(recipe_file), *self.argv(self.WORKER_FIELDS)]

    def resume_argv(self, recipe_file: Path | None, *launch: str) -> list[str]:
        """``nas search`` arguments that resume this search on the same study and seed."""
        return ["nas", "search", *_file(recipe_file), *self.argv(self.RESUME_FIELDS), *launch]


def _file(recipe_file: Path | None) -> list[str]:
    return [str(recipe_file)] if recipe_file is not None else []


@dataclass(frozen=True)
class LaunchFlags:
    """How ``nas search`` runs its trials: in-process, or in worker processes."""

    workers: int | None = None  # --workers
    devices: str | None = None  # --devices 0,1
    trials_per_gpu: int | None = None  # --trials-per-gpu

    @property
    def launches_workers(self) -> bool:
        return any(v is not None for v in (self.workers, self.devices, self.trials_per_gpu))

    def argv(self) -> list[str]:
        flags = (("--workers", self.workers), ("--devices", self.devices))
        flags += (("--trials-per-gpu", self.trials_per_gpu),)
        return [part for flag, value in flags if value is not None for part in (flag, str(value))]


def load_recipe_with(recipe_file: Path | None, overrides: RecipeOverrides) -> StudyRecipe:
    """Load the recipe file (importing its plugins) and apply the command line's overrides;
    without a file, the recipe ``--data`` derives (``nas.study.auto_recipe``)."""
    from nas.cli._common import quiet_libraries
    from nas.study import auto_recipe, load_recipe

    quiet_libraries()
    if recipe_file is not None:
        return overrides.apply(load_recipe(recipe_file))
    if overrides.data is None:
        raise RecipeError(
            "give a recipe (STUDY.yaml), or --data FILE to search your data with none"
        )
    return overrides.apply(auto_recipe(overrides.data, overrides.target, overrides.task))
