"""Epoch checkpoints of a trial in the study's artifact store, so that the retry of a
crashed trial resumes from its last checkpoint instead of starting over.

While a trial trains (holdout validation; a cross-validated trial restarts), a checkpoint
is written after an epoch at most every ``recovery.checkpoint_every_s`` seconds, uploaded
through Optuna's artifact store (``optuna.artifacts.upload_artifact``) and named on the
trial's record (``TrialRecord.checkpoint``); the previous one is removed. The retry of a
crashed trial looks for the latest checkpoint along its retry chain and continues from it
(``TrainOptions.resume_from``): the same weights, optimizer, schedule, batch order and RNG,
so it ends as the uninterrupted trial would have. A completed trial's checkpoint is removed.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import optuna

from nas.study._record import TrialRecord
from nas.study._recovery import RETRY_HISTORY

if TYPE_CHECKING:
    from optuna.artifacts._protocol import ArtifactStore

_log = logging.getLogger("nas.study")


class TrialCheckpoints:
    """Saves one trial's checkpoints and finds the one its retry resumes from."""

    def __init__(self, trial: optuna.Trial, store: ArtifactStore, every_s: float) -> None:
        self.trial, self.store, self.every_s = trial, store, every_s
        self._folder = tempfile.TemporaryDirectory(prefix="nas-ckpt-")
        self.path = str(Path(self._folder.name) / "trial.ckpt")
        self._current: str | None = None

    def callback(self) -> object:
        """The Lightning callback that writes the checkpoints."""
        from nas.training import EpochCheckpoint

        return EpochCheckpoint(self.path, self.every_s, self._saved)

    def _saved(self, path: str, epoch: int) -> None:
        artifact = optuna.artifacts.upload_artifact(
            artifact_store=self.store, file_path=path, study_or_trial=self.trial
        )
        TrialRecord.write(self.trial, checkpoint={"artifact": artifact, "epoch": epoch})
        self._drop(self._current)
        self._current = artifact

    def resume_point(self) -> str | None:
        """The latest checkpoint along this trial's retry chain, downloaded; None if none."""
        from nas.base.optuna_compat import storage_of, stored_trial, study_id

        trial = self.trial
        history = stored_trial(trial).system_attrs.get(RETRY_HISTORY) or []
        storage = storage_of(trial.study)
        best: tuple[int, int, str] | None = None  # (epoch, trial number, artifact)
        for number in history:
            ident = storage.get_trial_id_from_study_id_trial_number(study_id(trial.study), number)
            saved = TrialRecord.read(storage.get_trial(ident)).checkpoint
            if saved and (best is None or saved["epoch"] > best[0]):
                best = (saved["epoch"], number, saved["artifact"])
        if best is None:
            return None
        epoch, number, artifact = best
        try:
            optuna.artifacts.download_artifact(
                artifact_store=self.store, artifact_id=artifact, file_path=self.path
            )
        except Exception as exc:  # removed or unreadable: start over, as without one
            _log.warning("trial #%d: cannot read trial #%d's checkpoint (%s); starting over",
                         trial.number, number, exc)  # fmt: skip
            return None
        TrialRecord.write(trial, resumed={"trial": number, "epoch": epoch})
        return self.path

    def close(self, *, keep: bool) -> None:
        """Remove the local file, and the stored checkpoint unless ``keep`` (a crash)."""
        if not keep:
            self._drop(self._current)
        self._folder.cleanup()

    def _drop(self, artifact: str | None) -> None:
        if artifact is None:
            return
        try:
            self.store.remove(artifact)
        except Exception:  # a file already gone is no loss
            _log.debug("cannot remove checkpoint %s", artifact, exc_info=True)
