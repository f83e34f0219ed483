"""Light-cone truncation, bounded: how much the jumps change when the frames see only a window of H.

A jump L = Σ_l w_l A(t_l) is built with frames e^{iH_W t}; the truncation error ‖L − L_W‖ is split at
a wider window W′ ⊇ W (radius r + margin, at most ``max_qubits`` qubits):

    ‖L − L_W‖ ≤ ‖L_{W′} − L_W‖ + Σ_l |w_l| ‖A(t_l) − A_{W′}(t_l)‖,

the first part computed densely on W′ (exact up to floating point), the second a commutator
(Lieb–Robinson) bound, :func:`lieb_robinson_tail`. Beyond the window W′ the tail is small because the
operator has to travel margin more steps; when W′ holds every term of H that A can reach it is 0.

References:
    Nachtergaele & Sims, Commun. Math. Phys. 265, 119 (2006) (the commutator recursion); Hastings,
    "Locality in quantum systems", arXiv:1008.5137, §2 (the same, Eqs. 2.11–2.16).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from qiskit.quantum_info import SparsePauliOp
from scipy.linalg import expm

from ..lowering.compiled import CompiledStep
from ..lowering.light_cone import light_cone_window, restrict, supports

__all__ = ["truncation_error", "lieb_robinson_tail"]


def _commutator_norm(a: SparsePauliOp, term_z: np.ndarray, term_x: np.ndarray, coefficient: float) -> float:
    """≥ ‖[A, c·P]‖: 2|c|·Σ|a_i| over A's Pauli terms that anticommute with P."""
    anti = ((a.paulis.z & term_x).sum(axis=1) + (a.paulis.x & term_z).sum(axis=1)) % 2 == 1
    return 2 * abs(coefficient) * float(np.sum(np.abs(a.coeffs[anti])))


def lieb_robinson_tail(hamiltonian: SparsePauliOp, operator: SparsePauliOp, window: Sequence[int], times: np.ndarray) -> np.ndarray:
    """≥ ‖e^{iHt}Ae^{−iHt} − e^{iH_W t}Ae^{−iH_W t}‖ at each t, H_W the terms of H inside ``window``.

    Duhamel: the difference is ∫₀^t e^{iHu} i[H − H_W, A_W(t − u)] e^{−iHu} du, and only the boundary
    terms b (touching W, not inside it) fail to commute with A_W(v), so it is at most Σ_b ∫₀^|t| x_b(v)dv
    with x_Z(v) = ‖[A, e^{−iH_W v}h_Z e^{iH_W v}]‖. For every term Z (of H_W or the boundary)

        x_Z(v) ≤ x_Z(0) + 2‖h_Z‖ Σ_{Z′ ∈ H_W, [h_Z′, h_Z] ≠ 0} ∫₀^v x_{Z′}(u) du

    (Nachtergaele–Sims: split H_W into the terms that commute with h_Z, which drop out, and the rest,
    whose commutator with A drives the bound and which otherwise rotates it unitarily; for Pauli
    terms "does not commute" is "anticommutes"), a linear Volterra inequality with a non-negative kernel M, so x(v) ≤ e^{vM}x(0)
    entrywise and ∫₀^t x ≤ ∫₀^t e^{vM}dv x(0), one exponential of an augmented matrix per time.
    Each bound is capped at the trivial 2‖A‖ (‖A‖ ≤ its Pauli 1-norm).

    Args:
        hamiltonian: H on all qubits.
        operator: A, supported inside ``window``.
        window: the qubits of W.
        times: the times t.

    References:
        Nachtergaele & Sims, Commun. Math. Phys. 265, 119 (2006); Hastings, arXiv:1008.5137, §2.
    """
    times = np.abs(np.asarray(times, dtype=float))
    terms = supports(hamiltonian)
    inside = np.zeros(hamiltonian.num_qubits, dtype=bool)
    inside[list(window)] = True
    within = ~terms[:, ~inside].any(axis=1) & terms.any(axis=1)
    boundary = terms[:, inside].any(axis=1) & ~within
    trivial = 2 * float(np.sum(np.abs(operator.coeffs)))
    if not boundary.any():
        return np.zeros_like(times)
    index = np.flatnonzero(within | boundary)
    norms = np.abs(hamiltonian.coeffs[index])
    p = hamiltonian.paulis
    z, x = p.z[index].astype(np.int64), p.x[index].astype(np.int64)
    anticommute = (z @ x.T + x @ z.T) % 2 == 1  # Pauli strings: the others commute with h_Z
    # M[Z, Z′] = 2‖h_Z‖ for Z′ a term of H_W that does not commute with h_Z
    m = 2 * norms[:, None] * (anticommute & within[index][None, :])
    x0 = np.array([_commutator_norm(operator, p.z[i], p.x[i], hamiltonian.coeffs[i]) for i in index])
    size = len(index)
    augmented = np.zeros((size + 1, size + 1))
    augmented[:size, :size] = m
    augmented[:size, size] = x0
    out = np.empty_like(times)
    for i, t in enumerate(times):
        integral = expm(t * augmented)[:size, size]  # ∫₀^t e^{vM} x0 dv
        out[i] = min(trivial, float(np.sum(integral[boundary[index]])))
    return out


def truncation_error(step: CompiledStep, *, margin: int | None = None, max_qubits: int = 11) -> dict:
    """A bound on ‖L_k − L_k,W‖ per coupling: dense against W′ plus the tail beyond W′.

    Each block's jumps L = Σ_l w_l e^{iHt_l} A e^{−iHt_l} are built densely with H restricted to W
    and to W′, with exact frames; Δ = ‖L_W − L_{W′}‖ + Σ_l |w_l|·(:func:`lieb_robinson_tail` of W′ at
    t_l) ≥ ‖L − L_W‖. W′ is the widest window of at most ``max_qubits`` qubits (radius at most
    r + ``margin`` when given): the tail is vacuous at the grids' late frame times (|t| ≈ 3) unless W′
    holds every term A reaches, so W′ is taken as wide as the dense budget allows.

    Returns:
        {"radius", "reference_radius", "jump": the largest Δ over couplings and Gaussian-average nodes
        (times α√v_m), "tail": the largest Lieb–Robinson part of it, "rate": Σ over jumps of
        2(2‖L_W‖ + Δ)Δ ≥ Σ‖D[L] − D[L_W]‖_◇ (``bounds.jump_level_distance``), the bound on the
        dissipator's generator error per unit time}.
    """
    if step.light_cone is None:
        return {"radius": None, "reference_radius": None, "jump": 0.0, "tail": 0.0, "rate": 0.0}
    r = step.light_cone
    form = step.form
    h = form.hamiltonian
    alpha = math.sqrt(form.rate)
    worst, worst_tail, rate = 0.0, 0.0, 0.0
    reference = r
    # couplings alike on W′ and one step beyond it (the tail's boundary) have the same bound; the
    # light-cone blocks (alike on W) do not suffice: their distances to the chain's ends differ
    seen: dict[tuple, tuple[list[float], list[float]]] = {}
    for k, a in enumerate(form.couplings):
        wide_r, wide = r, light_cone_window(h, a, r)
        while margin is None or wide_r < r + margin:  # grow while the window grows and fits
            grown = light_cone_window(h, a, wide_r + 1)
            if grown == wide or len(grown) > max_qubits:
                break
            wide_r, wide = wide_r + 1, grown
        reference = max(reference, wide_r)
        beyond = light_cone_window(h, a, wide_r + 1)
        shape = (
            len(wide), wide_r,
            str(restrict(h, beyond).simplify().to_list()), str(restrict(a, beyond).simplify().to_list()),
            tuple(beyond.index(q) for q in wide),
        )
        if shape in seen:
            for d, norm in zip(*seen[shape]):
                rate += 2 * (2 * norm + d) * d
            continue
        seen[shape] = ([], [])
        narrow = light_cone_window(h, a, r)
        a_wide = restrict(a, wide).to_matrix()
        h_narrow = restrict(h, narrow)  # embedded in the wide window: terms outside W dropped
        embedded = h_narrow.apply_layout([wide.index(q) for q in narrow], len(wide)).to_matrix()
        bases = []
        for matrix in (restrict(h, wide).to_matrix(), embedded):  # one diagonalisation per Hamiltonian
            e, u = np.linalg.eigh(matrix)
            bases.append((e, u, u.conj().T @ a_wide @ u))
        # the same grid times serve every node (the nodes rescale the weights): one tail per time
        tails: dict[bytes, np.ndarray] = {}
        for v, grid in form.jumps:
            g = grid.scaled(alpha * math.sqrt(v))
            key = np.round(grid.times, 12).tobytes()
            if key not in tails:
                tails[key] = lieb_robinson_tail(h, a, wide, grid.times)
            tail = float(np.sum(np.abs(g.weights) * tails[key]))
            full, cut = (u @ g.energy_operator(e, ab) @ u.conj().T for e, u, ab in bases)
            d = float(np.linalg.norm(full - cut, 2)) + tail
            worst, worst_tail = max(worst, d), max(worst_tail, tail)
            seen[shape][0].append(d)
            seen[shape][1].append(float(np.linalg.norm(cut, 2)))
            rate += 2 * (2 * seen[shape][1][-1] + d) * d
    return {"radius": r, "reference_radius": reference, "jump": worst, "tail": worst_tail, "rate": rate}
