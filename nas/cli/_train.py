"""``nas train``: train one architecture and print its validation (and test) metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from nas.base import ArchitectureError, NASError, read_text
from nas.cli._app import app, console


def _read_params(text_or_path: str) -> dict[str, Any]:
    """A params dict from a JSON file, or inline JSON text."""
    path = Path(text_or_path)
    if text_or_path.lstrip().startswith("{"):
        raw, source = text_or_path, "--params"
    elif path.is_file():
        raw, source = read_text(path, NASError, "parameter file"), str(path)
    else:
        raise NASError(f"--params: {text_or_path}: no such file (give a JSON file or inline JSON)")
    try:
        params = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise NASError(f"{source}: not valid JSON ({exc})") from None
    if not isinstance(params, dict):
        raise NASError(f"{source}: expected a JSON object of parameter names to values")
    return params


def _load_arch(
    arch_file: Path | None, space: Path | None, params: str | None, derived_space: Any
) -> Any:
    """The architecture of ARCH.json, or of ``--params`` in ``--space`` (a file, or
    ``auto``: ``derived_space()``)."""
    from nas.arch import Architecture
    from nas.space import AUTO, load_space

    if arch_file is not None and (space or params):
        raise NASError("give either ARCH.json or --space with --params, not both")
    if arch_file is not None:
        text = read_text(arch_file, ArchitectureError, "architecture")
        return Architecture.from_json(text, source=str(arch_file))
    if space is None or params is None:
        raise NASError("give ARCH.json, or both --space FILE and --params PARAMS.json")
    if str(space) == AUTO:
        return derived_space().from_params(_read_params(params))
    return load_space(space).from_params(_read_params(params))


@app.command()
def train(
    arch_file: Path | None = typer.Argument(
        None, metavar="[ARCH.json]", help="Architecture JSON file."
    ),
    data: str = typer.Option(
        "mnist1d", "--data", help="A dataset name (nas list datasets) or a data file."
    ),
    epochs: int | None = typer.Option(
        None, "--epochs", min=1, help="Override the architecture's epochs."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed for weights, batch order and augmentation."),
    test: bool = typer.Option(False, "--test", help="Also evaluate on the test set."),
    space: Path | None = typer.Option(
        None, "--space", help="Search-space YAML (with --params), or auto: derived from the data."
    ),
    params: str | None = typer.Option(None, "--params", help="Params JSON as Optuna stores it."),
    max_time: float | None = typer.Option(
        None, "--max-time", min=0.0, help="Wall-clock limit, seconds."
    ),
    val_fraction: float = typer.Option(
        0.2, "--val-fraction", help="Share of training data for validation."
    ),
    folds: int = typer.Option(
        1, "--folds", min=1, help="K-fold cross-validation: train K times, print the mean."
    ),
    target: str | None = typer.Option(None, "--target", help="Tables: the column to predict."),
    task: str = typer.Option(
        "auto", "--task", help="classification, regression or auto (from the targets)."
    ),
    unequal_length: str = typer.Option(
        "resample", "--unequal-length", help="Series of unequal length: resample, pad or error."
    ),
    accelerator: str = typer.Option("auto", "--accelerator", help="auto, cpu or gpu."),
    threads: int = typer.Option(
        1, "--threads", min=1, help="CPU threads (1 is fastest for small models under load)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-epoch progress."),
    plugin: list[str] = typer.Option(
        [], "--plugin", help="Module registering your own blocks etc. (repeatable)."
    ),
    plugin_path: Path | None = typer.Option(
        None, "--plugin-path", help="Folder searched first for --plugin modules."
    ),
) -> None:
    """Train one architecture and print its validation metrics (test metrics with --test)."""
    from functools import cache

    from nas.base import load_plugins
    from nas.data import ReadOptions, load_dataset

    if accelerator not in ("auto", "cpu", "gpu"):
        raise NASError(f"--accelerator: expected auto, cpu or gpu, got {accelerator!r}")
    load_plugins(plugin, where="--plugin", search_path=plugin_path or Path.cwd())
    from nas.data import TASKS

    if task not in TASKS:
        raise NASError(f"--task: {task!r}; expected one of {', '.join(TASKS)}")
    read = ReadOptions(
        val_fraction=val_fraction, target=target, unequal_length=unequal_length, task=task
    )

    @cache
    def dataset() -> Any:
        return load_dataset(data, options=read)

    def derived_space() -> Any:  # the space a search with these folds derived
        from nas.space import auto_space

        return auto_space(dataset(), dataset().train_size(folds))

    # validate the architecture before the heavy imports (unless its space needs the data)
    arch = _load_arch(arch_file, space, params, derived_space)
    from nas.training import TrainOptions, mean_result, train_architecture, train_folds

    if not as_json:
        console.print(f"[bold]architecture[/] {arch.summary()}", highlight=False)
        console.print(f"[bold]data[/] {dataset().describe()}", highlight=False)
    options = TrainOptions(
        seed=seed,
        epochs=epochs,
        max_time_s=max_time,
        accelerator=accelerator,
        threads=threads,
        progress=not quiet,
    )
    sd: dict[str, float] = {}
    if folds > 1:
        results, models = train_folds(arch, dataset(), options, folds)
        result, sd = mean_result(results)
        if test:  # the K fold models as one averaging ensemble (what nas export --ensemble is)
            from dataclasses import replace

            import torch

            from nas.builder import make_ensemble
            from nas.training import evaluate

            d = dataset()
            ensemble = make_ensemble(models, d.task).cpu().eval()
            test_metrics = evaluate(ensemble, torch.from_numpy(d.x_test),
                                    torch.from_numpy(d.y_test), d.task)  # fmt: skip
            result = replace(result, test_metrics=test_metrics)
    else:
        result, _ = train_architecture(arch, dataset(), options, evaluate_test=test)
    if as_json:
        print(json.dumps(result.to_dict() | {"metrics_sd": sd}, default=list))
        return
    _print_result(result, sd, folds)


def _print_result(result: Any, sd: dict[str, float], folds: int) -> None:
    from rich.table import Table

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for key, value in result.metrics.items():
        spread = f" ± {sd[key]:.4f} over {folds} folds" if key in sd else ""
        table.add_row(key, f"{value:.4f}{spread}")
    for key, value in (result.test_metrics or {}).items():
        of = f" (ensemble of the {folds} fold models)" if folds > 1 else ""
        table.add_row(f"test_{key}", f"{value:.4f}{of}")
    table.add_row(
        "best epoch", f"{result.best_epoch + 1} of {result.epochs_run} ({result.stopped})"
    )
    table.add_row("parameters", f"{result.n_params:,}")
    table.add_row("FLOPs", f"{result.flops:,}")
    table.add_row("time", f"{result.train_seconds:.1f} s on {result.device} ({result.precision})")
    for note in result.notes:
        table.add_row("note", note)
    console.print(table)
