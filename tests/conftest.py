import numpy as np
import pytest


def vec(x: np.ndarray) -> np.ndarray:
    """Column-stacked vec: vec(X)[a + d·b] = X[a, b] (the package's superoperator convention)."""
    return np.asarray(x).reshape(-1, order="F")


def unvec(v: np.ndarray) -> np.ndarray:
    """The d × d matrix of a column-stacked vector."""
    d = int(round(np.sqrt(v.size)))
    return np.asarray(v).reshape(d, d, order="F")


def assert_close(actual, expected, *, atol: float, rtol: float = 0.0) -> None:
    """Max-abs comparison with an explicit tolerance (the error is reported on failure)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    err = float(np.max(np.abs(actual - expected))) if actual.size else 0.0
    bound = atol + rtol * (float(np.max(np.abs(expected))) if expected.size else 0.0)
    assert err <= bound, f"max |difference| = {err:.3e} > {bound:.3e}"


@pytest.fixture
def random_state():
    def make(d: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        rho = x @ x.conj().T
        return rho / np.trace(rho)

    return make


# Property tests (tests/test_properties.py): one fixed, derandomized hypothesis profile, so every run
# draws the same examples (CI and laptops alike), bounded in number, with no per-example deadline
# (a first example pays for imports and caches). HYPOTHESIS_PROFILE=kmsgibbs-thorough draws more.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "kmsgibbs",
    derandomize=True,
    max_examples=12,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "kmsgibbs-thorough", parent=settings.get_profile("kmsgibbs"), max_examples=200
)
settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "kmsgibbs"))
