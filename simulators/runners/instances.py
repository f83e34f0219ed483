"""Random instances of a randomized sampler as density matrices on Aer: their mean and its standard error."""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler._checks import check_integer, check_seed
from kmsgibbs.compiler.memory import require_memory

from .density_matrix import _density_matrix_run
from .estimates import MAX_RUN_INSTRUCTIONS, estimate_run
from .runs import AerRun, _checked_observables, _checked_times, _require_state_memory, check_sampler, select_device


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
    check_sampler(sampler, "aer.run_instances", randomized=True)
    samples = check_integer("samples", samples, minimum=1)
    seed = check_seed("seed", seed)
    times, steps = _checked_times(sampler, times)
    ops = _checked_observables(sampler, observables)
    estimate = estimate_run(sampler, times, fuse=fuse, samples=samples)
    _require_state_memory("density_matrix", estimate.num_qubits, None)  # fused: system + one ancilla
    ceiling = MAX_RUN_INSTRUCTIONS if max_instructions is None else check_integer("max_instructions", max_instructions, minimum=1)
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
