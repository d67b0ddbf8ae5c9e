"""Run a search: create or resume the study in the SQL store and optimise it.

recipe = load_recipe("studies/quickstart.yaml")
outcome = run_search(recipe)
print(outcome.study_name, outcome.n_complete)

Any number of processes may run this on one study at once (``nas worker``, ``nas search
--workers``): Optuna's storage hands out trial numbers atomically, each process samples
with a seed stream of its own, and crashed trials are failed and retried (see _recovery).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nas.base import RecipeError
from nas.study._artifacts import artifact_dir_of, make_artifact_dir
from nas.study._fingerprint import differences, fingerprint
from nas.study._recipe import StudyRecipe, resolve_objectives
from nas.study._record import StudyRecord
from nas.study._recovery import fail_stale_trials
from nas.study._storage import default_storage, make_store_folder, mask_password, open_storage
from nas.study._validation import ValidationPlan, plan_validation, validation_warning

if TYPE_CHECKING:
    import optuna

    from nas.data import Dataset
    from nas.space import SearchSpace
    from nas.study._artifacts import TrialArtifacts

TrialHook = Callable[["optuna.Study", "optuna.trial.FrozenTrial"], None]
# (trial number, epochs done, epochs planned, validation metrics) of the running trial
EpochHook = Callable[[int, int, int, "Mapping[str, float]"], None]

_log = logging.getLogger("nas.study")


def finished_states() -> tuple[optuna.trial.TrialState, ...]:
    """The states of a trial that will not change any more."""
    from optuna.trial import TrialState

    return (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


@dataclass(frozen=True)
class SearchOutcome:
    """How a search run ended."""

    study_name: str
    storage: str  # password masked
    new_trials: int  # trials this run finished (any state)
    interrupted: bool
    n_complete: int  # complete trials in the whole study
    stopped: str = "n_trials"  # what ended the run: "n_trials", "timeout" or "interrupted"
    rerun: int = 0  # of new_trials: crashed trials whose retry ran too (not counted twice)


@dataclass(frozen=True)
class PreparedSearch:
    """Everything validated and opened before the first trial starts."""

    recipe: StudyRecipe
    study: optuna.Study
    space: SearchSpace
    dataset: Dataset
    storage_url: str
    validation: ValidationPlan = field(default_factory=lambda: ValidationPlan(1, "holdout"))
    warning: str | None = None  # the validation cannot separate trials (validation_warning)
    worker: int | None = None  # a worker joining the study (it never runs a one-shot phase)

    def outcome(self, new_trials: int, interrupted: bool, rerun: int = 0) -> SearchOutcome:
        """How a run on this study ended, counting its complete trials now."""
        from optuna.trial import TrialState

        complete = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        n_trials = self.recipe.n_trials
        if interrupted:
            stopped = "interrupted"
        elif n_trials is None or (self.recipe.timeout is not None and new_trials < n_trials):
            stopped = "timeout"
        else:
            stopped = "n_trials"
        return SearchOutcome(
            self.recipe.study,
            mask_password(self.storage_url),
            new_trials,
            interrupted,
            len(complete),
            stopped,
            rerun,
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

    dataset = load_dataset(recipe.data, options=recipe.read_options())
    validation = plan_validation(recipe.validation, dataset)
    space = search_space(recipe, dataset, validation)
    recipe = replace(recipe, objectives=resolve_objectives(recipe, dataset.task))
    _sampler_and_pruner(recipe, None, worker)  # bad options fail before anything is written
    if recipe.search.mode == "one_shot":
        from nas.study._one_shot import one_shot_budget, phase_space

        one_shot_budget(recipe)  # a budget, and a space a supernet can share
        phase_space(space)
    url = recipe.storage or default_storage()
    make_store_folder(url)
    if recipe.artifacts.enabled:
        make_artifact_dir(recipe, url)
    storage = _search_storage(url, recipe, joining=worker is not None)
    marks = fingerprint(dataset, space.text, recipe.objectives)
    previous = _existing_study(storage, recipe, space, url, marks, joining=worker is not None)
    sampler, pruner = _sampler_and_pruner(recipe, previous, worker)
    study = optuna.create_study(
        storage=storage,
        study_name=recipe.study,
        sampler=sampler,
        pruner=pruner,
        directions=[o.direction for o in recipe.objectives],
        load_if_exists=True,
    )
    warning = validation_warning(validation, dataset)
    if worker is None or previous is None:
        _describe(study, recipe, space, dataset, url, validation, warning, marks)
    fail_stale_trials(study, recipe.recovery)
    return PreparedSearch(recipe, study, space, dataset, url, validation, warning, worker)


def _search_storage(url: str, recipe: StudyRecipe, *, joining: bool) -> optuna.storages.BaseStorage:
    """The store a search writes to: heartbeats on, wrapped so that it rides out outages.
    A worker ``joining`` a search waits for a store that is down, as its later calls do; a
    search's own first open fails at once, so a wrong URL is one error, not a wait."""
    from nas.base.optuna_compat import CachedStorage
    from nas.study._recovery import storage_options
    from nas.study._resilient import ResilientStorage, open_through_outage

    retry_s = recipe.recovery.storage_retry_s
    options = storage_options(recipe.recovery)
    if joining:
        rdb = open_through_outage(lambda: open_storage(url, options), url, retry_s)
    else:
        rdb = open_storage(url, options)
    return ResilientStorage(CachedStorage(rdb), url, retry_s)


def search_space(recipe: StudyRecipe, dataset: Dataset, validation: ValidationPlan) -> SearchSpace:
    """The recipe's space file, or with ``space: auto`` the space derived from the data
    for the training-set size each trial sees."""
    from nas.space import auto_space, load_space

    if not recipe.auto_space:
        return load_space(recipe.space)
    return auto_space(dataset, dataset.train_size(validation.folds))


def _existing_study(
    storage: optuna.storages.BaseStorage,
    recipe: StudyRecipe,
    space: SearchSpace,
    url: str,
    marks: dict,
    *,
    joining: bool,
) -> optuna.study.StudySummary | None:
    """The stored study of this name, checked against the recipe (None: a new study).

    Raises:
        RecipeError: the study was created with other directions, data, space or
            objectives (its stored fingerprint differs); nothing has been written.
    """
    import optuna

    existing = {s.study_name: s for s in optuna.get_all_study_summaries(storage)}
    previous = existing.get(recipe.study)
    if previous is None:
        return None
    had = [d.name.lower() for d in previous.directions]
    directions = [o.direction for o in recipe.objectives]
    if had != directions:
        raise RecipeError(
            f"{recipe.source}: study {recipe.study!r} already exists in {mask_password(url)} "
            f"with directions {had}, this recipe asks for {directions}; pick another study name"
        )
    record = StudyRecord.read(previous)
    if record.fingerprint is not None:
        found = differences(record.fingerprint, marks)
        if found:
            raise RecipeError(
                f"{recipe.source}: study {recipe.study!r} in {mask_password(url)} was created "
                f"from other {'; '.join(found)}; nothing was written. Start a new study with "
                "--study-name NAME (or study: in the recipe), or search what it was made from"
            )
        return previous
    stored_space = record.space  # a study made before fingerprints: only its space is known
    if joining and stored_space is not None and stored_space != space.text:
        raise RecipeError(
            f"{recipe.source}: study {recipe.study!r} in {mask_password(url)} was created "
            f"from a different search space than {recipe.space}; every worker of a study "
            "must use the same recipe and space"
        )
    return previous


def _sampler_and_pruner(
    recipe: StudyRecipe, previous: optuna.study.StudySummary | None, worker: int | None
) -> tuple[optuna.samplers.BaseSampler, optuna.pruners.BasePruner]:
    from nas.samplers import SamplerContext, make_sampler
    from nas.study._pruners import make_pruner

    n_existing = previous.n_trials if previous is not None else 0
    # workers start together and see the same n_existing: their index tells them apart
    stream = (n_existing,) if worker is None else (n_existing, worker + 1)
    context = SamplerContext(seed=recipe.seed, n_objectives=len(recipe.objectives), stream=stream)
    sampler = make_sampler(
        recipe.sampler.name, recipe.sampler.options, context, f"{recipe.source}: sampler"
    )
    pruner = make_pruner(recipe.pruner.name, recipe.pruner.options, f"{recipe.source}: pruner")
    return sampler, pruner


def _describe(
    study: optuna.Study,
    recipe: StudyRecipe,
    space: SearchSpace,
    dataset: Dataset,
    url: str,
    validation: ValidationPlan,
    warning: str | None,
    marks: dict,
) -> None:
    """Store what the study searches: metric names and its :class:`StudyRecord`."""
    study.set_metric_names([o.metric for o in recipe.objectives])
    artifact_dir = None
    if recipe.artifacts.enabled:
        artifact_dir = str(artifact_dir_of(recipe, url))
    StudyRecord.of(
        recipe,
        space.text,
        dataset.describe(),
        artifact_dir,
        validation=validation.describe(),
        folds=validation.folds,
        validation_warning=warning,
        classes=list(dataset.classes) if dataset.classes else None,
        fingerprint=marks,
    ).write(study)


def run_search(
    recipe: StudyRecipe,
    *,
    on_trial: TrialHook | None = None,
    on_interrupt: Callable[[], None] | None = None,
    on_epoch: EpochHook | None = None,
    on_message: Callable[[str], None] | None = None,
    prepared: PreparedSearch | None = None,
    study_total: int | None = None,
) -> SearchOutcome:
    """Run ``recipe.n_trials`` more trials (or until ``recipe.timeout``) on its study.

    Ctrl-C (or SIGTERM, SIGHUP) stops the running trial after its current batch and marks
    it FAIL; completed trials are never lost, and running the same recipe again resumes
    the study.

    Args:
        study_total: instead of ``recipe.n_trials`` more trials from this process, run
            until the study holds this many trials, whoever runs them (how a pool of
            workers and their replacements share one budget; see
            :func:`nas.study._loop.budget_left`).
        on_message: progress lines of a one-shot phase (``search: {mode: one_shot}``),
            which runs first unless the study already ran it.
    """
    from nas.study._interrupt import GracefulInterrupt
    from nas.study._loop import Limits, run_trials
    from nas.study._objective import TrialFailed, TrialObjective, TrialSettings
    from nas.study._one_shot import run_one_shot

    prepared = prepared or prepare_search(recipe)
    recipe, study = prepared.recipe, prepared.study
    settings = TrialSettings(
        recipe.objectives,
        recipe.constraints,
        recipe.trial_timeout,
        recipe.seed,
        recipe.precision,
        folds=prepared.validation.folds,
        threads=recipe.threads,
        checkpoint_every_s=recipe.recovery.checkpoint_every_s,
        retrain_duplicates=recipe.search.retrain_duplicates,
    )
    own_trials = recipe.n_trials if study_total is None else None
    ran: list[int] = []
    interrupted = False
    artifacts = _artifacts(prepared)
    with GracefulInterrupt(on_first=on_interrupt) as interrupt:
        one_shot = None
        if prepared.worker is None:  # workers leave the phase to the search that owns the study
            one_shot = run_one_shot(prepared, lambda: interrupt.requested, on_message)
        timeout = recipe.timeout
        if one_shot is not None and timeout is not None:
            timeout = max(0.0, timeout - one_shot.seconds)
        limits = Limits(own_trials, timeout, study_total)
        objective = TrialObjective(
            prepared.space, prepared.dataset, settings, interrupt, artifacts, on_epoch=on_epoch
        )

        def after_trial(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
            ran.append(trial.number)
            if artifacts is not None and trial.state.name == "COMPLETE":
                artifacts.record_study(study)
            if on_trial is not None:
                on_trial(study, trial)

        try:
            run_trials(
                study,
                objective,
                limits,
                recipe.recovery,
                catch=(TrialFailed,),
                after_trial=after_trial,
                stop=lambda: interrupt.requested or objective.duplicates.exhausted,
            )
        except KeyboardInterrupt:  # raised out of a running trial, now marked FAIL
            interrupted = True
            ran.append(-1)
        if objective.duplicates.exhausted:
            _log.warning(
                "stopped early: the sampler proposed only parameters of earlier trials "
                "%d times in a row, so the space looks exhausted (set search: "
                "{retrain_duplicates: true} to train repeats)",
                objective.duplicates.count,
            )
        interrupted = interrupted or interrupt.requested
    return prepared.outcome(len(ran), interrupted)


def _artifacts(prepared: PreparedSearch) -> TrialArtifacts | None:
    """The writer of the trials' note, diagram and weights, if the recipe wants them."""
    from nas.study._artifacts import TrialArtifacts

    recipe = prepared.recipe
    if not recipe.artifacts.enabled:
        return None
    stored = StudyRecord.read(prepared.study).artifact_dir
    directory = Path(stored) if stored else artifact_dir_of(recipe, prepared.storage_url)
    return TrialArtifacts(directory, recipe.artifacts.weights)
