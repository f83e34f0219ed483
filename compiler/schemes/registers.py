"""What the samplers share: system qubits 0..n−1 plus the ancillas after them (one, n, unless a sampler
says otherwise), whole steps, the initial state."""

from __future__ import annotations

from qiskit import QuantumCircuit

from .._checks import check_positive
from ..lowering.compiled import CompiledStep
from ..lowering.frames import FrameEvolutions
from ..lowering.plan import StepPlan
from ..physics.lindbladian import Lindbladian
from ..physics.time_domain import TimeDomainForm

__all__ = ["SystemAncillaRegisters", "CompiledStepView", "whole_steps", "prepare_initial_state"]


class SystemAncillaRegisters:
    """Mixin for samplers with a ``lindbladian`` on n system qubits and one ancilla, qubit n."""

    @property
    def num_system(self) -> int:
        return self.lindbladian.num_qubits

    @property
    def system_qubits(self) -> list[int]:
        return list(range(self.num_system))

    @property
    def ancilla_qubits(self) -> list[int]:
        return [self.num_system]

    @property
    def num_ancillas(self) -> int:
        """Ancilla qubits after the system (``ancilla_qubits``): what a runner traces out."""
        return len(self.ancilla_qubits)


class CompiledStepView(SystemAncillaRegisters):
    """Mixin for samplers that hold a ``compiled`` step: its generator, form, plan and dt."""

    compiled: CompiledStep

    @property
    def lindbladian(self) -> Lindbladian:
        return self.compiled.lindbladian

    @property
    def form(self) -> TimeDomainForm:
        return self.compiled.form

    @property
    def plan(self) -> StepPlan:
        return self.compiled.plan

    @property
    def dt(self) -> float:
        return self.compiled.dt

    @property
    def frames(self) -> FrameEvolutions:
        """The frame evolutions; ``frames.choice`` says how their product formula was chosen."""
        return self.compiled.frames


def whole_steps(time: float, step: float, what: str) -> int:
    """time / step for a time ≥ 0 that is a multiple of ``step`` (``what`` names the step in the error)."""
    time = check_positive("time", time, allow_zero=True)
    count = round(time / step)
    if abs(count * step - time) > 1e-9 * max(1.0, time):
        raise ValueError(f"time={time} is not a multiple of {what}")
    return count


def prepare_initial_state(circuit: QuantumCircuit, initial_state: QuantumCircuit | str | None, num_system: int) -> None:
    """Append the preparation of ``initial_state`` on qubits 0..num_system−1, in place.

    Args:
        circuit: the circuit to extend (system qubits first).
        initial_state: ``None`` (|0…0⟩), a bit string (little-endian label, e.g. "011"), or a circuit on
            the ``num_system`` system qubits that prepares the state.
        num_system: n.
    """
    if isinstance(initial_state, str):
        if len(initial_state) != num_system or set(initial_state) - {"0", "1"}:
            raise ValueError(f"initial_state must be a {num_system}-bit string, got {initial_state!r}")
        for q, bit in enumerate(reversed(initial_state)):
            if bit == "1":
                circuit.x(q)
    elif isinstance(initial_state, QuantumCircuit):
        if initial_state.num_qubits != num_system:
            raise ValueError(f"initial_state acts on {initial_state.num_qubits} qubits, expected {num_system}")
        circuit.compose(initial_state, range(num_system), inplace=True)
    elif initial_state is not None:
        raise ValueError(f"initial_state must be None, a bit string or a QuantumCircuit, got {type(initial_state).__name__}")
