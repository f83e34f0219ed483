"""LCU block-encodings of time-domain operators L = Σ_k w_k e^{iHt_k} A e^{−iHt_k} (A a Pauli string).

Qubits: system 0..n−1, then the r-qubit time register n..n+r−1; (⟨0^r| ⊗ I) U (|0^r⟩ ⊗ I) = L/α with
α = Σ_k |w_k|. The grid must be uniform, t_k = t_0 + kΔ, so that SELECT needs only the binary powers
e^{−iHΔ2^j}, each controlled by time bit j, plus one uncontrolled e^{−iHt_0} (docs/schemes.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Gate
from qiskit.circuit.library import DiagonalGate, StatePreparation, XGate, YGate, ZGate
from qiskit.quantum_info import SparsePauliOp

from .dense import circuit_action
from .inputs import check_grid, pauli_label
from .names import BLOCK_ENCODING_GATE

__all__ = ["BlockEncoding", "lcu_block_encoding", "gram_block_encoding"]

ControlledEvolve = Callable[[float, bool], QuantumCircuit]
_PAULI_GATES = {"X": XGate, "Y": YGate, "Z": ZGate}


@dataclass(frozen=True)
class BlockEncoding:
    """A unitary U with α·(⟨0|⊗I) U (|0⟩⊗I) = L̃, ‖L̃ − L‖ ≤ ε for the operator L it encodes.

    Attributes:
        circuit: U on ``num_system + num_ancillas`` qubits, system first.
        alpha: subnormalisation α.
        num_ancillas: ancilla qubits (the highest-index qubits), which start and must end in |0⟩.
        epsilon: declared operator-norm error of the encoded operator.
    """

    circuit: QuantumCircuit
    alpha: float
    num_ancillas: int
    epsilon: float

    def __post_init__(self) -> None:
        if not 0 <= self.num_ancillas < self.circuit.num_qubits:
            raise ValueError(
                f"num_ancillas={self.num_ancillas} does not fit a {self.circuit.num_qubits}-qubit circuit"
            )
        if not (self.alpha > 0 and math.isfinite(self.alpha)):
            raise ValueError(f"alpha must be finite and > 0, got {self.alpha!r}")
        if not self.epsilon >= 0:
            raise ValueError(f"epsilon must be >= 0, got {self.epsilon!r}")

    @property
    def num_system(self) -> int:
        return self.circuit.num_qubits - self.num_ancillas

    @property
    def gate(self) -> Gate:
        """``circuit`` as one gate named after it (``block_encoding`` for LCU encodings), for counting."""
        return self.circuit.to_gate()

    def matrix(self) -> np.ndarray:
        """α·(⟨0|⊗I) U (|0⟩⊗I), dense (small systems).

        The d columns U|0…0⟩_anc|i⟩ are computed matrix-free (:func:`~kmsgibbs.circuits.dense.circuit_action`,
        16·2^{n+a}·d bytes), so encodings with many ancillas stay cheap; ancillas are the high qubits,
        so the ancilla-|0⟩ amplitudes are the first d entries of each column.
        """
        d = 2**self.num_system
        columns = np.zeros((2**self.circuit.num_qubits, d), dtype=complex)
        columns[np.arange(d), np.arange(d)] = 1.0
        return self.alpha * circuit_action(self.circuit, columns)[:d, :]


def lcu_block_encoding(
    coupling: SparsePauliOp | BlockEncoding,
    times: Sequence[float],
    weights: Sequence[complex],
    *,
    evolve: ControlledEvolve,
    epsilon: float = 0.0,
) -> BlockEncoding:
    """PREPARE · SELECT · PREPARE† block-encoding of L = Σ_k w_k e^{iHt_k} A e^{−iHt_k}.

    Args:
        coupling: the Pauli string A (real coefficient), or a block-encoding of A (its ancillas are
            placed after the time register and must return to |0⟩ with it).
        times: uniform grid t_k = t_0 + kΔ (padded with zero weights to 2^r points).
        weights: w_k (complex).
        evolve: ``evolve(s, controlled)`` returns e^{−iHs} on n qubits, or its controlled version on
            1 + n qubits with the control as qubit 0.
        epsilon: the operator error the caller certifies for ‖L̃ − L‖ (quadrature, Trotter).

    Returns:
        α = Σ_k|w_k|·‖A‖_α (|coefficient| of the Pauli, or the inner encoding's α); ancillas: the
        r-qubit time register, then the inner encoding's ancillas.
    """
    t, w = check_grid(times, weights)
    if t.size > 1 and not np.allclose(np.diff(t), t[1] - t[0], rtol=1e-12, atol=1e-12 * max(1.0, abs(t).max())):
        raise ValueError("times must form a uniform grid t_k = t_0 + kΔ")
    if isinstance(coupling, BlockEncoding):
        label, n, inner = None, coupling.num_system, coupling
        scale, sign = coupling.alpha, 1.0
    else:
        label, coeff = pauli_label(coupling)
        n, inner = coupling.num_qubits, None
        scale, sign = abs(coeff), np.sign(coeff)
    r = max(1, math.ceil(math.log2(t.size)))
    size = 2**r
    step = t[1] - t[0] if t.size > 1 else 1.0
    amps = np.zeros(size)
    amps[: t.size] = np.abs(w)
    alpha = float(amps.sum()) * scale
    if alpha == 0:
        raise ValueError("all weights are zero")
    phases = np.ones(size, dtype=complex)
    phases[: t.size] = sign * np.exp(1j * np.angle(w))

    extra = 0 if inner is None else inner.num_ancillas
    system, clock = list(range(n)), list(range(n, n + r))
    prepare = StatePreparation(np.sqrt(amps / amps.sum()))
    circuit = QuantumCircuit(n + r + extra, name=BLOCK_ENCODING_GATE)
    circuit.append(prepare, clock)
    circuit.append(DiagonalGate(list(phases)), clock)

    def controlled_frames(direction: float) -> None:
        circuit.compose(evolve(direction * t[0], False), system, inplace=True)
        for j in range(r):
            circuit.compose(evolve(direction * step * 2**j, True), [clock[j], *system], inplace=True)

    controlled_frames(1.0)
    if inner is None:
        circuit.pauli(label, system)
    else:
        circuit.compose(inner.circuit, [*system, *range(n + r, n + r + extra)], inplace=True)
    controlled_frames(-1.0)
    circuit.append(prepare.inverse(), clock)
    return BlockEncoding(circuit=circuit, alpha=alpha, num_ancillas=r + extra, epsilon=float(epsilon))


def gram_block_encoding(
    couplings: Sequence[SparsePauliOp],
    times: Sequence[float],
    weights: Sequence[complex],
    *,
    evolve: ControlledEvolve,
    epsilon: float = 0.0,
) -> BlockEncoding:
    """Block-encoding of K = Σ_k L_k^† L_k, L_k = Σ_l w_l e^{iHt_l} A_k e^{−iHt_l}, on one shared time grid.

    With the stacked operator L_col = Σ_k |k⟩ ⊗ L_k, K = L_col^† L_col. U_col (PREPARE_k with amplitudes
    ∝ |a_k| (the Pauli coefficients), the time-grid LCU of the jumps with a SELECT of A_k on |k⟩, the
    time register uncomputed but the k register kept) block-encodes L_col; U_col on a first time register
    followed by U_col^† on a second one, sharing the k register, block-encodes K: the k register carries
    the index from L_k to L_k^†, and each time register is projected on |0⟩ by the half that does not
    touch it.

    Returns:
        α = Σ_k a_k² · (Σ_l |w_l|)²; ancillas: the k register (⌈log₂K⌉ ≥ 1 qubits), then the two time
        registers (r qubits each).

    References:
        docs/schemes.md (LCU over a time register); products of block-encodings, Gilyén, Su, Low &
        Wiebe, arXiv:1806.01838, Lemma 30.
    """
    if not couplings:
        raise ValueError("couplings must be a non-empty sequence of Pauli strings")
    paulis = [pauli_label(a) for a in couplings]
    n = couplings[0].num_qubits
    if any(a.num_qubits != n for a in couplings):
        raise ValueError("all couplings must act on the same number of qubits")
    t, w = check_grid(times, weights)
    if t.size > 1 and not np.allclose(np.diff(t), t[1] - t[0], rtol=1e-12, atol=1e-12 * max(1.0, abs(t).max())):
        raise ValueError("times must form a uniform grid t_k = t_0 + kΔ")
    r = max(1, math.ceil(math.log2(t.size)))
    rk = max(1, math.ceil(math.log2(len(paulis))))
    step = t[1] - t[0] if t.size > 1 else 1.0
    amps = np.zeros(2**r)
    amps[: t.size] = np.abs(w)
    if amps.sum() == 0:
        raise ValueError("all weights are zero")
    phases = np.ones(2**r, dtype=complex)
    phases[: t.size] = np.exp(1j * np.angle(w))
    squares = np.zeros(2**rk)
    squares[: len(paulis)] = [c * c for _, c in paulis]

    system = list(range(n))
    index = list(range(n, n + rk))
    first, second = list(range(n + rk, n + rk + r)), list(range(n + rk + r, n + rk + 2 * r))
    prepare_time = StatePreparation(np.sqrt(amps / amps.sum()))
    prepare_index = StatePreparation(np.sqrt(squares / squares.sum()))

    def stacked(clock: list[int]) -> QuantumCircuit:
        """U_col on (system, index, clock): |0⟩|0⟩|ψ⟩ ↦ Σ_k (|a_k|/‖a‖)|k⟩|0⟩ (L_k/(a_k Σ|w|))|ψ⟩ + …"""
        u = QuantumCircuit(n + rk + 2 * r)
        u.append(prepare_index, index)
        u.append(prepare_time, clock)
        u.append(DiagonalGate(list(phases)), clock)
        u.compose(evolve(t[0], False), system, inplace=True)
        for j in range(r):
            u.compose(evolve(step * 2**j, True), [clock[j], *system], inplace=True)
        for k, (label, _) in enumerate(paulis):
            # the sign of a_k is left out: K holds a_k² only; one multi-controlled X/Y/Z per factor
            for q, p in zip(system, reversed(label)):
                if p != "I":
                    u.append(_PAULI_GATES[p]().control(rk, ctrl_state=k), [*index, q])
        u.compose(evolve(-t[0], False), system, inplace=True)
        for j in range(r):
            u.compose(evolve(-step * 2**j, True), [clock[j], *system], inplace=True)
        u.append(prepare_time.inverse(), clock)
        return u

    circuit = QuantumCircuit(n + rk + 2 * r, name="gram_block_encoding")
    circuit.compose(stacked(first), inplace=True)
    circuit.compose(stacked(second).inverse(), inplace=True)
    alpha = float(squares.sum()) * float(amps.sum()) ** 2
    return BlockEncoding(circuit=circuit, alpha=alpha, num_ancillas=rk + 2 * r, epsilon=float(epsilon))
