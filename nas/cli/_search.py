"""``nas search``: create or resume a study from a recipe and run its trials."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from nas.cli._app import app, console
from nas.cli._common import storage_url, trial_line
from nas.cli._overrides import LaunchFlags, RecipeOverrides, load_recipe_with
from nas.samplers import list_samplers

if TYPE_CHECKING:
    from nas.study import PreparedSearch, SearchOutcome, StudyRecipe, WorkerPlan


@app.command()
def search(
    recipe_file: Path | None = typer.Argument(
        None, metavar="[STUDY.yaml]", help="Study recipe (see studies/); optional with --data."
    ),
    data: str | None = typer.Option(
        None,
        "--data",
        help="Your data: .ts/.tsv, .csv/.parquet (with --target), .npz or an image folder. "
        "Without a recipe, the space and everything else are derived from it.",
    ),
    target: str | None = typer.Option(None, "--target", help="Tables: the column to predict."),
    n_trials: int | None = typer.Option(
        None, "--n-trials", min=1, help="Trials to add in this run."
    ),
    timeout: float | None = typer.Option(None, "--timeout", min=0.0, help="Seconds for this run."),
    storage: str | None = typer.Option(
        None, "--storage", help="SQLAlchemy URL of the study store."
    ),
    study_name: str | None = typer.Option(None, "--study-name", help="Study name in the store."),
    sampler: str | None = typer.Option(
        None, "--sampler", help=f"Sampler: {', '.join(list_samplers())}."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the sampler and trials."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Worker processes running trials at once."
    ),
    devices: str | None = typer.Option(
        None, "--devices", help="GPUs to use, e.g. 0,1: one per worker, round robin."
    ),
    trials_per_gpu: int | None = typer.Option(
        None, "--trials-per-gpu", min=1, help="Concurrent trials per GPU (small models)."
    ),
) -> None:
    """Create or resume a search study and run its trials; Ctrl-C stops cleanly.

    nas search --data your.csv --target label  searches your data with no recipe.
    """
    overrides = RecipeOverrides(
        n_trials, timeout, storage, study_name, sampler, seed, data=data, target=target
    )
    launch = LaunchFlags(workers, devices, trials_per_gpu)
    recipe = load_recipe_with(recipe_file, overrides)
    plan = _plan(launch, recipe) if launch.launches_workers else None
    from nas.study import prepare_search

    with console.status("loading data and opening the study store..."):
        prepared = prepare_search(recipe)
    _print_header(prepared, plan)
    outcome = _run(prepared, plan, overrides.worker_argv(recipe_file))
    if outcome.interrupted:
        _print_resume(prepared, outcome, overrides.resume_argv(recipe_file, *launch.argv()))
        from nas.study import INTERRUPTED_EXIT

        sys.exit(INTERRUPTED_EXIT)
    _print_finished(prepared.recipe, outcome, named_store=storage is not None)


def _plan(launch: LaunchFlags, recipe: StudyRecipe) -> WorkerPlan:
    """The worker processes to start, checked against the store (SQLite serves few)."""
    from nas.study import check_storage_for, default_storage, plan_workers

    gpu_count = 0
    if launch.devices is not None or launch.trials_per_gpu is not None:
        import torch

        gpu_count = torch.cuda.device_count()
    plan = plan_workers(
        launch.workers,
        launch.devices.split(",") if launch.devices is not None else None,
        launch.trials_per_gpu,
        cpu_count=os.cpu_count() or 1,
        gpu_count=gpu_count,
    )
    check_storage_for(plan, recipe.storage or default_storage())
    return plan


def _print_header(prepared: PreparedSearch, plan: WorkerPlan | None) -> None:
    from nas.study import mask_password

    r = prepared.recipe
    objectives = ", ".join(f"{o.metric} ({o.direction})" for o in r.objectives)
    console.print(
        f"[bold]study[/] {r.study} in {mask_password(prepared.storage_url)} "
        f"({len(prepared.study.trials)} trials so far)",
        highlight=False,
    )
    space = (
        f"auto (derived from the data; see it with: {_space_command(r)})"
        if r.auto_space
        else r.space
    )
    console.print(f"[bold]data[/] {prepared.dataset.describe()}", highlight=False)
    for note in prepared.dataset.notes:
        console.print(f"  [dim]{note}[/]", highlight=False)
    console.print(f"[bold]space[/] {space}", highlight=False)
    console.print(f"[bold]validation[/] {prepared.validation.describe()}", highlight=False)
    if prepared.warning:
        console.print(f"[yellow]warning:[/] {prepared.warning}", highlight=False)
    console.print(
        f"[bold]sampler[/] {r.sampler.name}   [bold]pruner[/] {r.pruner.name}   "
        f"[bold]objectives[/] {objectives}",
        highlight=False,
    )
    if r.constraints.limits():
        console.print(f"[bold]constraints[/] {r.constraints.limits()}", highlight=False)
    if plan is not None:
        gpus = sorted({d for d in plan.devices if d is not None})
        console.print(
            f"[bold]workers[/] {plan.n_workers}"
            + (f" on GPU {','.join(gpus)}" if gpus else f", {plan.threads} CPU threads each"),
            highlight=False,
        )


def _space_command(recipe: StudyRecipe) -> str:
    args = ["nas", "space", "--data", recipe.data]
    args += ["--target", recipe.target] if recipe.target else []
    return shlex.join(args)


def _run(prepared: PreparedSearch, plan: WorkerPlan | None, worker_argv: list[str]) -> Any:
    """Run the trials in this process or in workers, one line per finished trial."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nas.study import launch_workers, run_search

    progress = Progress(
        TextColumn("[bold]searching"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task("trials", total=prepared.recipe.n_trials)

    def on_trial(study: Any, trial: Any) -> None:
        progress.console.print(trial_line(study, trial), highlight=False)
        progress.advance(task)

    def on_interrupt() -> None:
        progress.console.print(
            "[yellow]Stopping after the current batch (Ctrl-C again to abort now)...[/]"
        )

    hooks = {"on_trial": on_trial, "on_interrupt": on_interrupt}
    with progress:
        if plan is None:
            return run_search(prepared.recipe, prepared=prepared, **hooks)
        return launch_workers(prepared, plan, worker_argv, **hooks)


def _print_resume(prepared: PreparedSearch, outcome: SearchOutcome, resume: list[str]) -> None:
    study = prepared.study
    last = study.get_trials(deepcopy=False)[-1] if study.trials else None
    if last is not None and last.state.name == "FAIL":
        console.print(trial_line(study, last), highlight=False)
    console.print(
        f"[yellow]Interrupted.[/] {outcome.n_complete} complete trials are stored in "
        f"{outcome.storage}. Resume with: [bold]{shlex.join(resume)}[/]",
        highlight=False,
    )


def _print_finished(recipe: StudyRecipe, outcome: SearchOutcome, *, named_store: bool) -> None:
    # name the store in the hint unless `nas best` finds it by itself (default or env)
    from_recipe = recipe.storage is not None and recipe.storage != storage_url(None)
    store = f" --storage {shlex.quote(outcome.storage)}" if named_store or from_recipe else ""
    console.print(
        f"Finished {outcome.new_trials} trials ({outcome.n_complete} complete in the study). "
        f"See the best with: [bold]nas best --study {shlex.quote(recipe.study)}{store}[/]",
        highlight=False,
    )
