"""Time grids and the filters they approximate: the quadrature layer of the time-domain forms.

A ``TimeGrid`` is Σ_l w_l e^{iHt_l} X e^{−iHt_l} on a uniform grid; its transfer function Σ_l w_l e^{iνt_l}
approximates a filter f̂(ν) on the Bohr band. The grid fitting chooses the cheapest grid (spacing a
multiple of one Trotter unit) whose certified sup-norm error on the band is below ε.

References:
    docs/master_equations.md ("Corrected time-domain forms"); docs/schemes.md (quadrature of the filter integral).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._checks import check_positive
from .._quadrature import composite_gauss_legendre

__all__ = [
    "coherent_filter",
    "coherent_filter_transform",
    "gaussian_time_nodes",
    "TimeGrid",
    "Band",
    "fit_grid",
    "cheapest_grid",
    "coherent_grid",
    "default_unit",
    "decay_band",
    "inverse_fourier",
    "pair_envelope",
    "unit_spacings",
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
        docs/master_equations.md ("Corrected time-domain forms"), derived from Scandi & Alhambra Thm 14.
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


def inverse_fourier(fhat, t: np.ndarray, band: float) -> np.ndarray:
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


def decay_band(fhat, start: float, epsilon: float) -> float:
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


class Band:
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


def pair_envelope(fhat, band: float):
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


def cheapest_grid(make, target, band: Band, epsilon: float, spacings, max_count: int, cost) -> tuple[TimeGrid, float]:
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


def unit_spacings(unit: float, largest: float, step: int = 1) -> list[float]:
    """Multiples k·unit (k a multiple of ``step``) from the largest ≤ ``largest`` down to one step."""
    top = max(step, step * math.floor(largest / (unit * step) + 1e-9))
    return [unit * k for k in range(top, 0, -step)][:12]


def fit_grid(
    kernel_time, fhat, band: float, epsilon: float, unit: float, *, resolution: float | None = None
) -> tuple[TimeGrid, float]:
    """The shortest uniform grid (times multiples of ``unit``) whose transfer matches f̂ to ε on |ν| ≤ band.

    A sweep's frames cost its span and its rotations its point count, so span ranks first. Spacings
    start at the aliasing limit 2π/(W + band), W where |f̂| has decayed below ε/4. ``resolution``:
    the certified sample spacing, see ``Band``.
    """
    w_eps = decay_band(fhat, band, epsilon / 4)

    def make(spacing: float, count: int) -> TimeGrid:
        times = spacing * np.arange(-count, count + 1)
        return TimeGrid(times, spacing * kernel_time(times))

    return cheapest_grid(
        make,
        fhat,
        Band(band, resolution=resolution),
        epsilon,
        unit_spacings(unit, 4 * math.pi / (w_eps + band)),
        max_count=max(64, int(400 / unit)),
        cost=lambda g: (round(float(np.ptp(g.times)) / unit), g.times.size),
    )


def default_unit(
    fhat, beta: float, T: float, band: float, epsilon: float, *, jump_band: float | None = None
) -> float:
    """Largest h for which every grid's first spacing estimate is one unit or more (rounded to 1/8, 1/16, …).

    ``jump_band`` is the band the base jump grid must resolve when it is wider than the Bohr band
    (CKG's jumps are ω-shifts of the base filter).
    """
    jb = band if jump_band is None else jump_band
    jump = 2 * math.pi / (decay_band(fhat, jb, epsilon / 4) + jb)
    if T > 0:
        coherent = 2 * math.pi / (band + 2 * math.sqrt(math.log(4 / epsilon)) / T)
        sd = T / math.sqrt(2)
        average = 2 * math.pi / (2 * band + (math.sqrt(2 * math.log(1 / epsilon)) + 1) / sd)
    else:
        coherent = math.pi / (band + 2 * math.log(4 / epsilon) / beta)  # half the midpoint spacing
        average = math.inf
    limit = min(jump, coherent, average)
    return 2.0 ** math.floor(math.log2(limit))


def coherent_grid(beta: float, T: float, band: Band, w_eps: float, epsilon: float, unit: float) -> tuple[TimeGrid, float]:
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
        spacings = unit_spacings(unit, 2 * math.pi / w_eps)
    else:
        phi = lambda t: _kms_coherent_kernel_zero(t, beta)  # noqa: E731
        offsets = lambda count: np.arange(-count, count) + 0.5  # noqa: E731
        spacings = unit_spacings(unit, 2 * math.pi / w_eps, step=2)

    def make(spacing: float, count: int) -> TimeGrid:
        times = spacing * offsets(count)
        return TimeGrid(times, spacing * phi(times))

    return cheapest_grid(make, target, Band(band.band, band.envelope, scale=1.0), epsilon, spacings, max_count=max(64, int(400 / unit)), cost=lambda g: g.times.size)
