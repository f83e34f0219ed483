"""The randomized sampler: parametric circuits whose cost per step does not grow with the quadrature.

Each step samples the Gaussian Heisenberg time s of the dissipators and the coherent time t (see
:mod:`~kmsgibbs.compiler.lowering.randomized`); a circuit is one parametric structure, an instance is
one row of parameter values. Hardware and Aer run (circuit, observables, K rows) as one primitives V2
PUB; the ensemble mean estimates the averaged evolution, whose exact channel and error budget
:mod:`~kmsgibbs.compiler.analysis.averaged` computes for small systems.

References:
    docs/master_equations.md (form 2); docs/schemes.md
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from qiskit import QuantumCircuit

from ..analysis.averaged import (
    averaged_channels, cycle_bound, grid_generator, ideal_coherent, ideal_dissipation, instance_channel,
    product_distance,
)
from ..analysis.bounds import diamond_norm_upper_bound
from ..analysis.certificate import GibbsCertificate
from ..analysis.error_budget import ErrorBound
from ..analysis.step_resources import Resources, cycle_resources
from ..lowering.frames import FrameEvolutions
from ..lowering.randomized import RandomizedPlan, randomized_circuit, step_values, untruncated
from ..lowering.randomized_dense import core_unitaries, fused_instance
from ..lowering.step_circuits import FUSED_MAX_QUBITS
from ..memory import BYTES_PER_INSTRUCTION, circuit_instructions, require_memory
from ..physics.lindbladian import Lindbladian
from ..physics.sampling import draw_seed
from ..physics.time_domain import TimeDomainForm
from .._checks import check_integer
from .randomized_guards import require_averaged, require_instances
from .certified import GibbsCertified
from .registers import SystemAncillaRegisters, prepare_initial_state, whole_steps

__all__ = ["RandomizedSampler", "REFERENCE_FRACTION"]

#: The budget's reference for the truncated distributions drops this fraction of their tails.
REFERENCE_FRACTION = 1e-3
#: Copies of the rows alive while parameter_values fills them (the array, a row's draws, a caller's slice).
_ROW_COPIES = 2


@dataclass(frozen=True, eq=False)
class RandomizedSampler(GibbsCertified, SystemAncillaRegisters):
    """Parametric circuits for e^{tL} whose instances average to it; qubits: system 0..n−1, ancillas
    n..n+K−1 (K = ``num_ancillas``: 1, or the widest shared dissipator sweep with ``sweep_ancillas``).

    Attributes:
        lindbladian: the target generator L.
        form: its time-domain form (the jump grids).
        plan: the randomized step (factors, distributions, frame steps).
        frames: the frame evolutions of the sweeps.
        windows: per coupling operator, the qubits its frames act on.
        light_cone: the light-cone radius of the windows (``None``: the whole system).
    """

    lindbladian: Lindbladian
    form: TimeDomainForm
    plan: RandomizedPlan
    frames: FrameEvolutions
    windows: tuple[tuple[int, ...], ...]
    light_cone: int | None = None
    _circuits: dict = field(default_factory=dict, init=False, repr=False)

    @property
    def dt(self) -> float:
        return self.plan.dt

    @property
    def include_system_hamiltonian(self) -> bool:
        return False

    @property
    def ancilla_qubits(self) -> list[int]:
        """The ancillas n … n + K − 1 (K = ``num_ancillas``); a runner traces all of them out."""
        return list(range(self.num_system, self.num_system + self.plan.num_ancillas))

    @property
    def cycle(self) -> int:
        """Steps per cycle of the coherent terms: C consecutive steps average to e^{C dt L} + O(dt²)."""
        return self.plan.cycle

    def num_steps(self, time: float) -> int:
        """time / dt for a time ≥ 0 that is a multiple of dt."""
        return whole_steps(time, self.dt, f"dt={self.dt}")

    def step_circuit(self) -> QuantumCircuit:
        """One parametric step (the first of a cycle) on system + ancillas, parameters ``s[0]``, ``t[0]``,
        ``chi[0]``."""
        if 1 not in self._circuits:
            self._circuits[1] = randomized_circuit(self.plan, self.form.couplings, self.frames, steps=1)
        return self._circuits[1]

    def circuit(
        self,
        time: float,
        *,
        initial_state: QuantumCircuit | str | None = None,
        after_step: Callable[[QuantumCircuit, int], None] | None = None,
    ) -> QuantumCircuit:
        """The parametric evolution for ``time`` (a multiple of dt), after an optional state preparation:
        per step i the parameters ``s[i]``, ``t[i]``, ``chi[i]`` (those the generator has).

        Args:
            time: total evolution time.
            initial_state: ``None`` (|0…0⟩), a bit string (little-endian label) or a preparation circuit.
            after_step: called as ``after_step(circuit, k)`` after the k-th step (e.g. to save a snapshot).
        """
        steps = self.num_steps(time)
        circuit = QuantumCircuit(self.num_system + self.num_ancillas, name=f"kms_randomized_t{time:g}")
        prepare_initial_state(circuit, initial_state, self.num_system)
        if steps:
            per_step = circuit_instructions(self.step_circuit())
            require_memory(
                f"the parametric circuit of {steps} randomized steps (time={time:g}, dt={self.dt:g})",
                steps * per_step * BYTES_PER_INSTRUCTION,
                alternative="build fewer steps (a shorter time or a larger dt)",
            )
            body = randomized_circuit(self.plan, self.form.couplings, self.frames, steps=steps, after_step=after_step)
            circuit.compose(body, inplace=True, copy=False)
        return circuit

    def resources(
        self,
        time: float | None = None,
        *,
        target=None,
        basis_gates: tuple[str, ...] = ("cx", "rz", "sx", "x"),
        synthesis_error: float = 1e-3,
        seed: int | None = 0,
    ) -> Resources:
        """Qubits, two-qubit gates, depths, resets and a T-count estimate of the parametric circuits
        (every instance has the same gates), per step and over ``time``; see
        :func:`~kmsgibbs.compiler.analysis.step_resources.cycle_resources`. On a ``target`` (a backend or
        ``Target``) the ISA circuits are counted, laid out and routed.
        """
        steps = None if time is None else self.num_steps(time)
        return cycle_resources(
            lambda r: self.circuit(r * self.dt), self.cycle, steps, num_system=self.num_system, target=target,
            basis_gates=basis_gates, synthesis_error=synthesis_error, seed=seed,
        )

    def parameter_values(self, time: float, samples: int, *, seed: int) -> np.ndarray:
        """``samples`` independent instances as a (samples × len(circuit(time).parameters)) array, columns
        in ``circuit(time).parameters`` order: binding row k gives instance k.

        Row k is the same whatever ``samples`` is (a larger draw extends a smaller one).

        Args:
            time: total evolution time (a multiple of dt).
            samples: the number of instances K ≥ 1.
            seed: an integer ≥ 0; the same seed gives the same rows.

        Raises:
            MemoryLimitError: the array (8 bytes per value) does not fit, before any is drawn.
        """
        samples = check_integer("samples", samples, minimum=1)
        rng = draw_seed(seed)
        steps = self.num_steps(time)
        names = self._parameter_names()
        count = steps * len(names)
        require_memory(
            f"parameter_values of {samples} instances × {count} parameters (time={time:g}, dt={self.dt:g})",
            _ROW_COPIES * 8 * samples * count,
            alternative="draw fewer samples or a shorter time (aer.run_instances draws and runs them job by job)",
        )
        out = np.empty((samples, count))
        for k in range(samples if count else 0):
            drawn = step_values(self.plan, rng, steps)
            # circuit(time).parameters: sorted by vector name, each vector's elements by step
            out[k] = np.concatenate([drawn[name] for name in names])
        return out

    def _parameter_names(self) -> list[str]:
        """The parameter vectors of this generator's circuits, in Qiskit's (sorted) order."""
        return sorted(({"s"} if self.plan.shift is not None else set()) | ({"t", "chi"} if self.plan.coherent else set()))

    def parameter_layout(self, time: float) -> list[tuple[str, int]]:
        """(vector name, step) of each parameter of ``circuit(time)``, in ``circuit.parameters`` order
        (Qiskit sorts by name, a vector's elements by index), without building the circuit."""
        steps = self.num_steps(time)
        return [(name, i) for name in self._parameter_names() for i in range(steps)]

    def bind(self, time: float, values: np.ndarray, *, initial_state: QuantumCircuit | str | None = None) -> list[QuantumCircuit]:
        """The bound circuits of ``values`` (rows in ``circuit(time).parameters`` order).

        Raises:
            MemoryLimitError: the bound circuits, held together, do not fit (asked before any is built).
        """
        values = self._checked_values(values, time)
        require_instances(self, len(values), time)
        circuit = self.circuit(time, initial_state=initial_state)
        return [circuit.assign_parameters(row) for row in values]

    def _checked_values(self, values: np.ndarray, time: float) -> np.ndarray:
        count = self.num_steps(time) * len(self._parameter_names())
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = values[None, :]
        if values.ndim != 2 or values.shape[1] != count:
            raise ValueError(
                f"a parameter set for time={time:g} has {count} values (circuit(time).parameters), got shape {values.shape}"
            )
        if not np.all(np.isfinite(values)):
            raise ValueError("parameter values must be finite")
        return values

    def instances(
        self, time: float, samples: int, *, seed: int, initial_state: QuantumCircuit | str | None = None
    ) -> list[QuantumCircuit]:
        """``samples`` bound instances: ``bind(time, parameter_values(time, samples, seed=seed))``."""
        require_instances(self, check_integer("samples", samples, minimum=1), time)  # before the rows are drawn
        return self.bind(time, self.parameter_values(time, samples, seed=seed), initial_state=initial_state)

    def _instance_values(self, values: np.ndarray, time: float) -> dict[str, np.ndarray]:
        """One row of ``parameter_values`` as per-step arrays {"s", "t", "chi"}."""
        steps = self.num_steps(time)
        (row,) = self._checked_values(values, time)
        out: dict[str, np.ndarray] = {}
        for (name, i), v in zip(self.parameter_layout(time), row):
            out.setdefault(name, np.zeros(steps))[i] = v
        return out

    def instance_channel(self, values: np.ndarray, time: float) -> np.ndarray:
        """The exact system channel of the instance ``values`` (one row), column-stacked (n ≤ 5)."""
        require_averaged(self, "instance_channel")
        return instance_channel(
            self.plan, self.form.couplings, self.frames, self.lindbladian.hamiltonian, self._instance_values(values, time),
            cores=self._cores,
        )

    @cached_property
    def _cores(self) -> dict:
        return core_unitaries(self.plan, self.form.couplings, self.frames)

    def fused_instances(
        self,
        time: float,
        samples: int,
        *,
        seed: int,
        initial_state: QuantumCircuit | str | None = None,
        after_step: Callable[[QuantumCircuit, int], None] | None = None,
    ) -> list[QuantumCircuit]:
        """The instances of ``instances(time, samples, seed=seed)`` with every block and its ancilla
        reset one ``Kraus`` channel on the system, the frames multiplied in (the same channels to
        floating-point precision): a simulation aid for small systems (system + ancilla ≤ 8 qubits),
        ~8 instructions per step instead of ~10⁴. The circuits are system + one idle ancilla whatever
        ``num_ancillas`` (the channels act on the system): the dense limit is on system + one ancilla
        (the coherent cores), and shared sweeps enter through their isometries U|0…0⟩."""
        require_instances(self, check_integer("samples", samples, minimum=1), time, fused=True)
        values = self.parameter_values(time, samples, seed=seed)
        return self.fused_bind(time, values, initial_state=initial_state, after_step=after_step)

    def fused_bind(
        self,
        time: float,
        values: np.ndarray,
        *,
        initial_state: QuantumCircuit | str | None = None,
        after_step: Callable[[QuantumCircuit, int], None] | None = None,
    ) -> list[QuantumCircuit]:
        """The fused instances of the rows ``values`` (see :meth:`fused_instances`)."""
        if self.num_system + 1 > FUSED_MAX_QUBITS:
            raise ValueError(f"fused instances are dense: system + ancilla must be ≤ {FUSED_MAX_QUBITS} qubits, got {self.num_system + 1}")
        rows = self._checked_values(values, time)
        require_instances(self, len(rows), time, fused=True)
        out = []
        for row in rows:
            circuit = QuantumCircuit(self.num_system + 1, name=f"kms_randomized_fused_t{time:g}")
            prepare_initial_state(circuit, initial_state, self.num_system)
            if self.num_steps(time):
                values = self._instance_values(row, time)
                body = fused_instance(self.plan, self._cores, self.lindbladian.hamiltonian, self.frames, values, after_step)
                circuit.compose(body, inplace=True, copy=False)
            out.append(circuit)
        return out

    @cached_property
    def _averaged(self) -> tuple[list[np.ndarray], float]:
        return averaged_channels(self.plan, self.form.couplings, self.frames, self.lindbladian.hamiltonian, cores=self._cores)

    def averaged_step_channels(self) -> list[np.ndarray]:
        """The exact averaged channel of each step of a cycle (step c applies coherent term c), column-stacked (n ≤ 5)."""
        require_averaged(self, "averaged_step_channels")
        return list(self._averaged[0])

    def averaged_channel(self, steps: int | None = None) -> np.ndarray:
        """The averaged channel of ``steps`` consecutive steps from the start of a cycle (default: one cycle), n ≤ 5."""
        steps = self.cycle if steps is None else check_integer("steps", steps, minimum=0)
        require_averaged(self, "averaged_channel")
        channels = self._averaged[0]
        cycles, rest = divmod(steps, len(channels))
        total = np.eye(channels[0].shape[0], dtype=complex)
        for c in range(len(channels) if cycles else 0):
            total = channels[c] @ total
        # whole cycles by repeated squaring: steps=10⁹ is ~30 products, not 10⁹
        total = np.linalg.matrix_power(total, cycles)
        for c in range(rest):
            total = channels[c] @ total
        return total

    def sampling_errors(self) -> dict[str, float]:
        """What the sampled distributions drop: the tails beyond the truncations and the coherent
        table's deviation (all inside the exact bound's ``step`` term, reported for the record)."""
        out = {}
        if self.plan.shift is not None:
            out["shift_tail"] = self.plan.shift.tail
        if self.plan.kernel is not None:
            out["coherent_tail"] = self.plan.kernel.tail
            out["coherent_table"] = self.plan.kernel.table_error
        return out

    @cached_property
    def _references(self) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """The averaged step channels of the same plan with exact frames: with the compiled cores, with
        the exact factor channels the cores dilate (``ideal_dissipation``, ``ideal_coherent``), and the
        latter again with the distributions cut where they drop ``REFERENCE_FRACTION`` of their tails."""
        f, h, couplings = self.frames, self.lindbladian.hamiltonian, self.form.couplings
        exact = f if f.exact else FrameEvolutions(f.hamiltonian, f.trotter_step, f.order, True, layered=f.layered)
        # the references share the compiled average's quadrature nodes; its change estimate covers them
        compiled = self._averaged[0] if f.exact else averaged_channels(self.plan, couplings, exact, h, compare=False)[0]
        cores = {"dissipation": ideal_dissipation(self.plan, couplings, h), "coherent": ideal_coherent(self.plan, couplings, h)}
        ideal = averaged_channels(self.plan, couplings, exact, h, channels=cores, compare=False)[0]
        # the wider cut changes the distributions and the coherent coefficients, not the dissipators
        wide = untruncated(self.plan, REFERENCE_FRACTION)
        wide_cores = {**cores, "coherent": ideal_coherent(wide, couplings, h)}
        untruncated_ideal = averaged_channels(wide, couplings, exact, h, channels=wide_cores, compare=False)[0]
        return compiled, ideal, untruncated_ideal

    @cached_property
    def _rates(self) -> dict:
        channels, change = self._averaged
        exact_frames, ideal, untruncated_ideal = self._references
        grid = grid_generator(self.plan, self.form.couplings, self.lindbladian.hamiltonian)
        steps = range(1, self.cycle + 1)
        return {
            "step": {r: cycle_bound(untruncated_ideal, grid, self.dt, r) for r in steps},
            "truncation": {r: product_distance(ideal, untruncated_ideal, r) for r in steps},
            "dilation": {r: product_distance(exact_frames, ideal, r) for r in steps},
            "trotter": {r: product_distance(channels, exact_frames, r) for r in steps},
            "change": change,
            "jump_grid": 0.5 * diamond_norm_upper_bound(grid - self.lindbladian.superoperator()),
        }

    def error_bound(self, time: float) -> ErrorBound:
        """A bound on ½‖E[ρ_instance(t)] − e^{tL}ρ₀‖₁ for every ρ₀ (the averaged evolution), n ≤ 5.

        Through L_grid, the generator the step averages to on its jump grids with exact frames and
        exact averages (:func:`~kmsgibbs.compiler.analysis.averaged.grid_generator`):

        * ``trotter``: m cycles of ½‖Φ̄_cycle − Φ̄ᵉ_cycle‖_◇ plus the remaining r steps', where Φ̄ᵉ is
          the averaged channel of the same plan with exact frames: the product formulas;
        * ``dilation``: the same for ½‖Φ̄ᵉ_cycle − Φ̄ⁱ_cycle‖_◇, Φ̄ⁱ with the exact factor channels
          e^{dt D[B]} and Ad e^{∓iθJ^†J} in place of the dilated cores;
        * ``truncation``: the same for ½‖Φ̄ⁱ_cycle − Φ̄ʷ_cycle‖_◇, Φ̄ʷ with the distributions cut where
          they drop ``REFERENCE_FRACTION`` of their tails (what the sampled tails drop, ``sampling_errors()``);
        * ``step``: the same for ½‖Φ̄ʷ_cycle − e^{C dt L_grid}‖_◇: randomization and splitting;
        * ``jump_grid``: t·½‖L_grid − L‖_◇ (both semigroups contract), the time grids of the jumps;
        * ``average_quadrature``: the change of the averaged channel between two quadrature
          resolutions per step (an estimate of the verification quadrature's own error).

        No s-quadrature and no coherent quadrature: both are sampled. States estimated from K
        instances add a statistical error, which the verification reports separately.
        """
        steps = self.num_steps(time)
        require_averaged(self, "error_bound")
        cycles, rest = divmod(steps, self.cycle)
        r = self._rates
        terms = {
            name: cycles * r[name][self.cycle] + (r[name][rest] if rest else 0.0) for name in ("step", "truncation", "dilation", "trotter")
        } | {
            "jump_grid": time * r["jump_grid"],
            "average_quadrature": 0.5 * steps * r["change"],
        }
        return ErrorBound(time=time, terms=terms, method="exact", estimated=("average_quadrature",))

    def _step_bound(self) -> ErrorBound:
        raise ValueError(
            "the randomized scheme has no scalable per-step bound (its error bound needs the exact averaged "
            "channel, n ≤ 5): gibbs_bound(t) without gap for n ≤ 5, or certify the trotter_dilation sampler"
        )

    @cached_property
    def _certificate(self) -> GibbsCertificate:
        channels, change = self._averaged
        return GibbsCertificate(
            self.lindbladian.superoperator(), self.lindbladian.gibbs_state(), channels, self.dt, quadrature=change
        )
