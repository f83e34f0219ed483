"""Hardware targets: ISA circuits with resets on a backend's layout, and OpenQASM 3 export."""

from .hardware import (
    GATE_NAMES,
    PRE_INIT,
    CircuitSource,
    LowerNamedGates,
    as_target,
    chain_layout,
    logical_positions,
    lower_to_basis,
    to_isa,
    to_standard_gates,
)
from .qasm import dump_qasm3, to_qasm3

__all__ = [
    "GATE_NAMES",
    "PRE_INIT",
    "CircuitSource",
    "LowerNamedGates",
    "as_target",
    "chain_layout",
    "logical_positions",
    "lower_to_basis",
    "to_isa",
    "to_standard_gates",
    "to_qasm3",
    "dump_qasm3",
]
