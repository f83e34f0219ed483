"""LCU block-encodings of a compiled step's jumps and of its coherent term, with verified ε.

Every dissipator factor of the step plan, α√v_m L_mk = Σ_l w_l e^{iHt_l} A_k e^{−iHt_l}, becomes a
PREPARE / controlled-frames SELECT / PREPARE† encoding over its time grid; the coherent term
H̃_⊥ = α² Σ_j c_j e^{iHt_j} K e^{−iHt_j} (K = Σ_k L_k^†L_k) becomes the time-grid LCU over the plan's
coherent nodes whose inner operator is the Gram encoding of the base jumps. The declared ε bounds
the distance to the exact energy-basis operator. Dense, so n ≤ 6.

References:
    docs/schemes.md (LCU over time points, the coherent term); docs/master_equations.md
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmsgibbs.circuits import BlockEncoding, gram_block_encoding, lcu_block_encoding

from ..analysis.channels import MAX_CHANNEL_QUBITS
from ..analysis.resources import count_gates
from ..lowering.compiled import CompiledStep
from ..target.hardware import lower_to_basis
from .registers import CompiledStepView

__all__ = ["BlockEncodingSampler", "EncodingCost", "EncodingResources", "jump_block_encodings", "coherent_block_encoding"]


def _check_dense(step: CompiledStep) -> None:
    if step.num_system > MAX_CHANNEL_QUBITS:
        raise ValueError(
            f"declared block-encoding errors are computed densely, for n ≤ {MAX_CHANNEL_QUBITS}; got n = {step.num_system}"
        )


def jump_block_encodings(step: CompiledStep) -> list[BlockEncoding]:
    """LCU block-encodings of the jump of every dissipator factor of the plan (untruncated frames).

    The declared ε bounds ‖α·block − L_exact‖ for the exact (energy-basis) jump: the grid error
    ‖L̃ − L‖ computed densely, plus Σ_l |w_l| · 2 · (frame errors of e^{−iHt_0} and of the binary
    powers) for product-formula frames, plus 1e-12 for the floating-point synthesis of the state
    preparation.
    """
    _check_dense(step)
    form, basis = step.form, step.lindbladian.basis
    hm = form.hamiltonian.to_matrix()
    out = []
    for f in step.plan.factors:
        if f.kind != "dissipator":
            continue
        a = form.couplings[f.operator]
        scale = math.sqrt(form.rate * form.jumps[f.node][0])
        exact = basis.to_computational(scale * form.jump_filters[f.node](basis.bohr) * basis.to_energy(a.to_matrix()))
        discrete = f.grid.operator(hm, a.to_matrix())
        frames = step.frames.grid_error(f.grid.times)
        eps = float(np.linalg.norm(discrete - exact, 2)) + f.grid.one_norm * 2 * frames
        out.append(lcu_block_encoding(a, f.grid.times, f.grid.weights, evolve=step.frames.controlled, epsilon=eps + 1e-12))
    return out


def coherent_block_encoding(step: CompiledStep) -> BlockEncoding:
    """Block-encoding of the coherent term H̃_⊥ = α² Σ_j c_j e^{iHt_j} K e^{−iHt_j}, K = Σ_k L_k^†L_k.

    The Gram encoding of the base jumps (:func:`~kmsgibbs.circuits.gram_block_encoding`) is the inner
    operator of the time-grid LCU over the plan's coherent nodes (weights α²c_j). Declared ε:
    ‖H̃_⊥ − H_⊥‖ for the exact energy-basis coherent term (dense), plus the product-formula frames'
    error propagated through the LCU (η per grid time = the frame errors of e^{−iHt_0} and of the
    binary powers: ‖K̃ − K‖ ≤ Σ_k(2‖L_k‖ + δ_k)δ_k with δ_k = |a_k|Σ|w|·2η, then
    α²Σ|c_j|(2η′(‖K‖ + ‖K̃ − K‖) + ‖K̃ − K‖)), plus 1e-12 for the state preparations.
    """
    _check_dense(step)
    form, lind = step.form, step.lindbladian
    if form.coherent is None:
        raise ValueError(f"the {lind.family!r} generator has no coherent term")
    if len(form.coherent_jumps) != 1:
        raise ValueError(
            f"the coherent term's K is a sum over {len(form.coherent_jumps)} jump grids; its block-encoding "
            "is built for one shared grid (Scandi–Alhambra form='kms', DLL)"
        )
    nodes = sorted({f.node: f.coefficient for f in step.plan.factors if f.kind == "coherent"}.items())
    if not nodes:
        raise ValueError("the step plan has no coherent factor to encode")
    times = form.coherent.times[[j for j, _ in nodes]]
    weights = np.array([c for _, c in nodes], dtype=complex)
    (v, grid), = form.coherent_jumps
    hm = form.hamiltonian.to_matrix()
    evolve = step.frames.controlled
    gram = gram_block_encoding([math.sqrt(v) * a for a in form.couplings], grid.times, grid.weights, evolve=evolve)
    # ‖F̃XF̃† − FXF†‖ ≤ 2η‖X‖ per frame pair, ‖L̃†L̃ − L†L‖ ≤ (2‖L‖ + δ)δ
    eta_jump, eta_coherent = step.frames.grid_error(grid.times), step.frames.grid_error(times)
    jumps = [math.sqrt(v) * grid.operator(hm, a.to_matrix()) for a in form.couplings]
    gram_error = 0.0
    for a, jump in zip(form.couplings, jumps):
        delta = math.sqrt(v) * float(np.abs(a.coeffs).sum()) * grid.one_norm * 2 * eta_jump
        gram_error += (2 * float(np.linalg.norm(jump, 2)) + delta) * delta
    k_norm = float(np.linalg.norm(sum(j.conj().T @ j for j in jumps), 2))
    one_norm = float(np.sum(np.abs(weights)))
    frames = form.rate * one_norm * (2 * eta_coherent * (k_norm + gram_error) + gram_error)
    grid_error = float(np.linalg.norm(form.coherent_term() - lind.coherent_term(), 2))
    eps = grid_error + frames + 1e-12
    return lcu_block_encoding(gram, times, form.rate * weights, evolve=evolve, epsilon=eps)


@dataclass(frozen=True)
class EncodingCost:
    """One block-encoding's cost in a basis: its kind (``"jump"`` or ``"coherent"``), α, ε, qubits,
    ancillas, two-qubit gates, depth and non-Clifford rotations."""

    kind: str
    alpha: float
    epsilon: float
    qubits: int
    ancillas: int
    two_qubit_gates: int
    depth: int
    rotations: int


@dataclass(frozen=True)
class EncodingResources:
    """The costs of every block-encoding of a step (jumps, then the coherent term) in ``basis_gates``."""

    encodings: tuple[EncodingCost, ...]
    basis_gates: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class BlockEncodingSampler(CompiledStepView):
    """The block-encodings of a compiled step (``compile_sampler(..., scheme="block_encoding")``).

    Step circuits from them need a block-encoding Lindblad simulator, which is not built here: the
    dilation scheme (:class:`~kmsgibbs.compiler.CompiledSampler`) gives step circuits.
    """

    compiled: CompiledStep

    def block_encodings(self) -> list[BlockEncoding]:
        """The jumps' encodings, then the coherent term's (when the generator has one)."""
        out = jump_block_encodings(self.compiled)
        if self.form.coherent is not None:
            out.append(coherent_block_encoding(self.compiled))
        return out

    def coherent_block_encoding(self) -> BlockEncoding:
        """The coherent term's encoding alone."""
        return coherent_block_encoding(self.compiled)

    def resources(self, *, basis_gates: tuple[str, ...] = ("cx", "rz", "sx", "x")) -> EncodingResources:
        """Per block-encoding: α, ε, qubits and gate counts after lowering to ``basis_gates``."""
        encodings = self.block_encodings()
        rows = []
        for i, be in enumerate(encodings):
            counts = count_gates(lower_to_basis(be.circuit, list(basis_gates)))
            coherent = i == len(encodings) - 1 and self.form.coherent is not None
            rows.append(
                EncodingCost(
                    kind="coherent" if coherent else "jump",
                    alpha=be.alpha,
                    epsilon=be.epsilon,
                    qubits=be.circuit.num_qubits,
                    ancillas=be.num_ancillas,
                    two_qubit_gates=counts.two_qubit_gates,
                    depth=counts.depth,
                    rotations=counts.rotations,
                )
            )
        return EncodingResources(encodings=tuple(rows), basis_gates=tuple(basis_gates))
