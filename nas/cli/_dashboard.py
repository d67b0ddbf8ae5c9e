"""``nas dashboard``: optuna-dashboard on a study store, with its artifact store attached."""

from __future__ import annotations

from pathlib import Path

import typer

from nas.base import NASError
from nas.cli._app import app, console, err_console
from nas.cli._common import open_store, storage_option

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def artifact_dir_for(storage: object, url: str) -> Path:
    """The artifact folder the store's studies recorded, else the default for ``url``."""
    import optuna

    from nas.study import StudyRecord, default_artifact_dir

    for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):  # type: ignore[arg-type]
        directory = StudyRecord.read(summary).artifact_dir
        if directory:
            return Path(directory)
    return default_artifact_dir(url)


@app.command()
def dashboard(
    storage: str | None = storage_option(),
    port: int = typer.Option(8080, "--port", min=1, max=65535, help="Port to serve on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; non-local needs care."),
    artifact_dir: Path | None = typer.Option(None, "--artifact-dir", help="Artifact folder."),
) -> None:
    """Serve optuna-dashboard on the study store (trial notes, diagrams, weights)."""
    import optuna_dashboard
    from optuna.artifacts import FileSystemArtifactStore

    from nas.study import default_storage

    store, masked = open_store(storage)
    url = storage or default_storage()
    directory = artifact_dir or artifact_dir_for(store, url)
    # read-only: a store whose trials wrote no files has no artifact folder, and gets none
    artifacts = FileSystemArtifactStore(directory) if directory.is_dir() else None
    if host not in LOCAL_HOSTS:
        err_console.print(
            f"[bold yellow]warning:[/] optuna-dashboard has no authentication: anyone who can "
            f"reach {host}:{port} can read and change every study in {masked}.",
            highlight=False,
        )
    console.print(
        f"Serving {masked} (artifacts: {directory if artifacts else 'none'}) at "
        f"http://{host}:{port}/ - Ctrl-C to stop",
        highlight=False,
    )
    try:
        optuna_dashboard.run_server(store, host=host, port=port, artifact_store=artifacts)
    except OSError as exc:
        raise NASError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    except KeyboardInterrupt:
        console.print("Stopped.")
