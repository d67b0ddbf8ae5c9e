"""Metric formulas; the validation metric names (shared by the LightningModule, early
stopping and pruning) come from ``nas.config``'s metric table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nas.config import CLASSIFICATION, VAL_ACC, VAL_LOSS, VAL_R2, VAL_RMSE

if TYPE_CHECKING:
    import torch
    from torch import nn

TRAIN_LOSS = "train_loss"  # logged per epoch, not a search metric
EPOCH_TIME = "epoch_time"


def compute_metrics(
    task: str, outputs: torch.Tensor, targets: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Loss and quality metrics of ``outputs`` against ``targets``, as 0-d tensors.

    Keys are the ``val_*`` names; callers rename for other splits. Classification loss is
    plain cross-entropy (no label smoothing), so it is comparable across trials.
    """
    import torch.nn.functional as F

    outputs = outputs.float()
    if task == CLASSIFICATION:
        return {
            VAL_LOSS: F.cross_entropy(outputs, targets),
            VAL_ACC: (outputs.argmax(dim=1) == targets).float().mean(),
        }
    outputs = outputs.reshape(targets.shape)
    mse = F.mse_loss(outputs, targets)
    variance = ((targets - targets.mean(dim=0)) ** 2).mean()
    return {VAL_LOSS: mse, VAL_RMSE: mse.sqrt(), VAL_R2: 1.0 - mse / variance.clamp_min(1e-12)}


def evaluate(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, task: str, batch_size: int = 4096
) -> dict[str, float]:
    """Metrics of ``model`` on ``(x, y)`` in eval mode, keyed without the ``val_`` prefix."""
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad():
        outputs = torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return {k.removeprefix("val_"): float(v) for k, v in compute_metrics(task, outputs, y).items()}
