"""The randomized step plan and its parametric circuits: sample the averages instead of sweeping their nodes.

One step of size dt (docs/master_equations.md, form 2):
  * a Gaussian Heisenberg time s ∼ N(0, T²/2) (truncated where its tail is below the budget):
    e^{−iH_W(t_0+s)}, then every dissipator sweep of the *unaveraged* jumps B_k (grid t_0 …), each
    followed by an ancilla reset, then e^{+iH_W(t_0+s)}: E_s gives e^{dt Σ_k E_s D[B_k(s)]} + O(dt²);
  * a coherent time t ∼ |φ|/‖φ‖₁: for each coherent term (operator k, CKG jump r) of this step's group,
    e^{−iH_W(t_0+t)}, its group commutator with θ = dt·C·‖φ‖₁·sign φ(t), reset, e^{+iH_W(t_0+t)}.
    The terms are dealt into C groups (term j into group j mod C) applied one group per step, so C
    consecutive steps average to e^{C dt L} + O(dt²) at 1/C of the coherent cost per step.
With ``sweep_ancillas`` K > 1 the dissipators of a window that share a time grid are swept together, up
to K at once: one palindromic sweep through one set of frame segments, operator k on its own ancilla
(qubits n..n+K−1, all reset after the sweep). Independent ancillas that start in |0⟩ leave no cross term
between different jumps at O(dt), so the sweep is e^{dt Σ_k D[B_k]} + O(dt²) = Π_k e^{dt D[B_k]} + O(dt²),
the same generator at ~1/K of the frame cost. The coherent terms keep the single ancilla n.
The sampled quantities are circuit ``Parameter``s (frame lengths, the sign as an ancilla phase) in a
structure that does not depend on them: one transpilation serves every sample. The frames with a
sampled length are a fixed number of product-formula steps of length |x|/r ≤ h; S(−δ) = S(δ)^{−1}
makes each closing frame the exact inverse of its opening one.

References:
    docs/master_equations.md ("Gaussian time-average form"); docs/schemes.md; Campbell, PRL 123, 070503 (2019)
    for sampling a generator's terms (qDRIFT).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import groupby

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression, ParameterVector
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.circuits import (
    dilation_pass, one_way_commutator_step, shared_dilation_sweep, signed_commutator_step, trotter_evolution,
)

from ..physics.sampling import CoherentKernel, TruncatedGaussian, coherent_kernel
from ..physics.time_domain import TimeDomainForm, TimeGrid
from .frames import FrameEvolutions
from .light_cone import restrict
from .plan import Factor

__all__ = [
    "RandomizedPlan", "build_randomized_plan", "shift_reach", "randomized_circuit", "step_values", "PARAMETER_NAMES",
    "untruncated", "unshifted_grid", "dissipator_core", "dissipator_frames", "coherent_core",
]

#: The per-step parameter vectors: the dissipators' shift s, the coherent time t, the sign phase χ.
PARAMETER_NAMES = ("s", "t", "chi")


@dataclass(frozen=True)
class RandomizedPlan:
    """One randomized step: the factors with the distributions their frames are drawn from.

    Attributes:
        dt: step size.
        num_system: n (the ancillas are qubits n, n + 1, …).
        dissipators: the dissipator factors on their unshifted grids (frame 0), in order; consecutive
            factors of one window share the sampled frame.
        coherent: the C groups of coherent terms, one group per step in turn; each factor's
            ``coefficient`` is C·‖φ‖₁ (θ = ±dt·coefficient).
        shift: the distribution of s (``None``: no Gaussian average, T = 0).
        kernel: the coherent kernel φ (``None``: no coherent term).
        frame_steps: product-formula steps of the sampled frames: (shift frames, coherent frames).
        sweep_ancillas: at most this many dissipators of a window (on one time grid) share one sweep,
            each on its own ancilla (1: every dissipator its own sweep on ancilla n).
        one_way_commutators: the coherent group commutators as four one-way passes through the grid
            (``one_way_commutator_step``) instead of four palindromic sweeps: half the frame segments.
        one_way_sweeps: each dissipator sweep as one pass at the full angle √dt, forward (t_0 → t_M) on
            even steps and backward on odd ones: a pass is e^{dt Σ D[B] ∓ i dt [H_C, ·]} + O(dt²), its
            spurious H_C (from the pass's second-order term) of opposite sign in the two directions, so
            two consecutive (averaged) steps are e^{2dt Σ D[B]} + O(dt²): half the frame segments.
    """

    dt: float
    num_system: int
    dissipators: tuple[Factor, ...]
    coherent: tuple[tuple[Factor, ...], ...]
    shift: TruncatedGaussian | None
    kernel: CoherentKernel | None
    frame_steps: tuple[int, int]
    sweep_ancillas: int = 1
    one_way_commutators: bool = False
    one_way_sweeps: bool = False

    @property
    def cycle(self) -> int:
        """Steps per cycle: of the coherent terms (1 without coherent term), even with one-way sweeps."""
        c = max(1, len(self.coherent))
        return 2 * c if self.one_way_sweeps and c % 2 else c

    def forward(self, step: int, sweep: int = 0) -> bool:
        """Whether sweep ``sweep`` of a window group passes its grid forward in step ``step``: always,
        unless one-way sweeps alternate: forward when step + sweep is even (consecutive passes of a
        step then meet at the grid's ends, and each factor's pass turns round from step to step)."""
        return not self.one_way_sweeps or (step + sweep) % 2 == 0

    def coherent_group(self, step: int) -> tuple[Factor, ...]:
        """The coherent factors of step ``step`` (0-based; empty without coherent term)."""
        return self.coherent[step % len(self.coherent)] if self.coherent else ()

    @property
    def coherent_factors(self) -> tuple[Factor, ...]:
        return tuple(f for group in self.coherent for f in group)

    def groups(self) -> list[tuple[tuple[int, ...], list[Factor]]]:
        """Consecutive dissipators of one window: (window, factors), one frame pair each."""
        return [(w, list(g)) for w, g in groupby(self.dissipators, key=lambda f: f.window)]

    def sweeps(self, group: list[Factor]) -> list[list[Factor]]:
        """A window group's dissipators as the sweeps that apply them: consecutive factors on the same
        unshifted time grid, at most ``sweep_ancillas`` per sweep (factor j of a sweep on ancilla n + j)."""
        out: list[list[Factor]] = []
        for f in group:
            last = out[-1] if out else None
            if (
                last is not None
                and len(last) < self.sweep_ancillas
                and np.array_equal(unshifted_grid(last[0]).times, unshifted_grid(f).times)
            ):
                last.append(f)
            else:
                out.append([f])
        return out

    @property
    def num_ancillas(self) -> int:
        """Ancilla qubits the step uses (n … n + num_ancillas − 1): the widest shared sweep, at least 1."""
        return max([1] + [len(sweep) for _, group in self.groups() for sweep in self.sweeps(group)])


def build_randomized_plan(
    form: TimeDomainForm,
    *,
    dt: float,
    windows: tuple[tuple[int, ...], ...],
    num_system: int,
    shift: TruncatedGaussian | None,
    kernel: CoherentKernel | None,
    trotter_step: float,
    coherent_cycle: int,
    sweep_ancillas: int = 1,
    one_way_commutators: bool = False,
    one_way_sweeps: bool = False,
) -> RandomizedPlan:
    """The randomized step of ``form``: the unaveraged jumps per operator, the coherent terms to cycle.

    Args:
        form: the time-domain form; with ``average_deviation`` > 0 its ``coherent_jumps`` (the jump B
            before the Gaussian average) are the dissipators, else its ``jumps``.
        dt: step size.
        windows: per coupling operator, the qubits its frames act on.
        num_system: n.
        shift: the distribution of s (required when the form averages).
        kernel: the coherent kernel (``None`` drops the coherent term).
        trotter_step: the longest product-formula step of a sampled frame.
        coherent_cycle: C, the number of groups the coherent terms are dealt into (at most one group
            per term).
        sweep_ancillas: at most this many dissipators share one sweep (one ancilla each; 1: none share).
        one_way_commutators: the coherent commutators from one-way passes (half the frame segments).
        one_way_sweeps: the dissipator sweeps as single passes, alternating direction step by step.
    """
    alpha = math.sqrt(form.rate)
    operators = range(len(form.couplings))
    jumps = form.coherent_jumps if form.average_deviation > 0 else form.jumps
    if form.average_deviation > 0 and shift is None:
        raise ValueError("this form averages over a Gaussian Heisenberg time: a shift distribution is required")
    dissipators = tuple(
        Factor("dissipator", tuple(windows[k]), k, m, grid.scaled(alpha * math.sqrt(v)))
        for k in operators
        for m, (v, grid) in enumerate(jumps)
    )
    terms = [(k, r, v, grid) for k in operators for r, (v, grid) in enumerate(form.coherent_jumps)] if kernel else []
    groups = min(int(coherent_cycle), len(terms))
    factors = [
        Factor("coherent", tuple(windows[k]), k, r, grid.scaled(alpha * math.sqrt(v)), groups * kernel.norm)
        for k, r, v, grid in terms
    ]
    coherent = tuple(tuple(factors[g::groups]) for g in range(groups))
    if one_way_sweeps:  # a group's passes meet at its grid's ends: every factor of a window on one span
        for w in {f.window for f in dissipators}:
            spans = {(float(f.grid.times[0]), float(f.grid.times[-1])) for f in dissipators if f.window == w}
            if len(spans) > 1:
                raise ValueError(f"one-way sweeps need the dissipators of a window on one time span, got {sorted(spans)}")
    reach_s = shift_reach(form, shift, one_way_sweeps=one_way_sweeps)
    reach_t = max((abs(float(f.grid.times[0])) for f in factors), default=0.0) + (kernel.cutoff if kernel else 0.0)
    steps = (max(1, math.ceil(reach_s / trotter_step)), max(1, math.ceil(reach_t / trotter_step)))
    return RandomizedPlan(
        dt, num_system, dissipators, coherent, shift, kernel, steps, int(sweep_ancillas), bool(one_way_commutators),
        bool(one_way_sweeps),
    )


def shift_reach(form: TimeDomainForm, shift: TruncatedGaussian | None, *, one_way_sweeps: bool = False) -> float:
    """The longest frame the dissipators' sampled shift opens: |first grid time| (and, with one-way
    sweeps, whose passes end at the grid's far end, |last grid time|) + the shift's cutoff."""
    jumps = form.coherent_jumps if form.average_deviation > 0 else form.jumps
    ends = [float(grid.times[0]) for _, grid in jumps]
    if one_way_sweeps:
        ends += [float(grid.times[-1]) for _, grid in jumps]
    return max(abs(x) for x in ends) + (shift.cutoff if shift else 0.0)


def untruncated(plan: RandomizedPlan, fraction: float) -> RandomizedPlan:
    """The same step with each distribution cut where it drops ``fraction`` × its own tail: the
    reference the truncation's cost is measured against (the coherent coefficients C·‖φ‖₁ follow
    the wider kernel)."""
    shift = None if plan.shift is None else TruncatedGaussian.with_tail(plan.shift.deviation, fraction * plan.shift.tail)
    if plan.kernel is None:
        return replace(plan, shift=shift)
    k = plan.kernel
    kernel = coherent_kernel(beta=k.beta, coarse_graining_time=k.coarse_graining_time, band=k.band, tail=fraction * k.tail)
    ratio = kernel.norm / k.norm
    coherent = tuple(tuple(replace(f, coefficient=f.coefficient * ratio) for f in group) for group in plan.coherent)
    return replace(plan, shift=shift, kernel=kernel, coherent=coherent)


def step_values(plan: RandomizedPlan, rng: np.random.Generator, steps: int) -> dict[str, np.ndarray]:
    """One instance's sampled values per step: s (shift), t (coherent time), chi (0 or π/2, the sign)."""
    out: dict[str, np.ndarray] = {}
    if plan.shift is not None:
        out["s"] = plan.shift.sample(rng, steps)
    if plan.coherent:
        t, sign = plan.kernel.sample(rng, steps)
        out["t"] = t
        out["chi"] = np.where(sign > 0, 0.0, math.pi / 2)
    return out


def _frame(
    frames: FrameEvolutions, window: tuple[int, ...], length: float | ParameterExpression, steps: int
) -> QuantumCircuit:
    """e^{−iH_W·length}: ``steps`` product-formula steps whatever the length (bound or a parameter), so
    a bound instance is the parametric circuit bound; dense with exact frames."""
    h = frames.window_hamiltonian(window)
    if frames.exact:
        return frames.evolution(h, float(length))
    return trotter_evolution(h, length, order=frames.order, steps=steps, layered=frames.layered)


def unshifted_grid(factor: Factor) -> TimeGrid:
    """The factor's grid moved to start at 0: the core a sampled frame e^{−iH(t_0 + x)} conjugates."""
    return factor.grid.shifted(-float(factor.grid.times[0]))


def dissipator_core(
    plan: RandomizedPlan, factors: Factor | list[Factor], couplings, evolve, *, forward: bool = True
) -> QuantumCircuit:
    """The dissipator sweep (angle √dt) of ``factors`` (one sweep, one ancilla each: qubits n, n + 1, …)
    on their unshifted grid, without frames or resets; ``couplings[j]`` is factor j's coupling (a single
    factor and coupling: today's one-ancilla sweep). With ``plan.one_way_sweeps``: one pass at the full
    angle, forward (from the grid's first node to its last) or backward."""
    if isinstance(factors, Factor):
        factors, couplings = [factors], [couplings]
    grids = [unshifted_grid(f) for f in factors]
    weights = [g.weights for g in grids]
    if plan.one_way_sweeps:
        return dilation_pass(list(couplings), grids[0].times, weights, angle=math.sqrt(plan.dt), evolve=evolve, forward=forward)
    return shared_dilation_sweep(list(couplings), grids[0].times, weights, angle=math.sqrt(plan.dt), evolve=evolve, frames=False)


def dissipator_frames(plan: RandomizedPlan, group: list[Factor], step: int) -> tuple[float, float]:
    """(t_open, t_close): step ``step``'s sampled frames around a window group's dissipator cores are
    e^{−iH(t_open + s)} before them and e^{+iH(t_close + s)} after them: t_0 for both around sweeps; with
    one-way passes the node the first pass starts at and the node the last one ends at."""
    t0, tm = float(group[0].grid.times[0]), float(group[0].grid.times[-1])
    if not plan.one_way_sweeps:
        return t0, t0
    last = len(plan.sweeps(group)) - 1
    return (t0 if plan.forward(step) else tm), (tm if plan.forward(step, last) else t0)


def coherent_core(
    plan: RandomizedPlan, term: Factor, coupling: SparsePauliOp, sign_phase: float | ParameterExpression, evolve
) -> QuantumCircuit:
    """The coherent term's group commutator, |θ| = dt·coefficient, its sign the phase (0 or π/2): four
    palindromic sweeps, or four one-way passes with ``plan.one_way_commutators``."""
    grid = unshifted_grid(term)
    build = one_way_commutator_step if plan.one_way_commutators else signed_commutator_step
    return build(
        coupling, grid.times, grid.weights, magnitude=plan.dt * term.coefficient, sign_phase=sign_phase, evolve=evolve
    )


def randomized_circuit(
    plan: RandomizedPlan,
    couplings: tuple[SparsePauliOp, ...],
    frames: FrameEvolutions,
    *,
    steps: int,
    values: dict[str, np.ndarray] | None = None,
    after_step: Callable[[QuantumCircuit, int], None] | None = None,
) -> QuantumCircuit:
    """``steps`` randomized steps on system + ancillas (qubits n … n + plan.num_ancillas − 1): parametric (``ParameterVector``s
    ``s``, ``t``, ``chi`` of length ``steps``) or, with ``values``, one bound instance.

    With exact frames (a dense reference mode) only bound instances exist: a dense e^{−iHx} has no
    parametric form. ``after_step(circuit, k)`` is called after the k-th step (k = 1 … steps), e.g. to
    save a snapshot there.
    """
    n = plan.num_system
    if values is None:
        if frames.exact:
            raise ValueError("exact frames are dense unitaries and cannot carry parameters; compile without "
                             "exact_evolution for parametric circuits, or ask for bound instances")
        symbols = {name: ParameterVector(name, steps) for name in PARAMETER_NAMES}
    else:
        symbols = {name: np.asarray(v, dtype=float) for name, v in values.items()}
    circuit = QuantumCircuit(n + plan.num_ancillas, name="kms_randomized")
    anc = n

    evolve = {
        f.window: (lambda s, w=f.window: frames.frame(w, s)) for f in (*plan.dissipators, *plan.coherent_factors)
    }

    def place(local: QuantumCircuit, window: tuple[int, ...], ancillas: int) -> None:
        qubits = [*window, *range(anc, anc + ancillas)]
        circuit.compose(local, qubits, inplace=True, copy=False)

    for i in range(steps):
        for window, group in plan.groups():
            ends = dissipator_frames(plan, group, i)
            x = [t + symbols["s"][i] if plan.shift is not None else t for t in ends]
            opening = _frame(frames, window, x[0], plan.frame_steps[0])
            place(opening, window, 0)
            for j, sweep in enumerate(plan.sweeps(group)):
                local = [restrict(couplings[f.operator], window) for f in sweep]
                place(dissipator_core(plan, sweep, local, evolve[window], forward=plan.forward(i, j)), window, len(sweep))
                for j in range(len(sweep)):
                    circuit.reset(anc + j)
            closing = opening if ends[1] == ends[0] else _frame(frames, window, x[1], plan.frame_steps[0])
            place(closing.inverse(), window, 0)
        for term in plan.coherent_group(i):
            window = term.window
            start = float(term.grid.times[0])
            opening = _frame(frames, window, start + symbols["t"][i], plan.frame_steps[1])
            place(opening, window, 0)
            core = coherent_core(plan, term, restrict(couplings[term.operator], window), symbols["chi"][i], evolve[window])
            place(core, window, 1)
            circuit.reset(anc)
            place(opening.inverse(), window, 0)
        if after_step is not None:
            after_step(circuit, i + 1)
    return circuit
