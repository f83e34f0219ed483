"""Transition maps: the matrix-free action T[X] = Σ_{r,k} J_rk X J_rk^† of a factorised kernel.

:class:`KernelFactor` is the low-rank factorisation of a kernel on the actual Bohr frequencies,
:class:`FactorisedTransition` applies it as two large matrix products per chunk of jumps, and
:class:`SparseTransition` applies Davies' secular kernel as a sparse superoperator.

References:
    docs/conventions.md (assembly in the energy basis).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ..memory import require_memory

__all__ = ["KernelFactor", "FactorisedTransition", "SparseTransition", "TRANSITION_CACHE_BYTES"]

#: Forward jump stacks of ``FactorisedTransition`` up to this size are kept between calls.
TRANSITION_CACHE_BYTES = 2 * 1024**3
# Working memory of one chunk of jumps (the jumps and the first product) in FactorisedTransition.
_CHUNK_BYTES = 256 * 1024**2


@dataclass(frozen=True, eq=False)
class KernelFactor:
    """A low-rank factorisation c(ν, ν′) e^{θ(ν+ν′)} ≈ Σ_r f_r(ν) conj(f_r(ν′)) on one Bohr set.

    Built by :meth:`TransitionKernel.factorise` from the kernel's quadrature nodes Φ(ν) =
    (√w_j e^{θν} F_j(ν))_j: with V the right singular vectors of Φ on the Bohr frequencies,
    f_r(ν) = Φ(ν)·v_r and the discarded part E(ν, ν′) = Σ_{r ≥ R} f_r(ν) conj(f_r(ν′)) is positive
    semidefinite, so |E(ν, ν′)| ≤ max_μ E(μ, μ) for every pair; ``bound`` is that maximum, taken
    over all distinct Bohr frequencies of the basis.

    Attributes:
        frame: θ; 0 for the generator itself, β/4 for its KMS-symmetrised form
            Γ^{−1/2}∘L∘Γ^{1/2} (whose kernel is e^{β(ν+ν′)/4} c(ν, ν′)).
        frequencies: the distinct Bohr frequencies, sorted, shape (m,).
        index: position of ν_ab in ``frequencies``, shape (d, d).
        values: f_r at ``frequencies``, shape (rank, m); real when c is real.
        scale: max_ν Σ_j w_j e^{2θν} |F_j(ν)|², the size of the kernel.
        bound: max over pairs of Bohr frequencies of the truncation error (absolute, rigorous
            relative to the nodes).
        sampled_error: max |c e^{θ(ν+ν′)} − Σ_r f_r f̄_r| against the closed-form coefficients on a
            grid of up to 64 × 64 Bohr-frequency pairs (nodes and truncation together).
        nodes: number of quadrature nodes before compression.

    References:
        Eckart & Young, Psychometrika 1, 211 (1936) (optimal truncation); docs/conventions.md
    """

    frame: float
    frequencies: np.ndarray
    index: np.ndarray
    values: np.ndarray
    scale: float
    bound: float
    sampled_error: float
    nodes: int

    @property
    def rank(self) -> int:
        return int(self.values.shape[0])

    def truncation_bounds(self) -> np.ndarray:
        """Bounds on |c e^{θ(ν+ν′)} − Σ_{r < R} f_r f̄_r| at every pair of Bohr frequencies, for R = 0 … rank.

        The discarded part Σ_{r ≥ R} f_r(ν) conj(f_r(ν′)), plus the part the factorisation itself
        dropped, is positive semidefinite, so its entries are bounded by its largest diagonal
        entry: at most max_ν Σ_{R ≤ r < rank} |f_r(ν)|² + ``bound``.
        """
        power = np.abs(self.values) ** 2
        suffix = np.cumsum(power[::-1], axis=0)[::-1]  # suffix[R] = Σ_{r ≥ R} |f_r|²
        return np.append(suffix.max(axis=1), 0.0) + self.bound

    def rank_for(self, rtol: float) -> int:
        """The smallest rank R ≥ 1 whose truncation bound is at most rtol · ``scale`` (``rank`` if none is)."""
        bounds = self.truncation_bounds()
        return next((r for r in range(1, self.rank) if bounds[r] <= rtol * self.scale), self.rank)

    def filter(self, r: int) -> np.ndarray:
        """f_r(ν_ab) as a (d, d) matrix."""
        return self.values[r][self.index]


@dataclass(frozen=True, eq=False)
class FactorisedTransition:
    """T[X] = Σ_{r,k} J_rk X J_rk^† with J_rk = f_r ∘ Ā_k, two matrix products per chunk of jumps.

    With the jumps of a chunk laid out side by side as Jt[c, j, a] = J_j[a, c] (shape (d, n, d)),
    W = X Jt̄ holds every X J_j^† at once and T[X] = Jt_{(c j), a}^T W_{(x j), a}: one (d × d)·(d × n d)
    and one (d × n d)·(n d × d) product, no d³ temporary. When the Hamiltonian and every coupling
    are real (or imaginary: J X J^† is blind to a phase) the jumps are real and the products run
    in real arithmetic on the real and imaginary parts of X, half the flops of complex products.
    The forward stack is kept when it fits in ``cache_bytes``; otherwise (and for the adjoint) each
    chunk is rebuilt per call, O(n·d²) next to its O(n·d³) products.

    With a symmetry group Z₂^m (``sectors``: the label A ∈ {0 … 2^m − 1} of every energy
    eigenvector; ``parities``: the label τ of every coupling, which maps sector B to B⊕τ) every
    J_rk has one non-zero block per sector, and ``group_apply`` maps the 2^m non-zero blocks of an
    X of definite parity with products of 1/2^m the size: 1/4^m of the flops of a full product
    (m = 1: a Z₂ Pauli string; m = 2: that string and the chain reflection).

    Attributes:
        factor: the kernel factorisation f_r.
        abar: the couplings Ā_k in the energy basis, shape (k, d, d).
        cache_bytes: largest forward stack kept between calls.
        sectors: symmetry sector (a bit string A, as an integer) of every energy eigenvector, or ``None``.
        parities: the parity τ of every coupling (bit i set: it anticommutes with generator i), or ``None``.
        rank_breaks: ranks R < ``factor.rank`` at which ``group_apply(..., rank=R)`` may truncate the
            kernel to its leading R terms (the block stacks are chunked there, so that the truncated
            product reads a prefix of them and copies nothing).

    References:
        docs/conventions.md (transition superoperator); Goto & van de Geijn, ACM TOMS 34, 12 (2008)
        (why one large product beats many small ones).
    """

    factor: KernelFactor
    abar: np.ndarray
    cache_bytes: int = TRANSITION_CACHE_BYTES
    sectors: np.ndarray | None = None
    parities: tuple[int, ...] | None = None
    rank_breaks: tuple[int, ...] = ()

    @cached_property
    def real(self) -> bool:
        """Whether every J_rk is real up to a phase (then the products run in real arithmetic)."""
        if np.iscomplexobj(self.factor.values):
            return False
        return all(bool(np.all(a.imag == 0) or np.all(a.real == 0)) for a in self.abar)

    @cached_property
    def _couplings(self) -> list[np.ndarray]:
        if not self.real:
            return list(self.abar)
        return [a.real.copy() if np.any(a.real) else a.imag.copy() for a in self.abar]

    @cached_property
    def _filters(self) -> list[np.ndarray]:
        return [self.factor.filter(r) for r in range(self.factor.rank)]

    @property
    def num_jumps(self) -> int:
        return self.factor.rank * len(self.abar)

    @property
    def _itemsize(self) -> int:
        return 8 if self.real else 16

    @cached_property
    def _chunks(self) -> list[list[tuple[int, int]]]:
        d = self.abar.shape[1]
        per_jump = 3 * d * d * self._itemsize  # the jump, and X J^† for the real and imaginary parts
        size = max(1, _CHUNK_BYTES // per_jump)
        pairs = [(r, k) for r in range(self.factor.rank) for k in range(len(self.abar))]
        return [pairs[i : i + size] for i in range(0, len(pairs), size)]

    def stack_bytes(self) -> int:
        """Bytes of the whole forward jump stack."""
        d = self.abar.shape[1]
        return self.num_jumps * d * d * self._itemsize

    def working_bytes(self) -> int:
        """Peak bytes of one call beyond the cached stack: filters, one chunk and its product, X and T[X]."""
        d = self.abar.shape[1]
        chunk = len(self._chunks[0]) * 3 * d * d * self._itemsize
        return chunk + self.factor.rank * d * d * 8 + 6 * d * d * 16

    def _chunk(self, pairs: list[tuple[int, int]], adjoint: bool) -> np.ndarray:
        """Jt[c, j, a] = J_j[a, c] for the jumps ``pairs`` (of J_j^† for the adjoint map)."""
        d = self.abar.shape[1]
        out = np.empty((d, len(pairs), d), dtype=np.float64 if self.real else complex)
        for j, (r, k) in enumerate(pairs):
            jump = self._filters[r] * self._couplings[k]
            # the adjoint map Σ J^† X J is the forward map of the jumps J^†
            out[:, j, :] = jump.conj() if adjoint else jump.T
        return out

    @cached_property
    def _stack(self) -> list[np.ndarray] | None:
        if self.stack_bytes() > self.cache_bytes:
            return None
        return [self._chunk(pairs, False) for pairs in self._chunks]

    @cached_property
    def group_order(self) -> int:
        """G = 2^m for the symmetry group Z₂^m whose labels ``sectors`` and ``parities`` carry (1 without one)."""
        if self.sectors is None or self.parities is None:
            return 1
        return 1 << int(max(int(np.max(self.sectors)), *self.parities)).bit_length()

    @cached_property
    def _sector_index(self) -> list[np.ndarray]:
        return [np.flatnonzero(self.sectors == s) for s in range(self.group_order)]

    @cached_property
    def _sector_ranks(self) -> list[tuple[int, int]]:
        """Rank ranges [r₀, r₁) of the chunks of every block stack: within the chunk budget, split at ``rank_breaks``."""
        index = self._sector_index
        largest = max(len(i) for i in index) ** 2 * 3 * self._itemsize
        per_term = largest * max(self.parities.count(t) for t in set(self.parities))
        terms = max(1, _CHUNK_BYTES // per_term)
        edges = sorted({0, self.factor.rank, *(r for r in self.rank_breaks if 0 < r < self.factor.rank)})
        return [(lo, min(lo + terms, hi)) for a, hi in zip(edges[:-1], edges[1:]) for lo in range(a, hi, terms)]

    @cached_property
    def _sector_stacks(self) -> dict[tuple[int, int], list[np.ndarray]]:
        """Jt of the blocks J_j[A, A⊕τ] for the jumps of parity τ, one chunk per rank range of ``_sector_ranks``."""
        if self.group_order == 1:
            raise ValueError("this transition map has no Z2 symmetry")
        require_memory(
            f"the symmetry-block stacks of {self.num_jumps} jumps",
            self.sector_stack_bytes() + self.working_bytes(),
            alternative="use the full-space product (Lindbladian.apply_symmetrized), which streams its jumps",
        )
        index = self._sector_index
        dtype = np.float64 if self.real else complex
        stacks: dict[tuple[int, int], list[np.ndarray]] = {}
        for tau in sorted(set(self.parities)):
            ks = [k for k, p in enumerate(self.parities) if p == tau]
            for a in range(self.group_order):
                rows, cols = index[a], index[a ^ tau]
                sub = np.ix_(rows, cols)
                # the coupling blocks transposed once; each jump block is then one elementwise product
                couplings = [np.ascontiguousarray(self._couplings[k][sub].T) for k in ks]
                chunks = []
                for lo, hi in self._sector_ranks:
                    out = np.empty((len(cols), (hi - lo) * len(ks), len(rows)), dtype=dtype)
                    for r in range(lo, hi):
                        f = np.ascontiguousarray(self._filters[r][sub].T)
                        for j, c in enumerate(couplings):
                            np.multiply(f, c, out=out[:, (r - lo) * len(ks) + j, :])
                    chunks.append(out)
                stacks[(tau, a)] = chunks
        return stacks

    def sector_stack_bytes(self, *, rank: int | None = None, single: bool = False) -> int:
        """Bytes of the block stacks of ``group_apply`` (1/G of the full stack for equal sectors).

        With ``rank`` and ``single``: of the single-precision copies of its leading ``rank`` terms.
        """
        sizes = [len(i) for i in self._sector_index]
        per_parity = {t: sum(sizes[a] * sizes[a ^ t] for a in range(self.group_order)) for t in set(self.parities)}
        terms = self.factor.rank if rank is None else rank
        return terms * sum(per_parity[t] for t in self.parities) * self._itemsize // (2 if single else 1)

    @cached_property
    def _single_stacks(self) -> dict[tuple[int, int], list[np.ndarray]]:
        """Single-precision copies of the block stacks, made chunk by chunk as ``group_apply`` first needs them."""
        return {key: [] for key in self._sector_stacks}

    def group_apply(
        self, blocks: tuple[np.ndarray, ...], *, parity: int, rank: int | None = None, single: bool = False
    ) -> tuple[np.ndarray, ...]:
        """T on an operator of parity π under the symmetry group Z₂^m, as its G non-zero blocks.

        Every eigenvector carries a sector label A ∈ Z₂^m (bit strings, XOR as the group law) and
        every jump a parity τ (it maps sector B to B⊕τ). X of parity π is non-zero only in the
        blocks (A, A⊕π), given in the order A = 0 … G−1; T keeps the parity and its output block
        (A, B) is Σ_τ Σ_{j of parity τ} J_j[A, A⊕τ] X[A⊕τ, B⊕τ] J_j[B, B⊕τ]^†: 2G products of
        (d/G)-sized blocks per jump instead of two of size d, 1/G² of the flops.

        Args:
            blocks: the G blocks of X.
            parity: π.
            rank: keep only the leading ``rank`` kernel terms (one of ``rank_breaks``; rank/R of the
                flops), for a cheaper approximate product; ``None`` for all of them.
            single: multiply in single precision (about half the time; relative error ~1e-6 instead
                of ~1e-15), on single-precision copies of the stacks kept after the first call.
        """
        stacks = self._sector_stacks
        ends = [hi for _, hi in self._sector_ranks]
        if rank is not None and rank not in ends:
            raise ValueError(f"rank must be one of rank_breaks {self.rank_breaks}, got {rank}")
        used = [i for i, hi in enumerate(ends) if hi <= (self.factor.rank if rank is None else rank)]
        if single:
            stacks = self._single_stacks
            if len(stacks[next(iter(stacks))]) < len(used):
                require_memory(
                    f"single-precision copies of {ends[len(used) - 1]} kernel terms of the symmetry-block stacks",
                    self.sector_stack_bytes(rank=ends[len(used) - 1], single=True),
                    alternative="use the double-precision product (single=False)",
                )
                for key, chunks in stacks.items():
                    chunks += [c.astype(np.complex64 if np.iscomplexobj(c) else np.float32) for c in self._sector_stacks[key][len(chunks) : len(used)]]
        keys = [(a, a ^ parity) for a in range(self.group_order)]
        given = dict(zip(keys, blocks))
        outs = []
        for a, b in keys:
            out = None
            for tau in sorted(set(self.parities)):
                x = given[(a ^ tau, b ^ tau)]
                for i in used:
                    term = self._sandwich(stacks[(tau, a)][i], stacks[(tau, b)][i], x)
                    out = term if out is None else out + term
            outs.append(out)
        return tuple(outs)

    def _sandwich(self, left: np.ndarray, right: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Σ_j L_j X R_j^† from Lt[c, j, y] = L_j[y, c] and Rt[c, j, a] = R_j[a, c] (3-D stacks)."""
        rows, n, out_rows = left.shape
        # explicit sizes: an empty symmetry sector gives zero-size stacks, which -1 cannot reshape
        rt = right.reshape(right.shape[0], n * right.shape[2])
        lt = left.reshape(rows * n, out_rows).T
        out_cols = right.shape[2]
        if not self.real:
            w = (np.ascontiguousarray(x.conj(), dtype=rt.dtype) @ rt).conj()
            return lt @ w.reshape(rows * n, out_cols)
        parts = [x] if np.isrealobj(x) else [x.real, x.imag]
        w = np.ascontiguousarray(np.vstack(parts), dtype=rt.dtype) @ rt
        outs = [lt @ w[i * rows : (i + 1) * rows].reshape(rows * n, out_cols) for i in range(len(parts))]
        return outs[0] if len(outs) == 1 else outs[0] + 1j * outs[1]

    def decay(self) -> np.ndarray:
        """K = Σ_{r,k} J_rk^† J_rk = T^†[I]: per chunk one (d × n d)·(n d × d) product.

        K[c, c′] = Σ_{j,a} conj(J_j[a, c]) J_j[a, c′] = (Jt̄ Jtᵀ)[c, c′] with Jt reshaped to (d, n d);
        half the flops of applying T^† to the identity. With symmetry sectors K is block diagonal
        (J_j maps sector B to B⊕τ, so J_j^†J_j maps B to itself):
        K[B, B] = Σ_τ Σ_{j of parity τ} J_j[B⊕τ, B]^† J_j[B⊕τ, B], one product of the stacked blocks
        per chunk, 1/G² of the flops.
        """
        if self.group_order > 1:
            return self._block_decay()
        stack = self._stack
        chunks = stack if stack is not None else (self._chunk(p, False) for p in self._chunks)
        d = self.abar.shape[1]
        out = np.zeros((d, d), dtype=np.float64 if self.real else complex)
        for jt in chunks:
            flat = jt.reshape(d, -1)
            out += flat.conj() @ flat.T
        return out

    def _block_decay(self) -> np.ndarray:
        """``decay`` from the blocks J_j[B⊕τ, B], stacked row-wise per chunk of rank terms."""
        d = self.abar.shape[1]
        out = np.zeros((d, d), dtype=np.float64 if self.real else complex)
        rank = self.factor.rank
        for b, cols in enumerate(self._sector_index):
            acc = np.zeros((len(cols), len(cols)), dtype=out.dtype)
            for tau in sorted(set(self.parities)):
                sub = np.ix_(self._sector_index[b ^ tau], cols)
                blocks = [self._couplings[k][sub] for k, p in enumerate(self.parities) if p == tau]
                terms = max(1, _CHUNK_BYTES // (len(blocks) * blocks[0].size * self._itemsize))
                for lo in range(0, rank, terms):
                    filters = [self._filters[r][sub] for r in range(lo, min(lo + terms, rank))]
                    stacked = np.concatenate([f * c for f in filters for c in blocks])
                    acc += stacked.conj().T @ stacked
            out[np.ix_(cols, cols)] = acc
        return out

    def jumps(self) -> list[np.ndarray]:
        """Every J_rk = f_r ∘ Ā_k, shape (k, d, d) per rank term."""
        return [f * self.abar for f in self._filters]

    def __call__(self, x: np.ndarray, *, adjoint: bool = False) -> np.ndarray:
        stack = None if adjoint else self._stack
        chunks = stack if stack is not None else (self._chunk(p, adjoint) for p in self._chunks)
        out = None
        for jt in chunks:
            term = self._sandwich(jt, jt, x)
            out = term if out is None else out + term
        return out


@dataclass(frozen=True, eq=False)
class SparseTransition:
    """T[ρ] through a sparse energy-basis superoperator (column-stacked vec order): Davies.

    Attributes:
        matrix: T (or its KMS-symmetrised form) as a sparse (d², d²) matrix.
        labels: Bohr-cluster label of every entry (a, c).
        rates: Ĉ(−ω̄) per cluster.
        abar: the couplings in the energy basis, shape (k, d, d).
    """

    matrix: sp.csr_matrix
    labels: np.ndarray
    rates: np.ndarray
    abar: np.ndarray

    def jumps(self) -> list[np.ndarray]:
        """√Ĉ(−ω̄) A_k(ω̄) for every Bohr cluster ω̄ with a non-zero rate, shape (k, d, d) each."""
        return [
            math.sqrt(rate) * np.where(self.labels == label, self.abar, 0.0)
            for label, rate in enumerate(self.rates)
            if rate > 0
        ]

    def __call__(self, rho: np.ndarray, *, adjoint: bool = False) -> np.ndarray:
        op = self.matrix.conj().T if adjoint else self.matrix
        d = rho.shape[0]
        return (op @ rho.reshape(-1, order="F")).reshape(d, d, order="F")
