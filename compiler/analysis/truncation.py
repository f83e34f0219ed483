"""Light-cone truncation, measured: how much the jumps change when the frames see only a window of H.

A(t) and A_W(t) agree to order t^r in the nested-commutator series; beyond that a Lieb–Robinson bound
with e^{2λ|t|} is vacuous at the frame times of the grids (|t| ≈ 2–4), so the error is measured
instead, densely on windows of at most a dozen qubits.
"""

from __future__ import annotations

import math

import numpy as np

from ..lowering.compiled import CompiledStep
from ..lowering.light_cone import light_cone_window, restrict

__all__ = ["truncation_error"]


def truncation_error(step: CompiledStep, *, margin: int = 3, max_qubits: int = 11) -> dict:
    """‖L_k,W − L_k,W′‖ for the window W of radius r and a wider W′, per distinct light-cone block.

    Each block's jumps L = Σ_l w_l e^{iHt_l} A e^{−iHt_l} are built densely with H restricted to W
    and to W′ (radius r + ``margin``, at most ``max_qubits`` qubits), with exact frames. This is an
    estimate of ‖L_k − L_k,W‖ (it converges as W′ grows; the tests compare it with the untruncated
    chain).

    Returns:
        {"radius", "reference_radius", "jump": the largest ‖L_k,W − L_k,W′‖ over blocks and
        Gaussian-average nodes (times α√v_m), "rate": Σ over jumps of 2(2‖L‖ + Δ)Δ, the resulting
        bound on the dissipator's generator error per unit time}.
    """
    if step.light_cone is None:
        return {"radius": None, "reference_radius": None, "jump": 0.0, "rate": 0.0}
    r = step.light_cone
    form = step.form
    h = form.hamiltonian
    alpha = math.sqrt(form.rate)
    worst, rate = 0.0, 0.0
    wide_r = r + margin
    for k, multiplicity in step.blocks.items():
        a = form.couplings[k]
        while wide_r > r and len(light_cone_window(h, a, wide_r)) > max_qubits:
            wide_r -= 1
        wide = light_cone_window(h, a, wide_r)
        narrow = light_cone_window(h, a, r)
        if wide == narrow:
            continue  # the window already holds everything within reach: no truncation
        a_wide = restrict(a, wide).to_matrix()
        h_narrow = restrict(h, narrow)  # embedded in the wide window: terms outside W dropped
        embedded = h_narrow.apply_layout([wide.index(q) for q in narrow], len(wide)).to_matrix()
        bases = []
        for matrix in (restrict(h, wide).to_matrix(), embedded):  # one diagonalisation per Hamiltonian
            e, u = np.linalg.eigh(matrix)
            bases.append((e, u, u.conj().T @ a_wide @ u))
        for v, grid in form.jumps:
            g = grid.scaled(alpha * math.sqrt(v))
            full, cut = (u @ g.energy_operator(e, ab) @ u.conj().T for e, u, ab in bases)
            d = float(np.linalg.norm(full - cut, 2))
            worst = max(worst, d)
            rate += multiplicity * 2 * (2 * float(np.linalg.norm(full, 2)) + d) * d
    return {"radius": r, "reference_radius": wide_r, "jump": worst, "rate": rate}
