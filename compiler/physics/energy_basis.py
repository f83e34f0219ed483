"""Dense diagonalisation of a Hamiltonian and the Bohr-frequency bookkeeping built on it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from .._checks import DEFAULT_MAX_DENSE_BYTES, check_dense_size

__all__ = ["EnergyBasis"]


@dataclass(frozen=True, eq=False)
class EnergyBasis:
    """H = V diag(E) V^†, with the Bohr matrix ν_ij = E_i − E_j (entry (i, j) raises E_j → E_i).

    Attributes:
        energies: eigenvalues E, ascending, shape ``(d,)``.
        vectors: unitary V whose columns are the eigenvectors (computational basis).
    """

    energies: np.ndarray
    vectors: np.ndarray

    @classmethod
    def from_operator(
        cls, hamiltonian: SparsePauliOp, *, max_bytes: int = DEFAULT_MAX_DENSE_BYTES
    ) -> EnergyBasis:
        d = 2**hamiltonian.num_qubits
        check_dense_size(
            f"diagonalising a {hamiltonian.num_qubits}-qubit Hamiltonian densely",
            3 * 16 * d * d,
            max_bytes,
            "the dense energy-basis construction is meant for n <= 12; use the time-domain "
            "compiler (compile_sampler) for larger systems",
        )
        energies, vectors = np.linalg.eigh(hamiltonian.to_matrix())
        return cls(energies=energies, vectors=vectors)

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
