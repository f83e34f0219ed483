"""How long the exact evolution takes to come within a distance of Gibbs: the χ² bound from the gap.

For a generator L whose dissipative part is KMS-detailed-balanced (self-adjoint in the KMS inner
product ⟨X, Y⟩_σ = Tr[X† σ^{−1/2} Y σ^{−1/2}]) with gap λ, and −i[H, ·] with [H, σ] = 0 (skew-adjoint
there), every traceless X decays as ‖e^{tL}X‖_σ ≤ e^{−λt}‖X‖_σ, and ‖X‖₁ ≤ ‖X‖_σ (Cauchy–Schwarz), so

    ½‖e^{tL}ρ₀ − σ‖₁ ≤ ½ e^{−λt} √χ²(ρ₀, σ),   χ²(ρ₀, σ) = ‖ρ₀ − σ‖_σ².

References:
    Temme, Kastoryano, Ruskai, Wolf & Verstraete, arXiv:1005.2358.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg as sla

from kmsgibbs.compiler import Lindbladian

from . import exact

__all__ = ["chi_squared", "mixing_time"]


def chi_squared(rho0: np.ndarray, sigma: np.ndarray) -> float:
    """χ²(ρ₀, σ) = Tr[(ρ₀ − σ) σ^{−1/2} (ρ₀ − σ) σ^{−1/2}] for a full-rank σ."""
    root = sla.fractional_matrix_power(sigma, -0.5)
    x = np.asarray(rho0) - sigma
    return float(np.real(np.trace(x @ root @ x @ root)))


def mixing_time(lind: Lindbladian, rho0: np.ndarray, distance: float) -> float:
    """The smallest t with ½ e^{−λt} √χ²(ρ₀, σ_β) ≤ ``distance`` (0 when ρ₀ is already that close).

    Args:
        lind: a KMS-detailed-balanced generator (its dense gap, n ≤ 6).
        rho0: the initial state, a (d, d) density matrix.
        distance: the trace distance to reach, > 0.
    """
    prefactor = 0.5 * math.sqrt(max(chi_squared(rho0, lind.gibbs_state()), 0.0))
    if prefactor <= distance:
        return 0.0
    return math.log(prefactor / distance) / exact.gap(lind).gap
