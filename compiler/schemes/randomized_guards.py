"""Size guards of the randomized sampler: what its bound instances and its exact averaged channel hold.

Each asks :func:`~kmsgibbs.compiler.memory.require_memory` before anything is drawn or built, and its
refusal names the sampler's call, the bytes, and the calls that work at that size (the instances on
Aer job by job, or one parametric circuit through an Estimator).
"""

from __future__ import annotations

from typing import Protocol

from qiskit import QuantumCircuit

from ..analysis.channels import MAX_CHANNEL_QUBITS
from ..lowering.randomized import RandomizedPlan
from ..memory import BYTES_PER_INSTRUCTION, circuit_instructions, require_memory


class RandomizedSampler(Protocol):
    """What the guards read of a ``RandomizedSampler`` (a protocol: the sampler's module imports this one)."""

    num_system: int
    dt: float
    plan: RandomizedPlan
    light_cone: int | None

    def num_steps(self, time: float) -> int: ...

    def step_circuit(self) -> QuantumCircuit: ...

__all__ = ["MAX_AVERAGED_QUBITS", "require_averaged", "require_instances"]

#: The exact averaged channel is computed up to this many system qubits (its cores act on system + ancilla).
MAX_AVERAGED_QUBITS = MAX_CHANNEL_QUBITS - 1
#: d⁴ superoperators alive at once while the averaged channels are computed (as analysis.averaged asks).
_AVERAGED_COPIES = 6
_INSTEAD = (
    "estimate the averaged evolution from instances instead: kmsgibbs.simulators.aer.run_instances(sampler, "
    "times, samples=K, seed=...) or kmsgibbs.simulators.primitives.estimate_instances"
)


def require_instances(sampler: RandomizedSampler, count: int, time: float, *, fused: bool = False) -> None:
    """Refuse ``count`` bound instances of ``time`` (gate level, or fused Kraus channels) that do not fit at once.

    Raises:
        MemoryLimitError: stating the instances, steps and bytes.
    """
    steps = sampler.num_steps(time)
    if not steps:
        return
    if fused:
        d = 2**sampler.num_system
        # per step: two d × d Kraus operators per dissipator and coherent channel, one closing unitary
        channels = len(sampler.plan.dissipators) + max((len(g) for g in sampler.plan.coherent), default=0)
        kind, nbytes = "fused", count * steps * 16 * d * d * (2 * channels + 1)
    else:
        per_step = circuit_instructions(sampler.step_circuit())
        # the parametric circuit, and every bound copy of it
        kind, nbytes = f"{per_step}-instruction", (count + 1) * steps * per_step * BYTES_PER_INSTRUCTION
    require_memory(
        f"{count} bound instances of {steps} {kind} randomized steps (time={time:g}, dt={sampler.dt:g})",
        nbytes,
        alternative="ask for fewer instances at a time, or run them with aer.run_instances (job by job) or "
        "primitives.estimate_instances (one parametric circuit)",
    )


def require_averaged(sampler: RandomizedSampler, call: str) -> None:
    """Refuse ``call`` (a method that needs the exact averaged channel) above the size it is computed for.

    Raises:
        MemoryLimitError: the d⁴ superoperators do not fit (stating the bytes and what works instead).
        ValueError: a light cone, or more than :data:`MAX_AVERAGED_QUBITS` system qubits.
    """
    n, d = sampler.num_system, 2**sampler.num_system
    if sampler.light_cone is not None:
        raise ValueError(f"{call} needs the exact averaged channel, which needs the untruncated sampler (light_cone=None); {_INSTEAD}")
    require_memory(
        f"{call} on a {n}-qubit randomized sampler (its exact averaged channel: {d * d} x {d * d} superoperators)",
        _AVERAGED_COPIES * 16 * d**4,
        alternative=_INSTEAD,
        fits=f"n ≤ {MAX_AVERAGED_QUBITS}",
    )
    if n > MAX_AVERAGED_QUBITS:
        raise ValueError(f"{call} computes the exact averaged channel for n ≤ {MAX_AVERAGED_QUBITS} system qubits, got {n}; {_INSTEAD}")
