"""The markdown note shown on a trial's page in optuna-dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nas.base import config_to_dict

if TYPE_CHECKING:
    from nas.arch import Architecture
    from nas.builder import ModelReport
    from nas.training import TrainResult


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


def trial_note(
    number: int,
    arch: Architecture,
    report: ModelReport,
    result: TrainResult,
    *,
    diagram_url: str | None = None,
) -> str:
    """The architecture diagram (at full width, from ``diagram_url``), a layer table
    (block, output shape, parameters, FLOPs), the result, and a table of hyperparameters."""
    lines = [f"### Trial {number}: {arch.summary()}", ""]
    if diagram_url:
        lines += [f"![architecture of trial {number}]({diagram_url})", ""]
    lines += [
        "| layer | output shape | parameters | FLOPs |",
        "| --- | --- | ---: | ---: |",
        f"| input | {_shape(report.input_shape)} | | |",
    ]
    lines += [
        f"| {layer.name} | {_shape(layer.out_shape)} | {layer.params:,} | {layer.flops or 0:,} |"
        for layer in report.layers
    ]
    lines.append(f"| **total** | | **{report.n_params:,}** | **{report.flops:,}** |")
    metrics = ", ".join(f"{k} {v:.4f}" for k, v in result.metrics.items())
    lines += [
        "",
        f"**Result:** {metrics} at epoch {result.best_epoch + 1} of {result.epochs_run} "
        f"({result.stopped}), {result.train_seconds:.1f} s on {result.device} "
        f"({result.precision}).",
        "",
        "| hyperparameter | value |",
        "| --- | --- |",
    ]
    lines += [f"| {k} | `{v}` |" for k, v in config_to_dict(arch.train).items()]
    if report.notes:
        lines += ["", "**Builder decisions:** " + "; ".join(report.notes)]
    return "\n".join(lines)


def study_note(
    best: tuple[int, str] | None,
    choice: str | None,
    validation: str | None,
    warning: str | None,
    one_shot: str | None = None,
) -> str:
    """The study's note: which trial is best (as ``nas best`` ranks them: ties on the
    objective go to the lower validation loss, cross-validated trials within one standard
    error of the best to the fewest parameters), how that choice was made when it was one,
    how trials are validated, any warning, and what a one-shot phase did.

    ``best`` is ``(trial number, "val_acc 0.95 ± 0.02, val_loss 0.13")`` or None.
    """
    lines = ["### Best trial (as `nas best` and `nas export --best` choose it)", ""]
    lines.append(f"**#{best[0]}**: {best[1]}" if best else "No complete feasible trial yet.")
    if choice:
        lines += ["", choice + " (Optuna's own 'best trial' is the first with the best value)."]
    if validation:
        lines += ["", f"**Validation:** {validation}"]
    if warning:
        lines += ["", f"**Warning:** {warning}"]
    if one_shot:
        lines += ["", f"**One-shot phase:** {one_shot}"]
    return "\n".join(lines)
