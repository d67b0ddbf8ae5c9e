"""Export one trial of a study: find its weights (or retrain), then write the bundle."""

from __future__ import annotations

import shlex
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import optuna

from nas.arch import Architecture
from nas.base import ExportError
from nas.builder import NASNet, build_model
from nas.data import Dataset, load_dataset, make_dataset
from nas.export._bundle import BundleInfo, check_formats, write_bundle
from nas.export._formats import list_formats
from nas.export._select import select_trial
from nas.study import (
    StudyRecipe,
    StudyRecord,
    TrialRecord,
    mask_password,
    open_storage,
    retrain_command,
    select_study,
)


@dataclass(frozen=True)
class ExportRequest:
    """What ``nas export`` was asked for."""

    storage: str
    out: Path
    study: str | None = None
    trial: int | None = None  # None: best, or --pick
    pick: str | None = None
    retrain: bool = False
    formats: tuple[str, ...] = field(default_factory=lambda: tuple(list_formats()))


def export_trial(request: ExportRequest) -> tuple[BundleInfo, optuna.trial.FrozenTrial]:
    """Export the requested trial to ``request.out``."""
    check_request(request)
    url = mask_password(request.storage)
    study = select_study(open_storage(request.storage), request.study, url)
    trial = select_trial(study, number=request.trial, pick=request.pick)
    record = TrialRecord.read(trial)
    recipe = _recipe(study)  # imports the study's plugins before its architecture is read
    dataset = load_dataset(recipe.data, val_fraction=recipe.val_fraction)
    arch = record.arch(trial.number)
    if request.retrain:
        model = _retrained(arch, record, dataset)
    else:
        model = build_model(arch, dataset.input_shape, dataset.num_outputs)
        _load_stored_weights(study, trial, record, model)
    source = {
        "study": study.study_name,
        "trial": trial.number,
        "storage": url,
        "seed": record.seed,
        "retrained": request.retrain,
    }
    info = write_bundle(
        request.out,
        arch,
        model,
        dataset,
        formats=request.formats,
        source=source,
        metrics=record.metrics,
        commands=_commands(request, study, trial, url),
        plugins=recipe.plugins,
        plugin_path=recipe.plugin_path,
    )
    return info, trial


def check_request(request: ExportRequest) -> None:
    """Reject a bad request before any data is loaded or any model trained."""
    check_formats(request.formats)
    out = request.out
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "bundle.json").exists():
        raise ExportError(
            f"--out {out}: folder is not empty and holds no nas bundle; "
            "choose a new or empty folder"
        )


def _recipe(study: optuna.Study) -> StudyRecipe:
    recipe = StudyRecord.read(study).parsed_recipe(study.study_name)
    if recipe is None:
        raise ExportError(
            f"study {study.study_name!r} records no recipe (it was not created by nas search), "
            "so its data is unknown"
        )
    return recipe


def _retrained(arch: Architecture, record: TrialRecord, dataset: Dataset) -> NASNet:
    """The architecture trained again on train + validation, for the epochs the search's
    best epoch took, with the trial's seed."""
    from nas.training import TrainOptions, train_architecture

    epochs = (record.best_epoch if record.best_epoch is not None else arch.train.epochs - 1) + 1
    retrain_arch = replace(arch, train=replace(arch.train, patience=0))
    options = TrainOptions(seed=record.seed or 0, epochs=epochs, restore_best=False)
    _, model = train_architecture(retrain_arch, _train_plus_val(dataset), options)
    return model


def _load_stored_weights(
    study: optuna.Study, trial: optuna.trial.FrozenTrial, record: TrialRecord, model: NASNet
) -> None:
    from optuna.artifacts import FileSystemArtifactStore, download_artifact
    from safetensors.torch import load_file

    artifact = record.artifacts.get("weights")
    directory = StudyRecord.read(study).artifact_dir
    if not artifact or not directory:
        raise ExportError(
            f"trial {trial.number} has no stored weights (artifacts or weights were off in its "
            "recipe); add --retrain to train it again"
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "weights.safetensors"
        try:
            download_artifact(
                artifact_store=FileSystemArtifactStore(directory),
                file_path=str(path),
                artifact_id=artifact,
            )
        except Exception as exc:
            raise ExportError(
                f"cannot read trial {trial.number}'s weights from {directory}: {exc}; "
                "add --retrain to train it again"
            ) from None
        model.load_state_dict(load_file(str(path)))


def _train_plus_val(dataset: Dataset) -> Dataset:
    """Train on train + validation (validation stays attached only for monitoring)."""
    return make_dataset(
        dataset.name,
        np.concatenate([dataset.x_train, dataset.x_val]),
        np.concatenate([dataset.y_train, dataset.y_val]),
        dataset.x_test,
        dataset.y_test,
        x_val=dataset.x_val,
        y_val=dataset.y_val,
    )


def _commands(
    request: ExportRequest, study: optuna.Study, trial: optuna.trial.FrozenTrial, url: str
) -> dict[str, str]:
    """The model card's commands: retrain the trial, and re-export it retrained."""
    export = ["nas", "export", "--storage", url, "--study", study.study_name]
    export += ["--trial", str(trial.number), "--out", str(request.out), "--retrain"]
    return {
        "train": retrain_command(study, trial) or "(the study does not record its recipe)",
        "export": shlex.join(export),
    }
