"""Structural checks of a generator, computed from its dense superoperator.

They use only the superoperator matrix and the Gibbs weights, never the kernels or coherent terms
that built it, so they test the construction rather than restate it. Column-stacked vec convention:
vec(A X B) = (Bᵀ ⊗ A) vec(X), index a + d·b.
"""

from __future__ import annotations

import numpy as np

from kmsgibbs.compiler import Lindbladian

__all__ = [
    "kms_defect",
    "gns_defect",
    "is_trace_preserving",
    "is_completely_positive",
    "stationarity_defect",
    "conditional_choi_spectrum",
]


def _diagonal_frame(gen: Lindbladian | np.ndarray, sigma: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The superoperator in an eigenbasis of σ, and σ's eigenvalues p.

    Detailed-balance similarity transforms are diagonal there. For a ``Lindbladian`` the energy-basis
    superoperator and the exact Gibbs weights e^{−βE}/Z are used: rotating through the computational
    basis would cost all relative precision of entries between states whose weights differ by e^{−βΔE}.
    """
    if isinstance(gen, Lindbladian) and sigma is None:
        return gen.superoperator(basis="energy"), gen.basis.gibbs_weights(gen.beta)
    if sigma is None:
        raise ValueError("a bare superoperator needs the state sigma")
    sup = _superoperator(gen)
    p, u = np.linalg.eigh(sigma)
    d = p.size
    s4 = sup.reshape(d, d, d, d)  # [b, a, dd, c]
    rot = np.einsum("bB,aA,badc,dD,cC->BADC", u, u.conj(), s4, u.conj(), u, optimize=True)
    return rot.reshape(d * d, d * d), np.maximum(p, 0.0)


def _similarity_defect(sup: np.ndarray, scale: np.ndarray) -> float:
    """‖M − M^†‖/‖M‖ for M = diag(scale)^{−1} S diag(scale) (vec order)."""
    m = sup * (scale[None, :] / scale[:, None])
    return float(np.linalg.norm(m - m.conj().T) / np.linalg.norm(m))


def _superoperator(gen) -> np.ndarray:
    return gen.superoperator() if isinstance(gen, Lindbladian) else np.asarray(gen)


def kms_defect(gen: Lindbladian | np.ndarray, sigma: np.ndarray | None = None) -> float:
    """‖M − M^†‖/‖M‖ with M = Γ^{−1/2} ∘ L ∘ Γ^{1/2}, Γ^{1/2}(X) = σ^{1/4} X σ^{1/4}.

    Zero exactly when L is self-adjoint for ⟨X, Y⟩_σ = Tr(X^† σ^{1/2} Y σ^{1/2}) (KMS detailed
    balance). In σ's eigenbasis Γ^{1/2} = diag((p_a p_b)^{1/4}) (docs/conventions.md).
    """
    sup, p = _diagonal_frame(gen, sigma)
    q = p**0.25
    return _similarity_defect(sup, np.outer(q, q).ravel())


def gns_defect(gen: Lindbladian | np.ndarray, sigma: np.ndarray | None = None) -> float:
    """‖M − M^†‖/‖M‖ with M = R^{−1/2} ∘ L ∘ R^{1/2}, R^{1/2}(X) = X σ^{1/2} (GNS detailed balance)."""
    sup, p = _diagonal_frame(gen, sigma)
    return _similarity_defect(sup, np.outer(np.sqrt(p), np.ones_like(p)).ravel())


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
