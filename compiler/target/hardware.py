"""Map compiled samplers onto hardware targets: ISA circuits with resets, and OpenQASM 3 export.

The sampler's circuits are built from named gates (``dilation_step``, ``coherent_step``, ``frame``,
``hamiltonian_step``, ``block_encoding``) so that ``count_ops()`` reads as the algorithm. They are
lowered in a ``pre_init`` stage (:data:`PRE_INIT`) spliced into Qiskit's preset pass manager, then
laid out, routed and translated to the target's instructions as usual. Resets stay resets.

The layout follows the model: a system whose two-qubit couplings form a chain 0–1–…–(n−1) is placed
on a line of physical qubits, with the (single, shared) ancilla on a free neighbour of the middle
site, so no site is more than n/2 swaps from it. Other models are left to Qiskit's layout passes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import rustworkx as rx
from qiskit import QuantumCircuit, generate_preset_pass_manager, transpile
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.circuit import ParameterExpression
from qiskit.converters import circuit_to_dag
from qiskit.providers import BackendV2
from qiskit.dagcircuit import DAGCircuit
from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
from qiskit.transpiler import PassManager, Target, TransformationPass
from qiskit.transpiler.passes import (
    BasisTranslator,
    HighLevelSynthesis,
    InverseCancellation,
    Optimize1qGatesDecomposition,
    UnitarySynthesis,
)

from kmsgibbs.circuits import GATE_NAMES

from ..memory import BYTES_PER_INSTRUCTION, circuit_instructions, require_memory

__all__ = [
    "GATE_NAMES",
    "CircuitSource",
    "FRACTIONAL_GATES",
    "without_operations",
    "PRE_INIT",
    "LowerNamedGates",
    "as_target",
    "to_isa",
    "chain_layout",
    "logical_positions",
    "to_standard_gates",
    "lower_to_basis",
]


@runtime_checkable
class CircuitSource(Protocol):
    """What the hardware path reads of a compiled sampler: its circuits, step and Hamiltonian."""

    dt: float
    lindbladian: Any

    @property
    def num_system(self) -> int: ...

    def circuit(self, time: float, *, initial_state: QuantumCircuit | str | None = None) -> QuantumCircuit: ...


def source_circuit(
    source: CircuitSource | QuantumCircuit, *, time: float | None = None, initial_state=None
) -> QuantumCircuit:
    """The circuit of a sampler (for ``time``, default one step) or the circuit itself."""
    if isinstance(source, QuantumCircuit):
        return source
    if isinstance(source, CircuitSource):
        return source.circuit(source.dt if time is None else time, initial_state=initial_state)
    raise ValueError(f"expected a compiled sampler or a QuantumCircuit, got {type(source).__name__}")


class LowerNamedGates(TransformationPass):
    """Replace every named gate of the package (:data:`GATE_NAMES`) by its definition, one level.

    Like ``Decompose(gates_to_decompose=...)``, but it visits only the named nodes (``named_nodes``),
    not every gate of a 10⁶-gate circuit.
    """

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        for node in dag.named_nodes(*GATE_NAMES):
            dag.substitute_node_with_dag(node, circuit_to_dag(node.op.definition))
        return dag


#: The pre-init stage that lowers the package's named gates to their definitions.
PRE_INIT = PassManager([LowerNamedGates()])

def as_target(backend_or_target) -> Target:
    """The ``Target`` of a ``BackendV2``, or the ``Target`` itself."""
    if isinstance(backend_or_target, Target):
        return backend_or_target
    target = getattr(backend_or_target, "target", None)
    if not isinstance(target, Target):
        raise ValueError(f"expected a BackendV2 or a Target, got {type(backend_or_target).__name__}")
    return target


#: IBM's fractional gates: arbitrary-angle rzz and rx. They cannot be combined with dynamic circuits
#: (mid-circuit reset or measurement, control flow), and rzz is calibrated for angles in [0, π/2] only.
FRACTIONAL_GATES = ("rzz", "rx")
#: Operations that make a circuit dynamic on IBM hardware.
DYNAMIC_OPERATIONS = ("reset", "measure", "if_else", "while_loop", "for_loop", "switch_case")
RZZ_RANGE = (0.0, math.pi / 2)


def without_operations(target: Target, names: Sequence[str]) -> Target:
    """A copy of ``target`` without the operations ``names`` (every other instruction and its
    properties kept, so layout and routing still see the calibrated errors)."""
    reduced = Target(
        description=target.description, num_qubits=target.num_qubits, dt=target.dt,
        granularity=target.granularity, min_length=target.min_length, pulse_alignment=target.pulse_alignment,
        acquire_alignment=target.acquire_alignment, qubit_properties=target.qubit_properties,
        concurrent_measurements=target.concurrent_measurements,
    )
    for name in target.operation_names:
        if name not in names:
            reduced.add_instruction(target.operation_from_name(name), dict(target[name]), name=name)
    return reduced


def _rzz_in_range(circuit: QuantumCircuit) -> bool:
    low, high = RZZ_RANGE
    for instruction in circuit.data:
        if instruction.operation.name == "rzz":
            angle = instruction.operation.params[0]
            if isinstance(angle, ParameterExpression) or not low - 1e-12 <= float(angle) <= high + 1e-12:
                return False
    return True


def _chain_edges(hamiltonian) -> bool:
    """Whether every multi-qubit term of ``hamiltonian`` acts on neighbours i, i+1 only."""
    for pauli in hamiltonian.paulis:
        support = [i for i in range(hamiltonian.num_qubits) if pauli.z[i] or pauli.x[i]]
        if len(support) > 2 or (len(support) == 2 and support[1] - support[0] != 1):
            return False
    return True


def chain_layout(num_sites: int, target: Target) -> list[int] | None:
    """Physical qubits for a chain of ``num_sites`` plus one ancilla beside the middle site.

    Returns ``[p_0, …, p_{n−1}, p_ancilla]`` with p_i–p_{i+1} and p_{n//2}–p_ancilla coupled in the
    target, or ``None`` when the target has no such subgraph (or no coupling map).
    """
    cmap = target.build_coupling_map()
    if cmap is None:
        return None
    graph = cmap.graph.to_undirected(multigraph=False)
    pattern = rx.PyGraph()
    pattern.add_nodes_from(range(num_sites + 1))
    pattern.add_edges_from_no_data([(i, i + 1) for i in range(num_sites - 1)])
    if num_sites > 1:
        pattern.add_edge(num_sites // 2, num_sites, None)
    else:
        pattern.add_edge(0, 1, None)
    mapping = next(iter(rx.vf2_mapping(graph, pattern, subgraph=True, induced=False, id_order=False, call_limit=10**6)), None)
    if mapping is None:
        return None
    inverse = {v: k for k, v in mapping.items()}
    return [inverse[i] for i in range(num_sites + 1)]


def logical_positions(circuit: QuantumCircuit, num_logical: int) -> list[int]:
    """Where logical qubits 0..num_logical−1 sit at the end of ``circuit`` (identity without a layout)."""
    if circuit.layout is None:
        return list(range(num_logical))
    return list(circuit.layout.final_index_layout()[:num_logical])


def _check_target(circuit: QuantumCircuit, target: Target) -> None:
    if target.num_qubits is not None and target.num_qubits < circuit.num_qubits:
        raise ValueError(f"the target has {target.num_qubits} qubits; the circuit needs {circuit.num_qubits}")
    used = set(circuit.count_ops())
    if "reset" in used and "reset" not in target.operation_names:
        raise ValueError(
            "the target does not support 'reset' (mid-circuit reset of the ancilla after every factor); "
            f"its instructions are {sorted(target.operation_names)}"
        )


def to_isa(
    sampler_or_circuit: CircuitSource | QuantumCircuit,
    backend_or_target: BackendV2 | Target,
    *,
    time: float | None = None,
    initial_state: QuantumCircuit | str | None = None,
    seed: int | None = None,
    optimization_level: int = 1,
    layout: list[int] | None = None,
) -> QuantumCircuit:
    """Transpile a sampler's circuit (or any circuit) to the instruction set of a backend or ``Target``.

    Args:
        sampler_or_circuit: a ``CompiledSampler`` (its ``circuit(time, initial_state=...)``) or a
            ``QuantumCircuit``.
        backend_or_target: a ``BackendV2`` (e.g. ``FakeFez()``, ``GenericBackendV2(...)``) or a ``Target``.
        time: evolution time for a sampler (default: one step, dt).
        initial_state: passed to ``CompiledSampler.circuit``.
        seed: ``seed_transpiler`` (layout and routing are stochastic).
        optimization_level: preset level 0–3.
        layout: physical qubit of each circuit qubit (default: :func:`chain_layout` for a sampler whose
            Hamiltonian is a chain, else Qiskit's layout passes).

    Fractional gates (IBM's arbitrary-angle rzz and rx, ``FRACTIONAL_GATES``) are used only where the
    hardware accepts them: never in a dynamic circuit (every sampler's circuit resets its ancilla), never
    with an unbound parameter (its angle could leave rzz's calibrated range [0, π/2]), and for a bound
    circuit only when every rzz angle lands in that range (else it is lowered without them).

    Returns:
        The ISA circuit; ``circuit.layout`` maps the logical qubits (system 0..n−1, ancilla n) to
        physical ones (use ``SparsePauliOp.apply_layout`` for observables).

    Raises:
        ValueError: the target has too few qubits or cannot reset.
    """
    target = as_target(backend_or_target)
    circuit = source_circuit(sampler_or_circuit, time=time, initial_state=initial_state)
    _check_target(circuit, target)
    if layout is None and not isinstance(sampler_or_circuit, QuantumCircuit):
        # the chain layout places one ancilla; several (shared sweeps) are left to Qiskit's layout passes
        single = len(getattr(sampler_or_circuit, "ancilla_qubits", [None])) == 1
        if single and _chain_edges(sampler_or_circuit.lindbladian.hamiltonian):
            layout = chain_layout(sampler_or_circuit.num_system, target)
    if optimization_level not in (0, 1, 2, 3):
        raise ValueError(f"optimization_level must be 0, 1, 2 or 3, got {optimization_level!r}")
    fractional = [name for name in FRACTIONAL_GATES if name in target.operation_names]
    if fractional and (circuit.parameters or set(circuit.count_ops()) & set(DYNAMIC_OPERATIONS)):
        # dynamic circuits cannot use fractional gates, and a parameterised angle cannot be kept in range
        target, fractional = without_operations(target, fractional), []

    def run(on: Target) -> QuantumCircuit:
        pm = generate_preset_pass_manager(optimization_level, target=on, initial_layout=layout, seed_transpiler=seed)
        pm.pre_init = PRE_INIT
        return pm.run(circuit)

    isa = run(target)
    if fractional and not _rzz_in_range(isa):  # a bound angle outside rzz's calibrated range
        isa = run(without_operations(target, fractional))
    return isa


def to_standard_gates(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` with every custom gate unrolled to Qiskit's standard gates (plus reset/measure).

    What QASM 3 consumers and primitives that do not transpile (Aer's) accept; no layout, no routing.
    """
    size = circuit_instructions(circuit)
    require_memory(
        f"lowering a circuit of {size} gate-level instructions",
        size * BYTES_PER_INSTRUCTION,
        alternative="export fewer steps, or compile with a light_cone (its blocks are counted by kmsgibbs resources)",
    )
    basis = [*get_standard_gate_name_mapping(), "reset", "measure"]
    return transpile(PRE_INIT.run(circuit), basis_gates=basis, optimization_level=0)


def lower_to_basis(circuit: QuantumCircuit, basis_gates: Sequence[str], *, keep: Sequence[str] = ()) -> DAGCircuit:
    """``circuit`` lowered to ``basis_gates`` without layout, with the optimisations of Qiskit's level 1.

    Named gates are unrolled, everything else is synthesised and translated to the basis, then
    1q-run resynthesis and cancellation of adjacent inverse pairs alternate until the gate count
    stops falling. Gates named in ``keep`` stay as opaque boxes (optimisations do not cross them),
    which ``transpile(basis_gates=...)`` does not allow. Returned as a DAG, ready for counting.
    """
    basis = [*basis_gates, *keep]
    dag = LowerNamedGates().run(circuit_to_dag(circuit))
    for lowering in (
        UnitarySynthesis(list(basis_gates)),
        HighLevelSynthesis(basis_gates=basis, equivalence_library=SessionEquivalenceLibrary),
        BasisTranslator(SessionEquivalenceLibrary, basis),
    ):
        dag = lowering.run(dag)
    resynthesis = Optimize1qGatesDecomposition(basis=list(basis_gates))
    cancellation = InverseCancellation()
    size = None
    while size != dag.size():
        size = dag.size()
        dag = cancellation.run(resynthesis.run(dag))
    return dag
