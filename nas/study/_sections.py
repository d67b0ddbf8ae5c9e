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
