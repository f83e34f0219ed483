"""Product-formula (Trotter–Suzuki) evolutions written out as single-Pauli rotations.

The returned circuits contain one ``PauliEvolutionGate`` per Pauli factor, so each gate is exact and
the product-formula error is really in the circuit. (A single ``PauliEvolutionGate`` of the whole H
converts to its *exact* exponential under ``Operator``, hiding the Trotter error.)
"""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.circuit.library import PauliEvolutionGate
from qiskit.quantum_info import SparsePauliOp
from qiskit.synthesis import LieTrotter, SuzukiTrotter

__all__ = ["trotter_evolution", "pauli_rotation"]


def pauli_rotation(label: str, angle: float) -> PauliEvolutionGate:
    """exp(−i·angle·P) for a Pauli label P (little-endian), as a ``PauliEvolutionGate``."""
    return PauliEvolutionGate(SparsePauliOp(label), time=float(angle))


def trotter_evolution(
    hamiltonian: SparsePauliOp, time: float, *, order: int = 2, steps: int = 1, controlled: bool = False
) -> QuantumCircuit:
    """e^{−iHt} by a Lie (order 1) or Suzuki (even order) product formula with ``steps`` steps.

    Args:
        hamiltonian: H with real coefficients.
        time: t (any sign; negative times run the inverse evolution of the same formula).
        order: 1, 2, 4, … (Suzuki's recursion for even orders).
        steps: number of product-formula steps of size t/steps (≥ 1).
        controlled: add a control qubit as qubit 0 (system qubits shift by one); every rotation is
            controlled, so the circuit is |0⟩⟨0| ⊗ I + |1⟩⟨1| ⊗ (product formula).

    Returns:
        A circuit on n (or n + 1) qubits.
    """
    if order != 1 and (order < 2 or order % 2):
        raise ValueError(f"order must be 1 or an even number >= 2, got {order!r}")
    if int(steps) != steps or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    n = hamiltonian.num_qubits
    coeffs = hamiltonian.coeffs
    if abs(coeffs.imag).max(initial=0.0) > 1e-12 * max(1.0, abs(coeffs).max(initial=0.0)):
        raise ValueError("the Hamiltonian must have real Pauli coefficients")
    real = SparsePauliOp(hamiltonian.paulis, coeffs.real)
    formula = LieTrotter(reps=int(steps)) if order == 1 else SuzukiTrotter(order=order, reps=int(steps))
    circuit = QuantumCircuit(n + int(controlled))
    offset = int(controlled)
    for label, qubits, theta in formula.expand(PauliEvolutionGate(real, time=float(time))):
        # expand() gives e^{−iθ/2 P}, with label[i] acting on qubits[i]
        gate = pauli_rotation(label[::-1], float(theta) / 2)
        targets = [q + offset for q in qubits]
        if controlled:
            circuit.append(gate.control(1), [0, *targets])
        else:
            circuit.append(gate, targets)
    return circuit
