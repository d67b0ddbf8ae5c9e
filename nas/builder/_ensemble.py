"""An averaging ensemble of models of one architecture (e.g. the K fold models of a
cross-validated search), itself an ``nn.Module`` that exports like one model.

Classification members' class probabilities are averaged and returned as log
probabilities, which act as logits (argmax, softmax and cross-entropy all read them);
regression members' outputs are averaged. The class uses only ``torch`` and ``nn``: its
source goes into the standalone ``model.py`` of an exported ensemble.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from nas.builder._build import ModelReport, NASNet


class Ensemble(nn.Module):
    """The mean prediction of ``members``."""

    def __init__(self, members: list[nn.Module], classification: bool) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.classification = classification

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = torch.stack([member(x) for member in self.members])
        if self.classification:
            return outputs.softmax(dim=-1).mean(dim=0).clamp_min(1e-12).log()
        return outputs.mean(dim=0)


def make_ensemble(members: list[NASNet], task: str) -> Ensemble:
    """An :class:`Ensemble` of built models, with a ``report`` summing their cost."""
    ensemble = Ensemble(list(members), task == "classification")
    first: ModelReport = members[0].report
    ensemble.report = replace(  # type: ignore[assignment]
        first,
        n_params=sum(m.report.n_params for m in members),
        flops=sum(m.report.flops for m in members),
        notes=(*first.notes, f"averaging ensemble of {len(members)} models"),
    )
    return ensemble
