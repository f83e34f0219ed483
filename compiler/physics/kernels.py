"""Transition kernels c(ν, ν′) of GKS-form dissipators, in dense and factorised form.

A dissipator built from Hermitian couplings A_k and a kernel c reads, in the energy basis,

    T[ρ] = Σ_k Σ_{ν,ν′} c(ν, ν′) A_k(ν) ρ A_k(ν′)^†,   K = Σ_k Σ_{ν,ν′} c(ν, ν′) A_k(ν′)^† A_k(ν),
    D[ρ] = T[ρ] − ½{K, ρ}                                             (physics.md §7.3-7.4)

with ν the Bohr frequency of the left factor (A(ν) raises the energy by ν). Every kernel has

* ``coefficients(nu, nup)``: c evaluated elementwise (closed form, used by the dense builders);
* ``nodes(basis)``: a factorisation c(ν, ν′) ≈ Σ_j w_j F_j(ν) conj(F_j(ν′)), w_j ≥ 0, accurate to
  ~1e-14 relative, so that T[ρ] = Σ_{j,k} w_j (F_j∘Ā_k) ρ (F_j∘Ā_k)^† costs O(#nodes·#k·d³) and
  never forms a d⁴ array (matrix-free ``Lindbladian.apply``).

Only Davies, whose kernel is a Kronecker delta in ν − ν′, is not factorised; it is applied as a
sparse superoperator instead.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .._quadrature import composite_gauss_legendre
from .energy_basis import EnergyBasis

__all__ = [
    "TransitionKernel",
    "GaussianBandKernel",
    "SmoothedBandKernel",
    "RankOneKernel",
    "SecularKernel",
]

RealFunction = Callable[[np.ndarray], np.ndarray]

# Tails of Gaussian weights are cut at this many standard deviations.
_CUT = 9.0


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
    def nodes(self, basis: EnergyBasis) -> tuple[np.ndarray, list[np.ndarray]]:
        """Weights w_j and filter matrices F_j(ν_ab) with c ≈ Σ_j w_j F_j(ν) conj(F_j(ν′))."""

    def transition_tensor(self, basis: EnergyBasis) -> np.ndarray:
        """c(ν_ac, ν_bd) as a real/complex array indexed ``[a, c, b, d]`` (d⁴ entries)."""
        bohr = basis.bohr
        return self.coefficients(bohr[:, :, None, None], bohr[None, None, :, :])

    def decay_tensor(self, basis: EnergyBasis) -> np.ndarray:
        """c(ν_ac, ν_ad) indexed ``[a, c, d]``: K_dc = Σ_k Σ_a conj(Ā_ad) Ā_ac c(ν_ac, ν_ad)."""
        bohr = basis.bohr
        return self.coefficients(bohr[:, :, None], bohr[:, None, :])

    def transition_map(self, basis: EnergyBasis, abar: np.ndarray) -> TransitionMap:
        """The matrix-free map ρ ↦ T[ρ] for eigenbasis couplings ``abar`` (shape (k, d, d))."""
        weights, filters = self.nodes(basis)
        return _FactorisedTransition(weights, filters, abar)


TransitionMap = Callable[..., np.ndarray]


@dataclass(frozen=True, eq=False)
class _FactorisedTransition:
    """T[ρ] = Σ_j w_j Σ_k J_jk ρ J_jk^† with J_jk = F_j∘Ā_k (and its adjoint).

    The J_jk are formed node by node (O(k·d²) each) rather than stored, which keeps the memory at
    O(#nodes·d²) next to the O(#nodes·k·d³) arithmetic.
    """

    weights: np.ndarray
    filters: list[np.ndarray]
    abar: np.ndarray

    def jumps(self) -> list[np.ndarray]:
        """Every √w_j J_jk, shape (k, d, d) per node."""
        return [math.sqrt(w) * (f * self.abar) for w, f in zip(self.weights, self.filters)]

    def __call__(self, rho: np.ndarray, *, adjoint: bool = False) -> np.ndarray:
        out = np.zeros(rho.shape, dtype=complex)
        for w, f in zip(self.weights, self.filters):
            jumps = f * self.abar
            dag = jumps.conj().transpose(0, 2, 1)
            if adjoint:
                out += w * np.sum(dag @ rho @ jumps, axis=0)
            else:
                out += w * np.sum(jumps @ rho @ dag, axis=0)
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

    def nodes(self, basis):
        bohr = basis.bohr
        g = self.sqrt_density(-bohr)
        if self.coarse_graining_time == 0.0:
            return np.ones(1), [g.astype(complex)]
        s, w = _gaussian_trapezoid(self.coarse_graining_time / math.sqrt(2), 2 * basis.spread)
        return w, [np.exp(1j * bohr * sj) * g for sj in s]


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

    def nodes(self, basis):
        reach = basis.spread + _CUT * self.sigma
        inside = [k for k in self.kinks if -reach < k < reach]
        omega, gl = composite_gauss_legendre(
            np.array([-reach, reach, *inside]), min(self.sigma, self.weight_scale), order=12
        )
        w = gl * self.weight(omega)
        keep = w > 0
        norm = (self.sigma * math.sqrt(2 * math.pi)) ** -0.5
        bohr = basis.bohr
        return w[keep], [
            (norm * np.exp(-((om - bohr) ** 2) / (4 * self.sigma**2))).astype(complex)
            for om in omega[keep]
        ]


@dataclass(frozen=True, eq=False)
class RankOneKernel(TransitionKernel):
    """Rank-one kernel c = f̂(ν) f̂(ν′): one jump L_k = Σ_ν f̂(ν) A_k(ν) per coupling (DLL, ULE).

    References:
        Ding, Li & Lin, arXiv:2404.05998, Eqs. (3.1)-(3.5).
    """

    filter: RealFunction

    def coefficients(self, nu, nup):
        return self.filter(nu) * self.filter(nup)

    def nodes(self, basis):
        return np.ones(1), [self.filter(basis.bohr).astype(complex)]


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

    def nodes(self, basis):
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

    def transition_map(self, basis, abar):
        labels, rates = self.cluster_rates(basis)
        return _SparseTransition(self.sparse_transition(basis, abar), labels, rates, abar)


@dataclass(frozen=True, eq=False)
class _SparseTransition:
    """T[ρ] through a sparse energy-basis superoperator (column-stacked vec order)."""

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
