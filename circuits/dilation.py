"""Single-ancilla dilations of time-domain LCU operators L = Σ_l w_l e^{iHt_l} A e^{−iHt_l}.

With K = σ⁺ ⊗ L + σ⁻ ⊗ L^† (σ⁺ = |1⟩⟨0| on the ancilla) one has ⟨1|e^{−i√τK}|0⟩ = −i√τ L + O(τ^{3/2}) and
⟨0|e^{−i√τK}|0⟩ = I − (τ/2) L^†L + O(τ²), so "evolve, then reset the ancilla" is the channel e^{τ D[L]} up
to O(τ²). e^{−iaK} is realised by the palindromic (forward then backward, half-angle) sweep over the
time grid, whose splitting error is O(a³) — never the one-directional sweep, whose O(a²) error adds a
spurious Hamiltonian (docs/schemes.md). Qubits: system 0..n−1, ancilla n; a shared sweep of K
operators (``shared_dilation_sweep``) has one ancilla per operator, n..n+K−1, and one set of frames.

References:
    Ding, Chen & Lin, Phys. Rev. Research 6, 033147 (2024), arXiv:2308.15676; docs/schemes.md
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression
from qiskit.quantum_info import SparsePauliOp

from .inputs import check_grid, pauli_label
from .product_formula import append_pauli_rotation

__all__ = [
    "dilation_sweep", "dilation_step", "dilation_pass", "shared_dilation_sweep", "shared_dilation_step", "commutator_step",
    "signed_commutator_step", "one_way_commutator_step",
]

Evolve = Callable[[float], QuantumCircuit]


def dilation_sweep(
    coupling: SparsePauliOp,
    times: Sequence[float],
    weights: Sequence[complex],
    *,
    angle: float,
    evolve: Evolve,
    frames: bool = True,
) -> QuantumCircuit:
    """exp(−i·angle·K), K = σ⁺⊗L + σ⁻⊗L^†, L = Σ_l w_l e^{iHt_l} A e^{−iHt_l}, by a palindromic sweep.

    Time order: e^{−iHt_0}, G_0, e^{−iH(t_1−t_0)}, G_1, …, G_M, G_M, e^{+iH(t_M−t_{M−1})}, …, G_0, e^{+iHt_0},
    with G_l = exp(−i θ_l (cos φ_l X + sin φ_l Y)_anc ⊗ A), θ_l = angle·|w_l|/2, φ_l = arg w_l, realised as
    rz(−φ_l), exp(−iθ_l X⊗A), rz(φ_l). Reversing the two rz would conjugate w (heating instead of
    cooling). ``evolve(s)`` must return e^{−iHs} on the n system qubits. With ``frames=False`` the
    outer e^{−iHt_0} … e^{+iHt_0} are left to the caller (who can merge them with neighbouring frames).
    The one-ancilla case of :func:`shared_dilation_sweep`.
    """
    return shared_dilation_sweep([coupling], times, [weights], angle=angle, evolve=evolve, frames=frames)


def shared_dilation_sweep(
    couplings: Sequence[SparsePauliOp],
    times: Sequence[float],
    weights: Sequence[Sequence[complex]],
    *,
    angle: float,
    evolve: Evolve,
    frames: bool = True,
) -> QuantumCircuit:
    """exp(−i·angle·Σ_k K_k), K_k = σ⁺_k⊗L_k + σ⁻_k⊗L_k^†, by one palindromic sweep shared by all k.

    L_k = Σ_l w_{k,l} e^{iHt_l} A_k e^{−iHt_l} on one time grid; ancilla k is qubit n + k. At every node
    the sweep applies G_{l,0}, …, G_{l,K−1} (G_{l,k} as in :func:`dilation_sweep`, on ancilla k and A_k)
    and on the way back G_{l,K−1}, …, G_{l,0}, so the whole sweep is a palindrome of the rotations and
    its splitting error stays O(angle³); the frame segments between nodes are applied once for all k.
    Qubits: system 0..n−1, ancillas n..n+K−1. Started with every ancilla in |0⟩ and followed by their
    resets, with angle √τ, it is the channel e^{τ Σ_k D[L_k]} + O(τ²): the ancillas are independent,
    so different k leave no cross term at O(τ).
    """
    circuit = _pass(couplings, times, weights, angle=0.5 * angle, evolve=evolve, forward=True, start=frames)
    back = _pass(couplings, times, weights, angle=0.5 * angle, evolve=evolve, forward=False, start=frames)
    circuit.compose(back, inplace=True, copy=False)
    return circuit


def dilation_pass(
    couplings: Sequence[SparsePauliOp],
    times: Sequence[float],
    weights: Sequence[Sequence[complex]],
    *,
    angle: float,
    evolve: Evolve,
    forward: bool,
) -> QuantumCircuit:
    """One way through the grid, no outer frames: Π_l Π_k G_{l,k} with G_{l,k} = exp(−i θ_{l,k}
    (cos φ X + sin φ Y)_{anc k} ⊗ A_k), θ_{l,k} = angle·|w_{k,l}|, and the frame segments between nodes.

    ``forward``: from t_0 to t_M (nodes in time order, e^{−iH(t_{l+1}−t_l)} between them, k = 0 … K−1 at
    each); else from t_M back to t_0 (the exact reverse order, e^{+iH(t_{l+1}−t_l)} between them). A
    forward then a backward pass at half the angle is :func:`shared_dilation_sweep`. One pass alone is
    e^{−i·angle·Σ_k K_k ∓ (angle²/2)·C} + O(angle³) in the frame of its first node, with C = Σ_{l>l′}[K_l, K_l′]
    (K_l: node l's part of Σ_k K_k): the sign of the second-order term is − forward and + backward.
    """
    return _pass(couplings, times, weights, angle=angle, evolve=evolve, forward=forward, start=False)


def _pass(couplings, times, weights, *, angle: float, evolve: Evolve, forward: bool, start: bool) -> QuantumCircuit:
    """``dilation_pass``; ``start`` adds the outer frame: e^{−iHt_0} before a forward pass, e^{+iHt_0}
    after a backward one."""
    if len(couplings) == 0 or len(couplings) != len(weights):
        raise ValueError(f"need one weight sequence per coupling, got {len(couplings)} couplings and {len(weights)} weight sequences")
    grids = [check_grid(times, w) for w in weights]
    t = grids[0][0]
    labels = [pauli_label(a) for a in couplings]
    n = couplings[0].num_qubits
    if any(a.num_qubits != n for a in couplings):
        raise ValueError("the couplings must act on the same number of qubits")
    count = len(couplings)
    circuit = QuantumCircuit(n + count)
    system = list(range(n))

    def rotation(l: int, k: int) -> None:
        label, scale = labels[k]
        w = grids[k][1][l]
        theta = angle * abs(w) * scale
        if theta == 0:
            return
        anc = n + k
        phi = float(np.angle(w))
        circuit.rz(-phi, anc)
        append_pauli_rotation(circuit, "X" + label, [*system, anc], theta)
        circuit.rz(phi, anc)

    def frame(s: float) -> None:
        if s != 0:
            circuit.compose(evolve(s), system, inplace=True, copy=False)

    if forward:
        if start:
            frame(t[0])
        for l in range(t.size):
            if l:
                frame(t[l] - t[l - 1])
            for k in range(count):
                rotation(l, k)
    else:
        for l in reversed(range(t.size)):
            for k in reversed(range(count)):
                rotation(l, k)
            if l:
                frame(t[l - 1] - t[l])
        if start:
            frame(-t[0])
    return circuit


def dilation_step(
    coupling: SparsePauliOp,
    times: Sequence[float],
    weights: Sequence[complex],
    *,
    tau: float,
    evolve: Evolve,
    reset: bool = True,
    frames: bool = True,
) -> QuantumCircuit:
    """One weak-measurement step ≈ e^{τ D[L]}: sweep with angle √τ, then reset the ancilla (qubit n).

    ``reset=False`` returns the unitary part only (the caller must reset the ancilla); ``frames=False``
    leaves the outer frames to the caller (see ``dilation_sweep``). The one-ancilla case of
    :func:`shared_dilation_step`.
    """
    return shared_dilation_step([coupling], times, [weights], tau=tau, evolve=evolve, reset=reset, frames=frames)


def shared_dilation_step(
    couplings: Sequence[SparsePauliOp],
    times: Sequence[float],
    weights: Sequence[Sequence[complex]],
    *,
    tau: float,
    evolve: Evolve,
    reset: bool = True,
    frames: bool = True,
) -> QuantumCircuit:
    """≈ Π_k e^{τ D[L_k]} (to O(τ²)): :func:`shared_dilation_sweep` with angle √τ, then reset every
    ancilla (qubits n..n+K−1)."""
    if not (math.isfinite(tau) and tau > 0):
        raise ValueError(f"tau must be finite and > 0, got {tau!r}")
    circuit = shared_dilation_sweep(couplings, times, weights, angle=math.sqrt(tau), evolve=evolve, frames=frames)
    if reset:
        n = couplings[0].num_qubits
        for k in range(len(couplings)):
            circuit.reset(n + k)
    return circuit


def commutator_step(
    coupling: SparsePauliOp,
    times: Sequence[float],
    weights: Sequence[complex],
    *,
    theta: float,
    evolve: Evolve,
    reset: bool = True,
    frames: bool = True,
) -> QuantumCircuit:
    """≈ e^{−iθ L^†L} on the system, from four dilation sweeps and a reset (O(θ²) channel error).

    With K = σ⁺⊗L + σ⁻⊗L^† and K′ = i(σ⁺⊗L − σ⁻⊗L^†) (the sweep of the weights i·w), the ancilla-|0⟩
    block of e^{−iaK} e^{−iaK′} e^{iaK} e^{iaK′} (rightmost first), a = √(θ/2), is e^{−iθL^†L} + O(θ^{3/2});
    for θ < 0 the roles of K and K′ swap. The four sweeps share one grid, so their inner frames cancel
    and only the outer e^{−iHt_0} … e^{+iHt_0} remain (left to the caller when ``frames=False``).
    """
    if not math.isfinite(theta):
        raise ValueError(f"theta must be finite, got {theta!r}")
    n = coupling.num_qubits
    circuit = QuantumCircuit(n + 1)
    if theta == 0:
        return circuit
    a = math.sqrt(abs(theta) / 2)
    w = np.asarray(weights, dtype=complex)
    first, second = (w, 1j * w) if theta > 0 else (1j * w, w)
    t0 = float(np.asarray(times, dtype=float)[0])
    system = list(range(n))
    if frames and t0:
        circuit.compose(evolve(t0), system, inplace=True, copy=False)
    # time order: e^{iaK′}, e^{iaK}, e^{−iaK′}, e^{−iaK}
    for ws, sign in ((second, -1), (first, -1), (second, 1), (first, 1)):
        sweep = dilation_sweep(coupling, times, ws, angle=sign * a, evolve=evolve, frames=False)
        circuit.compose(sweep, inplace=True, copy=False)
    if frames and t0:
        circuit.compose(evolve(-t0), system, inplace=True, copy=False)
    if reset:
        circuit.reset(n)
    return circuit


def signed_commutator_step(
    coupling: SparsePauliOp,
    times: Sequence[float],
    weights: Sequence[complex],
    *,
    magnitude: float,
    sign_phase: float | ParameterExpression,
    evolve: Evolve,
) -> QuantumCircuit:
    """``commutator_step`` (without frames or reset) whose sign is a phase: e^{−iθL^†L}, θ = ±magnitude.

    The sign of θ only decides which of the two sweeps carries the weights i·w (see
    ``commutator_step``), and a sweep of the weights e^{iχ}w is the sweep of w conjugated by
    rz(χ) on the ancilla (the frames commute with it). So one structure serves both signs:
    ``sign_phase`` χ = 0 gives θ = +magnitude, χ = π/2 gives θ = −magnitude; a ``Parameter`` leaves
    the choice to binding.
    """
    if not (math.isfinite(magnitude) and magnitude > 0):
        raise ValueError(f"magnitude must be finite and > 0, got {magnitude!r}")
    n = coupling.num_qubits
    a = math.sqrt(magnitude / 2)
    circuit = QuantumCircuit(n + 1)
    backward = dilation_sweep(coupling, times, weights, angle=-a, evolve=evolve, frames=False)
    forward = dilation_sweep(coupling, times, weights, angle=a, evolve=evolve, frames=False)
    # time order e^{iaK′}, e^{iaK}, e^{−iaK′}, e^{−iaK}: K′ carries phase π/2 − χ, K carries χ
    for sweep, phase in ((backward, math.pi / 2 - sign_phase), (backward, sign_phase), (forward, math.pi / 2 - sign_phase), (forward, sign_phase)):
        circuit.rz(-phase, n)
        circuit.compose(sweep, inplace=True, copy=False)
        circuit.rz(phase, n)
    return circuit


def one_way_commutator_step(
    coupling: SparsePauliOp,
    times: Sequence[float],
    weights: Sequence[complex],
    *,
    magnitude: float,
    sign_phase: float | ParameterExpression,
    evolve: Evolve,
) -> QuantumCircuit:
    """:func:`signed_commutator_step` with each of its four sweeps one pass at the full angle: half the
    frame segments and rotations.

    Time order: forward e^{iaK′}, backward e^{iaK}, forward e^{−iaK′}, backward e^{−iaK} (passes, see
    :func:`dilation_pass`), a = √(magnitude/2). A pass adds ∓(a²/2)C to its exponent (− forward,
    + backward), and C is the same for K and K′ (weights w and i·w: w̄_l w_l′ unchanged), so the two
    forward and two backward passes cancel it; the first-order terms cancel as in the group commutator,
    whose second-order term −a²[K, K′] remains. Odd orders flip the ancilla, so the ancilla-|0⟩ block is
    e^{−iθL^†L} + O(θ²) and the channel after the reset O(θ²) from Ad e^{−iθL^†L}, as for the sweeps.
    """
    if not (math.isfinite(magnitude) and magnitude > 0):
        raise ValueError(f"magnitude must be finite and > 0, got {magnitude!r}")
    n = coupling.num_qubits
    a = math.sqrt(magnitude / 2)
    circuit = QuantumCircuit(n + 1)
    passes = [
        (dilation_pass([coupling], times, [weights], angle=sign * a, evolve=evolve, forward=forward), phase)
        for forward, sign, phase in (
            (True, -1, math.pi / 2 - sign_phase), (False, -1, sign_phase), (True, 1, math.pi / 2 - sign_phase), (False, 1, sign_phase)
        )
    ]
    for one, phase in passes:
        circuit.rz(-phase, n)
        circuit.compose(one, inplace=True, copy=False)
        circuit.rz(phase, n)
    return circuit
