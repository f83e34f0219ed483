"""Time-domain kernels of the Scandi–Alhambra KMS generator (the forms the circuit back-end lowers).

Form 2 of physics.md §2.5: the exactly-KMS dissipator is the T = 0 dissipator of the ULE jump
B = Σ_ν ĝ(−ν) A(ν) = ∫du g(u) A(−u), conjugated by a Gaussian-random Heisenberg time
s ~ N(0, T²/2); the coherent term is a single-time integral H_⊥ = ∫dt φ(t) e^{iHt} K_B e^{−iHt},
K_B = Σ_k B_k^† B_k.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from ._checks import check_positive
from ._quadrature import composite_gauss_legendre

__all__ = [
    "coherent_filter",
    "coherent_filter_transform",
    "gaussian_time_nodes",
    "TimeGrid",
    "TimeDomainForm",
    "build_time_domain",
]

_CUT = 9.0


def coherent_filter_transform(mu: np.ndarray | float, *, beta: float, coarse_graining_time: float) -> np.ndarray:
    """φ̂(μ) = ∫dt φ(t) e^{iμt} = (i/2) tanh(βμ/4) e^{−T²μ²/4}: the weight of (K_B)(μ) in H_⊥."""
    mu = np.asarray(mu, dtype=float)
    T = coarse_graining_time
    return 0.5j * np.tanh(beta * mu / 4) * np.exp(-(T * T) * mu * mu / 4)


def coherent_filter(t: np.ndarray | float, *, beta: float, coarse_graining_time: float) -> np.ndarray:
    """φ(t) = (1/4π) ∫dμ sin(μt) tanh(βμ/4) e^{−T²μ²/4} (real, odd, decays like e^{−2π|t|/β}).

    Computed by composite Gauss–Legendre over μ ∈ [0, 18/T] (the Gaussian is e^{−81} beyond).

    References:
        physics.md §2.5 ("Corrected time-domain forms"), derived from Scandi & Alhambra Thm 14.
    """
    beta = check_positive("beta", beta)
    T = check_positive("coarse_graining_time", coarse_graining_time)
    t = np.asarray(t, dtype=float)
    mu_max = 2 * _CUT / T
    tmax = float(np.max(np.abs(t))) if t.size else 0.0
    width = min(1.0 / T, 2.0 / beta, math.pi / tmax if tmax > 0 else np.inf)
    mu, w = composite_gauss_legendre(np.array([0.0, mu_max]), width)
    weight = w * np.tanh(beta * mu / 4) * np.exp(-(T * T) * mu * mu / 4) / (2 * math.pi)
    flat = t.ravel()
    out = np.empty(flat.shape)
    for start in range(0, flat.size, 512):
        out[start : start + 512] = np.sin(np.outer(flat[start : start + 512], mu)) @ weight
    return out.reshape(t.shape)


def gaussian_time_nodes(coarse_graining_time: float, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes s_m = T x_m and weights w_m/√π for averages over s ~ N(0, T²/2)."""
    T = check_positive("coarse_graining_time", coarse_graining_time)
    if int(count) < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    x, w = np.polynomial.hermite.hermgauss(int(count))
    return T * x, w / math.sqrt(math.pi)


def _kms_coherent_kernel_zero(t: np.ndarray, beta: float) -> np.ndarray:
    """φ₀(t) = 1/(β sinh(2πt/β)), the T = 0 kernel (principal value): ∫φ₀(t)e^{iμt}dt = (i/2)tanh(βμ/4)."""
    with np.errstate(over="ignore"):  # sinh overflows to inf far out, where the kernel is 0
        return 1.0 / (beta * np.sinh(2 * math.pi * t / beta))


def _inverse_fourier(fhat, t: np.ndarray, band: float) -> np.ndarray:
    """f(t) = (1/2π)∫dν f̂(ν) e^{−iνt} for f̂ negligible outside [−band, band] and smooth."""
    tmax = float(np.max(np.abs(t))) if t.size else 0.0
    width = min(0.25, math.pi / tmax) if tmax > 0 else 0.25
    nu, w = composite_gauss_legendre(np.array([-band, band]), width)
    fw = w * fhat(nu) / (2 * math.pi)
    flat = t.ravel()
    out = np.empty(flat.size, dtype=complex)
    chunk = max(1, 2**21 // nu.size)
    for start in range(0, flat.size, chunk):
        out[start : start + chunk] = np.exp(-1j * np.outer(flat[start : start + chunk], nu)) @ fw
    return out.reshape(t.shape)


def _decay_band(fhat, start: float, epsilon: float) -> float:
    """Smallest W ≥ start with |f̂(ω)| ≤ ε·max|f̂| for all |ω| ≥ W (scanned on a grid)."""
    omega = np.linspace(0.0, start + 400.0, 40001)
    vals = np.maximum(np.abs(fhat(omega)), np.abs(fhat(-omega)))
    above = np.flatnonzero(vals > epsilon * vals.max())
    return float(max(start, omega[above[-1] + 1] if above.size and above[-1] + 1 < omega.size else omega[-1]))


@dataclass(frozen=True)
class TimeGrid:
    """Σ_l w_l e^{iHt_l} X e^{−iHt_l}: weights on a uniform, increasing time grid.

    Its action on a Bohr component is the transfer function Σ_l w_l e^{iνt_l}.
    """

    times: np.ndarray
    weights: np.ndarray

    def transfer(self, nu: np.ndarray) -> np.ndarray:
        nu = np.asarray(nu, dtype=float)
        return (np.exp(1j * np.multiply.outer(nu, self.times)) @ self.weights).reshape(nu.shape)

    @property
    def one_norm(self) -> float:
        return float(np.sum(np.abs(self.weights)))

    def shifted(self, s: float) -> TimeGrid:
        """The grid of e^{iHs}(·)e^{−iHs}: every time moved by s."""
        return TimeGrid(self.times + s, self.weights)

    def scaled(self, c: complex) -> TimeGrid:
        return TimeGrid(self.times, c * self.weights)

    def operator(self, hamiltonian: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Σ_l w_l e^{iHt_l} X e^{−iHt_l}, dense (small systems)."""
        e, v = np.linalg.eigh(hamiltonian)
        xb = v.conj().T @ x @ v
        return v @ (self.transfer(e[:, None] - e[None, :]) * xb) @ v.conj().T


@dataclass(frozen=True)
class TimeDomainForm:
    """The quasi-local, time-domain form of an exactly-KMS generator, ready for circuit lowering.

    L̃[ρ] = α² Σ_m v_m Σ_k D[L_mk](ρ) − i[H̃_⊥, ρ],   L_mk = Σ_l w_ml e^{iHt_ml} A_k e^{−iHt_ml},
    H̃_⊥ = α² Σ_j c_j e^{iHt_j} K e^{−iHt_j},   K = Σ_m' v'_m' Σ_k L'_m'k^† L'_m'k.

    Every time is an integer multiple of ``unit`` (one fixed Trotter step), so Trotterised frames telescope.

    Attributes:
        hamiltonian, couplings: H and the Pauli couplings A_k.
        rate: α².
        unit: the common time unit h.
        jumps: (v_m, grid of L_m) — for Scandi–Alhambra the Gaussian s-average, one node for DLL.
        coherent_jumps: (v′, grid) defining K (Scandi–Alhambra: the single T = 0 jump B, with φ_T).
        coherent: the grid (t_j, c_j) of H̃_⊥, or ``None`` for a generator without coherent term.
        errors: sup-norm errors of the transfer functions on the Bohr band |ν| ≤ ``bohr_bound``:
            ``"jump"`` for the base jump filter, ``"average"`` for the Gaussian band, ``"coherent"``
            for the coherent filter (relative to their maxima).
        bohr_bound: bound on the Bohr frequencies used to choose the grids.
        base_filter: f̂(ν), the transfer function the base jump grid approximates (ĝ(−ν) for
            Scandi–Alhambra, q(ν)e^{−βν/4} for DLL).
    """

    hamiltonian: SparsePauliOp
    couplings: tuple[SparsePauliOp, ...]
    rate: float
    unit: float
    jumps: tuple[tuple[float, TimeGrid], ...]
    coherent_jumps: tuple[tuple[float, TimeGrid], ...]
    coherent: TimeGrid | None
    errors: dict
    bohr_bound: float
    base_filter: Callable[[np.ndarray], np.ndarray]

    @property
    def num_time_points(self) -> int:
        return int(self.jumps[0][1].times.size)

    def jump_operators(self) -> list[np.ndarray]:
        """Dense α√v_m L_mk (small systems)."""
        h = self.hamiltonian.to_matrix()
        return [
            math.sqrt(self.rate * v) * grid.operator(h, a.to_matrix())
            for v, grid in self.jumps
            for a in self.couplings
        ]

    def coherent_term(self) -> np.ndarray:
        """Dense H̃_⊥ (small systems)."""
        h = self.hamiltonian.to_matrix()
        d = h.shape[0]
        if self.coherent is None:
            return np.zeros((d, d), dtype=complex)
        k = sum(
            v * (lop.conj().T @ lop)
            for v, grid in self.coherent_jumps
            for lop in (grid.operator(h, a.to_matrix()) for a in self.couplings)
        )
        return self.rate * self.coherent.operator(h, k)

    def superoperator(self) -> np.ndarray:
        """The dense generator L̃ of this discretisation (column-stacked vec; small systems)."""
        hc = self.coherent_term()
        d = hc.shape[0]
        eye = np.eye(d)
        out = -1j * (np.kron(eye, hc) - np.kron(hc.T, eye))
        for j in self.jump_operators():
            jj = j.conj().T @ j
            out += np.kron(j.conj(), j) - 0.5 * (np.kron(eye, jj) + np.kron(jj.T, eye))
        return out


def _uniform(spacing_limit: float, unit: float) -> float:
    """The largest integer multiple of ``unit`` not above ``spacing_limit`` (at least one unit)."""
    return unit * max(1, math.floor(spacing_limit / unit + 1e-9))


def _symmetric_grid(spacing: float, cutoff: float) -> np.ndarray:
    count = math.ceil(cutoff / spacing - 1e-9)
    return spacing * np.arange(-count, count + 1)


def _sup_error(grid: TimeGrid, target, band: float) -> float:
    """max over |ν| ≤ band of |transfer(ν) − target(ν)| relative to max |target| (fine sampling)."""
    tmax = float(np.max(np.abs(grid.times)))
    nu = np.linspace(-band, band, max(2001, int(8 * band * tmax / math.pi) + 1))
    ref = target(nu)
    return float(np.max(np.abs(grid.transfer(nu) - ref)) / max(np.max(np.abs(ref)), 1e-300))


def _fit_grid(kernel_time, fhat, band: float, epsilon: float, unit: float) -> tuple[TimeGrid, float]:
    """A uniform grid (multiples of ``unit``) whose transfer matches f̂ to ε on |ν| ≤ band.

    Start from the aliasing estimate (spacing 2π/(W_ε + band), W_ε where |f̂| < ε) and the truncation
    estimate (|f| below ε·max beyond the cut-off), then refine while the measured error exceeds ε.
    """
    w_eps = _decay_band(fhat, band, epsilon / 4)
    spacing = _uniform(2 * math.pi / (w_eps + band), unit)
    peak = float(np.max(np.abs(kernel_time(spacing * np.arange(-8, 9)))))
    cutoff = 8 * spacing
    for _ in range(20):  # double until the kernel is negligible on [cutoff, 2 cutoff]
        probe = np.linspace(cutoff, 2 * cutoff, 64)
        if max(np.abs(kernel_time(probe)).max(), np.abs(kernel_time(-probe)).max()) <= epsilon * peak / 20:
            break
        cutoff *= 2
    for _ in range(12):
        times = _symmetric_grid(spacing, cutoff)
        grid = TimeGrid(times, spacing * kernel_time(times))
        err = _sup_error(grid, fhat, band)
        if err <= epsilon:
            return grid, err
        cutoff *= 1.5
        if spacing > unit:
            spacing = _uniform(spacing / 1.5, unit)
    raise ValueError(
        f"could not reach a time-grid accuracy of {epsilon:g} (last {err:.3g}); the filter may decay "
        "too slowly in time (e.g. a bath whose spectral density has a kink, like the exponential-cutoff "
        "Ohmic bath): use a smooth bath such as GaussianBath or a larger epsilon"
    )


def _default_unit(fhat, beta: float, T: float, band: float, epsilon: float) -> float:
    """Largest h for which every grid's first spacing estimate is one unit or more (rounded to 1/8, 1/16, …)."""
    jump = 2 * math.pi / (_decay_band(fhat, band, epsilon / 4) + band)
    if T > 0:
        coherent = 2 * math.pi / (band + 2 * math.sqrt(math.log(4 / epsilon)) / T)
        sd = T / math.sqrt(2)
        average = 2 * math.pi / (2 * band + (math.sqrt(2 * math.log(1 / epsilon)) + 1) / sd)
    else:
        coherent = math.pi / (band + 2 * math.log(4 / epsilon) / beta)  # half the midpoint spacing
        average = math.inf
    limit = min(jump, coherent, average)
    return 2.0 ** math.floor(math.log2(limit))


def _coherent_grid(beta: float, T: float, band: float, epsilon: float, unit: float) -> tuple[TimeGrid, float]:
    """Grid (t_j, c_j) with Σ_j c_j e^{iμt_j} = (i/2) tanh(βμ/4) e^{−T²μ²/4} to ε on |μ| ≤ band.

    T > 0: trapezoid t_j = jΔt of the smooth odd kernel φ_T (φ_T(0) = 0). T = 0: the kernel
    1/(β sinh(2πt/β)) is a principal value, so the midpoint grid t_j = (j + ½)Δt pairs ±t symmetrically;
    tanh's tails then cancel in the aliases, leaving e^{−β(2π/Δt − μ)/2}.
    """
    target = lambda mu: coherent_filter_transform(mu, beta=beta, coarse_graining_time=T)  # noqa: E731
    if T > 0:
        phi = lambda t: coherent_filter(t, beta=beta, coarse_graining_time=T)  # noqa: E731
        spacing = _uniform(2 * math.pi / (band + 2 * math.sqrt(math.log(4 / epsilon)) / T), unit)
    else:
        phi = lambda t: _kms_coherent_kernel_zero(t, beta)  # noqa: E731
        spacing = 2 * _uniform(math.pi / (band + 2 * math.log(4 / epsilon) / beta), unit)
    cutoff = beta * math.log(4 / epsilon) / (2 * math.pi) + 3 * T + spacing
    for _ in range(12):
        count = math.ceil(cutoff / spacing)
        times = spacing * (np.arange(-count, count + 1) if T > 0 else np.arange(-count, count) + 0.5)
        grid = TimeGrid(times, spacing * phi(times))
        err = _sup_error(grid, target, band)
        if err <= epsilon:
            return grid, err
        cutoff *= 1.5
        if T > 0 and spacing > unit:
            spacing = _uniform(spacing / 1.5, unit)
        elif T == 0 and spacing > 2 * unit:
            spacing = 2 * _uniform(spacing / 3, unit)
    raise ValueError(f"could not resolve the coherent-term filter to {epsilon:g} (last {err:.3g}); use a smaller unit")


def build_time_domain(lind, *, epsilon: float, unit: float | None = None) -> TimeDomainForm:
    """Lower an exactly-KMS ``Lindbladian`` (Scandi–Alhambra ``form="kms"`` or DLL) to a TimeDomainForm.

    Args:
        lind: the generator.
        epsilon: target sup-norm accuracy of each transfer function on the Bohr band.
        unit: the common time unit (the Trotter step h); all grid times are multiples of it. By
            default the largest unit that lets every grid reach ``epsilon``: the coherent grid's
            spacing estimate (half of it at T = 0, whose midpoint grid needs t_j = (j+½)Δt on the units).
    """
    from .kernels import GaussianBandKernel, RankOneKernel
    from .master_equations import bohr_frequency_bound

    epsilon = check_positive("epsilon", epsilon)
    kernel = lind.kernel
    beta = lind.beta
    band = bohr_frequency_bound(lind.hamiltonian)
    if isinstance(kernel, GaussianBandKernel):
        bath = lind.parameters["bath"]
        fhat = lambda nu: bath.sqrt_spectral_density(-nu)  # noqa: E731
        kernel_time = lambda t: bath.jump_correlator(-t)  # noqa: E731
        T = kernel.coarse_graining_time
    elif isinstance(kernel, RankOneKernel):
        fhat = kernel.filter
        wide = _decay_band(fhat, band, 1e-18)
        kernel_time = lambda t: _inverse_fourier(fhat, np.asarray(t, dtype=float), wide)  # noqa: E731
        T = 0.0
    else:
        raise ValueError(
            f"no time-domain lowering for the {lind.family!r} generator: supported are Scandi–Alhambra "
            "form='kms' and DLL"
        )
    if lind.parameters.get("lamb_shift"):
        raise ValueError("the diagonal Lamb shift has no time-domain form here; build the generator with lamb_shift=False")
    if unit is None:
        unit = _default_unit(fhat, beta, T, band, epsilon)
    unit = check_positive("unit", unit)
    base, jump_err = _fit_grid(kernel_time, fhat, band, epsilon, unit)
    errors = {"jump": jump_err}

    if T > 0:
        sd = T / math.sqrt(2)
        mu_max = 2 * band
        cut = math.sqrt(2 * math.log(1 / epsilon)) + 1
        spacing = _uniform(2 * math.pi / (mu_max + cut / sd), unit)
        for _ in range(12):
            s = _symmetric_grid(spacing, cut * sd)
            v = np.exp(-0.5 * (s / sd) ** 2)
            v /= v.sum()  # the average of a constant is exact
            avg = TimeGrid(s, v.astype(complex))
            err = _sup_error(avg, lambda mu: np.exp(-(sd * mu) ** 2 / 2), mu_max)
            if err <= epsilon:
                break
            cut *= 1.25
            spacing = _uniform(spacing / 1.5, unit)
        else:
            raise ValueError(f"could not resolve the Gaussian band to {epsilon:g}")
        jumps = tuple((float(vm), base.shifted(sm)) for sm, vm in zip(s, v))
        errors["average"] = err
    else:
        jumps = ((1.0, base),)
        errors["average"] = 0.0

    coherent = None
    if lind.coherent is not None:
        coherent, errors["coherent"] = _coherent_grid(beta, T, band, epsilon, unit)
    return TimeDomainForm(
        hamiltonian=lind.hamiltonian,
        couplings=lind.couplings,
        rate=lind.rate,
        unit=unit,
        jumps=jumps,
        coherent_jumps=((1.0, base),),
        coherent=coherent,
        errors=errors,
        bohr_bound=band,
        base_filter=fhat,
    )
