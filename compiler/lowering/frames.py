"""Frame evolutions e^{−iH_W s}: the circuits a compiled step conjugates its jumps with, and their errors.

Every frame length is an integer multiple of one Trotter step h, and a frame of length s is |s|/h
steps of one product formula S(±h), so consecutive frames telescope and the Trotterised frames are
exactly e^{−iH̃_h s} for one effective Hamiltonian H̃_h (:func:`frame_hamiltonian`). With
``exact=True`` they are dense unitaries instead (a reference mode for small systems). h need not be
the grid unit u: ``analysis.frame_choice.choose_frames`` takes h = u/m and the formula's order from
the requested accuracy.

References:
    docs/schemes.md (frames of the single-ancilla sweep), docs/error_budget.md (telescoping).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Gate
from qiskit.quantum_info import SparsePauliOp
from scipy.linalg import expm, schur

from kmsgibbs.circuits import exact_evolution, trotter_evolution
from kmsgibbs.circuits.dense import circuit_unitary

from .light_cone import restrict

__all__ = ["FrameChoice", "FrameEvolutions", "frame_hamiltonian"]


def frame_hamiltonian(hamiltonian: SparsePauliOp, trotter_step: float, *, order: int, layered: bool = False) -> np.ndarray:
    """Dense H̃_h with e^{−iH̃_h h} = S(h), the one-step product formula of ``trotter_evolution``.

    For every integer k, e^{−iH̃_h kh} = S(h)^k exactly (whatever branch of the phases), which is what
    Trotterised frames on a grid of multiples of h implement (S(−h) = S(h)^{-1} for the symmetric
    formulas; for order 1 the exact step channel, not this, is what the exact method compares with).
    ``layered``: the formula over H's commuting layers (``trotter_evolution(..., layered=True)``).
    """
    s = circuit_unitary(trotter_evolution(hamiltonian, trotter_step, order=order, steps=1, layered=layered))
    t, z = schur(s, output="complex")  # unitary ⇒ normal ⇒ t diagonal, z unitary
    energies = -np.angle(np.diag(t)) / trotter_step
    return (z * energies) @ z.conj().T


@dataclass(frozen=True)
class FrameChoice:
    """The frames' product formula: order p and h = u/m, the cheapest whose floor meets a tolerance.

    Attributes:
        order: p.
        steps_per_unit: m, product-formula steps per grid unit u.
        trotter_step: h = u/m.
        floor: max over the windows of ``frame_floor`` at (h, p).
        tolerance: the floor the choice had to meet (FRAME_SHARE·ε).
        stages: cost per grid unit in second-order stages, m·5^{(p−2)/2} (Suzuki's recursion).
    """

    order: int
    steps_per_unit: int
    trotter_step: float
    floor: float
    tolerance: float
    stages: int


@dataclass(frozen=True, eq=False)
class FrameEvolutions:
    """The frame evolutions of one compiled generator, built once per (window, length) and reused.

    Attributes:
        hamiltonian: H on all system qubits; a window's frames evolve with H restricted to it.
        trotter_step: h, the one Trotter step every frame length is a multiple of.
        order: the product formula's order (1 or even).
        exact: dense e^{−iHs} instead of product formulas (reference mode).
        choice: how ``trotter_step`` and ``order`` were chosen from the accuracy (``None``: hand-set
            or exact).
        layered: the product formula over H's commuting layers (``circuits.commuting_layers``), not
            its single terms: the same order, fewer two-qubit gates per step (TFIM: 2 CX per bond
            instead of 4, which is what the frame segments of a sweep cost).
    """

    hamiltonian: SparsePauliOp
    trotter_step: float
    order: int
    exact: bool
    choice: FrameChoice | None = None
    layered: bool = False
    _circuits: dict = field(default_factory=dict, init=False, repr=False)
    _errors: dict = field(default_factory=dict, init=False, repr=False)
    _dense: dict = field(default_factory=dict, init=False, repr=False)

    def window_hamiltonian(self, window: tuple[int, ...]) -> SparsePauliOp:
        """H_W: the terms of H inside ``window``, on len(window) qubits."""
        return restrict(self.hamiltonian, window)

    def evolution(self, hamiltonian: SparsePauliOp, time: float, *, controlled: bool = False) -> QuantumCircuit:
        """e^{−i·hamiltonian·time}: dense (reference mode) or ⌈|time|/h⌉ product-formula steps."""
        if self.exact:
            return exact_evolution(hamiltonian, time, controlled=controlled)
        steps = max(1, math.ceil(abs(time) / self.trotter_step - 1e-9))  # exactly |s|/h on the grids
        return trotter_evolution(
            hamiltonian, time, order=self.order, steps=steps, controlled=controlled, layered=self.layered
        )

    def controlled(self, time: float, controlled: bool) -> QuantumCircuit:
        """e^{−iHt} on all system qubits, optionally controlled (the ``evolve`` of an LCU block-encoding)."""
        return self.evolution(self.hamiltonian, time, controlled=controlled)

    def frame(self, window: tuple[int, ...], time: float, *, opaque: bool = False) -> QuantumCircuit:
        """e^{−iH_W time} on len(window) qubits, built once per multiple of h.

        With ``opaque`` it is one gate without a definition, named after its length (``box_name``): a
        box that resource counting lowers once and counts by multiplicity.
        """
        k = round(time / self.trotter_step)
        key = (opaque, window, k)
        if key not in self._circuits:
            if opaque:
                box = QuantumCircuit(len(window))
                box.append(Gate(self.box_name(k), len(window), []), box.qubits)
                self._circuits[key] = box
            else:
                self._circuits[key] = self.evolution(self.window_hamiltonian(window), time)
        return self._circuits[key]

    @staticmethod
    def box_name(multiple: int) -> str:
        """The opaque gate name of a frame of ``multiple`` Trotter steps."""
        return f"kms_evolve_{multiple}" if multiple >= 0 else f"kms_evolve_m{-multiple}"

    def boxes(self, window: tuple[int, ...]) -> dict[str, float]:
        """Name → length of every opaque frame built so far on ``window``."""
        return {
            self.box_name(k): k * self.trotter_step for opaque, w, k in self._circuits if opaque and w == window
        }

    def error(self, time: float) -> float:
        """‖F̃_time − e^{−iH·time}‖ for the compiled evolution of H on all qubits (0 with exact frames).

        Dense, once per length; the length need not be a multiple of h (the e^{−iH dt} factor).
        """
        if self.exact or time == 0:
            return 0.0
        key = round(time, 12)
        if key not in self._errors:
            exact = expm(-1j * time * self.hamiltonian.to_matrix())
            compiled = circuit_unitary(self.evolution(self.hamiltonian, time))
            self._errors[key] = float(np.linalg.norm(compiled - exact, 2))
        return self._errors[key]

    def grid_error(self, times: np.ndarray) -> float:
        """η ≥ ‖F̃_t − e^{−iHt}‖ for every time of a uniform grid: e^{−iHt_0} and the binary powers of the
        spacing (the controlled frames of an LCU over the grid)."""
        r = max(1, math.ceil(math.log2(times.size)))
        step = times[1] - times[0] if times.size > 1 else 0.0
        return self.error(times[0]) + sum(self.error(step * 2**j) for j in range(r))

    def dense_hamiltonian(self, window: tuple[int, ...]) -> np.ndarray:
        """The Hamiltonian the frames on ``window`` implement: H_W, or H̃_h of H_W (dense)."""
        h = self.window_hamiltonian(window)
        key = (tuple(h.paulis.to_labels()), np.round(h.coeffs, 12).tobytes())
        if key not in self._dense:
            self._dense[key] = (
                h.to_matrix() if self.exact else frame_hamiltonian(h, self.trotter_step, order=self.order, layered=self.layered)
            )
        return self._dense[key]
