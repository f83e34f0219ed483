"""The exact averaged channel of a randomized step, and its error budget (small systems).

The instances are random; what they estimate is the averaged channel Φ̄ = E[Φ_instance]. Within a step
the shift s and the coherent time t are independent, so

    Φ̄_c = E_t[Ad_{F(y)}^† ∘ C_{c, sign φ(t)} ∘ Ad_{F(y)}] ∘ E_s[Ad_{F(x)}^† ∘ D ∘ Ad_{F(x)}],
    x = t_0 + s, y = t_0′ + t,

with D the dissipator sweeps and resets, C_{c,±} the coherent term c's group commutator and reset
(θ = ±dt·coefficient) and F the frames as compiled (product formulas of a fixed number of steps, or
exact). The expectations are a verification cost, not a circuit cost: composite Gauss–Legendre
over the (truncated) densities, each evaluated at two resolutions whose difference is reported.

The budget compares C consecutive averaged steps (one cycle of the coherent terms) with e^{C dt L}
through the Choi diamond bound, in a chain of averaged channels that each change one thing: the
compiled cores with Trotterised frames, the compiled cores with exact frames (Trotter), the exact
factor channels e^{dt D[B]} and Ad e^{∓iθJ†J} the cores dilate (``ideal_dissipation``,
``ideal_coherent``; dilation), and
e^{C dt L_grid} (randomization and splitting, with the truncated tails), then L (the jump grid).

References:
    docs/master_equations.md; docs/error_budget.md; Watrous, Theory of Quantum Information, §3.3.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit.quantum_info import SparsePauliOp
from scipy.linalg import expm

from kmsgibbs.circuits.dense import then_ancilla_reset

from ..lowering.frames import FrameEvolutions
from ..lowering.randomized import RandomizedPlan, dissipator_frames, unshifted_grid
from ..lowering.randomized_dense import core_unitaries, frame_unitaries, fused_instance
from ..memory import require_memory
from .bounds import diamond_norm_upper_bound
from .channels import MAX_CHANNEL_QUBITS, jump_generator

__all__ = [
    "averaged_channels", "instance_channel", "conjugated", "cycle_bound", "grid_generator", "ideal_dissipation",
    "ideal_coherent", "product_distance",
]


def conjugated(
    superop: np.ndarray, frames: np.ndarray, weights: np.ndarray, *, batch: int = 64, after: np.ndarray | None = None
) -> np.ndarray:
    """Σ_q w_q · Ad_{G_q}^† ∘ S ∘ Ad_{F_q} for a column-stacked superoperator S and unitaries F_q
    (``frames``) and G_q (``after``, default F_q: the conjugation by F_q).

    Ad_F(X) = F X F^†, so vec: Ad_F = F̄ ⊗ F and Ad_F^† = Fᵀ ⊗ F^†. On the (d, d, d, d) tensor of S
    every product is a batched d × d matmul (4d⁵ operations per node instead of 2d⁶), ``batch``
    nodes at a time.
    """
    d = frames.shape[1]
    s = superop.reshape(d, d, d * d)  # [j_out, i_out, (j_in, i_in)] of vec index i + d·j
    out = np.zeros((d, d, d, d), dtype=complex)
    after = frames if after is None else after
    for start in range(0, len(frames), batch):
        f = frames[start : start + batch]
        g = after[start : start + batch]
        w = np.asarray(weights[start : start + batch])
        fh = np.conj(np.swapaxes(f, 1, 2))
        gh = np.conj(np.swapaxes(g, 1, 2))
        # rows: Gᵀ on j_out, G^† on i_out
        t = np.matmul(np.swapaxes(g, 1, 2), s.reshape(d, -1)).reshape(-1, d, d, d * d)  # [q, J, b, X]
        t = np.matmul(gh[:, None], t).reshape(-1, d, d, d, d)  # [q, J, I, c, e]
        # columns: out[J, I, j, i] = Σ_ce F̄[c, j] t[J, I, c, e] F[e, i] = (F^† t F)[j, i]
        t = np.matmul(np.matmul(fh[:, None, None], t), f[:, None, None])
        out += np.tensordot(w, t, axes=1)
    return out.reshape(d * d, d * d)


def _check(plan: RandomizedPlan) -> int:
    n = plan.num_system
    if n > MAX_CHANNEL_QUBITS - 1:
        raise ValueError(
            f"the exact averaged channel is computed for at most {MAX_CHANNEL_QUBITS - 1} system qubits, got {n}; "
            "run the instances on Aer instead"
        )
    if any(len(f.window) != n for f in (*plan.dissipators, *plan.coherent_factors)):
        raise ValueError("the exact averaged channel needs whole-system windows (compile without a light cone)")
    d = 2**n
    require_memory(f"the averaged channel of {n} qubits", 6 * 16 * d**4, alternative="run the instances on Aer instead")
    return d


def _channel(unitaries: Sequence[np.ndarray], d: int) -> np.ndarray:
    total = np.eye(d * d, dtype=complex)
    for u in unitaries:
        total = then_ancilla_reset(total, u, d)
    return total


def _core_channels(cores: dict, d: int) -> dict:
    """The cores' unitaries (``core_unitaries``) as channels with their ancilla resets: the dissipation
    of a step, and per coherent group the channel for θ > 0 and for θ < 0."""
    groups = [(_channel([p for p, _ in pairs], d), _channel([m for _, m in pairs], d)) for pairs in cores["coherent"]]
    out = {"dissipation": _channel(cores["dissipators"], d), "coherent": groups}
    if "dissipators_odd" in cores:  # one-way sweeps: the odd steps' passes, every direction turned round
        out["dissipation_odd"] = _channel(cores["dissipators_odd"], d)
    return out


def _energy_frame(hamiltonian: SparsePauliOp, couplings: tuple[SparsePauliOp, ...]) -> tuple[np.ndarray, np.ndarray, dict]:
    """H = V diag(E) V^† and the couplings V^†A_kV in its eigenbasis (where the grids act as transfer functions)."""
    e, v = np.linalg.eigh(hamiltonian.to_matrix())
    return e, v, {k: v.conj().T @ a.to_matrix() @ v for k, a in enumerate(couplings)}


def _unshifted_jumps(factors, couplings: tuple[SparsePauliOp, ...], hamiltonian: SparsePauliOp) -> list[np.ndarray]:
    """The factors' operators on their unshifted grids under exact frames (the sampled frames supply t_0 + x)."""
    e, v, bars = _energy_frame(hamiltonian, couplings)
    return [v @ unshifted_grid(f).energy_operator(e, bars[f.operator]) @ v.conj().T for f in factors]


def ideal_dissipation(plan: RandomizedPlan, couplings: tuple[SparsePauliOp, ...], hamiltonian: SparsePauliOp) -> np.ndarray:
    """What the dissipator sweeps dilate, exactly: Π_sweeps e^{dt Σ_{k∈sweep} D[B_k]} in their order
    (column-stacked): Π_k e^{dt D[B_k]} with one dissipator per sweep; a shared sweep dilates the sum."""
    d = _check(plan)
    jumps = iter(_unshifted_jumps(plan.dissipators, couplings, hamiltonian))  # groups and sweeps keep the order
    out = np.eye(d * d, dtype=complex)
    for _, group in plan.groups():
        for sweep in plan.sweeps(group):
            out = expm(plan.dt * jump_generator([(f, next(jumps)) for f in sweep])) @ out  # Σ D[B], column-stacked
    return out


def ideal_coherent(
    plan: RandomizedPlan, couplings: tuple[SparsePauliOp, ...], hamiltonian: SparsePauliOp
) -> list[tuple[np.ndarray, np.ndarray]]:
    """What each coherent group's commutators dilate, exactly: Π_j Ad e^{∓iθ_j J_j^†J_j}, θ_j = dt·coefficient,
    as the pair (θ > 0, θ < 0) per group."""
    d = _check(plan)
    jumps = iter(_unshifted_jumps(plan.coherent_factors, couplings, hamiltonian))
    groups = []
    for group in plan.coherent:
        plus = minus = np.eye(d * d, dtype=complex)
        for term in group:
            j = next(jumps)
            u = expm(-1j * plan.dt * term.coefficient * (j.conj().T @ j))
            w = u.conj().T  # θ < 0
            plus, minus = np.kron(u.conj(), u) @ plus, np.kron(w.conj(), w) @ minus
        groups.append((plus, minus))
    return groups


def averaged_channels(
    plan: RandomizedPlan,
    couplings: tuple[SparsePauliOp, ...],
    frames: FrameEvolutions,
    hamiltonian: SparsePauliOp,
    *,
    resolution: int = 1,
    cores: dict | None = None,
    channels: dict | None = None,
    compare: bool = True,
) -> tuple[list[np.ndarray], float]:
    """The averaged channel of each step of a cycle (step c applies coherent term c), column-stacked,
    and the largest change between the quadratures at ``resolution`` and twice it (diamond bound).

    ``cores``: the cores' unitaries (computed when omitted); ``channels``: core channels to average
    instead, {"dissipation": …, "coherent": [(θ > 0, θ < 0), …]} (``ideal_dissipation``,
    ``ideal_coherent``); ``compare=False`` skips the coarser quadrature (the change is then 0).
    """
    d = _check(plan)
    if channels is None:
        channels = _core_channels(core_unitaries(plan, couplings, frames) if cores is None else cores, d)
    ((_, first),) = plan.groups()  # whole-system windows (``_check``): one group
    # one-way passes (compiled cores): their directions turn round from even to odd steps, between the
    # frames of the nodes the first starts and the last ends at; the ideal channels sit in the t_0 frame
    one_way = "dissipation_odd" in channels
    parities = (0, 1) if one_way else (0,)

    def shift_average(panels: int, parity: int) -> np.ndarray:
        dissipation = channels["dissipation_odd" if parity else "dissipation"]
        t_open, t_close = dissipator_frames(plan, first, parity) if one_way else (float(first[0].grid.times[0]),) * 2
        s, w = plan.shift.quadrature(panels=panels) if plan.shift is not None else (np.zeros(1), np.ones(1))
        f = frame_unitaries(hamiltonian, frames, plan.frame_steps[0], t_open + s)
        g = f if t_close == t_open else frame_unitaries(hamiltonian, frames, plan.frame_steps[0], t_close + s)
        return conjugated(dissipation, f, w, after=g)

    coherent_frames: dict = {}

    def coherent_average(c: int, panels: int) -> np.ndarray:
        c = c % len(plan.coherent)  # a cycle of one-way sweeps may be twice the coherent groups
        y0 = float(plan.coherent[c][0].grid.times[0])
        t, w = plan.kernel.quadrature(panels=panels)
        if (y0, panels) not in coherent_frames:  # the terms share their grid's start: one set of frames
            coherent_frames[y0, panels] = frame_unitaries(hamiltonian, frames, plan.frame_steps[1], y0 + t)
        f = coherent_frames[y0, panels]
        plus, minus = channels["coherent"][c]
        return conjugated(plus, f[w > 0], w[w > 0]) + conjugated(minus, f[w < 0], -w[w < 0])

    out, change = [], 0.0
    fine_d = [shift_average(24 * resolution, p) for p in parities]
    if compare:
        change = max(diamond_norm_upper_bound(fine_d[p] - shift_average(12 * resolution, p)) for p in parities)
    for c in range(plan.cycle):
        dissipation = fine_d[c % len(parities)]
        if not plan.coherent:
            out.append(dissipation)
            continue
        fine_c = coherent_average(c, 32 * resolution)
        if compare:
            change = max(change, diamond_norm_upper_bound(fine_c - coherent_average(c, 16 * resolution)))
        out.append(fine_c @ dissipation)
    return out, change


def instance_channel(
    plan: RandomizedPlan,
    couplings: tuple[SparsePauliOp, ...],
    frames: FrameEvolutions,
    hamiltonian: SparsePauliOp,
    values: dict[str, np.ndarray],
    *,
    cores: dict | None = None,
) -> np.ndarray:
    """The exact system channel of one bound instance (all its steps), from its fused circuit
    (``cores``: :func:`~kmsgibbs.compiler.lowering.randomized_dense.core_unitaries`, computed when omitted)."""
    d = _check(plan)
    cores = core_unitaries(plan, couplings, frames) if cores is None else cores
    circuit = fused_instance(plan, cores, hamiltonian, frames, values)
    total = np.eye(d * d, dtype=complex)
    for instruction in circuit.data:
        operation = instruction.operation
        if operation.name == "kraus":
            step = sum(np.kron(k.conj(), k) for k in operation.params)
        else:
            u = operation.to_matrix()
            step = np.kron(u.conj(), u)
        total = step @ total
    return total


def grid_generator(plan: RandomizedPlan, couplings: tuple[SparsePauliOp, ...], hamiltonian: SparsePauliOp) -> np.ndarray:
    """The Lindbladian the randomized step averages to on the compiled jump grids, with exact frames
    and exact averages (column-stacked, computational basis):

        L_grid = Σ_k E_{s∼N(0,σ²)} D[B_k(s)] − i[H_⊥, ·],  H_⊥ = Σ_j Σ_μ φ̂(μ) K_j(μ),  K_j = J_j^†J_j,

    B_k, J_j the plan's grids (time-domain LCUs). In H's eigenbasis the Gaussian average is exact:
    E_s e^{isx} = e^{−σ²x²/2} on each matrix element's Bohr phase. The difference to L is the jump-grid
    error; what separates Φ̄ of the ideal cores under exact frames from e^{dt L_grid} is randomization,
    splitting and the truncated tails.
    """
    d = _check(plan)
    e, v, bars = _energy_frame(hamiltonian, couplings)
    gap = e[:, None] - e[None, :]
    sigma = 0.0 if plan.shift is None else plan.shift.deviation
    # transition part T[a, b, c, f] = B_ac B*_bf g(E_a − E_c − E_b + E_f), acting on ρ_cf
    phase = gap[:, None, :, None] - gap[None, :, None, :]
    average = np.exp(-0.5 * sigma**2 * phase**2)
    transition = np.zeros((d, d, d, d), dtype=complex)
    decay = np.zeros((d, d), dtype=complex)
    for f in plan.dissipators:
        b = f.grid.energy_operator(e, bars[f.operator])
        transition += np.einsum("ac,bf->abcf", b, b.conj()) * average
        decay += (b.conj().T @ b) * np.exp(-0.5 * sigma**2 * gap**2)
    coherent = np.zeros((d, d), dtype=complex)
    for f in plan.coherent_factors:
        j = f.grid.energy_operator(e, bars[f.operator])
        coherent += (j.conj().T @ j) * plan.kernel.transform(gap)
    eye = np.eye(d)
    # column-stacked superoperators: vec(XρY) = (Yᵀ ⊗ X) vec ρ, index i + d·j of ρ_ij
    generator = transition.transpose(1, 0, 3, 2).reshape(d * d, d * d)
    generator = generator - 0.5 * (np.kron(eye, decay) + np.kron(decay.T, eye))
    generator = generator - 1j * (np.kron(eye, coherent) - np.kron(coherent.T, eye))
    basis = np.kron(v.conj(), v)  # Ad_V: energy basis → computational basis
    return basis @ generator @ basis.conj().T


def cycle_bound(
    channels: Sequence[np.ndarray], generator: np.ndarray, dt: float, steps: int
) -> float:
    """½‖Φ̄_{steps−1} ⋯ Φ̄_0 − e^{steps·dt·L}‖_◇ (Choi bound) for the first ``steps`` steps of a cycle."""
    total = np.eye(generator.shape[0], dtype=complex)
    for c in range(steps):
        total = channels[c % len(channels)] @ total
    return 0.5 * diamond_norm_upper_bound(total - expm(steps * dt * generator))


def product_distance(first: Sequence[np.ndarray], second: Sequence[np.ndarray], steps: int) -> float:
    """½‖Π_{c<steps} A_c − Π_{c<steps} B_c‖_◇ (Choi bound) for two cycles of step channels."""
    a = b = np.eye(first[0].shape[0], dtype=complex)
    for c in range(steps):
        a, b = first[c % len(first)] @ a, second[c % len(second)] @ b
    return 0.5 * diamond_norm_upper_bound(a - b)
