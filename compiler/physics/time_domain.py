"""Time-domain kernels of the exactly-KMS generators (the forms the circuit back-end lowers).

Scandi–Alhambra, form 2 of docs/master_equations.md: the exactly-KMS dissipator is the T = 0 dissipator of the
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
from typing import Any, Protocol

import numpy as np
from qiskit.quantum_info import SparsePauliOp
from scipy.special import ndtri

from .._checks import check_positive
from .._quadrature import composite_gauss_legendre
from .energy_basis import bohr_frequency_bound
from .kernels import GaussianBandKernel, RankOneKernel, SmoothedBandKernel
from .time_grids import (
    Band,
    TimeGrid,
    cheapest_grid,
    coherent_filter,
    coherent_filter_transform,
    coherent_grid,
    decay_band,
    default_unit,
    fit_grid,
    gaussian_time_nodes,
    inverse_fourier,
    pair_envelope,
    unit_spacings,
)

__all__ = ["KernelGenerator", "TimeDomainForm", "TimeGrid", "build_time_domain", "coherent_filter", "coherent_filter_transform", "gaussian_time_nodes"]


class KernelGenerator(Protocol):
    """What the lowering reads of a generator (a :class:`~kmsgibbs.compiler.Lindbladian` is one)."""

    hamiltonian: SparsePauliOp
    couplings: tuple[SparsePauliOp, ...]
    beta: float
    kernel: Any
    coherent: Any
    family: str
    parameters: Any

    @property
    def rate(self) -> float: ...


@dataclass(frozen=True)
class TimeDomainForm:
    """The quasi-local, time-domain form of an exactly-KMS generator, ready for circuit lowering.

    L̃[ρ] = α² Σ_m v_m Σ_k D[L_mk](ρ) − i[H̃_⊥, ρ],   L_mk = Σ_l w_ml e^{iHt_ml} A_k e^{−iHt_ml},
    H̃_⊥ = α² Σ_j c_j e^{iHt_j} K e^{−iHt_j},   K = Σ_m' v'_m' Σ_k L'_m'k^† L'_m'k.

    Every time is an integer multiple of ``trotter_step`` (one fixed Trotter step h), so Trotterised frames telescope.

    Attributes:
        hamiltonian, couplings: H and the Pauli couplings A_k.
        rate: α².
        trotter_step: the common time unit h.
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
        average_deviation: σ = T/√2 of the time s ∼ N(0, σ²) the ``jumps`` discretise, E_s D[B(s)] with
            B on ``coherent_jumps``' grid (0: no average); the randomized scheme samples s instead.
    """

    hamiltonian: SparsePauliOp
    couplings: tuple[SparsePauliOp, ...]
    rate: float
    trotter_step: float
    jumps: tuple[tuple[float, TimeGrid], ...]
    coherent_jumps: tuple[tuple[float, TimeGrid], ...]
    coherent: TimeGrid | None
    errors: dict
    bohr_bound: float
    base_filter: Callable[[np.ndarray], np.ndarray]
    jump_filters: tuple[Callable[[np.ndarray], np.ndarray], ...] = ()
    average_deviation: float = 0.0

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
    lind: KernelGenerator, kernel: SmoothedBandKernel, band: float, epsilon: float, trotter_step: float | None
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
        Chen, Kastoryano & Gilyén, arXiv:2311.09207, Eqs. (1.4)-(1.6), (2.5); docs/master_equations.md
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
    unit = trotter_step
    if unit is None:
        unit = default_unit(fhat, beta, 0.0, band, epsilon, jump_band=jump_band)
    unit = check_positive("trotter_step", unit)
    # f̂″ and Σ_l|w_l|t_l² are both ≈ max f̂/(2σ²): spacing 2σ√ε keeps the allowance ≈ ε/2
    resolution = 2 * sigma * math.sqrt(epsilon)
    base, errors["jump"] = fit_grid(ftime, fhat, jump_band, epsilon, unit, resolution=resolution)
    rates, vectors, coef, rank_err = _compress_kossakowski(base, omega, v, band, epsilon * scale)
    errors["rank"] = rank_err / scale
    jumps = tuple((float(r), TimeGrid(base.times, e)) for r, e in zip(rates, vectors.T))

    pairs = Band(2 * band, partial(_gaussian, 1.0, 1 / (8 * sigma**2)))
    # the midpoint grid aliases tanh's tails as e^{−β(2π/Δt − μ)/2} and the envelope suppresses large
    # μ: spacings start at the μ → 0 limit Δt = 2π/w, w = 2 ln(4/ε)/β, and shrink until ε is met
    alias = 2 * math.log(4 / epsilon) / beta
    coherent, errors["coherent"] = coherent_grid(beta, 0.0, pairs, alias, epsilon, unit)
    return TimeDomainForm(
        hamiltonian=lind.hamiltonian,
        couplings=lind.couplings,
        rate=lind.rate,
        trotter_step=unit,
        jumps=jumps,
        coherent_jumps=jumps,
        coherent=coherent,
        errors=errors,
        bohr_bound=band,
        base_filter=fhat,
        jump_filters=tuple(partial(_frequency_combination, fhat, omega, a) for a in coef.T),
    )


def build_time_domain(
    lind: KernelGenerator, *, epsilon: float, trotter_step: float | None = None, bohr_bound: float | None = None
) -> TimeDomainForm:
    """Lower an exactly-KMS ``Lindbladian`` (Scandi–Alhambra ``form="kms"``, CKG or DLL) to a TimeDomainForm.

    CKG is lowered by ``_ckg_form`` (compressed Kossakowski eigen-jumps on one grid).

    Args:
        lind: the generator.
        epsilon: target sup-norm accuracy of each transfer function on the Bohr band.
        trotter_step: the common time unit h; all grid times are multiples of it. By
            default the largest unit that lets every grid reach ``epsilon``: the coherent grid's
            spacing estimate (half of it at T = 0, whose midpoint grid needs t_j = (j+½)Δt on the units).
        bohr_bound: the Bohr band the grids must resolve; default 2Σ|c| of H. A light-cone compiler
            passes the bound of its window Hamiltonians (the frames it evolves with), independent of n.
    """
    epsilon = check_positive("epsilon", epsilon)
    kernel = lind.kernel
    beta = lind.beta
    band = bohr_frequency_bound(lind.hamiltonian) if bohr_bound is None else check_positive("bohr_bound", bohr_bound)
    if isinstance(kernel, SmoothedBandKernel) and lind.family == "ckg":
        return _ckg_form(lind, kernel, band, epsilon, trotter_step)
    if isinstance(kernel, GaussianBandKernel):
        bath = lind.parameters["bath"]
        fhat = lambda nu: bath.sqrt_spectral_density(-nu)  # noqa: E731
        kernel_time = lambda t: bath.jump_correlator(-t)  # noqa: E731
        T = kernel.coarse_graining_time
    elif isinstance(kernel, RankOneKernel):
        fhat = kernel.filter
        wide = decay_band(fhat, band, 1e-18)
        kernel_time = lambda t: inverse_fourier(fhat, np.asarray(t, dtype=float), wide)  # noqa: E731
        T = 0.0
    else:
        raise ValueError(
            f"no time-domain lowering for the {lind.family!r} generator: supported are Scandi–Alhambra "
            "form='kms', CKG and DLL"
        )
    if lind.parameters.get("lamb_shift"):
        raise ValueError("the diagonal Lamb shift has no time-domain form here; build the generator with lamb_shift=False")
    unit = trotter_step
    if unit is None:
        unit = default_unit(fhat, beta, T, band, epsilon)
    unit = check_positive("trotter_step", unit)
    base, jump_err = fit_grid(kernel_time, fhat, band, epsilon, unit)
    errors = {"jump": jump_err}

    pairs = Band(2 * band, pair_envelope(fhat, band))
    w_eps = decay_band(fhat, 0.0, epsilon / 4)  # |f̂| < ε/4 beyond: pairs reach Bohr differences ≤ 2 w_eps
    if T > 0:
        sd = T / math.sqrt(2)

        def make(spacing: float, count: int) -> TimeGrid:
            s = spacing * np.arange(-count, count + 1)
            v = np.exp(-0.5 * (s / sd) ** 2)
            return TimeGrid(s, (v / v.sum()).astype(complex))  # the average of a constant is exact

        avg, errors["average"] = cheapest_grid(
            make,
            lambda mu: np.exp(-((sd * mu) ** 2) / 2),
            pairs,
            epsilon,
            unit_spacings(unit, 2 * math.pi / w_eps),
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
        coherent, errors["coherent"] = coherent_grid(beta, T, pairs, w_eps, epsilon, unit)
    return TimeDomainForm(
        hamiltonian=lind.hamiltonian,
        couplings=lind.couplings,
        rate=lind.rate,
        trotter_step=unit,
        jumps=jumps,
        coherent_jumps=((1.0, base),),
        coherent=coherent,
        errors=errors,
        bohr_bound=band,
        base_filter=fhat,
        jump_filters=jump_filters,
        average_deviation=T / math.sqrt(2),
    )
