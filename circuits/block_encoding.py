"""LCU block-encodings of time-domain operators L = Σ_k w_k e^{iHt_k} A e^{−iHt_k} (A a Pauli string).

Qubits: system 0..n−1, then the r-qubit time register n..n+r−1; (⟨0^r| ⊗ I) U (|0^r⟩ ⊗ I) = L/α with
α = Σ_k |w_k|. The grid must be uniform, t_k = t_0 + kΔ, so that SELECT needs only the binary powers
e^{−iHΔ2^j}, each controlled by time bit j, plus one uncontrolled e^{−iHt_0} (circuits.md §2.1).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Gate
from qiskit.circuit.library import DiagonalGate, StatePreparation
from qiskit.quantum_info import Operator, SparsePauliOp

from ._inputs import check_grid, pauli_label

__all__ = ["BlockEncoding", "lcu_block_encoding"]

ControlledEvolve = Callable[[float, bool], QuantumCircuit]


@dataclass(frozen=True)
class BlockEncoding:
    """A unitary U with α·(⟨0|⊗I) U (|0⟩⊗I) = L̃, ‖L̃ − L‖ ≤ ε for the operator L it encodes.

    Attributes:
        circuit: U on ``num_system + num_ancillas`` qubits, system first.
        alpha: subnormalisation α.
        num_ancillas: ancilla qubits (the highest-index qubits), which start and must end in |0⟩.
        epsilon: declared operator-norm error of the encoded operator.
    """

    circuit: QuantumCircuit
    alpha: float
    num_ancillas: int
    epsilon: float

    def __post_init__(self) -> None:
        if not 0 <= self.num_ancillas < self.circuit.num_qubits:
            raise ValueError(
                f"num_ancillas={self.num_ancillas} does not fit a {self.circuit.num_qubits}-qubit circuit"
            )
        if not (self.alpha > 0 and math.isfinite(self.alpha)):
            raise ValueError(f"alpha must be finite and > 0, got {self.alpha!r}")
        if not self.epsilon >= 0:
            raise ValueError(f"epsilon must be >= 0, got {self.epsilon!r}")

    @property
    def num_system(self) -> int:
        return self.circuit.num_qubits - self.num_ancillas

    @property
    def gate(self) -> Gate:
        """``circuit`` as one gate named after it (``block_encoding`` for LCU encodings), for counting."""
        return self.circuit.to_gate()

    def matrix(self) -> np.ndarray:
        """α·(⟨0|⊗I) U (|0⟩⊗I), dense (small systems)."""
        d = 2**self.num_system
        return self.alpha * Operator(self.circuit).data[:d, :d]


def lcu_block_encoding(
    coupling: SparsePauliOp,
    times: Sequence[float],
    weights: Sequence[complex],
    *,
    evolve: ControlledEvolve,
    epsilon: float = 0.0,
) -> BlockEncoding:
    """PREPARE · SELECT · PREPARE† block-encoding of L = Σ_k w_k e^{iHt_k} A e^{−iHt_k}.

    Args:
        coupling: the Pauli string A (real coefficient).
        times: uniform grid t_k = t_0 + kΔ (padded with zero weights to 2^r points).
        weights: w_k (complex).
        evolve: ``evolve(s, controlled)`` returns e^{−iHs} on n qubits, or its controlled version on
            1 + n qubits with the control as qubit 0.
        epsilon: the operator error the caller certifies for ‖L̃ − L‖ (quadrature, Trotter).
    """
    t, w = check_grid(times, weights)
    if t.size > 1 and not np.allclose(np.diff(t), t[1] - t[0], rtol=1e-12, atol=1e-12 * max(1.0, abs(t).max())):
        raise ValueError("times must form a uniform grid t_k = t_0 + kΔ")
    label, coeff = pauli_label(coupling)
    scale, sign = abs(coeff), np.sign(coeff)
    r = max(1, math.ceil(math.log2(t.size)))
    size = 2**r
    step = t[1] - t[0] if t.size > 1 else 1.0
    amps = np.zeros(size)
    amps[: t.size] = np.abs(w)
    alpha = float(amps.sum()) * scale
    if alpha == 0:
        raise ValueError("all weights are zero")
    phases = np.ones(size, dtype=complex)
    phases[: t.size] = sign * np.exp(1j * np.angle(w))

    n = coupling.num_qubits
    system, clock = list(range(n)), list(range(n, n + r))
    prepare = StatePreparation(np.sqrt(amps / amps.sum()))
    circuit = QuantumCircuit(n + r, name="block_encoding")
    circuit.append(prepare, clock)
    circuit.append(DiagonalGate(list(phases)), clock)

    def controlled_frames(direction: float) -> None:
        circuit.compose(evolve(direction * t[0], False), system, inplace=True)
        for j in range(r):
            circuit.compose(evolve(direction * step * 2**j, True), [clock[j], *system], inplace=True)

    controlled_frames(1.0)
    circuit.pauli(label, system)
    controlled_frames(-1.0)
    circuit.append(prepare.inverse(), clock)
    return BlockEncoding(circuit=circuit, alpha=alpha, num_ancillas=r, epsilon=float(epsilon))
