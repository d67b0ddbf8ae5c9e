"""``nas export``: write a verified deployable bundle of one trial."""

from __future__ import annotations

from pathlib import Path

import typer

from nas.base import ExportError
from nas.cli._app import app, console
from nas.cli._common import storage_option
from nas.export import list_formats


@app.command()
def export(
    out: Path = typer.Option(..., "--out", help="Folder to write the bundle to."),
    storage: str | None = storage_option(),
    study: str | None = typer.Option(
        None, "--study", help="Study name (optional if the store has one)."
    ),
    trial: int | None = typer.Option(None, "--trial", min=0, help="Trial number to export."),
    best: bool = typer.Option(False, "--best", help="The best trial (the default)."),
    pick: str | None = typer.Option(
        None,
        "--pick",
        help="Pareto front rule METRIC[,NAME<=LIMIT...], e.g. val_acc,params<=50000.",
    ),
    retrain: bool = typer.Option(
        False, "--retrain", help="Retrain on the whole training set first (checked)."
    ),
    ensemble: bool = typer.Option(
        False, "--ensemble", help="Export the K cross-validation fold models as one ensemble."
    ),
    ensemble_trials: int = typer.Option(
        0,
        "--ensemble-trials",
        metavar="N",
        help="Export a weighted ensemble of up to N of the best trials (each as its fold "
        "models), chosen by ensemble selection on cross-validation predictions.",
    ),
    formats: str = typer.Option(
        ",".join(list_formats()), "--formats", help="Comma-separated formats to write."
    ),
) -> None:
    """Export a trial: weights, ONNX (checked in onnxruntime), TorchScript, model.py, model card."""
    from nas.study import default_storage

    if sum(x is not None and x is not False for x in (trial, pick, best or None)) > 1:
        raise ExportError("give one of --trial N, --best or --pick RULE")
    if retrain and ensemble:
        raise ExportError("give one of --retrain (one model) or --ensemble (the fold models)")
    from nas.export import ExportRequest, export_trial

    request = ExportRequest(
        storage=storage or default_storage(),
        out=out,
        study=study,
        trial=trial,
        pick=pick,
        retrain=retrain,
        ensemble=ensemble,
        ensemble_trials=ensemble_trials,
        formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
    )
    with console.status("exporting..."):
        info, chosen = export_trial(request)
    members = info.source.get("ensemble_trials")
    what = (
        f"an ensemble of trials {', '.join(f'#{n}' for n in members)}"
        if members
        else f"trial #{chosen.number}"
    )
    console.print(f"Exported {what} of {info.source['study']} to {out}/", highlight=False)
    console.print(f"  model: {info.source['model']}", highlight=False)
    for key, value in info.test_metrics.items():
        console.print(f"  test {key}: {value:.4f}", highlight=False)
    if info.onnx_max_abs_diff is not None:
        console.print(
            f"  ONNX vs PyTorch max abs diff: {info.onnx_max_abs_diff:.2e}", highlight=False
        )
    console.print(f"  files: {', '.join(info.files)}", highlight=False)
