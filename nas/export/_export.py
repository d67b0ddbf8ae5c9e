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
from nas.data import Dataset, load_dataset
from nas.export._bundle import BundleInfo, check_formats, write_bundle
from nas.export._formats import list_formats
from nas.export._select import select_trial
from nas.export._trial_ensemble import TrialEnsemble, ensemble_candidates, trial_ensemble
from nas.study import (
    StudyRecipe,
    StudyRecord,
    TrialRecord,
    absolute_url,
    mask_password,
    open_storage,
    retrain_command,
    select_study,
)

DEFAULT_FOLDS = 5  # --ensemble of a study that validated on a holdout split
# a retrained model may fit its training data worse than the search's estimate on unseen
# data by this much (accuracy points, or relative RMSE) before it counts as not converged
RETRAIN_TOLERANCE = 0.1


@dataclass(frozen=True)
class ExportRequest:
    """What ``nas export`` was asked for."""

    storage: str
    out: Path
    study: str | None = None
    trial: int | None = None  # None: best, or --pick
    pick: str | None = None
    retrain: bool = False  # retrain on the whole training set first
    ensemble: bool = False  # export the K fold models as one averaging ensemble
    # > 0: a weighted ensemble of up to this many of the best trials (_trial_ensemble.py)
    ensemble_trials: int = 0
    formats: tuple[str, ...] = field(default_factory=lambda: tuple(list_formats()))


def export_trial(request: ExportRequest) -> tuple[BundleInfo, optuna.trial.FrozenTrial]:
    """Export the requested trial to ``request.out``."""
    check_request(request)
    url = mask_password(absolute_url(request.storage))
    study = select_study(open_storage(request.storage, create=False), request.study, url)
    trial = select_trial(study, number=request.trial, pick=request.pick)
    record = TrialRecord.read(trial)
    recipe = _recipe(study)  # imports the study's plugins before its architecture is read
    dataset = load_dataset(recipe.data, options=recipe.read_options())
    arch = record.arch(trial.number)
    member_archs = None
    if request.ensemble_trials:
        chosen = trials_ensemble(study, dataset, request.ensemble_trials)
        trial = study.trials[chosen.members[0].trial]  # the heaviest member
        record, arch = TrialRecord.read(trial), chosen.members[0].arch
        model = chosen.model(dataset.task)
        how = chosen.describe(dataset.task)
        member_archs = [m.arch for m in chosen.members for _ in m.models]
    elif request.ensemble:
        folds = StudyRecord.read(study).folds or 1
        model, how = fold_ensemble(arch, record, dataset, folds if folds > 1 else DEFAULT_FOLDS)
    elif request.retrain:
        model, how = retrained(arch, record, dataset)
    else:
        model = build_model(
            arch, dataset.input_shape, dataset.num_outputs, preprocessing=dataset.preprocessing
        )
        _load_stored_weights(study, trial, record, model)
        how = "weights of the search's model (trained on the search's training split)"
    if request.ensemble or request.retrain or request.ensemble_trials:
        check_not_collapsed(model, dataset, record, trial.number)
    source = {
        "study": study.study_name,
        "trial": trial.number,
        "storage": url,
        "seed": record.seed,
        "retrained": request.retrain,
        "ensemble": request.ensemble,
        "model": how,
    }
    if request.ensemble_trials:
        source["ensemble_trials"] = {str(m.trial): m.weight for m in chosen.members}
        source["temperatures"] = {str(m.trial): m.temperature for m in chosen.members}
        selection = chosen.selection
        source["out_of_fold_loss"] = {
            "ensemble": selection.loss,
            **{str(n): loss for n, loss in selection.single.items()},
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
        member_archs=member_archs,
    )
    return info, trial


def check_request(request: ExportRequest) -> None:
    """Reject a bad request before any data is loaded or any model trained."""
    check_formats(request.formats)
    if request.ensemble_trials < 0 or request.ensemble_trials == 1:
        raise ExportError(
            f"--ensemble-trials {request.ensemble_trials}: give 2 or more candidate trials"
        )
    if request.ensemble_trials and (request.retrain or request.ensemble):
        raise ExportError("give one of --retrain, --ensemble or --ensemble-trials N")
    if request.ensemble_trials and (request.trial is not None or request.pick):
        raise ExportError("--ensemble-trials chooses its trials; drop --trial and --pick")
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


def retrain_passes(record: TrialRecord, arch: Architecture) -> int:
    """Passes over the data for a retrain: the passes to the best epoch that the search
    measured, averaged over its folds when it cross-validated (robust to one fold's lucky
    early peak), else the single run's."""
    if record.best_passes is not None:
        return max(1, round(record.best_passes))
    best = record.best_epoch if record.best_epoch is not None else arch.train.epochs - 1
    return (best + 1) * (record.passes_per_epoch or 1)


def retrained(arch: Architecture, record: TrialRecord, dataset: Dataset) -> tuple[NASNet, str]:
    """The architecture trained again on the whole training set (train + validation) for
    the search's passes (:func:`retrain_passes`), with the trial's seed."""
    from nas.training import TrainOptions, train_architecture

    passes = retrain_passes(record, arch)
    retrain_arch = replace(arch, train=replace(arch.train, patience=0))
    options = TrainOptions(seed=record.seed or 0, epochs=passes, restore_best=False)
    data = dataset.retrain_set()
    _, model = train_architecture(retrain_arch, data, options)
    how = (
        f"retrained on all {len(data.x_train)} training samples for {passes} passes "
        f"({'the mean over its folds of ' if record.folds else ''}the search's passes to "
        "its best epoch)"
    )
    return model, how


def fold_ensemble(
    arch: Architecture, record: TrialRecord, dataset: Dataset, folds: int
) -> tuple[NASNet, str]:
    """The ``folds`` models of the trial's cross-validation (each trained on its fold with
    early stopping, as in the search), averaged as one model."""
    from nas.builder import make_ensemble
    from nas.training import TrainOptions, train_folds

    _, models = train_folds(arch, dataset, TrainOptions(seed=record.seed or 0), folds)
    how = f"averaging ensemble of the {folds} models of {folds}-fold cross-validation"
    return make_ensemble(models, dataset.task), how  # type: ignore[return-value]


def trials_ensemble(study: optuna.Study, dataset: Dataset, n: int) -> TrialEnsemble:
    """The weighted ensemble of up to ``n`` of the study's best trials
    (:mod:`nas.export._trial_ensemble`), cross-validated on the study's folds."""
    from nas.study import complete_trials

    if len(study.directions) > 1:
        raise ExportError(
            "--ensemble-trials needs a single-objective study; export a trial of the "
            "Pareto front with --pick"
        )
    trials = complete_trials(study)
    if len(trials) < 2:
        raise ExportError(
            f"--ensemble-trials: study {study.study_name!r} has {len(trials)} complete "
            "trial(s); an ensemble of trials needs 2 or more (or use --ensemble)"
        )
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    folds = StudyRecord.read(study).folds or DEFAULT_FOLDS
    return trial_ensemble(ensemble_candidates(trials, maximize, n), dataset, max(folds, 2))


def check_not_collapsed(model: NASNet, dataset: Dataset, record: TrialRecord, number: int) -> None:
    """Refuse a retrained model that collapsed: one class for every training input, or a
    fit of its own training data worse than the search's estimate on unseen data."""
    import torch

    from nas.training import compute_metrics

    x, y = dataset.pool()
    with torch.no_grad():
        outputs = model.cpu().eval()(torch.from_numpy(x))
    fix = "export the search's own weights (drop --retrain), or try --ensemble"
    if dataset.task == "classification":
        predicted = outputs.argmax(dim=-1).numpy()
        if len(np.unique(predicted)) == 1 and len(np.unique(y)) > 1:
            name = dataset.class_name(int(predicted[0]))
            raise ExportError(
                f"trial {number}: the retrained model predicts class {name!r} for every "
                f"training sample (it collapsed); {fix}"
            )
    metrics = {k: float(v) for k, v in
               compute_metrics(dataset.task, outputs, torch.from_numpy(y)).items()}  # fmt: skip
    estimate = record.metrics.get("val_acc")
    if estimate is not None and metrics["val_acc"] < estimate - RETRAIN_TOLERANCE:
        raise ExportError(
            f"trial {number}: the retrained model fits its own training data to accuracy "
            f"{metrics['val_acc']:.3f}, below the search's estimate on unseen data "
            f"({estimate:.3f}); it did not converge: {fix}"
        )
    estimate = record.metrics.get("val_rmse")
    if estimate is not None and metrics["val_rmse"] > estimate * (1 + RETRAIN_TOLERANCE):
        raise ExportError(
            f"trial {number}: the retrained model's RMSE on its own training data "
            f"({metrics['val_rmse']:.4g}) is worse than the search's estimate on unseen data "
            f"({estimate:.4g}); it did not converge: {fix}"
        )


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
