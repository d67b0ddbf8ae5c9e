"""The one table of metrics: name, direction, the tasks it applies to, and where it is stored.

Validation metrics come from training (``val_acc``, ...); costs are known once the model is
built (``params``, ...) and are stored on the trial under their record field
(``n_params``, ...). Recipes, the objective, early stopping, pruning, ``nas best`` and
``--pick`` all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from nas.base import Registry

CLASSIFICATION = "classification"
REGRESSION = "regression"
TASKS = (CLASSIFICATION, REGRESSION)
DIRECTIONS = ("maximize", "minimize")


@dataclass(frozen=True)
class Metric:
    """One quantity a study can optimise or constrain."""

    name: str  # as recipes, Optuna's metric names and the training logs spell it
    direction: str  # one of DIRECTIONS
    tasks: tuple[str, ...]  # dataset tasks it applies to
    cost_attr: str | None = None  # costs: the trial-record field holding it; None: validation
    primary: bool = False  # the default objective of its task (selects epochs, stops early)

    @property
    def mode(self) -> str:
        """``max`` or ``min``, as Lightning's callbacks spell the direction."""
        return "max" if self.direction == "maximize" else "min"

    @property
    def is_cost(self) -> bool:
        return self.cost_attr is not None


VAL_ACC = "val_acc"
VAL_LOSS = "val_loss"
VAL_RMSE = "val_rmse"
VAL_R2 = "val_r2"

METRICS: Registry[Metric] = Registry("metric")
for _metric in (
    Metric(VAL_ACC, "maximize", (CLASSIFICATION,), primary=True),
    Metric(VAL_LOSS, "minimize", TASKS),
    Metric(VAL_RMSE, "minimize", (REGRESSION,), primary=True),
    Metric(VAL_R2, "maximize", (REGRESSION,)),
    Metric("params", "minimize", TASKS, cost_attr="n_params"),
    Metric("flops", "minimize", TASKS, cost_attr="flops"),
    Metric("latency_ms", "minimize", TASKS, cost_attr="latency_ms"),
):
    METRICS.add(_metric.name, _metric)


def primary_metric(task: str) -> Metric:
    """The metric that selects the best epoch, stops early and is the default objective."""
    return next(m for _, m in METRICS.items() if m.primary and task in m.tasks)


def cost_metrics() -> list[Metric]:
    """The metrics known before training (parameters, FLOPs, latency)."""
    return [m for _, m in METRICS.items() if m.is_cost]
