"""Trace distance (Qiskit ships fidelities but no trace distance)."""

from __future__ import annotations

import numpy as np
from qiskit.quantum_info import DensityMatrix

__all__ = ["trace_distance"]


def _as_matrix(state) -> np.ndarray:
    if isinstance(state, DensityMatrix):
        return state.data
    return np.asarray(state)


def trace_distance(rho, sigma) -> float:
    """½‖ρ − σ‖₁ for Hermitian ρ, σ (ndarrays or ``DensityMatrix``)."""
    a, b = _as_matrix(rho), _as_matrix(sigma)
    if a.shape != b.shape or a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"trace_distance needs two square matrices of one shape, got {a.shape} and {b.shape}")
    diff = a - b
    return 0.5 * float(np.sum(np.abs(np.linalg.eigvalsh(0.5 * (diff + diff.conj().T)))))
