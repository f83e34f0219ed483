"""Bosonic baths: spectral density Ĉ(ω), its square root ĝ(ω), and their time-domain transforms.

Conventions (docs/conventions.md): Ĉ(ω) = ∫dt e^{iωt} C(t) is large for ω > 0 (the bath absorbs ω) and
obeys the KMS relation Ĉ(ω) = e^{βω} Ĉ(−ω); ĝ = √Ĉ obeys ĝ(ω) = e^{βω/2} ĝ(−ω);
C(t) = (1/2π)∫dω e^{−iωt} Ĉ(ω) and g(t) = (1/2π)∫dω e^{−iωt} ĝ(ω), so that C = g ∗ g.
Each coupling channel sees an independent, identical bath (Ĉ_kl = δ_kl Ĉ).

References:
    Scandi & Alhambra, arXiv:2505.20064, Sec. III and Eqs. (33)-(34), (90)-(91) (with the
    Dawson-function correction, docs/master_equations.md).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
from scipy.special import dawsn

from .._checks import check_positive
from .._quadrature import composite_gauss_legendre, split_gauss_legendre

__all__ = ["Bath", "OhmicBath", "GaussianBath"]

# Gaussian tails are cut at this many standard deviations (e^{-81/2} ≈ 2.6e-18).
_GAUSS_CUT = 9.0
# Spectral supports are cut where the density has fallen by e^{-_SUPPORT_DECAY}.
_SUPPORT_DECAY = 45.0
_CHUNK = 2048


def _finite(what: str, values: np.ndarray, bath: Bath) -> np.ndarray:
    """Return ``values`` if every entry is finite; else refuse, naming the quantity and the bath."""
    if not np.all(np.isfinite(values)):
        raise ValueError(
            f"{what} of {bath!r} is not finite here: it exceeds double precision (~e^709); lower beta or "
            "the bath width (the peak of a Gaussian bath is strength·e^(beta²·width²/8); "
            "GaussianBath.for_beta(beta) keeps it at 1)"
        )
    return values


class Bath(ABC):
    """A thermal bath at inverse temperature ``beta`` seen through its spectral density."""

    beta: float

    @abstractmethod
    def spectral_density(self, omega: np.ndarray | float) -> np.ndarray:
        """Ĉ(ω) ≥ 0, the rate at which the bath absorbs energy ω."""

    @abstractmethod
    def support(self, power: float = 1.0) -> tuple[float, float]:
        """Interval outside which Ĉ(ω)^power is below e^{-45} of its scale."""

    @property
    @abstractmethod
    def scale(self) -> float:
        """Frequency scale on which Ĉ is smooth (panel width of the quadratures)."""

    @property
    def kinks(self) -> tuple[float, ...]:
        """Frequencies where Ĉ is continuous but not smooth (quadrature breakpoints)."""
        return ()

    def sqrt_spectral_density(self, omega: np.ndarray | float) -> np.ndarray:
        """ĝ(ω) = √Ĉ(ω)."""
        return np.sqrt(self.spectral_density(omega))

    def log_spectral_density(self, omega: np.ndarray | float) -> np.ndarray:
        """log Ĉ(ω) (−inf where Ĉ = 0); baths whose Ĉ can overflow compute it in closed form."""
        with np.errstate(divide="ignore"):
            return np.log(self.spectral_density(omega))

    def log_max_spectral_density(self, lo: float, hi: float, *, variance: float = 0.0) -> float:
        """An upper bound on log max Ĉ over [lo, hi] (of Ĉ ⋆ N(0, variance) when variance > 0).

        Used to refuse, before building anything, a generator whose rates would overflow. The
        default samples Ĉ on a fine grid of [lo − 9σ, hi + 9σ] (σ² = variance: every point the
        smoothing quadrature visits) and its kinks.
        """
        reach = _GAUSS_CUT * math.sqrt(variance) if variance > 0 else 0.0
        a, b = lo - reach, hi + reach
        grid = np.concatenate([np.linspace(a, b, 4097), [k for k in self.kinks if a <= k <= b]])
        return float(np.max(self.log_spectral_density(grid)))

    def smoothed_spectral_density(self, x: np.ndarray | float, variance: float) -> np.ndarray:
        """(Ĉ ⋆ N(0, v))(x) = E[Ĉ(x + √v Z)], Z standard normal; exact to ~1e-14 relative."""
        x = np.asarray(x, dtype=float)
        sd = math.sqrt(check_positive("variance", variance))
        flat = x.ravel()
        panels = max(4, math.ceil(2 * _GAUSS_CUT / min(1.5, self.scale / sd)))
        out = np.empty(flat.shape)
        kink = self.kinks[0] if self.kinks else -np.inf
        for start in range(0, flat.size, _CHUNK):
            xs = flat[start : start + _CHUNK]
            z, w = split_gauss_legendre(-_GAUSS_CUT, _GAUSS_CUT, (kink - xs) / sd, panels)
            dens = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
            out[start : start + _CHUNK] = np.sum(
                w * dens * self.spectral_density(xs[:, None] + sd * z), axis=1
            )
        return out.reshape(x.shape)

    def lamb_shift_function(self, x: np.ndarray | float, coarse_graining_time: float) -> np.ndarray:
        """ℓ_T(x) = (1/√π) ∫dΩ Ĉ(Ω/T + x) (2/√π) D(Ω), D the Dawson function.

        The coarse-grained Lamb coefficient of a pair of Bohr frequencies is
        S(ν, ν') = e^{-T²(ν-ν')²/4} ℓ_T(-(ν+ν')/2)  (docs/master_equations.md, corrected Eq. 91).
        """
        T = check_positive("coarse_graining_time", coarse_graining_time)
        x = np.asarray(x, dtype=float)
        lo, hi = self.support()
        grading = np.concatenate([[0.0], 2.0 ** np.arange(0, 60) / T])
        out = np.empty(x.size)
        for i, xi in enumerate(x.ravel()):
            near = np.concatenate([xi - grading, xi + grading])
            points = np.concatenate([[lo, hi], self.kinks, near[(near > lo) & (near < hi)]])
            nodes, weights = composite_gauss_legendre(points, self.scale)
            kernel = (2 / math.pi) * T * dawsn(T * (nodes - xi))
            out[i] = np.sum(weights * kernel * self.spectral_density(nodes))
        return out.reshape(x.shape)

    def principal_value_function(self, x: np.ndarray | float) -> np.ndarray:
        """ℓ_∞(x) = (1/π) P.V.∫dω Ĉ(ω)/(ω − x), the T → ∞ limit of ``lamb_shift_function``.

        Computed by singularity subtraction: ∫(Ĉ(ω) − Ĉ(x))/(ω − x) dω + Ĉ(x) log|(hi − x)/(x − lo)|.
        The Davies Lamb shift is s(ω) = −½ ℓ_∞(−ω) (docs/master_equations.md).
        """
        x = np.asarray(x, dtype=float)
        lo, hi = self.support()
        out = np.empty(x.size)
        for i, xi in enumerate(x.ravel()):
            points = np.array([lo, hi, *self.kinks, *([xi] if lo < xi < hi else [])])
            nodes, weights = composite_gauss_legendre(points, self.scale)
            cx = float(self.spectral_density(xi))
            integrand = (self.spectral_density(nodes) - cx) / (nodes - xi)
            out[i] = (np.sum(weights * integrand) + cx * math.log(abs((hi - xi) / (xi - lo)))) / math.pi
        return out.reshape(x.shape)

    def correlation(self, t: np.ndarray | float) -> np.ndarray:
        """C(t) = (1/2π) ∫dω e^{-iωt} Ĉ(ω)."""
        return self._fourier(self.spectral_density, t, power=1.0)

    def jump_correlator(self, t: np.ndarray | float) -> np.ndarray:
        """g(t) = (1/2π) ∫dω e^{-iωt} ĝ(ω), the square-root correlator (C = g ∗ g)."""
        return self._fourier(self.sqrt_spectral_density, t, power=0.5)

    def _fourier(self, density, t, *, power: float) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        lo, hi = self.support(power)
        tmax = float(np.max(np.abs(t))) if t.size else 0.0
        width = min(self.scale, math.pi / tmax) if tmax > 0 else self.scale
        nodes, weights = composite_gauss_legendre(np.array([lo, hi, *self.kinks]), width)
        fw = weights * density(nodes) / (2 * math.pi)
        flat = t.ravel()
        out = np.empty(flat.shape, dtype=complex)
        chunk = max(1, 2**21 // nodes.size)
        for start in range(0, flat.size, chunk):
            ts = flat[start : start + chunk, None]
            out[start : start + chunk] = np.exp(-1j * nodes[None, :] * ts) @ fw
        return out.reshape(t.shape)


@dataclass(frozen=True)
class OhmicBath(Bath):
    """Ohmic bath with exponential cut-off, Ĉ(ω) = 2πηω e^{-|ω|/ω_c} / (1 − e^{-βω}).

    Ĉ(0) = 2πη/β. The factor e^{-|ω|/ω_c} has a kink at ω = 0 that every quadrature splits at.

    Args:
        beta: inverse temperature (> 0).
        eta: dimensionless coupling strength η (> 0).
        cutoff: cut-off frequency ω_c (> 0).
    """

    beta: float
    eta: float = 0.1
    cutoff: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "beta", check_positive("beta", self.beta))
        object.__setattr__(self, "eta", check_positive("eta", self.eta))
        object.__setattr__(self, "cutoff", check_positive("cutoff", self.cutoff))

    def spectral_density(self, omega):
        w = np.asarray(omega, dtype=float)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            bose = np.where(w == 0.0, 1.0 / self.beta, w / -np.expm1(-self.beta * w))
        bose = np.nan_to_num(bose, nan=0.0, posinf=0.0)
        return 2 * math.pi * self.eta * bose * np.exp(-np.abs(w) / self.cutoff)

    def support(self, power: float = 1.0) -> tuple[float, float]:
        hi = _SUPPORT_DECAY * self.cutoff / power
        lo = -_SUPPORT_DECAY / (power * (self.beta + 1.0 / self.cutoff))
        return lo, hi

    @property
    def scale(self) -> float:
        return 0.5 * min(self.cutoff, 2 * math.pi / self.beta)

    @property
    def kinks(self) -> tuple[float, ...]:
        return (0.0,)


@dataclass(frozen=True)
class GaussianBath(Bath):
    """Gaussian test bath Ĉ(ω) = κ e^{βω/2 − ω²/(2s²)}, every transform in closed form.

    ĝ(ω) = √κ e^{βω/4 − ω²/(4s²)}, g(t) = √κ (s/√π) e^{s²(β/4 − it)²},
    C(t) = κ (s/√(2π)) e^{s²(β/2 − it)²/2} (docs/master_equations.md).

    Args:
        beta: inverse temperature (> 0).
        width: s (> 0).
        strength: κ (> 0).
    """

    beta: float
    width: float = 1.0
    strength: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "beta", check_positive("beta", self.beta))
        object.__setattr__(self, "width", check_positive("width", self.width))
        object.__setattr__(self, "strength", check_positive("strength", self.strength))

    @classmethod
    def for_beta(cls, beta: float, *, peak_frequency: float = 1.25, peak_rate: float = 1.0) -> GaussianBath:
        """The Gaussian bath whose rates peak at ω₀ = ``peak_frequency`` with height ``peak_rate`` at every β.

        Ĉ(ω) = κ e^{βω/2 − ω²/(2s²)} = r e^{−(ω − βs²/2)²/(2s²)}, r = κ e^{β²s²/8}: a Gaussian of width s
        centred at βs²/2, whose height grows as e^{β²s²/8}. At a fixed width that height is what limits
        the circuits at low temperature: the dilation step needs dt·α²·max Ĉ ≤ 1/4 (the ℓ1 norm of the
        jump's time kernel squared is max Ĉ), while the mixing is set by the rates at the system's
        cooling Bohr frequencies, far below the peak (width 2: max Ĉ = e^{8} ≈ 3×10³ at β = 4, while
        the rates at the spectral gap of a unit TFIM chain are ~e^{−6} of it). The time grids of the
        jumps are accurate to ε relative to max ĝ too, so the small heating rates that set the Gibbs
        populations are lost: at ε = 10⁻² the fixed point of that grid generator is 0.068 from
        e^{−βH}/Z (TFIM n = 3, β = 4; 0.0022 with this bath). Here

            s(β) = √(2ω₀/β),   κ(β) = r e^{−βω₀/4},   so   Ĉ(ω) = r e^{−β(ω − ω₀)²/(4ω₀)},

        i.e. the cooling rates peak at the fixed frequency ω₀ with height r for every β (rates bounded
        by r, as the Metropolis-like weights of CKG and DLL are bounded by 1), and the heating rates
        are Ĉ(−ω) = e^{−βω} Ĉ(ω). Both s and κ only shape the rates: every Gaussian bath satisfies
        the KMS relation, so the fixed point of the exactly-KMS generators stays e^{−βH}/Z; κ (and
        r) rescale the generator uniformly, which changes time scales and never the fixed point.

        ω₀ should sit at the Bohr frequencies that cool the system, about its spectral gap to a few
        times it. The default 1.25 is measured on TFIM chains with unit couplings (H = −ΣZZ − ΣX, X
        and Z couplings, n = 3, 4, T = 1): the spectral gap per dilation strength α²·max Ĉ is within
        15 % of the best Gaussian width at β = 1, 2 and 4 (0.76–1.05), against 0.0012–0.0016 at β = 4
        for the fixed width 2 (CKG Metropolis: 0.20–0.25; DLL Gaussian, whose width is √2/β: 0.0007 at
        β = 4). Smaller widths lengthen the jumps' time kernels (∝ 1/s = √(β/2ω₀)) and the circuits
        with them; counting that, ω₀ ∈ [1.25, 2] reach 0.02 from |000⟩ within 20 % of each other in CX at
        β = 2 and 4 (benchmarks/lowtemp_table.py). At β ≲ 1 the fixed width 2 is as good or better.

        Args:
            beta: inverse temperature (> 0).
            peak_frequency: ω₀ (> 0), where the rates peak, in the units of H.
            peak_rate: r (> 0), the largest rate max Ĉ.

        Raises:
            ValueError: if κ = r e^{−βω₀/4} underflows double precision (βω₀/4 ≳ 700).

        References:
            Scandi & Alhambra, arXiv:2505.20064, Sec. III (KMS relation of the bath); Chen,
            Kastoryano & Gilyén, arXiv:2311.09207, and Ding, Li & Lin, arXiv:2404.05998 (rates bounded
            by 1); physics.md §7.2.
        """
        beta = check_positive("beta", beta)
        omega0 = check_positive("peak_frequency", peak_frequency)
        rate = check_positive("peak_rate", peak_rate)
        strength = math.exp(math.log(rate) - beta * omega0 / 4)
        if not strength > 0:
            raise ValueError(
                f"GaussianBath.for_beta: the strength peak_rate·e^(−beta·peak_frequency/4) underflows double "
                f"precision at beta={beta!r}, peak_frequency={peak_frequency!r}"
            )
        return cls(beta, width=math.sqrt(2 * omega0 / beta), strength=strength)

    @property
    def peak_frequency(self) -> float:
        """ω₀ = βs²/2, where Ĉ is largest."""
        return self.beta * self.width**2 / 2

    @property
    def peak_rate(self) -> float:
        """max Ĉ = κ e^{β²s²/8} (inf if it exceeds double precision)."""
        log_peak = self._log_peak()
        return math.exp(log_peak) if log_peak < 709.0 else math.inf

    def log_spectral_density(self, omega):
        w = np.asarray(omega, dtype=float)
        return math.log(self.strength) + self.beta * w / 2 - w * w / (2 * self.width**2)

    def log_max_spectral_density(self, lo: float, hi: float, *, variance: float = 0.0) -> float:
        # log Ĉ ⋆ N(0, v) = log κ + β²s²/8 + log(s/√(s² + v)) − (x − βs²/2)²/(2(s² + v)): concave in x
        v = self.width**2 + variance
        centre = self.beta * self.width**2 / 2
        x = min(max(centre, lo), hi)
        return self._log_peak() + 0.5 * math.log(self.width**2 / v) - (x - centre) ** 2 / (2 * v)

    def spectral_density(self, omega):
        with np.errstate(over="ignore"):
            return _finite("the spectral density", np.exp(self.log_spectral_density(omega)), self)

    def sqrt_spectral_density(self, omega):
        with np.errstate(over="ignore"):
            return _finite("the square-root spectral density", np.exp(0.5 * self.log_spectral_density(omega)), self)

    def support(self, power: float = 1.0) -> tuple[float, float]:
        centre = self.beta * self.width**2 / 2
        half = math.sqrt(2 * _SUPPORT_DECAY / power) * self.width
        return centre - half, centre + half

    @property
    def scale(self) -> float:
        return 0.5 * self.width

    def _log_peak(self) -> float:
        """log max Ĉ = log κ + β²s²/8 (kept in log space: the peak itself may overflow)."""
        return math.log(self.strength) + self.beta**2 * self.width**2 / 8

    def smoothed_spectral_density(self, x, variance):
        v = self.width**2 + check_positive("variance", variance)
        x = np.asarray(x, dtype=float)
        centre = self.beta * self.width**2 / 2
        # one exponent: finite whenever the result is, even when the peak alone overflows
        exponent = self._log_peak() + 0.5 * math.log(self.width**2 / v) - (x - centre) ** 2 / (2 * v)
        with np.errstate(over="ignore"):
            return _finite("the smoothed spectral density", np.exp(exponent), self)

    def lamb_shift_function(self, x, coarse_graining_time):
        T = check_positive("coarse_graining_time", coarse_graining_time)
        v = self.width**2 + 1 / (2 * T * T)
        if not math.isfinite(v):
            raise ValueError(f"coarse_graining_time={coarse_graining_time!r} is too small: 1/(2T²) overflows")
        x = np.asarray(x, dtype=float)
        arg = (self.beta * self.width**2 / 2 - x) / math.sqrt(2 * v)
        dawson = dawsn(arg)
        with np.errstate(over="ignore", divide="ignore"):
            magnitude = np.exp(self._log_peak() + 0.5 * math.log(self.width**2 / v) + np.log(np.abs(dawson)))
        return _finite("the Lamb-shift function", (2 / math.sqrt(math.pi)) * np.sign(dawson) * magnitude, self)

    def correlation(self, t):
        # C(t) = κ(s/√2π) e^{s²(β²/4 − t²)/2} e^{−is²βt/2}: modulus and phase apart, so a large
        # modulus is not multiplied into a NaN by the complex exponential
        t = np.asarray(t, dtype=float)
        s = self.width
        log_mod = math.log(self.strength * s / math.sqrt(2 * math.pi)) + s * s * (self.beta**2 / 4 - t * t) / 2
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.exp(log_mod) * np.exp(-0.5j * s * s * self.beta * t)
        return _finite("the correlation function C(t)", out, self)

    def jump_correlator(self, t):
        # g(t) = √κ(s/√π) e^{s²(β²/16 − t²)} e^{−is²βt/2}
        t = np.asarray(t, dtype=float)
        s = self.width
        log_mod = 0.5 * math.log(self.strength) + math.log(s / math.sqrt(math.pi)) + s * s * (self.beta**2 / 16 - t * t)
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.exp(log_mod) * np.exp(-0.5j * s * s * self.beta * t)
        return _finite("the jump correlator g(t)", out, self)
