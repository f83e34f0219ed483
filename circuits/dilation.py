"""Single-ancilla dilations of time-domain LCU operators L = Σ_l w_l e^{iHt_l} A e^{−iHt_l}.

With K = σ⁺ ⊗ L + σ⁻ ⊗ L^† (σ⁺ = |1⟩⟨0| on the ancilla) one has ⟨1|e^{−i√τK}|0⟩ = −i√τ L + O(τ^{3/2}) and
⟨0|e^{−i√τK}|0⟩ = I − (τ/2) L^†L + O(τ²), so "evolve, then reset the ancilla" is the channel e^{τ D[L]} up
to O(τ²). e^{−iaK} is realised by the palindromic (forward then backward, half-angle) sweep over the
time grid, whose splitting error is O(a³) — never the one-directional sweep, whose O(a²) error adds a
spurious Hamiltonian (docs/schemes.md). Qubits: system 0..n−1, ancilla n.

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

__all__ = ["dilation_sweep", "dilation_step", "commutator_step", "signed_commutator_step"]

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
    """
    t, w = check_grid(times, weights)
    label, scale = pauli_label(coupling)
    n = coupling.num_qubits
    anc = n
    circuit = QuantumCircuit(n + 1)
    system = list(range(n))
    dilated = "X" + label

    def rotation(l: int) -> None:
        theta = 0.5 * angle * abs(w[l]) * scale
        if theta == 0:
            return
        phi = float(np.angle(w[l]))
        circuit.rz(-phi, anc)
        append_pauli_rotation(circuit, dilated, list(range(n + 1)), theta)
        circuit.rz(phi, anc)

    def frame(s: float) -> None:
        if s != 0:
            circuit.compose(evolve(s), system, inplace=True, copy=False)

    if frames:
        frame(t[0])
    for l in range(t.size):
        if l:
            frame(t[l] - t[l - 1])
        rotation(l)
    for l in reversed(range(t.size)):
        rotation(l)
        if l:
            frame(t[l - 1] - t[l])
    if frames:
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
    leaves the outer frames to the caller (see ``dilation_sweep``).
    """
    if not (math.isfinite(tau) and tau > 0):
        raise ValueError(f"tau must be finite and > 0, got {tau!r}")
    circuit = dilation_sweep(coupling, times, weights, angle=math.sqrt(tau), evolve=evolve, frames=frames)
    if reset:
        circuit.reset(coupling.num_qubits)
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
