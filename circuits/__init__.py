"""Gate-level building blocks (no physics): product formulas, LCU block-encodings, dilation steps, coupled system–ancilla evolutions."""

from .block_encoding import BlockEncoding, gram_block_encoding, lcu_block_encoding
from .coupled_evolution import coupled_evolution
from .dilation import (
    commutator_step, dilation_pass, dilation_step, dilation_sweep, one_way_commutator_step, shared_dilation_step,
    shared_dilation_sweep, signed_commutator_step,
)
from .exact_reference import exact_evolution
from .names import FACTOR_GATES, GATE_NAMES
from .product_formula import append_pauli_rotation, commuting_layers, pauli_rotation, trotter_evolution

__all__ = [
    "BlockEncoding",
    "lcu_block_encoding",
    "gram_block_encoding",
    "dilation_step",
    "dilation_sweep",
    "shared_dilation_sweep",
    "shared_dilation_step",
    "commutator_step",
    "signed_commutator_step",
    "dilation_pass",
    "one_way_commutator_step",
    "coupled_evolution",
    "trotter_evolution",
    "commuting_layers",
    "pauli_rotation",
    "append_pauli_rotation",
    "exact_evolution",
    "FACTOR_GATES",
    "GATE_NAMES",
]
