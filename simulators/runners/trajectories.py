"""Trajectory runs (statevector or matrix-product-state shots through the resets), observables saved per shot."""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler._checks import check_integer, check_positive, check_seed

from .density_matrix import _evolution
from .estimates import _check_run, estimate_run
from .runs import AerRun, _checked_observables, _checked_times, _require_state_memory, check_sampler, select_device


_PERSHOT_STATE_QUBITS = 6


def _run_shots(
    sampler,
    times,
    *,
    call: str,
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
    check_sampler(sampler, call, randomized=False)
    # two shots at least: the standard error needs two; the seed makes a run reproducible
    shots = check_integer("shots", shots, minimum=2)
    seed = check_seed("seed", seed)
    batches = check_integer("batches", batches, minimum=1)
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
    for b, size in enumerate(sizes):  # one circuit; batches only to report progress
        # Aer seeds shot i of a job with seed_simulator + i: batch b starts where the shots before it
        # ended, so the batches are the unbatched run's shots (seed + b would repeat most of them)
        sim = AerSimulator(method=method, device=device, seed_simulator=int(seed) + sum(sizes[:b]), **options)
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
        call="aer.run_trajectories",
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
    check_sampler(sampler, "aer.run_mps", randomized=False)
    threshold = check_positive("truncation_threshold", truncation_threshold, allow_zero=True)
    options = {"matrix_product_state_truncation_threshold": threshold}
    if max_bond_dimension is not None:
        options["matrix_product_state_max_bond_dimension"] = check_integer("max_bond_dimension", max_bond_dimension, minimum=1)
    if not observables:
        raise ValueError("run_mps needs observables (the MPS run saves expectation values, not states)")
    return _run_shots(
        sampler,
        times,
        call="aer.run_mps",
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

