"""The randomized step plan and its parametric circuits: sample the averages instead of sweeping their nodes.

One step of size dt (docs/master_equations.md, form 2):
  * a Gaussian Heisenberg time s ∼ N(0, T²/2) (truncated where its tail is below the budget):
    e^{−iH_W(t_0+s)}, then every dissipator sweep of the *unaveraged* jumps B_k (grid t_0 …), each
    followed by an ancilla reset, then e^{+iH_W(t_0+s)}: E_s gives e^{dt Σ_k E_s D[B_k(s)]} + O(dt²);
  * a coherent time t ∼ |φ|/‖φ‖₁: for each coherent term (operator k, CKG jump r) of this step's group,
    e^{−iH_W(t_0+t)}, its group commutator with θ = dt·C·‖φ‖₁·sign φ(t), reset, e^{+iH_W(t_0+t)}.
    The terms are dealt into C groups (term j into group j mod C) applied one group per step, so C
    consecutive steps average to e^{C dt L} + O(dt²) at 1/C of the coherent cost per step.
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
from qiskit.circuit import Instruction, Parameter, ParameterExpression, ParameterVector
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.circuits import dilation_sweep, signed_commutator_step, trotter_evolution
from kmsgibbs.circuits.dense import ancilla_kraus, circuit_unitaries, circuit_unitaries_over

from ..physics.sampling import CoherentKernel, TruncatedGaussian, coherent_kernel
from ..physics.time_domain import TimeDomainForm, TimeGrid
from .frames import FrameEvolutions
from .light_cone import restrict
from .plan import Factor

__all__ = [
    "RandomizedPlan", "build_randomized_plan", "shift_reach", "randomized_circuit", "step_values", "PARAMETER_NAMES",
    "frame_unitaries", "core_unitaries", "fused_instance", "untruncated", "unshifted_grid",
]

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
        coherent: the C groups of coherent terms, one group per step in turn; each factor's
            ``coefficient`` is C·‖φ‖₁ (θ = ±dt·coefficient).
        shift: the distribution of s (``None``: no Gaussian average, T = 0).
        kernel: the coherent kernel φ (``None``: no coherent term).
        frame_steps: product-formula steps of the sampled frames: (shift frames, coherent frames).
    """

    dt: float
    num_system: int
    dissipators: tuple[Factor, ...]
    coherent: tuple[tuple[Factor, ...], ...]
    shift: TruncatedGaussian | None
    kernel: CoherentKernel | None
    frame_steps: tuple[int, int]

    @property
    def cycle(self) -> int:
        """Steps per cycle of the coherent terms (1 without coherent term)."""
        return max(1, len(self.coherent))

    def coherent_group(self, step: int) -> tuple[Factor, ...]:
        """The coherent factors of step ``step`` (0-based; empty without coherent term)."""
        return self.coherent[step % len(self.coherent)] if self.coherent else ()

    @property
    def coherent_factors(self) -> tuple[Factor, ...]:
        return tuple(f for group in self.coherent for f in group)

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
    coherent_cycle: int,
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
    reach_s = shift_reach(form, shift)
    reach_t = max((abs(float(f.grid.times[0])) for f in factors), default=0.0) + (kernel.cutoff if kernel else 0.0)
    steps = (max(1, math.ceil(reach_s / trotter_step)), max(1, math.ceil(reach_t / trotter_step)))
    return RandomizedPlan(dt, num_system, dissipators, coherent, shift, kernel, steps)


def shift_reach(form: TimeDomainForm, shift: TruncatedGaussian | None) -> float:
    """The longest frame the dissipators' sampled shift opens: |first grid time| + the shift's cutoff."""
    jumps = form.coherent_jumps if form.average_deviation > 0 else form.jumps
    return max(abs(float(grid.times[0])) for _, grid in jumps) + (shift.cutoff if shift else 0.0)


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
    return trotter_evolution(h, length, order=frames.order, steps=steps)


def unshifted_grid(factor: Factor) -> TimeGrid:
    """The factor's grid moved to start at 0: the core a sampled frame e^{−iH(t_0 + x)} conjugates."""
    return factor.grid.shifted(-float(factor.grid.times[0]))


def dissipator_core(plan: RandomizedPlan, factor: Factor, coupling: SparsePauliOp, evolve) -> QuantumCircuit:
    """The dissipator sweep (angle √dt) of ``factor`` on its unshifted grid, without frames or reset."""
    grid = unshifted_grid(factor)
    return dilation_sweep(coupling, grid.times, grid.weights, angle=math.sqrt(plan.dt), evolve=evolve, frames=False)


def coherent_core(
    plan: RandomizedPlan, term: Factor, coupling: SparsePauliOp, sign_phase: float | ParameterExpression, evolve
) -> QuantumCircuit:
    """The coherent term's group commutator, |θ| = dt·coefficient, its sign the phase (0 or π/2)."""
    grid = unshifted_grid(term)
    return signed_commutator_step(
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
    """``steps`` randomized steps on system + ancilla (qubit n): parametric (``ParameterVector``s
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
    circuit = QuantumCircuit(n + 1, name="kms_randomized")
    anc = n

    evolve = {
        f.window: (lambda s, w=f.window: frames.frame(w, s)) for f in (*plan.dissipators, *plan.coherent_factors)
    }

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
                place(dissipator_core(plan, f, restrict(couplings[f.operator], window), evolve[window]), window, True)
                circuit.reset(anc)
            place(opening.inverse(), window, False)
        for term in plan.coherent_group(i):
            window = term.window
            start = float(term.grid.times[0])
            opening = _frame(frames, window, start + symbols["t"][i], plan.frame_steps[1])
            place(opening, window, False)
            core = coherent_core(plan, term, restrict(couplings[term.operator], window), symbols["chi"][i], evolve[window])
            place(core, window, True)
            circuit.reset(anc)
            place(opening.inverse(), window, False)
        if after_step is not None:
            after_step(circuit, i + 1)
    return circuit



def frame_unitaries(hamiltonian: SparsePauliOp, frames: FrameEvolutions, steps: int, lengths: np.ndarray) -> np.ndarray:
    """F(x) as ``randomized_circuit`` compiles it, for every x in ``lengths``, shape (len, 2^n, 2^n):
    exact, or ``steps`` product-formula steps S(x/steps) (one step per length, then its power)."""
    lengths = np.asarray(lengths, dtype=float)
    if frames.exact:
        e, v = np.linalg.eigh(hamiltonian.to_matrix())
        return np.einsum("ij,qj,kj->qik", v, np.exp(-1j * np.outer(lengths, e)), v.conj())
    x = Parameter("x")
    one = circuit_unitaries_over(trotter_evolution(hamiltonian, x, order=frames.order, steps=1), x, lengths / steps)
    return np.linalg.matrix_power(one, steps)


def core_unitaries(plan: RandomizedPlan, couplings: tuple[SparsePauliOp, ...], frames: FrameEvolutions) -> dict:
    """Dense unitaries (system + ancilla, whole-system windows) of what ``randomized_circuit`` places
    between the sampled frames: each dissipator sweep, and each coherent term's commutator for
    θ > 0 and θ < 0, per group (``{"dissipators": [U, …], "coherent": [[(U₊, U₋), …], …]}``)."""
    full = tuple(range(plan.num_system))
    if any(f.window != full for f in (*plan.dissipators, *plan.coherent_factors)):
        raise ValueError("dense cores need whole-system windows (compile without a light cone)")
    evolve = lambda s: frames.frame(full, s)  # noqa: E731
    sweeps = [dissipator_core(plan, f, couplings[f.operator], evolve) for f in plan.dissipators]
    coherent = [
        [
            tuple(circuit_unitaries([coherent_core(plan, term, couplings[term.operator], phase, evolve) for phase in (0.0, math.pi / 2)]))
            for term in group
        ]
        for group in plan.coherent
    ]
    return {"dissipators": circuit_unitaries(sweeps), "coherent": coherent}


def fused_instance(
    plan: RandomizedPlan,
    cores: dict,
    hamiltonian: SparsePauliOp,
    frames: FrameEvolutions,
    values: dict[str, np.ndarray],
    after_step: Callable[[QuantumCircuit, int], None] | None = None,
) -> QuantumCircuit:
    """One bound instance as exact channels on the system (a simulation aid for small systems).

    Each core with the ancilla reset after it is the channel ρ ↦ Σ_e K_e ρ K_e^†, K_e = ⟨e|U|0⟩ of
    its unitary U (computed from its gates), one ``Kraus`` instruction on the system qubits; the
    frames around it are multiplied into its Kraus operators, and each step ends with the frame left
    open as one ``UnitaryGate``. The channel is that of ``randomized_circuit(..., values=values)`` to
    floating-point precision (tested against Aer's superoperator of the gate-level instance), with
    ~8 instructions per step instead of ~10⁴, and the ancilla idle.
    """
    n = plan.num_system
    d = 2**n
    steps = len(next(iter(values.values())))
    x0 = float(plan.dissipators[0].grid.times[0])
    fx = frame_unitaries(hamiltonian, frames, plan.frame_steps[0], x0 + (values["s"] if plan.shift is not None else np.zeros(steps)))
    fy = None
    if plan.coherent:
        fy = frame_unitaries(hamiltonian, frames, plan.frame_steps[1], float(plan.coherent[0][0].grid.times[0]) + values["t"])
    circuit = QuantumCircuit(n + 1, name="kms_randomized_fused")
    system = list(range(n))

    def channel(unitary: np.ndarray, before: np.ndarray) -> None:
        # what Kraus(...).to_instruction() builds, without its per-call CPTP check (exact by construction)
        circuit.append(Instruction("kraus", n, 0, [k @ before for k in ancilla_kraus(unitary, d)]), system)

    eye = np.eye(d, dtype=complex)
    for i in range(steps):
        before = fx[i]
        for u in cores["dissipators"]:
            channel(u, before)
            before = eye
        after = fx[i].conj().T
        if fy is not None:
            positive = values["chi"][i] < math.pi / 4
            for plus, minus in cores["coherent"][i % len(plan.coherent)]:
                channel(plus if positive else minus, fy[i] @ after)
                after = fy[i].conj().T
        circuit.append(UnitaryGate(after, check_input=False), system)
        if after_step is not None:
            after_step(circuit, i + 1)
    return circuit
