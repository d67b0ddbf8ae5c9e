"""What a study and each of its trials store: one typed schema each, with its writer and
its reader.

Everything lives in Optuna's own storage as user attrs, so any Optuna tool (the
dashboard, ``optuna.load_study``) reads it too; nas reads it back only through
:meth:`TrialRecord.read` and :meth:`StudyRecord.read`. The stored recipe is re-parsed by
the recipe parser, so a reader never restates a recipe default::

    record = TrialRecord.read(study.best_trial)
    record.n_params, record.metrics["val_acc"], record.seed
    recipe = StudyRecord.read(study).parsed_recipe(study.study_name)  # a StudyRecipe
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nas.base import NASError, StorageError
from nas.config import Metric
from nas.study._recipe import StudyRecipe, recipe_from_dict

if TYPE_CHECKING:
    import optuna

    from nas.arch import Architecture


@dataclass(frozen=True)
class TrialRecord:
    """The user attrs of one trial. Fields are written as the trial learns them, so a
    failed trial keeps what it knew (its architecture, its cost, why it failed)."""

    architecture: dict[str, Any] | None = None  # Architecture.to_dict() of what was trained
    summary: str | None = None  # one line, e.g. "conv25k5s2 > ... | flatten | adam lr=0.01"
    seed: int | None = None  # seeds the trial's weights, batch order, dropout and noise
    retry_of: int | None = None  # the crashed trial this one re-runs
    duplicate_of: int | None = None  # the earlier trial with these params (not re-trained)
    checkpoint: dict[str, Any] | None = None  # {"artifact": id, "epoch": k}: the latest one
    resumed: dict[str, Any] | None = None  # {"trial": n, "epoch": k}: the checkpoint it began at
    versions: dict[str, str] = field(default_factory=dict)  # nas, torch, lightning, optuna
    worker: str | None = None  # host:pid that ran it
    cuda_visible_devices: str | None = None  # the GPU(s) its worker was pinned to
    n_params: int | None = None  # trainable parameters
    flops: int | None = None  # forward FLOPs per sample
    latency_ms: float | None = None  # median batch-1 inference latency
    builder_notes: list[str] = field(default_factory=list)  # builder and budget decisions
    metrics: dict[str, float] = field(default_factory=dict)  # validation metrics, best epoch
    # cross-validation: the folds' metrics, best epoch and passes; metrics is their mean
    folds: list[dict[str, Any]] = field(default_factory=list)
    metrics_sd: dict[str, float] = field(default_factory=dict)  # spread over the folds
    batch_size: int | None = None  # trained with (capped at the training set's size)
    passes_per_epoch: int | None = None  # passes over the data per epoch (min_steps)
    best_passes: float | None = None  # passes up to the best epoch (mean over folds)
    history: list[dict[str, float]] = field(default_factory=list)  # per-epoch metrics
    train_seconds: float | None = None
    epochs_run: int | None = None
    best_epoch: int | None = None  # 0-based
    stopped: str | None = None  # "completed", "early_stopping" or "time_limit"
    device: str | None = None
    precision: str | None = None
    threads: int | None = None  # CPU intra-op threads it trained with
    fail_reason: str | None = None  # why it did not complete
    artifacts: dict[str, str] = field(default_factory=dict)  # {"diagram": id, "weights": id}
    artifact_error: str | None = None  # why its artifacts could not be written
    one_shot_reward: float | None = None  # its score with the one-shot supernet's weights

    @classmethod
    def read(cls, trial: optuna.trial.FrozenTrial) -> TrialRecord:
        """The record of a stored trial (keys of other writers, e.g. a sampler's, ignored)."""
        attrs = trial.user_attrs
        return cls(**{name: attrs[name] for name in _field_names(cls) if name in attrs})

    @classmethod
    def write(cls, trial: optuna.Trial, **values: Any) -> None:
        """Store these fields on a running trial (unknown field names are a bug: TypeError)."""
        _check_names(cls, values)
        for name, value in values.items():
            trial.set_user_attr(name, value)

    @classmethod
    def write_stored(
        cls, storage: optuna.storages.BaseStorage, trial_id: int, **values: Any
    ) -> None:
        """Store these fields on a running trial known only by its storage id (a trial
        another process ran, failed by crash recovery)."""
        _check_names(cls, values)
        for name, value in values.items():
            storage.set_trial_user_attr(trial_id, name, value)

    def cost(self, metric: Metric) -> float | None:
        """The stored value of a cost metric (``params`` -> ``n_params``)."""
        if metric.cost_attr is None:
            raise ValueError(f"{metric.name} is not a cost metric")
        return getattr(self, metric.cost_attr)

    def arch(self, number: int) -> Architecture:
        """The trained Architecture, validated."""
        from nas.arch import Architecture
        from nas.base import ArchitectureError

        if self.architecture is None:
            raise ArchitectureError(f"trial {number} stored no architecture (it failed first)")
        return Architecture.from_dict(self.architecture, f"trial {number}")


@dataclass(frozen=True)
class StudyRecord:
    """The user attrs of a study: the recipe and space it was created from."""

    recipe: dict[str, Any] | None = None  # StudyRecipe.to_dict(); read it with parsed_recipe()
    space: str | None = None  # the search-space YAML text, compared by joining workers
    data: str | None = None  # the dataset's one-line description
    artifact_dir: str | None = None  # where its trials' artifacts live
    validation: str | None = None  # how trials are validated, e.g. "5-fold cross-validation"
    folds: int | None = None  # K of its cross-validation (1: a holdout split)
    validation_warning: str | None = None  # why its validation cannot separate trials
    classes: list[str] | None = None  # the user's label of each class index
    fingerprint: dict[str, Any] | None = None  # data, space and objectives (_fingerprint.py)
    one_shot: dict[str, Any] | None = None  # the one-shot phase's outcome (_one_shot.py)

    @classmethod
    def read(cls, study: optuna.Study | optuna.study.StudySummary) -> StudyRecord:
        """The record of a stored study (or of a study summary)."""
        attrs = study.user_attrs
        return cls(**{name: attrs[name] for name in _field_names(cls) if name in attrs})

    @classmethod
    def of(
        cls,
        recipe: StudyRecipe,
        space: str,
        data: str,
        artifact_dir: str | None,
        **validation: Any,
    ) -> StudyRecord:
        """The record a search writes for ``recipe``."""
        return cls(recipe.to_dict(), space, data, artifact_dir, **validation)

    def write(self, study: optuna.Study) -> None:
        """Store every set field on ``study``."""
        for name in _field_names(type(self)):
            value = getattr(self, name)
            if value is not None:
                study.set_user_attr(name, value)

    def parsed_recipe(self, study_name: str) -> StudyRecipe | None:
        """The stored recipe, validated by the recipe parser (None: not created by nas).

        Raises:
            StorageError: the stored recipe no longer parses (a plugin it names is missing).
        """
        if self.recipe is None:
            return None
        try:
            return recipe_from_dict(self.recipe, f"study {study_name!r}: stored recipe")
        except NASError as exc:
            raise StorageError(f"cannot read the recipe of study {study_name!r}: {exc}") from None


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _check_names(cls: type, values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - set(_field_names(cls)))
    if unknown:
        raise TypeError(f"{cls.__name__} has no field {unknown[0]!r}")
