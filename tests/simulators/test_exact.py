import tracemalloc

import numpy as np
import pytest
from qiskit.quantum_info import DensityMatrix
from scipy.linalg import expm

from kmsgibbs.compiler import Lindbladian, baths, dll, models, scandi_alhambra
from kmsgibbs.simulators import exact, trace_distance

OHMIC = baths.OhmicBath(1.0, eta=0.1, cutoff=5.0)


def tfim_kms(n: int, **kw) -> Lindbladian:
    return scandi_alhambra(models.transverse_field_ising(n), models.single_site_couplings(n), OHMIC, coarse_graining_time=1.0, **kw)


def test_evolve_dense_and_matrix_free_agree_with_expm(random_state):
    L = tfim_kms(3, coupling=0.8)
    rho0 = random_state(8, seed=1)
    times = [0.0, 0.3, 1.1, 2.0]
    sup = L.superoperator(include_system_hamiltonian=True)
    for method in ("dense", "matrix_free"):
        out = exact.evolve(L, rho0, times, include_system_hamiltonian=True, method=method)
        for t, rho in zip(times, out):
            ref = (expm(t * sup) @ rho0.reshape(-1, order="F")).reshape(8, 8, order="F")
            np.testing.assert_allclose(rho, ref, atol=1e-12)


def test_evolve_relaxes_to_gibbs_and_accepts_density_matrix():
    L = tfim_kms(3)
    rho0 = DensityMatrix.from_label("000")
    out = exact.evolve(L, rho0, [0.0, 40.0])
    assert trace_distance(out[0], rho0.data) < 1e-15
    assert trace_distance(out[-1], L.gibbs_state()) < 1e-8


def test_evolve_n8_is_matrix_free(monkeypatch):
    """d = 256: the d⁴ superoperator (69 GB) is never formed; peak memory stays far below it."""
    n = 8
    L = dll(models.transverse_field_ising(n), models.single_site_couplings(n, "XZ"), 1.0, coupling=0.5)

    def forbidden(*args, **kwargs):
        raise AssertionError("superoperator() must not be called for n = 8")

    monkeypatch.setattr(Lindbladian, "superoperator", forbidden)
    rho0 = np.zeros((256, 256), dtype=complex)
    rho0[0, 0] = 1.0
    tracemalloc.start()
    out = exact.evolve(L, rho0, [0.5])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1.5e9
    assert np.trace(out[0]).real == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(out[0], out[0].conj().T, atol=1e-12)
    # one step of the exact flow: first-order check against the matrix-free generator itself
    small = exact.evolve(L, rho0, [1e-4])[0]
    np.testing.assert_allclose((small - rho0) / 1e-4, L.apply(rho0), atol=1e-3 * np.abs(L.apply(rho0)).max())


def test_steady_state_dense_and_gmres():
    L = tfim_kms(4)
    for method in ("dense", "matrix_free"):
        assert trace_distance(exact.steady_state(L, method=method), L.gibbs_state()) < 1e-10
    cg = scandi_alhambra(models.transverse_field_ising(3), models.single_site_couplings(3), OHMIC, coarse_graining_time=1.0, form="coarse_grained")
    fixed = exact.steady_state(cg)
    assert np.linalg.norm(cg.apply(fixed)) < 1e-12
    assert trace_distance(fixed, cg.gibbs_state()) > 1e-3


def test_spectral_gap_matches_hermitian_similarity_transform():
    """For a KMS generator Γ^{−1/2} L Γ^{1/2} is Hermitian: its eigenvalues give the gap independently."""
    L = tfim_kms(3)
    sup = L.superoperator(basis="energy")
    q = np.outer(*(2 * [L.basis.gibbs_weights(L.beta) ** 0.25])).ravel()
    m = sup * (q[None, :] / q[:, None])
    eig = np.sort(-np.linalg.eigvalsh(0.5 * (m + m.conj().T)))
    assert abs(eig[0]) < 1e-12
    assert exact.spectral_gap(L) == pytest.approx(eig[1], rel=1e-10)


def test_trace_distance():
    a, b = np.diag([1.0, 0.0]), np.diag([0.0, 1.0])
    assert trace_distance(a, b) == pytest.approx(1.0)
    assert trace_distance(DensityMatrix(a), np.eye(2) / 2) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="square matrices"):
        trace_distance(np.eye(2), np.eye(4))


def test_bad_input():
    L = tfim_kms(3)
    rho0 = np.eye(8) / 8
    with pytest.raises(ValueError, match="times must be >= 0"):
        exact.evolve(L, rho0, [-1.0])
    with pytest.raises(ValueError, match="non-decreasing"):
        exact.evolve(L, rho0, [2.0, 1.0])
    with pytest.raises(ValueError, match="finite"):
        exact.evolve(L, rho0, [np.nan])
    with pytest.raises(ValueError, match=r"shape \(8, 8\)"):
        exact.evolve(L, np.eye(4), [1.0])
    with pytest.raises(ValueError, match="method must be"):
        exact.steady_state(L, method="krylov")
    with pytest.raises(ValueError, match="would need"):
        exact.spectral_gap(L, max_bytes=1000)


def test_qutip_mesolve_on_the_same_superoperator_agrees_n4():
    """Acceptance (issue #4): an independent integrator (QuTiP's mesolve on our column-stacked
    superoperator) reproduces exact.evolve to 1e-8."""
    qutip = pytest.importorskip("qutip")
    n = 4
    H, A = models.transverse_field_ising(n), models.single_site_couplings(n, "XZ")
    L = scandi_alhambra(H, A, baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5)
    d = 2**n
    dims = [[[d], [d]], [[d], [d]]]
    sup = qutip.Qobj(L.superoperator(), dims=dims, superrep="super")
    rho0 = np.zeros((d, d), dtype=complex)
    rho0[0, 0] = 1.0
    times = [0.0, 1.0, 3.0]
    result = qutip.mesolve(sup, qutip.Qobj(rho0), times, options={"atol": 1e-12, "rtol": 1e-10})
    ours = exact.evolve(L, rho0, times)
    for state, ref in zip(result.states, ours):
        assert np.abs(state.full() - ref).max() <= 1e-8
