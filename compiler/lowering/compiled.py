"""A compiled step: the generator, its time-domain form, the step plan and the frame evolutions, together.

This is the one object the analysis (error budget, truncation, resources), the block-encodings and
the circuit builders read; a sampler holds one and hands it to them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from ..physics.lindbladian import Lindbladian
from ..physics.time_domain import TimeDomainForm
from .frames import FrameEvolutions
from .light_cone import restrict
from .plan import StepPlan

__all__ = ["CompiledStep"]


@dataclass(frozen=True, eq=False)
class CompiledStep:
    """Everything one compiled step is made of.

    Attributes:
        lindbladian: the target generator L.
        form: its time-domain form (grids, nodes, coupling operators).
        plan: the step's factors in time order.
        frames: the frame evolutions the factors use.
        windows: per coupling operator, the system qubits its frames act on.
        light_cone: the light-cone radius the windows come from (``None``: every window is the system).
    """

    lindbladian: Lindbladian
    form: TimeDomainForm
    plan: StepPlan
    frames: FrameEvolutions
    windows: tuple[tuple[int, ...], ...]
    light_cone: int | None = None

    @property
    def dt(self) -> float:
        return self.plan.dt

    @property
    def num_system(self) -> int:
        return self.plan.num_system

    @property
    def couplings(self) -> tuple[SparsePauliOp, ...]:
        return self.form.couplings

    @property
    def include_system_hamiltonian(self) -> bool:
        return any(f.kind == "hamiltonian" for f in self.plan.factors)

    def with_plan(self, plan: StepPlan) -> CompiledStep:
        """The same generator, form and frames with another plan (a reordered or reduced step)."""
        if plan.num_system != self.num_system:
            raise ValueError(f"the plan is for {plan.num_system} system qubits, this step has {self.num_system}")
        return dataclasses.replace(self, plan=plan)

    def block_key(self, operator: int) -> tuple:
        """What the light-cone block of one coupling operator is built from: equal keys, equal circuits."""
        window = self.windows[operator]
        h = restrict(self.form.hamiltonian, window).simplify(atol=0)
        a = restrict(self.couplings[operator], window)
        factors = tuple(
            (
                f.kind,
                f.node,
                round(f.frame, 12),
                round(f.coefficient, 12),
                None if f.grid is None else np.round(f.grid.times, 12).tobytes(),
                None if f.grid is None else np.round(f.grid.weights, 12).tobytes(),
            )
            for f in self.plan.restricted(operator).factors
        )
        frames = self.frames
        return (
            tuple(h.paulis.to_labels()),
            np.round(h.coeffs, 12).tobytes(),
            tuple(a.paulis.to_labels()),
            np.round(a.coeffs, 12).tobytes(),
            factors,
            round(self.dt, 12),
            round(frames.trotter_step, 12),
            frames.order,
            frames.exact,
            self.plan.merge_frames,
        )

    @cached_property
    def blocks(self) -> dict[int, int]:
        """A representative operator per distinct light-cone block → how many operators share it."""
        seen: dict[tuple, int] = {}
        counts: dict[int, int] = {}
        for k in range(len(self.couplings)):
            first = seen.setdefault(self.block_key(k), k)
            counts[first] = counts.get(first, 0) + 1
        return counts
