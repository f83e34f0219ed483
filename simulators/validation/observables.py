"""Observable-level verification at scale: local observables of a randomized sampler on Aer, each with
its statistical error, against the Gibbs values and (where the exact engine reaches) e^{tL}ρ₀.

State-level verification (:mod:`.verification`) needs the 2ⁿ × 2ⁿ state and stops at a few qubits.
Local observables need neither: the instances run as trajectories (statevector, or matrix product
states beyond), the Gibbs values come from the free-fermion solution for the transverse-field chain
at any n, or from exact diagonalisation up to :data:`EXACT_GIBBS_MAX_QUBITS`, and the exact
evolution is added up to :data:`EXACT_EVOLUTION_MAX_QUBITS`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler._checks import check_integer, check_seed
from kmsgibbs.compiler.files import atomic_write

from ..baselines.references import chain_bonds, exact_gibbs, free_fermion_gibbs
from ..engine import exact
from ..runners import check_sampler, run_bindings

__all__ = [
    "OBSERVABLE_NAMES",
    "EXACT_GIBBS_MAX_QUBITS",
    "EXACT_EVOLUTION_MAX_QUBITS",
    "ObservableReport",
    "local_observables",
    "verify_observables",
]

#: The reported observables, in the order of the table and the JSON (those of ``GibbsObservables.as_dict``).
OBSERVABLE_NAMES = ("energy_per_site", "zz_nearest", "x_mean", "z_mean")
#: Dense diagonalisation for the Gibbs values of models that are not free fermions (64·4ⁿ bytes).
EXACT_GIBBS_MAX_QUBITS = 12
#: e^{tL}ρ₀ by the exact engine by default up to this many qubits (``evolution=True`` asks for it at any
#: n the engine reaches): at n = 8 the three times of a t = 8 run took ~3 CPU minutes, more than the Aer run.
EXACT_EVOLUTION_MAX_QUBITS = 6
#: Deviations beyond this many standard errors fail the comparison.
SIGMAS = 3.0


def local_observables(hamiltonian: SparsePauliOp) -> dict[str, SparsePauliOp]:
    """The reported observables of an open chain: H/n, the mean of Z_iZ_{i+1} over its bonds, and the
    site means of X and Z (as :class:`~kmsgibbs.simulators.references.GibbsObservables` defines them)."""
    n = hamiltonian.num_qubits
    bonds = chain_bonds(n)

    def mean(terms: list[tuple[str, list[int]]]) -> SparsePauliOp:
        if not terms:  # one site has no bond: ⟨ZZ⟩ is reported as 0
            return SparsePauliOp("I" * n, 0.0)
        return SparsePauliOp.from_sparse_list([(p, q, 1.0 / len(terms)) for p, q in terms], n)

    return {
        "energy_per_site": (hamiltonian / n).simplify(),
        "zz_nearest": mean([("ZZ", [i, j]) for i, j in bonds]),
        "x_mean": mean([("X", [i]) for i in range(n)]),
        "z_mean": mean([("Z", [i]) for i in range(n)]),
    }


@dataclass(frozen=True)
class ObservableReport:
    """Local observables of an Aer run against the Gibbs values and the exact evolution.

    Attributes:
        label: what was run.
        times: snapshot times.
        values: name → the run's estimate at each time.
        stderr: name → its standard error (spread of the instance means / √K).
        gibbs: name → the Gibbs value (``None`` where no reference reaches).
        gibbs_method: "free_fermion" or "exact" (or ``None``).
        evolution: name → ⟨O⟩ of e^{tL}ρ₀ at each time (empty beyond the exact engine's reach).
        method: the Aer method.
        samples: instances K.
        shots: trajectories per instance.
        seconds: stage → wall time (compile is the caller's).
        seconds_per_step_per_instance: the Aer run's time / (steps × K).
    """

    label: str
    times: tuple[float, ...]
    values: dict[str, tuple[float, ...]]
    stderr: dict[str, tuple[float, ...]]
    gibbs: dict[str, float | None]
    gibbs_method: str | None
    evolution: dict[str, tuple[float, ...]] = field(default_factory=dict)
    method: str = "statevector"
    samples: int = 0
    shots: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    seconds_per_step_per_instance: float = 0.0

    def deviations(self, reference: str = "gibbs") -> dict[str, float]:
        """(value − reference) / stderr at the last time, per observable with a reference."""
        out = {}
        for name in self.values:
            ref = self.gibbs.get(name) if reference == "gibbs" else (self.evolution.get(name) or (None,))[-1]
            if ref is None:
                continue
            error, gap = self.stderr[name][-1], self.values[name][-1] - ref
            out[name] = gap / error if error > 0 else (0.0 if gap == 0 else math.copysign(math.inf, gap))
        return out

    @property
    def passed(self) -> bool:
        """Every observable with a Gibbs value lies within 3σ of it at the last time."""
        dev = self.deviations()
        return bool(dev) and all(abs(d) <= SIGMAS for d in dev.values())

    def table(self) -> str:
        """The values ± errors at each time, the exact evolution where known, and the Gibbs values."""
        lines = [self.label, f"{self.method}, K = {self.samples} instances × {self.shots} shots"]
        for name in self.values:
            lines.append(f"{name}:")
            lines.append(f"  {'t':>8} {'value':>10} {'stderr':>8}" + (f" {'e^{tL}ρ0':>10}" if name in self.evolution else ""))
            for i, t in enumerate(self.times):
                row = f"  {t:8.3g} {self.values[name][i]:10.5f} {self.stderr[name][i]:8.5f}"
                if name in self.evolution:
                    row += f" {self.evolution[name][i]:10.5f}"
                lines.append(row)
            gibbs = self.gibbs.get(name)
            if gibbs is not None:
                dev = self.deviations()[name]
                lines.append(f"  Gibbs ({self.gibbs_method}) {gibbs:.5f}: last time {dev:+.2f}σ")
        lines.append(f"seconds: {', '.join(f'{k} {v:.1f}' for k, v in self.seconds.items())}; "
                     f"{self.seconds_per_step_per_instance:.3g} s per step per instance")
        verdict = "PASS" if self.passed else "FAIL"
        lines.append(f"{verdict}: last time within {SIGMAS:g}σ of the Gibbs values" if self.passed else
                     f"{verdict}: some observable beyond {SIGMAS:g}σ of its Gibbs value at the last time (or no reference)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """``{"times": [...], "observables": {name: {"value", "stderr", "gibbs", "evolution"?}}, ...}``."""
        observables = {}
        for name in self.values:
            entry: dict[str, object] = {"value": list(self.values[name]), "stderr": list(self.stderr[name]), "gibbs": self.gibbs.get(name)}
            if name in self.evolution:
                entry["evolution"] = list(self.evolution[name])
            observables[name] = entry
        return {
            "label": self.label,
            "times": list(self.times),
            "observables": observables,
            "gibbs_method": self.gibbs_method,
            "method": self.method,
            "samples": self.samples,
            "shots": self.shots,
            "seconds": self.seconds,
            "seconds_per_step_per_instance": self.seconds_per_step_per_instance,
            "passed": self.passed,
        }

    def to_json(self, path: str) -> None:
        """Write :meth:`to_dict` (atomically: an interrupted write leaves the old file)."""
        atomic_write(path, json.dumps(self.to_dict(), indent=2, allow_nan=True) + "\n")


def _gibbs_values(hamiltonian: SparsePauliOp, beta: float) -> tuple[dict[str, float | None], str | None]:
    """Free fermions when H is one (any n), else exact diagonalisation up to EXACT_GIBBS_MAX_QUBITS."""
    try:
        ref = free_fermion_gibbs(hamiltonian, beta)
    except ValueError:  # not a free-fermion chain
        if hamiltonian.num_qubits > EXACT_GIBBS_MAX_QUBITS:
            return {name: None for name in OBSERVABLE_NAMES}, None
        ref = exact_gibbs(hamiltonian, beta)
    return dict(ref.as_dict()), ref.method


def _evolution_values(sampler, times: Sequence[float], ops: Mapping[str, SparsePauliOp], initial_state) -> dict[str, tuple[float, ...]]:
    """⟨O⟩ of e^{tL}ρ₀ by the exact engine (the generator the randomized instances average to)."""
    from qiskit.quantum_info import DensityMatrix, partial_trace

    prep = sampler.circuit(0.0, initial_state=initial_state)
    ancillas = list(range(sampler.num_system, prep.num_qubits))
    rho0 = np.asarray(partial_trace(DensityMatrix(prep), ancillas).data) if ancillas else np.asarray(DensityMatrix(prep).data)
    states = exact.evolve(sampler.lindbladian, rho0, list(times))
    return {
        name: tuple(float(np.real(np.trace(op.to_matrix(sparse=True) @ rho))) for rho in states) for name, op in ops.items()
    }


def verify_observables(
    sampler,
    times: Sequence[float],
    *,
    samples: int,
    shots: int,
    seed: int,
    method: str = "auto",
    initial_state: QuantumCircuit | str | None = None,
    label: str | None = None,
    evolution: bool | None = None,
    progress: Callable[[str, float], None] | None = None,
    **run_options: object,
) -> ObservableReport:
    """Run K instances × ``shots`` trajectories of a randomized sampler and check its local observables.

    Args:
        sampler: a ``RandomizedSampler`` of an open chain (``compile_sampler(..., scheme="randomized")``;
            a ``light_cone`` keeps large n cheap).
        times: snapshot times (multiples of dt), in one Aer job.
        samples: instances K ≥ 2 (the standard error is their spread).
        shots: trajectories per instance.
        seed: the instances' and the simulator's seed.
        method: "auto", "statevector" or "matrix_product_state" (:func:`~kmsgibbs.simulators.aer.run_bindings`).
        initial_state: as for ``sampler.circuit`` (default |0…0⟩).
        label: for the table and the JSON.
        evolution: add e^{tL}ρ₀ (default: up to :data:`EXACT_EVOLUTION_MAX_QUBITS` system qubits).
        progress: called as ``progress(stage, fraction)``.
        **run_options: passed to ``run_bindings`` (``optimization_level``, ``fusion_threshold``, …).
    """
    check_sampler(sampler, "verify_observables", randomized=True)
    samples = check_integer("samples", samples, minimum=2)
    seed = check_seed("seed", seed)
    lind = sampler.lindbladian
    ops = local_observables(lind.hamiltonian)
    n = sampler.num_system
    if progress is not None:
        progress("Gibbs reference", 0.0)
    gibbs, gibbs_method = _gibbs_values(lind.hamiltonian, lind.beta)
    if evolution is None:
        evolution = n <= EXACT_EVOLUTION_MAX_QUBITS
    seconds: dict[str, float] = {}
    exact_values: dict[str, tuple[float, ...]] = {}
    if evolution:
        import time as _time

        if progress is not None:
            progress("exact evolution", 0.0)
        start = _time.perf_counter()
        exact_values = _evolution_values(sampler, times, ops, initial_state)
        seconds["exact"] = _time.perf_counter() - start
    if progress is not None:
        progress("Aer instances", 0.0)
    run = run_bindings(
        sampler, times, observables=ops, samples=samples, shots=shots, seed=seed, method=method,
        initial_state=initial_state, progress=progress, **run_options,
    )
    seconds.update(run.seconds)
    return ObservableReport(
        label=label or f"n={n} beta={lind.beta:g} dt={sampler.dt:g} light_cone={sampler.light_cone}",
        times=run.times,
        values={name: tuple(float(v) for v in run.mean(name)) for name in ops},
        stderr={name: tuple(float(v) for v in run.stderr(name)) for name in ops},
        gibbs=gibbs,
        gibbs_method=gibbs_method,
        evolution=exact_values,
        method=run.method,
        samples=run.samples,
        shots=run.shots,
        seconds=seconds,
        seconds_per_step_per_instance=run.seconds_per_step_per_instance(),
    )
