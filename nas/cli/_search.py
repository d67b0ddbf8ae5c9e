"""``nas search``: create or resume a study from a recipe and run its trials."""

from __future__ import annotations

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
    task: str | None = typer.Option(
        None, "--task", help="classification or regression (default: from the targets)."
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
        None, "--sampler", help=f"Sampler: {', '.join(list_samplers())}."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the sampler and trials."),
    threads: int | None = typer.Option(
        None, "--threads", min=1, help="CPU threads per trial (default 1; see the README)."
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        help="Trials at once (default: one per CPU on a CPU-only machine; 1: in this process).",
    ),
    devices: str | None = typer.Option(
        None, "--devices", help="GPUs to use, e.g. 0,1: one per worker, round robin."
    ),
    trials_per_gpu: int | None = typer.Option(
        None, "--trials-per-gpu", min=1, help="Concurrent trials per GPU (small models)."
    ),
    search_mode: str | None = typer.Option(
        None,
        "--search-mode",
        help="trials, or one_shot: a weight-sharing supernet and the controller first (ENAS), "
        "then its best architectures as trials.",
    ),
) -> None:
    """Create or resume a search study and run its trials; Ctrl-C stops cleanly.

    nas search --data your.csv --target label  searches your data with no recipe.
    """
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
        search_mode=search_mode,
    )
    launch = LaunchFlags(workers, devices, trials_per_gpu)
    recipe = load_recipe_with(recipe_file, overrides)
    from nas.study import plan_search

    plan = plan_search(recipe, launch.workers, launch.devices, launch.trials_per_gpu)
    from nas.study import prepare_search

    with console.status("loading data and opening the study store..."):
        prepared = prepare_search(recipe)
    _print_header(prepared, plan)
    outcome = _run(prepared, plan, overrides.worker_argv(recipe_file))
    if outcome.interrupted:
        _print_resume(prepared, outcome, overrides.resume_argv(recipe_file, *launch.argv()))
        from nas.study import INTERRUPTED_EXIT

        sys.exit(INTERRUPTED_EXIT)
    resume = overrides.resume_argv(recipe_file, *launch.argv())
    _print_ranking(prepared)
    _print_finished(prepared.recipe, outcome, resume, named_store=storage is not None)


def _print_ranking(prepared: PreparedSearch) -> None:
    """How well the one-shot supernet ranked the architectures it handed on."""
    from nas.study import one_shot_ranking

    if prepared.recipe.search.mode != "one_shot":
        return
    ranking = one_shot_ranking(prepared.study)
    if ranking is not None:
        tau, n = ranking
        console.print(
            f"[bold]one-shot ranking[/] Kendall tau {tau:+.2f} between the supernet's score "
            f"and the stand-alone validation score of {n} architectures (1: same order)",
            highlight=False,
        )


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
    if r.search.mode == "one_shot":
        from nas.study import one_shot_budget_text

        s = r.search
        console.print(
            f"[bold]search[/] one-shot: supernet and controller ({s.learning}) for "
            f"{one_shot_budget_text(r)}, then the {s.top_k} best of {s.candidates} "
            "proposals as trials",
            highlight=False,
        )
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
        where = f" on GPU {','.join(gpus)}" if gpus else f", {plan.threads} CPU thread(s) each"
        why = " (one per CPU; --workers 1 runs the trials in this process)" if plan.auto else ""
        console.print(f"[bold]workers[/] {plan.n_workers}{where}{why}", highlight=False)


def _space_command(recipe: StudyRecipe) -> str:
    args = ["nas", "space", "--data", recipe.data]
    args += ["--target", recipe.target] if recipe.target else []
    args += ["--task", recipe.task] if recipe.task != "auto" else []
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
        TextColumn("{task.fields[running]}"),
        console=console,
        transient=True,
    )
    task = progress.add_task("trials", total=prepared.recipe.n_trials, running="")
    running: dict[int, str] = {}  # trial number -> its last epoch, as shown

    def on_trial(study: Any, trial: Any) -> None:
        running.pop(trial.number, None)
        progress.console.print(trial_line(study, trial), highlight=False)
        progress.update(task, advance=1, running="  ".join(running.values()))

    def on_epoch(number: int, done: int, total: int, metrics: Any) -> None:
        of = f"/{total}" if total else ""
        shown = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items() if k in objectives)
        running[number] = f"#{number} epoch {done}{of} {shown}".rstrip()
        progress.update(task, running="  ".join(running.values()))

    def on_interrupt() -> None:
        progress.console.print(
            "[yellow]Stopping after the current batch (Ctrl-C again to abort now)...[/]"
        )

    def on_message(line: str) -> None:
        progress.console.print(line, highlight=False)

    objectives = {o.metric for o in prepared.recipe.objectives}
    hooks = {"on_trial": on_trial, "on_interrupt": on_interrupt, "on_epoch": on_epoch,
             "on_message": on_message}  # fmt: skip
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


def _print_finished(
    recipe: StudyRecipe, outcome: SearchOutcome, resume: list[str], *, named_store: bool
) -> None:
    """The last line: what ended the run, how to continue it, where to see the best."""
    # name the store in the hint unless `nas best` finds it by itself (default or env)
    from_recipe = recipe.storage is not None and recipe.storage != storage_url(None)
    store = f" --storage {shlex.quote(outcome.storage)}" if named_store or from_recipe else ""
    best = f"nas best --study {shlex.quote(recipe.study)}{store}"
    again, complete = shlex.join(resume), f"{outcome.n_complete} complete in the study"
    if outcome.rerun:
        complete += f"; {outcome.rerun} crashed trials were run again"
    if outcome.stopped == "timeout":
        of = f" of {recipe.n_trials}" if recipe.n_trials is not None else ""
        limit = f" ({recipe.timeout:g} s)" if recipe.timeout is not None else ""
        console.print(
            f"[yellow]Stopped by the timeout{limit}[/] after {outcome.new_trials}{of} trials "
            f"({complete}). Continue the study with: [bold]{again}[/]  "
            f"See the best with: [bold]{best}[/]",
            highlight=False,
        )
        return
    console.print(
        f"Finished {outcome.new_trials} trials: n_trials reached ({complete}). "
        f"Add more with: [bold]{again}[/]  See the best with: [bold]{best}[/]",
        highlight=False,
    )
