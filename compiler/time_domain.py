"""Time-domain kernels of the Scandi–Alhambra KMS generator (the forms the circuit back-end lowers).

Form 2 of physics.md §2.5: the exactly-KMS dissipator is the T = 0 dissipator of the ULE jump
B = Σ_ν ĝ(−ν) A(ν) = ∫du g(u) A(−u), conjugated by a Gaussian-random Heisenberg time
s ~ N(0, T²/2); the coherent term is a single-time integral H_⊥ = ∫dt φ(t) e^{iHt} K_B e^{−iHt},
K_B = Σ_k B_k^† B_k.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_positive
from ._quadrature import composite_gauss_legendre

__all__ = ["coherent_filter", "coherent_filter_transform", "gaussian_time_nodes"]

_CUT = 9.0


def coherent_filter_transform(mu: np.ndarray | float, *, beta: float, coarse_graining_time: float) -> np.ndarray:
    """φ̂(μ) = ∫dt φ(t) e^{iμt} = (i/2) tanh(βμ/4) e^{−T²μ²/4}: the weight of (K_B)(μ) in H_⊥."""
    mu = np.asarray(mu, dtype=float)
    T = coarse_graining_time
    return 0.5j * np.tanh(beta * mu / 4) * np.exp(-(T * T) * mu * mu / 4)


def coherent_filter(t: np.ndarray | float, *, beta: float, coarse_graining_time: float) -> np.ndarray:
    """φ(t) = (1/4π) ∫dμ sin(μt) tanh(βμ/4) e^{−T²μ²/4} (real, odd, decays like e^{−2π|t|/β}).

    Computed by composite Gauss–Legendre over μ ∈ [0, 18/T] (the Gaussian is e^{−81} beyond).

    References:
        physics.md §2.5 ("Corrected time-domain forms"), derived from Scandi & Alhambra Thm 14.
    """
    beta = check_positive("beta", beta)
    T = check_positive("coarse_graining_time", coarse_graining_time)
    t = np.asarray(t, dtype=float)
    mu_max = 2 * _CUT / T
    tmax = float(np.max(np.abs(t))) if t.size else 0.0
    width = min(1.0 / T, 2.0 / beta, math.pi / tmax if tmax > 0 else np.inf)
    mu, w = composite_gauss_legendre(np.array([0.0, mu_max]), width)
    weight = w * np.tanh(beta * mu / 4) * np.exp(-(T * T) * mu * mu / 4) / (2 * math.pi)
    flat = t.ravel()
    out = np.empty(flat.shape)
    for start in range(0, flat.size, 512):
        out[start : start + 512] = np.sin(np.outer(flat[start : start + 512], mu)) @ weight
    return out.reshape(t.shape)


def gaussian_time_nodes(coarse_graining_time: float, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes s_m = T x_m and weights w_m/√π for averages over s ~ N(0, T²/2)."""
    T = check_positive("coarse_graining_time", coarse_graining_time)
    if int(count) < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    x, w = np.polynomial.hermite.hermgauss(int(count))
    return T * x, w / math.sqrt(math.pi)
