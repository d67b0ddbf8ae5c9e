"""Adam for the controller's policy, lazy over the head bank.

The policy keeps every head in one tensor (``_policy.py``). Plain Adam on that tensor would
move every head at every step, the unused ones by momentum alone; the controller's Adam
has always left a head alone until a trial used it, and each head's bias correction counts
only its own steps. This optimizer keeps that: the LSTM cell and start vector take a fused
torch Adam step; in the bank, only rows with a gradient move, each row with its own step
count (lazy Adam, as for sparse embeddings). Tested equal to torch's Adam on one tensor per
head (tests/samplers/test_controller.py).
"""

from __future__ import annotations

import torch

from nas.samplers._controller._policy import Policy


class PolicyAdam:
    """``zero_grad`` / ``step`` over a :class:`Policy` whose bank grows as heads appear."""

    def __init__(
        self,
        policy: Policy,
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.policy, self.lr, self.betas, self.eps = policy, lr, betas, eps
        core = [p for name, p in policy.named_parameters() if name != "bank"]
        # one parameter group, one fused kernel for the cell and the start vector
        self._core = torch.optim.Adam(core, lr=lr, betas=betas, eps=eps, fused=True)
        width = policy.bank.shape[1]
        self._m = torch.zeros(0, width)
        self._v = torch.zeros(0, width)
        self._steps = torch.zeros(0)

    def zero_grad(self) -> None:
        self._core.zero_grad()
        self.policy.bank.grad = None

    def _grow(self, rows: int) -> None:
        """New heads start with zero moments and no steps, as a new tensor would."""
        extra = rows - self._steps.shape[0]
        if extra > 0:
            self._m = torch.cat([self._m, self._m.new_zeros(extra, self._m.shape[1])])
            self._v = torch.cat([self._v, self._v.new_zeros(extra, self._v.shape[1])])
            self._steps = torch.cat([self._steps, self._steps.new_zeros(extra)])

    @torch.no_grad()
    def step(self) -> None:
        self._core.step()
        bank = self.policy.bank
        grad = bank.grad
        if grad is None:
            return
        self._grow(bank.shape[0])
        rows = grad.ne(0).any(1).nonzero()[:, 0]  # the used heads' rows
        g = grad[rows]
        beta1, beta2 = self.betas
        steps = self._steps[rows] + 1
        m = self._m[rows].lerp_(g, 1 - beta1)
        v = self._v[rows].mul_(beta2).addcmul_(g, g, value=1 - beta2)
        self._steps[rows], self._m[rows], self._v[rows] = steps, m, v
        step_size = (self.lr / (1 - beta1**steps))[:, None]
        denom = (v.sqrt() / (1 - beta2**steps).sqrt()[:, None]).add_(self.eps)
        bank.index_add_(0, rows, -step_size * m / denom)
