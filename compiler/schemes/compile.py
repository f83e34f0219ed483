"""``compile_sampler``: check the input, lower the generator to a step plan, return one sampler type per scheme."""

from __future__ import annotations

import math

from qiskit.quantum_info import SparsePauliOp

from .._checks import (
    check_choice, check_flag, check_integer, check_open_unit_interval, check_positive, check_trotter_order,
)
from ..analysis.frame_choice import choose_frames
from ..lowering.compiled import CompiledStep
from ..lowering.frames import FrameEvolutions
from ..lowering.light_cone import light_cone_window, restrict
from ..lowering.plan import build_step_plan
from ..lowering.randomized import build_randomized_plan, shift_reach
from ..memory import BYTES_PER_INSTRUCTION, memory_limit, require_memory
from ..physics.sampling import TruncatedGaussian, coherent_kernel
from ..physics.energy_basis import bohr_frequency_bound
from ..physics.lindbladian import Lindbladian
from ..physics.time_domain import TimeDomainForm, build_time_domain
from .bath_emulation import BathEmulationSampler, compile_bath_emulation
from .block_encoding import BlockEncodingSampler
from .dilation import DilationSampler
from .randomized import RandomizedSampler

__all__ = ["DILATION_LIMIT", "SCHEMES", "compile_sampler", "dilation_dt_limit", "dilation_strength"]

#: The dilation expansion is used for dt·Σ_j‖L_aj‖² ≤ DILATION_LIMIT, for each coupling operator a (its jumps j).
DILATION_LIMIT = 0.25
SCHEMES = ("trotter_dilation", "randomized", "block_encoding", "bath_emulation")
#: The randomized scheme truncates its sampled distributions where the dropped mass is below epsilon × this.
TAIL_FRACTION = 1e-3


def dilation_strength(form: TimeDomainForm) -> float:
    """The bound α² Σ_m v_m ‖w_m‖₁² (Σ_P|c_P|)² on Σ_j‖L_aj‖² of every coupling operator a's jumps.

    ‖w_m‖₁ is the ℓ1 norm of jump m's time weights; for a Scandi–Alhambra bath it is ≈ ∫|g(t)|dt, which
    for a Gaussian bath equals √(max Ĉ): the largest rate of the bath sets dt, wherever the system's
    Bohr frequencies lie (``baths.GaussianBath.for_beta`` keeps it fixed as β grows). The expansion is
    per dilation factor (one operator's jumps), so the limit is local: it does not shrink dt as the
    system grows (the splitting error then adds up over the operators, extensively).
    """
    return form.rate * sum(v * grid.one_norm**2 for v, grid in form.jumps) * max(
        abs(a.coeffs).sum() ** 2 for a in form.couplings
    )


def dilation_dt_limit(form: TimeDomainForm) -> float:
    """The largest dt ``compile_sampler`` accepts for the dilation-based schemes: DILATION_LIMIT / strength."""
    return DILATION_LIMIT / dilation_strength(form)


def compile_sampler(
    lind: Lindbladian,
    *,
    dt: float,
    scheme: str = "trotter_dilation",
    trotter_order: int | None = None,
    epsilon: float = 1e-3,
    trotter_step: float | None = None,
    exact_evolution: bool = False,
    include_system_hamiltonian: bool = False,
    merge_frames: bool = True,
    light_cone: int | None = None,
    cycle_time: float | None = None,
    coherent_cycle: int | None = None,
    frame_step: float | None = None,
    sweep_ancillas: int = 1,
    one_way_commutators: bool = False,
    one_way_sweeps: bool = False,
    layered_frames: bool = False,
) -> DilationSampler | RandomizedSampler | BlockEncodingSampler | BathEmulationSampler:
    """Compile a Lindbladian into circuits; one sampler type per scheme.

    ``scheme="trotter_dilation"``: an exactly-KMS generator (Scandi–Alhambra ``form="kms"``, CKG or DLL)
    as single-ancilla dilation steps (a :class:`~kmsgibbs.compiler.CompiledSampler`).
    ``scheme="randomized"``: the same generators as parametric circuits that sample the Gaussian
    Heisenberg time and the coherent time per step instead of sweeping their quadrature nodes (a
    :class:`~kmsgibbs.compiler.schemes.randomized.RandomizedSampler`; instances average to e^{tL}).
    ``scheme="block_encoding"``: the LCU block-encodings of every jump and of the coherent term of the
    same step plan (a :class:`~kmsgibbs.compiler.schemes.block_encoding.BlockEncodingSampler`: verified
    ε, resources; no step circuits). ``scheme="bath_emulation"``: a Scandi–Alhambra
    ``form="coarse_grained"`` generator as cycles of a thermal ancilla bath qubit coupled under a
    Gaussian envelope (a :class:`~kmsgibbs.compiler.schemes.bath_emulation.BathEmulationSampler`; only
    ``dt``, ``cycle_time``, ``trotter_order`` and ``exact_evolution`` apply).

    Args:
        lind: the generator.
        dt: step size; for trotter_dilation it must satisfy dt·Σ_j‖L_j‖² ≤ 0.25 (the dilation
            expansion's range); for bath_emulation it is the Strang step of the joint evolution.
        scheme: ``"trotter_dilation"``, ``"block_encoding"`` or ``"bath_emulation"``.
        trotter_order: order of the product formula for e^{−iHs}; default chosen with the Trotter
            step (2 with a hand-set ``trotter_step``).
        epsilon: accuracy of the time grids (sup-norm of the transfer functions on the Bohr band);
            the frames' product formula is held to it too (``analysis.frame_choice.choose_frames``:
            the Gibbs state of the frames' effective Hamiltonian H̃_h within ε of e^{−βH}/Z).
        trotter_step: hand-set Trotter step h, which is then also the grid unit (every grid time a
            multiple of it). By default the grid unit u comes from ``epsilon`` and h = u/m with m
            and the order the cheapest that meet the accuracy (``sampler.frames.choice``).
        exact_evolution: use dense e^{−iHs} (reference mode for small n) instead of product formulas.
        include_system_hamiltonian: add e^{−iH dt} per step (physical thermalization).
        merge_frames: merge the frame evolutions of consecutive factors across the ancilla resets
            (False gives the naive construction, kept to measure what the merge saves).
        light_cone: truncate every coupling operator's frames to H restricted to the qubits within this
            many interaction steps of it (``None``: no truncation). The cost per operator is then
            independent of n; ``truncation_error()`` states the error it adds.
        cycle_time: bath_emulation only: the duration of one cycle (default 8T, whole steps).
        coherent_cycle: randomized only (default 6): the coherent terms are dealt into this many groups, one
            group per step (C steps then average to e^{C dt L} + O(dt²); fewer groups cost more per
            step and split less).
        frame_step: randomized only: the longest product-formula step of the frames with a sampled
            length (default 2h, twice the chosen Trotter step). They conjugate whole cores rather than
            setting the jumps' Bohr frequencies, and the floor is the sweeps' frames': on TFIM n = 3
            (verify settings) h → 2h moves the averaged fixed point by 2.5e-4 at ε = 1e-2 and 1.3e-5 at
            1e-3, changes the budget's trotter term by < 3 %, and saves 12–13 % of the CX per step.
        sweep_ancillas: randomized only: up to this many dissipators of a step (those of one window on
            one time grid) share one palindromic sweep through one set of frame segments, each on its
            own ancilla (qubits n..n+K−1, ``sampler.num_ancillas``), all reset after it. The same
            generator to O(dt²) per step (independent ancillas leave no cross terms between the jumps
            at O(dt)); on TFIM n = 3 (verify settings) K = 6 takes one step from 3,046 to 2,050 CX
            (benchmarks/shared_sweep_table.py).
            Default 1: every dissipator its own sweep and reset on ancilla n.
        one_way_commutators: randomized only: each coherent term's group commutator e^{iaK′}e^{iaK}
            e^{−iaK′}e^{−iaK} from four one-way passes through its grid (forward, backward, forward,
            backward) instead of four palindromic sweeps: half the frame segments and rotations. A
            pass's second-order error is ∓(a²/2)C with the same C for K and K′, so the two forward and
            two backward passes cancel it; the channel is Ad e^{−iθJ^†J} + O(θ²) as before (measured:
            the same error constant to 1 %). On TFIM n = 3 (verify settings, K = 6) 2,050 → 1,530 CX per step.
        one_way_sweeps: randomized only: each dissipator sweep as one pass through its grid at the
            full angle √dt, consecutive passes of a step in turn forward and backward and every
            direction turned round the next step (the cycle is then even): half the frame segments
            and rotations. One pass adds a spurious Hamiltonian at O(dt) (the pass's second-order
            term), of opposite sign in the two directions, so two consecutive averaged steps are
            e^{2dt Σ D[B]} + O(dt²); a single step is O(dt) off (the budget's ``dilation`` term of an
            odd number of steps says so). Verify settings with all three levers: 1,244 CX per step,
            the averaged fixed point 0.0097 from Gibbs (0.0082 with palindromic sweeps).
        layered_frames: every frame (sampled frames and the sweeps' segments) a product formula over
            H's commuting layers (``circuits.commuting_layers``: the fields, then the bonds) instead
            of over its single Pauli terms. The same order and the same choice of h from ε (the
            floor is measured on the layered formula); a chain's bond then costs 2 CX per step
            instead of 4, because the term-by-term formula splits the bonds around the fields.
            Verify settings with the three levers above: 1,244 → 860 CX per step (the frames' floor
            5.6e-3 → 4.7e-3; these are ``kmsgibbs verify``'s settings).
    """
    scheme = check_choice("scheme", scheme, SCHEMES)
    for name, value in (
        ("exact_evolution", exact_evolution), ("include_system_hamiltonian", include_system_hamiltonian),
        ("merge_frames", merge_frames), ("one_way_commutators", one_way_commutators), ("one_way_sweeps", one_way_sweeps),
        ("layered_frames", layered_frames),
    ):
        check_flag(name, value)
    if trotter_order is not None:
        trotter_order = check_trotter_order("trotter_order", trotter_order)
        if not exact_evolution:
            _require_product_formula(lind.hamiltonian, trotter_order)
    _refuse_other_schemes_options(
        scheme, light_cone=light_cone, trotter_step=trotter_step, cycle_time=cycle_time, coherent_cycle=coherent_cycle,
        frame_step=frame_step, include_system_hamiltonian=include_system_hamiltonian, merge_frames=merge_frames,
        epsilon=epsilon, sweep_ancillas=sweep_ancillas, one_way_commutators=one_way_commutators,
        one_way_sweeps=one_way_sweeps, layered_frames=layered_frames,
    )
    sweep_ancillas = check_integer("sweep_ancillas", sweep_ancillas, minimum=1)
    if scheme == "bath_emulation":
        return compile_bath_emulation(
            lind, dt=dt, cycle_time=cycle_time, trotter_order=2 if trotter_order is None else trotter_order,
            exact_evolution=exact_evolution,
        )
    dt = check_positive("dt", dt)
    epsilon = check_open_unit_interval("epsilon", epsilon)
    if light_cone is not None:
        light_cone = check_integer("light_cone", light_cone, minimum=0)
    if trotter_step is not None:
        trotter_step = check_positive("trotter_step", trotter_step)
    if scheme == "randomized":
        coherent_cycle = check_integer("coherent_cycle", 6 if coherent_cycle is None else coherent_cycle, minimum=1)
        if frame_step is not None:
            frame_step = check_positive("frame_step", frame_step)
    h = lind.hamiltonian
    n = h.num_qubits
    if light_cone is None:
        windows = tuple(tuple(range(n)) for _ in lind.couplings)
        band = None
    else:  # the frames evolve with window Hamiltonians: their Bohr band is n-independent
        windows = tuple(light_cone_window(h, a, light_cone) for a in lind.couplings)
        band = max(bohr_frequency_bound(restrict(h, w)) for w in windows)
    form = build_time_domain(lind, epsilon=epsilon, trotter_step=trotter_step, bohr_bound=band)
    limit = dilation_dt_limit(form)
    if dt > limit:
        raise ValueError(
            f"dt={dt:g} is too large: the dilation step needs dt·Σ_j‖L_aj‖² ≤ {DILATION_LIMIT} for every "
            f"coupling operator a, i.e. dt ≤ {limit:.4g} for this generator"
        )
    if trotter_step is not None or exact_evolution:
        frames = FrameEvolutions(h, form.trotter_step, trotter_order or 2, exact_evolution, layered=layered_frames)
    else:
        hamiltonians = tuple({tuple(w): restrict(h, w) for w in windows}.values())
        choice = choose_frames(
            hamiltonians, unit=form.trotter_step, beta=lind.beta, epsilon=epsilon, order=trotter_order, layered=layered_frames
        )
        frames = FrameEvolutions(h, choice.trotter_step, choice.order, False, choice, layered=layered_frames)
    if scheme == "randomized":
        tail = TAIL_FRACTION * epsilon
        shift = TruncatedGaussian.with_tail(form.average_deviation, tail) if form.average_deviation > 0 else None
        if frame_step is not None and not frames.exact:  # before the coherent kernel, the slow part
            _require_sampled_frames(math.ceil(shift_reach(form, shift, one_way_sweeps=one_way_sweeps) / frame_step), frames, windows, frame_step)
        kernel = None
        if lind.coherent is not None:
            kernel = coherent_kernel(
                beta=lind.beta, coarse_graining_time=form.average_deviation * 2**0.5, band=form.bohr_bound, tail=tail
            )
        randomized = build_randomized_plan(
            form, dt=dt, windows=windows, num_system=n, shift=shift, kernel=kernel,
            trotter_step=2 * frames.trotter_step if frame_step is None else frame_step,
            coherent_cycle=coherent_cycle,
            sweep_ancillas=sweep_ancillas,
            one_way_commutators=one_way_commutators,
            one_way_sweeps=one_way_sweeps,
        )
        if not frames.exact:
            _require_sampled_frames(max(randomized.frame_steps), frames, windows, frame_step)
        return RandomizedSampler(lind, form, randomized, frames, windows, light_cone)
    plan = build_step_plan(
        form,
        dt=dt,
        windows=windows,
        num_system=n,
        merge_frames=merge_frames,
        by_operator=light_cone is not None,
        include_system_hamiltonian=include_system_hamiltonian,
    )
    compiled = CompiledStep(lind, form, plan, frames, windows, light_cone)
    return BlockEncodingSampler(compiled) if scheme == "block_encoding" else DilationSampler(compiled)


#: Options that apply to some schemes only, and the schemes they apply to: passing one to another
#: scheme is refused rather than ignored.
_SCHEME_OPTIONS = {
    "light_cone": ("trotter_dilation", "randomized", "block_encoding"),
    "trotter_step": ("trotter_dilation", "randomized", "block_encoding"),
    "cycle_time": ("bath_emulation",),
    "coherent_cycle": ("randomized",),
    "frame_step": ("randomized",),
    "include_system_hamiltonian": ("trotter_dilation", "block_encoding"),
    "merge_frames": ("trotter_dilation", "block_encoding"),
    "epsilon": ("trotter_dilation", "randomized", "block_encoding"),
    "sweep_ancillas": ("randomized",),
    "one_way_commutators": ("randomized",),
    "one_way_sweeps": ("randomized",),
    "layered_frames": ("trotter_dilation", "randomized", "block_encoding"),
}
#: The value of each option that means "not asked for" (the signature's default).
_UNSET = {
    "include_system_hamiltonian": False, "merge_frames": True, "epsilon": 1e-3, "sweep_ancillas": 1,
    "one_way_commutators": False, "one_way_sweeps": False, "layered_frames": False,
}


def _refuse_other_schemes_options(scheme: str, **options: object) -> None:
    """Refuse an option set away from its default for a scheme it does not apply to."""
    for name, value in options.items():
        if scheme not in _SCHEME_OPTIONS[name] and value is not _UNSET.get(name) and value != _UNSET.get(name):
            schemes = _SCHEME_OPTIONS[name]
            which = f"{', '.join(schemes[:-1])} and {schemes[-1]} schemes" if len(schemes) > 1 else f"{schemes[0]} scheme"
            raise ValueError(f"{name}={value!r} applies to the {which} only, not to scheme={scheme!r}; drop it")


def _stages(order: int) -> int:
    """Second-order stages of one step of the order-p formula (Suzuki's recursion: 5^{(p−2)/2})."""
    return 1 if order <= 2 else 5 ** ((order - 2) // 2)


def _require_product_formula(hamiltonian: SparsePauliOp, order: int) -> None:
    """Refuse an order whose one product-formula step of H does not fit (10⁶ would recurse to death)."""
    # (p−2)/2 · log 5 past ~60 is ≥ 10⁴² stages: stated as "more than", never formed as an integer
    stages = _stages(min(order, 122))
    rotations = 2 * len(hamiltonian.paulis) * stages
    require_memory(
        f"one step of the order-{order} product formula of H ({len(hamiltonian.paulis)} Pauli terms, "
        f"{'5^' + str((order - 2) // 2) if order > 2 else 1} second-order stages)",
        rotations * BYTES_PER_INSTRUCTION,
        alternative="use trotter_order=2 or 4 (or leave it None: chosen from epsilon), or exact_evolution=True for small n",
    )


def _require_sampled_frames(
    steps: int, frames: FrameEvolutions, windows: tuple[tuple[int, ...], ...], frame_step: float | None
) -> None:
    """Refuse sampled frames of ``steps`` product-formula steps each that do not fit."""
    terms = max(len(restrict(frames.hamiltonian, w).paulis) for w in windows)
    per_step = 2 * terms * _stages(frames.order) * BYTES_PER_INSTRUCTION
    default = 2 * frames.trotter_step
    what = f"frame_step={frame_step:g}" if frame_step is not None else f"the default frame_step {default:g}"
    require_memory(
        f"one sampled frame at {what} ({steps} product-formula steps of order {frames.order}, {terms} Pauli terms)",
        steps * per_step,
        alternative=f"use a larger frame_step (the default, 2h = {default:g}, is accurate)",
        fits=None if frame_step is None else f"frame_step ≥ {frame_step * steps * per_step / memory_limit():.3g}",
    )
