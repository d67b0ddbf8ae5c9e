"""Per-trial files in the study's artifact store: dashboard note, diagram, trained weights.

Optuna's artifact API keeps the files (here a folder, ``FileSystemArtifactStore``) and
records them on the trial, so optuna-dashboard lists them on the trial's page; the note
goes through optuna-dashboard's note API.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from nas.study._record import TrialRecord
from nas.study._storage import sqlite_file

if TYPE_CHECKING:
    import optuna

    from nas.arch import Architecture
    from nas.builder import NASNet
    from nas.study._recipe import StudyRecipe
    from nas.training import TrainResult

_log = logging.getLogger("nas.study")


def best_trial_note(study: optuna.Study) -> str:
    """The dashboard's study note: the best trial as ``nas best`` ranks it."""
    from nas.dashboard import study_note
    from nas.study._best import choose
    from nas.study._record import StudyRecord

    record = StudyRecord.read(study)
    best, choice = choose(study) if len(study.directions) == 1 else (None, None)
    summary = None
    if best is not None:
        trial_record = TrialRecord.read(best)
        sd = trial_record.metrics_sd
        summary = (best.number, ", ".join(
            f"{k} {v:.4g}" + (f" ± {sd[k]:.2g}" if k in sd else "")
            for k, v in trial_record.metrics.items()
        ) + (f" — {trial_record.summary}" if trial_record.summary else ""))  # fmt: skip
    return study_note(
        summary, choice, record.validation, record.validation_warning, one_shot_text(study)
    )


def one_shot_text(study: optuna.Study) -> str | None:
    """What the study's one-shot phase did and how well it ranked (None: it had none)."""
    from nas.study._one_shot import one_shot_ranking
    from nas.study._record import StudyRecord

    record = StudyRecord.read(study).one_shot
    if not record:
        return None
    text = (
        f"{record['steps']} supernet steps over {record['children']} architectures in "
        f"{record['seconds']:.0f} s; {len(record['handed_off'])} handed on as trials"
    )
    ranking = one_shot_ranking(study)
    if ranking is not None:
        text += (
            f"; Kendall tau {ranking[0]:+.2f} between the supernet's and the stand-alone "
            f"validation scores of {ranking[1]} of them"
        )
    return text


def artifact_dir_of(recipe: StudyRecipe, storage_url: str) -> Path:
    """The recipe's ``artifacts.dir``, else the default folder for its store."""
    return Path(recipe.artifacts.dir) if recipe.artifacts.dir else default_artifact_dir(storage_url)


def make_artifact_dir(recipe: StudyRecipe, storage_url: str) -> Path:
    """Create the recipe's artifact folder now, before the study is written to, so that an
    unusable path is one error at start-up rather than a failure after the first trial."""
    from nas.base import RecipeError

    directory = artifact_dir_of(recipe, storage_url)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK):
            raise PermissionError(13, "not writable")
    except OSError as exc:
        raise RecipeError(
            f"{recipe.source}: artifacts.dir: cannot use {directory} for the trials' weights "
            f"and diagrams ({exc.strerror or exc}); set artifacts.dir to a writable folder, or "
            "artifacts: {enabled: false}"
        ) from None
    return directory


def default_artifact_dir(storage_url: str) -> Path:
    """``x-artifacts/`` beside a ``sqlite:///.../x.db`` store, else ``studies/artifacts``."""
    path = sqlite_file(storage_url)
    if path is not None:
        db = Path(path)
        return db.with_name(f"{db.stem}-artifacts").resolve()
    return Path("studies/artifacts").resolve()


class TrialArtifacts:
    """Writes the note, diagram and weights of a completed trial."""

    def __init__(self, directory: Path, weights: bool) -> None:
        from optuna.artifacts import FileSystemArtifactStore

        directory.mkdir(parents=True, exist_ok=True)
        self.store = FileSystemArtifactStore(directory)
        self.weights = weights

    def record(
        self, trial: optuna.Trial, arch: Architecture, model: NASNet, result: TrainResult
    ) -> None:
        """Write everything; a failure is logged and noted on the trial, never raised."""
        try:
            self._record(trial, arch, model, result)
        except Exception as exc:  # disk full, permissions: the trial's result still counts
            _log.warning("trial %d: could not write artifacts: %s", trial.number, exc)
            TrialRecord.write(trial, artifact_error=f"{type(exc).__name__}: {exc}")

    def record_study(self, study: optuna.Study) -> None:
        """Update the study's note with its best trial (logged, never raised)."""
        try:
            from optuna_dashboard import save_note

            save_note(study, best_trial_note(study))
        except Exception as exc:  # the note is a convenience; the study goes on
            _log.warning("could not write the study note: %s", exc)

    def _record(
        self, trial: optuna.Trial, arch: Architecture, model: NASNet, result: TrainResult
    ) -> None:
        from optuna.artifacts import upload_artifact
        from optuna_dashboard import save_note

        from nas.base.optuna_compat import study_id, trial_id
        from nas.dashboard import draw_architecture, trial_note

        ids = {}
        with tempfile.TemporaryDirectory() as tmp:
            diagram = draw_architecture(
                model.report,
                f"trial {trial.number}: {arch.summary()}",
                Path(tmp) / f"trial-{trial.number}-architecture.png",
            )
            ids["diagram"] = upload_artifact(
                artifact_store=self.store,
                file_path=str(diagram),
                study_or_trial=trial,
                mimetype="image/png",
            )
            if self.weights:
                from safetensors.torch import save_file

                path = Path(tmp) / f"trial-{trial.number}-weights.safetensors"
                state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
                save_file(state, str(path), metadata={"architecture": arch.to_json(indent=None)})
                ids["weights"] = upload_artifact(
                    artifact_store=self.store,
                    file_path=str(path),
                    study_or_trial=trial,
                    mimetype="application/octet-stream",
                )
        TrialRecord.write(trial, artifacts=ids)
        # the diagram at full width in the note (the artifact list shows only a thumbnail)
        url = f"/artifacts/{study_id(trial.study)}/{trial_id(trial)}/{ids['diagram']}"
        save_note(trial, trial_note(trial.number, arch, model.report, result, diagram_url=url))
