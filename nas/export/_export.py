"""Export one trial of a study: find its weights (or retrain), then write the bundle."""

from __future__ import annotations

import shlex
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import optuna

from nas._errors import ExportError
from nas.arch import Architecture
from nas.builder import NASNet, build_model
from nas.data import Dataset, load_dataset, make_dataset
from nas.export._bundle import FORMATS, BundleInfo, write_bundle
from nas.export._select import select_trial
from nas.study import mask_password, open_storage, retrain_command, select_study
from nas.study._artifacts import ARTIFACT_DIR_ATTR, ARTIFACTS_ATTR


@dataclass(frozen=True)
class ExportRequest:
    """What ``nas export`` was asked for."""

    storage: str
    out: Path
    study: str | None = None
    trial: int | None = None  # None: best, or --pick
    pick: str | None = None
    retrain: bool = False
    formats: tuple[str, ...] = FORMATS


def _stored_weights(study: optuna.Study, trial: optuna.trial.FrozenTrial, model: NASNet) -> None:
    from optuna.artifacts import FileSystemArtifactStore, download_artifact
    from safetensors.torch import load_file

    artifact = trial.user_attrs.get(ARTIFACTS_ATTR, {}).get("weights")
    directory = study.user_attrs.get(ARTIFACT_DIR_ATTR)
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


def check_request(request: ExportRequest) -> None:
    """Reject a bad request before any data is loaded or any model trained."""
    unknown = sorted(set(request.formats) - set(FORMATS))
    if unknown:
        raise ExportError(
            f"--formats: unknown format {unknown[0]!r}; available: {', '.join(FORMATS)}"
        )
    out = request.out
    if out.exists() and not out.is_dir():
        raise ExportError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "bundle.json").exists():
        raise ExportError(
            f"--out {out}: folder is not empty and holds no nas bundle; "
            "choose a new or empty folder"
        )


def export_trial(request: ExportRequest) -> tuple[BundleInfo, optuna.trial.FrozenTrial]:
    """Export the requested trial to ``request.out``."""
    from nas.training import TrainOptions, train_architecture

    check_request(request)
    url = mask_password(request.storage)
    study = select_study(open_storage(request.storage), request.study, url)
    trial = select_trial(study, number=request.trial, pick=request.pick)
    arch = Architecture.from_dict(trial.user_attrs["architecture"], f"trial {trial.number}")
    recipe = study.user_attrs.get("recipe", {})
    dataset = load_dataset(
        recipe.get("data", "mnist1d"), val_fraction=recipe.get("val_fraction", 0.2)
    )
    seed = trial.user_attrs.get("seed", 0)
    if request.retrain:
        epochs = trial.user_attrs.get("best_epoch", arch.train.epochs - 1) + 1
        retrain_arch = replace(arch, train=replace(arch.train, patience=0))
        options = TrainOptions(seed=seed, epochs=epochs, restore_best=False)
        _, model = train_architecture(retrain_arch, _train_plus_val(dataset), options)
    else:
        model = build_model(arch, dataset.input_shape, dataset.num_outputs)
        _stored_weights(study, trial, model)
    commands = {
        "train": retrain_command(study, trial) or "(the study does not record its recipe)",
        "export": shlex.join(
            [
                "nas",
                "export",
                "--storage",
                url,
                "--study",
                study.study_name,
                "--trial",
                str(trial.number),
                "--out",
                str(request.out),
                "--retrain",
            ]
        ),
    }
    source = {
        "study": study.study_name,
        "trial": trial.number,
        "storage": url,
        "seed": seed,
        "retrained": request.retrain,
    }
    metrics = trial.user_attrs.get("metrics", {})
    info = write_bundle(
        request.out,
        arch,
        model,
        dataset,
        formats=request.formats,
        source=source,
        metrics=metrics,
        commands=commands,
    )
    return info, trial
