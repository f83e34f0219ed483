"""Builders of the master-equation families: Scandi–Alhambra (KMS and coarse-grained), Davies, CKG, DLL.

All are assembled in the energy basis of H with one independent, identical bath per coupling
(docs/master_equations.md). The KMS coherent term is universal (docs/master_equations.md):

    H_⊥ = (i/2) Σ tanh(β(ν − ν′)/4) c(ν, ν′) A(ν′)^† A(ν),  i.e.  (H_⊥)_dc = (i/2) tanh(β(E_d − E_c)/4) K_dc.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from qiskit.quantum_info import SparsePauliOp
from scipy.special import log_ndtr, ndtr

from .._checks import DEFAULT_MAX_DENSE_BYTES, check_couplings, check_hermitian_pauli, check_positive
from .baths import Bath
from .energy_basis import EnergyBasis, bohr_frequency_bound
from .kernels import (
    GaussianBandKernel,
    RankOneKernel,
    SecularKernel,
    SmoothedBandKernel,
    TransitionKernel,
    _evaluate_on_unique,
)
from .lindbladian import Lindbladian

__all__ = ["scandi_alhambra", "davies", "ckg", "dll", "kms_coherent_term"]

Couplings = Sequence[SparsePauliOp] | SparsePauliOp


#: Largest log of a transition rate a generator is built with: rates up to e^600 ≈ 1e260 leave
#: room (1e48) for the sums over d² entries and couplings before double precision overflows.
_LOG_RATE_LIMIT = 600.0
#: T·(Bohr band) must keep T²(ν − ν′)² finite (and T itself far from overflow).
_MAX_BAND_TIME = 1e150


def _setup(
    hamiltonian: SparsePauliOp, couplings: Couplings, beta: float, coupling: float
) -> tuple[SparsePauliOp, tuple[SparsePauliOp, ...], float, float]:
    h = check_hermitian_pauli("Hamiltonian", hamiltonian)
    a = check_couplings(couplings, h.num_qubits)
    beta = check_positive("beta", beta)
    coupling = check_positive("coupling", coupling)
    rate = coupling * coupling
    if not (math.isfinite(rate) and rate > 0):  # α² is the generator's prefactor
        raise ValueError(f"coupling={coupling!r}: α² = {rate!r} is not a finite positive number in double precision")
    return h, a, beta, coupling


def _check_bath(bath: object) -> Bath:
    if not isinstance(bath, Bath):
        raise TypeError(f"bath must be a kmsgibbs Bath (e.g. baths.GaussianBath(beta)), got {type(bath).__name__}")
    return bath


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _check_rates(family: str, bath: Bath, h: SparsePauliOp, *, variance: float = 0.0, whole: bool = False) -> None:
    """Refuse, before anything is built, a generator whose rates overflow double precision.

    The rates are Ĉ (or its smoothing) at Bohr frequencies, all within |ν| ≤ B = 2Σ|c_P|; a Lamb
    shift integrates Ĉ over its whole support (``whole``). A Gaussian bath at β = 1000 has
    Ĉ(ω) = e^{500ω − ω²/2}: e^{4950} at ω = 10, where the generator used to come out all NaN.
    """
    band = bohr_frequency_bound(h)
    worst = bath.log_max_spectral_density(-band, band, variance=variance)
    where = f"on the Bohr band |ν| ≤ {band:.4g} (2Σ|c_P| of H)"
    if whole:
        lo, hi = bath.support()
        peak = bath.log_max_spectral_density(lo, hi)
        if peak > worst:
            worst, where = peak, f"at its peak (the Lamb shift integrates Ĉ over [{lo:.4g}, {hi:.4g}])"
    if not worst <= _LOG_RATE_LIMIT:
        raise ValueError(
            f"{family}: the bath's spectral density reaches e^{worst:.4g} {where} for {bath!r}: the generator's "
            f"rates would overflow double precision (limit e^{_LOG_RATE_LIMIT:g}) and come out inf/NaN; lower "
            "beta or the bath width, or rescale H"
        )


def _check_band_time(name: str, value: float, h: SparsePauliOp, *, family: str) -> None:
    """T²(ν − ν′)² must be finite: T·2B ≤ 1e150 (beyond, the band is a Kronecker delta to double precision)."""
    band = 2 * bohr_frequency_bound(h)
    if value * max(1.0, band) > _MAX_BAND_TIME:
        raise ValueError(
            f"{family}: {name}={value!r} with Bohr differences up to {band:.4g}: T²(ν − ν′)² overflows double "
            f"precision (T·2B must be ≤ {_MAX_BAND_TIME:g}); for the T → ∞ (secular) limit use davies()"
        )


def _pair_contract(abar: np.ndarray, tensor: np.ndarray) -> np.ndarray:
    """X_dc = Σ_k Σ_a conj(Ā_k,ad) Ā_k,ac F[a, c, d]: the energy-basis matrix of Σ F A(ν′)^†A(ν)."""
    return sum(np.einsum("ad,ac,acd->dc", a.conj(), a, tensor, optimize=True) for a in abar)


def kms_coherent_term(decay_energy: np.ndarray, basis: EnergyBasis, beta: float) -> np.ndarray:
    """H_⊥ in the energy basis: (i/2) tanh(β(E_d − E_c)/4) K_dc (docs/master_equations.md).

    References:
        Scandi & Alhambra, arXiv:2505.20064, Thm 3/20; Chen, Kastoryano & Gilyén, Eq. (2.5).
    """
    return 0.5j * np.tanh(beta * basis.bohr / 4) * decay_energy


def _build(
    family: str,
    h: SparsePauliOp,
    a: tuple[SparsePauliOp, ...],
    beta: float,
    coupling: float,
    kernel: TransitionKernel,
    coherent: Callable[[Lindbladian], np.ndarray] | None,
    parameters: dict,
    max_bytes: int,
) -> Lindbladian:
    return Lindbladian(
        hamiltonian=h,
        couplings=a,
        beta=beta,
        kernel=kernel,
        coherent=coherent,
        coupling=coupling,
        family=family,
        parameters={**parameters, "coherent_term": coherent is not None},
        max_bytes=max_bytes,
    )


def _kms(lind: Lindbladian) -> np.ndarray:
    return kms_coherent_term(lind.decay_energy, lind.basis, lind.beta)


def scandi_alhambra(
    hamiltonian: SparsePauliOp,
    couplings: Couplings,
    bath: Bath,
    *,
    coarse_graining_time: float,
    coupling: float = 1.0,
    form: str = "kms",
    lamb_shift: bool | None = None,
    degeneracy_tolerance: float = 1e-9,
    max_bytes: int = DEFAULT_MAX_DENSE_BYTES,
) -> Lindbladian:
    """Scandi–Alhambra master equation α² L̂ (sampler generator, without −i[H, ·]).

    ``form="kms"`` (Thm 14): c(ν, ν′) = e^{−T²(ν−ν′)²/4} ĝ(−ν) ĝ(−ν′) with the KMS tanh coherent
    term; exactly KMS-detailed-balanced with respect to e^{−βH}/Z for every T ≥ 0. ``lamb_shift=True``
    adds the commuting diagonal Lamb shift H⁰ = −½ Σ_ω S(ω, ω) A(ω)^†A(ω) (keeps the Gibbs state
    stationary, but is not KMS-symmetric).

    ``form="coarse_grained"`` (Eq. 90): c(ν, ν′) = e^{−T²(ν−ν′)²/4} (Ĉ ⋆ N(0, 1/(2T²)))(−(ν+ν′)/2);
    with ``lamb_shift=True`` (default) the physical Lamb shift H_eff = −½ Σ S(ν, ν′) A(ν′)^†A(ν),
    S(ν, ν′) = e^{−T²(ν−ν′)²/4} ℓ_T(−(ν+ν′)/2) in the corrected Dawson form and sign
    (docs/master_equations.md); approximately KMS, with O(β²/T²) defect.

    Args:
        hamiltonian: system Hamiltonian H.
        couplings: Hermitian coupling operators A_k (one independent bath each).
        bath: the bath (its ``beta`` is the target inverse temperature).
        coarse_graining_time: T ≥ 0 (> 0 for the coarse-grained form and for any Lamb shift).
        coupling: α > 0.
        form: ``"kms"`` or ``"coarse_grained"``.
        lamb_shift: see above; default False for ``"kms"``, True for ``"coarse_grained"``.
        degeneracy_tolerance: energies closer than this count as degenerate for H⁰.
        max_bytes: memory limit of the (lazy) dense diagonalisation.

    References:
        Scandi & Alhambra, arXiv:2505.20064, Eqs. (77)-(91), Thm 14, App. H.
    """
    bath = _check_bath(bath)
    if form not in ("kms", "coarse_grained"):
        raise ValueError(f"form must be 'kms' or 'coarse_grained', got {form!r}")
    T = check_positive("coarse_graining_time", coarse_graining_time, allow_zero=form == "kms")
    if lamb_shift is None:
        lamb_shift = form == "coarse_grained"
    lamb_shift = _check_flag("lamb_shift", lamb_shift)
    if lamb_shift and T == 0:
        raise ValueError("a Lamb shift needs coarse_graining_time > 0, got 0")
    # NaN would make every energy its own block and the Gibbs state no longer stationary (3e-4)
    degeneracy_tolerance = check_positive("degeneracy_tolerance", degeneracy_tolerance, allow_zero=True)
    h, a, beta, coupling = _setup(hamiltonian, couplings, bath.beta, coupling)
    family = f"scandi_alhambra(form={form!r})"
    _check_band_time("coarse_graining_time", T, h, family=family)
    if form == "coarse_grained" and not (2 * T * T > 0 and math.isfinite(1 / (2 * T * T))):
        raise ValueError(
            f"{family}: coarse_graining_time={T!r} is too small: the smoothing variance 1/(2T²) overflows"
        )
    _check_rates(family, bath, h, variance=1 / (2 * T * T) if form == "coarse_grained" else 0.0, whole=lamb_shift)
    params = {"form": form, "bath": bath, "coarse_graining_time": T, "lamb_shift": bool(lamb_shift)}

    if form == "kms":
        kernel: TransitionKernel = GaussianBandKernel(T, bath.sqrt_spectral_density)

        def coherent(lind: Lindbladian) -> np.ndarray:
            out = _kms(lind)
            if lamb_shift:
                out = out + _diagonal_lamb_shift(lind, bath, T, degeneracy_tolerance)
            return out

    else:
        variance = 1 / (2 * T * T)
        kernel = SmoothedBandKernel(
            sigma=math.sqrt(variance),
            weight=lambda w: bath.spectral_density(-w),
            smoothed_weight=lambda x: bath.smoothed_spectral_density(-x, variance),
            weight_scale=bath.scale,
            kinks=tuple(-k for k in bath.kinks),
        )
        coherent = (lambda lind: _physical_lamb_shift(lind, bath, T)) if lamb_shift else None
    return _build("scandi_alhambra", h, a, beta, coupling, kernel, coherent, params, max_bytes)


def _physical_lamb_shift(lind: Lindbladian, bath: Bath, T: float) -> np.ndarray:
    """H_eff = −½ Σ_k Σ S(ν, ν′) A_k(ν′)^† A_k(ν), energy basis (docs/master_equations.md)."""
    bohr = lind.basis.bohr
    nu, nup = bohr[:, :, None], bohr[:, None, :]
    mean = np.broadcast_to(0.5 * (nu + nup), (lind.dim,) * 3)
    band = np.exp(-(T * T) * (nu - nup) ** 2 / 4)
    ell = _evaluate_on_unique(lambda x: bath.lamb_shift_function(-x, T), mean)
    return -0.5 * _pair_contract(lind.couplings_energy, band * ell)


def _diagonal_lamb_shift(lind: Lindbladian, bath: Bath, T: float, tolerance: float) -> np.ndarray:
    """H⁰ = −½ Σ_ω S(ω, ω) A(ω)^†A(ω): the energy-block-diagonal part of the physical Lamb shift."""
    blocks = lind.basis.degenerate_blocks(tolerance)
    full = _physical_lamb_shift(lind, bath, T)
    return np.where(blocks[:, None] == blocks[None, :], full, 0.0)


def davies(
    hamiltonian: SparsePauliOp,
    couplings: Couplings,
    bath: Bath,
    *,
    coupling: float = 1.0,
    lamb_shift: bool = False,
    secular_tolerance: float = 1e-9,
    max_bytes: int = DEFAULT_MAX_DENSE_BYTES,
) -> Lindbladian:
    """Davies generator α² Σ_k Σ_ω Ĉ(−ω) D[A_k(ω)] (+ the Lamb shift Σ_ω s(ω) A(ω)^†A(ω)).

    GNS detailed balanced. s(ω) = −(1/2π) P.V.∫dω′ Ĉ(ω′)/(ω′ + ω) (docs/master_equations.md). Bohr
    frequencies closer than ``secular_tolerance`` are merged (the secular approximation).

    References:
        Davies, Commun. Math. Phys. 39, 91 (1974); Scandi & Alhambra, App. G4.
    """
    bath = _check_bath(bath)
    tol = check_positive("secular_tolerance", secular_tolerance)
    lamb_shift = _check_flag("lamb_shift", lamb_shift)
    h, a, beta, coupling = _setup(hamiltonian, couplings, bath.beta, coupling)
    _check_rates("davies", bath, h, whole=lamb_shift)
    kernel = SecularKernel(bath.spectral_density, tol)

    def coherent(lind: Lindbladian) -> np.ndarray:
        labels, means = kernel.clusters(lind.basis)
        shift = -0.5 * bath.principal_value_function(-means)
        same = labels[:, :, None] == labels[:, None, :]
        return _pair_contract(lind.couplings_energy, np.where(same, shift[labels][:, :, None], 0.0))

    params = {"bath": bath, "lamb_shift": lamb_shift, "secular_tolerance": tol}
    return _build("davies", h, a, beta, coupling, kernel, coherent if lamb_shift else None, params, max_bytes)


def ckg(
    hamiltonian: SparsePauliOp,
    couplings: Couplings,
    beta: float,
    *,
    sigma_e: float | None = None,
    weight: str = "metropolis",
    sigma_gamma: float | None = None,
    coupling: float = 1.0,
    max_bytes: int = DEFAULT_MAX_DENSE_BYTES,
) -> Lindbladian:
    """Chen–Kastoryano–Gilyén exactly-KMS Lindbladian with a Gaussian operator Fourier transform.

    c(ν, ν′) = e^{−(ν−ν′)²/(8σ_E²)} (γ ⋆ N(0, σ_E²))((ν+ν′)/2) with the KMS tanh coherent term.
    Metropolis: γ(ω) = exp(−β max(ω + βσ_E²/2, 0)), whose smoothed weight is
    Φ(−(x + βσ_E²/2)/σ_E) + e^{−βx} Φ((x − βσ_E²/2)/σ_E). Gaussian: γ(ω) = exp(−(ω+ω_γ)²/(2σ_γ²)) with
    ω_γ = β(σ_E² + σ_γ²)/2 (the KMS condition).

    Args:
        beta: inverse temperature.
        sigma_e: energy resolution σ_E, default 1/β.
        weight: ``"metropolis"`` or ``"gaussian"``.
        sigma_gamma: width σ_γ of the Gaussian weight, default σ_E.
        coupling: α.

    References:
        Chen, Kastoryano & Gilyén, arXiv:2311.09207, Sec. II; docs/master_equations.md
    """
    beta = check_positive("beta", beta)
    sigma = 1.0 / beta if sigma_e is None else check_positive("sigma_e", sigma_e)
    h, a, beta, coupling = _setup(hamiltonian, couplings, beta, coupling)
    shift = beta * sigma * sigma / 2
    if weight == "metropolis":
        kernel = SmoothedBandKernel(
            sigma=sigma,
            weight=lambda w: np.exp(-beta * np.maximum(w + shift, 0.0)),
            smoothed_weight=lambda x: ndtr(-(x + shift) / sigma)
            + np.exp(-beta * x + log_ndtr((x - shift) / sigma)),
            weight_scale=max(sigma, 1.0 / beta),
            kinks=(-shift,),
        )
        params = {"weight": weight, "sigma_e": sigma}
    elif weight == "gaussian":
        sg = sigma if sigma_gamma is None else check_positive("sigma_gamma", sigma_gamma)
        var = sigma * sigma + sg * sg
        omega_g = beta * var / 2
        kernel = SmoothedBandKernel(
            sigma=sigma,
            weight=lambda w: np.exp(-((w + omega_g) ** 2) / (2 * sg * sg)),
            smoothed_weight=lambda x: (sg / math.sqrt(var)) * np.exp(-((x + omega_g) ** 2) / (2 * var)),
            weight_scale=sg,
        )
        params = {"weight": weight, "sigma_e": sigma, "sigma_gamma": sg, "omega_gamma": omega_g}
    else:
        raise ValueError(f"weight must be 'metropolis' or 'gaussian', got {weight!r}")
    return _build("ckg", h, a, beta, coupling, kernel, _kms, params, max_bytes)


def dll(
    hamiltonian: SparsePauliOp,
    couplings: Couplings,
    beta: float,
    *,
    filter: str | Callable[[np.ndarray], np.ndarray] = "gaussian",
    coupling: float = 1.0,
    max_bytes: int = DEFAULT_MAX_DENSE_BYTES,
) -> Lindbladian:
    """Ding–Li–Lin exactly-KMS Lindbladian: one jump L_k = Σ_ν q(ν) e^{−βν/4} A_k(ν) per coupling.

    c(ν, ν′) = f̂(ν) f̂(ν′), f̂(ν) = q(ν) e^{−βν/4}, with the KMS tanh coherent term. q must be even.
    ``"gaussian"``: q(ν) = e^{−β²ν²/8}; ``"metropolis"``: q(ν) = e^{−√(1+β²ν²)/4}; or any even
    callable q.

    References:
        Ding, Li & Lin, arXiv:2404.05998, Eqs. (3.1)-(3.5); docs/master_equations.md
    """
    beta = check_positive("beta", beta)
    h, a, beta, coupling = _setup(hamiltonian, couplings, beta, coupling)
    # the named filters in one exponent: q(ν) underflows to 0 where e^{−βν/4} overflows (β = 1000),
    # and their product, finite, used to come out 0·inf = NaN
    log_q: Callable[[np.ndarray], np.ndarray] | None = None
    if isinstance(filter, str) and filter == "gaussian":
        log_q = lambda nu: -((beta * nu) ** 2) / 8  # noqa: E731
    elif isinstance(filter, str) and filter == "metropolis":
        log_q = lambda nu: -np.sqrt(1 + (beta * nu) ** 2) / 4  # noqa: E731
    if log_q is not None:
        q = lambda nu: np.exp(log_q(nu))  # noqa: E731
    elif callable(filter):
        q = filter
        nu = np.linspace(-1.0, 1.0, 2001) * bohr_frequency_bound(h)
        qp, qm = np.asarray(q(nu), dtype=float), np.asarray(q(-nu), dtype=float)
        worst = float(np.max(np.abs(qp - qm)))
        if worst > 1e-12 * max(1.0, float(np.max(np.abs(qp)))):
            raise ValueError(f"the DLL filter q must be even; |q(ν) − q(−ν)| reaches {worst:.3g}")
    else:
        raise ValueError(f"filter must be 'gaussian', 'metropolis' or a callable, got {filter!r}")
    if log_q is not None:
        fhat = lambda nu: np.exp(log_q(nu) - beta * nu / 4)  # noqa: E731
    else:
        fhat = lambda nu: q(nu) * np.exp(-beta * nu / 4)  # noqa: E731
        band = bohr_frequency_bound(h)
        with np.errstate(over="ignore", invalid="ignore"):
            values = np.asarray(fhat(np.linspace(-band, band, 4001)), dtype=float)
        if not np.all(np.isfinite(values)) or float(np.max(np.abs(values))) > math.exp(_LOG_RATE_LIMIT / 2):
            raise ValueError(
                f"dll: the filter q(ν)e^(−βν/4) is not finite (or overflows its square) on the Bohr band |ν| ≤ "
                f"{band:.4g} at beta={beta!r}; q must decay at least like e^(βν/4) for ν < 0"
            )
    kernel = RankOneKernel(fhat)
    params = {"filter": filter if isinstance(filter, str) else "custom"}
    return _build("dll", h, a, beta, coupling, kernel, _kms, params, max_bytes)
