"""``nas worker``: join a study and run trials on it, alongside any number of other workers."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from nas.cli._app import app, console
from nas.cli._common import trial_line
from nas.cli._overrides import RecipeOverrides, load_recipe_with


@app.command()
def worker(
    recipe_file: Path | None = typer.Argument(
        None,
        metavar="[STUDY.yaml]",
        help="The study's recipe (the same file for every worker); optional with --data.",
    ),
    data: str | None = typer.Option(None, "--data", help="The data (a search without recipe)."),
    target: str | None = typer.Option(None, "--target", help="Tables: the column to predict."),
    task: str | None = typer.Option(
        None, "--task", help="classification or regression (default: from the targets)."
    ),
    storage: str | None = typer.Option(
        None,
        "--storage",
        help="SQLAlchemy URL of the shared store (default: $NAS_STORAGE, then the recipe's).",
    ),
    n_trials: int | None = typer.Option(
        None,
        "--n-trials",
        min=1,
        help="Trials this worker runs (default: until the study has the recipe's n_trials).",
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", min=0.0, help="Seconds this worker runs."
    ),
    study_name: str | None = typer.Option(None, "--study-name", help="Study name in the store."),
    sampler: str | None = typer.Option(None, "--sampler", help="Override the recipe's sampler."),
    seed: int | None = typer.Option(None, "--seed", help="The study's seed."),
    threads: int | None = typer.Option(
        None, "--threads", min=1, help="CPU threads per trial (default 1; see the README)."
    ),
    worker_index: int | None = typer.Option(
        None, "--worker-index", min=0, help="Distinct per worker (default: from host and pid)."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="Print errors only."),
    until: int | None = typer.Option(
        None, "--until", min=1, hidden=True, help="Run until the study holds this many trials."
    ),
) -> None:
    """Join a study (creating it if needed) and run trials until its budget is spent.

    Start one per GPU or machine, under Slurm, Kubernetes or by hand; they share the study
    through its storage (PostgreSQL or MySQL across machines) and pick up trials that a
    crashed worker left behind.
    """
    from nas.base import exit_with_parent
    from nas.study import (
        INTERRUPTED_EXIT,
        mask_password,
        prepare_search,
        run_search,
        unnamed_worker,
        worker_label,
    )

    exit_with_parent()  # started by `nas search --workers`: stop when it does
    overrides = RecipeOverrides(
        n_trials,
        timeout,
        storage,
        study_name,
        sampler,
        seed,
        data=data,
        target=target,
        task=task,
        threads=threads,
    )
    recipe = load_recipe_with(recipe_file, overrides)
    index = worker_index if worker_index is not None else unnamed_worker()
    prepared = prepare_search(recipe, worker=index)
    r = prepared.recipe
    if not quiet:
        console.print(
            f"[bold]worker[/] {worker_label()} joined study {r.study} in "
            f"{mask_password(prepared.storage_url)} "
            f"({_budget(n_trials, until or r.n_trials)})",
            highlight=False,
        )

    def on_trial(study: object, trial: object) -> None:
        if not quiet:
            console.print(trial_line(study, trial), highlight=False)  # type: ignore[arg-type]

    # --n-trials: this worker's own count; else the recipe's n_trials is the study's total
    total = until if until is not None else None if n_trials is not None else r.n_trials
    outcome = run_search(r, prepared=prepared, on_trial=on_trial, study_total=total)
    if outcome.interrupted:
        sys.exit(INTERRUPTED_EXIT)
    if not quiet:
        console.print(
            f"Worker ran {outcome.new_trials} trials ({outcome.n_complete} complete in the study).",
            highlight=False,
        )


def _budget(own: int | None, study_total: int | None) -> str:
    if own is not None:
        return f"{own} trials"
    if study_total is not None:
        return f"until the study has {study_total} trials"
    return "until the timeout"
