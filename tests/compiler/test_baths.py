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


def test_gaussian_closed_forms_are_computed_in_log_space():
    """β = 60, s = 2: the peak e^{β²s²/8} = e^1800 overflows, yet the smoothing of Ĉ at |x| ≤ 6 is
    finite (up to e^~190) and equals ∫Ĉ(x + √v z)φ(z)dz, integrated here by scipy around its peak."""
    from scipy.integrate import quad

    bath = baths.GaussianBath(60.0, width=2.0)
    x = np.linspace(-6, 6, 7)
    v = 0.5
    closed = bath.smoothed_spectral_density(x, v)
    assert np.all(np.isfinite(closed)) and closed.max() > 1e80
    sd = np.sqrt(v)
    for xi, value in zip(x, closed):
        peak = (60.0 * 4 / 2 - xi) * sd / (4 + v)  # the integrand is a Gaussian in z centred here
        f = lambda z: float(bath.spectral_density(xi + sd * z)) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)  # noqa: E731
        ref = quad(f, peak - 8, peak + 8, epsabs=0, epsrel=1e-13, limit=200)[0]  # ±8 of width ~0.94: e^-36
        assert value == pytest.approx(ref, rel=1e-11), xi
    t = np.linspace(40.0, 41.0, 5)  # |C(t)| = κ(s/√2π)e^{s²(β²/4 − t²)/2}: finite once t > β/2
    c = bath.correlation(t)
    assert np.all(np.isfinite(c))
    np.testing.assert_allclose(np.abs(c), 2 / np.sqrt(2 * np.pi) * np.exp(2 * (900 - t * t)), rtol=1e-12)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: baths.GaussianBath(1000.0, width=2.0).correlation(0.0), "correlation function C.t. of GaussianBath.*not finite"),
        (lambda: baths.GaussianBath(1000.0, width=2.0).smoothed_spectral_density(1000.0, 0.5), "smoothed spectral density .* not finite"),
        (lambda: baths.GaussianBath(1000.0, width=2.0).lamb_shift_function(0.0, 1.0), "Lamb-shift function .* not finite"),
        (lambda: baths.GaussianBath(1000.0, width=2.0).sqrt_spectral_density(2000.0), "square-root spectral density .* not finite"),
    ],
)
def test_overflow_is_refused_not_returned_as_nan(make, match):
    """Issue 15: a value beyond double precision is an error naming the bath, never inf/NaN with a warning."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way either
        with pytest.raises(ValueError, match=match):
            make()


def test_non_numbers_are_type_errors():
    with pytest.raises(TypeError, match="beta must be a real number, got '1.0' of type str"):
        baths.GaussianBath("1.0")
    with pytest.raises(TypeError, match="beta must be a real number, got True of type bool"):
        baths.OhmicBath(True)
    assert baths.GaussianBath(np.float32(2.0)).beta == 2.0 and baths.OhmicBath(np.int64(3)).beta == 3.0
