"""A Parzen estimator over numeric ranges: TPE's density model, as a few array operations.

Optuna 5's TPE (``optuna/samplers/_tpe/parzen_estimator.py``) models the good and the bad
trials' parameters each as a mixture of truncated normals: one kernel per observation,
centred on it, with the distance to its farther neighbour as its width (clipped to the
range over ``min(100, kernels + 1)`` and to the whole range; at the two ends the inner
neighbour's distance), plus a prior kernel of the range's width at its centre. Log ranges
are modelled in log space, stepped and integer ones by the mass of the step's cell around
each value. This is that model for int and float ranges only, with the same rules and
defaults, built and evaluated with one array operation per step (Optuna's general version
also carries categorical kernels; a TPE draw with it costs about twice as much,
``benchmarks/inner_sampler.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from optuna.distributions import FloatDistribution, IntDistribution
from scipy.special import log_ndtr, ndtr, ndtri

PRIOR_WEIGHT = 1.0  # the prior kernel's weight among the observations' (Optuna's default)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)

NumericDistribution = FloatDistribution | IntDistribution


@dataclass(frozen=True)
class Ranges:
    """The ``d`` numeric ranges an estimator models, as arrays over the ranges: log ranges
    in log space, stepped ones widened by half a step (the cells around the end values)."""

    low: np.ndarray  # (d,) modelled bounds
    high: np.ndarray
    log: np.ndarray  # (d,) bool
    step: np.ndarray  # (d,) the grid's step, 0 on continuous ranges
    grid_low: np.ndarray  # (d,) the ranges' own bounds, where stepped values snap
    grid_high: np.ndarray

    @classmethod
    def of(cls, dists: list[NumericDistribution]) -> Ranges:
        grid_low = np.array([float(d.low) for d in dists])
        grid_high = np.array([float(d.high) for d in dists])
        step = np.array([0.0 if d.step is None else float(d.step) for d in dists])
        log = np.array([d.log for d in dists])
        low, high = grid_low - step / 2, grid_high + step / 2
        low[log], high[log] = np.log(low[log]), np.log(high[log])
        return cls(low, high, log, step, grid_low, grid_high)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Values ``(m, d)`` in the ranges' units into the estimator's space."""
        x = np.array(values, dtype=float)
        x[:, self.log] = np.log(x[:, self.log])
        return x

    def untransform(self, x: np.ndarray) -> np.ndarray:
        """Estimator-space points ``(m, d)`` back to values, snapped to each range's grid."""
        values = np.array(x, dtype=float)
        values[:, self.log] = np.exp(values[:, self.log])
        stepped = self.step > 0
        if stepped.any():
            low, step = self.grid_low[stepped], self.step[stepped]
            values[:, stepped] = low + np.round((values[:, stepped] - low) / step) * step
        return np.clip(values, self.grid_low, self.grid_high)


def _log_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """log(Phi(b) - Phi(a)) for a <= b, accurate in either tail (mirrored into the lower one,
    where log_ndtr keeps its precision)."""
    upper = a > 0
    lo, hi = np.where(upper, -b, a), np.where(upper, -a, b)
    log_hi, log_lo = log_ndtr(hi), log_ndtr(lo)
    with np.errstate(divide="ignore"):  # a cell whose mass underflows: log 0
        return log_hi + np.log1p(-np.exp(log_lo - log_hi))


@dataclass(frozen=True)
class ParzenEstimator:
    """A weighted mixture of truncated normals, one per observation plus the prior.

    Built by :meth:`fit` from ``observations`` ``(n, d)``, the trials' values of the
    ranges (in their own units), and ``weights`` ``(n,)``, each observation's weight.
    """

    ranges: Ranges
    weights: np.ndarray  # (k,) of the k = n + 1 kernels, normalised
    mus: np.ndarray  # (k, d), in estimator space
    sigmas: np.ndarray  # (k, d)
    a: np.ndarray  # (k, d): the bounds, standardised per kernel
    b: np.ndarray
    log_norm: np.ndarray  # (k,) log weight minus log normaliser of each kernel's density

    @classmethod
    def fit(cls, ranges: Ranges, observations: np.ndarray, weights: np.ndarray) -> ParzenEstimator:
        low, high = ranges.low, ranges.high
        x = ranges.transform(observations)
        n = len(x)
        width = high - low
        sigmas = np.empty_like(x)
        if n:
            order = np.argsort(x, axis=0)  # numpy's default sort, as Optuna: the same ties
            padded = np.vstack([low, np.take_along_axis(x, order, axis=0), high])
            gaps = np.diff(padded, axis=0)  # (n + 1, d): the bounds are outer neighbours
            ranked_sigmas = np.maximum(gaps[:-1], gaps[1:])
            if n >= 2:  # the ends take their inner neighbour's distance, not the bound's
                ranked_sigmas[0], ranked_sigmas[-1] = gaps[1], gaps[-2]
            np.put_along_axis(sigmas, order, ranked_sigmas, axis=0)
            sigmas = np.clip(sigmas, width / min(100.0, n + 2.0), width)
        mus = np.vstack([x, (low + high) / 2])
        sigmas = np.vstack([sigmas, width])
        w = np.append(weights, PRIOR_WEIGHT) if n else np.ones(1)
        w = w / w.sum()
        a, b = (low - mus) / sigmas, (high - mus) / sigmas
        log_norm = np.log(w) - _log_mass(a, b).sum(axis=1)
        continuous = ranges.step == 0
        log_norm -= (np.log(sigmas[:, continuous]) + _HALF_LOG_2PI).sum(axis=1)
        return cls(ranges, w, mus, sigmas, a, b, log_norm)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws ``(size, d)``, in the ranges' own units (grid-snapped)."""
        kernel = rng.choice(len(self.mus), p=self.weights, size=size)
        lo, hi = ndtr(self.a[kernel]), ndtr(self.b[kernel])
        z = ndtri(lo + rng.random(lo.shape) * (hi - lo))
        return self.ranges.untransform(self.mus[kernel] + self.sigmas[kernel] * z)

    def log_pdf(self, values: np.ndarray) -> np.ndarray:
        """The mixture's log density ``(m,)`` at ``values`` ``(m, d)``, in estimator space
        (log ranges without the Jacobian, which cancels in TPE's ratio of two densities);
        on stepped ranges the log mass of each value's cell."""
        ranges = self.ranges
        x = ranges.transform(values)
        continuous = ranges.step == 0
        z = (x[:, None, continuous] - self.mus[:, continuous]) / self.sigmas[:, continuous]
        total = self.log_norm - 0.5 * (z * z).sum(axis=2)  # (m, k)
        for i in np.flatnonzero(~continuous):
            half = ranges.step[i] / 2
            edges = np.column_stack([values[:, i] - half, values[:, i] + half])
            if ranges.log[i]:
                edges = np.log(edges)
            mu, sigma = self.mus[:, i], self.sigmas[:, i]
            total += _log_mass((edges[:, :1] - mu) / sigma, (edges[:, 1:] - mu) / sigma)
        peak = total.max(axis=1, keepdims=True)
        peak[~np.isfinite(peak)] = 0.0
        with np.errstate(divide="ignore"):
            return np.log(np.exp(total - peak).sum(axis=1)) + peak[:, 0]
