"""Light cones: the qubits within r interaction steps of a coupling operator, and operators restricted to them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit.quantum_info import PauliList, SparsePauliOp

__all__ = ["light_cone_window", "restrict", "supports"]


def supports(op: SparsePauliOp) -> np.ndarray:
    """(terms × qubits) mask: term i acts on qubit q."""
    return op.paulis.z | op.paulis.x


def light_cone_window(hamiltonian: SparsePauliOp, operator: SparsePauliOp, radius: int) -> tuple[int, ...]:
    """Qubits within ``radius`` interaction steps of ``operator``'s support (graph of H's terms)."""
    if isinstance(radius, bool) or not isinstance(radius, int | np.integer) or radius < 0:
        raise ValueError(f"light_cone must be a non-negative integer radius, got {radius!r}")
    terms = supports(hamiltonian)
    reached = supports(operator).any(axis=0)
    for _ in range(int(radius)):
        grown = reached | terms[terms[:, reached].any(axis=1)].any(axis=0)
        if (grown == reached).all():
            break
        reached = grown
    return tuple(np.flatnonzero(reached).tolist())


def restrict(op: SparsePauliOp, window: Sequence[int]) -> SparsePauliOp:
    """The terms of ``op`` supported inside ``window``, as an operator on len(window) qubits (in window order)."""
    window = list(window)
    if window == list(range(op.num_qubits)):
        return op
    outside = np.ones(op.num_qubits, dtype=bool)
    outside[window] = False
    keep = np.flatnonzero(~supports(op)[:, outside].any(axis=1))
    if not keep.size:
        return SparsePauliOp("I" * len(window), 0.0)
    paulis = op.paulis[keep]
    z, x = paulis.z[:, window], paulis.x[:, window]
    return SparsePauliOp(PauliList.from_symplectic(z, x, paulis.phase), op.coeffs[keep])
