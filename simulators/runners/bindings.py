"""Local observables of many instances of a randomized sampler, as trajectories, in one Aer job.

The parametric circuit is built and transpiled ONCE; every instance is a row of parameter values
bound by Aer (``parameter_binds``), and every binding runs ``shots`` trajectories through the
resets. The observables are saved per shot after the last step of every requested time, so one
job returns, for each instance, its shot mean at each time. Aer's cost for these circuits is per
instruction (a gate-level step holds ~10⁴), so the levers are: one conversion of the circuit for
all bindings, fewer instructions (the transpiler's cancellations at ``optimization_level=1``), and
gate fusion (Aer fuses only from 14 qubits on by default).
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.quantum_info import SparsePauliOp, Statevector

from kmsgibbs.compiler._checks import check_choice, check_integer, check_seed
from kmsgibbs.compiler.memory import BYTES_PER_INSTRUCTION, circuit_instructions, memory_limit, require_memory

from .runs import _checked_observables, _checked_times, check_sampler

__all__ = ["InstanceObservables", "run_bindings", "STATEVECTOR_MAX_QUBITS", "FUSION_FROM_QUBITS"]

#: Above this many qubits (system + ancillas) ``method="auto"`` runs matrix product states: a
#: statevector of 2^q amplitudes costs 2^q per gate and shot, an MPS of a chain at the light cone's
#: bond dimension much less.
STATEVECTOR_MAX_QUBITS = 16
#: Aer's fusion threshold for statevectors ("auto"): gates are fused in circuits of this many qubits or
#: more (Aer's default is 14). Measured on the TFIM sampler with light cone 1
#: (benchmarks/observables_levers.py, CPU s per step per instance): fusion cut 13 qubits from 1.10 to
#: 0.76, and doubled 9 qubits (0.13 to 0.24).
FUSION_FROM_QUBITS = 12
#: Memory per binding and instruction of a job (Aer's runtime binding keeps K values per parametric
#: gate): 16 bindings of a 196k-instruction circuit held 25 MB more than one (n = 3, 20 steps); 64 B
#: keeps a wide margin. The circuit itself held 0.57 GB there (~2.9 KB per instruction with its
#: transpiled copy), counted as 2 × BYTES_PER_INSTRUCTION. A t = 8 run at n = 8 (2.7M instructions,
#: 24 bindings, after the exact evolution in the same process) was killed at 21 GB before this check.
_BINDING_BYTES_PER_INSTRUCTION = 64


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare fields
class InstanceObservables:
    """Shot means of named observables, per instance and time, with the run's timings.

    Attributes:
        times: the snapshot times.
        method: the Aer method ("statevector" or "matrix_product_state").
        samples: instances K (rows of ``sampler.parameter_values``).
        shots: trajectories per instance.
        per_instance: name → (K × len(times)) array of each instance's shot mean.
        steps: steps to the last time.
        seconds: stage → wall time ("build", "transpile", "run"), and "run_cpu" (CPU time of the run).
        instructions_per_step: instructions of one transpiled step (the run's cost driver).
    """

    times: tuple[float, ...]
    method: str
    samples: int
    shots: int
    per_instance: dict[str, np.ndarray]
    steps: int
    seconds: dict[str, float]
    instructions_per_step: int

    def mean(self, name: str) -> np.ndarray:
        """The estimate of ⟨name⟩ at each time: the mean over instances (and their shots)."""
        return self.per_instance[name].mean(axis=0)

    def stderr(self, name: str) -> np.ndarray:
        """The standard error of :meth:`mean`: the spread of the instance means / √K (instances are
        independent; a binding's shots share its instance, so they are not counted as independent)."""
        values = self.per_instance[name]
        if self.samples < 2:
            return np.full(values.shape[1], math.inf)
        return values.std(axis=0, ddof=1) / math.sqrt(self.samples)

    def seconds_per_step_per_instance(self, *, cpu: bool = False) -> float:
        """Wall (or, with ``cpu``, CPU) time of the Aer run divided by steps × instances (the lever tables' unit)."""
        return self.seconds["run_cpu" if cpu else "run"] / max(1, self.steps * self.samples)


def _initial_values(sampler, initial_state, ops: Mapping[str, SparsePauliOp]) -> dict[str, float]:
    """⟨O⟩ at t = 0 from the preparation alone (a product state: exact, no shots)."""
    prep = sampler.circuit(0.0, initial_state=initial_state)
    state = Statevector(prep)
    return {name: float(np.real(state.expectation_value(op, sampler.system_qubits))) for name, op in ops.items()}


def run_bindings(
    sampler,
    times: Sequence[float] | float,
    *,
    observables: Mapping[str, SparsePauliOp],
    samples: int,
    shots: int,
    seed: int,
    method: str = "auto",
    initial_state: QuantumCircuit | str | None = None,
    optimization_level: int = 1,
    fusion_threshold: int | str | None = "auto",
    max_bond_dimension: int | None = None,
    truncation_threshold: float = 1e-10,
    bindings_per_job: int | None = None,
    runtime_parameter_bind: bool = True,
    progress: Callable[[str, float], None] | None = None,
) -> InstanceObservables:
    """K instances × ``shots`` trajectories of a randomized sampler, observables saved per shot.

    Args:
        sampler: a ``RandomizedSampler``.
        times: snapshot times (multiples of dt, non-decreasing); t = 0 is evaluated on the preparation.
        observables: name → ``SparsePauliOp`` on the system.
        samples: instances K ≥ 1 (row k of ``sampler.parameter_values(times[-1], K, seed=seed)``).
        shots: trajectories per instance ≥ 1.
        seed: the instances' and the simulator's seed.
        method: "statevector", "matrix_product_state" or "auto" (statevector up to
            :data:`STATEVECTOR_MAX_QUBITS` qubits).
        initial_state: as for ``sampler.circuit``.
        optimization_level: of the one transpilation of the parametric circuit (1 cancels the
            basis changes between Pauli rotations: ~40 % fewer instructions).
        fusion_threshold: Aer's gate fusion from this many qubits on (``None``: Aer's default, 14;
            "auto": :data:`FUSION_FROM_QUBITS` for statevectors, Aer's default for MPS).
        max_bond_dimension, truncation_threshold: for matrix product states.
        bindings_per_job: instances per Aer job (default: as many as fit under the memory limit).
        runtime_parameter_bind: let Aer bind the parameters as it runs (no copy of the circuit per
            binding).
        progress: called as ``progress(stage, fraction)`` after each job.
    """
    from qiskit_aer import AerSimulator

    check_sampler(sampler, "aer.run_bindings", randomized=True)
    samples = check_integer("samples", samples, minimum=1)
    shots = check_integer("shots", shots, minimum=1)
    seed = check_seed("seed", seed)
    method = check_choice("method", method, ("auto", "statevector", "matrix_product_state"))
    times, steps = _checked_times(sampler, times)
    ops = _checked_observables(sampler, observables)
    if not ops:
        raise ValueError("run_bindings needs observables (it saves expectation values, not states)")
    num_qubits = sampler.num_system + len(sampler.ancilla_qubits)
    if method == "auto":
        method = "statevector" if num_qubits <= STATEVECTOR_MAX_QUBITS else "matrix_product_state"
    per_step = circuit_instructions(sampler.step_circuit())
    instructions = max(1, steps[-1] * per_step)
    # the circuit and its transpiled copy are held throughout; every binding of a job adds Aer's copy
    held = 2 * instructions * BYTES_PER_INSTRUCTION
    require_memory(
        f"the parametric circuit of {steps[-1]} steps × {per_step} instructions and one binding",
        held + instructions * _BINDING_BYTES_PER_INSTRUCTION,
        alternative="use fewer or earlier times, a larger dt or a smaller light cone",
    )
    fits = max(1, (memory_limit() - held) // (instructions * _BINDING_BYTES_PER_INSTRUCTION))
    per_job = min(samples, fits) if bindings_per_job is None else check_integer("bindings_per_job", bindings_per_job, minimum=1)
    options: dict = {}
    if fusion_threshold == "auto":
        fusion_threshold = FUSION_FROM_QUBITS if method == "statevector" else None
    if fusion_threshold is not None:
        options["fusion_threshold"] = check_integer("fusion_threshold", fusion_threshold, minimum=1)
    if runtime_parameter_bind:
        options["runtime_parameter_bind_enable"] = True
    if method == "matrix_product_state":
        options["matrix_product_state_truncation_threshold"] = float(truncation_threshold)
        if max_bond_dimension is not None:
            options["matrix_product_state_max_bond_dimension"] = check_integer("max_bond_dimension", max_bond_dimension, minimum=1)
    system = sampler.system_qubits
    labels: dict[int, list[int]] = {}
    for index, k in enumerate(steps):
        labels.setdefault(k, []).append(index)

    def save(circuit: QuantumCircuit, k: int) -> None:
        for index in labels.get(k, ()):
            for name, op in ops.items():
                circuit.save_expectation_value(op, system, label=f"{name}_{index}", pershot=True)

    seconds: dict[str, float] = {}
    start = _time.perf_counter()
    final = times[-1]
    circuit = sampler.circuit(final, initial_state=initial_state, after_step=save)
    seconds["build"] = _time.perf_counter() - start
    sim = AerSimulator(method=method, **options)  # each job sets its own seed_simulator (below)
    start = _time.perf_counter()
    lowered = transpile(circuit, sim, optimization_level=optimization_level, seed_transpiler=seed)
    seconds["transpile"] = _time.perf_counter() - start
    rows = sampler.parameter_values(final, samples, seed=seed) if steps[-1] else np.zeros((samples, 0))
    # bind by Parameter, not by position: the transpiled circuit may order (or drop) parameters differently
    columns = {p: j for j, p in enumerate(circuit.parameters)}
    per_instance = {name: np.zeros((samples, len(times))) for name in ops}
    if 0 in labels:
        for name, value in _initial_values(sampler, initial_state, ops).items():
            per_instance[name][:, labels[0]] = value
    start, cpu = _time.perf_counter(), _time.process_time()
    # only t = 0 asked: nothing to run
    for first in range(0, samples if steps[-1] else 0, per_job):
        chunk = rows[first : first + per_job]
        binds = [{p: chunk[:, columns[p]] for p in lowered.parameters}]
        # one seed per job: a job's bindings draw distinct streams, but two jobs with one seed would
        # replay them (instance j of every job correlated with instance j of the first)
        sim.set_options(seed_simulator=int(np.random.SeedSequence([seed, first]).generate_state(1)[0]))
        result = sim.run(lowered, shots=shots, parameter_binds=binds).result()
        for j in range(len(chunk)):
            data = result.data(j)
            for index, k in enumerate(steps):
                if k:
                    for name in ops:
                        per_instance[name][first + j, index] = np.mean(np.real(data[f"{name}_{index}"]))
        if progress is not None:
            done = min(first + per_job, samples)
            progress(f"instances {done}/{samples}", done / samples)
    seconds["run"] = _time.perf_counter() - start
    # CPU seconds of all threads: on a shared machine the wall time measures the neighbours too
    seconds["run_cpu"] = _time.process_time() - cpu
    return InstanceObservables(
        times=times,
        method=method,
        samples=samples,
        shots=shots,
        per_instance=per_instance,
        steps=steps[-1],
        seconds=seconds,
        instructions_per_step=len(lowered.data) // max(1, steps[-1]),
    )
