"""Gate counts of lowered circuits, and a fault-tolerant T-count estimate from their rotations.

A circuit lowered to {cx or cz, rz, sx, x, reset} is Clifford except for its ``rz`` gates: an angle
that is a multiple of π/2 is Clifford, an odd multiple of π/4 is one T gate (up to Cliffords), and
any other angle is a rotation that must be synthesised. With Selinger's z-rotation synthesis a
rotation to operator-norm precision δ costs at most ``4·log₂(1/δ) + 10`` T gates (his K ≈ 10;
Ross–Selinger's gridsynth typically reaches 3·log₂(1/δ) + O(log log 1/δ), so this is conservative).
Spreading a total synthesis error ε_syn over R rotations gives δ = ε_syn / R, and the synthesised
circuit's channel is within ε_syn of the exact one in ½‖·‖_◇ (each ‖U − V‖ ≤ δ, and the errors of a
product of unitaries add).

References:
    P. Selinger, "Efficient Clifford+T approximation of single-qubit operators", QIC 15, 159 (2015),
    arXiv:1212.6253. N. J. Ross, P. Selinger, "Optimal ancilla-free Clifford+T approximation of
    z-rotations", QIC 16, 901 (2016), arXiv:1403.2975.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression
from qiskit.converters import circuit_to_dag
from qiskit.dagcircuit import DAGCircuit

__all__ = ["GateCounts", "count_gates", "t_per_rotation"]

_ANGLE_ATOL = 1e-9


def t_per_rotation(precision: float) -> int:
    """T gates to synthesise one z-rotation to operator-norm ``precision`` (Selinger: 4·log₂(1/δ) + 10)."""
    if not 0 < precision < 1:
        raise ValueError(f"synthesis precision must be in (0, 1), got {precision!r}")
    return math.ceil(4 * math.log2(1 / precision) + 10)


@dataclass(frozen=True)
class GateCounts:
    """Counts of a lowered circuit (or a sum of blocks run one after another).

    Attributes:
        ops: instruction name → count.
        depth: circuit depth (sum over sequential blocks).
        two_qubit_depth: depth counting two-qubit gates only.
        rotations: ``rz`` gates with a non-Clifford, non-T angle.
        t_gates: ``rz`` gates by an odd multiple of π/4.
    """

    ops: dict[str, int]
    depth: int
    two_qubit_depth: int
    rotations: int
    t_gates: int

    @property
    def two_qubit_gates(self) -> int:
        return sum(n for name, n in self.ops.items() if name in ("cx", "cz", "ecr", "rzz", "swap"))

    @property
    def resets(self) -> int:
        return self.ops.get("reset", 0)

    def __add__(self, other: GateCounts) -> GateCounts:
        ops = dict(self.ops)
        for name, n in other.ops.items():
            ops[name] = ops.get(name, 0) + n
        return GateCounts(
            ops,
            self.depth + other.depth,
            self.two_qubit_depth + other.two_qubit_depth,
            self.rotations + other.rotations,
            self.t_gates + other.t_gates,
        )

    def __mul__(self, times: int) -> GateCounts:
        return GateCounts(
            {name: n * times for name, n in self.ops.items()},
            self.depth * times,
            self.two_qubit_depth * times,
            self.rotations * times,
            self.t_gates * times,
        )

    @classmethod
    def zero(cls) -> GateCounts:
        return cls({}, 0, 0, 0, 0)


def count_gates(circuit: QuantumCircuit | DAGCircuit, *, boxes: Mapping[str, GateCounts] | None = None) -> GateCounts:
    """Counts of a circuit (or DAG) already lowered to a Clifford + ``rz`` basis (any two-qubit Clifford entangler).

    Args:
        circuit: the lowered circuit.
        boxes: opaque gates of the circuit (by name) that stand for sub-circuits with these counts:
            their gates are added, and on the longest path each weighs its whole depth (two-qubit
            depth), as if none of its gates could start before all of its qubits are free — so the
            depths are upper bounds.
    """
    dag = circuit if isinstance(circuit, DAGCircuit) else circuit_to_dag(circuit)
    boxes = dict(boxes or {})
    rotations = t_gates = 0
    for node in dag.named_nodes("rz"):
        angle = node.params[0]  # node.params: no Python gate object per node
        if isinstance(angle, ParameterExpression):  # a sampled angle: generically not Clifford + T
            rotations += 1
            continue
        eighths = float(angle) / (math.pi / 4)
        nearest = round(eighths)
        if abs(eighths - nearest) > _ANGLE_ATOL:
            rotations += 1
        elif nearest % 2:
            t_gates += 1
    ops = {name: int(n) for name, n in dag.count_ops().items() if name not in boxes}
    for name, box in boxes.items():
        uses = len(dag.named_nodes(name))
        rotations += box.rotations * uses
        t_gates += box.t_gates * uses
        for op, n in box.ops.items():
            ops[op] = ops.get(op, 0) + n * uses
    if not boxes:
        depth = int(dag.depth())
        two_qubit_depth = _longest_path(dag.two_qubit_ops(), lambda node: 1)
    else:
        depth = _longest_path(dag.topological_op_nodes(), lambda node: boxes[node.name].depth if node.name in boxes else 1)
        two_qubit_depth = _longest_path(
            dag.topological_op_nodes(),
            lambda node: boxes[node.name].two_qubit_depth if node.name in boxes else int(len(node.qargs) == 2),
        )
    return GateCounts(ops=ops, depth=depth, two_qubit_depth=two_qubit_depth, rotations=rotations, t_gates=t_gates)


def _longest_path(nodes, weight) -> int:
    """The heaviest chain through ``nodes`` (in topological order) where consecutive nodes share a qubit."""
    level: dict = {}
    longest = 0
    for node in nodes:
        w = weight(node)
        if not w:
            continue
        layer = max(level.get(q, 0) for q in node.qargs) + w
        for q in node.qargs:
            level[q] = layer
        longest = max(longest, layer)
    return longest
