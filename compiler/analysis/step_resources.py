"""Resources of a compiled step: qubits, two-qubit gates, depths, resets and a T-count estimate.

Without a light cone the whole step circuit is lowered and counted. With one, couplings whose window
Hamiltonian and local operator coincide (a uniform chain's bulk) compile to the same block: each
distinct block is lowered once (and cached across samplers with the same grids and dt) and counted
with its multiplicity. The factors share the one ancilla, so they run one after another: depths add.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qiskit import QuantumCircuit

from ..lowering.compiled import CompiledStep
from ..lowering.step_circuits import block_circuit, step_circuit
from ..target.hardware import as_target, chain_layout, lower_to_basis, to_isa
from .resources import GateCounts, count_gates, t_per_rotation

__all__ = ["Resources", "step_resources", "cycle_resources", "lowered_counts", "resources_of"]

#: Lowered light-cone blocks, shared between samplers (a resources table over n reuses them).
_BLOCK_CACHE: dict[tuple, tuple[GateCounts, set[int], object]] = {}
_BLOCK_CACHE_SIZE = 256


@dataclass(frozen=True)
class Resources:
    """What one step (and optionally a whole evolution) costs after lowering.

    Attributes:
        qubits: qubits used (system, ancilla and, on a target, any that routing borrows).
        two_qubit_gates_per_step, depth_per_step, two_qubit_depth_per_step, resets_per_step: per step.
        rotations_per_step: ``rz`` gates with a non-Clifford, non-T angle; t_gates_per_step: odd π/4.
        t_per_rotation: T gates per synthesised rotation at ``synthesis_precision`` (Selinger).
        synthesis_precision: δ = synthesis_error / rotations (``None`` without rotations).
        synthesis_error: the total synthesis error ε_syn allowed.
        t_count_per_step: t_gates + rotations·t_per_rotation.
        basis_gates: the instructions counted in.
        steps, two_qubit_gates, depth, t_count: totals over ``time`` (``None`` without a time).
    """

    qubits: int
    two_qubit_gates_per_step: int
    depth_per_step: int
    two_qubit_depth_per_step: int
    resets_per_step: int
    rotations_per_step: int
    t_gates_per_step: int
    t_per_rotation: int
    synthesis_precision: float | None
    synthesis_error: float
    t_count_per_step: int
    basis_gates: tuple[str, ...]
    steps: int | None = None
    two_qubit_gates: int | None = None
    depth: int | None = None
    t_count: int | None = None


def _cached_counts(key: tuple, target, lower: Callable[[], tuple[GateCounts, set[int]]]) -> tuple[GateCounts, set[int]]:
    """``lower()`` once per key (a key names the block, the target, the basis and the seed)."""
    if key not in _BLOCK_CACHE:
        if len(_BLOCK_CACHE) >= _BLOCK_CACHE_SIZE:
            _BLOCK_CACHE.pop(next(iter(_BLOCK_CACHE)))
        counts, used = lower()
        _BLOCK_CACHE[key] = (counts, used, target)  # the target is held so that its id stays unique
    counts, used, _ = _BLOCK_CACHE[key]
    return counts, used


def lowered_counts(circuit: QuantumCircuit, target, basis_gates: Sequence[str], seed, chain_sites: int) -> tuple[GateCounts, set[int]]:
    """Counts of ``circuit`` (chain sites first, ancilla last) lowered to the basis or mapped to the target,
    and the qubits it uses."""
    if target is None:
        return count_gates(lower_to_basis(circuit, [*basis_gates, "reset"])), set(range(circuit.num_qubits))
    layout = chain_layout(chain_sites, as_target(target)) if circuit.num_qubits == chain_sites + 1 else None
    isa = to_isa(circuit, target, layout=layout, seed=seed)
    used = {isa.find_bit(q).index for instruction in isa.data for q in instruction.qubits}
    return count_gates(isa), used


def boxed_counts(step: CompiledStep, operator: int, basis_gates: Sequence[str]) -> GateCounts:
    """Counts of one light-cone block with each distinct frame evolution lowered once and counted as a box.

    Optimisations across a box boundary (merging the last layer of one Trotter step with the first
    of the next, or 1q runs through the box) are not made, so the counts are those of a valid,
    slightly less optimised lowering: upper bounds on the whole-block lowering.
    """
    window = step.windows[operator]
    basis = [*basis_gates, "reset"]
    skeleton = block_circuit(step.plan.restricted(operator), step.couplings, step.frames, opaque=True)
    boxes = {
        name: count_gates(lower_to_basis(step.frames.frame(window, s), basis))
        for name, s in step.frames.boxes(window).items()
    }
    return count_gates(lower_to_basis(skeleton, basis, keep=list(boxes)), boxes=boxes)


def step_resources(
    step: CompiledStep,
    steps: int | None,
    *,
    target=None,
    basis_gates: Sequence[str] = ("cx", "rz", "sx", "x"),
    synthesis_error: float = 1e-3,
    seed: int | None = 0,
    whole_blocks: bool = False,
) -> Resources:
    """The :class:`Resources` of ``step`` (totals over ``steps`` steps when given).

    Args:
        step: the compiled step.
        steps: number of steps of the evolution, or ``None`` for one step only.
        target: a ``BackendV2`` or ``Target``: count the ISA circuit (chain layout, routing included).
        basis_gates: the lowering without a target (plus ``reset``).
        synthesis_error: total Clifford+T synthesis error over the evolution (one step without ``steps``).
        seed: ``seed_transpiler`` for the target mapping.
        whole_blocks: with a light cone and no target, lower every distinct block whole instead of
            lowering its frame evolutions once each as boxes (box counts are upper bounds).
    """
    if not 0 < synthesis_error < 1:
        raise ValueError(f"synthesis_error must be in (0, 1), got {synthesis_error!r}")
    width = step.num_system + 1
    if target is not None and (as_target(target).num_qubits or width) < width:
        raise ValueError(f"the target has {as_target(target).num_qubits} qubits; the circuit needs {width}")
    if step.light_cone is None:
        circuit = step_circuit(step.plan, step.couplings, step.frames)
        counts, used = lowered_counts(circuit, target, basis_gates, seed, step.num_system)
        qubits = len(used)
    else:
        counts, qubits = GateCounts.zero(), width
        boxed = target is None and not whole_blocks
        for k, multiplicity in step.blocks.items():
            window = step.windows[k]
            key = (step.block_key(k), None if target is None else id(target), tuple(basis_gates), seed, boxed)
            if boxed:
                block_counts, used = _cached_counts(
                    key, None, lambda k=k, w=window: (boxed_counts(step, k, basis_gates), set(range(len(w) + 1)))
                )
            else:
                block_counts, used = _cached_counts(
                    key,
                    target,
                    lambda k=k, w=window: lowered_counts(
                        block_circuit(step.plan.restricted(k), step.couplings, step.frames), target, basis_gates, seed, len(w)
                    ),
                )
            counts = counts + block_counts * multiplicity
            # qubits a block's routing borrows beyond its window and the ancilla
            qubits = max(qubits, width + len(used) - (len(window) + 1))
        if step.include_system_hamiltonian:
            ham = step.frames.evolution(step.form.hamiltonian, step.dt)
            counts = counts + lowered_counts(ham, target, basis_gates, seed, step.num_system)[0]
    return resources_of(counts, steps, qubits=int(qubits), target=target, basis_gates=basis_gates, synthesis_error=synthesis_error)


def cycle_resources(
    circuit_of: Callable[[int], QuantumCircuit],
    cycle: int,
    steps: int | None,
    *,
    num_system: int,
    target=None,
    basis_gates: Sequence[str] = ("cx", "rz", "sx", "x"),
    synthesis_error: float = 1e-3,
    seed: int | None = 0,
) -> Resources:
    """The :class:`Resources` of steps that repeat with period ``cycle`` (the randomized scheme's
    coherent groups): ``circuit_of(r)`` is the circuit of the first r steps, lowered for r = 1..cycle.

    Per step: the cycle's counts divided by ``cycle`` and rounded (the steps of a cycle differ by their
    coherent term). Totals over ``steps``: whole cycles plus the lowered prefix of the rest, exact up to
    the few gates the optimiser cancels across a cycle boundary; depths add.
    """
    if not 0 < synthesis_error < 1:
        raise ValueError(f"synthesis_error must be in (0, 1), got {synthesis_error!r}")
    prefix, qubits = [GateCounts.zero()], 0
    for r in range(1, cycle + 1):
        counts, used = lowered_counts(circuit_of(r), target, basis_gates, seed, num_system)
        prefix.append(counts)
        qubits = max(qubits, len(used))
    whole = prefix[cycle]
    per_step = GateCounts(
        {name: round(n / cycle) for name, n in whole.ops.items()},
        round(whole.depth / cycle),
        round(whole.two_qubit_depth / cycle),
        round(whole.rotations / cycle),
        round(whole.t_gates / cycle),
    )
    total = None
    if steps is not None:
        cycles, rest = divmod(steps, cycle)
        total = whole * cycles + prefix[rest]
    return resources_of(
        per_step, steps, qubits=qubits, target=target, basis_gates=basis_gates, synthesis_error=synthesis_error, total=total
    )


def resources_of(
    per_step: GateCounts,
    steps: int | None,
    *,
    qubits: int,
    target,
    basis_gates: Sequence[str],
    synthesis_error: float,
    total: GateCounts | None = None,
) -> Resources:
    """The :class:`Resources` of a step that lowers to ``per_step`` (run ``steps`` times, whose counts
    are ``total`` when the steps differ, else ``steps`` × ``per_step``)."""
    if total is None and steps is not None:
        total = per_step * steps
    rotations = per_step.rotations if total is None else total.rotations
    precision = synthesis_error / rotations if rotations else None
    per_rotation = t_per_rotation(precision) if rotations else 0
    t_count = per_step.t_gates + per_step.rotations * per_rotation
    return Resources(
        qubits=qubits,
        two_qubit_gates_per_step=per_step.two_qubit_gates,
        depth_per_step=per_step.depth,
        two_qubit_depth_per_step=per_step.two_qubit_depth,
        resets_per_step=per_step.resets,
        rotations_per_step=per_step.rotations,
        t_gates_per_step=per_step.t_gates,
        t_per_rotation=per_rotation,
        synthesis_precision=precision,
        synthesis_error=float(synthesis_error),
        t_count_per_step=t_count,
        basis_gates=tuple(basis_gates) if target is None else tuple(sorted(as_target(target).operation_names)),
        steps=steps,
        two_qubit_gates=None if total is None else total.two_qubit_gates,
        depth=None if total is None else total.depth,
        t_count=None if total is None else total.t_gates + total.rotations * per_rotation,
    )
