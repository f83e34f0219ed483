"""Transition kernels c(ν, ν′) of GKS-form dissipators, in dense and factorised form.

A dissipator built from Hermitian couplings A_k and a kernel c reads, in the energy basis,

    T[ρ] = Σ_k Σ_{ν,ν′} c(ν, ν′) A_k(ν) ρ A_k(ν′)^†,   K = Σ_k Σ_{ν,ν′} c(ν, ν′) A_k(ν′)^† A_k(ν),
    D[ρ] = T[ρ] − ½{K, ρ}                                             (docs/conventions.md)

with ν the Bohr frequency of the left factor (A(ν) raises the energy by ν). Every kernel has

* ``coefficients(nu, nup)``: c evaluated elementwise (closed form, used by the dense builders);
* ``nodes(basis)``: a factorisation c(ν, ν′) ≈ Σ_j w_j F_j(ν) conj(F_j(ν′)), w_j ≥ 0, accurate to
  ~1e-14 relative, so that T[ρ] = Σ_{j,k} w_j (F_j∘Ā_k) ρ (F_j∘Ā_k)^† costs O(#nodes·#k·d³) and
  never forms a d⁴ array (matrix-free ``Lindbladian.apply``).

``factorise(basis)`` compresses the nodes to the numerical rank of c on the actual Bohr frequencies
(an SVD; the error is bounded, see :class:`KernelFactor`), and :class:`FactorisedTransition` applies
the result as two large matrix products per chunk of jumps (docs/conventions.md).

Only Davies, whose kernel is a Kronecker delta in ν − ν′, is not factorised; it is applied as a
sparse superoperator instead.
"""

from __future__ import annotations

import math
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._quadrature import composite_gauss_legendre
from ..finite import require_finite
from ..memory import require_memory
from .energy_basis import EnergyBasis
from .transitions import FactorisedTransition, KernelFactor, SparseTransition

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
# Frequencies the compression SVD is computed on (a subsample when there are more Bohr
# frequencies; the error bound is then checked on all of them).
_SVD_SAMPLES = 8192
_FREQUENCY_CHUNK = 1 << 15
# Peak bytes per stored entry while the sparse secular superoperator is assembled: row and column
# indices and the complex value in the pieces and in their concatenation, then the CSR copy.
_SPARSE_ENTRY_BYTES = 96
# Factorisations already computed, per energy basis (kept while the basis lives).
_FACTORS: weakref.WeakKeyDictionary[EnergyBasis, dict[tuple[Any, float, float], KernelFactor]] = weakref.WeakKeyDictionary()


def _evaluate_on_unique(func: RealFunction, x: np.ndarray) -> np.ndarray:
    """func(x) through np.unique: the expensive numerical functions see each value once."""
    values, inverse = np.unique(x, return_inverse=True)
    return func(values)[inverse].reshape(x.shape)


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
            Eckart & Young, Psychometrika 1, 211 (1936); docs/conventions.md
        """
        # the generator, its symmetry sectors and the benchmarks ask for the same factorisation
        known = _FACTORS.setdefault(basis, {})
        key = (self, float(frame), float(rtol))
        if key not in known:
            known[key] = self._factorise(basis, frame, rtol)
        return known[key]

    def _factorise(self, basis: EnergyBasis, frame: float, rtol: float) -> KernelFactor:
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
        # tail[r] = max_ν Σ_{r' ≥ r} |f_r'(ν)|²: the diagonal of the discarded PSD part at rank r;
        # the projections are kept (m × nodes numbers) so the nodes are evaluated once
        tail = np.zeros(v.shape[1] + 1)
        projected = []
        for sel in chunks:
            projected.append(rows(sel) @ v)
            suffix = np.cumsum((np.abs(projected[-1]) ** 2)[:, ::-1], axis=1)[:, ::-1]
            tail[:-1] = np.maximum(tail[:-1], suffix.max(axis=0))
        scale = float(tail[0])
        rank = max(1, int(np.argmax(tail <= rtol * scale)))
        values = np.concatenate([p[:, :rank].T for p in projected], axis=1)
        del projected
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


#: Node × frequency arrays alive while the nodes are evaluated (the phases, the product, the rows).
_NODE_COPIES = 3


def _trapezoid_spacing(sd: float, max_frequency: float) -> tuple[float, int]:
    """The spacing h of :func:`_gaussian_trapezoid` and its node count on each side, 9 sd / h."""
    h = 2 * math.pi / (max_frequency + _CUT / sd)
    return h, math.ceil(_CUT * sd / h)


def _gaussian_trapezoid(sd: float, max_frequency: float) -> tuple[np.ndarray, np.ndarray]:
    """Trapezoid nodes s_j and weights with Σ_j w_j e^{iμ s_j} = e^{−sd²μ²/2} for |μ| ≤ max_frequency.

    Poisson summation: the aliasing error is ≈ 2 e^{−sd²(2π/h − μ)²/2}, the truncation at ±9 sd
    is e^{−40.5}; spacing h = 2π/(μ_max + 9/sd) makes both ≈ 1e-17.
    """
    h, count = _trapezoid_spacing(sd, max_frequency)
    s = h * np.arange(-count, count + 1)
    w = h * np.exp(-0.5 * (s / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    return s, w


@dataclass(frozen=True, eq=False)
class GaussianBandKernel(TransitionKernel):
    """Scandi–Alhambra exactly-KMS kernel (Thm 14): c = e^{−T²(ν−ν′)²/4} ĝ(−ν) ĝ(−ν′).

    The band is the characteristic function of s ~ N(0, T²/2), so the dissipator is the T = 0
    (ULE) dissipator of B = Σ_ν ĝ(−ν)A(ν) averaged over Heisenberg times s (docs/master_equations.md);
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
        sd = self.coarse_graining_time / math.sqrt(2)
        # the nodes grow as T·spread: T = 1e6 on 3 qubits is 3·10⁷ nodes per Bohr frequency
        nodes = 2 * _trapezoid_spacing(sd, 2 * spread)[1] + 1
        require_memory(
            f"the Heisenberg-time average at coarse_graining_time={self.coarse_graining_time:g} ({nodes} trapezoid "
            f"nodes × {len(frequencies)} Bohr frequencies)",
            _NODE_COPIES * 16 * nodes * len(frequencies),
            alternative="use a smaller coarse_graining_time, or davies() (its T → ∞ limit)",
        )
        s, w = _gaussian_trapezoid(sd, 2 * spread)
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
        Chen, Kastoryano & Gilyén, arXiv:2311.09207, Eqs. (1.4)-(1.6); docs/master_equations.md
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
        """T in the energy basis as a sparse (d², d²) matrix, column-stacked vec order.

        A cluster of m Bohr entries couples each to each: Σ m² stored entries, counted (and
        refused above the memory limit) before any is made.
        """
        d = basis.dim
        labels, rates = self.cluster_rates(basis)
        flat = labels.ravel()
        entries = int(np.sum(np.bincount(flat).astype(np.int64) ** 2))
        require_memory(
            f"the secular (Davies) transition superoperator of {d.bit_length() - 1} qubits ({entries} entries)",
            entries * _SPARSE_ENTRY_BYTES,
            alternative="use fewer qubits, or a generator with a factorised kernel (scandi_alhambra form='kms', ckg, dll)",
        )
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
