"""The sections of a study recipe, as frozen dataclasses: ``constraints:``, ``artifacts:``,
``recovery:`` and ``validation:``. Each field's ``option`` says what it accepts, so the
recipe parser validates a section and names the key path of a bad value."""

from __future__ import annotations

from dataclasses import dataclass

from nas.base import option


@dataclass(frozen=True)
class Constraints:
    """Limits on cost; a violating architecture is recorded infeasible through Optuna."""

    max_params: int | None = option(
        None, "most trainable parameters", kind=int, low=1, nullable=True
    )
    max_flops: int | None = option(
        None, "most forward FLOPs per sample", kind=int, low=1, nullable=True
    )
    max_latency_ms: float | None = option(
        None, "most inference latency (batch 1, median, ms)", kind=float, low=0.0, nullable=True
    )
    skip_infeasible: bool = option(True, "prune violating architectures before training them")

    def limits(self) -> dict[str, float]:
        """Metric name -> limit, for the constraints that are set."""
        pairs = {
            "params": self.max_params,
            "flops": self.max_flops,
            "latency_ms": self.max_latency_ms,
        }
        return {k: float(v) for k, v in pairs.items() if v is not None}


@dataclass(frozen=True)
class ArtifactSettings:
    """The ``artifacts:`` section of a recipe."""

    enabled: bool = option(True, "write a note, a diagram and the weights of completed trials")
    dir: str | None = option(
        None,
        "artifact folder; default: beside a SQLite store, else studies/artifacts",
        kind=str,
        nullable=True,
    )
    weights: bool = option(True, "keep each completed trial's trained weights (safetensors)")


@dataclass(frozen=True)
class RecoverySettings:
    """The ``recovery:`` section of a recipe."""

    heartbeat_interval: int = option(
        30, "seconds between a running trial's heartbeats", kind=int, low=1
    )
    grace_period: int = option(
        120, "seconds without a heartbeat before a trial counts as crashed", kind=int, low=1
    )
    max_retry: int = option(2, "times a crashed trial's parameters are run again", low=0)
    checkpoint_every_s: float | None = option(
        60.0, "seconds between a trial's epoch checkpoints, from which its retry resumes "
        "(0: every epoch; null: none; needs artifacts)", kind=float, low=0.0, nullable=True,
    )  # fmt: skip
    storage_retry_s: float = option(
        300.0, "seconds a worker waits out a storage outage before it gives up", kind=float,
        low=0.0,
    )  # fmt: skip


VALIDATION_METHODS = ("auto", "holdout", "folds")
DEFAULT_FOLDS = 5  # K of ``validation: folds`` and of what ``auto`` picks on small data


@dataclass(frozen=True)
class ValidationSettings:
    """The ``validation:`` section: ``auto`` (the default), ``{holdout: F}`` or
    ``{folds: K}``. See :mod:`nas.study._validation` for what ``auto`` picks."""

    method: str = option("auto", "auto, holdout or folds", choices=VALIDATION_METHODS)
    holdout: float | None = option(
        None, "share of the training set held out (stratified)", kind=float, low=0.01,
        high=0.9, nullable=True,
    )  # fmt: skip
    folds: int | None = option(
        None, "stratified K-fold cross-validation on the training set", kind=int, low=2,
        nullable=True,
    )  # fmt: skip


SEARCH_MODES = ("trials", "one_shot")
ONE_SHOT_LEARNING = ("reinforce", "ppo", "pqt")


@dataclass(frozen=True)
class SearchSettings:
    """The ``search:`` section: ``mode: trials`` (every trial trained on its own) or
    ``mode: one_shot`` (ENAS: a weight-sharing supernet and the controller first, then
    its best architectures trained as ordinary trials; see :mod:`nas.study._one_shot`);
    and whether a repeat of a completed trial's parameters is trained again."""

    mode: str = option("trials", "trials or one_shot", choices=SEARCH_MODES)
    retrain_duplicates: bool = option(
        False, "train a trial whose parameters equal a completed or earlier running trial's "
        "(false: prune it, naming that trial; see nas.study._duplicates)",
    )  # fmt: skip
    fraction: float = option(
        0.3, "one_shot: share of the run's timeout spent on the supernet", low=0.01, high=0.95
    )
    steps: int | None = option(
        None, "one_shot: supernet steps (each: one child trained on one batch, scored on one "
        "validation batch, and the controller's update); null: until fraction * timeout",
        kind=int, low=1, nullable=True,
    )  # fmt: skip
    top_k: int = option(
        10, "one_shot: architectures handed to the search as trials trained on their own", low=1
    )
    candidates: int = option(
        100, "one_shot: distinct architectures the final controller proposes (a repeat "
        "is drawn again); the top_k best by shared-weight validation score are handed on",
        low=1,
    )  # fmt: skip
    batch_size: int = option(64, "one_shot: mini-batch of the shared-weight steps", low=1)
    lr: float = option(
        0.002, "one_shot: Adam learning rate of the shared weights", kind=float, low=0.0
    )
    learning: str = option(
        "reinforce", "one_shot: how the controller learns", choices=ONE_SHOT_LEARNING
    )
