"""The distributions a randomized step draws from: the Gaussian Heisenberg time s and the coherent time t.

Scandi–Alhambra, docs/master_equations.md: the exactly-KMS dissipator is E_{s∼N(0,T²/2)} D[B(s)], and the
coherent term is H_⊥ = ∫dt φ(t) K_B(t), K(t) = e^{iHt} K e^{−iHt}, with

    φ(t) = (1/4π) ∫dμ sin(μt) m(μ),   m(μ) = tanh(βμ/4) e^{−T²μ²/4}   (φ̂(μ) = (i/2) m(μ)).

At T = 0 (DLL, CKG, Scandi–Alhambra at T = 0) m = tanh(βμ/4) is not integrable and φ ∝ 1/sinh(2πt/β)
is a principal value. K_B(μ) only has components at Bohr differences |μ| ≤ 2B, so m is multiplied by a
smooth bump w with w = 1 on [−2B, 2B]: on the operator, H_⊥ is unchanged, and φ becomes integrable.
Both are then expectations, E_t[‖φ‖₁ sign φ(t) K_B(t)] with t ∼ |φ|/‖φ‖₁, sampled exactly (inverse
transform of the tabulated density) instead of discretised.

References:
    docs/master_equations.md ("Corrected time-domain forms"); Scandi & Alhambra, arXiv:2505.20064, Thm 14.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import ndtr, ndtri

from .._checks import check_integer, check_positive
from .._quadrature import composite_gauss_legendre
from .time_grids import coherent_filter_transform

__all__ = ["TruncatedGaussian", "CoherentKernel", "coherent_kernel", "draw_seed"]


def draw_seed(seed: object) -> np.random.Generator:
    """A NumPy generator from an integer seed (``TypeError`` naming any other value)."""
    return np.random.default_rng(check_integer("seed", seed, minimum=0))


@dataclass(frozen=True)
class TruncatedGaussian:
    """N(0, deviation²) conditioned on |s| ≤ cutoff.

    Attributes:
        deviation: σ (σ = T/√2 for the Scandi–Alhambra average).
        cutoff: the truncation |s| ≤ cutoff.
    """

    deviation: float
    cutoff: float

    @classmethod
    def with_tail(cls, deviation: float, tail: float) -> TruncatedGaussian:
        """The truncation that drops probability ``tail`` (2Φ̄(c/σ) = tail)."""
        deviation = check_positive("deviation", deviation)
        return cls(deviation, deviation * float(-ndtri(tail / 2)))

    @property
    def tail(self) -> float:
        """The dropped probability P(|s| > cutoff) of the untruncated Gaussian."""
        return float(2 * ndtr(-self.cutoff / self.deviation))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` exact draws (inverse transform of the truncated CDF)."""
        lo = ndtr(-self.cutoff / self.deviation)
        u = rng.uniform(lo, 1 - lo, size)
        return self.deviation * ndtri(u)

    def quadrature(self, panels: int = 24, order: int = 12) -> tuple[np.ndarray, np.ndarray]:
        """Nodes and weights (summing to 1) of the truncated density, composite Gauss–Legendre."""
        x, w = composite_gauss_legendre(np.array([-self.cutoff, self.cutoff]), 2 * self.cutoff / panels, order=order)
        w = w * np.exp(-0.5 * (x / self.deviation) ** 2)
        return x, w / w.sum()


@dataclass(frozen=True, eq=False)
class CoherentKernel:
    """φ on |t| ≤ t_max, tabulated, and the distribution t ∼ |φ|/‖φ‖₁ with the sign sign φ(t).

    Attributes:
        times: table nodes −t_max = t_0 < … < t_N = t_max.
        values: φ at the nodes (φ is the piecewise-linear interpolant, 0 beyond t_max).
        norm: ‖φ‖₁ of the table (what is sampled).
        tail: ∫_{|t|>t_max} |φ| / ‖φ‖₁ of the exact kernel, dropped.
        table_error: ∫|φ − φ_table| / ‖φ‖₁ over [−t_max, t_max] (the interpolation's deviation).
        multiplier: a description of m(μ).
        beta, coarse_graining_time, band: what m is made of (``transform``).
    """

    times: np.ndarray
    values: np.ndarray
    norm: float
    tail: float
    table_error: float
    multiplier: str
    beta: float = 1.0
    coarse_graining_time: float = 0.0
    band: float = math.inf

    def transform(self, mu: np.ndarray) -> np.ndarray:
        """φ̂(μ) = ∫dt φ(t) e^{iμt} = (i/2) m(μ) of the exact kernel (the table approximates it)."""
        return _transform(mu, self.beta, self.coarse_graining_time, self.band)

    @property
    def cutoff(self) -> float:
        return float(self.times[-1])

    def __call__(self, t: np.ndarray | float) -> np.ndarray:
        """φ(t) of the table (piecewise linear; 0 beyond t_max)."""
        return np.interp(np.asarray(t, dtype=float), self.times, self.values, left=0.0, right=0.0)

    @cached_property
    def _table_cdf(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # |φ|, its cell masses and their CDF: a sampler draws a few values per instance, so the
        # table's cumulative sum (10⁴ nodes) must not be redone per call
        p = np.abs(self.values)
        cells = _cells(self.times, p)
        return p, cells, np.concatenate([[0.0], np.cumsum(cells)])

    def sample(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """``size`` draws t ∼ |φ_table|/‖φ_table‖₁ (exact inverse transform of the piecewise-linear
        density) and their signs sign φ(t) ∈ {−1, +1}."""
        p, cells, cdf = self._table_cdf
        u = rng.uniform(0.0, cdf[-1], size)
        k = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, cells.size - 1)
        r = u - cdf[k]
        h = self.times[k + 1] - self.times[k]
        a, b = p[k], (p[k + 1] - p[k]) / h  # density a + b·x on the cell, CDF a·x + b·x²/2
        with np.errstate(divide="ignore", invalid="ignore"):
            quadratic = np.where(np.abs(b) > 1e-300, (np.sqrt(np.maximum(a * a + 2 * b * r, 0.0)) - a) / b, 0.0)
        x = np.where(np.abs(b) * h > 1e-12 * np.maximum(a, 1e-300), quadratic, r / np.maximum(a, 1e-300))
        t = self.times[k] + np.clip(x, 0.0, h)
        return t, np.where(self(t) >= 0, 1.0, -1.0)

    def quadrature(self, panels: int = 64, order: int = 12) -> tuple[np.ndarray, np.ndarray]:
        """Nodes t_q and signed weights ∝ φ(t_q)·w_q, Σ|weight| = 1, over [−t_max, t_max] (composite Gauss–Legendre,
        ``panels`` per side on the fine part of the table and as many on the rest): Σ_q weight_q f(t_q)
        ≈ E_t[sign φ(t) f(t)]."""
        spacing = np.diff(self.times)
        coarse = spacing > 1.5 * spacing.min()
        t_1 = float(np.max(np.abs(self.times[:-1][~coarse]))) if coarse.any() else self.cutoff
        breaks = [0.0, t_1, self.cutoff] if t_1 < self.cutoff else [0.0, self.cutoff]
        parts = [
            composite_gauss_legendre(np.array([lo, hi]), (hi - lo) / panels, order=order)
            for lo, hi in zip(breaks[:-1], breaks[1:])
        ]
        t = np.concatenate([p[0] for p in parts])
        w = np.concatenate([p[1] for p in parts])
        t, w = np.concatenate([-t[::-1], t]), np.concatenate([w[::-1], w])
        signed = w * self(t)
        # the weights of a probability: Σ|weight| = 1 exactly, so the averaged channel stays trace
        # preserving (normalising by the table's trapezoid ‖φ‖₁ instead left ~1e-4 per step at T = 0)
        return t, signed / np.abs(signed).sum()


def _cells(times: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Trapezoid masses of a piecewise-linear density on each cell."""
    return 0.5 * np.diff(times) * (density[:-1] + density[1:])


def _transform(mu: np.ndarray, beta: float, T: float, band: float) -> np.ndarray:
    """φ̂(μ) = (i/2) tanh(βμ/4) e^{−T²μ²/4}, at T = 0 cut by the bump (1 on |μ| ≤ 2B, 0 beyond 4B)."""
    out = coherent_filter_transform(mu, beta=beta, coarse_graining_time=T)
    return out * _bump(np.abs(mu) / (2 * band) - 1) if T == 0 else out


def _bump(x: np.ndarray) -> np.ndarray:
    """C^∞ step: 1 for x ≤ 0, 0 for x ≥ 1 (ratio of e^{−1/u} functions)."""
    x = np.clip(np.asarray(x, dtype=float), 0.0, 1.0)
    with np.errstate(divide="ignore", over="ignore"):
        a = np.where(x < 1, np.exp(-1.0 / np.maximum(1 - x, 1e-300)), 0.0)
        b = np.where(x > 0, np.exp(-1.0 / np.maximum(x, 1e-300)), 0.0)
    return a / (a + b)


def coherent_kernel(
    *, beta: float, coarse_graining_time: float, band: float, tail: float = 1e-10, table_points: int = 4097
) -> CoherentKernel:
    """The coherent kernel φ of docs/master_equations.md for H_⊥ = ∫dt φ(t) K_B(t), tabulated for sampling.

    Args:
        beta: inverse temperature.
        coarse_graining_time: T ≥ 0.
        band: B, the Bohr band of the frames' Hamiltonian: K_B(μ) lives on |μ| ≤ 2B. For T = 0 the
            multiplier tanh(βμ/4) is cut by a C^∞ bump equal to 1 on |μ| ≤ 2B and 0 beyond 4B
            (exact on the operator); for T > 0 the Gaussian already makes φ integrable.
        tail: the dropped tail mass ∫_{|t|>t_max}|φ| / ‖φ‖₁ the cutoff t_max must stay below.
        table_points: table nodes on [0, t_max].
    """
    beta = check_positive("beta", beta)
    T = check_positive("coarse_graining_time", coarse_graining_time, allow_zero=True)
    band = check_positive("band", band)
    def m(mu: np.ndarray) -> np.ndarray:  # m = φ̂/(i/2), real
        return 2 * _transform(mu, beta, T, band).imag

    if T > 0:
        mu_max = min(36.0 / T, 4 * band + 36.0 / T)
        label = f"tanh(βμ/4)·exp(−T²μ²/4), β={beta:g}, T={T:g}"
        width = min(1.0 / T, 2.0 / beta)
    else:
        mu_max = 4 * band
        label = f"tanh(βμ/4)·bump(|μ| ≤ 2B = {2 * band:g}, 0 beyond {4 * band:g}), β={beta:g}"
        width = min(2.0 / beta, band / 4)

    def phi(t: np.ndarray) -> np.ndarray:
        # φ(t) = (1/2π) ∫_0^{μmax} sin(μt) m(μ) dμ; panels resolve both m and the oscillation
        top = float(np.max(t)) if t.size else 0.0
        mu, w = composite_gauss_legendre(np.array([0.0, mu_max]), min(width, math.pi / max(top, 1e-12)), order=16)
        weight = w * m(mu) / (2 * math.pi)
        out = np.empty(t.shape)
        for start in range(0, t.size, 1024):
            out[start : start + 1024] = np.sin(np.outer(t[start : start + 1024], mu)) @ weight
        return out

    # the tail decays at least like e^{−2πt/β} (tanh's poles) and like the bump's transform: widen until
    # the mass beyond t_max, measured on a grid to 2·t_max, is below ``tail``
    t_max = 6.0 * beta + 2.0 * T
    while True:
        wide = np.linspace(0.0, 2 * t_max, table_points)
        cells = _cells(wide, np.abs(phi(wide)))
        inside, beyond = cells[: table_points // 2].sum(), cells[table_points // 2 :].sum()
        if beyond <= tail * inside / 4 or t_max > 200 * max(beta, T, 1.0):
            break
        t_max *= 2.0
    # then the shortest cutoff whose tail (to 2·t_max, doubled for what lies beyond) is within ``tail``:
    # every sampled time costs frame length, so the cutoff is what the budget allows, no more
    total = cells.sum()
    right = np.concatenate([np.cumsum(cells[::-1])[::-1], [0.0]])  # mass beyond each node
    cut = int(np.argmax(2 * right <= tail * total))
    t_max, beyond = float(wide[max(cut, 1)]), float(right[max(cut, 1)])
    # φ varies on the scale 1/(4B) near 0 at T = 0 and on β, T beyond: a fine table up to t_1, coarser after
    t_1 = min(t_max, 2 * beta + T)
    half = np.concatenate([np.linspace(0.0, t_1, table_points), np.linspace(t_1, t_max, table_points // 2 + 1)[1:]])
    values = phi(half)
    mids = 0.5 * (half[:-1] + half[1:])
    # the interpolant's deviation, by Simpson's rule on every cell (φ at the cell midpoints)
    deviation = float(np.sum(np.diff(half) * 2 / 3 * np.abs(phi(mids) - 0.5 * (values[:-1] + values[1:]))))
    times = np.concatenate([-half[:0:-1], half])  # φ is odd
    values = np.concatenate([-values[:0:-1], values])
    norm = float(_cells(times, np.abs(values)).sum())
    table_error = 2 * deviation / norm
    # the tail was measured on the wide grid; beyond it, the decay makes it at most as much again
    dropped = 4 * beyond / norm
    return CoherentKernel(times, values, norm, dropped, table_error, label, beta, T, band)
