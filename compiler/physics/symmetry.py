"""Z₂ symmetries of a generator: a Pauli string P that commutes with H, each coupling commuting or anticommuting."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit.quantum_info import SparsePauliOp

__all__ = ["z2_symmetry"]


def _vanishes(op: SparsePauliOp) -> bool:
    """Whether a Pauli sum is zero (coefficients below 1e-12 after simplification)."""
    return bool(np.all(np.abs(op.simplify(atol=1e-12).coeffs) <= 1e-12))


def z2_symmetry(
    hamiltonian: SparsePauliOp, couplings: Sequence[SparsePauliOp]
) -> tuple[SparsePauliOp, tuple[int, ...]] | None:
    """A P ∈ {X^⊗n, Z^⊗n, Y^⊗n (n even)} with [P, H] = 0, and the parity of each coupling A_k.

    P qualifies when every coupling commutes (parity 0) or anticommutes (parity 1) with it; then
    the generator maps the even operators (PXP = X) and the odd ones (PXP = −X) to themselves.
    ``None`` when no such string exists.
    """
    n = hamiltonian.num_qubits
    for letter in "XZY":
        if letter == "Y" and n % 2:
            continue  # Y^⊗n is imaginary for odd n; the sector basis must stay real
        p = SparsePauliOp(letter * n)
        if not _vanishes(hamiltonian.compose(p) - p.compose(hamiltonian)):
            continue
        parities = []
        for a in couplings:
            if _vanishes(a.compose(p) - p.compose(a)):
                parities.append(0)
            elif _vanishes(a.compose(p) + p.compose(a)):
                parities.append(1)
            else:
                break
        else:
            return p, tuple(parities)
    return None
