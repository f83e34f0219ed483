"""Dense diagonalisation of a Hamiltonian and the Bohr-frequency bookkeeping built on it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from .._checks import DEFAULT_MAX_DENSE_BYTES
from ..finite import require_finite
from ..memory import require_memory

__all__ = ["EnergyBasis"]


@dataclass(frozen=True, eq=False)
class EnergyBasis:
    """H = V diag(E) V^†, with the Bohr matrix ν_ij = E_i − E_j (entry (i, j) raises E_j → E_i).

    Attributes:
        energies: eigenvalues E, ascending, shape ``(d,)``.
        vectors: unitary V whose columns are the eigenvectors (computational basis); real
            (orthogonal) when H is a real matrix, so that real couplings stay real.
        sectors: for a basis adapted to a Z₂ symmetry P (a Pauli string with [H, P] = 0), the
            sector 0 (P = +1) or 1 (P = −1) of every eigenvector; ``None`` otherwise.
    """

    energies: np.ndarray
    vectors: np.ndarray
    sectors: np.ndarray | None = None

    @classmethod
    def from_operator(
        cls,
        hamiltonian: SparsePauliOp,
        *,
        max_bytes: int = DEFAULT_MAX_DENSE_BYTES,
        symmetry: SparsePauliOp | None = None,
    ) -> EnergyBasis:
        """Diagonalise H densely (``numpy.linalg.eigh``; in real arithmetic when H is real).

        With a ``symmetry`` P (a real Pauli string commuting with H) H is diagonalised in each
        eigenspace of P separately, so that every eigenvector has a definite sector even where
        levels of the two sectors are degenerate.

        Raises:
            MemoryLimitError: when H, V and the LAPACK workspace (3 d² complex numbers) exceed
                ``max_bytes`` or the memory limit.
        """
        n = hamiltonian.num_qubits
        d = 2**n
        require_memory(
            f"diagonalising a {n}-qubit Hamiltonian densely",
            3 * 16 * d * d,
            alternative="the dense energy-basis construction is meant for n <= 12; use the time-domain "
            "compiler (compile_sampler) for larger systems",
            limit=max_bytes,
        )
        matrix = hamiltonian.to_matrix()
        if not np.any(matrix.imag):
            matrix = matrix.real  # a real symmetric eigenproblem gives real eigenvectors
        if symmetry is None:
            energies, vectors = np.linalg.eigh(matrix)
            require_finite(f"the spectrum of the {n}-qubit Hamiltonian", energies)
            return cls(energies=energies, vectors=vectors)
        signs, frame = np.linalg.eigh(symmetry.to_matrix().real)
        parts = [frame[:, signs > 0], frame[:, signs < 0]]
        blocks = [np.linalg.eigh(u.T @ matrix @ u) for u in parts]
        energies = np.concatenate([e for e, _ in blocks])
        vectors = np.concatenate([u @ w for u, (_, w) in zip(parts, blocks)], axis=1)
        sectors = np.concatenate([np.full(len(e), s) for s, (e, _) in enumerate(blocks)])
        order = np.argsort(energies, kind="stable")
        require_finite(f"the spectrum of the {n}-qubit Hamiltonian", energies)
        return cls(energies=energies[order], vectors=vectors[:, order], sectors=sectors[order])

    @property
    def dim(self) -> int:
        return self.energies.shape[0]

    @cached_property
    def bohr(self) -> np.ndarray:
        """ν_ij = E_i − E_j."""
        return self.energies[:, None] - self.energies[None, :]

    @property
    def spread(self) -> float:
        """E_max − E_min, so every Bohr frequency lies in [−spread, spread]."""
        return float(self.energies[-1] - self.energies[0])

    def to_energy(self, matrix: np.ndarray) -> np.ndarray:
        """V^† X V."""
        return self.vectors.conj().T @ matrix @ self.vectors

    def to_computational(self, matrix: np.ndarray) -> np.ndarray:
        """V X V^†."""
        return self.vectors @ matrix @ self.vectors.conj().T

    def gibbs_weights(self, beta: float) -> np.ndarray:
        """p_a = e^{−βE_a}/Z (shifted by min E so nothing overflows)."""
        w = np.exp(-beta * (self.energies - self.energies[0]))
        return w / w.sum()

    def degenerate_blocks(self, tolerance: float) -> np.ndarray:
        """Integer label per eigenvalue; consecutive eigenvalues closer than ``tolerance`` share one."""
        return np.concatenate([[0], np.cumsum(np.diff(self.energies) > tolerance)])


def bohr_frequency_bound(hamiltonian: SparsePauliOp) -> float:
    """2 Σ|c_P| ≥ E_max − E_min ≥ every |Bohr frequency| (no diagonalisation)."""
    return 2.0 * float(np.sum(np.abs(hamiltonian.coeffs)))
