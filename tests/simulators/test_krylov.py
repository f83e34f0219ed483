"""Acceptance tests of the Krylov exact engine (issue 16): every number is checked against an
independent dense computation (LAPACK eigenvalues, the dense superoperator, QuTiP's mesolve)."""

import time

import numpy as np
import pytest
from scipy.linalg import expm

from kmsgibbs.compiler import baths, ckg, davies, dll, models, scandi_alhambra
from kmsgibbs.compiler.finite import NonFiniteResultError
from kmsgibbs.compiler.memory import MemoryLimitError, memory_limit_set
from kmsgibbs.simulators import exact

GAUSS = baths.GaussianBath(1.0)
OHMIC = baths.OhmicBath(1.0, eta=0.1, cutoff=5.0)


def build(family: str, n: int, bath=GAUSS):
    H, A = models.transverse_field_ising(n), models.single_site_couplings(n, "XYZ")
    if family == "kms":
        return scandi_alhambra(H, A, bath, coarse_graining_time=1.0)
    if family == "coarse_grained":
        return scandi_alhambra(H, A, bath, coarse_graining_time=1.0, form="coarse_grained")
    if family == "davies":
        return davies(H, A, bath)
    if family == "ckg":
        return ckg(H, A, 1.0)
    return dll(H, A, 1.0)


def dense_gap(L) -> float:
    """Second-largest real part of the LAPACK eigenvalues of the computational-basis superoperator."""
    eig = np.linalg.eigvals(L.superoperator())
    return float(np.sort(-eig.real)[1])


FAMILIES = ["kms", "dll", "ckg", "davies", "coarse_grained"]


# n = 5: 15 s for the five families on an idle 2-core machine
@pytest.mark.parametrize("n", [4, 5])
@pytest.mark.parametrize("family", FAMILIES)
def test_krylov_gap_matches_dense_eigenvalues(family, n):
    L = build(family, n)
    kms = family != "coarse_grained"
    assert (L.kms_symmetry_defect() <= exact.KMS_TOLERANCE) == kms
    result = exact.gap(L, method="krylov" if kms else "matrix_free")
    assert result.method == ("lanczos" if kms else "arnoldi")
    assert result.residual < 1e-8
    assert result.kernel_error < 1e-12
    assert abs(result.gap - dense_gap(L)) < 1e-8
    assert float(result) == result.gap


def test_krylov_refuses_a_generator_that_is_not_kms():
    L = build("coarse_grained", 3)
    with pytest.raises(ValueError, match="kms_symmetry_defect"):
        exact.gap(L, method="krylov")
    bare = build("kms", 3).without_coherent_term()
    assert bare.kms_symmetry_defect() > 1e-3


def test_gap_with_system_hamiltonian_uses_arnoldi():
    L = build("dll", 4)
    result = exact.gap(L, method="auto" if L.num_qubits >= exact.MATRIX_FREE_QUBITS else "matrix_free", include_system_hamiltonian=True)
    eig = np.linalg.eigvals(L.superoperator(include_system_hamiltonian=True))
    assert result.method == "arnoldi" and result.residual < 1e-8
    assert abs(result.gap - np.sort(-eig.real)[1]) < 1e-8


@pytest.mark.parametrize("family", ["kms", "ckg", "davies", "dll"])
def test_symmetrized_generator_is_the_similarity_transform_and_hermitian(family, random_state):
    """S = Γ^{−1/2} L Γ^{1/2} from the dense energy-basis superoperator (closed-form kernel)."""
    L = build(family, 3, bath=OHMIC)
    d = L.dim
    sup = L.superoperator(basis="energy")
    q = np.outer(*(2 * [L.basis.gibbs_weights(L.beta) ** 0.25])).reshape(-1, order="F")
    s = sup * (q[None, :] / q[:, None])
    x = random_state(d, seed=3) + 0.3j * np.eye(d)
    got = L.apply_symmetrized(x).reshape(-1, order="F")
    scale = np.linalg.norm(s, 2)
    assert np.linalg.norm(got - s @ x.reshape(-1, order="F")) <= 1e-12 * scale
    y = random_state(d, seed=4)
    lhs = np.vdot(y, L.apply_symmetrized(x))
    rhs = np.vdot(L.apply_symmetrized(y), x)
    assert abs(lhs - rhs) <= 1e-12 * scale


@pytest.mark.parametrize("family", ["kms", "ckg", "coarse_grained"])
def test_factorised_kernel_error_is_bounded_on_every_pair(family):
    L = build(family, 3)
    nodes, _ = L.kernel.nodes(L.basis)
    for frame in (0.0, L.beta / 4):
        f = L.kernel.factorise(L.basis, frame=frame)
        bohr = L.basis.bohr.ravel()
        exact_c = L.kernel.coefficients(bohr[:, None], bohr[None, :]) * np.exp(frame * (bohr[:, None] + bohr[None, :]))
        filt = np.stack([f.filter(r).ravel() for r in range(f.rank)])
        err = np.max(np.abs(exact_c - filt.T @ filt.conj()))
        assert f.bound <= 1e-14 * f.scale
        assert err <= 1e-13 * f.scale
        assert f.rank < len(nodes)  # the compression is real


def test_decay_operator_is_the_closed_form_contraction():
    L = build("kms", 3, bath=OHMIC)
    c = L.kernel.decay_tensor(L.basis)
    ref = sum(np.einsum("ad,ac,acd->dc", a.conj(), a, c) for a in L.couplings_energy)
    assert np.abs(L.decay_energy - ref).max() <= 1e-13 * np.abs(ref).max()


@pytest.mark.parametrize("family", ["kms", "davies", "coarse_grained"])
def test_evolve_paths_match_expm_of_dense_superoperator(family, random_state):
    L = build(family, 4)
    rho0 = random_state(L.dim, seed=9)
    times = [0.0, 0.4, 3.0, 8.0]
    sup = L.superoperator()
    refs = [(expm(t * sup) @ rho0.reshape(-1, order="F")).reshape(L.dim, L.dim, order="F") for t in times]
    methods = ["matrix_free", "dense"] + (["krylov"] if family != "coarse_grained" else [])
    for method in methods:
        for rho, ref in zip(exact.evolve(L, rho0, times, method=method), refs):
            assert np.abs(rho - ref).max() <= 1e-10
        # one long step from t = 0: the Krylov error estimate must not stop at a single vector
        assert np.abs(exact.evolve(L, rho0, [8.0], method=method)[0] - refs[-1]).max() <= 1e-10


def test_krylov_evolution_agrees_with_qutip_mesolve():
    qutip = pytest.importorskip("qutip")
    L = build("kms", 4)
    d = L.dim
    sup = qutip.Qobj(L.superoperator(), dims=[[[d], [d]], [[d], [d]]], superrep="super")
    rho0 = np.zeros((d, d), dtype=complex)
    rho0[0, 0] = 1.0
    times = [0.0, 1.0, 8.0]
    result = qutip.mesolve(sup, qutip.Qobj(rho0), times, options={"atol": 1e-12, "rtol": 1e-10})
    for state, ours in zip(result.states, exact.evolve(L, rho0, times, method="krylov")):
        assert np.abs(state.full() - ours).max() <= 1e-7


def test_steady_state_gibbs_check_and_coarse_grained_solve():
    L = build("kms", 5)
    sigma = exact.steady_state(L)
    assert np.abs(sigma - L.gibbs_state()).max() < 1e-14
    cg = build("coarse_grained", 5)
    fixed = exact.steady_state(cg)
    dense = exact.steady_state(cg, method="dense")
    assert np.abs(fixed - dense).max() < 1e-9
    assert np.abs(fixed - cg.gibbs_state()).max() > 1e-4  # not the Gibbs state: the solve ran


def test_fourteen_qubits_are_refused_quickly_with_bytes():
    n = 14
    L = scandi_alhambra(models.transverse_field_ising(n), models.single_site_couplings(n), GAUSS, coarse_graining_time=1.0)
    for call in (lambda: exact.steady_state(L), lambda: exact.gap(L), lambda: exact.evolve(L, np.zeros((2**n, 2**n), dtype=complex), [1.0])):
        start = time.perf_counter()
        with pytest.raises(MemoryLimitError, match=r"\(\d+ bytes\)"):
            call()
        assert time.perf_counter() - start < 2.0


def test_apply_is_guarded_before_it_allocates():
    n = 9
    L = dll(models.transverse_field_ising(n), models.single_site_couplings(n), 1.0)
    with memory_limit_set(64 * 1024**2), pytest.raises(MemoryLimitError, match="would need"):
        L.apply(np.eye(2**n))


def test_non_finite_results_raise():
    """An overflowing filter is refused when the generator is built; a generator whose rate
    overflows (α = 1e200, α² = inf, set past the builders) is caught when it is applied."""
    import dataclasses

    H, A = models.transverse_field_ising(3), models.single_site_couplings(3)
    with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the point
        with pytest.raises(ValueError, match="not finite"):
            dll(H, A, 1.0, filter=lambda nu: np.exp(400.0 * np.asarray(nu) ** 2))
        L = dataclasses.replace(dll(H, A, 1.0), coupling=np.float64(1e200))
        with pytest.raises(NonFiniteResultError, match="not finite"):
            L.apply(np.eye(8))


def test_generic_model_without_symmetry_or_real_structure(random_state):
    """A random 2-local H (complex, no Pauli-string parity): the complex full-space Krylov paths."""
    H, A = models.random_two_local(4, seed=5), models.single_site_couplings(4, "XYZ")
    L = scandi_alhambra(H, A, GAUSS, coarse_graining_time=0.7)
    assert L.symmetry is None and not L.symmetrized_real
    tfim = build("kms", 4)
    assert tfim.symmetry is not None and tfim.symmetrized_real and tfim.symmetrized_sectors
    result = exact.gap(L, method="krylov")
    assert result.method == "lanczos" and result.residual < 1e-8
    assert abs(result.gap - dense_gap(L)) < 1e-8
    rho0 = random_state(L.dim, seed=2)
    ref = (expm(5.0 * L.superoperator()) @ rho0.reshape(-1, order="F")).reshape(L.dim, L.dim, order="F")
    assert np.abs(exact.evolve(L, rho0, [5.0], method="krylov")[0] - ref).max() <= 1e-10


def test_davies_sparse_superoperator_is_refused_before_it_allocates():
    """Davies' secular kernel couples every pair of entries in a Bohr cluster: Σ m² entries
    (391,520,448 at n = 10 for this chain, ~37 GB to assemble); counted before any is made."""
    L = build("davies", 6)
    assert L.couplings_energy.shape == (18, 64, 64)  # made before the limit: only the superoperator is refused
    with memory_limit_set(1024**2), pytest.raises(MemoryLimitError, match=r"secular \(Davies\) transition superoperator of 6 qubits"):
        L.apply(np.eye(64), basis="energy")
    assert np.isfinite(L.apply(np.eye(64) / 64, basis="energy")).all()
