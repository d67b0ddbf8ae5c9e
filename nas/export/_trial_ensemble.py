"""``nas export --ensemble-trials N``: a weighted ensemble of several trials' fold models.

The ``N`` candidates are the study's best trials, the best of each kind of architecture
(its sequence of block types: a rocket transform, conv > gru, ...) first, so that the
ensemble can combine models whose errors differ. Each candidate is cross-validated again
with the search's folds and its trial's seed, which gives its fold models and its
out-of-fold predictions; greedy ensemble selection over those predictions
(``_selection.py``; a classifier's logits temperature-scaled first) weighs the candidates,
and the export holds every fold model of each chosen trial, weighted by its trial's weight
over its folds, its output layer divided by the trial's temperature.

Each fold model keeps its best epoch on the fold it predicts, as in the search, so the
out-of-fold predictions share the search's slight optimism; it is the same for every
candidate, and the test set still decides nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nas.arch import Architecture
from nas.data import DEFAULT_SPLIT_SEED, Dataset, fold_indices
from nas.export._selection import Selection, fit_temperature, select_ensemble, softmax
from nas.study import TrialRecord

if TYPE_CHECKING:
    import optuna
    from torch import nn

    from nas.builder import Ensemble, NASNet


@dataclass(frozen=True)
class Member:
    """One chosen trial: its architecture, its weight, and its fold models."""

    trial: int
    arch: Architecture
    weight: float  # of the trial; each of its fold models has weight / folds
    models: tuple[NASNet, ...]  # their logits already divided by ``temperature``
    temperature: float = 1.0  # fitted on the trial's out-of-fold logits (classification)


@dataclass(frozen=True)
class TrialEnsemble:
    """The chosen trials, heaviest first, and the selection behind them."""

    members: tuple[Member, ...]
    selection: Selection
    folds: int

    def model(self, task: str) -> Ensemble:
        """Every chosen trial's fold models as one weighted averaging ensemble."""
        from nas.builder import make_ensemble

        networks = [model for m in self.members for model in m.models]
        weights = [m.weight / len(m.models) for m in self.members for _ in m.models]
        return make_ensemble(networks, task, weights)

    def describe(self, task: str) -> str:
        """For the model card: which trials, with what weight, and why."""
        parts = ", ".join(f"#{m.trial} ({m.weight:.2f})" for m in self.members)
        best = self.selection.best_single
        classification = task == "classification"  # logits temperature-scaled, log loss
        return (
            f"weighted ensemble of trials {parts}, each as its {self.folds} fold models"
            f"{' (logits temperature-scaled)' if classification else ''}, "
            f"chosen by greedy ensemble selection over the out-of-fold predictions of "
            f"{len(self.selection.single)} candidates: out-of-fold "
            f"{'loss' if classification else 'squared error'} "
            f"{self.selection.loss:.4g} against {self.selection.single[best]:.4g} for the "
            f"best single trial (#{best})"
        )


def architecture_kind(arch: Architecture) -> tuple[str, ...]:
    """The sequence of block types: what tells a rocket from a conv > gru network."""
    return tuple(block.type for stage in arch.stages for block in stage.blocks)


def ensemble_candidates(
    trials: list[optuna.trial.FrozenTrial], maximize: bool, n: int
) -> list[tuple[optuna.trial.FrozenTrial, Architecture]]:
    """The ``n`` best of ``trials``: the best of each kind of architecture first (best
    kinds first), then the next best of any kind; ties go to the earlier trial."""
    sign = -1.0 if maximize else 1.0
    ranked = sorted(trials, key=lambda t: (sign * float(t.value), t.number))  # type: ignore[arg-type]
    archs = {t.number: TrialRecord.read(t).arch(t.number) for t in ranked}
    kinds: set[tuple[str, ...]] = set()
    leaders = []
    for trial in ranked:
        kind = architecture_kind(archs[trial.number])
        if kind not in kinds:
            kinds.add(kind)
            leaders.append(trial)
    rest = [t for t in ranked if t not in leaders]
    return [(t, archs[t.number]) for t in (leaders + rest)[:n]]


def _outputs(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """Logits (classification) or outputs, as float64."""
    import torch

    with torch.no_grad():
        return model.cpu().eval()(torch.from_numpy(x)).numpy().astype(np.float64)


def _scale_logits(model: NASNet, factor: float) -> None:
    """Multiply the network's logits by ``factor``: its output layer is linear."""
    import torch

    output = model.layers["output"]
    with torch.no_grad():
        output.weight.mul_(factor)  # type: ignore[operator]
        output.bias.mul_(factor)  # type: ignore[operator]


def trial_ensemble(
    candidates: list[tuple[optuna.trial.FrozenTrial, Architecture]],
    dataset: Dataset,
    folds: int,
) -> TrialEnsemble:
    """Cross-validate each candidate again, select over the out-of-fold predictions, and
    return the chosen trials with their fold models."""
    from nas.training import TrainOptions, train_folds

    x, y = dataset.pool()
    classification = dataset.task == "classification"
    splits = fold_indices(y, dataset.task, folds, DEFAULT_SPLIT_SEED)
    models: dict[int, list[NASNet]] = {}
    predictions: dict[int, np.ndarray] = {}
    temperatures: dict[int, float] = {}
    for trial, arch in candidates:
        record = TrialRecord.read(trial)
        _, fold_models = train_folds(arch, dataset, TrainOptions(seed=record.seed or 0), folds)
        out_of_fold: np.ndarray | None = None
        for (_, held), model in zip(splits, fold_models, strict=True):
            scored = _outputs(model, x[held])
            if out_of_fold is None:
                out_of_fold = np.full((len(y), *scored.shape[1:]), math.nan)
            out_of_fold[held] = scored
        assert out_of_fold is not None  # folds >= 2
        models[trial.number] = fold_models
        if classification:
            temperature = fit_temperature(out_of_fold, y)
            temperatures[trial.number] = temperature
            out_of_fold = softmax(out_of_fold / temperature)
        predictions[trial.number] = out_of_fold
    selection = select_ensemble(predictions, y, dataset.task)
    archs = {t.number: arch for t, arch in candidates}
    members = []
    for number, weight in selection.weights.items():
        temperature = temperatures.get(number, 1.0)
        for model in models[number] if classification else ():
            _scale_logits(model, 1.0 / temperature)
        members.append(Member(number, archs[number], weight, tuple(models[number]), temperature))
    return TrialEnsemble(tuple(members), selection, folds)
