"""Dense channels and generators of a step plan (small systems): what the circuit does, and what it approximates.

``step_channel`` composes the exact channel of the plan's circuits factor by factor (each unitary on
system + ancilla, then the ancilla reset). ``plan_generator`` is the Lindbladian the same factors
implement to first order in dt, Σ_f D[J_f] − i[Σ_f c_f J_f^†J_f, ·], with the jumps
J_f = Σ_l w_l e^{iH_f t_l} A e^{−iH_f t_l} evolved by a given frame Hamiltonian H_f.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from kmsgibbs.circuits.dense import then_ancilla_reset

from ..lowering.compiled import CompiledStep
from ..lowering.plan import Factor
from ..lowering.step_circuits import plan_unitaries
from ..memory import require_memory

__all__ = ["MAX_CHANNEL_QUBITS", "step_channel", "factor_jumps", "jump_generator", "plan_generator"]

#: Largest system (qubits) whose exact step channel and dense generators are computed.
MAX_CHANNEL_QUBITS = 6


def _check(step: CompiledStep, what: str) -> int:
    n = step.num_system
    if n > MAX_CHANNEL_QUBITS:
        raise ValueError(
            f"the exact {what} is computed for at most {MAX_CHANNEL_QUBITS} system qubits, got {n}; "
            "run the circuit on Aer instead"
        )
    d = 2**n
    require_memory(f"the exact {what} of {n} qubits", 4 * 16 * d**4, alternative="run the circuit on Aer instead")
    return d


def step_channel(step: CompiledStep) -> np.ndarray:
    """The exact system superoperator of one step (column-stacked), composed factor by factor."""
    d = _check(step, "step channel")
    total = np.eye(d * d, dtype=complex)
    for u in plan_unitaries(step.plan, step.couplings, step.frames):
        total = then_ancilla_reset(total, u, d)
    return total


def factor_jumps(
    factors: Sequence[Factor], operators: Mapping[int, np.ndarray], frame_hamiltonian: np.ndarray
) -> list[tuple[Factor, np.ndarray]]:
    """(factor, dense J_f) for the dissipator and coherent factors, J_f = Σ_l w_l e^{iH_f t_l} A e^{−iH_f t_l}.

    Args:
        factors: the factors (all on one window).
        operators: operator index → its dense matrix on the window.
        frame_hamiltonian: the dense Hamiltonian on the window the frames evolve with (H_W, or H̃_h).
    """
    e, v = np.linalg.eigh(frame_hamiltonian)
    abar = {k: v.conj().T @ a @ v for k, a in operators.items()}
    return [
        (f, v @ f.grid.energy_operator(e, abar[f.operator]) @ v.conj().T)
        for f in factors
        if f.kind in ("dissipator", "coherent")
    ]


def jump_generator(jumps: Sequence[tuple[Factor, np.ndarray]]) -> np.ndarray:
    """Σ_f D[J_f] − i[Σ_f c_f J_f^†J_f, ·] over dissipator (D) and coherent (c_f) factors, dense."""
    if not jumps:
        raise ValueError("a generator needs at least one dissipator or coherent factor")
    d = jumps[0][1].shape[0]
    require_memory(f"a dense {d * d} x {d * d} generator", 3 * 16 * d**4, alternative="use the norms error bound")
    eye = np.eye(d)
    out = np.zeros((d * d, d * d), dtype=complex)
    decay = np.zeros((d, d), dtype=complex)
    coherent = np.zeros((d, d), dtype=complex)
    for f, jump in jumps:
        jj = jump.conj().T @ jump
        if f.kind == "dissipator":
            out += np.kron(jump.conj(), jump)
            decay += jj
        else:
            coherent += f.coefficient * jj
    out -= 0.5 * (np.kron(eye, decay) + np.kron(decay.T, eye))
    out -= 1j * (np.kron(eye, coherent) - np.kron(coherent.T, eye))
    return out


def plan_generator(step: CompiledStep, frame_hamiltonian: np.ndarray) -> np.ndarray:
    """The dense Lindbladian the plan's dissipator and coherent factors implement to first order in dt.

    Args:
        step: the compiled step (every window the whole system).
        frame_hamiltonian: the dense H the jumps' frames evolve with (H, or H̃_h).
    """
    _check(step, "generator")
    n = step.num_system
    if any(len(f.window) != n for f in step.plan.factors):
        raise ValueError("the dense plan generator needs whole-system windows (compile without a light cone)")
    operators = {k: a.to_matrix() for k, a in enumerate(step.couplings)}
    return jump_generator(factor_jumps(step.plan.factors, operators, frame_hamiltonian))
