"""``nas search``: create or resume a study from a recipe and run its trials."""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from nas._errors import RecipeError
from nas.cli._app import app, console
from nas.cli._format import duration, number

INTERRUPTED_EXIT = 130  # the shell convention for "stopped by Ctrl-C"


def _apply_overrides(recipe: Any, **overrides: Any) -> Any:
    from nas.samplers import list_samplers
    from nas.study._recipe import Component

    changes = {k: v for k, v in overrides.items() if v is not None}
    sampler = changes.pop("sampler", None)
    if sampler is not None:
        if sampler not in list_samplers():
            raise RecipeError(
                f"--sampler: unknown sampler {sampler!r}; available: {', '.join(list_samplers())}"
            )
        keep = recipe.sampler.options if sampler == recipe.sampler.name else {}
        changes["sampler"] = Component(sampler, keep)
    return replace(recipe, **changes)


def _trial_line(study: Any, trial: Any) -> str:
    from nas.study import trial_record

    record = trial_record(study, trial)
    state = trial.state.name
    colour = {"COMPLETE": "green", "PRUNED": "yellow", "FAIL": "red"}.get(state, "white")
    parts = [f"#{trial.number:<4d}", f"[{colour}]{state:<8s}[/]"]
    if trial.values:
        parts.append("  ".join(f"{k} {number(v)}" for k, v in record["values"].items()))
        if len(study.directions) == 1:
            parts.append(f"best {number(study.best_value)}" if _has_best(study) else "")
    else:
        parts.append(str(trial.user_attrs.get("fail_reason", "")))
    parts.append(duration(record["seconds"] or 0.0))
    if record["summary"]:
        parts.append(f"[dim]{record['summary']}[/]")
    return "  ".join(p for p in parts if p)


def load_with_flags(recipe_file: Path, *, storage: str | None, **flags: Any) -> Any:
    """The recipe with the command line's overrides (storage: flag, then $NAS_STORAGE)."""
    from nas.study import load_recipe

    quiet_libraries()
    study = flags.pop("study_name")
    recipe = load_recipe(recipe_file)
    return _apply_overrides(recipe, storage=storage_url(storage), study=study, **flags)


def quiet_libraries() -> None:
    """We report each trial ourselves; Optuna's own log lines and the notices about the
    experimental features we deliberately use (metric names, heartbeats) are noise here."""
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def storage_url(flag: str | None) -> str | None:
    """``--storage``, else ``$NAS_STORAGE``; None leaves the recipe's (or the default) store."""
    from nas.study._storage import STORAGE_ENV

    return flag or os.environ.get(STORAGE_ENV) or None


def _plan(workers: int | None, devices: str | None, trials_per_gpu: int | None) -> Any:
    from nas.study._workers import plan_workers

    gpu_count = 0
    if devices is not None or trials_per_gpu is not None:
        import torch

        gpu_count = torch.cuda.device_count()
    return plan_workers(
        workers,
        devices.split(",") if devices is not None else None,
        trials_per_gpu,
        cpu_count=os.cpu_count() or 1,
        gpu_count=gpu_count,
    )


def _from_recipe(recipe: Any) -> bool:
    """Whether the store is named in the recipe (not the default, not $NAS_STORAGE)."""
    from nas.study._storage import STORAGE_ENV

    return recipe.storage is not None and recipe.storage != os.environ.get(STORAGE_ENV)


def _has_best(study: Any) -> bool:
    try:
        study.best_value  # noqa: B018
        return True
    except ValueError:
        return False


@app.command()
def search(
    recipe_file: Path = typer.Argument(
        ..., metavar="STUDY.yaml", help="Study recipe (see studies/)."
    ),
    n_trials: int | None = typer.Option(
        None, "--n-trials", min=1, help="Trials to add in this run."
    ),
    timeout: float | None = typer.Option(None, "--timeout", min=0.0, help="Seconds for this run."),
    storage: str | None = typer.Option(
        None, "--storage", help="SQLAlchemy URL of the study store."
    ),
    study_name: str | None = typer.Option(None, "--study-name", help="Study name in the store."),
    sampler: str | None = typer.Option(
        None, "--sampler", help="Sampler: tpe, random, gp, cmaes, nsga2, qmc, controller."
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
    """Create or resume a search study and run its trials; Ctrl-C stops cleanly."""
    from nas.study import mask_password

    recipe = load_with_flags(
        recipe_file, n_trials=n_trials, timeout=timeout, storage=storage, study_name=study_name,
        sampler=sampler, seed=seed,
    )  # fmt: skip
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    plan = None
    if workers is not None or devices is not None or trials_per_gpu is not None:
        from nas.study import default_storage
        from nas.study._workers import check_storage_for

        plan = _plan(workers, devices, trials_per_gpu)
        check_storage_for(plan, recipe.storage or default_storage())
    from nas.study import prepare_search, run_search

    with console.status("loading data and opening the study store..."):
        prepared = prepare_search(recipe)
    r = prepared.recipe
    objectives = ", ".join(f"{o.metric} ({o.direction})" for o in r.objectives)
    console.print(
        f"[bold]study[/] {r.study} in {mask_password(prepared.storage_url)} "
        f"({len(prepared.study.trials)} trials so far)",
        highlight=False,
    )
    console.print(
        f"[bold]space[/] {r.space}   [bold]data[/] {prepared.dataset.describe()}", highlight=False
    )
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

    progress = Progress(
        TextColumn("[bold]searching"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task("trials", total=r.n_trials)

    def on_trial(study: Any, trial: Any) -> None:
        progress.console.print(_trial_line(study, trial), highlight=False)
        progress.advance(task)

    def on_interrupt() -> None:
        progress.console.print(
            "[yellow]Stopping after the current batch (Ctrl-C again to abort now)...[/]"
        )

    with progress:
        if plan is None:
            outcome = run_search(r, prepared=prepared, on_trial=on_trial, on_interrupt=on_interrupt)
        else:
            from nas.study._workers import launch_workers

            worker_args = [str(recipe_file)]
            for flag, value in (("--sampler", sampler), ("--seed", seed), ("--timeout", timeout)):
                if value is not None:
                    worker_args += [flag, str(value)]
            outcome = launch_workers(
                prepared, plan, worker_args, on_trial=on_trial, on_interrupt=on_interrupt
            )

    study = prepared.study
    if outcome.interrupted:
        last = study.get_trials(deepcopy=False)[-1] if study.trials else None
        if last is not None and last.state.name == "FAIL":
            console.print(_trial_line(study, last), highlight=False)
        args = ["nas", "search", str(recipe_file)]
        for flag, value in (
            ("--storage", storage),
            ("--study-name", study_name),
            ("--sampler", sampler),
            ("--workers", workers),
            ("--devices", devices),
            ("--trials-per-gpu", trials_per_gpu),
        ):
            if value is not None:
                args += [flag, mask_password(str(value))]
        console.print(
            f"[yellow]Interrupted.[/] {outcome.n_complete} complete trials are stored in "
            f"{outcome.storage}. Resume with: [bold]{shlex.join(args)}[/]",
            highlight=False,
        )
        sys.exit(INTERRUPTED_EXIT)
    console.print(
        f"Finished {outcome.new_trials} trials ({outcome.n_complete} complete in the study). "
        f"See the best with: [bold]nas best --study {shlex.quote(r.study)}"
        + (f" --storage {shlex.quote(outcome.storage)}" if storage or _from_recipe(r) else "")
        + "[/]",
        highlight=False,
    )
