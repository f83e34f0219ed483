"""The frames' product formula chosen from the requested accuracy, not from the grids' resolution.

Telescoping needs every grid time to be a multiple of the Trotter step, so h = u/m for the grid unit
u. The Trotterised frames of a generator built on H then act as those of one effective Hamiltonian
H̃_h (``lowering.frames.frame_hamiltonian``), and a KMS construction relaxes to e^{−βH̃_h}/Z̃ instead
of e^{−βH}/Z: their trace distance is at most β‖H̃_h − H‖ (Duhamel: d/dx ρ(H + xδ) =
−β(∫₀¹ρ^u δ ρ^{1−u}du − ⟨δ⟩ρ), each part of trace norm ≤ ‖δ‖ by Hölder). That is the floor the
frames put under every fixed point, whatever ε and dt; ``compile_sampler`` keeps it ≤ ε, the accuracy
every other ingredient is held to (each transfer function to ε on the Bohr band).

References:
    Childs, Su, Tran, Wiebe & Zhu, PRX 11, 011020 (2021), Prop. 10 (second-order commutator bound); Suzuki,
    Phys. Lett. A 146, 319 (1990) (the recursion's stages); docs/error_budget.md (telescoping).
"""

from __future__ import annotations

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.circuits import commuting_layers

from ..lowering.frames import FrameChoice, frame_hamiltonian
from ..physics.energy_basis import EnergyBasis
from .bounds import product_formula_majorant

__all__ = ["FrameChoice", "choose_frames", "frame_floor", "strang_commutator_norm", "DENSE_FRAME_QUBITS", "FRAME_SHARE"]

#: Windows up to this many qubits have their floor computed from H̃_h itself; larger ones use its
#: bound β‖H̃_h − H‖ with the norm majorant of the product formula.
DENSE_FRAME_QUBITS = 8
#: The orders the automatic choice compares, and the most product-formula steps per grid unit it takes.
FRAME_ORDERS = (2, 4)
MAX_STEPS_PER_UNIT = 64
#: The frames' floor is held to FRAME_SHARE·ε: ε is a per-ingredient accuracy (each transfer function
#: to ε), and the frames are one ingredient.
FRAME_SHARE = 1.0


def _gibbs(matrix: np.ndarray, beta: float) -> np.ndarray:
    basis = EnergyBasis(*np.linalg.eigh(0.5 * (matrix + matrix.conj().T)))
    return (basis.vectors * basis.gibbs_weights(beta)) @ basis.vectors.conj().T


def strang_commutator_norm(hamiltonian: SparsePauliOp, *, layered: bool = False) -> float:
    """α₂ = (1/12)Σ_i‖[[H_i, H_{>i}], H_{>i}]‖ + (1/24)Σ_i‖[[H_i, H_{>i}], H_i]‖ over the Pauli terms in order
    (``layered``: over H's commuting layers, the terms the layered formula splits).

    ‖S₂(h) − e^{−iHh}‖ ≤ α₂h³ for the second-order formula over these terms (Childs et al.,
    Prop. 10), so its frames err by at most α₂h² per unit time. Each norm is bounded by the 1-norm of
    the commutator's Pauli coefficients; only terms that overlap contribute, so α₂ is linear in n.
    """
    if layered:
        terms = commuting_layers(hamiltonian)
    else:
        terms = [SparsePauliOp(p, c) for p, c in zip(hamiltonian.paulis, hamiltonian.coeffs)]
    total = 0.0
    for i, term in enumerate(terms[:-1]):
        rest = SparsePauliOp.sum(terms[i + 1 :])
        inner = (term @ rest - rest @ term).simplify(atol=1e-14)
        if not np.any(inner.coeffs):
            continue
        outer_rest = (inner @ rest - rest @ inner).simplify(atol=1e-14)
        outer_self = (inner @ term - term @ inner).simplify(atol=1e-14)
        total += np.abs(outer_rest.coeffs).sum() / 12 + np.abs(outer_self.coeffs).sum() / 24
    return float(total)


def frame_floor(
    hamiltonian: SparsePauliOp, trotter_step: float, *, order: int, beta: float, layered: bool = False
) -> float:
    """The frames' floor: ½‖e^{−βH̃_h}/Z̃ − e^{−βH}/Z‖₁ for the product formula of order p and step h.

    Exact from H̃_h up to ``DENSE_FRAME_QUBITS`` qubits. Beyond, its bound β‖H̃_h − H‖ with the error
    rate bounded by commutators for p = 2 (``strang_commutator_norm``·h², linear in n) and by the
    product formula's norm majorant otherwise (rigorous, much looser). A phase branch that wraps
    (‖H‖h > π) shows as a large floor and is refused. ``layered``: the formula over H's commuting layers.
    """
    if hamiltonian.num_qubits > DENSE_FRAME_QUBITS:
        if order == 2:
            return beta * strang_commutator_norm(hamiltonian, layered=layered) * trotter_step**2
        return beta * product_formula_majorant(hamiltonian, trotter_step, order=order, steps=1) / trotter_step
    effective = frame_hamiltonian(hamiltonian, trotter_step, order=order, layered=layered)
    gap = _gibbs(effective, beta) - _gibbs(hamiltonian.to_matrix(), beta)
    return 0.5 * float(np.abs(np.linalg.eigvalsh(0.5 * (gap + gap.conj().T))).sum())


def choose_frames(
    hamiltonians: tuple[SparsePauliOp, ...],
    *,
    unit: float,
    beta: float,
    epsilon: float,
    order: int | None = None,
    layered: bool = False,
) -> FrameChoice:
    """The cheapest product formula (fewest stages per unit) whose frames keep ``frame_floor`` ≤ FRAME_SHARE·ε on every window.

    Args:
        hamiltonians: the distinct window Hamiltonians the frames evolve with.
        unit: u, the grid unit every frame length is a multiple of.
        beta: the inverse temperature of the target Gibbs state.
        epsilon: the requested accuracy.
        order: fix p instead of comparing ``FRAME_ORDERS``.
        layered: the formula over each window's commuting layers (``FrameEvolutions.layered``).

    Raises:
        ValueError: when no m ≤ ``MAX_STEPS_PER_UNIT`` meets the tolerance.
    """
    tolerance = FRAME_SHARE * epsilon
    # beyond the dense limit only the second order has a commutator bound; the majorant of higher
    # orders is too loose to choose by
    dense = all(w.num_qubits <= DENSE_FRAME_QUBITS for w in hamiltonians)
    orders = (FRAME_ORDERS if dense else (2,)) if order is None else (order,)
    best: FrameChoice | None = None
    for p in orders:
        per_stage = 5 ** ((p - 2) // 2) if p >= 2 else 1
        for m in range(1, MAX_STEPS_PER_UNIT + 1):
            if best is not None and m * per_stage >= best.stages:
                break
            floor = max(frame_floor(w, unit / m, order=p, beta=beta, layered=layered) for w in hamiltonians)
            if floor <= tolerance:
                best = FrameChoice(p, m, unit / m, floor, tolerance, m * per_stage)
                break
    if best is None:
        raise ValueError(
            f"no product formula of order {' or '.join(map(str, orders))} with at most {MAX_STEPS_PER_UNIT} "
            f"steps per grid unit {unit:g} keeps the frames' floor below {tolerance:.3g}; raise epsilon, "
            "use a light cone (its windows are measured exactly), set trotter_step by hand, or use exact_evolution=True"
        )
    return best
