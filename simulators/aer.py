"""Run a ``CompiledSampler`` on Qiskit Aer: density matrix, trajectories (statevector shots), MPS.

Every run is ONE circuit and ONE job: the state preparation, then the steps, with a labelled save
instruction after the last step of every requested time. The ancilla is traced out by saving the
system qubits only. (One exception: a fused density-matrix run whose unitaries cannot fit in memory
at once is split into consecutive jobs, each starting from the previous job's full saved state.)

Speed. Aer's cost for these circuits is dominated by converting ~10⁵ instructions per step into its
C++ representation, not by the arithmetic. For small systems the run therefore uses
``step_circuit(fused=True)``: each factor (a dissipator or coherent-term block on system + ancilla)
as one ``UnitaryGate`` whose matrix Aer's unitary simulator computes *from the compiled gates
themselves*. The channel is the same to floating-point precision (tested) and a run costs
steps × (factors + resets) instructions. ``fuse=False`` runs the gate-level circuit verbatim.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler.lowering.step_circuits import FUSED_MAX_QUBITS
from kmsgibbs.compiler.memory import (
    BYTES_PER_INSTRUCTION,
    circuit_instructions,
    format_bytes,
    memory_limit,
    require_memory,
)

__all__ = [
    "AerRun",
    "RunEstimate",
    "estimate_run",
    "MAX_RUN_INSTRUCTIONS",
    "select_device",
    "run_density_matrix",
    "run_trajectories",
    "run_mps",
    "run_noisy",
    "run_instances",
    "is_randomized",
]

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
_NOISY_MAX_INSTRUCTIONS = 2_000_000


@dataclass(frozen=True)
class AerRun:
    """Reduced system states and observables at the requested times.

    Attributes:
        times: the snapshot times.
        method: the Aer method.
        device: "CPU" or "GPU".
        states: system density matrices (exact for ``density_matrix``; the shot average for
            trajectories), or ``None`` when not saved (large systems).
        state_stderr: elementwise standard error of ``states`` (trajectories), else ``None``.
        observables: name → values at each time (means over shots for trajectories).
        observable_stderr: name → standard errors of the means (zeros for ``density_matrix``).
        shots: trajectories per time (``None`` for ``density_matrix``).
        seconds: wall time of compile-for-simulation plus the Aer job.
    """

    times: tuple[float, ...]
    method: str
    device: str
    states: tuple[np.ndarray, ...] | None
    state_stderr: tuple[np.ndarray, ...] | None
    observables: dict[str, tuple[float, ...]] = field(default_factory=dict)
    observable_stderr: dict[str, tuple[float, ...]] = field(default_factory=dict)
    shots: int | None = None
    seconds: float = 0.0
    samples: int | None = None


def is_randomized(sampler) -> bool:
    """Whether ``sampler`` hands out random instances of a parametric circuit (the randomized scheme)."""
    return callable(getattr(sampler, "parameter_values", None))


def select_device(device: str | None = None) -> str:
    """``device`` if given (checked against Aer's devices), else "GPU" when Aer offers one, else "CPU"."""
    from qiskit_aer import AerSimulator

    available = tuple(AerSimulator().available_devices())
    if device is None:
        return "GPU" if "GPU" in available else "CPU"
    if device not in available:
        raise ValueError(f"device={device!r} is not available to Aer here (available: {available})")
    return device


def _require_state_memory(method: str, num_qubits: int, max_bytes: int | None) -> None:
    """Refuse a simulator state (16·4^N bytes for a density matrix, 16·2^N for a statevector) that
    does not fit under the memory limit (or ``max_bytes`` when smaller)."""
    base = 4 if method == "density_matrix" else 2
    need = 16 * base**num_qubits
    cap = memory_limit() if max_bytes is None else min(int(max_bytes), memory_limit())
    largest = max(0, int(math.log(max(cap, 16) / 16, base)))
    alternative = (
        "use method='statevector' (trajectories) or, for 1D chains, run_mps"
        if method == "density_matrix"
        else "use run_mps (matrix product states) for 1D chains"
    )
    require_memory(
        f"the {method} state of {num_qubits} qubits (system + ancilla)",
        need,
        alternative=alternative,
        fits=f"{largest} qubits",
        limit=max_bytes,
    )


def _checked_times(sampler, times: Sequence[float] | float) -> tuple[tuple[float, ...], list[int]]:
    times = (float(times),) if np.isscalar(times) else tuple(float(t) for t in times)
    if not times:
        raise ValueError("times must not be empty")
    steps = [sampler.num_steps(t) for t in times]
    if any(b < a for a, b in zip(steps, steps[1:])):
        raise ValueError(f"times must be non-decreasing, got {times}")
    return times, steps


def _checked_observables(sampler, observables: Mapping[str, SparsePauliOp] | None) -> dict[str, SparsePauliOp]:
    out = {}
    for name, op in (observables or {}).items():
        if not isinstance(op, SparsePauliOp):
            raise ValueError(f"observable {name!r} must be a SparsePauliOp, got {type(op).__name__}")
        if op.num_qubits != sampler.num_system:
            raise ValueError(
                f"observable {name!r} acts on {op.num_qubits} qubits, the system has {sampler.num_system}"
            )
        out[name] = op
    return out


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
        return _estimate_instances(sampler, times, samples=samples, fuse=fuse)
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
    ceiling = MAX_RUN_INSTRUCTIONS if max_instructions is None else max_instructions
    if estimate.instructions > ceiling:
        most = ceiling // max(estimate.instructions_per_step, 1)
        raise ValueError(
            f"the {estimate.method} run would hold {estimate.instructions:.3g} instructions ({estimate}), above the "
            f"ceiling of {ceiling:.3g} (~{ceiling / 2e4 / 60:.0f} min of Aer time here; {most} steps, t ≤ {most * dt:g}, "
            f"would fit); use fewer or earlier times or a larger dt, or pass max_instructions= to run it anyway"
        )


def _append_steps(circuit: QuantumCircuit, step: QuantumCircuit, done: int, targets, save) -> int:
    """Append ``step`` from ``done`` up to each target step count, calling ``save(circuit, i)`` after the
    i-th target; returns the step count reached."""
    for index, target in enumerate(targets):
        for _ in range(target - done):
            circuit.compose(step, inplace=True, copy=False)
        done = target
        save(circuit, index)
    return done


def _evolution(sampler, steps: list[int], initial_state, fuse: bool, save) -> QuantumCircuit:
    """Preparation, then the steps, calling ``save(circuit, index)`` after the last step of each time."""
    circuit = sampler.circuit(0.0, initial_state=initial_state)  # the preparation only
    _append_steps(circuit, sampler.step_circuit(fused=fuse), 0, steps, save)
    return circuit


def _resolve_fuse(fuse: bool | str, num_qubits: int) -> bool:
    if fuse == "auto":
        return num_qubits <= FUSED_MAX_QUBITS
    if not isinstance(fuse, bool):
        raise ValueError(f"fuse must be True, False or 'auto', got {fuse!r}")
    return fuse


def run_density_matrix(
    sampler,
    times: Sequence[float] | float,
    *,
    initial_state: QuantumCircuit | str | None = None,
    observables: Mapping[str, SparsePauliOp] | None = None,
    fuse: bool | str = "auto",
    device: str | None = None,
    max_bytes: int | None = None,
    max_instructions: int | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> AerRun:
    """Evolve on ``AerSimulator(method="density_matrix")`` and save the reduced system state at each time.

    Args:
        sampler: a ``CompiledSampler``.
        times: snapshot times (multiples of dt, non-decreasing), all in one circuit.
        initial_state: as for ``CompiledSampler.circuit``.
        observables: name → ``SparsePauliOp`` on the system, evaluated on the saved states.
        fuse: run ``step_circuit(fused=True)`` ("auto": when system + ancilla ≤ FUSED_MAX_QUBITS).
        device: "CPU" or "GPU" (default: GPU when Aer has one).
        max_bytes: refuse above this memory for the density matrix (default: the memory limit of
            :mod:`kmsgibbs.compiler.memory`, available memory unless set).
        max_instructions: refuse runs holding more instructions (default :data:`MAX_RUN_INSTRUCTIONS`).
        progress: called as ``progress(stage, fraction)`` with the estimate first, then after each
            job of a split run.

    Raises:
        MemoryLimitError: the state or one fused step does not fit (stated with the estimate).
        ValueError: bad times or observables, or more instructions than ``max_instructions``.
    """
    from qiskit_aer import AerSimulator

    start = _time.perf_counter()
    num_qubits = sampler.num_system + len(sampler.ancilla_qubits)
    _require_state_memory("density_matrix", num_qubits, max_bytes)
    times, steps = _checked_times(sampler, times)
    ops = _checked_observables(sampler, observables)
    device = select_device(device)
    system = sampler.system_qubits

    # everything the run will hold is estimated and checked before the fused step is computed
    estimate = estimate_run(sampler, times, method="density_matrix", fuse=fuse)
    _check_run(sampler, estimate, max_instructions)
    fused = estimate.fused
    per_job = estimate.steps_per_job
    if progress is not None:
        progress(f"estimate: {estimate}", 0.0)
    sim = AerSimulator(method="density_matrix", device=device)
    prep = sampler.circuit(0.0, initial_state=initial_state)
    step = sampler.step_circuit(fused=fused)
    states: list[np.ndarray] = []
    carry, done, pending = None, 0, list(steps)

    def save(circuit: QuantumCircuit, index: int) -> None:  # labels restart in every job
        circuit.save_density_matrix(qubits=system, label=f"rho_{index}")

    # one job when the steps fit; else consecutive jobs, each starting from the last one's full state
    while True:
        if carry is None:
            circuit = prep.copy()
        else:
            circuit = QuantumCircuit(*prep.qregs, *prep.cregs)
            circuit.set_density_matrix(carry)
        end = math.inf if per_job is None else done + per_job
        here = [t for t in pending if t <= end]
        pending = pending[len(here) :]
        done = _append_steps(circuit, step, done, here, save)
        if pending:
            done = _append_steps(circuit, step, done, [int(end)], lambda c, _: c.save_density_matrix(label="carry"))
        data = sim.run(transpile(circuit, sim, optimization_level=0)).result().data(0)
        states.extend(np.asarray(data[f"rho_{i}"]) for i in range(len(here)))
        if progress is not None and steps[-1]:
            progress(f"steps {done}/{steps[-1]}", done / steps[-1])
        if not pending:
            break
        carry = data["carry"]
    return _density_matrix_run(times, device, tuple(states), ops, start)


def _density_matrix_run(times, device: str, states: tuple[np.ndarray, ...], ops: dict, start: float) -> AerRun:
    """An ``AerRun`` of exact reduced states, with the observables evaluated on them."""
    values = {name: tuple(float(np.real(np.trace(op.to_matrix(sparse=True) @ rho))) for rho in states) for name, op in ops.items()}
    return AerRun(
        times=times,
        method="density_matrix",
        device=device,
        states=states,
        state_stderr=None,
        observables=values,
        observable_stderr={name: (0.0,) * len(times) for name in ops},
        shots=None,
        seconds=_time.perf_counter() - start,
    )


#: Per-shot reduced states are kept (for the averaged state and its error) up to this many system qubits.
_PERSHOT_STATE_QUBITS = 6


def _run_shots(
    sampler,
    times,
    *,
    method: str,
    shots: int,
    seed: int,
    initial_state,
    observables,
    fuse: bool | str,
    device: str | None,
    max_bytes: int | None,
    options: dict,
    batches: int = 1,
    progress=None,
    max_instructions: int | None = None,
) -> AerRun:
    from qiskit_aer import AerSimulator

    start = _time.perf_counter()
    if isinstance(shots, bool) or not isinstance(shots, int | np.integer) or shots < 2:
        raise ValueError(f"shots must be an integer ≥ 2 (the standard error needs two), got {shots!r}")
    if seed is None or isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer (runs are deterministic), got {seed!r}")
    num_qubits = sampler.num_system + len(sampler.ancilla_qubits)
    if method == "statevector":
        _require_state_memory("statevector", num_qubits, max_bytes)
    times, steps = _checked_times(sampler, times)
    ops = _checked_observables(sampler, observables)
    device = select_device(device) if method == "statevector" else "CPU"
    system = sampler.system_qubits
    keep_states = sampler.num_system <= _PERSHOT_STATE_QUBITS

    def save(circuit: QuantumCircuit, index: int) -> None:
        if keep_states:
            circuit.save_density_matrix(qubits=system, label=f"rho_{index}", pershot=True)
        for name, op in ops.items():
            circuit.save_expectation_value(op, system, label=f"{name}_{index}", pershot=True)

    # The shots' circuit is one job (a trajectory's state cannot be carried into the next job). When
    # its fused steps do not fit, the gate-level circuit fits even less (thousands of ~2 KB
    # instructions per factor against one 16·4^q matrix), so the run is refused with the estimate
    # rather than falling back to tens of millions of instructions.
    estimate = estimate_run(sampler, times, method=method, fuse=fuse)
    _check_run(sampler, estimate, max_instructions)
    if progress is not None:
        progress(f"estimate: {estimate}", 0.0)
    circuit = _evolution(sampler, steps, initial_state, estimate.fused, save)
    lowered = None
    sizes = [len(part) for part in np.array_split(np.arange(shots), max(1, min(int(batches), shots)))]
    collected: dict[str, list] = {}
    for b, size in enumerate(sizes):  # one circuit; batches only to report progress (seed + b each)
        sim = AerSimulator(method=method, device=device, seed_simulator=int(seed) + b, **options)
        lowered = lowered or transpile(circuit, sim, optimization_level=0)
        data = sim.run(lowered, shots=size).result().data(0)
        for key, value in data.items():
            collected.setdefault(key, []).extend(value)
        if progress is not None:
            progress(f"trajectories {sum(sizes[: b + 1])}/{shots}", sum(sizes[: b + 1]) / shots)
    states = stderr = None
    if keep_states:
        per_shot = [np.array([np.asarray(r) for r in collected[f"rho_{i}"]]) for i in range(len(times))]
        states = tuple(p.mean(axis=0) for p in per_shot)
        stderr = tuple(p.std(axis=0, ddof=1) / math.sqrt(shots) for p in per_shot)
    values, errors = {}, {}
    for name in ops:
        samples = [np.real(np.asarray(collected[f"{name}_{i}"], dtype=complex)) for i in range(len(times))]
        values[name] = tuple(float(s.mean()) for s in samples)
        errors[name] = tuple(float(s.std(ddof=1) / math.sqrt(shots)) for s in samples)
    return AerRun(
        times=times,
        method=method,
        device=device,
        states=states,
        state_stderr=stderr,
        observables=values,
        observable_stderr=errors,
        shots=shots,
        seconds=_time.perf_counter() - start,
    )


def run_trajectories(
    sampler,
    times: Sequence[float] | float,
    *,
    shots: int,
    seed: int,
    initial_state: QuantumCircuit | str | None = None,
    observables: Mapping[str, SparsePauliOp] | None = None,
    fuse: bool | str = "auto",
    device: str | None = None,
    max_bytes: int | None = None,
    max_instructions: int | None = None,
    batches: int = 1,
    progress: Callable[[str, float], None] | None = None,
) -> AerRun:
    """Quantum trajectories on ``AerSimulator(method="statevector")``: every shot samples the resets.

    Observables are saved per shot (means and standard errors); the shot-averaged reduced state and
    its elementwise standard error are kept up to 6 system qubits. ``batches`` > 1 splits the shots
    into that many runs of the same circuit (seeds seed, seed + 1, …) and calls
    ``progress(stage, fraction)`` after each (and once before, with the run's estimate).

    The run is one Aer job (a trajectory's state cannot be carried into a second job), so it is
    refused up front, with its :class:`RunEstimate`, when its fused steps do not fit under the
    memory limit (``method='density_matrix'`` splits into jobs instead) or when it would hold more
    than ``max_instructions`` (default :data:`MAX_RUN_INSTRUCTIONS`).
    """
    return _run_shots(
        sampler,
        times,
        method="statevector",
        shots=shots,
        seed=seed,
        initial_state=initial_state,
        observables=observables,
        fuse=fuse,
        device=device,
        max_bytes=max_bytes,
        options={},
        batches=batches,
        progress=progress,
        max_instructions=max_instructions,
    )


def run_mps(
    sampler,
    times: Sequence[float] | float,
    *,
    shots: int,
    seed: int,
    observables: Mapping[str, SparsePauliOp],
    initial_state: QuantumCircuit | str | None = None,
    max_bond_dimension: int | None = None,
    truncation_threshold: float = 1e-12,
) -> AerRun:
    """Trajectories on ``AerSimulator(method="matrix_product_state")`` for 1D chains beyond statevector sizes.

    Gate-level (no fusion: the MPS never forms a dense block). The resets make every shot a
    trajectory, so observables come with standard errors.
    """
    options = {"matrix_product_state_truncation_threshold": float(truncation_threshold)}
    if max_bond_dimension is not None:
        if int(max_bond_dimension) < 1:
            raise ValueError(f"max_bond_dimension must be ≥ 1, got {max_bond_dimension!r}")
        options["matrix_product_state_max_bond_dimension"] = int(max_bond_dimension)
    if not observables:
        raise ValueError("run_mps needs observables (the MPS run saves expectation values, not states)")
    return _run_shots(
        sampler,
        times,
        method="matrix_product_state",
        shots=shots,
        seed=seed,
        initial_state=initial_state,
        observables=observables,
        fuse=False,
        device=None,
        max_bytes=None,
        options=options,
    )


def run_noisy(
    sampler,
    times: Sequence[float] | float,
    *,
    backend,
    noise_model=None,
    initial_state: QuantumCircuit | str | None = None,
    observables: Mapping[str, SparsePauliOp] | None = None,
    seed: int | None = None,
    optimization_level: int = 1,
) -> AerRun:
    """Density-matrix run of the ISA circuits for ``backend`` under its noise (one circuit per time, one job).

    Each time's circuit is mapped with :func:`kmsgibbs.compiler.to_isa`; the reduced state is saved on
    the physical qubits where the system qubits end up. Aer simulates only the qubits the circuit
    touches. Gate level (a fused unitary would skip the gate noise), so keep the step count small.

    Args:
        sampler: a ``CompiledSampler``.
        times: snapshot times (multiples of dt).
        backend: the ``BackendV2`` (e.g. ``FakeFez()``) whose target the circuits are mapped to.
        noise_model: an Aer ``NoiseModel`` (default: ``NoiseModel.from_backend(backend)``).
        initial_state, observables: as for :func:`run_density_matrix`.
        seed: ``seed_transpiler`` for the mapping.
        optimization_level: for the mapping.
    """
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    from kmsgibbs.compiler.hardware import logical_positions, to_isa

    start = _time.perf_counter()
    times, steps = _checked_times(sampler, times)
    ops = _checked_observables(sampler, observables)
    if noise_model is None:
        noise_model = NoiseModel.from_backend(backend)
    if not isinstance(noise_model, NoiseModel):
        raise ValueError(f"noise_model must be a qiskit_aer.noise.NoiseModel, got {type(noise_model).__name__}")
    if max(steps) > 1:
        # a gate-level ISA circuit costs ~2 KB per instruction in Python, transpile and Aer: refuse early
        per_step = len(to_isa(sampler, backend, time=sampler.dt, seed=seed, optimization_level=optimization_level).data)
        need = sum(steps) * per_step
        require_memory(
            f"the noisy run's ISA circuits ({sum(steps)} steps × {per_step} instructions)",
            need * BYTES_PER_INSTRUCTION,
            alternative="use fewer or earlier times, or a coarser epsilon",
        )
        if need > _NOISY_MAX_INSTRUCTIONS:
            raise ValueError(
                f"the noisy run would hold ~{need:.3g} ISA instructions ({per_step} per step, ~{2e3 * need / _GIB:.3g} GiB); "
                f"the limit is {_NOISY_MAX_INSTRUCTIONS:.3g}: use fewer or earlier times, or a coarser epsilon"
            )
    circuits = []
    for t in times:
        isa = to_isa(sampler, backend, time=t, initial_state=initial_state, seed=seed, optimization_level=optimization_level)
        isa.save_density_matrix(qubits=logical_positions(isa, sampler.num_system), label="rho")
        circuits.append(isa)
    sim = AerSimulator(method="density_matrix", noise_model=noise_model)
    result = sim.run(circuits).result()
    states = tuple(np.asarray(result.data(i)["rho"]) for i in range(len(times)))
    return _density_matrix_run(times, "CPU", states, ops, start)


#: Memory for the fused unitaries of one job of instances (the instances are split into jobs).
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


def run_instances(
    sampler,
    times: Sequence[float] | float,
    *,
    samples: int,
    seed: int,
    initial_state: QuantumCircuit | str | None = None,
    observables: Mapping[str, SparsePauliOp] | None = None,
    fuse: bool | str = "auto",
    device: str | None = None,
    max_instructions: int | None = None,
    progress: Callable[[str, float], None] | None = None,
) -> AerRun:
    """K instances of a randomized sampler as density matrices on Aer, each instance's states saved at
    every time; the run reports their mean and its elementwise standard error std/√K.

    The mean estimates the averaged evolution Φ̄ᵗρ₀ (what ``error_bound`` bounds); instance k uses
    row k of ``sampler.parameter_values(times[-1], samples, seed=seed)``.

    Args:
        sampler: a ``RandomizedSampler``.
        times: snapshot times (multiples of dt, non-decreasing).
        samples: K ≥ 1 (K ≥ 2 for a standard error).
        seed: the instances' seed.
        initial_state: as for ``sampler.circuit``.
        observables: name → ``SparsePauliOp`` on the system, evaluated on the mean states.
        fuse: the fused instances (each block between resets one ``UnitaryGate``, computed from its
            gates; "auto": when system + one ancilla ≤ FUSED_MAX_QUBITS) or the gate-level circuit bound
            to each row. Every ancilla (``sampler.ancilla_qubits``, one per shared sweep's operator) is
            traced out: the saved states are the system's.
        device: "CPU" or "GPU".
        max_instructions: refuse runs holding more instructions (default :data:`MAX_RUN_INSTRUCTIONS`).
        progress: called as ``progress(stage, fraction)`` after each job.
    """
    from qiskit_aer import AerSimulator

    start = _time.perf_counter()
    times, steps = _checked_times(sampler, times)
    ops = _checked_observables(sampler, observables)
    estimate = estimate_run(sampler, times, fuse=fuse, samples=samples)
    _require_state_memory("density_matrix", estimate.num_qubits, None)
    ceiling = MAX_RUN_INSTRUCTIONS if max_instructions is None else max_instructions
    if estimate.instructions > ceiling:
        raise ValueError(
            f"the run would hold {estimate.instructions:.3g} instructions ({estimate}), above the ceiling of "
            f"{ceiling:.3g}; use fewer samples, a shorter time, or fused instances"
        )
    device = select_device(device)
    system = sampler.system_qubits
    final = times[-1]
    labels: dict[int, list[int]] = {}
    for index, k in enumerate(steps):
        labels.setdefault(k, []).append(index)

    def save(circuit: QuantumCircuit, k: int) -> None:
        for index in labels.get(k, ()):
            circuit.save_density_matrix(qubits=system, label=f"rho_{index}")

    require_memory(
        f"{estimate.jobs} job(s) of randomized instances ({estimate})",
        estimate.circuit_bytes,
        alternative="use fewer samples or a shorter time",
    )
    rows = sampler.parameter_values(final, samples, seed=seed)
    # built batch by batch: only one job's instances are held at a time
    template = None if estimate.fused else sampler.circuit(final, initial_state=initial_state, after_step=save)
    if 0 in labels:  # the preparation is the same in every instance
        zero = (
            sampler.fused_bind(0.0, np.zeros((1, 0)), initial_state=initial_state)[0]
            if estimate.fused
            else sampler.circuit(0.0, initial_state=initial_state)
        )
        save(zero, 0)
    sim = AerSimulator(method="density_matrix", device=device)
    per_job = math.ceil(samples / estimate.jobs)
    states = np.zeros((samples, len(times), 2**sampler.num_system, 2**sampler.num_system), dtype=complex)
    for first in range(0, samples, per_job):
        if estimate.fused:
            batch = sampler.fused_bind(final, rows[first : first + per_job], initial_state=initial_state, after_step=save)
        else:
            batch = [template.assign_parameters(row) for row in rows[first : first + per_job]]
        # fused instances hold only Kraus channels and unitaries, which Aer takes as they are
        result = sim.run(batch if estimate.fused else transpile(batch, sim, optimization_level=0)).result()
        for j in range(len(batch)):
            data = result.data(j)
            for index, k in enumerate(steps):
                if k:
                    states[first + j, index] = np.asarray(data[f"rho_{index}"])
        if progress is not None:
            progress(f"instances {min(first + per_job, samples)}/{samples}", min(first + per_job, samples) / samples)
    if 0 in labels:
        data = sim.run(transpile(zero, sim, optimization_level=0)).result().data(0)
        for index in labels[0]:
            states[:, index] = np.asarray(data[f"rho_{index}"])
    mean = states.mean(axis=0)
    stderr = states.std(axis=0, ddof=1) / math.sqrt(samples) if samples > 1 else np.full(mean.shape, np.inf)
    run = _density_matrix_run(times, device, tuple(mean), ops, start)
    spread = {}
    for name, op in ops.items():
        # ⟨O⟩ of every instance at every time, Tr(O ρ) = Σ_ij O_ji ρ_ij
        values = np.real(np.einsum("ji,ktij->kt", op.to_matrix(), states))
        error = values.std(axis=0, ddof=1) / math.sqrt(samples) if samples > 1 else np.full(len(times), math.inf)
        spread[name] = tuple(float(x) for x in error)
    return AerRun(
        times=times,
        method="density_matrix",
        device=device,
        states=run.states,
        state_stderr=tuple(stderr),
        observables=run.observables,
        observable_stderr=spread,
        shots=None,
        seconds=_time.perf_counter() - start,
        samples=samples,
    )
