"""Exact (dense) evolutions, for reference runs on small systems only: they do not scale."""

from __future__ import annotations

from scipy.linalg import expm
from qiskit import QuantumCircuit
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import SparsePauliOp

__all__ = ["exact_evolution"]


def exact_evolution(hamiltonian: SparsePauliOp, time: float, *, controlled: bool = False) -> QuantumCircuit:
    """e^{−iHt} as one dense ``UnitaryGate`` (reference only; control qubit 0 if ``controlled``)."""
    n = hamiltonian.num_qubits
    gate = UnitaryGate(expm(-1j * float(time) * hamiltonian.to_matrix()), label=f"exp(-iH·{time:g})", check_input=False)
    circuit = QuantumCircuit(n + int(controlled))
    if controlled:
        circuit.append(gate.control(1), list(range(n + 1)))
    else:
        circuit.append(gate, list(range(n)))
    return circuit
