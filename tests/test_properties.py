"""Property tests (issue 15): every family, on random 2-local Hamiltonians and random couplings.

For random 2-local H on 2–4 qubits (``models.random_two_local``), random single-site couplings and
random β, T, α, each family (Scandi–Alhambra ``kms`` and ``coarse_grained``, Davies, CKG, DLL) is
trace preserving and completely positive, and the exactly-KMS forms (``kms``, CKG, DLL) have KMS
defect and Gibbs stationarity below 1e-9. The examples come from the derandomized hypothesis
profile registered in ``tests/conftest.py`` (the same draws on every run).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler import baths, ckg, davies, dll, models, scandi_alhambra
from kmsgibbs.simulators import exact

#: KMS defect and ‖L[σ_β]‖_F of the exactly-KMS forms (measured ~1e-15 on these draws).
EXACT_KMS_TOLERANCE = 1e-9


@st.composite
def systems(draw) -> tuple[SparsePauliOp, list[SparsePauliOp]]:
    """A random 2-local Hamiltonian on 2–4 qubits and 1–3 random Hermitian single-site couplings."""
    n = draw(st.integers(2, 4))
    h = models.random_two_local(n, seed=draw(st.integers(0, 2**31 - 1)))
    couplings = []
    for _ in range(draw(st.integers(1, 3))):
        site = draw(st.integers(0, n - 1))
        weights = draw(
            st.lists(st.floats(-1.0, 1.0, allow_nan=False), min_size=3, max_size=3).filter(
                lambda w: max(abs(x) for x in w) > 0.1
            )
        )
        norm = float(np.linalg.norm(weights))  # ‖Σ w_P P‖ = |w| for one site: normalised couplings
        couplings.append(
            SparsePauliOp.from_sparse_list([(p, [site], w / norm) for p, w in zip("XYZ", weights) if w], n)
        )
    return h, couplings


betas = st.floats(0.2, 3.0)
times = st.floats(0.1, 3.0)
alphas = st.floats(0.1, 2.0)


def assert_lindblad(L) -> None:
    assert exact.is_trace_preserving(L, atol=1e-12)
    assert exact.is_completely_positive(L, rtol=1e-10)


def assert_exactly_kms(L) -> None:
    assert_lindblad(L)
    assert exact.kms_defect(L) < EXACT_KMS_TOLERANCE
    assert exact.stationarity_defect(L) < EXACT_KMS_TOLERANCE


@given(system=systems(), beta=betas, T=st.one_of(st.just(0.0), times), alpha=alphas, width=st.floats(0.5, 3.0))
def test_scandi_alhambra_kms_form_is_exactly_kms(system, beta, T, alpha, width):
    h, a = system
    assert_exactly_kms(scandi_alhambra(h, a, baths.GaussianBath(beta, width=width), coarse_graining_time=T, coupling=alpha))


@given(system=systems(), beta=betas, T=times, alpha=alphas)
def test_scandi_alhambra_kms_form_with_an_ohmic_bath_is_exactly_kms(system, beta, T, alpha):
    h, a = system
    assert_exactly_kms(scandi_alhambra(h, a, baths.OhmicBath(beta, eta=0.1, cutoff=5.0), coarse_graining_time=T, coupling=alpha))


@given(system=systems(), beta=betas, T=times, alpha=alphas, lamb_shift=st.booleans())
def test_scandi_alhambra_coarse_grained_form_is_a_lindbladian(system, beta, T, alpha, lamb_shift):
    h, a = system
    bath = baths.GaussianBath(beta, width=2.0)
    assert_lindblad(scandi_alhambra(h, a, bath, coarse_graining_time=T, coupling=alpha, form="coarse_grained", lamb_shift=lamb_shift))


@given(system=systems(), beta=betas, alpha=alphas)
def test_davies_is_a_lindbladian_with_gibbs_fixed_point(system, beta, alpha):
    h, a = system
    L = davies(h, a, baths.GaussianBath(beta, width=2.0), coupling=alpha)
    assert_lindblad(L)
    assert exact.stationarity_defect(L) < EXACT_KMS_TOLERANCE  # GNS detailed balance: σ_β is fixed


@given(system=systems(), beta=betas, alpha=alphas, weight=st.sampled_from(["metropolis", "gaussian"]))
def test_ckg_is_exactly_kms(system, beta, alpha, weight):
    h, a = system
    assert_exactly_kms(ckg(h, a, beta, weight=weight, coupling=alpha))


@given(system=systems(), beta=betas, alpha=alphas, filt=st.sampled_from(["gaussian", "metropolis"]))
def test_dll_is_exactly_kms(system, beta, alpha, filt):
    h, a = system
    assert_exactly_kms(dll(h, a, beta, filter=filt, coupling=alpha))


def test_the_profile_is_fixed_and_derandomized():
    """The suite's examples are reproducible: the registered profile is loaded (not hypothesis' default)."""
    from hypothesis import settings

    current = settings()
    assert current.derandomize and current.deadline is None and current.database is None
    assert current.max_examples <= 200


@pytest.mark.parametrize("n", [2, 3, 4])
def test_the_drawn_hamiltonians_are_generic(n):
    """random_two_local has no accidental symmetry here: a non-degenerate spectrum (so the KMS checks bite)."""
    e = np.linalg.eigvalsh(models.random_two_local(n, seed=11).to_matrix())
    assert np.min(np.diff(e)) > 1e-6
