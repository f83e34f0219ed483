"""Krylov solvers on the matrix-free generator: spectral gap and time evolution without d⁴ arrays.

For a KMS-detailed-balanced generator L the similarity S = Γ^{−1/2}∘L∘Γ^{1/2},
Γ^{1/2}(X) = σ^{1/4} X σ^{1/4}, is Hermitian and negative semidefinite with S[σ^{1/2}] = 0
(``Lindbladian.apply_symmetrized``). Hence

* the spectral gap is the smallest eigenvalue of −S on the complement of σ^{1/2}, found by
  Lanczos with full reorthogonalisation, stopped at the first product where the Ritz residual
  meets the tolerance (``smallest_eigenpair``), in real arithmetic when S maps real matrices to
  real matrices, one run per sector of the model's symmetries (``sectors``), each started on a
  cheaper truncated-kernel product in single precision; only the lowest is finished on the full one;
* e^{tL}ρ = Γ^{1/2} e^{tS} Γ^{−1/2} ρ is a Hermitian Krylov exponential, which needs about
  √(‖S‖t) rather than ‖S‖t products with the generator.

Generators that are not KMS-symmetric (the coarse-grained form, or any generator with −i[H, ·])
use Arnoldi (ARPACK ``eigs``) on the traceless operators, where L has every eigenvalue but the
stationary 0. Every result carries its residual ‖Ax − λx‖ computed after convergence.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.sparse.linalg import LinearOperator, eigs

from kmsgibbs.compiler import Lindbladian
from kmsgibbs.compiler.finite import require_finite

from .sectors import WARM_START_RTOL, symmetry_sectors

__all__ = ["SpectralGap", "LANCZOS_GAP_TOL", "ARNOLDI_GAP_TOL", "lanczos_gap", "smallest_eigenpair", "arnoldi_gap", "lanczos_expm"]

#: Krylov dimension of the Arnoldi gap (ARPACK ``ncv``).
GAP_KRYLOV_DIM = 40
#: Lanczos basis of the Hermitian gap before a restart (full reorthogonalisation keeps every vector).
LANCZOS_GAP_DIM = 150
#: Relative residual ‖(−S)x − θx‖/θ at which the Lanczos gap stops: the eigenvalue is then within
#: tol·θ (and, Kato–Temple, within (tol·θ)²/δ for a separation δ) of one of −S.
LANCZOS_GAP_TOL = 1e-9
#: ARPACK's stopping tolerance of the Arnoldi gap (non-KMS generators).
ARNOLDI_GAP_TOL = 1e-10
# Lanczos runs of the gap before its residual is reported as it is.
_ATTEMPTS = 3
#: Largest Krylov dimension of one step of ``lanczos_expm``.
EXPM_KRYLOV_DIM = 60
#: Smallest Krylov dimension whose error estimate ``lanczos_expm`` trusts.
EXPM_MIN_DIM = 12


@dataclass(frozen=True)
class SpectralGap:
    """The spectral gap of a generator and how well it is resolved.

    Attributes:
        gap: min over non-stationary eigenvalues λ of −Re λ (units of the generator, α²).
        residual: ‖A x − λ x‖_F for the returned unit eigenvector x of the operator the method
            used (−S for Lanczos, L on traceless operators for Arnoldi, 0 for dense). For Lanczos,
            |λ − λ_true| ≤ residual for some eigenvalue λ_true of the (compressed-kernel) operator.
        eigenvalue: λ itself (−gap for Lanczos; complex for Arnoldi and dense).
        method: ``"lanczos"``, ``"arnoldi"`` or ``"dense"``.
        applies: products with the generator the method used, in units of one full-accuracy
            product on the whole space (a product on a parity sector counts as its share of the
            entries, a truncated-kernel product as its share of the kernel rank too).
        kernel_error: relative error of the factorised transition kernel (``Lindbladian.kernel_error``),
            the distance between the operator used and the closed-form generator.
        sectors: for a Lanczos gap split by symmetry sectors, (θ, r) of −S in every parity sector, in
            parity order: some eigenvalue of the sector lies within r of θ. The gap's sector, and any
            sector that came within reach of it, carries its converged Ritz pair; the others the
            Rayleigh quotient and residual of their start vectors (``lanczos_gap``). Empty otherwise.
    """

    gap: float
    residual: float
    eigenvalue: complex
    method: str
    applies: float
    kernel_error: float
    sectors: tuple[tuple[float, float], ...] = ()

    def __float__(self) -> float:
        return self.gap


class _Counted:
    """A vector map that counts its calls."""

    def __init__(self, func: Callable[[np.ndarray], np.ndarray]) -> None:
        self.func = func
        self.calls = 0

    def __call__(self, v: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self.func(v)


def _start_vector(size: int, dtype: type, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(size)
    if dtype is complex:
        v = v + 1j * rng.standard_normal(size)
    return v / np.linalg.norm(v)


def lanczos_gap(
    lind: Lindbladian,
    *,
    tol: float = LANCZOS_GAP_TOL,
    krylov_dim: int = LANCZOS_GAP_DIM,
    seed: int = 0,
    warm_start: bool = True,
) -> SpectralGap:
    """Gap of a KMS-detailed-balanced generator by Lanczos on its Hermitian similarity transform.

    −S is positive semidefinite with kernel spanned by x₀ = σ^{1/2} (unit Frobenius norm, diagonal
    in the energy basis). Lanczos runs on −S + μ|x₀⟩⟨x₀| with μ = 2|Tr L|/(d² − 1), which moves the
    stationary eigenvalue above the gap (the gap is at most the mean non-zero decay rate,
    |Tr L|/(d² − 1)) and leaves every other eigenpair as it is.

    With symmetries (``sectors.symmetry_sectors``: a Z₂ string, the chain reflection) −S is the
    direct sum of its parity sectors and each sector gets its own Lanczos run, whose smallest
    eigenvalue is better separated from the rest of its spectrum than in the direct sum (fewer
    products, each 1/G of a full one); the gap is the smallest of them. With ``warm_start``:

    1. every sector's run first converges on the cheap product: the leading kernel terms
       (``SymmetrySectors.warm_rank``, truncation error ≤ ``sectors.WARM_START_RTOL`` relative) in
       single precision when its copies fit (``SymmetrySectors.single``), about a fifth of the time
       of a full product, to relative residual ``WARM_START_RTOL``;
    2. the sector with the smallest Ritz value continues from its Ritz vector with the full
       product until ``tol`` is met: the gap and its residual are those of the full-accuracy
       operator, so the cheap product affects the cost only;
    3. every other sector gets one full product at its Ritz vector x: θ = ⟨x, −S x⟩ and
       r = ‖−S x − θx‖ place an eigenvalue of −S in [θ − r, θ + r]; when θ − r exceeds the gap plus
       its residual, that eigenvalue lies above the gap and the sector is done, otherwise it is
       refined like the first and the smaller eigenvalue wins. Each (θ, r) is in ``sectors``.

    Accuracy: for the returned unit x and θ with r = ‖(−S)x − θx‖, some eigenvalue λ of −S has
    |θ − λ| ≤ r, and |θ − λ| ≤ r²/δ when the rest of the spectrum is at distance ≥ δ from θ
    (Kato–Temple). The residual is recomputed by an explicit float64 product after convergence.
    That λ is the smallest eigenvalue of its sector rests, as for any Krylov method, on the random
    start vector having a component along its eigenvector.

    Args:
        lind: a generator with ``kms_symmetry_defect() ≈ 0`` (checked by ``exact.gap``).
        tol: relative residual ‖(−S)x − θx‖ ≤ tol·θ at which the Ritz pair is accepted.
        krylov_dim: Lanczos basis before a restart.
        seed: seed of the random start vectors.
        warm_start: start each sector's run on the truncated-kernel product.

    Returns:
        The gap with the residual of its Ritz pair; ``applies`` counts products in units of one
        full-accuracy product on the whole space, a cheap product at its share of the kernel rank
        (its single precision, which halves its time again, is not counted).

    References:
        Paige, PhD thesis, Univ. London (1971); Parlett, The Symmetric Eigenvalue Problem (SIAM
        1998), §10.7 and §11.5 (Kato–Temple); Carlen & Maas, J. Funct. Anal. 273, 1810 (2017)
        (KMS symmetry); docs/conventions.md.
    """
    d = lind.dim
    sqrt_p = np.sqrt(lind.basis.gibbs_weights(lind.beta))
    mu = 2 * abs(lind.trace()) / (d * d - 1)
    sectors = symmetry_sectors(lind)
    if sectors is None:
        dtype = float if lind.symmetrized_real else complex
        x0 = np.diag(sqrt_p).astype(dtype).ravel()
        op = _Counted(_deflated(lambda v: lind.apply_symmetrized(v.reshape(d, d)).ravel(), x0, mu, dtype))
        lam, residual = _refined(op, _start_vector(d * d, dtype, seed), tol, krylov_dim)
        return SpectralGap(lam, residual, complex(-lam), "lanczos", float(op.calls), lind.kernel_error)
    dtype = float if sectors.real else complex
    ops, sizes, starts, estimates, applies = [], [], [], [], 0.0
    for p in range(sectors.order):
        size = sectors.size(p)
        x0 = sectors.gather(np.diag(sqrt_p), 0).astype(dtype) if p == 0 else None
        ops.append(_Counted(_deflated(lambda v, p=p: sectors.apply(v, p), x0, mu, dtype)))
        sizes.append(size)
        starts.append(_start_vector(size, dtype, seed + p))
        if warm_start:
            rank = sectors.warm_rank
            cheap = _Counted(_deflated(lambda v, p=p, r=rank: sectors.apply(v, p, rank=r, single=sectors.single), x0, mu, dtype))
            # the cheap product is only WARM_START_RTOL-accurate: converging it further would not
            # bring its Ritz vector closer to the full operator's
            theta, starts[p] = smallest_eigenpair(cheap, starts[p], tol=max(tol, WARM_START_RTOL), krylov_dim=min(krylov_dim, size))
            estimates.append(theta)
            share = 1.0 if rank is None else rank / sectors.transition.factor.rank
            applies += cheap.calls * size / d**2 * share
    # with warm starts the sector with the smallest cheap Ritz value is refined first; another sector
    # is refined only if its start vector's residual interval under the full product reaches down
    # to the gap found
    order = np.argsort(estimates) if warm_start else range(len(ops))
    pairs: list[tuple[float, float] | None] = [None] * len(ops)
    best = None
    for p in order:
        if warm_start and best is not None:
            theta, residual = _rayleigh(ops[p], starts[p])
            if theta - residual > best[0] + best[1]:
                pairs[p] = (theta, residual)
                continue
        pairs[p] = _refined(ops[p], starts[p], tol, min(krylov_dim, sizes[p]))
        if best is None or pairs[p][0] < best[0]:
            best = pairs[p]
    applies += sum(op.calls * size / d**2 for op, size in zip(ops, sizes))
    return SpectralGap(best[0], best[1], complex(-best[0]), "lanczos", applies, lind.kernel_error, tuple(pairs))


def _deflated(
    apply: Callable[[np.ndarray], np.ndarray], x0: np.ndarray | None, mu: float, dtype: type
) -> Callable[[np.ndarray], np.ndarray]:
    """v ↦ −S v (+ μ⟨x₀, v⟩x₀ when x₀ is given)."""

    def minus_s(v: np.ndarray) -> np.ndarray:
        y = -apply(v.astype(dtype, copy=False))
        return y if x0 is None else y + mu * np.vdot(x0, v) * x0

    return minus_s


def _rayleigh(op: _Counted, x: np.ndarray) -> tuple[float, float]:
    """The Rayleigh quotient θ = ⟨x, A x⟩ of a unit vector and its residual ‖A x − θ x‖ (one product)."""
    y = op(x)
    theta = float(np.real(np.vdot(x, y)))
    residual = float(np.linalg.norm(y - theta * x))
    require_finite("the Lanczos spectral gap", [theta, residual])
    return theta, residual


def _refined(op: _Counted, start: np.ndarray, tol: float, krylov_dim: int) -> tuple[float, float]:
    """Smallest eigenvalue of the Hermitian ``op`` by Lanczos from ``start``, and its explicit residual."""
    x = start
    for _ in range(_ATTEMPTS):
        lam, x = smallest_eigenpair(op, x, tol=tol, krylov_dim=krylov_dim)
        residual = float(np.linalg.norm(op(x) - lam * x))
        require_finite("the Lanczos spectral gap", [lam, residual])
        # the recurrence's residual estimate holds up to rounding; in the rare case it does not,
        # Lanczos restarts from x
        if residual <= tol * abs(lam):
            break
    return lam, residual


def smallest_eigenpair(
    op: Callable[[np.ndarray], np.ndarray], start: np.ndarray, *, tol: float, krylov_dim: int = LANCZOS_GAP_DIM
) -> tuple[float, np.ndarray]:
    """The smallest eigenvalue θ of a Hermitian operator and its unit Ritz vector x, by Lanczos.

    Lanczos with full reorthogonalisation (twice, against every basis vector), restarted from the
    current Ritz vector when ``krylov_dim`` vectors are not enough. After each product the
    smallest eigenpair (θ, s) of the tridiagonal T_m is computed; its residual is
    ‖A x − θ x‖ = β_m |s_m| (Paige 1971), so the iteration stops at the first m where this is
    ≤ ``tol``·|θ|, the stopping rule of ARPACK, but without waiting for the end of a restart cycle.

    Args:
        op: v ↦ A v on flat vectors (A Hermitian).
        start: the start vector (any norm).
        tol: relative residual at which θ is accepted.
        krylov_dim: most basis vectors kept (memory: that many vectors of ``start``'s size).

    Returns:
        θ and x.

    References:
        Paige, PhD thesis, Univ. London (1971); Parlett, The Symmetric Eigenvalue Problem
        (SIAM 1998), §13.
    """
    basis = np.empty((krylov_dim, start.size), dtype=start.dtype)
    q = start / np.linalg.norm(start)
    while True:
        alpha: list[float] = []
        beta: list[float] = []
        for j in range(krylov_dim):
            basis[j] = q
            w = op(q)
            alpha.append(float(np.real(np.vdot(q, w))))
            for _ in range(2):  # full reorthogonalisation (twice is enough)
                w -= basis[: j + 1].T @ (basis[: j + 1].conj() @ w)
            b = float(np.linalg.norm(w))
            theta, vecs = sla.eigh_tridiagonal(np.array(alpha), np.array(beta), select="i", select_range=(0, 0))
            s = vecs[:, 0]
            # b ≈ 0: the basis spans an invariant subspace and θ is exact
            converged = b * abs(s[-1]) <= tol * abs(theta[0]) or b <= 1e-14 * max(abs(theta[0]), 1.0)
            if converged or j + 1 == krylov_dim:
                break
            beta.append(b)
            q = w / b
        x = s @ basis[: j + 1]
        x /= np.linalg.norm(x)
        if converged:
            return float(theta[0]), x
        q = x  # explicit restart from the Ritz vector


def arnoldi_gap(
    lind: Lindbladian,
    *,
    include_system_hamiltonian: bool = False,
    tol: float = ARNOLDI_GAP_TOL,
    krylov_dim: int = GAP_KRYLOV_DIM,
    seed: int = 0,
) -> SpectralGap:
    """Gap of any trace-preserving generator by Arnoldi on the traceless operators.

    L maps every operator to a traceless one, so the traceless subspace W is invariant and L|_W has
    every eigenvalue of L except one copy of the stationary 0; the gap is −Re of its rightmost
    eigenvalue. The operator used is Q L Q − μ|I/√d⟩⟨I/√d| (Q the projector onto W, μ = 2|Tr L|/d²),
    which sends the one direction outside W far to the left.

    Args:
        lind: the generator (energy basis, matrix-free).
        include_system_hamiltonian: add −i[H, ·].
        tol: ARPACK's relative accuracy of the Ritz values.
        krylov_dim: Arnoldi basis size (ARPACK ``ncv``).
        seed: seed of the random start vector.

    References:
        Lehoucq, Sorensen & Yang, ARPACK Users' Guide (SIAM 1998).
    """
    d = lind.dim
    size = d * d
    unit = (np.eye(d) / math.sqrt(d)).ravel()
    mu = 2 * abs(lind.trace()) / size + 1.0

    def op_apply(v: np.ndarray) -> np.ndarray:
        coeff = np.vdot(unit, v)
        x = (v - coeff * unit).reshape(d, d)
        y = lind.apply(x, include_system_hamiltonian=include_system_hamiltonian, basis="energy").ravel()
        return y - np.vdot(unit, y) * unit - mu * coeff * unit

    counted = _Counted(op_apply)
    op = LinearOperator((size, size), matvec=counted, dtype=complex)
    v0 = _start_vector(size, complex, seed)
    v0 -= np.vdot(unit, v0) * unit
    vals, vecs = eigs(op, k=2, which="LR", tol=tol, ncv=min(krylov_dim, size - 2), v0=v0)
    best = int(np.argmax(vals.real))
    lam = complex(vals[best])
    x = vecs[:, best] / np.linalg.norm(vecs[:, best])
    residual = float(np.linalg.norm(counted(x) - lam * x))
    require_finite("the Arnoldi spectral gap", [lam, residual])
    return SpectralGap(-lam.real, residual, lam, "arnoldi", float(counted.calls), lind.kernel_error)


def lanczos_expm(
    apply: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    times: np.ndarray,
    *,
    atol: float,
    krylov_dim: int = EXPM_KRYLOV_DIM,
    min_dim: int = EXPM_MIN_DIM,
) -> tuple[list[np.ndarray], int]:
    """e^{tA} v at each of ``times`` (non-decreasing, ≥ 0) for a Hermitian negative semidefinite A.

    Time stepping with Lanczos (full reorthogonalisation): from the current vector w, the Krylov
    basis V_m and tridiagonal T_m give w(τ) ≈ ‖w‖ V_m e^{τT_m} e₁, with the error estimate
    ‖w‖ β_{m+1} |e_mᵀ e^{τT_m} e₁| (Saad 1992). For long steps that estimate is tiny as soon as one
    Ritz value is large and negative, before the slow modes have entered the basis, so it is
    accepted only from ``min_dim`` vectors on and when it holds for two consecutive m. The basis
    grows until the step to the next requested time meets ``atol``; if it cannot within
    ``krylov_dim`` vectors, the step is shortened (by halving) until it does.

    Args:
        apply: X ↦ A X on flat vectors.
        start: v.
        times: output times.
        atol: absolute 2-norm error allowed per step.
        krylov_dim: largest basis per step.
        min_dim: smallest basis whose estimate is trusted.

    Returns:
        The vectors e^{tA} v and the number of products with A.

    References:
        Saad, SIAM J. Numer. Anal. 29, 209 (1992); Hochbruck & Lubich, SIAM J. Numer. Anal. 34,
        1911 (1997).
    """
    w = np.array(start, copy=True)
    current, calls, out = 0.0, 0, []
    for target in times:
        while target > current:
            remaining = target - current
            beta0 = float(np.linalg.norm(w))
            if beta0 == 0.0:
                break
            basis = [w / beta0]
            alpha: list[float] = []
            beta: list[float] = []
            step, coeffs, held = remaining, None, 0
            for j in range(krylov_dim):
                y = apply(basis[j])
                calls += 1
                alpha.append(float(np.real(np.vdot(basis[j], y))))
                for _ in range(2):  # full reorthogonalisation (twice is enough)
                    for q in basis:
                        y -= np.vdot(q, y) * q
                b = float(np.linalg.norm(y))
                tri = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
                e = sla.expm(remaining * tri)[:, 0]
                if b <= 1e-14 * max(abs(alpha[-1]), 1.0):  # invariant subspace: exact
                    coeffs = e
                    break
                held = held + 1 if b * abs(e[-1]) * beta0 <= atol else 0
                if held >= 2 and j + 1 >= min_dim:
                    coeffs = e
                    break
                if j + 1 == krylov_dim:
                    while b * abs(sla.expm(step * tri)[-1, 0]) * beta0 > atol:
                        step *= 0.5
                    coeffs = sla.expm(step * tri)[:, 0]
                    break
                beta.append(b)
                basis.append(y / b)
            w = beta0 * sum(c * q for c, q in zip(coeffs, basis))
            current += step
        out.append(w.copy())
    return out, calls
