import numpy as np
import pytest

from kmsgibbs.compiler import baths
from kmsgibbs.compiler.baths import Bath

OHMIC = baths.OhmicBath(1.0, eta=0.1, cutoff=5.0)
GAUSS = baths.GaussianBath(1.3, width=1.7, strength=0.8)
OMEGA = np.linspace(-12, 12, 97)


@pytest.mark.parametrize("bath", [OHMIC, baths.OhmicBath(2.5, eta=0.3, cutoff=2.0), GAUSS])
def test_kms_relation(bath):
    c = bath.spectral_density(OMEGA)
    np.testing.assert_allclose(c, np.exp(bath.beta * OMEGA) * bath.spectral_density(-OMEGA), rtol=1e-12, atol=1e-300)
    g = bath.sqrt_spectral_density(OMEGA)
    np.testing.assert_allclose(g, np.exp(bath.beta * OMEGA / 2) * bath.sqrt_spectral_density(-OMEGA), rtol=1e-12, atol=1e-300)
    assert np.all(c >= 0)


def test_ohmic_closed_form_and_zero_limit():
    eps = 1e-7
    assert OHMIC.spectral_density(0.0) == pytest.approx(2 * np.pi * 0.1 / 1.0, rel=1e-15)
    assert OHMIC.spectral_density(eps) == pytest.approx(2 * np.pi * 0.1, rel=1e-6)
    w = 2.0
    assert OHMIC.spectral_density(w) == pytest.approx(2 * np.pi * 0.1 * w * np.exp(-w / 5) / (1 - np.exp(-w)), rel=1e-14)
    assert np.isfinite(OHMIC.spectral_density(-1e4)) and OHMIC.spectral_density(-1e4) == 0.0


@pytest.mark.parametrize("T", [0.3, 1.0, 5.0])
def test_generic_quadratures_reproduce_gaussian_closed_forms(T):
    """The numerical smoothing / Dawson-form Lamb function of the base class vs closed forms (§7.2)."""
    x = np.linspace(-6, 6, 41)
    v = 1 / (2 * T * T)
    np.testing.assert_allclose(Bath.smoothed_spectral_density(GAUSS, x, v), GAUSS.smoothed_spectral_density(x, v), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(Bath.lamb_shift_function(GAUSS, x, T), GAUSS.lamb_shift_function(x, T), rtol=1e-11, atol=1e-13)


def test_generic_fourier_transforms_reproduce_gaussian_closed_forms():
    t = np.linspace(-6, 6, 25)
    np.testing.assert_allclose(Bath.correlation(GAUSS, t), GAUSS.correlation(t), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(Bath.jump_correlator(GAUSS, t), GAUSS.jump_correlator(t), rtol=1e-12, atol=1e-14)


def test_principal_value_is_the_long_time_limit_of_the_lamb_function():
    x = np.linspace(-5, 5, 21)
    pv = Bath.principal_value_function(GAUSS, x)
    # ℓ_T − ℓ_∞ = O(1/T²): at T = 1e3 the difference is ~1e-7 of the scale.
    np.testing.assert_allclose(pv, GAUSS.lamb_shift_function(x, 1e3), atol=1e-6 * np.abs(pv).max())


def test_ohmic_correlator_is_self_convolution_of_jump_correlator():
    """C = g ∗ g (Eq. 34), checked by a time-domain convolution of the numerical g."""
    h = 0.05  # aliasing ~ ĝ(2π/h) ≈ 4e-5 of the scale; the 1/u² tail beyond |u| = 20 adds ~1e-3
    u = np.arange(-20, 20 + h / 2, h)
    g = OHMIC.jump_correlator(u)
    for t in (0.0, 0.5, 1.5):
        conv = h * np.sum(g * OHMIC.jump_correlator(t - u))
        assert abs(conv - OHMIC.correlation(t)) < 2e-3 * abs(OHMIC.correlation(0.0))


def test_ohmic_lamb_function_is_smooth_across_the_kink():
    x = np.array([-1e-3, 0.0, 1e-3])
    ell = OHMIC.lamb_shift_function(x, 1.0)
    assert abs(ell[1] - 0.5 * (ell[0] + ell[2])) < 1e-5 * abs(ell[1])


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: baths.OhmicBath(0.0), "beta must be > 0"),
        (lambda: baths.OhmicBath(float("nan")), "beta must be finite"),
        (lambda: baths.OhmicBath(1.0, eta=-1), "eta"),
        (lambda: baths.OhmicBath(1.0, cutoff=0), "cutoff"),
        (lambda: baths.GaussianBath(-2.0), "beta"),
        (lambda: baths.GaussianBath(1.0, width=0.0), "width"),
        (lambda: OHMIC.smoothed_spectral_density(0.0, -1.0), "variance"),
        (lambda: OHMIC.lamb_shift_function(0.0, -1.0), "coarse_graining_time"),
    ],
)
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()
