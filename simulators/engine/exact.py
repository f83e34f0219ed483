"""Exact (numerical-linear-algebra) references: time evolution, steady state, spectral gap.

Three paths, chosen by ``method``:

* ``"dense"``: the dense energy-basis superoperator, built once per ``Lindbladian`` and kept
  (n ≤ 6); LAPACK eigenvalues, LU solve, ``expm_multiply``. The oracle of the others.
* ``"krylov"``: Hermitian Krylov methods on the KMS-symmetrised generator
  S = Γ^{−1/2}∘L∘Γ^{1/2} (``kmsgibbs.simulators.krylov``): Lanczos for the gap, a Lanczos
  exponential for e^{tL}. Needs a KMS-detailed-balanced generator without −i[H, ·].
* ``"matrix_free"``: any generator through ``Lindbladian.apply`` in the energy basis: Arnoldi for
  the gap, ``expm_multiply`` for e^{tL}, GMRES for the fixed point.

``"auto"`` takes the dense path below ``MATRIX_FREE_QUBITS`` qubits, then Krylov whenever the
generator is KMS-symmetric (``Lindbladian.kms_symmetry_defect() ≤ KMS_TOLERANCE``) and the matrix-free
path otherwise; ``steady_state`` returns the Gibbs state once L[σ] = 0 is verified. Every path
asks the memory guard for its peak before it allocates, and every result is checked finite.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import scipy.linalg as sla
from scipy.sparse.linalg import LinearOperator, expm_multiply, gmres

from kmsgibbs.compiler import Lindbladian
from kmsgibbs.compiler._checks import (
    DEFAULT_MAX_DENSE_BYTES, check_byte_count, check_choice, check_flag, check_open_unit_interval, check_seed,
)
from kmsgibbs.compiler.finite import require_finite
from kmsgibbs.compiler.memory import require_memory

from .distances import trace_distance
from .krylov import ARNOLDI_GAP_TOL, LANCZOS_GAP_DIM, LANCZOS_GAP_TOL, SpectralGap, arnoldi_gap, lanczos_expm, lanczos_gap
from .sectors import symmetry_sectors
from .properties import (
    conditional_choi_spectrum,
    gns_defect,
    is_completely_positive,
    is_trace_preserving,
    kms_defect,
    stationarity_defect,
)

__all__ = [
    "MATRIX_FREE_QUBITS",
    "KMS_TOLERANCE",
    "SpectralGap",
    "evolve",
    "steady_state",
    "gap",
    "spectral_gap",
    "as_linear_operator",
    "trace_distance",
    "kms_defect",
    "gns_defect",
    "is_trace_preserving",
    "is_completely_positive",
    "stationarity_defect",
    "conditional_choi_spectrum",
]

#: From this many qubits on, ``"auto"`` leaves the dense superoperator for the Krylov/matrix-free paths.
MATRIX_FREE_QUBITS = 5
#: ``kms_symmetry_defect`` at or below which the Hermitian (Lanczos) paths are used.
KMS_TOLERANCE = 1e-10
# Krylov vectors (d² complex numbers each) the paths hold at once: GMRES restart, ARPACK ncv,
# Lanczos basis of the gap, Lanczos-exponential basis; plus a few working copies.
_VECTORS = {"gmres": 210, "arnoldi": 45, "lanczos": LANCZOS_GAP_DIM + 5, "expm": 66, "expm_multiply": 8, "gibbs": 4}
_METHODS = ("auto", "dense", "krylov", "matrix_free")


def _require(lind: Lindbladian, what: str, vectors: int) -> None:
    """Ask the guard for the couplings, basis and Krylov vectors of a path, before any is built."""
    n, d = lind.num_qubits, lind.dim
    nbytes = 16 * d * d * (len(lind.couplings) + 3 + vectors)
    require_memory(
        f"{what} of a {n}-qubit generator ({len(lind.couplings)} couplings, {vectors} Krylov vectors)",
        nbytes,
        alternative="use the circuit sampler (compile_sampler) and Aer for larger systems, or fewer couplings",
    )


def _path(lind: Lindbladian, method: str, *, hermitian: bool) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))}, got {method!r}")
    if method == "krylov" and not hermitian:
        raise ValueError("method='krylov' needs a KMS-detailed-balanced generator without the system Hamiltonian")
    if method != "auto":
        return method
    if lind.num_qubits < MATRIX_FREE_QUBITS:
        return "dense"
    return "krylov" if hermitian else "matrix_free"


def _is_kms(lind: Lindbladian) -> bool:
    return lind.kms_symmetry_defect() <= KMS_TOLERANCE


def as_linear_operator(lind: Lindbladian, *, include_system_hamiltonian: bool = False) -> LinearOperator:
    """L as a SciPy ``LinearOperator`` on column-stacked vectors (computational basis, with its adjoint)."""
    d = lind.dim

    def matvec(v: np.ndarray) -> np.ndarray:
        x = np.asarray(v).reshape(d, d, order="F")
        return lind.apply(x, include_system_hamiltonian=include_system_hamiltonian).reshape(-1, order="F")

    def rmatvec(v: np.ndarray) -> np.ndarray:
        x = np.asarray(v).reshape(d, d, order="F")
        out = lind.apply_adjoint(x, include_system_hamiltonian=include_system_hamiltonian)
        return out.reshape(-1, order="F")

    return LinearOperator((d * d, d * d), matvec=matvec, rmatvec=rmatvec, dtype=complex)


def _energy_operator(lind: Lindbladian, with_h: bool) -> LinearOperator:
    """L on column-stacked energy-basis vectors (no basis change per product), with its adjoint."""
    d = lind.dim

    def matvec(v: np.ndarray) -> np.ndarray:
        x = np.asarray(v).reshape(d, d, order="F")
        return lind.apply(x, include_system_hamiltonian=with_h, basis="energy").reshape(-1, order="F")

    def rmatvec(v: np.ndarray) -> np.ndarray:
        x = np.asarray(v).reshape(d, d, order="F")
        return lind.apply_adjoint(x, include_system_hamiltonian=with_h, basis="energy").reshape(-1, order="F")

    return LinearOperator((d * d, d * d), matvec=matvec, rmatvec=rmatvec, dtype=complex)


def _check_state(lind: Lindbladian, rho0) -> np.ndarray:
    rho0 = np.asarray(getattr(rho0, "data", rho0), dtype=complex)
    if rho0.shape != (lind.dim, lind.dim):
        raise ValueError(f"initial state must have shape ({lind.dim}, {lind.dim}), got {rho0.shape}")
    return rho0


def evolve(
    lind: Lindbladian,
    rho0: np.ndarray,
    times: Sequence[float] | float,
    *,
    include_system_hamiltonian: bool = False,
    method: str = "auto",
    atol: float = 1e-11,
) -> np.ndarray:
    """e^{tL} ρ₀ at each of ``times`` (non-decreasing, ≥ 0); returns shape (len(times), d, d).

    ``"dense"`` and ``"matrix_free"`` use ``scipy.sparse.linalg.expm_multiply`` (Al-Mohy–Higham, to
    double precision) on the dense or the matrix-free energy-basis generator. ``"krylov"`` evolves
    X = Γ^{−1/2}ρ under the Hermitian S and returns ρ = Γ^{1/2}X: since σ^{1/4} ≤ 1 entrywise
    factors, the Frobenius error of ρ is at most that of X, ``atol`` per Lanczos step.

    Args:
        lind: the generator.
        rho0: initial state (array or ``DensityMatrix``), computational basis.
        times: output times.
        include_system_hamiltonian: add −i[H, ·] (then ``"krylov"`` does not apply).
        method: ``"auto"``, ``"dense"``, ``"krylov"`` or ``"matrix_free"`` (module docstring).
        atol: Frobenius error per Lanczos step (``"krylov"`` only).

    Raises:
        ValueError: for bad times, shapes or methods.
        MemoryLimitError: when the path would not fit (stated before anything is allocated).

    References:
        Al-Mohy & Higham, SIAM J. Sci. Comput. 33, 488 (2011); Saad, SIAM J. Numer. Anal. 29,
        209 (1992).
    """
    hermitian = not include_system_hamiltonian and method in ("auto", "krylov")
    _require(lind, "exact.evolve", _VECTORS["expm"] if hermitian else _VECTORS["expm_multiply"])
    rho0 = _check_state(lind, rho0)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.ndim != 1 or not np.all(np.isfinite(times)):
        raise ValueError(f"times must be a 1-D sequence of finite numbers, got {times!r}")
    if np.any(times < 0):
        raise ValueError(f"times must be >= 0, got {times.min()}")
    if np.any(np.diff(times) < 0):
        raise ValueError("times must be non-decreasing")
    path = _path(lind, method, hermitian=hermitian and (method == "krylov" or _is_kms(lind)))
    d = lind.dim
    rho_e = lind.basis.to_energy(rho0)
    if path == "krylov":
        p = lind.basis.gibbs_weights(lind.beta)
        scale = np.outer(p**0.25, p**0.25)
        energy = [scale * x for x in _krylov_evolve(lind, rho_e / scale, times, atol)]
    else:
        if path == "dense":
            op = lind.superoperator(include_system_hamiltonian=include_system_hamiltonian, basis="energy")
            trace = float(np.real(np.trace(op)))
        else:
            op = _energy_operator(lind, include_system_hamiltonian)
            trace = lind.trace()
        vec = rho_e.reshape(-1, order="F")
        energy, current = [], 0.0
        for t in times:
            if t > current:
                step = t - current
                vec = expm_multiply(op * step, vec, traceA=trace * step)
                current = t
            energy.append(vec.reshape(d, d, order="F"))
    # e^{0·L}ρ₀ = ρ₀ exactly (no round trip through the energy basis)
    out = np.stack([rho0 if t == 0 else lind.basis.to_computational(x) for t, x in zip(times, energy)])
    require_finite("exact.evolve", out)
    return out


def _krylov_evolve(lind: Lindbladian, x: np.ndarray, times: np.ndarray, atol: float) -> list[np.ndarray]:
    """e^{tS} X for the KMS-symmetrised S, split into the parts S keeps apart.

    When S is real its real and imaginary parts evolve separately in real arithmetic (a zero part
    is skipped); with symmetries (``sectors.symmetry_sectors``: a Z₂ string, the chain reflection)
    each part splits further into its parity sectors, where a product costs 1/G² of a full one.
    The component along x₀ = σ^{1/2} (S[x₀] = 0; it carries the trace of ρ) is kept exactly and
    only the decaying rest is evolved. S is negative semidefinite, so e^{tS} is a contraction: a
    rest of norm ≤ atol/(2·#parts) stays that small and is dropped (the error budget of that part).
    """
    d = lind.dim
    diag = np.diag(np.sqrt(lind.basis.gibbs_weights(lind.beta)))
    sectors = symmetry_sectors(lind)
    real = sectors.real if sectors is not None else lind.symmetrized_real
    parts = [(1.0, x.real), (1j, x.imag)] if real else [(1.0, x)]
    if sectors is None:
        views = [(lambda m: m.ravel(), lambda v: v.reshape(d, d), lambda v: lind.apply_symmetrized(v.reshape(d, d)).ravel())]
    else:
        views = [
            (
                lambda m, p=p: sectors.gather(m, p),
                lambda v, p=p: sectors.scatter(v, p),
                lambda v, p=p: sectors.apply(v, p),
            )
            for p in range(sectors.order)
        ]
    pieces = [(c, m, view, first) for c, m in parts if np.any(m) for first, view in zip([True] + [False] * len(views), views)]
    share = atol / (2 * len(pieces))
    out = [np.zeros((d, d), dtype=complex) for _ in times]
    for coef, matrix, (gather, scatter, apply), stationary in pieces:
        v = gather(matrix)
        # x₀ = σ^{1/2} (unit norm) lies in the first view: the full space or parity 0
        x0 = gather(diag) if stationary else np.zeros_like(v)
        kept = np.vdot(x0, v)
        rest = v - kept * x0
        if np.linalg.norm(rest) <= share:
            states = [np.zeros_like(rest)] * len(times)
        else:

            def deflated(u: np.ndarray, apply=apply, x0=x0) -> np.ndarray:
                y = apply(u)
                return y - np.vdot(x0, y) * x0

            states, _ = lanczos_expm(deflated, rest, times, atol=share)
        for i, state in enumerate(states):
            out[i] += coef * scatter(state + kept * x0)
    return out


def steady_state(
    lind: Lindbladian, *, include_system_hamiltonian: bool = False, method: str = "auto", tol: float = 1e-12
) -> np.ndarray:
    """The unit-trace ρ with L[ρ] = 0.

    ``"auto"`` first tries the Gibbs state σ = e^{−βH}/Z (exactly stationary for every KMS form, with
    or without −i[H, ·]) and returns it when ‖L[σ]‖_F ≤ 1e-10 α²‖K‖_F, one matrix-free product (on
    the parity-0 sector only, when the generator has symmetries: ``sectors.symmetry_sectors``);
    otherwise, and for ``"dense"`` / ``"matrix_free"``, it solves (L + |I/d⟩⟩⟨⟨I|) x = I/d, which is
    invertible exactly when the fixed point is unique (L is trace preserving, so its range is
    traceless): LU on the cached dense superoperator, or GMRES on the matrix-free product.

    Raises:
        MemoryLimitError: when the path would not fit (stated before anything is allocated).
    """
    if method not in _METHODS or method == "krylov":
        raise ValueError(f"method must be 'auto', 'dense' or 'matrix_free', got {method!r}")
    dense = method == "dense" or (method == "auto" and lind.num_qubits < MATRIX_FREE_QUBITS)
    _require(lind, "exact.steady_state", _VECTORS["gibbs" if method == "auto" else "gmres"])
    d = lind.dim
    if method == "auto":
        sigma = lind.gibbs_state(basis="energy")
        sectors = symmetry_sectors(lind)
        if sectors is not None:
            # ‖L[σ]‖_F ≤ ‖S[σ^{1/2}]‖_F (σ^{1/4} ≤ 1 entrywise), and σ^{1/2} has parity 0: one sector
            # product (−i[H, σ] = 0 for the diagonal σ)
            sqrt_p = np.sqrt(lind.basis.gibbs_weights(lind.beta))
            residual = np.linalg.norm(sectors.apply(sectors.gather(np.diag(sqrt_p), 0), 0))
        else:
            residual = np.linalg.norm(lind.apply(sigma, include_system_hamiltonian=include_system_hamiltonian, basis="energy"))
        if residual <= 1e-10 * lind.rate * np.linalg.norm(lind.decay_energy):
            return lind.basis.to_computational(sigma)
        if not dense:
            _require(lind, "exact.steady_state", _VECTORS["gmres"])
    ident = np.eye(d).reshape(-1, order="F")
    rhs = ident / d
    if dense:
        a = lind.superoperator(include_system_hamiltonian=include_system_hamiltonian, basis="energy")
        a += np.outer(rhs, ident)
        x = np.linalg.solve(a, rhs)
    else:
        base = _energy_operator(lind, include_system_hamiltonian)
        op = LinearOperator(base.shape, matvec=lambda v: base.matvec(v) + rhs * (ident @ v), dtype=complex)
        x, info = gmres(op, rhs.astype(complex), rtol=tol, restart=200, maxiter=50)
        if info != 0:
            warnings.warn(f"GMRES did not converge to rtol={tol} (info={info})", RuntimeWarning, stacklevel=2)
    rho = lind.basis.to_computational(x.reshape(d, d, order="F"))
    rho = 0.5 * (rho + rho.conj().T) / np.real(np.trace(rho))
    require_finite("exact.steady_state", rho)
    return rho


def gap(
    lind: Lindbladian,
    *,
    method: str = "auto",
    include_system_hamiltonian: bool = False,
    tol: float | None = None,
    seed: int = 0,
    max_bytes: int = DEFAULT_MAX_DENSE_BYTES,
) -> SpectralGap:
    """The spectral gap min_{λ ≠ 0} −Re λ of L, with the residual that certifies it.

    ``"dense"``: LAPACK eigenvalues of the cached superoperator (residual reported as 0).
    ``"krylov"``: Lanczos on the Hermitian KMS-symmetrised generator (``krylov.lanczos_gap``),
    only for KMS-detailed-balanced generators without −i[H, ·]. ``"matrix_free"``: Arnoldi on the
    traceless operators (``krylov.arnoldi_gap``), any generator. ``"auto"``: dense below
    ``MATRIX_FREE_QUBITS``, then Krylov when ``kms_symmetry_defect() ≤ KMS_TOLERANCE``, else Arnoldi.

    Args:
        lind: the generator.
        method: see above.
        include_system_hamiltonian: add −i[H, ·].
        tol: relative residual at which the Ritz pair is accepted (Lanczos: ‖(−S)x − λx‖ ≤ tol·λ,
            default ``krylov.LANCZOS_GAP_TOL``; Arnoldi: ARPACK's stopping rule, default ``krylov.ARNOLDI_GAP_TOL``).
        seed: seed of the Krylov start vector.
        max_bytes: memory limit of the dense path.

    Raises:
        ValueError: for ``"krylov"`` on a generator that is not KMS-symmetric.
        MemoryLimitError: when the path would not fit.

    References:
        Paige, PhD thesis, Univ. London (1971) (Lanczos); Lehoucq, Sorensen & Yang, ARPACK Users'
        Guide (SIAM 1998) (Arnoldi); docs/conventions.md
    """
    method = check_choice("method", method, _METHODS)
    check_flag("include_system_hamiltonian", include_system_hamiltonian)
    tol = None if tol is None else check_open_unit_interval("tol", tol)
    seed = check_seed("seed", seed)
    max_bytes = check_byte_count("max_bytes", max_bytes)
    if method != "dense":
        _require(lind, "exact.gap", max(_VECTORS["arnoldi"], _VECTORS["lanczos"]))
    kms = not include_system_hamiltonian and method in ("auto", "krylov") and _is_kms(lind)
    if method == "krylov" and not kms:
        raise ValueError(
            f"method='krylov' needs a KMS-detailed-balanced generator without the system Hamiltonian; "
            f"kms_symmetry_defect() = {lind.kms_symmetry_defect():.3g}; use method='matrix_free' (Arnoldi)"
        )
    path = _path(lind, method, hermitian=kms)
    if path == "dense":
        # the d⁴ superoperator while it is built (4 arrays), then LAPACK's copy and workspace (2 more)
        d = lind.dim
        require_memory(
            f"exact.gap(method='dense') of a {lind.num_qubits}-qubit generator (eigenvalues of the {d * d} x {d * d} superoperator)",
            6 * 16 * d**4,
            alternative="use exact.gap(L) or exact.spectral_gap(L) with the default method='auto' (Lanczos or Arnoldi, matrix-free)",
            fits="n ≤ 6",
            limit=max_bytes,
        )
        sup = lind.superoperator(include_system_hamiltonian=include_system_hamiltonian, basis="energy", max_bytes=max_bytes)
        eig = sla.eigvals(sup)
        order = np.argsort(-eig.real)
        lam = complex(eig[order[1]])
        result = SpectralGap(-lam.real, 0.0, lam, "dense", 0.0, 0.0)
    elif path == "krylov":
        result = lanczos_gap(lind, tol=LANCZOS_GAP_TOL if tol is None else tol, seed=seed)
    else:
        result = arnoldi_gap(
            lind, include_system_hamiltonian=include_system_hamiltonian, tol=ARNOLDI_GAP_TOL if tol is None else tol, seed=seed
        )
    require_finite("exact.gap", [result.gap, result.residual])
    return result


def spectral_gap(
    lind: Lindbladian,
    *,
    include_system_hamiltonian: bool = False,
    max_bytes: int = DEFAULT_MAX_DENSE_BYTES,
    method: str = "auto",
) -> float:
    """min over non-stationary eigenvalues λ of −Re λ, as a float (``gap`` returns the residual too).

    The same entry point as :func:`gap`, with its default ``method="auto"`` (dense below
    ``MATRIX_FREE_QUBITS``, Lanczos or Arnoldi above).
    """
    return float(gap(lind, method=method, include_system_hamiltonian=include_system_hamiltonian, max_bytes=max_bytes))
