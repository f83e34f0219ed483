"""What an Aer run will hold (steps, instructions, jobs, memory), computed and checked before anything is built."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kmsgibbs.compiler._checks import check_integer
from kmsgibbs.compiler.lowering.step_circuits import FUSED_MAX_QUBITS
from kmsgibbs.compiler.memory import BYTES_PER_INSTRUCTION, circuit_instructions, format_bytes, memory_limit, require_memory

from .runs import _checked_times, check_sampler, is_randomized


_GIB = 1024**3
#: Memory for the fused unitaries of one density-matrix job (the run is split into jobs of this size;
#: larger jobs are not faster), and the copies of each that transpile + Aer make: 5.3 measured at
#: q = 5 (23 200 unitaries of 16 KiB: 1.9 GB above the baseline), ~6 at q = 7; 8 keeps a margin.
_FUSED_JOB_BYTES = 2 * _GIB
_FUSED_COPIES = 8
#: Instructions one run may hold over all its jobs (steps × instructions per step). Aer converts and
#: applies ~2·10⁴ instructions a second here, so 10⁷ is about ten minutes: above it a run is
#: refused with its estimate (``max_instructions=`` raises the ceiling).
MAX_RUN_INSTRUCTIONS = 10_000_000
#: Gate-level ISA instructions a noisy run may hold (all its circuits together).
@dataclass(frozen=True)
class RunEstimate:
    """What an Aer run will hold, computed before anything is built or allocated.

    Attributes:
        method: the Aer method.
        num_qubits: system + ancilla.
        steps: steps to the last requested time.
        fused: whether the run uses the fused step (one ``UnitaryGate`` per factor).
        instructions_per_step: instructions one step adds to the circuit (factors and resets, or
            the gate-level instructions).
        instructions: steps × instructions_per_step, over all jobs.
        jobs: consecutive Aer jobs (a fused density-matrix run is split to fit; otherwise 1).
        state_bytes: the simulator state, 16·4^N (density matrix) or 16·2^N (statevector).
        circuit_bytes: the largest job's circuit in memory (fused unitaries with their copies, or
            ~2 KB per gate-level instruction).
        steps_per_job: steps one job holds (``None``: all of them).
    """

    method: str
    num_qubits: int
    steps: int
    fused: bool
    instructions_per_step: int
    instructions: int
    jobs: int
    state_bytes: int
    circuit_bytes: int
    steps_per_job: int | None

    def __str__(self) -> str:
        kind = "fused" if self.fused else "gate-level"
        return (
            f"{self.steps} steps × {self.instructions_per_step} {kind} instructions = {self.instructions:.3g} "
            f"instructions in {self.jobs} job(s); {self.method} state {format_bytes(self.state_bytes)}, "
            f"circuit {format_bytes(self.circuit_bytes)} per job"
        )


def _resets_per_step(sampler) -> int:
    return sampler.plan.num_resets


def _fused_step_bytes(sampler) -> int:
    """Memory one fused step holds in a job: every factor's 2^q × 2^q matrix, with its copies."""
    q = sampler.num_system + len(sampler.ancilla_qubits)
    return _FUSED_COPIES * len(sampler.plan.factors) * 16 * 4**q


def _fused_job_bytes(method: str) -> int:
    """Budget for one job's fused unitaries: a density-matrix run splits into jobs of ≤ 2 GiB; a
    trajectory run cannot carry its shots' states across jobs, so its one job may use the limit."""
    return min(memory_limit(), _FUSED_JOB_BYTES) if method == "density_matrix" else memory_limit()


def estimate_run(
    sampler,
    times: Sequence[float] | float,
    *,
    method: str = "density_matrix",
    fuse: bool | str = "auto",
    samples: int = 1,
) -> RunEstimate:
    """Steps, instructions, jobs and memory of an Aer run, before anything is built.

    Fused runs need only the factor count; a gate-level run (``fuse=False``, or MPS) counts the
    expanded instructions of one step (a few seconds for n = 5).

    Args:
        sampler: a ``CompiledSampler``.
        times: snapshot times (multiples of dt, non-decreasing).
        method: "density_matrix", "statevector" or "matrix_product_state".
        fuse: as for :func:`run_density_matrix`.
        samples: instances of a randomized sampler (:func:`run_instances`; all counted).
    """
    if method not in ("density_matrix", "statevector", "matrix_product_state"):
        raise ValueError(f"method must be 'density_matrix', 'statevector' or 'matrix_product_state', got {method!r}")
    if is_randomized(sampler):
        return _estimate_instances(sampler, times, samples=check_integer("samples", samples, minimum=1), fuse=fuse)
    check_sampler(sampler, "aer.estimate_run", randomized=False)
    _, steps = _checked_times(sampler, times)
    total = steps[-1]
    q = sampler.num_system + len(sampler.ancilla_qubits)
    fused = method != "matrix_product_state" and _resolve_fuse(fuse, q)
    state = 16 * (4**q if method == "density_matrix" else 2**q)
    if fused:
        per_step = len(sampler.plan.factors) + _resets_per_step(sampler)
        step_bytes = _fused_step_bytes(sampler)
        if method == "density_matrix":
            per_job = _fused_job_bytes(method) // step_bytes
            jobs = max(1, math.ceil(total / per_job)) if per_job else 1
            held = min(total, per_job) if per_job else 1
        else:
            per_job, jobs, held = None, 1, total
        circuit_bytes = max(held, 1) * step_bytes
    else:
        per_step = circuit_instructions(sampler.step_circuit(fused=False))
        per_job, jobs = None, 1
        circuit_bytes = max(total, 1) * per_step * BYTES_PER_INSTRUCTION
    return RunEstimate(
        method=method,
        num_qubits=q,
        steps=total,
        fused=fused,
        instructions_per_step=per_step,
        instructions=total * per_step,
        jobs=jobs,
        state_bytes=state,
        circuit_bytes=circuit_bytes,
        steps_per_job=per_job,
    )


def _check_run(sampler, estimate: RunEstimate, max_instructions: int | None) -> None:
    """Refuse, with the estimate, a run whose circuit does not fit or that holds too many instructions."""
    dt = sampler.dt
    if estimate.fused and estimate.steps_per_job == 0:
        require_memory(
            f"one fused step of {estimate.num_qubits}-qubit unitaries ({len(sampler.plan.factors)} factors)",
            _fused_step_bytes(sampler),
            alternative="use fuse=False (gate level), or a larger memory limit",
            limit=_fused_job_bytes(estimate.method),
        )
    if estimate.fused:
        step_bytes = _fused_step_bytes(sampler)
        fits = _fused_job_bytes(estimate.method) // step_bytes
        alternative = (
            "use method='density_matrix' (it splits the steps into jobs that fit), or fewer or earlier times"
            if estimate.method == "statevector"
            else "use fewer or earlier times"
        )
        limit = _fused_job_bytes(estimate.method)
    else:
        per_step = estimate.instructions_per_step * BYTES_PER_INSTRUCTION
        fits = memory_limit() // max(per_step, 1)
        alternative = "use the fused circuit (fuse='auto', system + ancilla ≤ 8 qubits), or fewer or earlier times"
        limit = None
    require_memory(
        f"the {estimate.method} run ({estimate})",
        estimate.circuit_bytes,
        alternative=alternative,
        fits=f"{fits} steps (t ≤ {fits * dt:g})",
        limit=limit,
    )
    ceiling = MAX_RUN_INSTRUCTIONS if max_instructions is None else check_integer("max_instructions", max_instructions, minimum=1)
    if estimate.instructions > ceiling:
        most = ceiling // max(estimate.instructions_per_step, 1)
        raise ValueError(
            f"the {estimate.method} run would hold {estimate.instructions:.3g} instructions ({estimate}), above the "
            f"ceiling of {ceiling:.3g} (~{ceiling / 2e4 / 60:.0f} min of Aer time here; {most} steps, t ≤ {most * dt:g}, "
            f"would fit); use fewer or earlier times or a larger dt, or pass max_instructions= to run it anyway"
        )

def _resolve_fuse(fuse: bool | str, num_qubits: int) -> bool:
    if fuse == "auto":
        return num_qubits <= FUSED_MAX_QUBITS
    if not isinstance(fuse, bool):
        raise ValueError(f"fuse must be True, False or 'auto', got {fuse!r}")
    return fuse

_INSTANCE_JOB_BYTES = 512 * 1024**2


def _estimate_instances(sampler, times, *, samples: int, fuse: bool | str) -> RunEstimate:
    """The estimate of :func:`run_instances`: samples × steps × instructions per step, jobs of instances."""
    _, steps = _checked_times(sampler, times)
    total = steps[-1]
    # the dense cores are system + one ancilla (shared sweeps enter as isometries): that sets "auto",
    # and the fused instances are that wide; gate-level ones carry every ancilla
    fused = _resolve_fuse(fuse, sampler.num_system + 1)
    q = sampler.num_system + (1 if fused else len(sampler.ancilla_qubits))
    if fused:
        one = sampler.fused_instances(sampler.dt, 1, seed=0)[0]
        per_step = len(one.data)
        # every unitary of an instance is held, with the copies transpile and Aer make
        held = sum(sum(np.asarray(p).nbytes for p in i.operation.params) for i in one.data)
        instance_bytes = _FUSED_COPIES * max(total, 1) * held
        per_job = max(1, _INSTANCE_JOB_BYTES // max(instance_bytes, 1))
    else:
        per_step = circuit_instructions(sampler.step_circuit())
        instance_bytes = max(total, 1) * per_step * BYTES_PER_INSTRUCTION
        per_job = max(1, memory_limit() // max(instance_bytes, 1))
    jobs = max(1, math.ceil(samples / per_job))
    return RunEstimate(
        method="density_matrix",
        num_qubits=q,
        steps=total,
        fused=fused,
        instructions_per_step=per_step,
        instructions=samples * total * per_step,
        jobs=jobs,
        state_bytes=16 * 4**q,
        circuit_bytes=min(samples, per_job) * instance_bytes,
        steps_per_job=None,
    )

