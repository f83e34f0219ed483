"""Transition kernels c(ν, ν′) of GKS-form dissipators, in dense and factorised form.

A dissipator built from Hermitian couplings A_k and a kernel c reads, in the energy basis,

    T[ρ] = Σ_k Σ_{ν,ν′} c(ν, ν′) A_k(ν) ρ A_k(ν′)^†,   K = Σ_k Σ_{ν,ν′} c(ν, ν′) A_k(ν′)^† A_k(ν),
    D[ρ] = T[ρ] − ½{K, ρ}                                             (physics.md §7.3-7.4)

with ν the Bohr frequency of the left factor (A(ν) raises the energy by ν). Every kernel has

* ``coefficients(nu, nup)``: c evaluated elementwise (closed form, used by the dense builders);
* ``nodes(basis)``: a factorisation c(ν, ν′) ≈ Σ_j w_j F_j(ν) conj(F_j(ν′)), w_j ≥ 0, accurate to
  ~1e-14 relative, so that T[ρ] = Σ_{j,k} w_j (F_j∘Ā_k) ρ (F_j∘Ā_k)^† costs O(#nodes·#k·d³) and
  never forms a d⁴ array (matrix-free ``Lindbladian.apply``).

``factorise(basis)`` compresses the nodes to the numerical rank of c on the actual Bohr frequencies
(an SVD; the error is bounded, see :class:`KernelFactor`), and :class:`FactorisedTransition` applies
the result as two large matrix products per chunk of jumps (physics.md §7.4).

Only Davies, whose kernel is a Kronecker delta in ν − ν′, is not factorised; it is applied as a
sparse superoperator instead.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .._quadrature import composite_gauss_legendre
from ..finite import require_finite
from ..memory import require_memory
from .energy_basis import EnergyBasis

__all__ = [
    "KernelFactor",
    "FactorisedTransition",
    "TransitionKernel",
    "GaussianBandKernel",
    "SmoothedBandKernel",
    "RankOneKernel",
    "SecularKernel",
    "SparseTransition",
]

RealFunction = Callable[[np.ndarray], np.ndarray]

# Tails of Gaussian weights are cut at this many standard deviations.
_CUT = 9.0
#: Relative accuracy of ``TransitionKernel.factorise``: the compressed kernel differs from the
#: quadrature nodes by at most this times max_ν c(ν, ν) at every pair of Bohr frequencies.
FACTOR_RTOL = 1e-14
#: Forward jump stacks of ``FactorisedTransition`` up to this size are kept between calls.
TRANSITION_CACHE_BYTES = 2 * 1024**3
# Working memory of one chunk of jumps (the jumps and the first product) in FactorisedTransition.
_CHUNK_BYTES = 256 * 1024**2
# Frequencies the compression SVD is computed on (a subsample when there are more Bohr
# frequencies; the error bound is then checked on all of them).
_SVD_SAMPLES = 8192
_FREQUENCY_CHUNK = 1 << 15


def _evaluate_on_unique(func: RealFunction, x: np.ndarray) -> np.ndarray:
    """func(x) through np.unique: the expensive numerical functions see each value once."""
    values, inverse = np.unique(x, return_inverse=True)
    return func(values)[inverse].reshape(x.shape)


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
        Eckart & Young, Psychometrika 1, 211 (1936) (optimal truncation); physics.md §7.4.
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

    def filter(self, r: int) -> np.ndarray:
        """f_r(ν_ab) as a (d, d) matrix."""
        return self.values[r][self.index]


class TransitionKernel(ABC):
    """A transition coefficient function c(ν, ν′) shared by all (identical, independent) channels."""

    @abstractmethod
    def coefficients(self, nu: np.ndarray, nup: np.ndarray) -> np.ndarray:
        """c(ν, ν′) elementwise, with NumPy broadcasting."""

    @abstractmethod
    def node_values(self, frequencies: np.ndarray, *, spread: float) -> tuple[np.ndarray, np.ndarray]:
        """Weights w_j ≥ 0 and values F[j, i] = F_j(frequencies[i]) with c ≈ Σ_j w_j F_j(ν) conj(F_j(ν′)).

        Args:
            frequencies: Bohr frequencies, shape (m,).
            spread: E_max − E_min of the Hamiltonian (every Bohr frequency is within ±spread).
        """

    def nodes(self, basis: EnergyBasis) -> tuple[np.ndarray, list[np.ndarray]]:
        """Weights w_j and filter matrices F_j(ν_ab) with c ≈ Σ_j w_j F_j(ν) conj(F_j(ν′))."""
        weights, values = self.node_values(basis.bohr.ravel(), spread=basis.spread)
        return weights, [v.reshape(basis.bohr.shape).astype(complex) for v in values]

    def transition_tensor(self, basis: EnergyBasis) -> np.ndarray:
        """c(ν_ac, ν_bd) as a real/complex array indexed ``[a, c, b, d]`` (d⁴ entries)."""
        bohr = basis.bohr
        return self.coefficients(bohr[:, :, None, None], bohr[None, None, :, :])

    def decay_tensor(self, basis: EnergyBasis) -> np.ndarray:
        """c(ν_ac, ν_ad) indexed ``[a, c, d]``: K_dc = Σ_k Σ_a conj(Ā_ad) Ā_ac c(ν_ac, ν_ad)."""
        bohr = basis.bohr
        return self.coefficients(bohr[:, :, None], bohr[:, None, :])

    def factorise(self, basis: EnergyBasis, *, frame: float = 0.0, rtol: float = FACTOR_RTOL) -> KernelFactor:
        """Compress the nodes to the numerical rank of c e^{θ(ν+ν′)} on the Bohr frequencies of ``basis``.

        With Φ(ν) = (√w_j e^{θν} F_j(ν))_j (real and imaginary parts side by side when c is real,
        so that the factors are real), the right singular vectors V of Φ give f_r = Φ v_r; the rank
        R is the smallest with max_ν Σ_{r ≥ R} |f_r(ν)|² ≤ rtol · max_ν ‖Φ(ν)‖², checked on every
        distinct Bohr frequency (see :class:`KernelFactor`).

        Args:
            basis: the energy basis whose Bohr frequencies the factorisation must serve.
            frame: θ (β/4 gives the kernel of the KMS-symmetrised generator).
            rtol: truncation error relative to max_ν c_θ(ν, ν).

        Returns:
            The factorisation with its rigorous truncation bound and a sampled total error.

        References:
            Eckart & Young, Psychometrika 1, 211 (1936); physics.md §7.4.
        """
        freqs, inverse = np.unique(basis.bohr, return_inverse=True)
        real = bool(np.isrealobj(self.coefficients(np.zeros(1), np.zeros(1))))

        def rows(sel: np.ndarray) -> np.ndarray:
            w, v = self.node_values(freqs[sel], spread=basis.spread)
            phi = (np.sqrt(w)[:, None] * v * np.exp(frame * freqs[sel])[None, :]).T
            require_finite("the quadrature nodes of the transition kernel", phi)
            if real and np.iscomplexobj(phi):
                phi = np.concatenate([phi.real, phi.imag], axis=1)
            return phi

        m = freqs.size
        sample = np.unique(np.linspace(0, m - 1, min(m, _SVD_SAMPLES)).round().astype(int))
        # the sampled rows span every Φ(ν) when the sample is all of them; otherwise the bound below
        # is still checked on every frequency
        _, _, vh = np.linalg.svd(rows(sample), full_matrices=False)
        v = vh.conj().T
        chunks = [np.arange(lo, min(lo + _FREQUENCY_CHUNK, m)) for lo in range(0, m, _FREQUENCY_CHUNK)]
        # tail[r] = max_ν Σ_{r' ≥ r} |f_r'(ν)|²: the diagonal of the discarded PSD part at rank r
        tail = np.zeros(v.shape[1] + 1)
        for sel in chunks:
            power = np.abs(rows(sel) @ v) ** 2
            suffix = np.cumsum(power[:, ::-1], axis=1)[:, ::-1]
            tail[:-1] = np.maximum(tail[:-1], suffix.max(axis=0))
        scale = float(tail[0])
        rank = max(1, int(np.argmax(tail <= rtol * scale)))
        values = np.concatenate([(rows(sel) @ v[:, :rank]).T for sel in chunks], axis=1)
        grid = np.unique(np.linspace(0, m - 1, min(m, 64)).round().astype(int))
        nu = freqs[grid]
        exact = self.coefficients(nu[:, None], nu[None, :]) * np.exp(frame * (nu[:, None] + nu[None, :]))
        approx = values[:, grid].T @ values[:, grid].conj()
        return KernelFactor(
            frame=float(frame),
            frequencies=freqs,
            index=inverse.reshape(basis.bohr.shape),
            values=values,
            scale=scale,
            bound=float(tail[rank]),
            sampled_error=float(np.max(np.abs(exact - approx))),
            nodes=int(len(self.node_values(freqs[:1], spread=basis.spread)[0])),
        )


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

    With a Z₂ symmetry (``sectors`` of the energy eigenvectors, ``parities`` of the couplings) every
    J_rk is block diagonal (parity 0) or block off-diagonal (parity 1), and ``sector_apply`` maps
    the two non-zero blocks of an even or odd X with products of half the size: a quarter of the
    flops of a full product.

    Attributes:
        factor: the kernel factorisation f_r.
        abar: the couplings Ā_k in the energy basis, shape (k, d, d).
        cache_bytes: largest forward stack kept between calls.
        sectors: Z₂ sector (0 or 1) of every energy eigenvector, or ``None``.
        parities: 0 (commutes with the symmetry) or 1 (anticommutes) per coupling, or ``None``.

    References:
        physics.md §7.4 (transition superoperator); Goto & van de Geijn, ACM TOMS 34, 12 (2008)
        (why one large product beats many small ones).
    """

    factor: KernelFactor
    abar: np.ndarray
    cache_bytes: int = TRANSITION_CACHE_BYTES
    sectors: np.ndarray | None = None
    parities: tuple[int, ...] | None = None

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
    def _sector_stacks(self) -> dict[tuple[int, int], list[np.ndarray]]:
        """Jt of the blocks J_j[A, A⊕τ] for the jumps of parity τ, chunked alike for A = 0, 1."""
        if self.sectors is None or self.parities is None:
            raise ValueError("this transition map has no Z₂ symmetry")
        require_memory(
            f"the Z2 block stacks of {self.num_jumps} jumps",
            self.sector_stack_bytes() + self.working_bytes(),
            alternative="use the full-space product (Lindbladian.apply_symmetrized), which streams its jumps",
        )
        index = [np.flatnonzero(self.sectors == s) for s in (0, 1)]
        itemsize = self._itemsize
        stacks: dict[tuple[int, int], list[np.ndarray]] = {}
        for tau in (0, 1):
            pairs = [(r, k) for r in range(self.factor.rank) for k, p in enumerate(self.parities) if p == tau]
            size = max(1, _CHUNK_BYTES // (3 * max(len(i) for i in index) ** 2 * itemsize))
            for a in (0, 1):
                rows, cols = index[a], index[a ^ tau]
                chunks = []
                for lo in range(0, len(pairs), size):
                    part = pairs[lo : lo + size]
                    out = np.empty((len(cols), len(part), len(rows)), dtype=np.float64 if self.real else complex)
                    sub = np.ix_(rows, cols)
                    for j, (r, k) in enumerate(part):
                        out[:, j, :] = (self._filters[r][sub] * self._couplings[k][sub]).T
                    chunks.append(out)
                stacks[(tau, a)] = chunks
        return stacks

    def sector_stack_bytes(self) -> int:
        """Bytes of the four block stacks of ``sector_apply`` (half the full stack)."""
        return self.stack_bytes() // 2

    def sector_apply(self, blocks: tuple[np.ndarray, np.ndarray], *, odd: bool) -> tuple[np.ndarray, np.ndarray]:
        """T on an operator of one Z₂ sector, given and returned as its two non-zero blocks.

        Even X: blocks (X₀₀, X₁₁); odd X: (X₀₁, X₁₀) (rows and columns in ``sectors`` order). Output
        block (A, B) = Σ_τ Σ_{j of parity τ} J_j[A, A⊕τ] X[A⊕τ, B⊕τ] J_j[B, B⊕τ]^†.
        """
        stacks = self._sector_stacks
        keys = [(0, 1), (1, 0)] if odd else [(0, 0), (1, 1)]
        given = dict(zip(keys, blocks))
        outs = []
        for a, b in keys:
            out = None
            for tau in (0, 1):
                x = given[(a ^ tau, b ^ tau)]
                for left, right in zip(stacks[(tau, a)], stacks[(tau, b)]):
                    term = self._sandwich(left, right, x)
                    out = term if out is None else out + term
            outs.append(out)
        return outs[0], outs[1]

    def _sandwich(self, left: np.ndarray, right: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Σ_j L_j X R_j^† from Lt[c, j, y] = L_j[y, c] and Rt[c, j, a] = R_j[a, c] (3-D stacks)."""
        rows, n, out_rows = left.shape
        rt = right.reshape(right.shape[0], -1)
        lt = left.reshape(rows * n, out_rows).T
        out_cols = right.shape[2]
        if not self.real:
            w = (np.ascontiguousarray(x.conj()) @ rt).conj()
            return lt @ w.reshape(rows * n, out_cols)
        parts = [x] if np.isrealobj(x) else [x.real, x.imag]
        w = np.ascontiguousarray(np.vstack(parts)) @ rt
        outs = [lt @ w[i * rows : (i + 1) * rows].reshape(rows * n, out_cols) for i in range(len(parts))]
        return outs[0] if len(outs) == 1 else outs[0] + 1j * outs[1]

    def decay(self) -> np.ndarray:
        """K = Σ_{r,k} J_rk^† J_rk = T^†[I]: per chunk one (d × n d)·(n d × d) product.

        K[c, c′] = Σ_{j,a} conj(J_j[a, c]) J_j[a, c′] = (Jt̄ Jtᵀ)[c, c′] with Jt reshaped to (d, n d);
        half the flops of applying T^† to the identity.
        """
        stack = self._stack
        chunks = stack if stack is not None else (self._chunk(p, False) for p in self._chunks)
        d = self.abar.shape[1]
        out = np.zeros((d, d), dtype=np.float64 if self.real else complex)
        for jt in chunks:
            flat = jt.reshape(d, -1)
            out += flat.conj() @ flat.T
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


def _gaussian_trapezoid(sd: float, max_frequency: float) -> tuple[np.ndarray, np.ndarray]:
    """Trapezoid nodes s_j and weights with Σ_j w_j e^{iμ s_j} = e^{−sd²μ²/2} for |μ| ≤ max_frequency.

    Poisson summation: the aliasing error is ≈ 2 e^{−sd²(2π/h − μ)²/2}, the truncation at ±9 sd
    is e^{−40.5}; spacing h = 2π/(μ_max + 9/sd) makes both ≈ 1e-17.
    """
    h = 2 * math.pi / (max_frequency + _CUT / sd)
    count = math.ceil(_CUT * sd / h)
    s = h * np.arange(-count, count + 1)
    w = h * np.exp(-0.5 * (s / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    return s, w


@dataclass(frozen=True, eq=False)
class GaussianBandKernel(TransitionKernel):
    """Scandi–Alhambra exactly-KMS kernel (Thm 14): c = e^{−T²(ν−ν′)²/4} ĝ(−ν) ĝ(−ν′).

    The band is the characteristic function of s ~ N(0, T²/2), so the dissipator is the T = 0
    (ULE) dissipator of B = Σ_ν ĝ(−ν)A(ν) averaged over Heisenberg times s (physics.md §2.5 form 2);
    ``nodes`` discretises that average with the trapezoid rule.

    References:
        Scandi & Alhambra, arXiv:2505.20064, Thm 14 and Eqs. (97)-(98).
    """

    coarse_graining_time: float
    sqrt_density: RealFunction

    def coefficients(self, nu, nup):
        T = self.coarse_graining_time
        return np.exp(-(T * T) * (nu - nup) ** 2 / 4) * self.sqrt_density(-nu) * self.sqrt_density(-nup)

    def node_values(self, frequencies, *, spread):
        g = self.sqrt_density(-frequencies)
        if self.coarse_graining_time == 0.0:
            return np.ones(1), g[None, :].astype(complex)
        s, w = _gaussian_trapezoid(self.coarse_graining_time / math.sqrt(2), 2 * spread)
        return w, np.exp(1j * s[:, None] * frequencies[None, :]) * g[None, :]


@dataclass(frozen=True, eq=False)
class SmoothedBandKernel(TransitionKernel):
    """CKG-structure kernel c = e^{−(ν−ν′)²/(8σ²)} (γ ⋆ N(0, σ²))((ν+ν′)/2).

    It is ∫dω γ(ω) f̂(ω−ν) f̂(ω−ν′) with the Gaussian operator Fourier transform
    f̂(ω) = (σ√(2π))^{−1/2} e^{−ω²/(4σ²)}; ``nodes`` discretises that ω integral with a composite
    Gauss–Legendre rule split at the kinks of γ.

    Args:
        sigma: energy resolution σ_E.
        weight: transition weight γ(ω).
        smoothed_weight: (γ ⋆ N(0, σ²))(x), closed form or numerical.
        weight_scale: frequency scale on which γ is smooth.
        kinks: frequencies where γ is not smooth.

    References:
        Chen, Kastoryano & Gilyén, arXiv:2311.09207, Eqs. (1.4)-(1.6); physics.md §6.
    """

    sigma: float
    weight: RealFunction
    smoothed_weight: RealFunction
    weight_scale: float
    kinks: tuple[float, ...] = field(default=())

    def coefficients(self, nu, nup):
        band = np.exp(-((nu - nup) ** 2) / (8 * self.sigma**2))
        mean = np.broadcast_to(0.5 * (nu + nup), band.shape)
        return band * _evaluate_on_unique(self.smoothed_weight, mean)

    def node_values(self, frequencies, *, spread):
        reach = spread + _CUT * self.sigma
        inside = [k for k in self.kinks if -reach < k < reach]
        omega, gl = composite_gauss_legendre(
            np.array([-reach, reach, *inside]), min(self.sigma, self.weight_scale), order=12
        )
        w = gl * self.weight(omega)
        keep = w > 0
        norm = (self.sigma * math.sqrt(2 * math.pi)) ** -0.5
        return w[keep], norm * np.exp(-((omega[keep][:, None] - frequencies[None, :]) ** 2) / (4 * self.sigma**2))


@dataclass(frozen=True, eq=False)
class RankOneKernel(TransitionKernel):
    """Rank-one kernel c = f̂(ν) f̂(ν′): one jump L_k = Σ_ν f̂(ν) A_k(ν) per coupling (DLL, ULE).

    References:
        Ding, Li & Lin, arXiv:2404.05998, Eqs. (3.1)-(3.5).
    """

    filter: RealFunction

    def coefficients(self, nu, nup):
        return self.filter(nu) * self.filter(nup)

    def node_values(self, frequencies, *, spread):
        return np.ones(1), np.asarray(self.filter(frequencies), dtype=float)[None, :]


@dataclass(frozen=True, eq=False)
class SecularKernel(TransitionKernel):
    """Davies kernel c = δ_{ν,ν′} Ĉ(−ν), Bohr frequencies merged within ``tolerance``.

    Bohr frequencies are clustered by sorting and splitting where consecutive values differ by more
    than ``tolerance`` (the secular approximation has to draw this line somewhere); each cluster uses
    its mean frequency, which keeps the generator Hermiticity-preserving.
    """

    density: RealFunction
    tolerance: float

    def coefficients(self, nu, nup):
        return np.where(np.abs(nu - nup) <= self.tolerance, self.density(-0.5 * (nu + nup)), 0.0)

    def node_values(self, frequencies, *, spread):
        raise NotImplementedError("the Davies kernel is applied through its sparse superoperator")

    def clusters(self, basis: EnergyBasis) -> tuple[np.ndarray, np.ndarray]:
        """Cluster label of every Bohr entry ν_ab and the mean frequency of each cluster."""
        flat = basis.bohr.ravel()
        order = np.argsort(flat, kind="stable")
        label_sorted = np.concatenate([[0], np.cumsum(np.diff(flat[order]) > self.tolerance)])
        labels = np.empty_like(label_sorted)
        labels[order] = label_sorted
        means = np.bincount(labels, weights=flat) / np.bincount(labels)
        return labels.reshape(basis.bohr.shape), means

    def cluster_rates(self, basis: EnergyBasis) -> tuple[np.ndarray, np.ndarray]:
        """Cluster label of every Bohr entry and Ĉ(−ω̄) per cluster."""
        labels, means = self.clusters(basis)
        return labels, self.density(-means)

    def transition_tensor(self, basis):
        labels, rates = self.cluster_rates(basis)
        same = labels[:, :, None, None] == labels[None, None, :, :]
        return np.where(same, rates[labels][:, :, None, None], 0.0)

    def decay_tensor(self, basis):
        labels, rates = self.cluster_rates(basis)
        same = labels[:, :, None] == labels[:, None, :]
        return np.where(same, rates[labels][:, :, None], 0.0)

    def sparse_transition(self, basis: EnergyBasis, abar: np.ndarray) -> sp.csr_matrix:
        """T in the energy basis as a sparse (d², d²) matrix, column-stacked vec order."""
        d = basis.dim
        labels, rates = self.cluster_rates(basis)
        flat = labels.ravel()
        order = np.argsort(flat, kind="stable")
        bounds = np.flatnonzero(np.diff(np.concatenate([[-1], flat[order], [flat.size]])))
        rows, cols, vals = [], [], []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            members = order[lo:hi]
            a, c = np.divmod(members, d)  # entry (a, c) of the Bohr matrix
            amp = abar[:, a, c]  # (k, m)
            block = rates[flat[members[0]]] * (amp.T @ amp.conj())  # [(a,c), (b,d)]
            # T[(a, b), (c, d)] with vec index a + d·b.
            rows.append((a[:, None] + d * a[None, :]).ravel())
            cols.append((c[:, None] + d * c[None, :]).ravel())
            vals.append(block.ravel())
        return sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(d * d, d * d)
        )


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
