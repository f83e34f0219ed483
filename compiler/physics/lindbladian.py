"""The ``Lindbladian`` object: a sampler generator α²(T − ½{K,·} − i[H_c,·]) built in the energy basis.

Besides the generator L it applies its KMS-symmetrised form Γ^{−1/2}∘L∘Γ^{1/2},
Γ^{1/2}(X) = σ^{1/4} X σ^{1/4}, which is Hermitian (for the Hilbert–Schmidt inner product) exactly
when L is KMS-detailed-balanced; the Krylov solvers of ``kmsgibbs.simulators.krylov`` run on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from qiskit.quantum_info import SparsePauliOp

from .._checks import DEFAULT_MAX_DENSE_BYTES
from .energy_basis import EnergyBasis
from ..finite import require_finite
from ..memory import memory_limit, require_memory
from .kernels import SecularKernel, TransitionKernel
from .kms_form import KmsSymmetrizedForm
from .symmetry import z2_symmetry
from .time_domain import TimeDomainForm, build_time_domain
from .transitions import TRANSITION_CACHE_BYTES, FactorisedTransition, SparseTransition

__all__ = ["Lindbladian"]

# Working arrays alive at once while the dense superoperator is assembled and rotated.
_SUPEROPERATOR_COPIES = 4
# The energy-basis superoperator is kept between calls up to this size (n <= 6).
_DENSE_CACHE_BYTES = 512 * 1024**2
# Lamb shifts of master_equations contract d³ tensors (about this many complex copies at once).
_LAMB_SHIFT_COPIES = 4
_BASES = ("computational", "energy")


@dataclass(frozen=True, eq=False)
class Lindbladian(KmsSymmetrizedForm):
    """A Gibbs-sampler generator in GKS form, L = α² (T − ½{K, ·} − i[H_c, ·]).

    T and K come from a :class:`~kmsgibbs.compiler.kernels.TransitionKernel` and the couplings
    A_k (docs/conventions.md); H_c is the coherent term (the KMS tanh term, a physical Lamb shift, or
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
    def symmetry(self) -> tuple[SparsePauliOp, tuple[int, ...]] | None:
        """A Z₂ symmetry P ∈ {X^⊗n, Z^⊗n, Y^⊗n (n even)} of the generator and the parity of each A_k.

        P qualifies when it commutes with H and every coupling commutes (parity 0) or anticommutes
        (parity 1) with it; then L maps the even operators (PXP = X) and the odd ones (PXP = −X) to
        themselves and each sector costs a quarter of a full product (``apply_symmetrized_sector``).
        ``None`` when no such string exists.
        """
        return z2_symmetry(self.hamiltonian, self.couplings)

    @cached_property
    def basis(self) -> EnergyBasis:
        """The energy basis of H (dense diagonalisation, computed on first use), sector-adapted when ``symmetry`` exists."""
        sym = self.symmetry
        return EnergyBasis.from_operator(self.hamiltonian, max_bytes=self.max_bytes, symmetry=sym[0] if sym else None)

    @cached_property
    def coherent_energy(self) -> np.ndarray:
        """H_c in the energy basis, without the α² factor."""
        if self.coherent is None:
            return np.zeros((self.dim, self.dim), dtype=complex)
        if self.parameters.get("lamb_shift"):
            # master_equations contracts the Lamb-shift coefficients as d³ tensors
            require_memory(
                f"the Lamb shift of a {self.num_qubits}-qubit generator",
                _LAMB_SHIFT_COPIES * 16 * self.dim**3,
                alternative="build the generator with lamb_shift=False (the KMS forms do not need it)",
            )
        out = self.coherent(self)
        require_finite("the coherent term H_c", out)
        return out

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
        n, d = self.num_qubits, self.dim
        require_memory(
            f"the {len(self.couplings)} couplings of a {n}-qubit generator in the energy basis",
            (len(self.couplings) + 2) * 16 * d * d,
            alternative="use fewer coupling operators or the time-domain compiler (compile_sampler)",
        )
        return np.stack([_to_energy(self.basis, a) for a in self.couplings])

    @cached_property
    def decay_energy(self) -> np.ndarray:
        """K̄ = T^†[I] = Σ_k Σ_{ν,ν′} c(ν, ν′) A_k(ν′)^† A_k(ν) in the energy basis, without α².

        Computed from the same (factorised or sparse) transition map as T itself, so that
        Tr T[ρ] = Tr K ρ holds to rounding; no d³ array is formed.
        """
        t = self._transition
        k = t.decay() if isinstance(t, FactorisedTransition) else t(np.eye(self.dim), adjoint=True)
        k = 0.5 * (k + k.conj().T)
        require_finite("the decay operator K", k)
        return k

    @cached_property
    def _transition(self) -> FactorisedTransition | SparseTransition:
        return self._transition_map(0.0)

    def _transition_map(self, frame: float) -> FactorisedTransition | SparseTransition:
        """T (frame 0) or its KMS-symmetrised form Γ^{−1/2}∘T∘Γ^{1/2} (frame β/4), matrix-free."""
        abar = self.couplings_energy
        if isinstance(self.kernel, SecularKernel):
            matrix = self.kernel.sparse_transition(self.basis, abar)
            if frame:
                coo = matrix.tocoo()
                e, d = self.basis.energies, self.dim
                # T[(a,b),(c,dd)] · e^{θ(ν_ac + ν_bdd)}, from the energies (no ratio of tiny weights)
                shift = (e[coo.row % d] + e[coo.row // d]) - (e[coo.col % d] + e[coo.col // d])
                matrix = sp.csr_matrix((coo.data * np.exp(frame * shift), (coo.row, coo.col)), shape=coo.shape)
            labels, rates = self.kernel.cluster_rates(self.basis)
            return SparseTransition(matrix, labels, rates, abar)
        factor = self.kernel.factorise(self.basis, frame=frame)
        cache = min(TRANSITION_CACHE_BYTES, memory_limit() // 4)
        sym = self.symmetry
        transition = FactorisedTransition(
            factor, abar, cache_bytes=cache, sectors=self.basis.sectors, parities=sym[1] if sym else None
        )
        stack = transition.stack_bytes() if transition.stack_bytes() <= cache else 0
        require_memory(
            f"the matrix-free generator of {self.num_qubits} qubits ({transition.num_jumps} jumps)",
            stack + transition.working_bytes(),
            alternative="use fewer coupling operators or the time-domain compiler (compile_sampler)",
        )
        return transition

    @property
    def kernel_error(self) -> float:
        """Relative error of the factorised transition kernel: max(bound, sampled error)/scale.

        The bound is rigorous relative to the quadrature nodes (see ``KernelFactor``); the sampled
        error compares with the closed-form coefficients. Zero for Davies (applied exactly).
        """
        factor = getattr(self._transition, "factor", None)
        if factor is None:
            return 0.0
        return max(factor.bound, factor.sampled_error) / factor.scale

    @cached_property
    def _effective(self) -> np.ndarray:
        """G = ½K + iH_c, so that L[ρ] = α²(T[ρ] − Gρ − ρG^†)."""
        return 0.5 * self.decay_energy + 1j * self.coherent_energy

    def without_coherent_term(self) -> Lindbladian:
        """The same dissipator with H_c = 0 (to show what the coherent term does)."""
        bare = dataclasses.replace(self, coherent=None, parameters={**self.parameters, "coherent_term": False})
        for cached in ("basis", "couplings_energy", "decay_energy", "_transition", "_kms_transition"):
            if cached in self.__dict__:  # share what was already computed
                bare.__dict__[cached] = self.__dict__[cached]
        return bare

    def gibbs_state(self, *, basis: str = "computational") -> np.ndarray:
        """σ_β = e^{−βH}/Z as a (d, d) array, in the computational or the energy basis."""
        diag = np.diag(self.basis.gibbs_weights(self.beta)).astype(complex)
        return self.basis.to_computational(diag) if _check_basis(basis) == "computational" else diag

    def coherent_term(self) -> np.ndarray:
        """α² H_c in the computational basis (the Hamiltonian part added to −i[H, ·])."""
        return self.rate * self.basis.to_computational(self.coherent_energy)

    def decay_operator(self) -> np.ndarray:
        """α² K = α² Σ_j L_j^† L_j in the computational basis."""
        return self.rate * self.basis.to_computational(self.decay_energy)

    def jump_operators(self) -> list[np.ndarray]:
        """Dense jump operators L_j (computational basis) with α² T[ρ] = Σ_j L_j ρ L_j^†.

        For factorised kernels these are α (f_r ∘ Ā_k) for the rank terms f_r of the compressed
        kernel (one per coupling for DLL and for Scandi–Alhambra at T = 0); for Davies, one jump per
        coupling and Bohr cluster. Meant for small systems.
        """
        out = []
        for stack in self._transition.jumps():
            out.extend(self.coupling * self.basis.to_computational(j) for j in stack)
        return out

    @cached_property
    def _dense_energy(self) -> np.ndarray:
        """α²(T − G· − ·G^†) as a dense energy-basis (d², d²) matrix (closed-form kernel)."""
        d = self.dim
        abar = self.couplings_energy
        pairs = np.einsum("kac,kbd->acbd", abar, abar.conj(), optimize=True)
        pairs *= self.kernel.transition_tensor(self.basis)
        sup = np.ascontiguousarray(pairs.transpose(2, 0, 3, 1).reshape(d * d, d * d))
        del pairs
        eye = np.eye(d)
        g = self._effective
        sup -= np.kron(eye, g) + np.kron(g.conj(), eye)
        sup *= self.rate
        require_finite(f"the superoperator of {self.num_qubits} qubits", sup)
        return sup

    def superoperator(
        self,
        *,
        include_system_hamiltonian: bool = False,
        basis: str = "computational",
        max_bytes: int = DEFAULT_MAX_DENSE_BYTES,
    ) -> np.ndarray:
        """The dense (d², d²) superoperator, column-stacked vec convention.

        The energy-basis matrix is built once from the closed-form kernel c(ν, ν′) and kept (up to
        512 MiB, n ≤ 6); each call copies it.

        Args:
            include_system_hamiltonian: add −i[H, ·].
            basis: ``"computational"`` or ``"energy"`` (vec of V^† ρ V).
            max_bytes: refuse when the assembly would need more memory than this.

        Raises:
            ValueError: for an unknown ``basis``.
            MemoryLimitError: for a system too large to hold d⁴ entries.
        """
        _check_basis(basis)
        d = self.dim
        nbytes = 16 * d**4
        if "_dense_energy" not in self.__dict__:
            what = f"the dense superoperator of {self.num_qubits} qubits ({d * d} x {d * d})"
            alternative = (
                "use Lindbladian.apply (matrix-free) or kmsgibbs.simulators.exact, which switches to it "
                "automatically"
            )
            # the per-call option has no size that always fits; the machine's limit does (n ≤ 6)
            require_memory(what, _SUPEROPERATOR_COPIES * nbytes, alternative=alternative, limit=max_bytes)
            require_memory(what, _SUPEROPERATOR_COPIES * nbytes, alternative=alternative, fits="n <= 6")
        sup = self._dense_energy
        if nbytes > _DENSE_CACHE_BYTES:
            del self.__dict__["_dense_energy"]
        sup = sup.copy()
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

    def apply(
        self, rho: np.ndarray, *, include_system_hamiltonian: bool = False, basis: str = "computational"
    ) -> np.ndarray:
        """L[ρ] without forming the superoperator.

        O(rank · #couplings · d³) time in two large matrix products per chunk of jumps (see
        ``FactorisedTransition``), O(d²) memory beyond the jump stack.

        Args:
            rho: a (d, d) operator in the given basis.
            include_system_hamiltonian: add −i[H, ρ].
            basis: ``"computational"`` or ``"energy"`` (ρ and the result are V^† · V).
        """
        return self._act(rho, include_system_hamiltonian, basis, adjoint=False)

    def apply_adjoint(
        self, x: np.ndarray, *, include_system_hamiltonian: bool = False, basis: str = "computational"
    ) -> np.ndarray:
        """L^†[X], the Hilbert–Schmidt adjoint (Heisenberg picture), matrix-free."""
        return self._act(x, include_system_hamiltonian, basis, adjoint=True)

    def _act(self, rho: np.ndarray, with_h: bool, basis: str, *, adjoint: bool) -> np.ndarray:
        energy = _check_basis(basis) == "energy"
        rho = self._check_operator(rho)
        rb = rho if energy else self.basis.to_energy(rho)
        g = self._effective
        if adjoint:  # L^†[X] = α²(T^†[X] − G^†X − XG)
            out = self._transition(rb, adjoint=True) - g.conj().T @ rb - rb @ g
        else:
            out = self._transition(rb) - g @ rb - rb @ g.conj().T
        out *= self.rate
        if with_h:
            sign = 1j if adjoint else -1j
            out += sign * self.basis.bohr * rb
        require_finite("Lindbladian.apply_adjoint" if adjoint else "Lindbladian.apply", out)
        return out if energy else self.basis.to_computational(out)

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
            docs/master_equations.md; docs/schemes.md
        """
        return build_time_domain(self, epsilon=epsilon, trotter_step=trotter_step, bohr_bound=bohr_bound)

    def trace(self) -> float:
        """Tr L as a superoperator: α² (c(0, 0) Σ_k |Tr A_k|² − d Tr K) (−i[H, ·] is traceless)."""
        c00 = float(np.real(self.kernel.coefficients(np.zeros(()), np.zeros(()))))
        traces = np.einsum("kaa->k", self.couplings_energy)
        return self.rate * (c00 * float(np.sum(np.abs(traces) ** 2)) - self.dim * float(np.real(np.trace(self.decay_energy))))


def _to_energy(basis: EnergyBasis, op: SparsePauliOp) -> np.ndarray:
    """V^† A V from A's sparse matrix: A V costs O(#terms · d²) and leaves one dense product, done in
    real arithmetic on the real and imaginary parts of A V when V is real (a Pauli string is real or imaginary)."""
    v = basis.vectors
    av = op.to_matrix(sparse=True) @ v
    if np.iscomplexobj(v):
        return v.conj().T @ av
    out = np.zeros((v.shape[1], v.shape[1]), dtype=complex)
    if np.any(av.real):
        out.real = v.T @ av.real
    if np.any(av.imag):
        out.imag = v.T @ av.imag
    return out


def _check_basis(basis: str) -> str:
    if basis not in _BASES:
        raise ValueError(f"basis must be 'computational' or 'energy', got {basis!r}")
    return basis
