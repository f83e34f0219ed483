"""Norm bounds the error budget is assembled from: diamond norms, product formulas, dilation factors.

References:
    Watrous, Theory of Quantum Information, §3.3 (diamond norm); Childs et al., PRX 11, 011020 (2021)
    (product-formula majorant); docs/step_error_bound/README.md (the dilation and commutator factors).
"""

from __future__ import annotations

import math

import numpy as np
from qiskit.quantum_info import SparsePauliOp

__all__ = [
    "diamond_norm_upper_bound",
    "product_formula_majorant",
    "jump_level_distance",
    "dissipator_factor_error",
    "coherent_factor_error",
    "hamiltonian_commutator_norm",
]


def diamond_norm_upper_bound(superop: np.ndarray) -> float:
    """‖Φ‖_◇ ≤ ‖Tr_out J₊‖_∞ + ‖Tr_out J₋‖_∞ for Hermiticity-preserving Φ with Choi J = J₊ − J₋.

    Each CP part Ψ has ‖Ψ‖_◇ = ‖Ψ^†(I)‖_∞ = ‖Tr_out J_Ψ‖_∞ (column-stacked superoperator).
    """
    d = int(round(math.sqrt(superop.shape[0])))
    choi = superop.reshape(d, d, d, d).transpose(1, 3, 0, 2).reshape(d * d, d * d)  # [(a,c),(b,dd)]
    w, v = np.linalg.eigh(0.5 * (choi + choi.conj().T))
    total = 0.0
    for part in (w > 0, w < 0):
        j = (v[:, part] * np.abs(w[part])) @ v[:, part].conj().T
        marg = np.einsum("acad->cd", j.reshape(d, d, d, d))  # trace over the output index a
        total += float(np.linalg.eigvalsh(0.5 * (marg + marg.conj().T)).max(initial=0.0))
    return total


def product_formula_majorant(hamiltonian: SparsePauliOp, time: float, *, order: int, steps: int) -> float:
    """≥ ‖S(τ)^steps − e^{−iH time}‖, τ = time/steps, from norms only (any size).

    S(τ) and e^{−iHτ} agree to order p (the formula's order) in τ, and the coefficient of τ^q in a
    product of exponentials with rotation 1-norm x is at most x^q/q!; so per step
    ‖S(τ) − e^{−iHτ}‖ ≤ (e^x − Σ_{q≤p} x^q/q!) + (e^y − Σ_{q≤p} y^q/q!), y = |τ|Σ|c|, x = g·y with g the
    Suzuki recursion's growth of the 1-norm (1 for orders 1 and 2), and steps telescope.
    """
    growth = 1.0  # Suzuki S_k(τ) = S_{k−2}(pτ)² S_{k−2}((1−4p)τ) S_{k−2}(pτ)²
    for k in range(4, order + 1, 2):
        p = 1 / (4 - 4 ** (1 / (k - 1)))
        growth *= 4 * abs(p) + abs(1 - 4 * p)
    y = abs(time) / steps * float(np.sum(np.abs(hamiltonian.coeffs)))

    def remainder(z: float) -> float:
        return math.exp(z) - sum(z**q / math.factorial(q) for q in range(order + 1))

    return steps * (remainder(growth * y) + remainder(y))


def jump_level_distance(a: list[np.ndarray], ha: np.ndarray, b: list[np.ndarray], hb: np.ndarray) -> float:
    """≥ ‖L_a − L_b‖_◇ for L = Σ_j D[J_j] − i[H, ·] with jumps matched one to one:
    ‖D[J] − D[J′]‖_◇ ≤ 2‖J − J′‖(‖J‖ + ‖J′‖) (both the JρJ† and the anticommutator parts), and
    ‖[H − H′, ·]‖_◇ ≤ 2‖H − H′‖."""
    out = 2 * float(np.linalg.norm(ha - hb, 2))
    for j, k in zip(a, b, strict=True):
        out += 2 * float(np.linalg.norm(j - k, 2)) * (float(np.linalg.norm(j, 2)) + float(np.linalg.norm(k, 2)))
    return out


def _cosh_rem(x: float) -> float:
    """cosh x − 1 − x²/2, stable for small x."""
    return x**4 / 24 * (1 + x * x / 30) if x < 1e-2 else math.cosh(x) - 1 - x * x / 2


def _sinh_rem(x: float) -> float:
    """sinh x − x, stable for small x."""
    return x**3 / 6 * (1 + x * x / 20) if x < 1e-2 else math.sinh(x) - x


def dissipator_factor_error(gamma: float, dt: float, jnorm: float) -> float:
    """≥ ‖Φ_J − e^{dt D[J]}‖_◇ for the palindromic single-ancilla sweep of a jump with ‖J‖ ≤ jnorm ≤ Γ.

    U = Π_r e^{−i b_r G_r} with Σ|b_r|‖G_r‖ ≤ x = √dt Γ. Palindromic ⇒ U = I − iaK − a²K²/2 + Σ_{p≥3} a^pU_p
    (a = √dt), ‖a^pU_p‖ ≤ x^p/p!, odd p ancilla-off-diagonal. K₀ = I − (dt/2)J†J + R₀, ‖R₀‖ ≤ cosh x − 1 − x²/2;
    K₁ = −i√dt J + R₁, ‖R₁‖ ≤ sinh x − x. With λ = ‖J‖² (dtλ ≤ 4):
    ‖Φ − id − dtD‖ ≤ 2‖R₀‖ + (dtλ)²/4 + ‖R₁‖(min(1, √(dtλ) + ‖R₁‖) + √(dtλ)), ‖e^{dtD} − id − dtD‖ ≤ 2(dtλ)².
    """
    x = math.sqrt(dt) * gamma
    xj = math.sqrt(dt) * min(jnorm, gamma)
    lam_dt = xj * xj
    if lam_dt > 4:
        return 2.0
    r0, r1 = _cosh_rem(x), _sinh_rem(x)
    return min(2.0, 2 * r0 + lam_dt**2 / 4 + r1 * (min(1.0, xj + r1) + xj) + 2 * lam_dt**2)


def coherent_factor_error(gamma: float, theta: float, ynorm: float) -> float:
    """≥ ‖Φ_c − e^{−iθ[J†J, ·]}‖_◇ for the 4-sweep group commutator (a = √(|θ|/2)), ‖J†J‖ ≤ ynorm.

    W = S_K S_K′ S_K⁻¹ S_K′⁻¹ = I − a²[K, K′] + Σ_{p≥3} a^pW_p with Σ|b_r|‖G_r‖ ≤ y = 4aΓ and
    ⟨0|−a²[K,K′]|0⟩ = −iθJ†J: K₀ = e^{−iθY} + E, ‖E‖ ≤ cosh y − 1 − y²/2 + (θ‖Y‖)²/2, ‖K₁‖ ≤ sinh y − y;
    the error is ≤ 2‖E‖ + ‖K₁‖².
    """
    if theta == 0:
        return 0.0
    y = 4 * math.sqrt(abs(theta) / 2) * gamma
    e0 = _cosh_rem(y) + (abs(theta) * min(ynorm, gamma**2)) ** 2 / 2
    k1 = min(1.0, _sinh_rem(y))
    return min(2.0, 2 * e0 + k1 * k1)


def hamiltonian_commutator_norm(hamiltonian: SparsePauliOp, coupling: SparsePauliOp, window: tuple[int, ...]) -> float:
    """≥ ‖[H, A_W(t)]‖ for A_W(t) evolved exactly with H_W: ‖[H_W, A]‖ (Σ over anticommuting Pauli
    pairs 2|c_h c_a|) plus 2‖A‖₁Σ|c_h| over the terms that touch W without lying inside it."""
    hz, hx = hamiltonian.paulis.z, hamiltonian.paulis.x
    inside = np.zeros(hamiltonian.num_qubits, dtype=bool)
    inside[list(window)] = True
    support = hz | hx
    term_in = ~(support[:, ~inside].any(axis=1))
    term_touch = support[:, inside].any(axis=1)
    hc = np.abs(hamiltonian.coeffs)
    total = 0.0
    for az, ax, ac in zip(coupling.paulis.z, coupling.paulis.x, np.abs(coupling.coeffs)):
        anti = ((hz & ax).sum(axis=1) + (hx & az).sum(axis=1)) % 2 == 1
        total += 2 * ac * float(np.sum(hc[anti & term_in]))
    return total + 2 * float(np.sum(np.abs(coupling.coeffs))) * float(np.sum(hc[term_touch & ~term_in]))
