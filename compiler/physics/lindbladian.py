"""The ``Lindbladian`` object: a sampler generator α²(T − ½{K,·} − i[H_c,·]) built in the energy basis."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from .._checks import DEFAULT_MAX_DENSE_BYTES, check_dense_size
from .energy_basis import EnergyBasis
from .kernels import TransitionKernel
from .time_domain import TimeDomainForm, build_time_domain

__all__ = ["Lindbladian"]

# Working arrays alive at once while the dense superoperator is assembled and rotated.
_SUPEROPERATOR_COPIES = 4


@dataclass(frozen=True, eq=False)
class Lindbladian:
    """A Gibbs-sampler generator in GKS form, L = α² (T − ½{K, ·} − i[H_c, ·]).

    T and K come from a :class:`~kmsgibbs.compiler.kernels.TransitionKernel` and the couplings
    A_k (physics.md §7.4); H_c is the coherent term (the KMS tanh term, a physical Lamb shift, or
    zero). A physical master equation in real time is dρ/dt = −i[H, ρ] + L[ρ]; the flag
    ``include_system_hamiltonian`` adds the −i[H, ·] part.

    Conventions: superoperators act on column-stacked vectors, vec(X)[a + d·b] = X[a, b].

    Attributes:
        hamiltonian: the system Hamiltonian H.
        couplings: the Hermitian coupling operators A_k.
        beta: inverse temperature of the target Gibbs state e^{−βH}/Z.
        kernel: the transition kernel c(ν, ν′).
        coherent: builds H_c in the energy basis (without α²) from the generator, or ``None``.
        coupling: α; the generator carries α².
        family: name of the master-equation family.
        parameters: everything the generator was built from.
        max_bytes: memory limit of the dense diagonalisation (done lazily, on first use: the
            time-domain compiler never needs it).
    """

    hamiltonian: SparsePauliOp
    couplings: tuple[SparsePauliOp, ...]
    beta: float
    kernel: TransitionKernel
    coherent: Callable[[Lindbladian], np.ndarray] | None = None
    coupling: float = 1.0
    family: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    max_bytes: int = DEFAULT_MAX_DENSE_BYTES

    @cached_property
    def basis(self) -> EnergyBasis:
        """The energy basis of H (dense diagonalisation, computed on first use)."""
        return EnergyBasis.from_operator(self.hamiltonian, max_bytes=self.max_bytes)

    @cached_property
    def coherent_energy(self) -> np.ndarray:
        """H_c in the energy basis, without the α² factor."""
        if self.coherent is None:
            return np.zeros((self.dim, self.dim), dtype=complex)
        return self.coherent(self)

    @property
    def num_qubits(self) -> int:
        return self.hamiltonian.num_qubits

    @property
    def dim(self) -> int:
        return 2**self.num_qubits

    @property
    def rate(self) -> float:
        """α², the factor in front of the sampler generator."""
        return self.coupling**2

    @cached_property
    def couplings_energy(self) -> np.ndarray:
        """Ā_k = V^† A_k V, shape (k, d, d)."""
        return np.stack([self.basis.to_energy(a.to_matrix()) for a in self.couplings])

    @cached_property
    def decay_energy(self) -> np.ndarray:
        """K̄_dc = Σ_k Σ_a conj(Ā_ad) Ā_ac c(ν_ac, ν_ad), without α²."""
        c = self.kernel.decay_tensor(self.basis)
        abar = self.couplings_energy
        return sum(np.einsum("ad,ac,acd->dc", a.conj(), a, c, optimize=True) for a in abar)

    @cached_property
    def _transition(self):
        return self.kernel.transition_map(self.basis, self.couplings_energy)

    def without_coherent_term(self) -> Lindbladian:
        """The same dissipator with H_c = 0 (to show what the coherent term does)."""
        bare = dataclasses.replace(self, coherent=None, parameters={**self.parameters, "coherent_term": False})
        for cached in ("basis", "couplings_energy", "decay_energy"):
            if cached in self.__dict__:  # share what was already computed
                bare.__dict__[cached] = self.__dict__[cached]
        return bare

    def gibbs_state(self) -> np.ndarray:
        """σ_β = e^{−βH}/Z, a (d, d) array in the computational basis."""
        return self.basis.to_computational(np.diag(self.basis.gibbs_weights(self.beta)))

    def coherent_term(self) -> np.ndarray:
        """α² H_c in the computational basis (the Hamiltonian part added to −i[H, ·])."""
        return self.rate * self.basis.to_computational(self.coherent_energy)

    def decay_operator(self) -> np.ndarray:
        """α² K = α² Σ_j L_j^† L_j in the computational basis."""
        return self.rate * self.basis.to_computational(self.decay_energy)

    def jump_operators(self) -> list[np.ndarray]:
        """Dense jump operators L_j (computational basis) with α² T[ρ] = Σ_j L_j ρ L_j^†.

        For factorised kernels these are the quadrature-discretised jumps √w_j α (F_j ∘ Ā_k) of
        ``kernel.nodes`` (one per coupling for DLL and for Scandi–Alhambra at T = 0); for Davies, one
        jump per coupling and Bohr cluster. Meant for small systems.
        """
        out = []
        for stack in self._transition.jumps():
            out.extend(self.coupling * self.basis.to_computational(j) for j in stack)
        return out

    def superoperator(
        self,
        *,
        include_system_hamiltonian: bool = False,
        basis: str = "computational",
        max_bytes: int = DEFAULT_MAX_DENSE_BYTES,
    ) -> np.ndarray:
        """The dense (d², d²) superoperator, column-stacked vec convention.

        Args:
            include_system_hamiltonian: add −i[H, ·].
            basis: ``"computational"`` or ``"energy"`` (vec of V^† ρ V).
            max_bytes: refuse when the assembly would need more memory than this.

        Raises:
            ValueError: for an unknown ``basis`` or a system too large to hold d⁴ entries.
        """
        if basis not in ("computational", "energy"):
            raise ValueError(f"basis must be 'computational' or 'energy', got {basis!r}")
        d = self.dim
        check_dense_size(
            f"the dense superoperator of {self.num_qubits} qubits ({d * d} x {d * d})",
            _SUPEROPERATOR_COPIES * 16 * d**4,
            max_bytes,
            "use Lindbladian.apply (matrix-free) or kmsgibbs.simulators.exact.evolve, which switches "
            "to it automatically",
        )
        abar = self.couplings_energy
        pairs = np.einsum("kac,kbd->acbd", abar, abar.conj(), optimize=True)
        pairs *= self.kernel.transition_tensor(self.basis)
        sup = pairs.transpose(2, 0, 3, 1).reshape(d * d, d * d)
        del pairs
        eye = np.eye(d)
        generator = -0.5 * self.decay_energy - 1j * self.coherent_energy
        sup += np.kron(eye, generator) + np.kron(generator.conj(), eye)
        sup *= self.rate
        if include_system_hamiltonian:
            e = self.basis.energies
            sup[np.diag_indices(d * d)] += (-1j * (e[None, :] - e[:, None])).ravel()
        if basis == "energy":
            return sup
        v = self.basis.vectors
        s4 = sup.reshape(d, d, d, d)
        out = np.einsum("Bb,Aa,badc,Dd,Cc->BADC", v.conj(), v, s4, v, v.conj(), optimize=True)
        return out.reshape(d * d, d * d)

    def _check_operator(self, rho: np.ndarray) -> np.ndarray:
        rho = np.asarray(rho)
        if rho.shape != (self.dim, self.dim):
            raise ValueError(f"expected a ({self.dim}, {self.dim}) matrix, got shape {rho.shape}")
        return rho

    def apply(self, rho: np.ndarray, *, include_system_hamiltonian: bool = False) -> np.ndarray:
        """L[ρ] without forming the superoperator: O(#nodes · #couplings · d³) time, O(d²) memory."""
        return self._act(rho, include_system_hamiltonian, adjoint=False)

    def apply_adjoint(
        self, x: np.ndarray, *, include_system_hamiltonian: bool = False
    ) -> np.ndarray:
        """L^†[X], the Hilbert–Schmidt adjoint (Heisenberg picture), matrix-free."""
        return self._act(x, include_system_hamiltonian, adjoint=True)

    def _act(self, rho: np.ndarray, with_h: bool, *, adjoint: bool) -> np.ndarray:
        rb = self.basis.to_energy(self._check_operator(rho))
        k, hc = self.decay_energy, self.coherent_energy
        sign = 1j if adjoint else -1j
        out = self._transition(rb, adjoint=adjoint) - 0.5 * (k @ rb + rb @ k)
        out += sign * (hc @ rb - rb @ hc)
        out *= self.rate
        if with_h:
            e = self.basis.energies
            out += sign * (e[:, None] - e[None, :]) * rb
        return self.basis.to_computational(out)

    def time_domain(
        self, *, epsilon: float, trotter_step: float | None = None, bohr_bound: float | None = None
    ) -> TimeDomainForm:
        """The quasi-local time-domain form the circuit back-end lowers (``build_time_domain``).

        Jumps L_mk = Σ_l w_ml e^{iHt_l} A_k e^{−iHt_l} and coherent term
        H̃ = α² Σ_j c_j e^{iHt_j} K e^{−iHt_j}, every time a multiple of one Trotter step. Supported:
        Scandi–Alhambra ``form="kms"``, CKG and DLL.

        Args:
            epsilon: target sup-norm accuracy of the transfer functions on the Bohr band.
            trotter_step: the common time unit h; default derived from ``epsilon``.
            bohr_bound: the Bohr band the grids must resolve; default 2Σ|c| of H.

        Returns:
            The ``TimeDomainForm``, with its error report in ``errors``.

        Raises:
            ValueError: for a generator without a time-domain lowering or bad arguments.

        References:
            physics.md §2.5 and §6; circuits.md §1.4.
        """
        return build_time_domain(self, epsilon=epsilon, trotter_step=trotter_step, bohr_bound=bohr_bound)

    def trace(self) -> float:
        """Tr L as a superoperator: α² (c(0, 0) Σ_k |Tr A_k|² − d Tr K) (−i[H, ·] is traceless)."""
        c00 = float(np.real(self.kernel.coefficients(np.zeros(()), np.zeros(()))))
        traces = np.einsum("kaa->k", self.couplings_energy)
        return self.rate * (c00 * float(np.sum(np.abs(traces) ** 2)) - self.dim * float(np.real(np.trace(self.decay_energy))))
