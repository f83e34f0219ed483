"""Low temperature (issue 23): ``GaussianBath.for_beta`` keeps the largest rate, which sets dt, at 1.

A fixed-width Gaussian bath peaks at e^{β²s²/8} (e^8 ≈ 3×10³ at β = 4, s = 2), and the dilation range
dt ≤ 0.25/(α² max Ĉ) collapses to 3.4e-4 on TFIM n = 3. These tests check the rates of ``for_beta``
against their closed form, that the largest rate is what sets the compiler's dt limit, that the fixed
point of the dense generator is still e^{−βH}/Z, that the spectral gap per unit of that rate is
restored at β = 4, and that the jump grids (accurate relative to the peak) keep the Gibbs populations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import expm

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.compiler.bath_emulation import channel_fixed_point
from kmsgibbs.compiler.physics.time_domain import build_time_domain
from kmsgibbs.compiler.schemes.compile import dilation_dt_limit, dilation_strength
from kmsgibbs.simulators import exact, trace_distance
from kmsgibbs.simulators.properties import kms_defect

ALPHA = 0.5


def tfim_generator(bath, n: int = 3):
    h = models.from_edges(n, models.chain_edges(n), couplings={"ZZ": -1.0}, fields={"X": -1.0})
    return scandi_alhambra(h, models.single_site_couplings(n, "XZ"), bath, coarse_graining_time=1.0, coupling=ALPHA)


def dense_gibbs(lind) -> np.ndarray:
    """e^{−βH}/Z from the Pauli Hamiltonian, independently of the generator's energy basis."""
    g = expm(-lind.beta * lind.hamiltonian.to_matrix())
    return g / np.trace(g).real


@pytest.mark.parametrize("beta", [0.5, 1.0, 4.0, 20.0])
@pytest.mark.parametrize("omega0, rate", [(1.25, 1.0), (0.7, 3.0)])
def test_for_beta_rates_peak_at_omega0_with_height_r(beta, omega0, rate):
    bath = baths.GaussianBath.for_beta(beta, peak_frequency=omega0, peak_rate=rate)
    assert bath.width == pytest.approx(math.sqrt(2 * omega0 / beta), rel=1e-15)
    assert bath.peak_frequency == pytest.approx(omega0, rel=1e-14)
    assert bath.peak_rate == pytest.approx(rate, rel=1e-13)
    w = np.linspace(-10, 10, 20001)
    c = bath.spectral_density(w)
    # the closed form r e^{−β(ω − ω₀)²/(4ω₀)}: bounded by r, maximal at ω₀, for every β
    np.testing.assert_allclose(c, rate * np.exp(-beta * (w - omega0) ** 2 / (4 * omega0)), rtol=1e-12, atol=1e-300)
    assert c.max() <= rate * (1 + 1e-13)
    assert abs(w[np.argmax(c)] - omega0) <= 1e-3
    # and still a thermal bath at β: Ĉ(ω) = e^{βω} Ĉ(−ω) (in logs: at β = 20 one side is subnormal)
    kms = bath.log_spectral_density(w) - bath.log_spectral_density(-w)
    np.testing.assert_allclose(kms, beta * w, rtol=0, atol=1e-12 * (1 + float(np.abs(bath.log_spectral_density(w)).max())))


def test_for_beta_refuses_an_underflowing_strength():
    with pytest.raises(ValueError, match="underflows"):
        baths.GaussianBath.for_beta(1e4)


@pytest.mark.parametrize(
    "bath", [baths.GaussianBath(4.0, width=2.0), baths.GaussianBath.for_beta(4.0)], ids=["width2", "for_beta"]
)
def test_the_largest_rate_sets_the_dilation_limit(bath):
    """dilation_strength = α² Σ_m v_m ‖w_m‖₁² ≈ α² max Ĉ (‖g‖_{L¹}² = max Ĉ for a Gaussian bath), whether
    or not the peak lies among the system's Bohr frequencies (|ν| ≤ 7.0 here; width 2 peaks at ω = 8)."""
    form = build_time_domain(tfim_generator(bath), epsilon=1e-2)
    assert dilation_strength(form) == pytest.approx(ALPHA**2 * bath.peak_rate, rel=0.03)
    assert dilation_dt_limit(form) == pytest.approx(0.25 / dilation_strength(form), rel=1e-15)


def test_compile_at_beta_4_with_dt_005():
    """The issue's refusal (dt ≤ 3.4e-4 with width 2) is gone with ``for_beta``: dt = 0.05 compiles and the
    limit is 0.25/α² ≈ 1."""
    with pytest.raises(ValueError, match=r"dt ≤ 0\.00034"):
        compile_sampler(tfim_generator(baths.GaussianBath(4.0, width=2.0)), dt=0.05, epsilon=1e-2, scheme="randomized")
    lind = tfim_generator(baths.GaussianBath.for_beta(4.0))
    assert dilation_dt_limit(build_time_domain(lind, epsilon=1e-2)) > 1.0
    sampler = compile_sampler(lind, dt=0.05, epsilon=1e-2, scheme="randomized")
    # the averaged evolution the instances estimate has its fixed point near Gibbs (floor 0.005 at ε = 1e-2,
    # from the frames' product formula and the jump grids)
    fixed = channel_fixed_point(sampler.averaged_channel())
    assert trace_distance(fixed, dense_gibbs(lind)) < 1e-2


@pytest.fixture(scope="module")
def beta4():
    return {
        "width2": tfim_generator(baths.GaussianBath(4.0, width=2.0)),
        "for_beta": tfim_generator(baths.GaussianBath.for_beta(4.0)),
        "for_beta_r3": tfim_generator(baths.GaussianBath.for_beta(4.0, peak_rate=3.0)),
    }


def test_fixed_point_is_the_gibbs_state_at_beta_4(beta4):
    for name in ("for_beta", "for_beta_r3"):
        lind = beta4[name]
        sigma = dense_gibbs(lind)
        sup = lind.superoperator()
        residual = np.linalg.norm(sup @ sigma.reshape(-1, order="F")) / np.linalg.norm(sup)
        assert residual < 1e-13, (name, residual)
        assert trace_distance(exact.steady_state(lind, method="dense"), sigma) < 1e-10
        assert kms_defect(lind) < 1e-13
    # the peak rate is a uniform rescaling: the generator triples, its fixed point does not move
    np.testing.assert_allclose(beta4["for_beta_r3"].superoperator(), 3 * beta4["for_beta"].superoperator(), rtol=0, atol=1e-12)


def test_gap_per_unit_of_the_dt_setting_rate_at_beta_4(beta4):
    """The figure of merit gap/strength (mixing per unit of what bounds dt): 0.85 with ``for_beta`` against
    0.0016 with width 2 (n = 3), i.e. ~500× fewer steps at the compiler's dt limit."""
    merit = {}
    for name in ("width2", "for_beta"):
        lind = beta4[name]
        merit[name] = exact.spectral_gap(lind) / dilation_strength(build_time_domain(lind, epsilon=1e-2))
    assert merit["for_beta"] > 0.7
    assert merit["width2"] < 2e-3


def test_the_jump_grids_keep_the_gibbs_populations_at_beta_4(beta4):
    """The grids are accurate to ε relative to max ĝ: with width 2 (max ĝ = e⁴ ≈ 55, the heating amplitude
    across the gap ≈ 0.4) the dense grid generator's fixed point is 0.068 from Gibbs at ε = 1e-2; 0.0022
    with ``for_beta``."""
    distance = {}
    for name in ("width2", "for_beta"):
        lind = beta4[name]
        values, vectors = np.linalg.eig(build_time_domain(lind, epsilon=1e-2).superoperator())
        rho = vectors[:, np.argmin(np.abs(values))].reshape(8, 8, order="F")
        rho = rho / np.trace(rho)
        distance[name] = trace_distance(0.5 * (rho + rho.conj().T), dense_gibbs(lind))
    assert distance["for_beta"] < 5e-3
    assert distance["width2"] > 0.05
