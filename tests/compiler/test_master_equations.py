"""Acceptance tests of the master equations (issue #2, docs/conventions.md).

Every property is checked on the dense computational-basis superoperator by the independent
routines of kmsgibbs.simulators.exact, not by the energy-basis internals that built it.
"""

from functools import lru_cache

import numpy as np
import pytest

from kmsgibbs.compiler import baths, ckg, davies, dll, models, scandi_alhambra
from kmsgibbs.simulators import exact, trace_distance

OHMIC = baths.OhmicBath(1.0, eta=0.1, cutoff=5.0)


@lru_cache(maxsize=None)
def model(name: str, n: int):
    if name == "tfim":
        return models.transverse_field_ising(n)
    if name == "heisenberg":
        # With X, Y, Z couplings on every site the field-free chain is SU(2) symmetric and a uniform
        # field keeps total spin conserved: K then (nearly) commutes with H and the KMS coherent term
        # (nearly) vanishes, leaving nothing to remove. A staggered field breaks that symmetry.
        return models.heisenberg(n, field=(0.5, 0.0, [0.4 * (-1) ** i for i in range(n)]))
    if name == "heisenberg_degenerate":
        return models.heisenberg(n)
    return models.random_two_local(n, seed=11)


def build(family: str, name: str, n: int, beta: float):
    H, A = model(name, n), models.single_site_couplings(n, "XYZ")
    if family == "kms":
        return scandi_alhambra(H, A, baths.OhmicBath(beta, eta=0.1, cutoff=5.0), coarse_graining_time=1.0)
    if family == "ckg":
        return ckg(H, A, beta, weight="metropolis")
    return dll(H, A, beta, filter="gaussian")


CASES = [(m, n) for m in ("tfim", "heisenberg") for n in (3, 4, 5)] + [("random", 4)]


@pytest.mark.parametrize("family", ["kms", "ckg", "dll"])
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("name, n", CASES)
def test_exact_kms_families(family, beta, name, n):
    L = build(family, name, n, beta)
    assert exact.is_trace_preserving(L, atol=1e-12)
    assert exact.is_completely_positive(L, rtol=1e-10)
    assert exact.kms_defect(L) <= 1e-10
    stationary = exact.stationarity_defect(L)
    assert stationary <= 1e-10
    bare = L.without_coherent_term()
    assert exact.kms_defect(bare) > 1e-3
    assert exact.stationarity_defect(bare) > max(1e6 * stationary, 1e-6)


@pytest.mark.parametrize("weight", ["metropolis", "gaussian"])
@pytest.mark.parametrize("filt", ["metropolis", "gaussian"])
def test_other_ckg_and_dll_variants_are_kms(weight, filt):
    H, A = model("random", 3), models.single_site_couplings(3, "XZ")
    for L in (ckg(H, A, 1.3, weight=weight, sigma_e=0.4), dll(H, A, 1.3, filter=filt)):
        assert exact.kms_defect(L) <= 1e-10 and exact.is_completely_positive(L)


def test_davies_is_gns_and_kms_form_is_kms_but_not_gns():
    H, A = model("tfim", 3), models.single_site_couplings(3)
    D = davies(H, A, OHMIC)
    assert exact.gns_defect(D) <= 1e-10 and exact.kms_defect(D) <= 1e-10
    assert exact.is_completely_positive(D) and exact.stationarity_defect(D) <= 1e-12
    K = scandi_alhambra(H, A, OHMIC, coarse_graining_time=1.0)
    assert exact.kms_defect(K) <= 1e-10
    assert exact.gns_defect(K) > 1e-2


def test_davies_lamb_shift_commutes_and_keeps_gibbs_stationary():
    H, A = model("heisenberg", 3), models.single_site_couplings(3)
    D = davies(H, A, OHMIC, lamb_shift=True)
    h_ls, hm = D.coherent_term(), H.to_matrix()
    assert np.abs(h_ls - h_ls.conj().T).max() < 1e-13
    assert np.abs(h_ls @ hm - hm @ h_ls).max() < 1e-10 * np.abs(h_ls).max()
    assert np.abs(h_ls).max() > 1e-3
    assert exact.stationarity_defect(D) <= 1e-12


def test_kms_form_approaches_davies_as_coarse_graining_time_grows():
    H, A = model("tfim", 3), models.single_site_couplings(3)
    defects = [exact.gns_defect(scandi_alhambra(H, A, OHMIC, coarse_graining_time=T)) for T in (0.5, 1, 2, 5, 20)]
    assert all(b < a for a, b in zip(defects, defects[1:])), defects
    # and the generator itself converges to Davies once T ≫ 1/(smallest Bohr-frequency gap)
    far = scandi_alhambra(H, A, OHMIC, coarse_graining_time=40.0).superoperator()
    dav = davies(H, A, OHMIC).superoperator()
    assert np.abs(far - dav).max() < 1e-8 * np.abs(dav).max()


@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_kms_form_at_zero_coarse_graining_is_dll_with_ule_filter(beta):
    H, A = model("heisenberg", 3), models.single_site_couplings(3)
    bath = baths.OhmicBath(beta, eta=0.2, cutoff=3.0)
    L0 = scandi_alhambra(H, A, bath, coarse_graining_time=0.0)
    Ld = dll(H, A, beta, filter=lambda nu: np.exp(beta * nu / 4) * bath.sqrt_spectral_density(-nu))
    ref = Ld.superoperator()
    assert np.abs(L0.superoperator() - ref).max() <= 1e-12 * np.abs(ref).max()


@pytest.mark.parametrize("T", [0.3, 0.7, 2.0])
def test_kms_form_with_gaussian_bath_is_ckg_gaussian(T):
    """docs/master_equations.md: σ_E² = s²/(1+2s²T²), σ_γ² = s² − σ_E², ω_γ = βs²/2, constant κ s e^{β²s²/8}/σ_γ."""
    beta, s, kappa = 1.2, 2.0, 0.7
    H, A = model("random", 3), models.single_site_couplings(3)
    se2 = s * s / (1 + 2 * s * s * T * T)
    sg2 = s * s - se2
    sa = scandi_alhambra(H, A, baths.GaussianBath(beta, width=s, strength=kappa), coarse_graining_time=T)
    ck = ckg(H, A, beta, sigma_e=np.sqrt(se2), weight="gaussian", sigma_gamma=np.sqrt(sg2))
    assert ck.parameters["omega_gamma"] == pytest.approx(beta * s * s / 2)
    const = kappa * s * np.exp(beta**2 * s**2 / 8) / np.sqrt(sg2)
    ref = sa.superoperator()
    assert np.abs(ref - const * ck.superoperator()).max() <= 1e-12 * np.abs(ref).max()


def fit_exponent(ts, values) -> float:
    return -np.polyfit(np.log(ts), np.log(values), 1)[0]


def test_coarse_grained_is_cp_and_fixed_point_error_falls_as_inverse_T_squared():
    H, A = model("tfim", 3), models.single_site_couplings(3)
    ts = [1.0, 2.0, 4.0]
    dists, kms = [], []
    for T in ts:
        L = scandi_alhambra(H, A, OHMIC, coarse_graining_time=T, form="coarse_grained", lamb_shift=False)
        assert exact.is_completely_positive(L)
        assert exact.is_trace_preserving(L)
        dists.append(trace_distance(exact.steady_state(L), L.gibbs_state()))
        kms.append(exact.kms_defect(L))
    assert 1.7 <= fit_exponent(ts, dists) <= 2.3, dists
    assert 1.7 <= fit_exponent(ts, kms) <= 2.3, kms  # Thm 12: O(β²Γ₀/T²) KMS defect


@pytest.mark.parametrize("name, n", [("tfim", 3), ("random", 3)])
def test_coarse_grained_with_lamb_shift_scaling(name, n):
    """§2.4 bounds the off-diagonal Lamb shift's departure from the KMS coherent term by O(1/T), so the
    fixed point error with the Lamb shift must fall at least as 1/T. Measured (TFIM n=3): the Lamb
    shift's own displacement of the fixed point falls faster than any power (it carries the band
    e^{−T²(ν−ν′)²/4}), so the total error keeps the dissipator's 1/T² (exponents 1.9-2.2)."""
    H, A = model(name, n), models.single_site_couplings(n)
    ts = [1.0, 2.0, 4.0]
    total, shift = [], []
    for T in ts:
        with_ls = scandi_alhambra(H, A, OHMIC, coarse_graining_time=T, form="coarse_grained")
        without = scandi_alhambra(H, A, OHMIC, coarse_graining_time=T, form="coarse_grained", lamb_shift=False)
        assert exact.is_completely_positive(with_ls)
        h = with_ls.coherent_term()
        assert np.abs(h - h.conj().T).max() < 1e-13 and np.abs(h).max() > 1e-3
        fixed = exact.steady_state(with_ls)
        total.append(trace_distance(fixed, with_ls.gibbs_state()))
        shift.append(trace_distance(fixed, exact.steady_state(without)))
    assert fit_exponent(ts, total) >= 1.0  # the §2.4 prediction
    assert 1.7 <= fit_exponent(ts, total) <= 2.4, total  # what is measured
    assert shift[1] < shift[0] / 2 and shift[2] < shift[1] / 2, shift  # faster than 1/T


def test_coarse_grained_lamb_shift_tends_to_the_davies_lamb_shift():
    """Dawson-form CG Lamb shift (docs/master_equations.md) vs the principal-value Davies shift: two routes, one limit."""
    H, A = models.transverse_field_ising(3, h=0.3), models.single_site_couplings(3)
    ref = davies(H, A, OHMIC, lamb_shift=True).coherent_term()
    errs = [
        np.abs(scandi_alhambra(H, A, OHMIC, coarse_graining_time=T, form="coarse_grained").coherent_term() - ref).max()
        for T in (10.0, 40.0)
    ]
    scale = np.abs(ref).max()
    assert errs[1] < 5e-5 * scale and errs[1] < errs[0] / 8, errs


def test_kms_form_with_commuting_lamb_shift_keeps_gibbs_stationary():
    H, A = model("heisenberg", 3), models.single_site_couplings(3)
    L = scandi_alhambra(H, A, OHMIC, coarse_graining_time=1.0, lamb_shift=True)
    plain = scandi_alhambra(H, A, OHMIC, coarse_graining_time=1.0)
    h0 = L.coherent_term() - plain.coherent_term()
    hm = H.to_matrix()
    assert np.abs(h0).max() > 1e-3
    assert np.abs(h0 @ hm - hm @ h0).max() < 1e-10 * np.abs(h0).max()
    assert exact.stationarity_defect(L) <= 1e-12
    assert exact.kms_defect(L) > 1e-4  # a Hamiltonian part is anti-symmetric in the KMS product


def test_near_degenerate_spectrum_has_no_cliff():
    """Heisenberg is highly degenerate; splitting its levels by 1e-11 changes the generator by O(1e-11)."""
    n = 3
    H, A = model("heisenberg_degenerate", n), models.single_site_couplings(n)
    Hp = H + 1e-11 * models.random_two_local(n, seed=5)
    for make in (
        lambda h: scandi_alhambra(h, A, OHMIC, coarse_graining_time=2.0),
        lambda h: ckg(h, A, 1.0),
        lambda h: dll(h, A, 1.0),
    ):
        a, b = make(H).superoperator(), make(Hp).superoperator()
        assert np.abs(a - b).max() < 1e-8 * np.abs(a).max()
        assert exact.kms_defect(make(Hp)) <= 1e-10


def test_coupling_scales_the_generator_by_alpha_squared():
    H, A = model("tfim", 3), models.single_site_couplings(3)
    a = scandi_alhambra(H, A, OHMIC, coarse_graining_time=1.0, coupling=0.3).superoperator()
    b = scandi_alhambra(H, A, OHMIC, coarse_graining_time=1.0).superoperator()
    np.testing.assert_allclose(a, 0.09 * b, atol=1e-15)


def test_parameters_are_recorded():
    H, A = model("tfim", 3), models.single_site_couplings(3)
    L = scandi_alhambra(H, A, OHMIC, coarse_graining_time=1.5, coupling=0.2)
    assert L.family == "scandi_alhambra" and L.beta == 1.0 and L.coupling == 0.2
    assert L.parameters["coarse_graining_time"] == 1.5 and L.parameters["form"] == "kms"
    assert L.parameters["bath"] is OHMIC and L.parameters["lamb_shift"] is False


class TestBadInput:
    H = models.transverse_field_ising(2)
    A = models.single_site_couplings(2)

    @pytest.mark.parametrize(
        "call, match",
        [
            (lambda H, A: scandi_alhambra(H * 1j, A, OHMIC, coarse_graining_time=1), "Hamiltonian is not Hermitian"),
            (lambda H, A: scandi_alhambra(H, [A[0] * (1 + 1j)], OHMIC, coarse_graining_time=1), "coupling operator 0 is not Hermitian"),
            (lambda H, A: scandi_alhambra(H, A, OHMIC, coarse_graining_time=-1.0), "coarse_graining_time must be >= 0"),
            (lambda H, A: scandi_alhambra(H, A, OHMIC, coarse_graining_time=0.0, form="coarse_grained"), "coarse_graining_time must be > 0"),
            (lambda H, A: scandi_alhambra(H, A, OHMIC, coarse_graining_time=1, form="redfield"), "form must be"),
            (lambda H, A: scandi_alhambra(H, A, OHMIC, coarse_graining_time=1, coupling=0), "coupling must be > 0"),
            (lambda H, A: scandi_alhambra(H, models.single_site_couplings(3), OHMIC, coarse_graining_time=1), "acts on 3 qubits"),
            (lambda H, A: scandi_alhambra(H, [], OHMIC, coarse_graining_time=1), "at least one coupling"),
            (lambda H, A: ckg(H, A, -1.0), "beta must be > 0"),
            (lambda H, A: ckg(H, A, float("nan")), "beta must be finite"),
            (lambda H, A: ckg(H, A, 1.0, weight="glauber"), "weight must be"),
            (lambda H, A: ckg(H, A, 1.0, sigma_e=0.0), "sigma_e"),
            (lambda H, A: dll(H, A, 0.0), "beta must be > 0"),
            (lambda H, A: dll(H, A, 1.0, filter="box"), "filter must be"),
            (lambda H, A: dll(H, A, 1.0, filter=lambda nu: np.exp(nu)), "must be even"),
            (lambda H, A: davies(H, A, OHMIC, secular_tolerance=0), "secular_tolerance"),
        ],
    )
    def test_raises(self, call, match):
        with pytest.raises(ValueError, match=match):
            call(self.H, self.A)

    def test_wrong_types_are_type_errors(self):
        """A bath that is not a Bath, a string where a number is expected: TypeError naming it (issue 15)."""
        with pytest.raises(TypeError, match="bath must be a kmsgibbs Bath"):
            scandi_alhambra(self.H, self.A, "ohmic", coarse_graining_time=1)
        with pytest.raises(TypeError, match="beta must be a real number, got '1.0'"):
            dll(self.H, self.A, "1.0")
        with pytest.raises(TypeError, match="coarse_graining_time must be a real number, got True"):
            scandi_alhambra(self.H, self.A, OHMIC, coarse_graining_time=True)

    def test_superoperator_refuses_with_memory_estimate(self):
        H = models.transverse_field_ising(7)
        L = dll(H, models.single_site_couplings(7, "X"), 1.0)
        # 4 working copies of 16·d⁴ bytes, d = 128 (17.2 GB = 16 GiB), above the 2 GiB default max_bytes
        with pytest.raises(ValueError, match=r"superoperator of 7 qubits .* would need 16 GiB \(17179869184 bytes\)"):
            L.superoperator()
