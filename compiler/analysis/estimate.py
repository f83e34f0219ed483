"""What a randomized step will cost, from its plan alone: no step circuit is built.

A step is a sequence of a few kinds of pieces: product-formula frames of a known length on a window,
dilated Pauli rotations exp(−iθ X_anc ⊗ P), ancilla resets. Each distinct piece is lowered once (a
handful of gates) and counted by multiplicity, so pricing a step costs milliseconds where lowering it
costs seconds to minutes. The optimiser's cancellations across piece boundaries are not made, so the
estimate is a slight over-count of ``resources()`` (within a few per cent on chains and plaquettes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.circuits import trotter_evolution
from kmsgibbs.circuits.inputs import pauli_label
from kmsgibbs.circuits.product_formula import append_pauli_rotation

from ..lowering.frames import FrameEvolutions
from ..lowering.light_cone import restrict
from ..lowering.randomized import RandomizedPlan, unshifted_grid
from ..target.hardware import lower_to_basis
from .resources import count_gates

__all__ = ["estimated_two_qubit_gates"]


def _rotation(label: str) -> QuantumCircuit:
    circuit = QuantumCircuit(len(label) + 1)
    append_pauli_rotation(circuit, "X" + label, list(range(len(label) + 1)), 0.3)
    return circuit


def estimated_two_qubit_gates(
    plan: RandomizedPlan,
    couplings: Sequence[SparsePauliOp],
    frames: FrameEvolutions,
    *,
    basis_gates: Sequence[str] = ("cx", "rz", "sx", "x"),
) -> float:
    """Two-qubit gates per step of the randomized circuits, the mean over a cycle, from the plan.

    Per step: for each window group, the opening and closing sampled frames (``plan.frame_steps[0]``
    product-formula steps each) and, per sweep (one dissipator, or up to ``plan.sweep_ancillas`` sharing
    it), its passes through the grid: two (palindromic) or one (``plan.one_way_sweeps``), each with M
    dilated rotations per dissipator and the M − 1 frame segments over the grid spacings once for all
    (M nodes); per coherent term of the step's group, its sampled frames and a group commutator of eight
    passes (four sweeps), or four with ``plan.one_way_commutators``.
    """
    if frames.exact:
        raise ValueError("exact frames are dense reference unitaries without a gate count; compile without exact_evolution")
    pieces: Counter = Counter()  # (kind, window, detail) → occurrences per cycle
    cycle = plan.cycle

    def passes(factors, times: int) -> None:
        grid = unshifted_grid(factors[0])
        for factor in factors:
            label, _ = pauli_label(restrict(couplings[factor.operator], factor.window))
            pieces[("rotation", factor.window, label)] += len(grid.times) * times
        for gap in grid.times[1:] - grid.times[:-1]:
            pieces[("segment", factors[0].window, round(float(gap) / frames.trotter_step))] += times

    for window, group in plan.groups():
        pieces[("sampled", window, plan.frame_steps[0])] += 2 * cycle
        for sweep in plan.sweeps(group):
            passes(sweep, (1 if plan.one_way_sweeps else 2) * cycle)
    for c in range(cycle):
        for term in plan.coherent_group(c):
            pieces[("sampled", term.window, plan.frame_steps[1])] += 2
            passes([term], 4 if plan.one_way_commutators else 8)

    basis = [*basis_gates, "reset"]
    total = 0
    for (kind, window, detail), count in pieces.items():
        if kind == "rotation":
            circuit = _rotation(detail)
        elif kind == "segment":
            circuit = frames.frame(window, detail * frames.trotter_step)
        else:  # a sampled frame: ``detail`` product-formula steps whatever its length
            circuit = trotter_evolution(
                frames.window_hamiltonian(window), 0.37 * detail, order=frames.order, steps=detail, layered=frames.layered
            )
        total += count * count_gates(lower_to_basis(circuit, basis)).two_qubit_gates
    return total / cycle
