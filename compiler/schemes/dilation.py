"""The dilation sampler: circuits that simulate e^{tL} by single-ancilla dilation steps with ancilla reset.

A thin object: it holds a :class:`~kmsgibbs.compiler.lowering.compiled.CompiledStep` (generator,
time-domain form, step plan, frame evolutions) and hands it to the circuit builders
(:mod:`~kmsgibbs.compiler.lowering.step_circuits`), the exact channel
(:mod:`~kmsgibbs.compiler.analysis.channels`), the error budget
(:mod:`~kmsgibbs.compiler.analysis.error_budget`), the resource counts
(:mod:`~kmsgibbs.compiler.analysis.step_resources`) and the block-encodings
(:mod:`~kmsgibbs.compiler.schemes.block_encoding`). The plan is the one description of the step, so
they all describe the same circuit.

References:
    docs/schemes.md (DCL single-ancilla sweep), docs/error_budget.md (telescoping error bound); docs/master_equations.md
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from qiskit import QuantumCircuit

from kmsgibbs.circuits import BlockEncoding

from ..analysis.certificate import GibbsCertificate
from ..analysis.channels import step_channel
from ..analysis.error_budget import ErrorBound, ErrorBudget
from ..analysis.step_resources import Resources, step_resources
from ..analysis.truncation import truncation_error
from ..lowering.compiled import CompiledStep
from ..lowering.plan import StepPlan
from ..lowering.step_circuits import estimate_instructions, step_circuit
from ..memory import BYTES_PER_INSTRUCTION, require_memory
from .block_encoding import coherent_block_encoding, jump_block_encodings
from .certified import GibbsCertified
from .registers import CompiledStepView, prepare_initial_state, whole_steps

__all__ = ["CompiledSampler", "DilationSampler"]


@dataclass(frozen=True, eq=False)
class DilationSampler(GibbsCertified, CompiledStepView):
    """Circuits that simulate e^{tL} for a KMS Lindbladian, with their exact channel, error bound and resources.

    Qubits: system 0..n−1, one ancilla n (reset after every dissipator and coherent factor).

    Attributes:
        compiled: the compiled step (``plan``, ``frames``, ``form``, ``lindbladian``).
    """

    compiled: CompiledStep
    _circuits: dict = field(default_factory=dict, init=False, repr=False)

    @property
    def trotter_step(self) -> float:
        """h: every frame length is a multiple of it."""
        return self.compiled.frames.trotter_step

    @property
    def light_cone(self) -> int | None:
        return self.compiled.light_cone

    @property
    def include_system_hamiltonian(self) -> bool:
        """Whether each step ends with e^{−iH dt} (physical thermalization)."""
        return self.compiled.include_system_hamiltonian

    def windows(self) -> list[tuple[int, ...]]:
        """Per coupling operator, the system qubits its frames act on: all of them, or its light cone."""
        return list(self.compiled.windows)

    def with_plan(self, plan: StepPlan) -> DilationSampler:
        """The sampler of another plan of the same step (e.g. ``S.plan.reordered(order)``): its circuits,
        channel, budget and resources all follow the new plan."""
        return DilationSampler(self.compiled.with_plan(plan))

    def num_steps(self, time: float) -> int:
        """time / dt for a time ≥ 0 that is a multiple of dt."""
        return whole_steps(time, self.dt, f"dt={self.dt}")

    def step_circuit(self, *, fused: bool = False) -> QuantumCircuit:
        """One step of size dt on system + ancilla: the plan's factors as named gates (``dilation_step``,
        ``coherent_step``, ``frame``, ``hamiltonian_step``), an ancilla reset after every dissipator and
        coherent factor.

        Args:
            fused: give each factor as one ``UnitaryGate`` (its matrix computed from the factor's
                gates, so the channel is the same to floating-point precision). A simulation aid for
                small systems (system + ancilla ≤ 8 qubits): a simulator's cost is dominated by the
                instruction count, which fusing cuts by ~10³.
        """
        if fused not in self._circuits:
            c = self.compiled
            if not fused:  # at n = 14 one step is ~4·10⁷ instructions: refused from the plan, not by the allocator
                per_step = self.estimated_instructions()
                require_memory(
                    f"one gate-level step of the {self.num_system}-qubit sampler ({per_step} instructions, estimated "
                    "from the step plan)",
                    per_step * BYTES_PER_INSTRUCTION,
                    alternative="compile with a light_cone radius (its blocks do not grow with n); sampler.resources() "
                    "counts gates without building the step",
                )
            self._circuits[fused] = step_circuit(c.plan, c.couplings, c.frames, fused=fused)
        return self._circuits[fused]

    def estimated_instructions(self) -> int:
        """Gate-level instructions of one step, counted from the plan without building the circuit
        (:func:`~kmsgibbs.compiler.lowering.step_circuits.estimate_instructions`, ≲ 10 % above)."""
        c = self.compiled
        return estimate_instructions(c.plan, c.couplings, c.frames)

    def circuit(self, time: float, *, initial_state: QuantumCircuit | str | None = None) -> QuantumCircuit:
        """The full evolution for ``time`` (a multiple of dt), optionally after a state preparation.

        Args:
            time: total evolution time.
            initial_state: ``None`` (|0…0⟩), a bit string (little-endian label, e.g. "011"), or a
                circuit on the n system qubits that prepares the initial state.
        """
        steps = self.num_steps(time)
        circuit = QuantumCircuit(self.num_system + 1, name=f"kms_evolution_t{time:g}")
        prepare_initial_state(circuit, initial_state, self.num_system)
        if steps:
            step = self.step_circuit()
            require_memory(
                f"the circuit of {steps} steps of {len(step.data)} factor gates (time={time:g}, dt={self.dt:g})",
                steps * len(step.data) * BYTES_PER_INSTRUCTION,
                alternative="build fewer steps (a shorter time or a larger dt) or run kmsgibbs.simulators.aer, "
                "which splits long runs into jobs",
            )
            for _ in range(steps):
                circuit.compose(step, inplace=True)
        return circuit

    @cached_property
    def _channel(self) -> np.ndarray:
        return step_channel(self.compiled)

    def step_channel(self) -> np.ndarray:
        """The exact system superoperator of one step (column-stacked), composed factor by factor (n ≤ 6)."""
        return self._channel

    @cached_property
    def _budget(self) -> ErrorBudget:
        return ErrorBudget(self.compiled)

    def error_bound(self, time: float, *, method: str = "auto") -> ErrorBound:
        """A bound on ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁ for every ρ₀, as named terms (``ErrorBound.terms``).

        ``method="exact"`` (the default for n ≤ 6 without a light cone): the step term from the exact
        step channel and the Choi-based diamond bound, rigorous, minutes at n = 6. ``method="norms"``:
        dilation, coherent and splitting terms from operator norms, Trotter and quadrature terms from the
        dense windows, and the light-cone truncation bound; scalable (seconds at n = 100 with a light
        cone). See :mod:`kmsgibbs.compiler.analysis.error_budget`.
        """
        return self._budget.bound(time, self.num_steps(time), method=method)

    def _step_bound(self) -> ErrorBound:
        """One step's error over states, ½‖Φ_dt − e^{dt L}‖ (the budget's method ``"auto"``), for the gap certificate."""
        return self._budget.bound(self.dt, 1)

    @cached_property
    def _certificate(self) -> GibbsCertificate:
        lind = self.compiled.lindbladian
        generator = lind.superoperator(include_system_hamiltonian=self.include_system_hamiltonian)
        return GibbsCertificate(generator, lind.gibbs_state(), [self.step_channel()], self.dt)

    def resources(
        self,
        time: float | None = None,
        *,
        target=None,
        basis_gates: tuple[str, ...] = ("cx", "rz", "sx", "x"),
        synthesis_error: float = 1e-3,
        seed: int | None = 0,
        whole_blocks: bool = False,
    ) -> Resources:
        """Qubits, two-qubit gates, depth, two-qubit depth, resets and a T-count estimate per step
        (and totals over ``time``); see :func:`~kmsgibbs.compiler.analysis.step_resources.step_resources`.

        With a light cone, each distinct block is lowered once with its frame evolutions as boxes
        (upper bounds: measured for a TFIM chain, XZ couplings, r = 3, ε = 10⁻², two-qubit gates +8 %,
        rotations +5 %, depth +19 % over ``whole_blocks=True``). On a target, each block is laid out on
        its own (window chain, ancilla beside its middle); moving the shared ancilla from window to
        window is not counted.
        """
        steps = None if time is None else self.num_steps(time)
        return step_resources(
            self.compiled,
            steps,
            target=target,
            basis_gates=basis_gates,
            synthesis_error=synthesis_error,
            seed=seed,
            whole_blocks=whole_blocks,
        )

    def block_encodings(self) -> list[BlockEncoding]:
        """LCU block-encodings of the jump of every dissipator factor (see
        :func:`~kmsgibbs.compiler.schemes.block_encoding.jump_block_encodings`); dense, n ≤ 6."""
        return jump_block_encodings(self.compiled)

    def coherent_block_encoding(self) -> BlockEncoding:
        """The block-encoding of the coherent term H̃_⊥ with its declared ε; dense, n ≤ 6."""
        return coherent_block_encoding(self.compiled)

    def truncation_error(self, *, margin: int | None = None, max_qubits: int = 11) -> dict:
        """Light-cone truncation, bounded; see :func:`~kmsgibbs.compiler.analysis.truncation.truncation_error`."""
        return truncation_error(self.compiled, margin=margin, max_qubits=max_qubits)


#: The name the README and earlier releases use for the dilation sampler.
CompiledSampler = DilationSampler
