"""The REINFORCE gradient of one decision sequence, by hand in numpy.

One REINFORCE step per finished trial is the controller's default learning, and at the
policy's size (hidden 32, a few dozen decisions) torch's autograd spends its time
dispatching a hundred tiny ops, not computing: building and differentiating the graph of
:meth:`Policy.sequence` cost about 2 ms per trial, most of the controller's overhead over
random sampling. The same forward pass and its backward pass (backpropagation through
time of the LSTM, the squashed logits and the masked softmax), written out here on numpy
views of the weights, cost a fraction of that. Tested equal to autograd on
:meth:`Policy.sequence` (tests/samplers/test_controller.py).

The loss is ``-advantage * log p(decisions) - entropy_weight * entropy``, summed over the
decisions; its gradient is what :meth:`PolicyAdam.apply` takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nas.samplers._controller._policy import Policy, squash_gates


@dataclass(frozen=True)
class Gradient:
    """The gradient of the loss: per core parameter (by name), and for some bank rows."""

    core: dict[str, np.ndarray]  # "cell.weight_ih", ..., "start" -> same shape as the weight
    rows: np.ndarray  # bank rows that the sequence used (int, unique)
    bank: np.ndarray  # (len(rows), 2 * hidden + 1): those rows' gradient


def reinforce_gradient(
    policy: Policy,
    keys: list[str],
    indices: list[int],
    advantage: float,
    entropy_weight: float,
) -> Gradient:
    """Gradient of ``-advantage * log_prob - entropy_weight * entropy`` of one sequence."""
    arrays = policy.arrays()
    w_ih, w_hh = arrays["cell.weight_ih"], arrays["cell.weight_hh"]
    b_ih, b_hh = arrays["cell.bias_ih"], arrays["cell.bias_hh"]
    start, bank = arrays["start"], arrays["bank"]
    n = policy.hidden
    local, columns = policy.layout(keys)  # the used heads' rows, gathered once
    rows = np.asarray(columns)
    gathered = bank[rows]
    weight, bias, table = gathered[:, :n], gathered[:, n], gathered[:, n + 1 :]
    steps = len(keys)
    chosen = np.array([local[k] + i for k, i in zip(keys, indices, strict=True)])
    lo = np.array([local[k] for k in keys])[:, None]
    hi = lo + np.array([policy.spans[k][1] for k in keys])[:, None]
    column = np.arange(len(columns))
    mask = (column >= lo) & (column < hi)  # (steps, R): each step's own head

    # forward: every step's input is known up front (the previous decision's embedding),
    # so only the recurrence runs step by step; each step is a handful of numpy ops
    x = np.concatenate([start, table[chosen[:-1]]])  # (steps, H)
    projected = x @ w_ih.T + (b_ih + b_hh)
    hs = np.zeros((steps + 1, n), dtype=np.float32)  # hs[t + 1]: hidden state after step t
    cs = np.zeros((steps + 1, n), dtype=np.float32)
    acts = np.empty((steps, 4, n), dtype=np.float32)  # i, f, g, o after their squashing
    for t in range(steps):
        act = acts[t]
        flat = act.reshape(-1)
        np.matmul(w_hh, hs[t], out=flat)
        flat += projected[t]
        squash_gates(flat, n)
        np.multiply(act[1], cs[t], out=cs[t + 1])
        cs[t + 1] += act[0] * act[2]
        np.multiply(act[3], np.tanh(cs[t + 1]), out=hs[t + 1])
    h = hs[1:]
    scaled = (h @ weight.T + bias) / policy.temperature  # (steps, R)
    if policy.tanh_constant:
        squashed = np.tanh(scaled)
        logits = policy.tanh_constant * squashed
    else:
        logits = scaled
    logits = np.where(mask, logits, -np.inf)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    p = np.where(mask, np.exp(log_p), 0.0)
    log_p = np.where(mask, log_p, 0.0)
    entropy = -(p * log_p).sum(axis=1, keepdims=True)

    # backward: d loss / d logits of the log-probability and the entropy terms
    d_logits = advantage * p + entropy_weight * p * (log_p + entropy)
    d_logits[np.arange(steps), chosen] -= advantage
    if policy.tanh_constant:
        d_logits = d_logits * (policy.tanh_constant * (1.0 - squashed**2))
    d_pre = (d_logits / policy.temperature).astype(np.float32)
    d_weight, d_bias, d_h = d_pre.T @ h, d_pre.sum(axis=0), d_pre @ weight
    # backward through time; everything that does not depend on the incoming gradient is
    # computed for all steps at once, so each step is a few ops as well
    i, f, g, o = acts[:, 0], acts[:, 1], acts[:, 2], acts[:, 3]
    tanh_c = np.tanh(cs[1:])
    through_c = o * (1.0 - tanh_c**2)  # d c_t / d h_t
    into_gates = np.stack([g * i * (1.0 - i), cs[:-1] * f * (1.0 - f), i * (1.0 - g**2)], 1)
    into_o = tanh_c * o * (1.0 - o)
    d_gates = np.empty((steps, 4, n), dtype=np.float32)
    dh = np.zeros(n, dtype=np.float32)
    dc = np.zeros(n, dtype=np.float32)
    for t in range(steps - 1, -1, -1):
        dh += d_h[t]
        dc *= f[t + 1] if t + 1 < steps else 0.0
        dc += dh * through_c[t]
        np.multiply(dc, into_gates[t], out=d_gates[t, :3])
        np.multiply(dh, into_o[t], out=d_gates[t, 3])
        dh = d_gates[t].reshape(-1) @ w_hh
    d_gates = d_gates.reshape(steps, 4 * n)
    d_bias_cell = d_gates.sum(axis=0)
    d_x = d_gates @ w_ih
    d_table = np.zeros_like(table)
    np.add.at(d_table, chosen[:-1], d_x[1:])
    core = {
        "cell.weight_ih": d_gates.T @ x,
        "cell.weight_hh": d_gates.T @ hs[:-1],
        "cell.bias_ih": d_bias_cell,
        "cell.bias_hh": d_bias_cell.copy(),
        "start": d_x[:1],
    }
    return Gradient(core, rows, np.concatenate([d_weight, d_bias[:, None], d_table], axis=1))
