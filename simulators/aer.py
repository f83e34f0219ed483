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
import os
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler.lowering.step_circuits import FUSED_MAX_QUBITS

__all__ = [
    "AerRun",
    "select_device",
    "run_density_matrix",
    "run_trajectories",
    "run_mps",
    "run_noisy",
]

_GIB = 1024**3
#: Memory for the fused unitaries of one job, and the copies of each that transpile + Aer make.
_FUSED_JOB_BYTES = 2 * _GIB
_FUSED_COPIES = 8
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


def select_device(device: str | None = None) -> str:
    """``device`` if given (checked against Aer's devices), else "GPU" when Aer offers one, else "CPU"."""
    from qiskit_aer import AerSimulator

    available = tuple(AerSimulator().available_devices())
    if device is None:
        return "GPU" if "GPU" in available else "CPU"
    if device not in available:
        raise ValueError(f"device={device!r} is not available to Aer here (available: {available})")
    return device


def _memory_limit() -> int:
    """Half the machine's physical memory (the rest is for Python, the fused unitaries, the result)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 8 * _GIB


def _check_memory(method: str, num_qubits: int, max_bytes: int | None) -> None:
    need = 16 * (4**num_qubits if method == "density_matrix" else 2**num_qubits)
    limit = _memory_limit() if max_bytes is None else int(max_bytes)
    if need > limit:
        alternative = (
            "method='statevector' (trajectories) or, for 1D chains, 'matrix_product_state'"
            if method == "density_matrix"
            else "method='matrix_product_state' for 1D chains"
        )
        raise ValueError(
            f"the {method} method needs {need / _GIB:.3g} GiB for {num_qubits} qubits (limit "
            f"{limit / _GIB:.3g} GiB); use {alternative}"
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


def _fused_steps_per_job(sampler, fuse: bool) -> int | None:
    """How many fused steps one circuit can hold (``None``: unlimited, the run is gate-level)."""
    if not fuse:
        return None
    # every instance of a fused factor carries its own 2^q × 2^q matrix through transpile and Aer's
    # conversion: ~6 copies measured at q = 7 (217 factors × 55 steps reached 16 GB)
    q = sampler.num_system + len(sampler.ancilla_qubits)
    return _fused_job_bytes() // (_FUSED_COPIES * len(sampler.plan.factors) * 16 * 4**q)


def _fused_job_bytes() -> int:
    return min(_memory_limit(), _FUSED_JOB_BYTES)


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
    per_job = _fused_steps_per_job(sampler, fuse)
    if per_job is not None and steps and steps[-1] > per_job:
        q = sampler.num_system + len(sampler.ancilla_qubits)
        raise ValueError(
            f"the fused circuit for {steps[-1]} steps needs more than {_fused_job_bytes() / _GIB:.3g} GiB of "
            f"{q}-qubit unitaries (one circuit holds {per_job} steps); use fewer or earlier times, or fuse=False"
        )
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
        max_bytes: refuse above this memory for the density matrix (default: half the machine's RAM).
        progress: called as ``progress(stage, fraction)`` after each job of a split run.
    """
    from qiskit_aer import AerSimulator

    start = _time.perf_counter()
    num_qubits = sampler.num_system + len(sampler.ancilla_qubits)
    _check_memory("density_matrix", num_qubits, max_bytes)
    times, steps = _checked_times(sampler, times)
    ops = _checked_observables(sampler, observables)
    device = select_device(device)
    system = sampler.system_qubits

    fused = _resolve_fuse(fuse, num_qubits)
    per_job = _fused_steps_per_job(sampler, fused)
    if per_job == 0:
        raise ValueError(
            f"one fused step of {num_qubits}-qubit unitaries does not fit in {_fused_job_bytes() / _GIB:.3g} GiB; "
            "use fuse=False"
        )
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
) -> AerRun:
    from qiskit_aer import AerSimulator

    start = _time.perf_counter()
    if isinstance(shots, bool) or not isinstance(shots, int | np.integer) or shots < 2:
        raise ValueError(f"shots must be an integer ≥ 2 (the standard error needs two), got {shots!r}")
    if seed is None or isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValueError(f"seed must be an integer (runs are deterministic), got {seed!r}")
    num_qubits = sampler.num_system + len(sampler.ancilla_qubits)
    if method == "statevector":
        _check_memory("statevector", num_qubits, max_bytes)
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

    fused = method == "statevector" and _resolve_fuse(fuse, num_qubits)
    if fuse == "auto" and fused and steps[-1] > _fused_steps_per_job(sampler, True):
        fused = False  # the shots' circuit is one job: gate level when the fused steps cannot fit
    circuit = _evolution(sampler, steps, initial_state, fused, save)
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
    batches: int = 1,
    progress: Callable[[str, float], None] | None = None,
) -> AerRun:
    """Quantum trajectories on ``AerSimulator(method="statevector")``: every shot samples the resets.

    Observables are saved per shot (means and standard errors); the shot-averaged reduced state and
    its elementwise standard error are kept up to 6 system qubits. ``batches`` > 1 splits the shots
    into that many runs of the same circuit (seeds seed, seed + 1, …) and calls
    ``progress(stage, fraction)`` after each.
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
