"""``nas status`` and ``nas best``: read a study store."""

from __future__ import annotations

import json

import typer

from nas.base import NASError
from nas.cli._app import app, console
from nas.cli._common import storage_option
from nas.cli._format import duration, number


@app.command()
def status(storage: str | None = storage_option()) -> None:
    """List the studies in a store: trials by state (WAITING: queued retries), best value,
    time spent (a crashed trial's ends at its last heartbeat)."""
    from rich.table import Table

    from nas.study import check_store, default_storage, mask_password, study_statuses

    full = storage or default_storage()
    check_store(full)
    url = mask_password(full)
    rows = study_statuses(full)
    if not rows:
        console.print(
            f"No studies in {url} yet. Start one with: nas search studies/quickstart.yaml"
        )
        return
    table = Table(title=f"studies in {url}", title_justify="left")
    for column in (
        "study",
        "objectives",
        "complete",
        "pruned",
        "failed",
        "running",
        "waiting",
        "best",
        "time",
    ):
        table.add_column(column, justify="left" if column in ("study", "objectives") else "right")
    for row in rows:
        arrows = {"maximize": "↑", "minimize": "↓"}
        objectives = ", ".join(
            f"{m} {arrows[d]}" for m, d in zip(row.metric_names, row.directions, strict=False)
        )
        best = (
            number(row.best[0])
            if row.best
            else (f"{row.n_pareto} on front" if row.n_pareto else "-")
        )
        table.add_row(
            row.name,
            objectives,
            str(row.states.get("COMPLETE", 0)),
            str(row.states.get("PRUNED", 0)),
            str(row.states.get("FAIL", 0)),
            str(row.states.get("RUNNING", 0)),
            str(row.states.get("WAITING", 0)),
            best,
            duration(row.seconds),
        )
    console.print(table)


@app.command()
def best(
    study: str | None = typer.Option(
        None, "--study", help="Study name (optional if the store has one)."
    ),
    storage: str | None = storage_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the trials as JSON."),
) -> None:
    """Show the best trial, or the Pareto front of a multi-objective study."""
    from rich.table import Table

    from nas.study import (
        StudyRecord,
        best_in_store,
        check_store,
        default_storage,
        mask_password,
        retrain_command,
        trial_json,
    )

    full = storage or default_storage()
    check_store(full)  # one line when missing; nothing is created or written
    url = mask_password(full)
    found = best_in_store(full, study, url)
    selected, trials = found.study, found.trials
    records = [trial_json(selected, t) for t in trials]  # type: ignore[arg-type]
    if as_json:
        print(json.dumps({"study": selected.study_name, "trials": records}, indent=2))
        return
    if not records:
        console.print(f"Study {selected.study_name!r} has no feasible complete trial yet.")
        return
    multi = len(selected.directions) > 1
    title = f"{'Pareto front' if multi else 'best trial'} of {selected.study_name} ({url})"
    table = Table(title=title, title_justify="left")
    value_names = list(records[0]["values"])
    for column in ("trial", *value_names, "params", "FLOPs", "latency ms", "architecture"):
        table.add_column(column, justify="left" if column == "architecture" else "right")
    for r in records:
        table.add_row(
            f"#{r['number']}",
            *(number(r["values"][k]) for k in value_names),
            number(r["n_params"]),
            number(r["flops"]),
            number(r["latency_ms"]),
            r["summary"] or "-",
        )
    console.print(table)
    first, first_trial = records[0], trials[0]
    metrics = "  ".join(f"{k} {number(v)}" for k, v in first["metrics"].items())
    if metrics:
        console.print(f"trial #{first['number']}: {metrics}", highlight=False)
    study_record = StudyRecord.read(selected)  # type: ignore[arg-type]
    if study_record.validation:
        console.print(f"validation: {study_record.validation}", highlight=False)
    if found.choice:
        console.print(found.choice, highlight=False)
    if study_record.validation_warning:
        console.print(f"[yellow]warning:[/] {study_record.validation_warning}", highlight=False)
    try:
        command = retrain_command(selected, first_trial)  # type: ignore[arg-type]
    except NASError as exc:  # e.g. a plugin the recipe names is not installed here
        command = f"unavailable ({exc})"
    if command is not None:
        console.print(f"Retrain it: {command}", highlight=False, markup=False)
