"""The initial-state argument shared by the samplers' ``circuit`` methods."""

from __future__ import annotations

from qiskit import QuantumCircuit


def prepare_initial_state(circuit: QuantumCircuit, initial_state: QuantumCircuit | str | None, num_system: int) -> None:
    """Append the preparation of ``initial_state`` on qubits 0..num_system−1, in place.

    Args:
        circuit: the circuit to extend (system qubits first).
        initial_state: ``None`` (|0…0⟩), a bit string (little-endian label, e.g. "011"), or a circuit on
            the ``num_system`` system qubits that prepares the state.
        num_system: n.
    """
    if isinstance(initial_state, str):
        if len(initial_state) != num_system or set(initial_state) - {"0", "1"}:
            raise ValueError(f"initial_state must be a {num_system}-bit string, got {initial_state!r}")
        for q, bit in enumerate(reversed(initial_state)):
            if bit == "1":
                circuit.x(q)
    elif isinstance(initial_state, QuantumCircuit):
        if initial_state.num_qubits != num_system:
            raise ValueError(f"initial_state acts on {initial_state.num_qubits} qubits, expected {num_system}")
        circuit.compose(initial_state, range(num_system), inplace=True)
    elif initial_state is not None:
        raise ValueError(f"initial_state must be None, a bit string or a QuantumCircuit, got {type(initial_state).__name__}")
