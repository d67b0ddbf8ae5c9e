"""``nas space --data FILE``: print the search space nas derives from your data."""

from __future__ import annotations

import typer

from nas.cli._app import app


@app.command()
def space(
    data: str = typer.Option(
        ..., "--data", help="Your data: .ts/.tsv, .csv/.parquet, .npz or an image folder."
    ),
    target: str | None = typer.Option(None, "--target", help="Tables: the column to predict."),
    task: str | None = typer.Option(
        None, "--task", help="classification or regression (default: from the targets)."
    ),
) -> None:
    """Print the search space derived from the data (what `nas search --data` searches),
    as YAML to save, edit and pass as a recipe's space."""
    from nas.cli._common import quiet_libraries
    from nas.data import load_dataset
    from nas.study import auto_recipe, plan_validation, search_space

    quiet_libraries()
    recipe = auto_recipe(data, target, task)
    dataset = load_dataset(recipe.data, options=recipe.read_options())
    validation = plan_validation(recipe.validation, dataset)
    print(search_space(recipe, dataset, validation).text, end="")
