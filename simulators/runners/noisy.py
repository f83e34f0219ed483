"""Density-matrix runs of the ISA circuits for a backend, under its noise model."""

from __future__ import annotations

import time as _time
from collections.abc import Mapping, Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler.memory import BYTES_PER_INSTRUCTION, require_memory

from .density_matrix import _density_matrix_run
from .runs import AerRun, _checked_observables, _checked_times, check_sampler

_GIB = 1024**3

_NOISY_MAX_INSTRUCTIONS = 2_000_000


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
    check_sampler(sampler, "aer.run_noisy", randomized=False)
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

