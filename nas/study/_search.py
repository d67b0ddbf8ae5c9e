"""Run a search: create or resume the study in the SQL store and optimise it.

recipe = load_recipe("studies/quickstart.yaml")
outcome = run_search(recipe)
print(outcome.study_name, outcome.n_complete)

Any number of processes may run this on one study at once (``nas worker``, ``nas search
--workers``): Optuna's storage hands out trial numbers atomically, each process samples
with a seed stream of its own, and crashed trials are failed and retried (see _recovery).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nas._errors import RecipeError
from nas.study._artifacts import ARTIFACT_DIR_ATTR, default_artifact_dir
from nas.study._recipe import StudyRecipe, resolve_objectives
from nas.study._recovery import fail_stale_trials
from nas.study._storage import default_storage, mask_password, open_storage

if TYPE_CHECKING:
    import optuna

    from nas.data import Dataset
    from nas.space import SearchSpace

TrialHook = Callable[["optuna.Study", "optuna.trial.FrozenTrial"], None]


@dataclass(frozen=True)
class SearchOutcome:
    """How a search run ended."""

    study_name: str
    storage: str  # password masked
    new_trials: int  # trials this run finished (any state)
    interrupted: bool
    n_complete: int  # complete trials in the whole study


@dataclass(frozen=True)
class PreparedSearch:
    """Everything validated and opened before the first trial starts."""

    recipe: StudyRecipe
    study: optuna.Study
    space: SearchSpace
    dataset: Dataset
    storage_url: str

    def outcome(self, new_trials: int, interrupted: bool) -> SearchOutcome:
        """How a run on this study ended, counting its complete trials now."""
        from optuna.trial import TrialState

        complete = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return SearchOutcome(
            self.recipe.study,
            mask_password(self.storage_url),
            new_trials,
            interrupted,
            len(complete),
        )


def prepare_search(recipe: StudyRecipe, *, worker: int | None = None) -> PreparedSearch:
    """Validate the recipe against its space and data, and open/create the study.

    Everything that can be wrong with a recipe (missing space, unknown sampler, an
    objective that does not fit the data, a study with other directions) fails here,
    before any trial starts. Trials left RUNNING by a crashed process are failed and
    queued for a retry here too.

    Args:
        recipe: the validated recipe.
        worker: None for a search that owns the study (it records the recipe and space on
            it); a worker index for a process joining a study, which must then hold the same
            search space (an index of its own gives each worker its own seed stream).
    """
    import optuna

    from nas.data import load_dataset
    from nas.samplers import SamplerContext, make_sampler
    from nas.space import load_space
    from nas.study._pruners import make_pruner

    space = load_space(recipe.space)
    dataset = load_dataset(recipe.data, val_fraction=recipe.val_fraction)
    objectives = resolve_objectives(recipe, dataset.task)
    recipe = replace(recipe, objectives=objectives)
    directions = [o.direction for o in objectives]
    url = recipe.storage or default_storage()
    storage = open_storage(url, recipe.recovery)

    existing = {s.study_name: s for s in optuna.get_all_study_summaries(storage)}
    previous = existing.get(recipe.study)
    if previous is not None:
        had = [d.name.lower() for d in previous.directions]
        if had != directions:
            raise RecipeError(
                f"{recipe.source}: study {recipe.study!r} already exists in {mask_password(url)} "
                f"with directions {had}, this recipe asks for {directions}; "
                "pick another study name"
            )
        stored_space = previous.user_attrs.get("space")
        if worker is not None and stored_space is not None and stored_space != space.text:
            raise RecipeError(
                f"{recipe.source}: study {recipe.study!r} in {mask_password(url)} was created "
                f"from a different search space than {recipe.space}; every worker of a study "
                "must use the same recipe and space"
            )
    n_existing = previous.n_trials if previous is not None else 0
    # workers start together and see the same n_existing: their index tells them apart
    stream = (n_existing,) if worker is None else (n_existing, worker + 1)
    context = SamplerContext(seed=recipe.seed, n_objectives=len(objectives), stream=stream)
    sampler = make_sampler(
        recipe.sampler.name, recipe.sampler.options, context, f"{recipe.source}: sampler"
    )
    pruner = make_pruner(recipe.pruner.name, recipe.pruner.options, f"{recipe.source}: pruner")
    study = optuna.create_study(
        storage=storage,
        study_name=recipe.study,
        sampler=sampler,
        pruner=pruner,
        directions=directions,
        load_if_exists=True,
    )
    if worker is None or previous is None:
        study.set_metric_names([o.metric for o in objectives])
        study.set_user_attr("recipe", recipe.to_dict())
        study.set_user_attr("space", space.text)
        study.set_user_attr("data", dataset.describe())
        if recipe.artifacts.enabled:
            directory = (
                Path(recipe.artifacts.dir) if recipe.artifacts.dir else default_artifact_dir(url)
            )
            study.set_user_attr(ARTIFACT_DIR_ATTR, str(directory))
    fail_stale_trials(study)
    return PreparedSearch(recipe, study, space, dataset, url)


def run_search(
    recipe: StudyRecipe,
    *,
    on_trial: TrialHook | None = None,
    on_interrupt: Callable[[], None] | None = None,
    prepared: PreparedSearch | None = None,
    study_total: int | None = None,
) -> SearchOutcome:
    """Run ``recipe.n_trials`` more trials (or until ``recipe.timeout``) on its study.

    Ctrl-C stops the running trial after its current batch and marks it FAIL; completed
    trials are never lost, and running the same recipe again resumes the study.

    Args:
        study_total: instead of ``recipe.n_trials`` more trials from this process, run
            until the study holds this many finished trials, whoever runs them (how a pool
            of workers shares one budget; trials in flight when it is reached still finish).
    """
    import optuna
    from optuna.trial import TrialState

    from nas.study._interrupt import GracefulInterrupt
    from nas.study._objective import TrialFailed, TrialObjective, TrialSettings

    prepared = prepared or prepare_search(recipe)
    recipe, study = prepared.recipe, prepared.study
    settings = TrialSettings(
        recipe.objectives, recipe.constraints, recipe.trial_timeout, recipe.seed, recipe.precision
    )
    finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    before = len(study.get_trials(deepcopy=False, states=finished))
    n_trials = recipe.n_trials
    callbacks: list[TrialHook] = []
    if study_total is not None:
        n_trials = max(0, study_total - before)  # an upper bound; the callback stops sooner
        callbacks.append(optuna.study.MaxTrialsCallback(study_total, states=finished))

    interrupted = False
    with GracefulInterrupt(on_first=on_interrupt) as interrupt:
        artifacts = None
        if recipe.artifacts.enabled:
            from nas.study._artifacts import TrialArtifacts

            stored = study.user_attrs.get(ARTIFACT_DIR_ATTR)
            directory = Path(stored) if stored else default_artifact_dir(prepared.storage_url)
            artifacts = TrialArtifacts(directory, recipe.artifacts.weights)
        objective = TrialObjective(prepared.space, prepared.dataset, settings, interrupt, artifacts)

        ran: list[int] = []

        def after_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            ran.append(trial.number)
            if on_trial is not None:
                on_trial(study, trial)
            if interrupt.requested:
                study.stop()

        try:
            if n_trials != 0:
                study.optimize(
                    objective,
                    n_trials=n_trials,
                    timeout=recipe.timeout,
                    catch=(TrialFailed,),
                    callbacks=[*callbacks, after_trial],
                )
        except KeyboardInterrupt:  # raised out of a running trial, which Optuna marked FAIL
            interrupted = True
            ran.append(-1)
        interrupted = interrupted or interrupt.requested
    return prepared.outcome(len(ran), interrupted)
