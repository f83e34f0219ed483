"""OpenQASM 3 export of a sampler's circuit (or any circuit), in standard gates, written atomically."""

from __future__ import annotations

import os
from pathlib import Path

from qiskit import QuantumCircuit, qasm3
from qiskit.circuit.library import get_standard_gate_name_mapping

from ..files import atomic_write
from .hardware import CircuitSource, source_circuit, to_standard_gates

__all__ = ["to_qasm3", "dump_qasm3"]


def to_qasm3(
    sampler_or_circuit: CircuitSource | QuantumCircuit, *, time: float | None = None, initial_state=None
) -> str:
    """OpenQASM 3 text of a sampler's circuit (default: one step) or of a circuit, in standard gates.

    Custom gates do not survive a QASM 3 round trip (Qiskit/qiskit#11558), so the export is lowered
    to standard gates first (the maintainers' workaround).
    """
    circuit = source_circuit(sampler_or_circuit, time=time, initial_state=initial_state)
    standard = set(get_standard_gate_name_mapping()) | {"reset", "measure", "barrier"}
    # an ISA or already-lowered circuit is written as it is: lowering it again would only cost time
    return qasm3.dumps(circuit if set(circuit.count_ops()) <= standard else to_standard_gates(circuit))


def dump_qasm3(
    sampler_or_circuit: CircuitSource | QuantumCircuit,
    path: str | os.PathLike,
    *,
    time: float | None = None,
    initial_state=None,
) -> Path:
    """Write :func:`to_qasm3` to ``path`` atomically (a temporary file in the same folder, then rename)."""
    return atomic_write(path, to_qasm3(sampler_or_circuit, time=time, initial_state=initial_state))
