"""The Gibbs certificate beyond dense sizes: the contraction from a lower bound on the spectral gap.

For a generator L whose dissipative part is KMS-detailed-balanced — self-adjoint in
⟨X, Y⟩_σ = Tr[X† σ^{−1/2} Y σ^{−1/2}], the inner product the Krylov gap symmetrises with
(S = Γ^{−1/2} L Γ^{1/2}, Γ^{1/2}X = σ^{1/4}Xσ^{1/4}, is Hermitian) — with spectral gap λ ≥ λ₋:

1. Traceless X is ⟨·,·⟩_σ-orthogonal to σ (⟨σ, X⟩_σ = Tr X = 0), the kernel of L, so
   ‖e^{sL}X‖_σ ≤ e^{−λs}‖X‖_σ.
2. ‖Y‖₁ ≤ ‖Y‖_σ: Y = σ^{1/4}(σ^{−1/4}Yσ^{−1/4})σ^{1/4} and Hölder with ‖σ^{1/4}‖₄² = 1.
3. ‖ρ − σ‖_σ² = χ²(ρ, σ) ≤ 1/λ_min(σ) − 1 for every state ρ (convex in ρ, equal to
   ⟨ψ|σ^{−1/2}|ψ⟩² − 1 on pure states). A traceless Hermitian X is a(ρ₊ − ρ₋), a = ‖X‖₁/2, so
   ‖X‖_σ ≤ a(‖ρ₊ − σ‖_σ + ‖ρ₋ − σ‖_σ) ≤ ‖X‖₁ √(1/λ_min(σ) − 1).

Hence the trace-norm contraction on traceless operators and the transient:

    η(s) = sup ‖e^{sL}X‖₁/‖X‖₁ ≤ min(1, √(1/λ_min(σ) − 1) e^{−λ₋s}),
    ½‖e^{tL}ρ₀ − σ‖₁ ≤ min(½‖ρ₀ − σ‖₁, ½ e^{−λ₋t} √χ²(ρ₀, σ)).

With the circuits' step channels Φ_j, Y = e^{dt L} and E_j = Φ_j − Y (trace-annihilating), the exact
identity ρ_k − σ = Y^k(ρ₀ − σ) + Σ_{j<k} Y^{k−1−j} E_j ρ_j and ½‖E_j ρ_j‖₁ ≤ e (a per-step bound on
½‖Φ_j − Y‖ over states, e.g. the norms error budget over one step) give

    ½‖ρ_k − σ‖₁ ≤ transient + e · Σ_{i<k} η(i·dt),

which saturates at ≈ e·(ln C + 1)/(λ₋dt), C = √(1/λ_min(σ) − 1). The per-step bound's named terms
are kept apart (each times Σ η), so the loosest one is visible.

The gap's lower bound comes from a ``SpectralGap`` (``simulators.exact.gap``): dense eigenvalues
exclude every other eigenvalue; a Lanczos Ritz value θ with residual r only certifies that *some*
eigenvalue lies in [θ − r, θ + r] (Parlett, The Symmetric Eigenvalue Problem, Thm 4.5.1), per symmetry
sector min_s(θ_s − r_s). That no eigenvalue lies below it needs more (Temple's bound needs a lower bound
on the next eigenvalue; an inertia count needs a factorisation), so a Lanczos gap marks every term
that depends on it as an estimate.

References:
    Temme, Kastoryano, Ruskai, Wolf & Verstraete, arXiv:1005.2358 (χ² contraction); Carlen & Maas,
    J. Funct. Anal. 273, 1810 (2017) (KMS symmetry); Parlett, The Symmetric Eigenvalue Problem
    (SIAM 1998), Thm 4.5.1 (residual bound); docs/certificate.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .error_budget import ErrorBound

__all__ = ["SpectralGapLike", "GapLowerBound", "GapContraction", "gap_lower_bound", "gap_certificate", "chi_squared"]


class SpectralGapLike(Protocol):
    """What ``simulators.exact.gap`` returns (the compiler does not import the simulators)."""

    gap: float
    residual: float
    method: str
    sectors: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class GapLowerBound:
    """λ₋ ≤ the spectral gap of a KMS-symmetric generator.

    Attributes:
        value: λ₋.
        method: how the gap was computed (``"dense"``, ``"lanczos"``).
        excluded: True when no eigenvalue can lie below λ₋ (dense spectra); False for a Ritz value,
            whose residual bounds only the eigenvalue nearest to it.
    """

    value: float
    method: str
    excluded: bool


def gap_lower_bound(spectral_gap: SpectralGapLike) -> GapLowerBound:
    """λ₋ from a ``SpectralGap``: min over symmetry sectors of (θ − r), else gap − residual.

    Dense spectra (LAPACK, residual 0) lose a relative 10⁻⁸ for the eigensolver's rounding.

    Raises:
        ValueError: an Arnoldi gap (a non-KMS generator: no χ² contraction), or λ₋ ≤ 0.
    """
    method = spectral_gap.method
    if method == "arnoldi":
        raise ValueError("the χ² contraction needs a KMS-symmetric generator (a Lanczos or dense gap), got an Arnoldi gap")
    if method == "dense":
        value = spectral_gap.gap * (1 - 1e-8)
    elif spectral_gap.sectors:
        value = min(theta - r for theta, r in spectral_gap.sectors)
    else:
        value = spectral_gap.gap - spectral_gap.residual
    if not value > 0:
        raise ValueError(f"the gap is not resolved: lower bound {value:.3g} ≤ 0 (gap {spectral_gap.gap:.3g}, residual {spectral_gap.residual:.3g})")
    return GapLowerBound(value=float(value), method=method, excluded=method == "dense")


def chi_squared(rho0: np.ndarray, sigma: np.ndarray) -> float:
    """χ²(ρ₀, σ) = Tr[(ρ₀ − σ)σ^{−1/2}(ρ₀ − σ)σ^{−1/2}] for a full-rank σ (in σ's eigenbasis)."""
    w, v = np.linalg.eigh(sigma)
    x = v.conj().T @ (np.asarray(rho0) - sigma) @ v
    root = w ** -0.5
    return float(np.real(np.sum(np.abs(x) ** 2 * np.outer(root, root))))


@dataclass(frozen=True)
class GapContraction:
    """η(s) ≤ min(1, C e^{−λ₋s}) on traceless operators, C = √(1/λ_min(σ) − 1); see the module docstring.

    Attributes:
        gap: λ₋, a lower bound on the spectral gap.
        prefactor: C.
    """

    gap: float
    prefactor: float

    def eta(self, s: float) -> float:
        """The bound on sup ‖e^{sL}X‖₁/‖X‖₁ over traceless Hermitian X."""
        return min(1.0, self.prefactor * math.exp(-self.gap * s))

    def damped_sum(self, steps: float, dt: float) -> float:
        """Σ_{i<steps} η(i·dt) in closed form (``steps`` may be ``math.inf``)."""
        q = math.exp(-self.gap * dt)
        # the first i0 terms are capped at 1 (C e^{−λ i dt} ≥ 1), the rest are geometric
        i0 = 0 if self.prefactor <= 1 else math.floor(math.log(self.prefactor) / (self.gap * dt)) + 1
        if steps <= i0:
            return float(steps)
        rest = 1.0 if steps == math.inf else 1.0 - q ** (steps - i0)
        return i0 + self.prefactor * q**i0 * rest / (1.0 - q)


def gap_certificate(
    contraction: GapContraction,
    step: ErrorBound,
    *,
    time: float,
    steps: float,
    dt: float,
    transient: float,
    estimated: bool,
) -> ErrorBound:
    """½‖ρ_k − σ‖₁ ≤ transient + Σ_terms e_term · Σ_{i<k} η(i·dt), as named terms.

    Args:
        contraction: the bound on η.
        step: a bound on ½‖Φ_j − e^{dt L}‖ over states for every step j, as named terms (one step).
        time: t = k·dt (or ``math.inf``).
        steps: k (or ``math.inf``).
        dt: the step.
        transient: a bound on ½‖e^{tL}ρ₀ − σ‖₁ (0 at t = ∞).
        estimated: the gap is a Ritz value (every term depends on it) rather than a dense spectrum.

    References:
        Temme et al., arXiv:1005.2358; docs/certificate.md.
    """
    damped = contraction.damped_sum(steps, dt)
    terms: Mapping[str, float] = {"transient": transient} | {name: value * damped for name, value in step.terms.items()}
    names = tuple(terms) if estimated else tuple(step.estimated)
    return ErrorBound(time=time, terms=dict(terms), method="gap_certificate", estimated=names)
