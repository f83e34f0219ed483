"""Forward-only joint evolution of a system and one ancilla qubit under a time-dependent coupling.

H(t) = H_S + H_E + a(t) A ⊗ X_anc with H_E = −(ω/2) Z_anc (|1⟩ is the ancilla's excited state), by the
Strang product formula with the coupling evaluated at step midpoints. Qubits: system 0..n−1, ancilla n.

References:
    docs/schemes.md (Ding, Zhan, Preskill & Lin, arXiv:2508.05703; system–bath with one reusable ancilla).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression
from qiskit.quantum_info import SparsePauliOp

from .inputs import pauli_label
from .product_formula import append_pauli_rotation

__all__ = ["coupled_evolution"]


def coupled_evolution(
    coupling: SparsePauliOp,
    amplitudes: Sequence[float],
    step: float,
    *,
    frequency: float | ParameterExpression,
    evolve: Callable[[float], QuantumCircuit],
) -> QuantumCircuit:
    """Π_k e^{−i(a_kδ/2)A⊗X} e^{−iδ(H_S + H_E)} e^{−i(a_kδ/2)A⊗X} over the steps k (time order left to right).

    H_E = −(ω/2)Z_anc acts on the ancilla only, so e^{−iδ(H_S+H_E)} = e^{−iH_Sδ} ⊗ rz(−ωδ) exactly;
    the only splitting is between the coupling and the rest (second order in δ). The coupling halves of
    neighbouring steps commute and are merged into one rotation.

    Args:
        coupling: A, a real multiple of one Pauli string on the n system qubits.
        amplitudes: a_k = a((k + ½)δ), one per step (a real envelope).
        step: δ > 0.
        frequency: ω, the ancilla's level splitting (a number, or a ``Parameter`` to bind many ω to one circuit).
        evolve: ``evolve(δ)`` returns e^{−iH_Sδ} on the n system qubits.

    Returns:
        A circuit on n + 1 qubits (ancilla last).
    """
    a = np.asarray(amplitudes, dtype=float)
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)):
        raise ValueError(f"amplitudes must be a non-empty 1-D sequence of finite reals, got shape {a.shape}")
    if not np.isfinite(step) or step <= 0:
        raise ValueError(f"step must be > 0, got {step!r}")
    if not isinstance(frequency, ParameterExpression) and not np.isfinite(frequency):
        raise ValueError(f"frequency must be finite, got {frequency!r}")
    label, scale = pauli_label(coupling)
    n = coupling.num_qubits
    qubits = list(range(n + 1))
    free = evolve(step)
    circuit = QuantumCircuit(n + 1)
    # merged halves: a_0/2, (a_0 + a_1)/2, …, (a_{K−2} + a_{K−1})/2, then a_{K−1}/2 after the last step
    halves = np.concatenate([[0.0], a]) + np.concatenate([a, [0.0]])
    for k, h in enumerate(halves):
        append_pauli_rotation(circuit, "X" + label, qubits, 0.5 * step * h * scale)
        if k < a.size:
            circuit.compose(free, range(n), inplace=True, copy=False)
            circuit.rz(-frequency * step, n)
    return circuit
