"""Time-domain kernels of the exactly-KMS generators (the forms the circuit back-end lowers).

Scandi–Alhambra, form 2 of physics.md §2.5: the exactly-KMS dissipator is the T = 0 dissipator of the
ULE jump B = Σ_ν ĝ(−ν) A(ν) = ∫du g(u) A(−u), conjugated by a Gaussian-random Heisenberg time
s ~ N(0, T²/2); the coherent term is a single-time integral H_⊥ = ∫dt φ(t) e^{iHt} K_B e^{−iHt},
K_B = Σ_k B_k^† B_k. DLL is the rank-one case. Chen–Kastoryano–Gilyén: the ω integral of Gaussian
operator Fourier transforms, compressed to the few jumps its Kossakowski matrix needs on the Bohr band.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from qiskit.quantum_info import SparsePauliOp
from scipy.special import ndtri

from ._checks import check_positive
from ._quadrature import composite_gauss_legendre

if TYPE_CHECKING:
    from .kernels import SmoothedBandKernel
    from .lindbladian import Lindbladian

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
        """Σ_l w_l e^{iνt_l}, by Horner's rule in z = e^{iνδ} on the uniform grid (no ν × l array)."""
        nu = np.asarray(nu, dtype=float)
        steps = np.diff(self.times)
        if steps.size == 0 or np.ptp(steps) > 1e-12 * max(1.0, float(np.abs(self.times).max())):
            return (np.exp(1j * np.multiply.outer(nu, self.times)) @ self.weights).reshape(nu.shape)
        z = np.exp(1j * nu * steps[0])
        acc = np.full(nu.shape, self.weights[-1], dtype=complex)
        for w in self.weights[-2::-1]:
            acc *= z
            acc += w
        return acc * np.exp(1j * nu * self.times[0])

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
        return v @ self.energy_operator(e, v.conj().T @ x @ v) @ v.conj().T

    def energy_operator(self, energies: np.ndarray, x_energy: np.ndarray) -> np.ndarray:
        """The same in H's eigenbasis: transfer(E_i − E_j)·X_ij (one diagonalisation serves many grids)."""
        return self.transfer(energies[:, None] - energies[None, :]) * x_energy


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
        jumps: (v_m, grid of L_m) — for Scandi–Alhambra the Gaussian s-average, one node for DLL,
            for CKG the compressed Kossakowski eigen-jumps (all on the base grid's times).
        coherent_jumps: (v′, grid) defining K (Scandi–Alhambra: the single T = 0 jump B, with φ_T;
            CKG: the compressed jumps themselves).
        coherent: the grid (t_j, c_j) of H̃_⊥, or ``None`` for a generator without coherent term.
        errors: certified sup-norm errors of the transfer functions on the Bohr band |ν| ≤ ``bohr_bound``:
            ``"jump"`` for the base jump filter (relative to max|f̂|); ``"average"`` for the Gaussian
            band and ``"coherent"`` for the coherent filter, on Bohr differences μ weighted by how
            much a jump pair carries them, max_ν|f̂(ν)f̂(ν−μ)|/max|f̂|² (the average relative to its
            maximum, the coherent filter relative to the dissipator's scale 1). CKG replaces
            ``"average"`` by ``"frequency"`` and ``"rank"``, kernel errors relative to max c on the
            band; its ``"jump"`` is on the wider band |ν − ω| ≤ B + R and its coherent envelope is
            e^{−μ²/(8σ_E²)} (see ``_ckg_form``).
        bohr_bound: bound on the Bohr frequencies used to choose the grids.
        base_filter: f̂(ν), the transfer function the base jump grid approximates (ĝ(−ν) for
            Scandi–Alhambra, q(ν)e^{−βν/4} for DLL, the Gaussian operator Fourier transform
            (σ_E√(2π))^{−1/2} e^{−ν²/(4σ_E²)} for CKG, whose jumps are combinations of its ω-shifts).
        jump_filters: per jump, the exact transfer function its grid approximates (f̂ moved by the
            Gaussian-average time for Scandi–Alhambra, f̂ for DLL, Σ_m a_rm f̂(ν − ω_m) for CKG).
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
    jump_filters: tuple[Callable[[np.ndarray], np.ndarray], ...] = ()

    @property
    def num_time_points(self) -> int:
        return int(self.jumps[0][1].times.size)

    def _energy_frame(self, frame_hamiltonian: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """(E, V, [V^† A_k V]): one diagonalisation of the frame Hamiltonian serves every grid."""
        h = self.hamiltonian.to_matrix() if frame_hamiltonian is None else frame_hamiltonian
        e, v = np.linalg.eigh(h)
        return e, v, [v.conj().T @ a.to_matrix() @ v for a in self.couplings]

    def jump_operators(self, *, frame_hamiltonian: np.ndarray | None = None) -> list[np.ndarray]:
        """Dense α√v_m L_mk (small systems).

        Args:
            frame_hamiltonian: the dense Hamiltonian the frames e^{−iHt} evolve with (default H; the
                Trotter-effective H̃_h gives the jumps the Trotterised circuit implements).
        """
        e, v, abar = self._energy_frame(frame_hamiltonian)
        return [
            math.sqrt(self.rate * w) * (v @ grid.energy_operator(e, ab) @ v.conj().T)
            for w, grid in self.jumps
            for ab in abar
        ]

    def coherent_term(self, *, frame_hamiltonian: np.ndarray | None = None) -> np.ndarray:
        """Dense H̃_⊥ (small systems), frames evolving with ``frame_hamiltonian`` (default H)."""
        e, v, abar = self._energy_frame(frame_hamiltonian)
        d = e.size
        if self.coherent is None:
            return np.zeros((d, d), dtype=complex)
        k = sum(
            w * (lop.conj().T @ lop)
            for w, grid in self.coherent_jumps
            for lop in (grid.energy_operator(e, ab) for ab in abar)
        )
        return self.rate * (v @ self.coherent.energy_operator(e, k) @ v.conj().T)

    def superoperator(self, *, frame_hamiltonian: np.ndarray | None = None) -> np.ndarray:
        """The dense generator L̃ of this discretisation (column-stacked vec; small systems), frames
        evolving with ``frame_hamiltonian`` (default H)."""
        hc = self.coherent_term(frame_hamiltonian=frame_hamiltonian)
        d = hc.shape[0]
        eye = np.eye(d)
        out = -1j * (np.kron(eye, hc) - np.kron(hc.T, eye))
        for j in self.jump_operators(frame_hamiltonian=frame_hamiltonian):
            jj = j.conj().T @ j
            out += np.kron(j.conj(), j) - 0.5 * (np.kron(eye, jj) + np.kron(jj.T, eye))
        return out


class _Band:
    """Frequency samples on |ν| ≤ band with an optional envelope weighting the error.

    A grid's error is max_ν |transfer(ν) − target(ν)|·envelope(ν) / max|target·envelope|. For filters
    applied to Bohr differences μ = ν − ν′ (the Gaussian average, the coherent term) the envelope is
    max_ν |f̂(ν) f̂(ν − μ)| / max|f̂|²: a difference μ only matters as far as a jump component carries it.
    ``scale`` fixes the denominator instead: the coherent term's error is measured against the
    dissipator's scale (1 in envelope units), not against its own, ~10× smaller, maximum.
    The sampling resolves the transfer function's oscillation e^{iν t_max}: 8 samples per period while
    searching, 128 (plus the between-samples allowance) for the error a chosen grid reports.
    ``resolution`` caps the certified sample spacing: the allowance grows as spacing², so a wide band
    at small ε needs more samples than the oscillation alone asks for.
    """

    def __init__(
        self, band: float, envelope=None, *, scale: float | None = None, resolution: float | None = None
    ):
        self.band, self.envelope, self.scale, self.resolution = band, envelope, scale, resolution
        self._samples: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _points(self, tmax: float, per_period: int) -> tuple[np.ndarray, np.ndarray]:
        count = 2 ** max(12 if per_period > 8 else 11, math.ceil(math.log2(per_period * self.band * tmax / math.pi + 1))) + 1
        if per_period > 8 and self.resolution is not None:
            count = max(count, math.ceil(2 * self.band / self.resolution) + 1)
        if count not in self._samples:
            nu = np.linspace(-self.band, self.band, count)
            self._samples[count] = (nu, np.ones_like(nu) if self.envelope is None else self.envelope(nu))
        return self._samples[count]

    def error(self, grid: TimeGrid, target, *, certified: bool = False) -> float:
        """The sampled relative error; ``certified`` adds the most a maximum between samples can exceed
        it, δ²/8 · max|e″| with |e″| ≤ Σ_l|w_l|t_l² + max|target″| (finite differences for the target)."""
        nu, weight = self._points(float(np.max(np.abs(grid.times))), 128 if certified else 8)
        ref = target(nu)
        scale = self.scale or max(float(np.max(np.abs(ref) * weight)), 1e-300)
        err = float(np.max(np.abs(grid.transfer(nu) - ref) * weight))
        if certified:
            delta = nu[1] - nu[0]
            curvature = float(np.sum(np.abs(grid.weights) * grid.times**2))
            curvature += float(np.max(np.abs(np.diff(ref, 2)))) / delta**2
            err += delta**2 / 8 * curvature * float(np.max(weight))
        return err / scale


def _pair_envelope(fhat, band: float):
    """μ ↦ max_{|ν|,|ν−μ| ≤ band} |f̂(ν) f̂(ν − μ)| / max|f̂|² (how much a Bohr difference μ can weigh)."""
    nu = np.linspace(-band, band, 1601)
    amp = np.abs(fhat(nu))
    amp = amp / max(float(amp.max()), 1e-300)
    step = nu[1] - nu[0]

    def envelope(mu: np.ndarray) -> np.ndarray:
        shift = np.rint(np.asarray(mu) / step).astype(int)
        out = np.empty(shift.shape)
        for i, k in enumerate(shift.ravel()):
            if abs(k) >= nu.size:
                out.flat[i] = 0.0
            else:  # pairs (ν, ν − μ) on the sample grid: amp[j]·amp[j − k]
                out.flat[i] = float(np.max(amp[max(k, 0) : nu.size + min(k, 0)] * amp[max(-k, 0) : nu.size - max(k, 0)]))
        return out

    return envelope


def _cheapest_grid(make, target, band: _Band, epsilon: float, spacings, max_count: int, cost) -> tuple[TimeGrid, float]:
    """The cheapest grid ``make(spacing, count)`` over the candidate spacings whose error is ≤ ε.

    For each spacing the count grows (doubling, then bisection) to the smallest that reaches ε;
    ``cost(grid)`` ranks the survivors. Aliasing makes coarse spacings fail at every count, so they
    stall (their error stops falling with the count) and drop out.
    """
    best, last = None, math.inf
    for spacing in spacings:
        hi, previous = 1, math.inf
        while hi <= max_count:
            last = band.error(make(spacing, hi), target)
            if last <= epsilon or (hi >= 16 and last > 0.9 * previous):  # met, or stuck on an alias floor
                break
            hi, previous = 2 * hi, last
        if not last <= epsilon:
            continue
        lo = hi // 2
        while hi - lo > 1:  # smallest count in (lo, hi] that meets ε
            mid = (lo + hi) // 2
            if band.error(make(spacing, mid), target) <= epsilon:
                hi = mid
            else:
                lo = mid
        while band.error(make(spacing, hi), target, certified=True) > epsilon and hi < max_count:
            hi += 1  # the sampled error met ε but the certified one (between samples) did not
        grid = make(spacing, hi)
        if best is None or cost(grid) < cost(best):
            best = grid
    if best is None:
        raise ValueError(
            f"could not reach a time-grid accuracy of {epsilon:g} (last {last:.3g}); the filter may decay "
            "too slowly in time (e.g. a bath whose spectral density has a kink, like the exponential-cutoff "
            "Ohmic bath): use a smooth bath such as GaussianBath or a larger epsilon"
        )
    return best, band.error(best, target, certified=True)


def _spacings(unit: float, largest: float, step: int = 1) -> list[float]:
    """Multiples k·unit (k a multiple of ``step``) from the largest ≤ ``largest`` down to one step."""
    top = max(step, step * math.floor(largest / (unit * step) + 1e-9))
    return [unit * k for k in range(top, 0, -step)][:12]


def _fit_grid(
    kernel_time, fhat, band: float, epsilon: float, unit: float, *, resolution: float | None = None
) -> tuple[TimeGrid, float]:
    """The shortest uniform grid (times multiples of ``unit``) whose transfer matches f̂ to ε on |ν| ≤ band.

    A sweep's frames cost its span and its rotations its point count, so span ranks first. Spacings
    start at the aliasing limit 2π/(W + band), W where |f̂| has decayed below ε/4. ``resolution``:
    the certified sample spacing, see ``_Band``.
    """
    w_eps = _decay_band(fhat, band, epsilon / 4)

    def make(spacing: float, count: int) -> TimeGrid:
        times = spacing * np.arange(-count, count + 1)
        return TimeGrid(times, spacing * kernel_time(times))

    return _cheapest_grid(
        make,
        fhat,
        _Band(band, resolution=resolution),
        epsilon,
        _spacings(unit, 4 * math.pi / (w_eps + band)),
        max_count=max(64, int(400 / unit)),
        cost=lambda g: (round(float(np.ptp(g.times)) / unit), g.times.size),
    )


def _default_unit(
    fhat, beta: float, T: float, band: float, epsilon: float, *, jump_band: float | None = None
) -> float:
    """Largest h for which every grid's first spacing estimate is one unit or more (rounded to 1/8, 1/16, …).

    ``jump_band`` is the band the base jump grid must resolve when it is wider than the Bohr band
    (CKG's jumps are ω-shifts of the base filter).
    """
    jb = band if jump_band is None else jump_band
    jump = 2 * math.pi / (_decay_band(fhat, jb, epsilon / 4) + jb)
    if T > 0:
        coherent = 2 * math.pi / (band + 2 * math.sqrt(math.log(4 / epsilon)) / T)
        sd = T / math.sqrt(2)
        average = 2 * math.pi / (2 * band + (math.sqrt(2 * math.log(1 / epsilon)) + 1) / sd)
    else:
        coherent = math.pi / (band + 2 * math.log(4 / epsilon) / beta)  # half the midpoint spacing
        average = math.inf
    limit = min(jump, coherent, average)
    return 2.0 ** math.floor(math.log2(limit))


def _coherent_grid(beta: float, T: float, band: _Band, w_eps: float, epsilon: float, unit: float) -> tuple[TimeGrid, float]:
    """The fewest nodes (t_j, c_j) with Σ_j c_j e^{iμt_j} = (i/2) tanh(βμ/4) e^{−T²μ²/4} to ε on the band.

    T > 0: trapezoid t_j = jΔt of the smooth odd kernel φ_T (φ_T(0) = 0). T = 0: the kernel
    1/(β sinh(2πt/β)) is a principal value, so the midpoint grid t_j = (j + ½)Δt pairs ±t symmetrically;
    tanh's tails then cancel in the aliases, leaving e^{−β(2π/Δt − μ)/2}. Each node costs a
    group-commutator step, so the node count is what is minimised.
    """
    target = lambda mu: coherent_filter_transform(mu, beta=beta, coarse_graining_time=T)  # noqa: E731
    if T > 0:
        phi = lambda t: coherent_filter(t, beta=beta, coarse_graining_time=T)  # noqa: E731
        offsets = lambda count: np.arange(-count, count + 1)  # noqa: E731
        spacings = _spacings(unit, 2 * math.pi / w_eps)
    else:
        phi = lambda t: _kms_coherent_kernel_zero(t, beta)  # noqa: E731
        offsets = lambda count: np.arange(-count, count) + 0.5  # noqa: E731
        spacings = _spacings(unit, 2 * math.pi / w_eps, step=2)

    def make(spacing: float, count: int) -> TimeGrid:
        times = spacing * offsets(count)
        return TimeGrid(times, spacing * phi(times))

    return _cheapest_grid(make, target, _Band(band.band, band.envelope, scale=1.0), epsilon, spacings, max_count=max(64, int(400 / unit)), cost=lambda g: g.times.size)


def _gaussian(amplitude: float, rate: float, x: np.ndarray) -> np.ndarray:
    """amplitude · e^{−rate·x²}, bound with ``partial`` into the CKG filters."""
    x = np.asarray(x, dtype=float)
    return amplitude * np.exp(-rate * x * x)


def _time_shifted(
    fhat: Callable[[np.ndarray], np.ndarray], shift: float, nu: np.ndarray
) -> np.ndarray:
    """e^{iνs} f̂(ν): the transfer function of a grid whose times are all moved by s."""
    nu = np.asarray(nu, dtype=float)
    return np.exp(1j * shift * nu) * fhat(nu)


def _frequency_combination(
    fhat: Callable[[np.ndarray], np.ndarray],
    centres: np.ndarray,
    coefficients: np.ndarray,
    nu: np.ndarray,
) -> np.ndarray:
    """Σ_m a_m f̂(ν − ω_m): the exact transfer function of a compressed CKG jump."""
    nu = np.asarray(nu, dtype=float)
    return fhat(nu[..., None] - centres) @ coefficients


def _compress_kossakowski(
    base: TimeGrid, omega: np.ndarray, rates: np.ndarray, band: float, tolerance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The fewest jumps on the base grid that keep the Kossakowski kernel Σ_m v_m D[L(ω_m)] on the band.

    With u_m = (w_l e^{−iω_m t_l})_l (transfer g(ν − ω_m), g ≈ f̂ the base transfer) and
    V = [√v_m u_m], the dissipator only sees c̃(ν, ν′) = φ_ν^† V V^† φ_ν′ at Bohr frequencies
    |ν|, |ν′| ≤ B, φ_ν = (e^{−iνt_l})_l. The SVD of V restricted to L²([−B, B]),
    ΦV = Σ_k s_k y_k x_k^† (exact, through the Gram matrix of the band), orders the directions by
    what they carry on the band; jump k has time weights e_k = V x_k / s_k and rate s_k². Keeping r
    of them drops D_r = V(1 − Σ_{k<r} x_k x_k^†)V^† ⪰ 0, so |φ_ν^† D_r φ_ν′| ≤ max_ν φ_ν^† D_r φ_ν
    (Cauchy–Schwarz): a one-dimensional function, sampled on the band plus the between-samples
    allowance δ²/8 · Σ_{l,l′}|D_ll′|(t_l − t_l′)² (a bound on its second derivative). Directions
    with s_k ≤ 1e-12 s_0 are numerically null and never kept (their weights e_k would blow up).

    Returns:
        The rates s_k², the time weights e_k (columns), the frequency coefficients √v_m x_km / s_k of
        each jump (columns), and the certified max |c̃ − c̃_r| over the band.
    """
    t = base.times
    tmax = float(np.max(np.abs(t)))
    shifts = base.weights[:, None] * np.exp(-1j * np.outer(t, omega))  # the u_m, as columns
    vmat = shifts * np.sqrt(rates)
    # ΦV has the Gram matrix of G^{1/2}V, G = ∫_{−B}^{B} φ_ν φ_ν^† dν, G_ll′ = 2 sin(B(t_l − t_l′))/(t_l − t_l′):
    # the same right singular vectors from an N_t-row matrix
    lags = t[:, None] - t[None, :]
    gram_values, gram_vectors = np.linalg.eigh(2 * band * np.sinc(band * lags / math.pi))
    root = (gram_vectors * np.sqrt(np.clip(gram_values, 0.0, None))) @ gram_vectors.T
    _, s, xh = np.linalg.svd(root @ vmat, full_matrices=False)
    # φ_ν^† D φ_ν oscillates like e^{2iνt_max}: 128 samples per period
    count = 2 ** max(12, math.ceil(math.log2(256 * band * tmax / math.pi + 1))) + 1
    nu_s = np.linspace(-band, band, count)
    transfer = np.exp(1j * np.outer(nu_s, t))
    allowance = (nu_s[1] - nu_s[0]) ** 2 / 8 * lags**2
    dropped = vmat @ vmat.conj().T
    usable = int(np.sum(s > 1e-12 * s[0]))
    coefficients: list[np.ndarray] = []
    while True:
        err = float(np.max(np.real(np.sum((transfer @ dropped) * transfer.conj(), axis=1))))
        err += float(np.sum(np.abs(dropped) * allowance))
        if (err <= tolerance and coefficients) or len(coefficients) == usable:
            break
        k = len(coefficients)
        coefficients.append(np.sqrt(rates) * xh[k].conj() / s[k])
        e = shifts @ coefficients[-1]
        dropped = dropped - s[k] ** 2 * np.outer(e, e.conj())
    coef = np.array(coefficients).T
    return s[: coef.shape[1]] ** 2, shifts @ coef, coef, err


def _ckg_form(
    lind: Lindbladian, kernel: SmoothedBandKernel, band: float, epsilon: float, unit: float | None
) -> TimeDomainForm:
    """CKG lowered to a few jumps on one time grid, with the T = 0 KMS coherent term.

    The dissipator is ∫dω γ(ω) Σ_k D[Â_k(ω)], Â(ω) = Σ_ν f̂(ω − ν) A(ν) with the Gaussian operator
    Fourier transform f̂(x) = (σ√(2π))^{−1/2} e^{−x²/(4σ²)}, whose time kernel
    f(t) = (1/2π)∫dx f̂(x) e^{−ixt} = (σ√(2π))^{−1/2} (σ/√π) e^{−σ²t²}. Steps:

    1. ω on [−R, R], R = B + σz with 2Φ̄(z) = ε c_max/4 (what ω beyond R carry; γ ≤ 1 for both
       CKG weights), by composite Gauss–Legendre split at the kinks of γ: v_m = gl_m γ(ω_m).
       Error ``"frequency"``: max |Σ_m v_m f̂(ω_m−ν) f̂(ω_m−ν′) − c(ν, ν′)| / c_max, sampled on the band.
    2. One base grid w_l ≈ Δt f(t_l) with Σ_l w_l e^{ixt_l} = f̂(x) to ε on |x| ≤ B + R (``"jump"``,
       certified, relative to max f̂); the jump at ω has weights w_l e^{−iωt_l}, transfer f̂(ν − ω).
       As max f̂ · ∫f̂ = √2, a filter error ε_f moves c by at most 2√2 ε_f + O(ε_f²) (absolute).
    3. The Kossakowski matrix of those jumps compressed to the fewest eigen-jumps that keep its
       kernel on the band to ε c_max (``"rank"``, certified; ``_compress_kossakowski``).
    4. H̃ = (i/2) tanh(βμ/4) on K̃ = Σ_r λ_r L_r^†L_r (the KMS coherent term of the same dissipator,
       so it stays exactly KMS up to the errors above), the T = 0 midpoint grid; Bohr differences μ
       weigh as much as c carries them, e^{−μ²/(8σ²)} (``"coherent"``, relative to c_max).

    c_max = max_{|ν| ≤ B} c(ν, ν) bounds |c(ν, ν′)| on the band (c is positive semi-definite).

    References:
        Chen, Kastoryano & Gilyén, arXiv:2311.09207, Eqs. (1.4)-(1.6), (2.5); physics.md §6.
    """
    sigma, beta = kernel.sigma, lind.beta
    norm = (sigma * math.sqrt(2 * math.pi)) ** -0.5
    fhat = partial(_gaussian, norm, 1 / (4 * sigma**2))
    ftime = partial(_gaussian, norm * sigma / math.sqrt(math.pi), sigma**2)
    scale = float(np.max(kernel.smoothed_weight(np.linspace(-band, band, 2001))))
    reach = band + sigma * float(-ndtri(epsilon * scale / 8))
    inside = [k for k in kernel.kinks if -reach < k < reach]
    omega, gl = composite_gauss_legendre(
        np.array([-reach, reach, *inside]), min(sigma, kernel.weight_scale), order=12
    )
    v = gl * kernel.weight(omega)
    omega, v = omega[v > 0], v[v > 0]

    nu = np.linspace(-band, band, 161)
    f = fhat(omega[:, None] - nu[None, :])
    rule = (f * v[:, None]).T @ f
    exact = kernel.coefficients(nu[:, None], nu[None, :])
    errors = {"frequency": float(np.max(np.abs(rule - exact))) / scale}

    jump_band = band + reach
    if unit is None:
        unit = _default_unit(fhat, beta, 0.0, band, epsilon, jump_band=jump_band)
    unit = check_positive("unit", unit)
    # f̂″ and Σ_l|w_l|t_l² are both ≈ max f̂/(2σ²): spacing 2σ√ε keeps the allowance ≈ ε/2
    resolution = 2 * sigma * math.sqrt(epsilon)
    base, errors["jump"] = _fit_grid(ftime, fhat, jump_band, epsilon, unit, resolution=resolution)
    rates, vectors, coef, rank_err = _compress_kossakowski(base, omega, v, band, epsilon * scale)
    errors["rank"] = rank_err / scale
    jumps = tuple((float(r), TimeGrid(base.times, e)) for r, e in zip(rates, vectors.T))

    pairs = _Band(2 * band, partial(_gaussian, 1.0, 1 / (8 * sigma**2)))
    # the midpoint grid aliases tanh's tails as e^{−β(2π/Δt − μ)/2} and the envelope suppresses large
    # μ: spacings start at the μ → 0 limit Δt = 2π/w, w = 2 ln(4/ε)/β, and shrink until ε is met
    alias = 2 * math.log(4 / epsilon) / beta
    coherent, errors["coherent"] = _coherent_grid(beta, 0.0, pairs, alias, epsilon, unit)
    return TimeDomainForm(
        hamiltonian=lind.hamiltonian,
        couplings=lind.couplings,
        rate=lind.rate,
        unit=unit,
        jumps=jumps,
        coherent_jumps=jumps,
        coherent=coherent,
        errors=errors,
        bohr_bound=band,
        base_filter=fhat,
        jump_filters=tuple(partial(_frequency_combination, fhat, omega, a) for a in coef.T),
    )


def build_time_domain(
    lind: Lindbladian, *, epsilon: float, unit: float | None = None, bohr_bound: float | None = None
) -> TimeDomainForm:
    """Lower an exactly-KMS ``Lindbladian`` (Scandi–Alhambra ``form="kms"``, CKG or DLL) to a TimeDomainForm.

    CKG is lowered by ``_ckg_form`` (compressed Kossakowski eigen-jumps on one grid).

    Args:
        lind: the generator.
        epsilon: target sup-norm accuracy of each transfer function on the Bohr band.
        unit: the common time unit (the Trotter step h); all grid times are multiples of it. By
            default the largest unit that lets every grid reach ``epsilon``: the coherent grid's
            spacing estimate (half of it at T = 0, whose midpoint grid needs t_j = (j+½)Δt on the units).
        bohr_bound: the Bohr band the grids must resolve; default 2Σ|c| of H. A light-cone compiler
            passes the bound of its window Hamiltonians (the frames it evolves with), independent of n.
    """
    from .kernels import GaussianBandKernel, RankOneKernel, SmoothedBandKernel
    from .master_equations import bohr_frequency_bound

    epsilon = check_positive("epsilon", epsilon)
    kernel = lind.kernel
    beta = lind.beta
    band = bohr_frequency_bound(lind.hamiltonian) if bohr_bound is None else check_positive("bohr_bound", bohr_bound)
    if isinstance(kernel, SmoothedBandKernel) and lind.family == "ckg":
        return _ckg_form(lind, kernel, band, epsilon, unit)
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
            "form='kms', CKG and DLL"
        )
    if lind.parameters.get("lamb_shift"):
        raise ValueError("the diagonal Lamb shift has no time-domain form here; build the generator with lamb_shift=False")
    if unit is None:
        unit = _default_unit(fhat, beta, T, band, epsilon)
    unit = check_positive("unit", unit)
    base, jump_err = _fit_grid(kernel_time, fhat, band, epsilon, unit)
    errors = {"jump": jump_err}

    pairs = _Band(2 * band, _pair_envelope(fhat, band))
    w_eps = _decay_band(fhat, 0.0, epsilon / 4)  # |f̂| < ε/4 beyond: pairs reach Bohr differences ≤ 2 w_eps
    if T > 0:
        sd = T / math.sqrt(2)

        def make(spacing: float, count: int) -> TimeGrid:
            s = spacing * np.arange(-count, count + 1)
            v = np.exp(-0.5 * (s / sd) ** 2)
            return TimeGrid(s, (v / v.sum()).astype(complex))  # the average of a constant is exact

        avg, errors["average"] = _cheapest_grid(
            make,
            lambda mu: np.exp(-((sd * mu) ** 2) / 2),
            pairs,
            epsilon,
            _spacings(unit, 2 * math.pi / w_eps),
            max_count=max(64, int(400 / unit)),
            cost=lambda g: g.times.size,  # every node is a whole sweep
        )
        jumps = tuple((float(vm.real), base.shifted(sm)) for sm, vm in zip(avg.times, avg.weights))
        jump_filters = tuple(partial(_time_shifted, fhat, float(sm)) for sm in avg.times)
    else:
        jumps = ((1.0, base),)
        jump_filters = (fhat,)
        errors["average"] = 0.0

    coherent = None
    if lind.coherent is not None:
        coherent, errors["coherent"] = _coherent_grid(beta, T, pairs, w_eps, epsilon, unit)
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
        jump_filters=jump_filters,
    )
