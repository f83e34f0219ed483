"""Early, explicit validation of user input (each error names the offending value)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from qiskit.quantum_info import SparsePauliOp

#: Largest dense array (bytes) a dense method may allocate before it refuses.
DEFAULT_MAX_DENSE_BYTES = 2 * 1024**3


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float after checking it is finite and > 0 (or >= 0)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return x


def check_hermitian_pauli(name: str, op: SparsePauliOp, *, atol: float = 1e-12) -> SparsePauliOp:
    """Check that a ``SparsePauliOp`` is Hermitian (real coefficients after simplification)."""
    if not isinstance(op, SparsePauliOp):
        raise ValueError(f"{name} must be a qiskit SparsePauliOp, got {type(op).__name__}")
    simplified = op.simplify(atol=0.0)
    coeffs = np.asarray(simplified.coeffs)
    if coeffs.size and not np.all(np.isfinite(coeffs)):
        raise ValueError(f"{name} has non-finite coefficients")
    scale = max(1.0, float(np.max(np.abs(coeffs)))) if coeffs.size else 1.0
    worst = float(np.max(np.abs(coeffs.imag))) if coeffs.size else 0.0
    if worst > atol * scale:
        raise ValueError(
            f"{name} is not Hermitian: largest imaginary Pauli coefficient is {worst:.3g}"
        )
    return simplified


def check_couplings(
    couplings: Sequence[SparsePauliOp] | SparsePauliOp, num_qubits: int
) -> tuple[SparsePauliOp, ...]:
    """Validate the coupling operators A_k: Hermitian, on ``num_qubits`` qubits, at least one."""
    if isinstance(couplings, SparsePauliOp):
        couplings = [couplings]
    couplings = tuple(couplings)
    if not couplings:
        raise ValueError("at least one coupling operator is required, got an empty list")
    out = []
    for k, a in enumerate(couplings):
        a = check_hermitian_pauli(f"coupling operator {k}", a)
        if a.num_qubits != num_qubits:
            raise ValueError(
                f"coupling operator {k} acts on {a.num_qubits} qubits but the Hamiltonian "
                f"acts on {num_qubits}"
            )
        out.append(a)
    return tuple(out)


def check_dense_size(what: str, num_bytes: int, limit: int, alternative: str) -> None:
    """Refuse a dense allocation above ``limit`` bytes, stating the need and the alternative."""
    if num_bytes > limit:
        raise ValueError(
            f"{what} would need {num_bytes / 1e9:.3g} GB, above the limit of "
            f"{limit / 1e9:.3g} GB; {alternative}"
        )
