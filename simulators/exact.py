"""Exact (numerical-linear-algebra) references: time evolution, steady state, spectral gap.

Small systems use the dense superoperator; from ``MATRIX_FREE_QUBITS`` qubits on (or whenever the
dense superoperator would not fit) everything runs on the matrix-free ``Lindbladian.apply``, so no
d⁴ array is ever formed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import scipy.linalg as sla
from scipy.sparse.linalg import LinearOperator, expm_multiply, gmres

from kmsgibbs.compiler import Lindbladian
from kmsgibbs.compiler._checks import DEFAULT_MAX_DENSE_BYTES

from .distances import trace_distance
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
    "evolve",
    "steady_state",
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

#: From this many qubits on, ``evolve`` and ``steady_state`` use the matrix-free action.
MATRIX_FREE_QUBITS = 7


def _use_dense(lind: Lindbladian, method: str) -> bool:
    if method not in ("auto", "dense", "matrix_free"):
        raise ValueError(f"method must be 'auto', 'dense' or 'matrix_free', got {method!r}")
    if method == "auto":
        return lind.num_qubits < MATRIX_FREE_QUBITS
    return method == "dense"


def as_linear_operator(lind: Lindbladian, *, include_system_hamiltonian: bool = False) -> LinearOperator:
    """L as a SciPy ``LinearOperator`` on column-stacked vectors (with its adjoint)."""
    d = lind.dim

    def matvec(v: np.ndarray) -> np.ndarray:
        x = np.asarray(v).reshape(d, d, order="F")
        return lind.apply(x, include_system_hamiltonian=include_system_hamiltonian).reshape(-1, order="F")

    def rmatvec(v: np.ndarray) -> np.ndarray:
        x = np.asarray(v).reshape(d, d, order="F")
        out = lind.apply_adjoint(x, include_system_hamiltonian=include_system_hamiltonian)
        return out.reshape(-1, order="F")

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
) -> np.ndarray:
    """e^{tL} ρ₀ at each of ``times`` (non-decreasing, ≥ 0); returns shape (len(times), d, d).

    Uses ``scipy.sparse.linalg.expm_multiply`` (Al-Mohy–Higham, to double precision) on the dense
    superoperator, or on the matrix-free action for n ≥ ``MATRIX_FREE_QUBITS``.
    """
    rho0 = _check_state(lind, rho0)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.ndim != 1 or not np.all(np.isfinite(times)):
        raise ValueError(f"times must be a 1-D sequence of finite numbers, got {times!r}")
    if np.any(times < 0):
        raise ValueError(f"times must be >= 0, got {times.min()}")
    if np.any(np.diff(times) < 0):
        raise ValueError("times must be non-decreasing")
    if _use_dense(lind, method):
        op = lind.superoperator(include_system_hamiltonian=include_system_hamiltonian)
        trace = float(np.real(np.trace(op)))
    else:
        op = as_linear_operator(lind, include_system_hamiltonian=include_system_hamiltonian)
        trace = lind.trace()
    d = lind.dim
    vec = rho0.reshape(-1, order="F")
    out = np.empty((len(times), d, d), dtype=complex)
    current = 0.0
    for i, t in enumerate(times):
        if t > current:
            step = t - current
            vec = expm_multiply(op * step, vec, traceA=trace * step)
            current = t
        out[i] = vec.reshape(d, d, order="F")
    return out


def steady_state(
    lind: Lindbladian, *, include_system_hamiltonian: bool = False, method: str = "auto", tol: float = 1e-12
) -> np.ndarray:
    """The unit-trace ρ with L[ρ] = 0.

    Solves (L + |I/d⟩⟩⟨⟨I|) x = I/d, which is invertible exactly when the fixed point is unique
    (L is trace preserving, so its range is traceless). Dense LU for small systems, GMRES on the
    matrix-free action otherwise.
    """
    d = lind.dim
    ident = np.eye(d).reshape(-1, order="F")
    rhs = ident / d
    if _use_dense(lind, method):
        a = lind.superoperator(include_system_hamiltonian=include_system_hamiltonian)
        a = a + np.outer(rhs, ident)
        x = np.linalg.solve(a, rhs)
    else:
        base = as_linear_operator(lind, include_system_hamiltonian=include_system_hamiltonian)
        op = LinearOperator(base.shape, matvec=lambda v: base.matvec(v) + rhs * (ident @ v), dtype=complex)
        x, info = gmres(op, rhs.astype(complex), rtol=tol, restart=200, maxiter=50)
        if info != 0:
            warnings.warn(f"GMRES did not converge to rtol={tol} (info={info})", RuntimeWarning, stacklevel=2)
    rho = x.reshape(d, d, order="F")
    return 0.5 * (rho + rho.conj().T) / np.real(np.trace(rho))


def spectral_gap(
    lind: Lindbladian, *, include_system_hamiltonian: bool = False, max_bytes: int = DEFAULT_MAX_DENSE_BYTES
) -> float:
    """min over non-stationary eigenvalues λ of −Re λ (dense eigenvalues of the superoperator)."""
    sup = lind.superoperator(include_system_hamiltonian=include_system_hamiltonian, max_bytes=max_bytes)
    eig = sla.eigvals(sup)
    decay = np.sort(-eig.real)
    return float(decay[1])
