"""An averaging ensemble of models (the K fold models of a cross-validated search, or the
fold models of several trials weighted by ensemble selection), itself an ``nn.Module``
that exports like one model.

Classification members' class probabilities are averaged (weighted, when ``weights`` are
given) and returned as log probabilities, which act as logits (argmax, softmax and
cross-entropy all read them); regression members' outputs are averaged. The class uses
only ``torch`` and ``nn``: its source goes into the standalone ``model.py`` of an exported
ensemble.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from nas.builder._build import ModelReport, NASNet


class Ensemble(nn.Module):
    """The mean prediction of ``members``, or their ``weights``-weighted mean."""

    def __init__(
        self,
        members: list[nn.Module],
        classification: bool,
        weights: list[float] | None = None,
    ) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.classification = classification
        # a plain list, not a buffer: the weights file holds the members' weights only
        self.weights = weights

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = torch.stack([member(x) for member in self.members])
        if self.classification:
            outputs = outputs.softmax(dim=-1)
        if self.weights is None:
            mean = outputs.mean(dim=0)
        else:
            shape = (-1,) + (1,) * (outputs.dim() - 1)
            weights = torch.tensor(self.weights, dtype=outputs.dtype, device=outputs.device)
            mean = (outputs * weights.view(shape)).sum(dim=0)
        return mean.clamp_min(1e-12).log() if self.classification else mean


def make_ensemble(members: list[NASNet], task: str, weights: list[float] | None = None) -> Ensemble:
    """An :class:`Ensemble` of built models, with a ``report`` summing their cost."""
    ensemble = Ensemble(list(members), task == "classification", weights)
    first: ModelReport = members[0].report
    ensemble.report = replace(  # type: ignore[assignment]
        first,
        n_params=sum(m.report.n_params for m in members),
        flops=sum(m.report.flops for m in members),
        notes=(
            *first.notes,
            f"{'weighted ' if weights else ''}averaging ensemble of {len(members)} models",
        ),
    )
    return ensemble
