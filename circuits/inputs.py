"""Validation shared by the time-grid circuit builders."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit.quantum_info import SparsePauliOp


def check_grid(times: Sequence[float], weights: Sequence[complex]) -> tuple[np.ndarray, np.ndarray]:
    """Equal-length 1-D times (strictly increasing) and complex weights."""
    t = np.asarray(times, dtype=float)
    w = np.asarray(weights, dtype=complex)
    if t.ndim != 1 or t.shape != w.shape or t.size == 0:
        raise ValueError(f"times and weights must be equal-length 1-D sequences, got {t.shape} and {w.shape}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("times must be strictly increasing")
    return t, w


def pauli_label(coupling: SparsePauliOp) -> tuple[str, float]:
    """(label, real coefficient) of a single-Pauli-string operator."""
    if len(coupling) != 1:
        raise ValueError(f"the coupling must be a single Pauli string, got {len(coupling)} terms")
    coeff = complex(coupling.coeffs[0])
    if abs(coeff.imag) > 1e-12 or coeff.real == 0:
        raise ValueError(f"the coupling must be a real multiple of a Pauli string, got coefficient {coeff}")
    return coupling.paulis[0].to_label().lstrip("-i"), coeff.real
