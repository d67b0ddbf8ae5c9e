"""``nas search``: create or resume a study from a recipe and run its trials."""

from __future__ import annotations

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
) -> None:
    """Create or resume a search study and run its trials; Ctrl-C stops cleanly."""
    import warnings

    import optuna
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    # We report each trial ourselves; Optuna's own log lines and the notices about the
    # experimental features we deliberately use (metric names, grouped TPE) are noise here.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

    from nas.study import load_recipe, mask_password

    recipe = _apply_overrides(
        load_recipe(recipe_file),
        n_trials=n_trials,
        timeout=timeout,
        storage=storage,
        study=study_name,
        sampler=sampler,
        seed=seed,
    )
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
        outcome = run_search(r, prepared=prepared, on_trial=on_trial, on_interrupt=on_interrupt)

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
        ):
            if value is not None:
                args += [flag, mask_password(value)]
        console.print(
            f"[yellow]Interrupted.[/] {outcome.n_complete} complete trials are stored in "
            f"{outcome.storage}. Resume with: [bold]{shlex.join(args)}[/]",
            highlight=False,
        )
        sys.exit(INTERRUPTED_EXIT)
    console.print(
        f"Finished {outcome.new_trials} trials ({outcome.n_complete} complete in the study). "
        f"See the best with: [bold]nas best --study {shlex.quote(r.study)}"
        + (f" --storage {shlex.quote(outcome.storage)}" if r.storage or storage else "")
        + "[/]",
        highlight=False,
    )
