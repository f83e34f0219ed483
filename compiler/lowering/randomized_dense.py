"""Dense forms of the randomized step (small systems): the sampled frames, the cores between them as
unitaries or isometries, and bound instances as ``Kraus`` channels on the system.

The verification and simulation aids of :mod:`~kmsgibbs.compiler.lowering.randomized`: the averaged
channel (``analysis.averaged``) and the fused instances read the circuits' cores from here.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Instruction, Parameter
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.circuits import trotter_evolution
from kmsgibbs.circuits.dense import ancilla_isometry, ancilla_kraus, circuit_unitaries, circuit_unitaries_over

from .frames import FrameEvolutions
from .randomized import RandomizedPlan, coherent_core, dissipator_core, dissipator_frames

__all__ = ["frame_unitaries", "core_unitaries", "fused_instance"]


def frame_unitaries(hamiltonian: SparsePauliOp, frames: FrameEvolutions, steps: int, lengths: np.ndarray) -> np.ndarray:
    """F(x) as ``randomized_circuit`` compiles it, for every x in ``lengths``, shape (len, 2^n, 2^n):
    exact, or ``steps`` product-formula steps S(x/steps) (one step per length, then its power)."""
    lengths = np.asarray(lengths, dtype=float)
    if frames.exact:
        e, v = np.linalg.eigh(hamiltonian.to_matrix())
        return np.einsum("ij,qj,kj->qik", v, np.exp(-1j * np.outer(lengths, e)), v.conj())
    x = Parameter("x")
    one = circuit_unitaries_over(trotter_evolution(hamiltonian, x, order=frames.order, steps=1, layered=frames.layered), x, lengths / steps)
    return np.linalg.matrix_power(one, steps)


def core_unitaries(plan: RandomizedPlan, couplings: tuple[SparsePauliOp, ...], frames: FrameEvolutions) -> dict:
    """Dense unitaries (system + ancilla, whole-system windows) of what ``randomized_circuit`` places
    between the sampled frames: each dissipator sweep, and each coherent term's commutator for
    θ > 0 and θ < 0, per group (``{"dissipators": [U, …], "coherent": [[(U₊, U₋), …], …]}``). A sweep
    is held as the isometry U|0…0⟩_anc (its columns with the ancillas in |0⟩, all a reset after it
    needs; 2^(n+K) × 2^n for K shared ancillas), a coherent term as its full unitary. With one-way
    sweeps ``"dissipators"`` are the passes of the even steps and ``"dissipators_odd"`` those of the odd
    steps (every direction turned round)."""
    full = tuple(range(plan.num_system))
    if any(f.window != full for f in (*plan.dissipators, *plan.coherent_factors)):
        raise ValueError("dense cores need whole-system windows (compile without a light cone)")
    evolve = lambda s: frames.frame(full, s)  # noqa: E731
    def sweeps(step: int) -> list[QuantumCircuit]:
        return [
            dissipator_core(plan, sweep, [couplings[f.operator] for f in sweep], evolve, forward=plan.forward(step, j))
            for _, group in plan.groups()
            for j, sweep in enumerate(plan.sweeps(group))
        ]

    coherent = [
        [
            tuple(circuit_unitaries([coherent_core(plan, term, couplings[term.operator], phase, evolve) for phase in (0.0, math.pi / 2)]))
            for term in group
        ]
        for group in plan.coherent
    ]
    d = 2**plan.num_system
    out = {"dissipators": [ancilla_isometry(sweep, d) for sweep in sweeps(0)], "coherent": coherent}
    if plan.one_way_sweeps:
        out["dissipators_odd"] = [ancilla_isometry(sweep, d) for sweep in sweeps(1)]
    return out


def fused_instance(
    plan: RandomizedPlan,
    cores: dict,
    hamiltonian: SparsePauliOp,
    frames: FrameEvolutions,
    values: dict[str, np.ndarray],
    after_step: Callable[[QuantumCircuit, int], None] | None = None,
) -> QuantumCircuit:
    """One bound instance as exact channels on the system (a simulation aid for small systems).

    Each core with the ancilla resets after it is the channel ρ ↦ Σ_e K_e ρ K_e^†, K_e = ⟨e|U|0⟩ of
    its unitary U (computed from its gates), one ``Kraus`` instruction on the system qubits; the
    frames around it are multiplied into its Kraus operators, and each step ends with the frame left
    open as one ``UnitaryGate``. The channel is that of ``randomized_circuit(..., values=values)`` to
    floating-point precision (tested against Aer's superoperator of the gate-level instance), with
    ~8 instructions per step instead of ~10⁴, and the ancilla idle.
    """
    n = plan.num_system
    d = 2**n
    steps = len(next(iter(values.values())))
    shifts = values["s"] if plan.shift is not None else np.zeros(steps)
    ((_, first),) = plan.groups()  # whole-system windows: one group
    ends = sorted({t for i in range(min(steps, 2)) for t in dissipator_frames(plan, first, i)})
    fx = {t: frame_unitaries(hamiltonian, frames, plan.frame_steps[0], t + shifts) for t in ends}
    fy = None
    if plan.coherent:
        fy = frame_unitaries(hamiltonian, frames, plan.frame_steps[1], float(plan.coherent[0][0].grid.times[0]) + values["t"])
    circuit = QuantumCircuit(n + 1, name="kms_randomized_fused")  # the channels act on the system only
    system = list(range(n))

    def channel(unitary: np.ndarray, before: np.ndarray) -> None:
        # what Kraus(...).to_instruction() builds, without its per-call CPTP check (exact by construction)
        circuit.append(Instruction("kraus", n, 0, [k @ before for k in ancilla_kraus(unitary, d)]), system)

    eye = np.eye(d, dtype=complex)
    for i in range(steps):
        t_open, t_close = dissipator_frames(plan, first, i)
        before = fx[t_open][i]
        for u in cores["dissipators_odd" if plan.one_way_sweeps and i % 2 else "dissipators"]:
            channel(u, before)
            before = eye
        after = fx[t_close][i].conj().T
        if fy is not None:
            positive = values["chi"][i] < math.pi / 4
            for plus, minus in cores["coherent"][i % len(plan.coherent)]:
                channel(plus if positive else minus, fy[i] @ after)
                after = fy[i].conj().T
        circuit.append(UnitaryGate(after, check_input=False), system)
        if after_step is not None:
            after_step(circuit, i + 1)
    return circuit
