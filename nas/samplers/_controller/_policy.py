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

import numpy as np
import torch
from torch import nn


@dataclass
class RolloutState:
    """Where one trial's rollout stands between suggest calls (1-D float32 arrays)."""

    h: np.ndarray
    c: np.ndarray
    x: np.ndarray  # input of the next step


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # no overflow warning for large |z|


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
        # numpy views of the parameters (shared memory: in-place optimizer steps show)
        self._arrays: dict[str, tuple[np.ndarray, ...]] = {}

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

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_arrays"] = {}  # views of this copy's parameters are made afresh
        return state

    def initial(self) -> RolloutState:
        zeros = np.zeros(self.hidden, dtype=np.float32)
        return RolloutState(zeros, zeros, self._array(self.start)[0])

    @staticmethod
    def _array(p: torch.Tensor) -> np.ndarray:
        return p.detach().numpy()

    def _head_arrays(self, key: str) -> tuple[np.ndarray, ...]:
        name = self._names[key]
        if name not in self._arrays:
            head, embedding = self.heads[name], self.embeddings[name]
            self._arrays[name] = tuple(
                self._array(p) for p in (head.weight, head.bias, embedding.weight)
            )
        return self._arrays[name]

    # sampling runs in numpy on views of the weights: one decision per suggest call, and a
    # dozen torch dispatches per step cost more than the arithmetic (tested equal to the
    # torch graph that learning differentiates, :meth:`sequence`)
    def step(self, state: RolloutState, key: str) -> tuple[np.ndarray, RolloutState]:
        """Logits of decision ``key`` and the advanced LSTM state (input not yet set)."""
        if "cell" not in self._arrays:
            cell = self.cell
            weights = (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
            self._arrays["cell"] = tuple(self._array(p) for p in weights)
        w_ih, w_hh, b_ih, b_hh = self._arrays["cell"]
        gates = w_ih @ state.x + w_hh @ state.h + b_ih + b_hh  # torch's order: i, f, g, o
        n = self.hidden
        i, f, o = _sigmoid(gates[:n]), _sigmoid(gates[n : 2 * n]), _sigmoid(gates[3 * n :])
        c = f * state.c + i * np.tanh(gates[2 * n : 3 * n])
        h = o * np.tanh(c)
        weight, bias, _ = self._head_arrays(key)
        logits = (weight @ h + bias) / self.temperature
        if self.tanh_constant:
            logits = self.tanh_constant * np.tanh(logits)
        return logits, RolloutState(h, c, state.x)

    def feed(self, state: RolloutState, key: str, index: int) -> RolloutState:
        """Set the next step's input to the embedding of this decision."""
        return RolloutState(state.h, state.c, self._head_arrays(key)[2][index])

    def sequence(self, keys: list[str], indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probability and entropy of a whole decision sequence, in a dozen ops.

        The same function as chaining :meth:`step` and :meth:`feed`, but the actions are
        known, so every step's input is known up front: one fused LSTM call runs all steps,
        and one matrix product with every used head stacked gives all logits (each step's
        softmax is masked to its own head's rows). About 20x cheaper to differentiate than
        the step-by-step graph, which is what learning from each trial costs.
        """
        names = [self._names[k] for k in keys]
        order = list(dict.fromkeys(names))  # each head once, in first-use order
        heads = [self.heads[n] for n in order]
        sizes = [h.out_features for h in heads]
        offsets = dict(zip(order, torch.tensor([0, *sizes[:-1]]).cumsum(0).tolist(), strict=True))
        rows = torch.tensor([offsets[n] + i for n, i in zip(names, indices, strict=True)])
        table = torch.cat([self.embeddings[n].weight for n in order])
        x = torch.cat([self.start, table[rows[:-1]]]).unsqueeze(1)  # step t sees action t-1
        zeros = torch.zeros(1, 1, self.hidden)
        cell = self.cell
        weights = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh]
        out = torch.lstm(x, (zeros, zeros), weights, True, 1, 0.0, True, False, False)[0]
        weight = torch.cat([h.weight for h in heads])
        bias = torch.cat([h.bias for h in heads])
        logits = torch.nn.functional.linear(out[:, 0], weight, bias) / self.temperature
        if self.tanh_constant:
            logits = self.tanh_constant * torch.tanh(logits)
        columns = torch.arange(sum(sizes))
        starts = torch.tensor([offsets[n] for n in names]).unsqueeze(1)
        ends = starts + torch.tensor([self.heads[n].out_features for n in names]).unsqueeze(1)
        mask = (columns >= starts) & (columns < ends)
        # a finite fill (not -inf): exp(-1e9) is exactly 0 but keeps 0 * log p finite
        log_p = torch.log_softmax(logits.masked_fill(~mask, -1e9), dim=1)
        log_prob = log_p.gather(1, rows.unsqueeze(1)).sum()
        entropy = -(log_p.exp() * log_p).sum()
        return log_prob, entropy

    def sequences(self, batch: list[tuple[list[str], list[int]]]) -> tuple[torch.Tensor, ...]:
        """Per-decision log-probabilities, entropies and validity (each ``(steps, B)``) of
        ``B`` decision sequences of any lengths and keys, in one LSTM call: :meth:`sequence`
        for a whole batch, padded to the longest (``valid`` is 0 on padding), each step's
        softmax masked to its own head."""
        names = [[self._names[k] for k in keys] for keys, _ in batch]
        order = list(dict.fromkeys(n for seq in names for n in seq))
        heads = [self.heads[n] for n in order]
        sizes = [h.out_features for h in heads]
        offsets = dict(zip(order, torch.tensor([0, *sizes[:-1]]).cumsum(0).tolist(), strict=True))
        steps, size = max(len(seq) for seq in names), len(batch)
        rows = torch.zeros(steps, size, dtype=torch.long)
        starts = torch.zeros(steps, size, dtype=torch.long)
        ends = torch.zeros(steps, size, dtype=torch.long)  # start == end: a padded step
        for b, (seq, (_, indices)) in enumerate(zip(names, batch, strict=True)):
            for t, (name, index) in enumerate(zip(seq, indices, strict=True)):
                rows[t, b] = offsets[name] + index
                starts[t, b] = offsets[name]
                ends[t, b] = offsets[name] + self.heads[name].out_features
        table = torch.cat([self.embeddings[n].weight for n in order])
        x = torch.cat([self.start.expand(1, size, -1), table[rows[:-1]]])  # (steps, B, H)
        zeros = torch.zeros(1, size, self.hidden)
        cell = self.cell
        weights = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh]
        out = torch.lstm(x, (zeros, zeros), weights, True, 1, 0.0, True, False, False)[0]
        weight = torch.cat([h.weight for h in heads])
        bias = torch.cat([h.bias for h in heads])
        logits = torch.nn.functional.linear(out, weight, bias) / self.temperature
        if self.tanh_constant:
            logits = self.tanh_constant * torch.tanh(logits)
        columns = torch.arange(sum(sizes))
        mask = (columns >= starts[..., None]) & (columns < ends[..., None])
        log_p = torch.log_softmax(logits.masked_fill(~mask, -1e9), dim=-1)
        valid = (ends > starts).to(log_p.dtype)
        log_prob = log_p.gather(-1, rows[..., None])[..., 0] * valid
        entropy = -(log_p.exp() * log_p).sum(-1) * valid
        return log_prob, entropy, valid
