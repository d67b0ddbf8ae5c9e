"""A training budget in optimizer steps, whatever the data's size.

An epoch of 36 series at batch size 128 is one optimizer step: 40 epochs would train for
40 steps. ``min_steps`` (or ``steps``) in a space's ``training:`` fixes that: the batch is
capped at the training set's size, and when the epochs would give too few steps, each
Lightning epoch becomes a *round* of several passes over the data. The number of rounds
stays at ``epochs`` (or fewer), so validation, early-stopping patience and pruning keep
their meaning, and large data, which already gets its steps, runs exactly as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nas.config import TrainConfig
from nas.training._data import TensorBatches


@dataclass(frozen=True)
class Budget:
    """How one run spends its steps."""

    batch_size: int  # after capping at the training set's size
    rounds: int  # Lightning epochs, each ending in a validation
    passes_per_round: int  # passes over the training data per round
    steps_per_round: int  # optimizer steps per round
    notes: tuple[str, ...] = ()  # the capping and stretching that happened

    @property
    def total_steps(self) -> int:
        return self.rounds * self.steps_per_round

    def passes(self, rounds: int) -> int:
        """Passes over the training data in the first ``rounds`` rounds."""
        return rounds * self.passes_per_round


def plan_budget(config: TrainConfig, n_train: int) -> Budget:
    """The batch size, rounds and passes that give ``config`` its steps on ``n_train``."""
    notes = []
    batch = min(config.batch_size, n_train)
    if batch < config.batch_size:
        notes.append(f"batch size {config.batch_size} capped at the {n_train} training samples")
    per_pass = TensorBatches.count(n_train, batch, shuffle=True)
    if config.steps is not None:
        passes = math.ceil(config.steps / per_pass)
    else:
        passes = max(config.epochs, math.ceil(config.min_steps / per_pass))
    rounds = min(passes, config.epochs)
    per_round = math.ceil(passes / rounds)
    rounds = math.ceil(passes / per_round)
    if per_round > 1:
        notes.append(
            f"{per_round} passes over the data per epoch, for {rounds * per_round * per_pass} "
            f"optimizer steps ({per_pass} per pass)"
        )
    return Budget(batch, rounds, per_round, per_round * per_pass, tuple(notes))
