"""The step plan: what one compiled step of size dt is, factor by factor, in time order.

One step is the product (Lie splitting) of
  * per Gaussian-average node m and coupling operator k: a dissipator factor ≈ e^{dt·D[J_mk]},
    J_mk = α√v_m Σ_l w_l e^{iHt_l} A_k e^{−iHt_l} (a weak-measurement dilation, then an ancilla reset);
  * per coherent node t_j and operator k: a coherent factor ≈ e^{−i dt c_j [J_jk^†J_jk, ·]} with the
    jump grid shifted by t_j (a group commutator of dilation sweeps, then a reset);
  * the frame evolutions e^{−iH_W s} between them (merged across the resets, which commute with
    system evolutions), and optionally the Trotterised e^{−iH dt} (``include_system_hamiltonian``).

The plan is the one description of that product: the circuit, the exact step channel, the error
budget, the resource counts and the block-encodings all read their factors from it, so changing the
splitting order in one place changes all of them together.

References:
    docs/schemes.md (single-ancilla sweep), docs/error_budget.md (telescoping error bound); docs/master_equations.md
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..physics.time_domain import TimeDomainForm
from ..physics.time_grids import TimeGrid

__all__ = ["FACTOR_KINDS", "Factor", "StepPlan", "build_step_plan", "attach_frames"]

#: The kinds of factor a step holds.
FACTOR_KINDS = ("dissipator", "coherent", "frame", "hamiltonian")
#: Factors followed by an ancilla reset.
RESET_KINDS = ("dissipator", "coherent")


@dataclass(frozen=True)
class Factor:
    """One factor of a step.

    Attributes:
        kind: ``"dissipator"``, ``"coherent"``, ``"frame"`` or ``"hamiltonian"``.
        window: the system qubits it acts on (all of them, or a coupling operator's light cone).
        operator: index of the coupling operator A_k (``None`` for frames and the Hamiltonian).
        node: index of its Gaussian-average node (dissipator: into ``form.jumps``) or coherent node
            (into ``form.coherent``); ``None`` otherwise.
        grid: the jump's time grid, times t_l (including the coherent node's shift t_j) and weights
            α√v·w_l; ``None`` for frames and the Hamiltonian.
        coefficient: the generator's coefficient: 1 for a dissipator (its weight is in the grid),
            c_j for a coherent factor (angle θ = dt·c_j), 1 for the Hamiltonian; 0 for a frame.
        frame: the length s of the frame e^{−iH_W s} applied before the factor (merged frames; for a
            ``"frame"`` factor, its whole content).
    """

    kind: str
    window: tuple[int, ...]
    operator: int | None = None
    node: int | None = None
    grid: TimeGrid | None = None
    coefficient: float = 1.0
    frame: float = 0.0

    @property
    def start(self) -> float:
        """t_0, the first time of the factor's grid: the frame its core is conjugated into."""
        return 0.0 if self.grid is None else float(self.grid.times[0])

    @property
    def resets(self) -> bool:
        """Whether an ancilla reset follows the factor."""
        return self.kind in RESET_KINDS


@dataclass(frozen=True)
class StepPlan:
    """One step of size ``dt`` as an ordered tuple of factors.

    Attributes:
        dt: the step size.
        num_system: system qubits n (the ancilla is qubit n).
        factors: the factors in time order, frames included.
        merge_frames: whether the frames are merged between factors (else each core carries its own
            frame pair e^{−iHt_0} … e^{+iHt_0}, the naive construction).
    """

    dt: float
    num_system: int
    factors: tuple[Factor, ...]
    merge_frames: bool = True

    @property
    def cores(self) -> tuple[Factor, ...]:
        """The factors that are not frames (dissipators, coherent factors, the Hamiltonian)."""
        return tuple(f for f in self.factors if f.kind != "frame")

    @property
    def num_resets(self) -> int:
        return sum(f.resets for f in self.factors)

    def reordered(self, order: Sequence[int]) -> StepPlan:
        """The plan of the cores in ``order`` (indices into :attr:`cores`; omit one to drop it), with
        its frames merged anew."""
        cores = self.cores
        for i in order:
            if not 0 <= int(i) < len(cores):
                raise ValueError(f"core index {i!r} is out of range for a plan of {len(cores)} cores")
        return attach_frames([cores[int(i)] for i in order], dt=self.dt, num_system=self.num_system, merge_frames=self.merge_frames)

    def restricted(self, operator: int) -> StepPlan:
        """The cores of one coupling operator in plan order, with their frames (a light-cone block)."""
        cores = [f for f in self.cores if f.operator == operator]
        return attach_frames(cores, dt=self.dt, num_system=self.num_system, merge_frames=self.merge_frames)


def attach_frames(cores: Sequence[Factor], *, dt: float, num_system: int, merge_frames: bool) -> StepPlan:
    """The plan of ``cores`` in this order with frames attached.

    A factor on the grid t_0 + … needs the frame e^{−iHt_0} before and e^{+iHt_0} after; the reset
    commutes with system evolutions, so with ``merge_frames`` the closing frame of one factor and the
    opening frame of the next are merged into e^{−iH(t_0′ − t_0)}. A frame is closed when the window
    changes (factors of one light-cone window share theirs).
    """
    out: list[Factor] = []
    current, window = 0.0, None
    for core in cores:
        core = replace(core, frame=0.0)
        if core.kind == "hamiltonian" or not merge_frames:
            if current:
                out.append(Factor("frame", window, frame=-current, coefficient=0.0))
                current = 0.0
            out.append(core)
            continue
        if current and core.window != window:
            out.append(Factor("frame", window, frame=-current, coefficient=0.0))
            current = 0.0
        window = core.window
        if core.start != current:
            out.append(replace(core, frame=core.start - current))
            current = core.start
        else:
            out.append(core)
    if current:
        out.append(Factor("frame", window, frame=-current, coefficient=0.0))
    return StepPlan(dt=dt, num_system=num_system, factors=tuple(out), merge_frames=merge_frames)


def build_step_plan(
    form: TimeDomainForm,
    *,
    dt: float,
    windows: Sequence[tuple[int, ...]],
    num_system: int,
    merge_frames: bool = True,
    by_operator: bool = False,
    include_system_hamiltonian: bool = False,
) -> StepPlan:
    """The compiled step of ``form``: every dissipator node, then every coherent node, per operator.

    Args:
        form: the time-domain form (grids, nodes, coupling operators).
        dt: step size.
        windows: per coupling operator, the system qubits its frames act on.
        num_system: n.
        merge_frames: merge consecutive frames (see :func:`attach_frames`).
        by_operator: order the cores operator by operator (light cones: consecutive factors share a
            window) instead of node by node (consecutive factors share their frame times).
        include_system_hamiltonian: end the step with e^{−iH dt} on all qubits.
    """
    alpha = math.sqrt(form.rate)
    operators = range(len(form.couplings))

    def dissipator(m: int, k: int) -> Factor:
        v, grid = form.jumps[m]
        return Factor("dissipator", tuple(windows[k]), k, m, grid.scaled(alpha * math.sqrt(v)))

    coherent_nodes = [] if form.coherent is None else list(zip(form.coherent.times, form.coherent.weights.real))

    def coherent(j: int, k: int) -> list[Factor]:
        t, c = coherent_nodes[j]
        return [
            Factor("coherent", tuple(windows[k]), k, j, grid.scaled(alpha * math.sqrt(v)).shifted(float(t)), float(c))
            for v, grid in form.coherent_jumps
        ]

    nodes, cnodes = range(len(form.jumps)), range(len(coherent_nodes))
    if by_operator:
        cores = [f for k in operators for f in [*(dissipator(m, k) for m in nodes), *(g for j in cnodes for g in coherent(j, k))]]
    else:
        cores = [dissipator(m, k) for m in nodes for k in operators]
        cores += [g for j in cnodes for k in operators for g in coherent(j, k)]
    if include_system_hamiltonian:
        cores.append(Factor("hamiltonian", tuple(range(num_system))))
    return attach_frames(cores, dt=dt, num_system=num_system, merge_frames=merge_frames)
