"""Structural checks of a generator, computed from its dense computational-basis superoperator.

They deliberately do not use the energy-basis internals of :class:`Lindbladian`, so they test the
construction rather than restate it. Column-stacked vec convention: vec(A X B) = (Bᵀ ⊗ A) vec(X).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import sqrtm

from kmsgibbs.compiler import Lindbladian

__all__ = [
    "kms_defect",
    "gns_defect",
    "is_trace_preserving",
    "is_completely_positive",
    "stationarity_defect",
    "conditional_choi_spectrum",
]


def _sandwich(sup: np.ndarray, left: np.ndarray, right: np.ndarray, inner_left, inner_right) -> np.ndarray:
    """M = 𝒜 ∘ S ∘ ℬ with 𝒜(X) = left X right and ℬ(X) = inner_left X inner_right."""
    d = left.shape[0]
    s4 = sup.reshape(d, d, d, d)  # [b, a, dd, c]: row a + d b, column c + d dd
    out = np.einsum("Aa,badc,bB,cC,Dd->BADC", left, s4, right, inner_left, inner_right, optimize=True)
    return out.reshape(d * d, d * d)


def _power(sigma: np.ndarray, p: float) -> np.ndarray:
    w, v = np.linalg.eigh(sigma)
    return (v * np.maximum(w, 0.0) ** p) @ v.conj().T


def _hermitian_defect(m: np.ndarray) -> float:
    return float(np.linalg.norm(m - m.conj().T) / np.linalg.norm(m))


def _superoperator(gen) -> np.ndarray:
    return gen.superoperator() if isinstance(gen, Lindbladian) else np.asarray(gen)


def kms_defect(gen: Lindbladian | np.ndarray, sigma: np.ndarray | None = None) -> float:
    """‖M − M^†‖/‖M‖ with M = Γ^{−1/2} ∘ L ∘ Γ^{1/2}, Γ^{1/2}(X) = σ^{1/4} X σ^{1/4}.

    Zero exactly when L is self-adjoint for ⟨X, Y⟩_σ = Tr(X^† σ^{1/2} Y σ^{1/2}) (KMS detailed balance).
    """
    sigma = gen.gibbs_state() if sigma is None else sigma
    q, qi = _power(sigma, 0.25), _power(sigma, -0.25)
    return _hermitian_defect(_sandwich(_superoperator(gen), qi, qi, q, q))


def gns_defect(gen: Lindbladian | np.ndarray, sigma: np.ndarray | None = None) -> float:
    """‖M − M^†‖/‖M‖ with M = R^{−1/2} ∘ L ∘ R^{1/2}, R^{1/2}(X) = X σ^{1/2} (GNS detailed balance)."""
    sigma = gen.gibbs_state() if sigma is None else sigma
    eye = np.eye(sigma.shape[0])
    return _hermitian_defect(_sandwich(_superoperator(gen), eye, _power(sigma, -0.5), eye, _power(sigma, 0.5)))


def stationarity_defect(gen: Lindbladian | np.ndarray, sigma: np.ndarray | None = None) -> float:
    """‖L[σ]‖_F (Frobenius), zero when σ is a fixed point."""
    sigma = gen.gibbs_state() if sigma is None else sigma
    return float(np.linalg.norm(_superoperator(gen) @ sigma.reshape(-1, order="F")))


def is_trace_preserving(gen: Lindbladian | np.ndarray, *, atol: float = 1e-12) -> bool:
    """vec(I)^† L = 0, i.e. Tr L[X] = 0 for every X (relative to ‖L‖)."""
    sup = _superoperator(gen)
    d = int(round(np.sqrt(sup.shape[0])))
    row = np.eye(d).reshape(-1, order="F") @ sup
    return float(np.linalg.norm(row)) <= atol * max(1.0, float(np.linalg.norm(sup)))


def conditional_choi_spectrum(gen: Lindbladian | np.ndarray) -> np.ndarray:
    """Eigenvalues of P^⊥ Ch(L) P^⊥, P^⊥ the projector orthogonal to the maximally entangled vector.

    L generates a completely positive semigroup exactly when this is ≥ 0 (Lindblad; Evans–Lewis).
    The projection removes the −½{K, ·} − i[H_c, ·] part, so no decomposition of L is assumed.
    """
    sup = _superoperator(gen)
    d = int(round(np.sqrt(sup.shape[0])))
    choi = sup.reshape(d, d, d, d).transpose(1, 3, 0, 2).reshape(d * d, d * d)  # [(a,c),(b,dd)]
    omega = np.eye(d).reshape(-1) / np.sqrt(d)
    proj = np.eye(d * d) - np.outer(omega, omega)
    m = proj @ choi @ proj
    return np.linalg.eigvalsh(0.5 * (m + m.conj().T))


def is_completely_positive(gen: Lindbladian | np.ndarray, *, rtol: float = 1e-10) -> bool:
    """Conditional complete positivity: min eig(P^⊥ Ch P^⊥) ≥ −rtol · max |eig|."""
    spec = conditional_choi_spectrum(gen)
    return float(spec.min()) >= -rtol * max(float(np.max(np.abs(spec))), 1e-300)
