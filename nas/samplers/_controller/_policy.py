"""The controller's policy: an LSTM over the sequence of decisions of one trial.

Each decision is one LSTM step. The step's input is the embedding of the previous
decision (a learned start vector for the first); a softmax head per parameter (created on
first sight of its name and distribution) turns the hidden state into choice logits,
squashed as ``tanh_constant * tanh(logits / temperature)`` (ENAS, Pham et al. 2018).
Heads are initialised from a hash of their key, so every process builds the same ones.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class RolloutState:
    """Where one trial's rollout stands between suggest calls."""

    h: torch.Tensor
    c: torch.Tensor
    x: torch.Tensor  # input of the next step


class Policy(nn.Module):
    """LSTM cell, start input, and per-parameter heads and embeddings."""

    def __init__(
        self, hidden: int, temperature: float, tanh_constant: float | None, seed: int
    ) -> None:
        super().__init__()
        self.hidden, self.temperature, self.tanh_constant, self.seed = (
            hidden,
            temperature,
            tanh_constant,
            seed,
        )
        generator = torch.Generator().manual_seed(seed)
        self.cell = nn.LSTMCell(hidden, hidden)
        for p in self.cell.parameters():
            nn.init.uniform_(p, -0.1, 0.1, generator=generator)
        self.start = nn.Parameter(torch.empty(1, hidden).uniform_(-0.1, 0.1, generator=generator))
        self.heads = nn.ModuleDict()
        self.embeddings = nn.ModuleDict()
        self._names: dict[str, str] = {}

    def ensure(self, key: str, n: int) -> list[nn.Parameter]:
        """Create the head and embedding of ``key`` if new; returns the new parameters."""
        if key in self._names:
            return []
        name = f"d{len(self._names)}"  # ModuleDict keys cannot hold every character
        self._names[key] = name
        generator = torch.Generator().manual_seed(self.seed ^ zlib.crc32(key.encode()))
        head = nn.Linear(self.hidden, n)
        embedding = nn.Embedding(n, self.hidden)
        for p in (*head.parameters(), *embedding.parameters()):
            nn.init.uniform_(p, -0.1, 0.1, generator=generator)
        self.heads[name], self.embeddings[name] = head, embedding
        return [*head.parameters(), *embedding.parameters()]

    def initial(self) -> RolloutState:
        zeros = torch.zeros(1, self.hidden)
        return RolloutState(zeros, zeros.clone(), self.start)

    def step(self, state: RolloutState, key: str) -> tuple[torch.Tensor, RolloutState]:
        """Logits of decision ``key`` and the advanced LSTM state (input not yet set)."""
        h, c = self.cell(state.x, (state.h, state.c))
        logits = self.heads[self._names[key]](h).squeeze(0) / self.temperature
        if self.tanh_constant:
            logits = self.tanh_constant * torch.tanh(logits)
        return logits, RolloutState(h, c, state.x)

    def feed(self, state: RolloutState, key: str, index: int) -> RolloutState:
        """Set the next step's input to the embedding of this decision."""
        x = self.embeddings[self._names[key]](torch.tensor([index]))
        return RolloutState(state.h, state.c, x)
