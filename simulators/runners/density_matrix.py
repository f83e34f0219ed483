"""Density-matrix runs of a deterministic sampler: one circuit, split into consecutive jobs only when its fused steps do not fit."""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import SparsePauliOp

from .estimates import _check_run, estimate_run
from .runs import AerRun, _checked_observables, _checked_times, _require_state_memory, check_sampler, select_device


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
            :mod:`kmsgibbs.compiler.memory`, 3/4 of the available memory unless set).
        max_instructions: refuse runs holding more instructions (default :data:`MAX_RUN_INSTRUCTIONS`).
        progress: called as ``progress(stage, fraction)`` with the estimate first, then after each
            job of a split run.

    Raises:
        MemoryLimitError: the state or one fused step does not fit (stated with the estimate).
        ValueError: bad times or observables, or more instructions than ``max_instructions``.
    """
    from qiskit_aer import AerSimulator

    start = _time.perf_counter()
    check_sampler(sampler, "aer.run_density_matrix", randomized=False)
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


