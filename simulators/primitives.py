"""Run compiled samplers through Qiskit's V2 primitives (Aer, reference, or IBM Runtime).

``estimate`` and ``sample`` take any ``BaseEstimatorV2`` / ``BaseSamplerV2``. When a backend or
target is given, the circuit is first mapped to its ISA (:func:`kmsgibbs.compiler.to_isa`) and the
observables follow the layout (``SparsePauliOp.apply_layout``); measured bits are reported in the
logical order (system qubit 0 = rightmost bit).

The circuits reset the ancilla mid-circuit. A primitive that simulates them must therefore sample
trajectories (shots) or evolve a density matrix: Aer's ``EstimatorV2`` with
``backend_options={"method": "density_matrix"}`` is exact; ``StatevectorEstimator`` and
``StatevectorSampler`` cannot apply a reset and are refused (the sampler would return the counts of
one trajectory repeated, not of the channel).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit
from qiskit.primitives import BaseEstimatorV2, BaseSamplerV2
from qiskit.providers import BackendV2
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler._checks import check_integer, check_positive, check_seed
from kmsgibbs.compiler.hardware import CircuitSource, logical_positions, to_isa, to_standard_gates

from .runners import check_sampler

__all__ = ["Estimate", "EnsembleEstimate", "estimate", "estimate_instances", "sample"]


@dataclass(frozen=True)
class Estimate:
    """Expectation values at one time.

    Attributes:
        time: evolution time.
        values: name → expectation value.
        stderr: name → the primitive's standard error (``stds``).
        circuit: the circuit that was run (ISA when a target was given).
    """

    time: float
    values: dict[str, float]
    stderr: dict[str, float]
    circuit: QuantumCircuit


@dataclass(frozen=True)
class EnsembleEstimate:
    """Expectation values of K randomized instances at one time, from one PUB.

    Attributes:
        time: evolution time.
        instances: name → the K instances' values (binding order).
        mean: name → their mean (the estimate of the averaged evolution's value).
        stderr: name → the standard error of the mean over instances, std/√K (plus nothing for the
            primitive's own shot noise, which ``precision`` sets).
        parameter_values: the K × P bindings, in ``circuit.parameters`` order.
        circuit: the one (ISA) parametric circuit that was run.
    """

    time: float
    instances: dict[str, np.ndarray]
    mean: dict[str, float]
    stderr: dict[str, float]
    parameter_values: np.ndarray
    circuit: QuantumCircuit


def _estimator_observables(sampler, observables: Mapping[str, SparsePauliOp], estimator) -> tuple[list[str], list[SparsePauliOp]]:
    """Check the estimator and the system observables; return their names and the observables padded
    with identity on the ancilla (logical qubits, before any layout)."""
    from qiskit.primitives import BaseEstimatorV2, StatevectorEstimator

    if isinstance(estimator, StatevectorEstimator):
        raise ValueError(
            "StatevectorEstimator cannot apply the ancilla resets; use an estimator that simulates "
            "density matrices or shots, e.g. qiskit_aer.primitives.EstimatorV2(options={'backend_options': "
            "{'method': 'density_matrix'}})"
        )
    if not isinstance(estimator, BaseEstimatorV2):
        raise TypeError(
            f"estimator must be a qiskit BaseEstimatorV2 (e.g. qiskit_aer.primitives.EstimatorV2), "
            f"got {type(estimator).__name__}"
        )
    if not isinstance(observables, Mapping):
        raise TypeError(f"observables must be a mapping name → SparsePauliOp, got {type(observables).__name__}")
    names = list(observables)
    for name in names:
        op = observables[name]
        if not isinstance(op, SparsePauliOp):
            raise ValueError(f"observable {name!r} must be a SparsePauliOp, got {type(op).__name__}")
        if op.num_qubits != sampler.num_system:
            raise ValueError(f"observable {name!r} acts on {op.num_qubits} qubits, the system has {sampler.num_system}")
    width = sampler.num_system + len(sampler.ancilla_qubits)
    padding = SparsePauliOp("I" * (width - sampler.num_system))
    return names, [padding.tensor(observables[name]) for name in names]


def _prepared(sampler, time, initial_state, backend, seed, optimization_level) -> QuantumCircuit:
    if backend is None:
        return to_standard_gates(sampler.circuit(time, initial_state=initial_state))
    return to_isa(sampler, backend, time=time, initial_state=initial_state, seed=seed, optimization_level=optimization_level)


def estimate(
    sampler: CircuitSource,
    observables: Mapping[str, SparsePauliOp],
    time: float,
    *,
    estimator: BaseEstimatorV2,
    backend: BackendV2 | None = None,
    initial_state: QuantumCircuit | str | None = None,
    precision: float | None = None,
    seed: int | None = None,
    optimization_level: int = 1,
) -> Estimate:
    """⟨O⟩ at ``time`` for every system observable, from one Estimator PUB.

    Args:
        sampler: a ``CompiledSampler``.
        observables: name → ``SparsePauliOp`` on the n system qubits.
        time: evolution time (a multiple of dt).
        estimator: any ``BaseEstimatorV2``.
        backend: a backend or ``Target`` to map the circuit to first (``None``: the logical circuit
            in standard gates).
        initial_state: as for ``CompiledSampler.circuit``.
        precision: passed to ``estimator.run``.
        seed: ``seed_transpiler`` for the mapping.
        optimization_level: for the mapping.
    """
    check_sampler(sampler, "primitives.estimate", randomized=False)
    precision = None if precision is None else check_positive("precision", precision)
    names, padded = _estimator_observables(sampler, observables, estimator)
    circuit = _prepared(sampler, time, initial_state, backend, seed, optimization_level)
    # follow the layout onto the physical qubits
    if circuit.layout is not None:
        padded = [op.apply_layout(circuit.layout) for op in padded]
    result = estimator.run([(circuit, padded)], precision=precision).result()[0]
    evs, stds = np.atleast_1d(result.data.evs), np.atleast_1d(result.data.stds)
    return Estimate(
        time=float(time),
        values={name: float(np.real(v)) for name, v in zip(names, evs)},
        stderr={name: float(s) for name, s in zip(names, stds)},
        circuit=circuit,
    )


def estimate_instances(
    sampler: CircuitSource,
    observables: Mapping[str, SparsePauliOp],
    time: float,
    *,
    estimator: BaseEstimatorV2,
    samples: int,
    seed: int,
    backend: BackendV2 | None = None,
    initial_state: QuantumCircuit | str | None = None,
    precision: float | None = None,
    transpile_seed: int | None = None,
    optimization_level: int = 1,
) -> EnsembleEstimate:
    """⟨O⟩ of K instances of a randomized sampler: one parametric circuit, transpiled once, run as
    one Estimator PUB (circuit, observables, K parameter sets).

    Args:
        sampler: a ``RandomizedSampler``.
        observables: name → ``SparsePauliOp`` on the n system qubits.
        time: evolution time (a multiple of dt).
        estimator: any ``BaseEstimatorV2`` that can reset (Aer's with ``method="density_matrix"``).
        samples: K.
        seed: the instances' seed (``sampler.parameter_values``).
        backend: a backend or ``Target`` to map the circuit to first (``None``: standard gates).
        initial_state: as for ``sampler.circuit``.
        precision: passed to ``estimator.run``.
        transpile_seed: ``seed_transpiler`` for the mapping.
        optimization_level: for the mapping.
    """
    check_sampler(sampler, "primitives.estimate_instances", randomized=True)
    samples = check_integer("samples", samples, minimum=1)
    seed = check_seed("seed", seed)
    precision = None if precision is None else check_positive("precision", precision)
    names, padded = _estimator_observables(sampler, observables, estimator)
    values = sampler.parameter_values(time, samples, seed=seed)
    circuit = _prepared(sampler, time, initial_state, backend, transpile_seed, optimization_level)
    # the ISA circuit keeps the Parameter objects; its parameters are in the same (sorted) order
    logical = [p.name for p in sampler.circuit(time).parameters]
    order = [logical.index(p.name) for p in circuit.parameters]
    if circuit.layout is not None:
        # a density-matrix estimator holds every qubit the observables name: keep the active ones only
        physical = circuit.layout.final_index_layout()
        circuit, active = _active_only(circuit)
        padded = [op.apply_layout([active.index(p) for p in physical], len(active)) for op in padded]
    # observables (O, 1) against bindings (K, P) broadcast to values of shape (O, K)
    pub = (circuit, [[op] for op in padded], values[:, order])
    evs = np.real(np.asarray(estimator.run([pub], precision=precision).result()[0].data.evs)).reshape(len(names), samples)
    spread = evs.std(axis=1, ddof=1) / np.sqrt(samples) if samples > 1 else np.full(len(names), np.inf)
    return EnsembleEstimate(
        time=float(time),
        instances={name: evs[i] for i, name in enumerate(names)},
        mean={name: float(evs[i].mean()) for i, name in enumerate(names)},
        stderr={name: float(spread[i]) for i, name in enumerate(names)},
        parameter_values=values,
        circuit=circuit,
    )


def _active_only(circuit: QuantumCircuit) -> tuple[QuantumCircuit, list[int]]:
    """The circuit on the qubits its instructions touch (an ISA circuit spans the whole device), and
    the original indices of those qubits."""
    from qiskit.converters import circuit_to_dag, dag_to_circuit

    dag = circuit_to_dag(circuit)
    idle = [q for q in dag.idle_wires() if q in set(dag.qubits)]
    active = [i for i, q in enumerate(circuit.qubits) if q not in set(idle)]
    dag.remove_qubits(*idle)
    return dag_to_circuit(dag), active


def sample(
    sampler: CircuitSource,
    time: float,
    *,
    sampler_primitive: BaseSamplerV2,
    shots: int,
    backend: BackendV2 | None = None,
    initial_state: QuantumCircuit | str | None = None,
    seed: int | None = None,
    optimization_level: int = 1,
) -> dict[str, int]:
    """Counts of the system qubits measured in the computational basis at ``time``.

    Keys are little-endian bit strings of the n system qubits (qubit 0 rightmost), whatever the layout.

    Args:
        sampler: a ``CompiledSampler``.
        time: evolution time (a multiple of dt).
        sampler_primitive: any ``BaseSamplerV2`` (e.g. ``qiskit_aer.primitives.SamplerV2(seed=…)``).
        shots: number of shots.
        backend: a backend or ``Target`` to map the circuit to first.
        initial_state: as for ``CompiledSampler.circuit``.
        seed: ``seed_transpiler`` for the mapping.
        optimization_level: for the mapping.
    """
    from qiskit.primitives import BaseSamplerV2, StatevectorSampler

    check_sampler(sampler, "primitives.sample", randomized=False)
    if isinstance(sampler_primitive, StatevectorSampler):
        raise ValueError(
            "StatevectorSampler cannot apply the ancilla resets (it would sample one trajectory's final "
            "state); use a sampler that simulates shots, e.g. qiskit_aer.primitives.SamplerV2(seed=...)"
        )
    if not isinstance(sampler_primitive, BaseSamplerV2):
        raise TypeError(
            f"sampler_primitive must be a qiskit BaseSamplerV2 (e.g. qiskit_aer.primitives.SamplerV2), "
            f"got {type(sampler_primitive).__name__}"
        )
    if isinstance(shots, bool) or not isinstance(shots, int | np.integer):
        raise TypeError(f"shots must be a positive integer, got {shots!r} of type {type(shots).__name__}")
    if shots < 1:
        raise ValueError(f"shots must be a positive integer, got {shots!r}")
    circuit = _prepared(sampler, time, initial_state, backend, seed, optimization_level).copy()
    positions = logical_positions(circuit, sampler.num_system)
    register = ClassicalRegister(sampler.num_system, "system")
    circuit.add_register(register)
    for i, q in enumerate(positions):
        circuit.measure(q, register[i])
    result = sampler_primitive.run([circuit], shots=int(shots)).result()[0]
    return dict(result.data.system.get_counts())
