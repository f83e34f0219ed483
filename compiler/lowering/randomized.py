"""The randomized step plan and its parametric circuits: sample the averages instead of sweeping their nodes.

One step of size dt (physics.md §2.5, form 2):
  * a Gaussian Heisenberg time s ∼ N(0, T²/2) (truncated where its tail is below the budget):
    e^{−iH_W(t_0+s)}, then every dissipator sweep of the *unaveraged* jumps B_k (grid t_0 …), each
    followed by an ancilla reset, then e^{+iH_W(t_0+s)}: E_s gives e^{dt Σ_k E_s D[B_k(s)]} + O(dt²);
  * a coherent time t ∼ |φ|/‖φ‖₁: e^{−iH(t_0+t)}, the group commutator of one coherent term with
    θ = dt·C·‖φ‖₁·sign φ(t), reset, e^{+iH(t_0+t)}. The C coherent terms (operator k, CKG jump r) are
    cycled step by step, so C consecutive steps average to e^{C dt L} + O(dt²).
The sampled quantities are circuit ``Parameter``s (frame lengths, the sign as an ancilla phase) in a
structure that does not depend on them: one transpilation serves every sample. The frames with a
sampled length are a fixed number of product-formula steps of length |x|/r ≤ h; S(−δ) = S(δ)^{−1}
makes each closing frame the exact inverse of its opening one.

References:
    physics.md §2.5 ("Gaussian time-average form"); circuits.md §3.3; Campbell, PRL 123, 070503 (2019)
    for sampling a generator's terms (qDRIFT).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import groupby

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression, ParameterVector
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.circuits import dilation_sweep, signed_commutator_step, trotter_evolution

from ..physics.sampling import CoherentKernel, TruncatedGaussian
from ..physics.time_domain import TimeDomainForm
from .frames import FrameEvolutions
from .light_cone import restrict
from .plan import Factor

__all__ = ["RandomizedPlan", "build_randomized_plan", "randomized_circuit", "step_values", "PARAMETER_NAMES"]

#: The per-step parameter vectors: the dissipators' shift s, the coherent time t, the sign phase χ.
PARAMETER_NAMES = ("s", "t", "chi")


@dataclass(frozen=True)
class RandomizedPlan:
    """One randomized step: the factors with the distributions their frames are drawn from.

    Attributes:
        dt: step size.
        num_system: n (the ancilla is qubit n).
        dissipators: the dissipator factors on their unshifted grids (frame 0), in order; consecutive
            factors of one window share the sampled frame.
        coherent: the coherent terms, cycled one per step; ``coefficient`` is C·‖φ‖₁ (θ = ±dt·coefficient).
        shift: the distribution of s (``None``: no Gaussian average, T = 0).
        kernel: the coherent kernel φ (``None``: no coherent term).
        frame_steps: product-formula steps of the sampled frames: (shift frames, coherent frames).
    """

    dt: float
    num_system: int
    dissipators: tuple[Factor, ...]
    coherent: tuple[Factor, ...]
    shift: TruncatedGaussian | None
    kernel: CoherentKernel | None
    frame_steps: tuple[int, int]

    @property
    def cycle(self) -> int:
        """Steps per cycle of the coherent terms (1 without coherent term)."""
        return max(1, len(self.coherent))

    def coherent_term(self, step: int) -> Factor | None:
        """The coherent factor of step ``step`` (0-based), or ``None``."""
        return self.coherent[step % len(self.coherent)] if self.coherent else None

    def groups(self) -> list[tuple[tuple[int, ...], list[Factor]]]:
        """Consecutive dissipators of one window: (window, factors), one frame pair each."""
        return [(w, list(g)) for w, g in groupby(self.dissipators, key=lambda f: f.window)]


def build_randomized_plan(
    form: TimeDomainForm,
    *,
    dt: float,
    windows: tuple[tuple[int, ...], ...],
    num_system: int,
    shift: TruncatedGaussian | None,
    kernel: CoherentKernel | None,
    trotter_step: float,
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
    coherent = tuple(
        Factor("coherent", tuple(windows[k]), k, r, grid.scaled(alpha * math.sqrt(v)), len(terms) * kernel.norm)
        for k, r, v, grid in terms
    )
    reach_s = max(abs(float(f.grid.times[0])) for f in dissipators) + (shift.cutoff if shift else 0.0)
    reach_t = max((abs(float(f.grid.times[0])) for f in coherent), default=0.0) + (kernel.cutoff if kernel else 0.0)
    steps = (max(1, math.ceil(reach_s / trotter_step)), max(1, math.ceil(reach_t / trotter_step)))
    return RandomizedPlan(dt, num_system, dissipators, coherent, shift, kernel, steps)


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
    return trotter_evolution(h, length, order=frames.order, steps=steps)


def randomized_circuit(
    plan: RandomizedPlan,
    couplings: tuple[SparsePauliOp, ...],
    frames: FrameEvolutions,
    *,
    steps: int,
    values: dict[str, np.ndarray] | None = None,
) -> QuantumCircuit:
    """``steps`` randomized steps on system + ancilla (qubit n): parametric (``ParameterVector``s
    ``s``, ``t``, ``chi`` of length ``steps``) or, with ``values``, one bound instance.

    With exact frames (a dense reference mode) only bound instances exist: a dense e^{−iHx} has no
    parametric form.
    """
    n = plan.num_system
    if values is None:
        if frames.exact:
            raise ValueError("exact frames are dense unitaries and cannot carry parameters; compile without "
                             "exact_evolution for parametric circuits, or ask for bound instances")
        symbols = {name: ParameterVector(name, steps) for name in PARAMETER_NAMES}
    else:
        symbols = {name: np.asarray(v, dtype=float) for name, v in values.items()}
    circuit = QuantumCircuit(n + 1, name="kms_randomized")
    anc = n

    def place(local: QuantumCircuit, window: tuple[int, ...], with_ancilla: bool) -> None:
        qubits = [*window, anc] if with_ancilla else list(window)
        circuit.compose(local, qubits, inplace=True, copy=False)

    for i in range(steps):
        for window, group in plan.groups():
            start = float(group[0].grid.times[0])
            x = start + symbols["s"][i] if plan.shift is not None else start
            opening = _frame(frames, window, x, plan.frame_steps[0])
            place(opening, window, False)
            for f in group:
                a = restrict(couplings[f.operator], window)
                grid = f.grid.shifted(-start)
                sweep = dilation_sweep(a, grid.times, grid.weights, angle=math.sqrt(plan.dt), evolve=lambda s, w=window: frames.frame(w, s), frames=False)
                place(sweep, window, True)
                circuit.reset(anc)
            place(opening.inverse(), window, False)
        term = plan.coherent_term(i)
        if term is None:
            continue
        window = term.window
        start = float(term.grid.times[0])
        y = start + symbols["t"][i]
        opening = _frame(frames, window, y, plan.frame_steps[1])
        place(opening, window, False)
        grid = term.grid.shifted(-start)
        core = signed_commutator_step(
            restrict(couplings[term.operator], window), grid.times, grid.weights,
            magnitude=plan.dt * term.coefficient, sign_phase=symbols["chi"][i], evolve=lambda s, w=window: frames.frame(w, s),
        )
        place(core, window, True)
        circuit.reset(anc)
        place(opening.inverse(), window, False)
    return circuit

