"""The KMS-symmetrised generator split by the symmetries of the model: a Z₂ Pauli string and the chain reflection.

S = Γ^{−1/2}∘L∘Γ^{1/2} commutes with every unitary symmetry U of H that maps the coupling set onto
itself up to signs (U A_k U^† = ±A_π(k)): the transition map Σ_k J_k X J_k^† is unchanged by the
relabelling, and K, the KMS coherent term and σ commute with U. Two such symmetries are used:

* a Z₂ Pauli string P (``Lindbladian.symmetry``), whose sectors the energy basis is adapted to;
* the reflection R of the chain, site i ↦ n − 1 − i (a qubit permutation), when H and the couplings
  are mirror symmetric; the energy basis is rotated within its degenerate levels so that R is
  diagonal (±1) in it (``chain_reflection``).

Together they form Z₂^m (m ≤ 2): every eigenvector carries a sector label A (bit 0: P = −1, bit 1:
R = −1). The couplings are replaced by the orthogonal combinations (A_k ± A_R(k))/√2, each of
definite parity τ, which leaves Σ_k A_k ⊗ Ā_k and hence T unchanged. An operator X of parity π is
non-zero only in the blocks (A, A⊕π) and S maps it to the same blocks
(``FactorisedTransition.group_apply``): with m = 2 one product over all four parities costs half of
one over the two P-sectors, and a quarter of the vectors' entries per parity.

References:
    docs/conventions.md; Carlen & Maas, J. Funct. Anal. 273, 1810 (2017) (KMS symmetry).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler import Lindbladian
from kmsgibbs.compiler.finite import require_finite
from kmsgibbs.compiler.kernels import FactorisedTransition, SecularKernel
from kmsgibbs.compiler.memory import memory_limit

__all__ = ["SymmetrySectors", "symmetry_sectors", "chain_reflection", "WARM_START_RTOL"]

_BUILT: weakref.WeakKeyDictionary[Lindbladian, SymmetrySectors | None] = weakref.WeakKeyDictionary()

# Largest entry, relative to the largest one, that a coupling may have outside the blocks its
# parity allows; above it (R mixes degenerate levels of the energy basis) the reflection is not used.
_BLOCK_TOLERANCE = 1e-10
# Levels closer than this (relative to the spectral spread) count as one degenerate level.
_DEGENERACY = 1e-12
#: Truncation error, relative to the kernel's scale, of the cheaper product ``SymmetrySectors.apply(..., rank=warm_rank)``
#: that the Lanczos gap uses to find its start vectors (rank 11 of 25 for the Gaussian band at T = 1): the
#: rounding of its single-precision arithmetic, so that neither error dominates.
WARM_START_RTOL = 1e-6


def _same(a: SparsePauliOp, b: SparsePauliOp) -> bool:
    return bool(np.all(np.abs((a - b).simplify(atol=1e-12).coeffs) <= 1e-12))


def chain_reflection(
    lind: Lindbladian,
) -> tuple[np.ndarray, list[tuple[int, int, int]], tuple[tuple[np.ndarray, np.ndarray], ...]] | None:
    """The chain reflection R (qubit i ↦ n − 1 − i) in the energy basis, and the coupling pairs.

    R commutes with H, so V^† R V is block diagonal over the degenerate levels of each Z₂ sector;
    an orthogonal rotation W within each degenerate block (levels closer than
    ``_DEGENERACY × max(1, spread)``, where the energies agree to rounding and W changes no
    Bohr frequency) makes it diagonal. Returns ``None`` unless R H R = H, every coupling is mapped to
    ± another one, and W^† V^† R V W is diagonal to ``_BLOCK_TOLERANCE``. Otherwise returns the
    signs r_a = ±1 (R = diag(r) in the rotated basis), the triples (k, l, s) with R A_k R = s A_l,
    k ≤ l, and the rotation as (levels, W block) pairs.
    """
    n = lind.num_qubits
    if n < 2:
        return None
    layout = list(range(n))[::-1]
    if not _same(lind.hamiltonian.apply_layout(layout), lind.hamiltonian):
        return None
    pairs, taken = [], set()
    for k, a in enumerate(lind.couplings):
        mirrored = a.apply_layout(layout)
        match = next(
            ((l, s) for l, b in enumerate(lind.couplings) for s in (1, -1) if _same(mirrored, s * b)), None
        )
        if match is None:
            return None
        if k <= match[0]:
            pairs.append((k, match[0], match[1]))
        taken.add(match[0])
    if len(taken) != len(lind.couplings):
        return None
    d = lind.dim
    index = np.arange(d)
    reversed_bits = np.zeros(d, dtype=int)
    for i in range(n):
        reversed_bits |= ((index >> i) & 1) << (n - 1 - i)
    basis = lind.basis
    v = basis.vectors
    r_energy = v.conj().T @ v[reversed_bits]  # V^† R V, R|x⟩ = |reverse(x)⟩
    sectors = np.zeros(d, dtype=int) if basis.sectors is None else basis.sectors
    tolerance = _DEGENERACY * max(1.0, basis.spread)
    rotation = []
    for sector in np.unique(sectors):
        levels = np.flatnonzero(sectors == sector)  # ascending energies
        cuts = np.flatnonzero(np.diff(basis.energies[levels]) > tolerance) + 1
        for group in np.split(levels, cuts):
            if len(group) > 1:
                block = r_energy[np.ix_(group, group)]
                rotation.append((group, np.linalg.eigh(0.5 * (block + block.conj().T))[1]))
    r_energy = _rotated(r_energy, rotation)
    signs = np.sign(np.real(np.diag(r_energy)))
    if np.any(signs == 0) or np.max(np.abs(r_energy - np.diag(signs))) > _BLOCK_TOLERANCE:
        return None
    return signs, pairs, tuple(rotation)


def _rotated(matrix: np.ndarray, rotation, *, inverse: bool = False) -> np.ndarray:
    """W^† M W (or W M W^† with ``inverse``) for the block-diagonal rotation W, touching only its blocks."""
    out = np.array(matrix, copy=True)
    for group, w in rotation:
        w = w.conj().T if inverse else w
        out[..., :, group] = out[..., :, group] @ w
        out[..., group, :] = w.conj().T @ out[..., group, :]
    return out


@dataclass(frozen=True, eq=False)
class SymmetrySectors:
    """S = Γ^{−1/2}∘L∘Γ^{1/2} on the parity sectors of a symmetry group Z₂^m of the generator.

    Attributes:
        rate: α², the factor in front of the generator.
        labels: sector label A of every energy eigenvector (bit 0: the Pauli string, bit 1: the reflection).
        transition: T̃ (kernel e^{β(ν+ν′)/4} c(ν, ν′)) on the parity-adapted couplings.
        generators: what the bits of a label stand for, e.g. ``("XXXXXXXX", "reflection")``.
        effective: the diagonal blocks G̃[A, A] of G̃ = σ^{−1/4}(½K + iH_c)σ^{1/4} .
        rotation: the rotation W within degenerate levels that makes the reflection diagonal, as
            (levels, block) pairs; the sectors' basis is V W (V the generator's energy basis).
        warm_rank: the leading kernel terms of the cheaper product ``apply(..., rank=warm_rank)``
            (truncation error ≤ ``WARM_START_RTOL`` relative), or ``None`` when it would not be cheaper.
        single: whether that cheaper product may run in single precision, i.e. whether the
            single-precision copies of its stacks fit in the memory the stacks may take.
    """

    rate: float
    labels: np.ndarray
    transition: FactorisedTransition
    generators: tuple[str, ...]
    effective: tuple[np.ndarray, ...]
    rotation: tuple[tuple[np.ndarray, np.ndarray], ...] = ()
    warm_rank: int | None = None
    single: bool = False

    @property
    def order(self) -> int:
        """G = 2^m, the number of sectors and of parities."""
        return self.transition.group_order

    @cached_property
    def index(self) -> list[np.ndarray]:
        """Energy eigenvectors of each sector."""
        return [np.flatnonzero(self.labels == a) for a in range(self.order)]

    @property
    def real(self) -> bool:
        """Whether S maps real blocks to real blocks (then the Krylov methods run in real arithmetic)."""
        return self.transition.real and all(np.isrealobj(g) for g in self.effective)

    def shapes(self, parity: int) -> list[tuple[int, int]]:
        """Shapes of the blocks (A, A⊕π), A = 0 … G−1, of an operator of parity π."""
        return [(len(self.index[a]), len(self.index[a ^ parity])) for a in range(self.order)]

    def size(self, parity: int) -> int:
        """Entries of an operator of parity π."""
        return sum(r * c for r, c in self.shapes(parity))

    def gather(self, matrix: np.ndarray, parity: int) -> np.ndarray:
        """The entries of a (d, d) energy-basis matrix in the blocks of parity π, as one flat vector."""
        matrix = _rotated(matrix, self.rotation)
        return np.concatenate([matrix[np.ix_(self.index[a], self.index[a ^ parity])].ravel() for a in range(self.order)])

    def scatter(self, vector: np.ndarray, parity: int) -> np.ndarray:
        """The (d, d) matrix whose blocks of parity π hold ``vector`` (zero elsewhere)."""
        d = self.labels.size
        out = np.zeros((d, d), dtype=vector.dtype)
        for a, block in enumerate(self.split(vector, parity)):
            out[np.ix_(self.index[a], self.index[a ^ parity])] = block
        return _rotated(out, self.rotation, inverse=True)

    def split(self, vector: np.ndarray, parity: int) -> list[np.ndarray]:
        """The blocks (A, A⊕π), A = 0 … G−1, of a flat vector of parity π (views, no copy)."""
        blocks, start = [], 0
        for r, c in self.shapes(parity):
            blocks.append(vector[start : start + r * c].reshape(r, c))
            start += r * c
        return blocks

    @cached_property
    def _single_effective(self) -> tuple[np.ndarray, ...]:
        return tuple(g.astype(np.complex64 if np.iscomplexobj(g) else np.float32) for g in self.effective)

    def apply(self, vector: np.ndarray, parity: int, *, rank: int | None = None, single: bool = False) -> np.ndarray:
        """S on an operator of parity π given by ``gather``: α²(T̃[X]_AB − G̃_AA X_AB − X_AB G̃_BB).

        With ``rank`` (``warm_rank``) T̃ keeps only its leading kernel terms: an approximate product
        (error at most ``WARM_START_RTOL`` relative in every kernel entry) for rank/R of the flops.
        With ``single`` every product runs in single precision (about half the time, relative error
        ~1e-6); the result is returned in double precision.
        """
        g = self._single_effective if single else self.effective
        blocks = self.split(vector.astype(np.complex64 if np.iscomplexobj(vector) else np.float32) if single else vector, parity)
        outs = []
        transitions = self.transition.group_apply(tuple(blocks), parity=parity, rank=rank, single=single)
        for a, x, t in zip(range(self.order), blocks, transitions):
            y = t - g[a] @ x - x @ g[a ^ parity]
            if np.isrealobj(x) and self.real:
                y = y.real  # exact: every factor is real
            outs.append(y.ravel())
        out = np.concatenate(outs)
        out = self.rate * (out.astype(np.promote_types(out.dtype, np.float64)) if single else out)
        require_finite("the symmetry-sector product", out)
        return out


def symmetry_sectors(lind: Lindbladian) -> SymmetrySectors | None:
    """The sectors of ``lind``'s Z₂ string and chain reflection, or ``None`` when neither applies.

    ``None`` also for a kernel that is not factorised (Davies) and when the block stacks would not
    fit in a third of the memory limit (the full-space product streams its jumps instead); the
    single-precision copies of the cheap product's stacks are made only if they fit there too. Kept
    per generator while it lives, so that gap, evolution and steady state share one set of stacks.
    """
    if lind not in _BUILT:
        _BUILT[lind] = _build(lind)
    return _BUILT[lind]


def _build(lind: Lindbladian) -> SymmetrySectors | None:
    if isinstance(lind.kernel, SecularKernel):
        return None
    pauli = lind.symmetry
    labels = np.zeros(lind.dim, dtype=int) if pauli is None else lind.basis.sectors.astype(int)
    parities = [0] * len(lind.couplings) if pauli is None else list(pauli[1])
    generators = () if pauli is None else (str(pauli[0].paulis[0]),)
    couplings = lind.couplings_energy
    rotation = ()
    mirrored = _reflected(lind, labels, parities, len(generators))
    if mirrored is not None:
        labels, couplings, parities, rotation = mirrored
        generators = (*generators, "reflection")
    if not generators:
        return None
    factor = lind.kernel.factorise(lind.basis, frame=lind.beta / 4)
    warm = factor.rank_for(WARM_START_RTOL)
    warm_rank = warm if warm < factor.rank else None
    transition = FactorisedTransition(
        factor, couplings, sectors=labels, parities=tuple(parities), rank_breaks=(warm,) if warm_rank else ()
    )
    room = memory_limit() // 3 - transition.sector_stack_bytes() - transition.working_bytes()
    if room < 0:
        return None
    single = transition.sector_stack_bytes(rank=warm, single=True) <= room
    effective = _effective_blocks(lind, labels, transition.group_order, rotation)
    return SymmetrySectors(lind.rate, labels, transition, generators, effective, rotation, warm_rank, single)


def _effective_blocks(lind: Lindbladian, labels: np.ndarray, order: int, rotation) -> tuple[np.ndarray, ...]:
    """Diagonal blocks of the Hermitian G̃ = σ^{−1/4}(½K + iH_c)σ^{1/4} per sector (it commutes with the symmetries).

    G̃_ab = e^{βν_ab/4} G_ab; its entries with ν_ab ≤ 0 carry a factor ≤ 1 and keep their relative
    accuracy, so the other half is taken as their conjugate (as ``Lindbladian.apply_symmetrized``).
    """
    bohr = lind.basis.bohr
    g = np.exp(lind.beta * bohr / 4) * (0.5 * lind.decay_energy + 1j * lind.coherent_energy)
    strict = np.where(bohr < 0, g, 0.0)
    herm = strict + strict.conj().T + np.where(bohr == 0, 0.5 * (g + g.conj().T), 0.0)
    if not np.any(herm.imag):
        herm = herm.real
    herm = _rotated(herm, rotation)
    return tuple(herm[np.ix_(i, i)] for i in (np.flatnonzero(labels == a) for a in range(order)))


def _reflected(
    lind: Lindbladian, labels: np.ndarray, parities: list[int], bit_index: int
) -> tuple[np.ndarray, np.ndarray, list[int], tuple] | None:
    """Labels, couplings (A_k ± A_R(k))/√2, parities and basis rotation with the reflection as bit ``bit_index``.

    ``None`` when there is no reflection symmetry or a combination has entries outside its blocks
    beyond rounding (R mixes degenerate levels of the energy basis).
    """
    mirror = chain_reflection(lind)
    if mirror is None:
        return None
    signs, pairs, rotation = mirror
    abar = _rotated(lind.couplings_energy, rotation) if rotation else lind.couplings_energy
    bit = 1 << bit_index
    labels = labels + bit * (signs < 0)
    couplings, taus = [], []
    for k, l, s in pairs:
        if k == l:  # R A_k R = s A_k: a parity of its own
            couplings.append(abar[k].copy())
            taus.append(parities[k] + (bit if s < 0 else 0))
            continue
        couplings += [(abar[k] + s * abar[l]) / math.sqrt(2), (abar[k] - s * abar[l]) / math.sqrt(2)]
        taus += [parities[k], parities[k] + bit]
    # R is diagonal only to rounding: the entries outside each coupling's blocks are rounding and dropped
    scale = max(float(np.max(np.abs(c))) for c in couplings)
    outside = {tau: (labels[:, None] ^ labels[None, :]) != tau for tau in set(taus)}
    for c, tau in zip(couplings, taus):
        if np.max(np.abs(c[outside[tau]]), initial=0.0) > _BLOCK_TOLERANCE * scale:
            return None
        c[outside[tau]] = 0.0
    couplings = np.stack(couplings)
    return labels, couplings, taus, rotation
