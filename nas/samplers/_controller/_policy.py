"""The controller's policy: an LSTM over the sequence of decisions of one trial.

Each decision is one LSTM step. The step's input is the embedding of the previous
decision (a learned start vector for the first); a softmax head per parameter (created on
first sight of its name and distribution) turns the hidden state into choice logits,
squashed as ``tanh_constant * tanh(logits / temperature)`` (ENAS, Pham et al. 2018).
Heads are initialised from a hash of their key, so every process builds the same ones.

All heads live in one tensor, the bank: one row per choice, holding that choice's output
weights, its bias and its embedding. Learning from a trial then gathers the rows it used
in one op instead of concatenating a hundred small tensors, and the optimizer updates one
array (``_adam.py``). Sampling (:meth:`Policy.step`) and the default REINFORCE gradient
(``_gradient.py``) run in numpy on views of these weights, with one LSTM step function
(:meth:`Policy.advance`), so learning from a trial can reuse the forward pass its sampling
computed; the replay learners differentiate :meth:`Policy.sequences` with autograd.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Iterable
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
    gates: np.ndarray | None = None  # the last step's gate activations, i, f, g, o


@dataclass(frozen=True)
class Forward:
    """The LSTM's forward pass over one decision sequence, what backpropagation needs:
    each step's gate activations ``(steps, 4 * hidden)`` and the cell and hidden states
    ``(steps + 1, hidden)`` (row 0: the zero state before the first step)."""

    gates: np.ndarray
    cs: np.ndarray
    hs: np.ndarray

    @classmethod
    def of(cls, states: list[RolloutState]) -> Forward:
        """From the states after each step (as sampling left them)."""
        zero = np.zeros((1, states[0].h.shape[0]), dtype=np.float32)
        return cls(
            np.stack([s.gates for s in states]),  # type: ignore[misc]
            np.concatenate([zero, np.stack([s.c for s in states])]),
            np.concatenate([zero, np.stack([s.h for s in states])]),
        )


@functools.cache
def _gate_scales(hidden: int) -> tuple[np.ndarray, np.ndarray]:
    half = np.full(4 * hidden, 0.5, dtype=np.float32)
    half[2 * hidden : 3 * hidden] = 1.0  # g is a tanh, i, f and o are sigmoids
    return half, 1.0 - half


def squash_gates(gates: np.ndarray, hidden: int) -> np.ndarray:
    """The LSTM's gate activations, in place on ``(..., 4 * hidden)`` pre-activations in
    torch's order i, f, g, o: sigmoid(z) = (1 + tanh(z / 2)) / 2 for i, f and o, tanh for g,
    so one tanh serves all four (and no overflow warning for large |z|)."""
    half, shift = _gate_scales(hidden)
    gates *= half
    np.tanh(gates, out=gates)
    gates *= half
    gates += shift
    return gates


class Policy(nn.Module):
    """LSTM cell, start input, and the bank of per-parameter heads and embeddings."""

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
        # row r: [output weights (hidden) | bias (1) | embedding (hidden)] of one choice
        self.bank = nn.Parameter(torch.empty(0, 2 * hidden + 1))
        self.spans: dict[str, tuple[int, int]] = {}  # head key -> (first row, choices)
        # numpy views of the parameters (shared memory: in-place optimizer steps show)
        self._arrays: dict[str, tuple[np.ndarray, ...]] = {}
        self._views: dict[str, np.ndarray] | None = None
        # bumped by every optimizer step: a forward pass computed at one version is the
        # forward pass of the policy while the version stays (``_gradient.py`` reuses it)
        self.version = 0

    def ensure(self, key: str, n: int) -> bool:
        """Create the head and embedding of ``key`` if new (True when it was)."""
        if key in self.spans:
            return False
        generator = torch.Generator().manual_seed(self.seed ^ zlib.crc32(key.encode()))
        weight = torch.empty(n, self.hidden).uniform_(-0.1, 0.1, generator=generator)
        bias = torch.empty(n, 1).uniform_(-0.1, 0.1, generator=generator)
        embedding = torch.empty(n, self.hidden).uniform_(-0.1, 0.1, generator=generator)
        self.spans[key] = (self.bank.shape[0], n)
        rows = torch.cat([weight, bias, embedding], dim=1)
        self.bank = nn.Parameter(torch.cat([self.bank.detach(), rows]))
        self._arrays, self._views = {}, None  # views of the old bank
        return True

    def _rows(self, key: str) -> torch.Tensor:
        first, n = self.spans[key]
        return self.bank[first : first + n]

    def head(self, key: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Output weights, bias and embedding of ``key`` (views of the bank)."""
        rows, h = self._rows(key), self.hidden
        return rows[:, :h], rows[:, h], rows[:, h + 1 :]

    def heads_state(self) -> dict[str, torch.Tensor]:
        """The weights by name: the cell's, ``start``, and each head's rows as
        ``head:<parameter key>`` (what a saved policy should say)."""
        state = {k: v for k, v in self.state_dict().items() if k != "bank"}
        for key in self.spans:
            state[f"head:{key}"] = self._rows(key).detach()
        return state

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_arrays"], state["_views"] = {}, None  # this copy's views are made afresh
        return state

    def initial(self) -> RolloutState:
        zeros = np.zeros(self.hidden, dtype=np.float32)
        return RolloutState(zeros, zeros, self._array(self.start)[0])

    @staticmethod
    def _array(p: torch.Tensor) -> np.ndarray:
        return p.detach().numpy()

    def arrays(self) -> dict[str, np.ndarray]:
        """Numpy views of the parameters, by parameter name: updating them in place
        updates the policy (how learning steps it, ``_adam.py``). Read-only mapping."""
        if self._views is None:
            self._views = {name: self._array(p) for name, p in self.named_parameters()}
        return self._views

    def _cell_arrays(self) -> tuple[np.ndarray, ...]:
        if "cell" not in self._arrays:
            views = self.arrays()
            names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
            self._arrays["cell"] = tuple(views[f"cell.{name}"] for name in names)
        return self._arrays["cell"]

    def layout(self, keys: Iterable[str]) -> tuple[dict[str, int], list[int]]:
        """The bank rows of the heads ``keys`` use, each head once in first-use order, and
        where each head's rows start among them: what learning gathers from the bank."""
        local: dict[str, int] = {}  # head key -> its first row among the gathered ones
        columns: list[int] = []
        for key in dict.fromkeys(keys):
            first, n = self.spans[key]
            local[key] = len(columns)
            columns.extend(range(first, first + n))
        return local, columns

    def _head_arrays(self, key: str) -> tuple[np.ndarray, ...]:
        if key not in self._arrays:
            self._arrays[key] = tuple(self._array(part) for part in self.head(key))
        return self._arrays[key]

    # sampling runs in numpy on views of the weights: one decision per suggest call, and a
    # dozen torch dispatches per step cost more than the arithmetic (tested equal to the
    # torch graph that learning differentiates, :meth:`sequence`)
    def advance(self, state: RolloutState) -> RolloutState:
        """The LSTM state after one step on ``state``'s input. Sampling (:meth:`step`) and
        learning (:meth:`unroll`) both step with this, so the forward pass a trial's
        sampling computed is, bit for bit, the one learning from it would compute, and
        can be reused (``_gradient.py``)."""
        w_ih, w_hh, b_ih, b_hh = self._cell_arrays()
        gates = w_ih @ state.x  # torch's order: i, f, g, o
        gates += w_hh @ state.h
        gates += b_ih
        gates += b_hh
        n = self.hidden
        squash_gates(gates, n)
        c = gates[n : 2 * n] * state.c
        c += gates[:n] * gates[2 * n : 3 * n]
        h = gates[3 * n :] * np.tanh(c)
        return RolloutState(h, c, state.x, gates)

    def step(self, state: RolloutState, key: str) -> tuple[np.ndarray, RolloutState]:
        """Logits of decision ``key`` and the advanced LSTM state (input not yet set)."""
        state = self.advance(state)
        weight, bias, _ = self._head_arrays(key)
        logits = weight @ state.h
        logits += bias
        logits /= self.temperature
        if self.tanh_constant:
            logits = self.tanh_constant * np.tanh(logits)
        return logits, state

    def feed(self, state: RolloutState, key: str, index: int) -> RolloutState:
        """Set the next step's input to the embedding of this decision."""
        return RolloutState(state.h, state.c, self._head_arrays(key)[2][index], state.gates)

    def unroll(self, inputs: np.ndarray) -> Forward:
        """The LSTM's forward pass over ``inputs`` ``(steps, hidden)``, step by step."""
        state, states = self.initial(), []
        for x in inputs:
            state = self.advance(RolloutState(state.h, state.c, x))
            states.append(state)
        return Forward.of(states)

    def sequence(self, keys: list[str], indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-probability and entropy of a whole decision sequence, in a dozen ops.

        The same function as chaining :meth:`step` and :meth:`feed`, but the actions are
        known, so every step's input is known up front: one fused LSTM call runs all steps,
        and one matrix product with the used heads' rows (one gather from the bank) gives
        all logits (each step's softmax is masked to its own head's rows). About 20x
        cheaper to differentiate than the step-by-step graph, which is what learning from
        each trial costs.
        """
        log_prob, entropy, _ = self.sequences([(keys, indices)])
        return log_prob.sum(), entropy.sum()

    def sequences(self, batch: list[tuple[list[str], list[int]]]) -> tuple[torch.Tensor, ...]:
        """Per-decision log-probabilities, entropies and validity (each ``(steps, B)``) of
        ``B`` decision sequences of any lengths and keys, in one LSTM call: :meth:`sequence`
        for a whole batch, padded to the longest (``valid`` is 0 on padding), each step's
        softmax masked to its own head."""
        local, columns = self.layout(k for keys, _ in batch for k in keys)
        steps, size = max(len(keys) for keys, _ in batch), len(batch)
        rows = [[0] * size for _ in range(steps)]
        starts = [[0] * size for _ in range(steps)]
        ends = [[0] * size for _ in range(steps)]  # start == end: a padded step
        for b, (keys, indices) in enumerate(batch):
            for t, (key, index) in enumerate(zip(keys, indices, strict=True)):
                rows[t][b] = local[key] + index
                starts[t][b] = local[key]
                ends[t][b] = local[key] + self.spans[key][1]
        row, start, end = torch.tensor(rows), torch.tensor(starts), torch.tensor(ends)
        gathered = self.bank.index_select(0, torch.tensor(columns))
        h = self.hidden
        weight, bias, table = gathered[:, :h], gathered[:, h], gathered[:, h + 1 :]
        x = torch.cat([self.start.expand(1, size, -1), table[row[:-1]]])  # (steps, B, H)
        zeros = torch.zeros(1, size, h)
        cell = self.cell
        weights = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh]
        out = torch.lstm(x, (zeros, zeros), weights, True, 1, 0.0, True, False, False)[0]
        logits = torch.nn.functional.linear(out, weight, bias) / self.temperature
        if self.tanh_constant:
            logits = self.tanh_constant * torch.tanh(logits)
        column = torch.arange(len(columns))
        mask = (column >= start[..., None]) & (column < end[..., None])
        # a finite fill (not -inf): exp(-1e9) is exactly 0 but keeps 0 * log p finite
        log_p = torch.log_softmax(logits.masked_fill(~mask, -1e9), dim=-1)
        valid = (end > start).to(log_p.dtype)
        log_prob = log_p.gather(-1, row[..., None])[..., 0] * valid
        entropy = -(log_p.exp() * log_p).sum(-1) * valid
        return log_prob, entropy, valid
