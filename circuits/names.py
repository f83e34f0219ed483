"""The names of the package's composite gates: one definition, read by the builders and the lowering."""

from __future__ import annotations

__all__ = ["FACTOR_GATES", "BLOCK_ENCODING_GATE", "GATE_NAMES"]

#: The gate name of each kind of step factor (``count_ops()`` of a step reads as the algorithm).
FACTOR_GATES = {"dissipator": "dilation_step", "coherent": "coherent_step", "frame": "frame", "hamiltonian": "hamiltonian_step"}
#: The name of an LCU block-encoding circuit used as a gate.
BLOCK_ENCODING_GATE = "block_encoding"
#: Every composite gate the package builds; a pre-init pass lowers them to their definitions.
GATE_NAMES = (*FACTOR_GATES.values(), BLOCK_ENCODING_GATE)
