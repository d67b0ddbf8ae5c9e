"""The REINFORCE gradient of one decision sequence, by hand in numpy.

One REINFORCE step per finished trial is the controller's default learning, and at the
policy's size (hidden 32, a few dozen decisions) torch's autograd spends its time
dispatching a hundred tiny ops, not computing: building and differentiating the graph of
:meth:`Policy.sequence` cost about 2 ms per trial, most of the controller's overhead over
random sampling. The same forward pass and its backward pass (backpropagation through
time of the LSTM, the squashed logits and the masked softmax), written out here on numpy
views of the weights, cost a fraction of that. Tested equal to autograd on
:meth:`Policy.sequence` (tests/samplers/test_controller.py). The forward pass is the one
the trial's sampling computed, when the policy has not moved since (one worker, trials in
turn): a third less work, and the same bits as recomputing it.

The loss is ``-advantage * log p(decisions) - entropy_weight * entropy``, summed over the
decisions; its gradient is what :meth:`PolicyAdam.apply` takes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nas.samplers._controller._policy import Forward, Policy


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
    forward: Forward | None = None,
) -> Gradient:
    """Gradient of ``-advantage * log_prob - entropy_weight * entropy`` of one sequence.

    ``forward``: the policy's forward pass over this sequence, if already at hand (the one
    sampling computed, while the policy has not moved since); else it is computed here,
    by the same steps, so the gradient is the same either way.
    """
    arrays = policy.arrays()
    w_ih, w_hh = arrays["cell.weight_ih"], arrays["cell.weight_hh"]
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

    # forward: each step's input is the previous decision's embedding
    x = np.concatenate([start, table[chosen[:-1]]])  # (steps, H)
    if forward is None:
        forward = policy.unroll(x)
    hs, cs = forward.hs, forward.cs  # hs[t + 1]: hidden state after step t
    acts = forward.gates.reshape(steps, 4, n)  # i, f, g, o after their squashing
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
