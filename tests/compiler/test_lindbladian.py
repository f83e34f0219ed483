import numpy as np
import pytest

from kmsgibbs.compiler import baths, ckg, davies, dll, models, scandi_alhambra
from tests.conftest import vec

OHMIC = baths.OhmicBath(1.0, eta=0.1, cutoff=5.0)
H3 = models.random_two_local(3, seed=2)
A3 = models.single_site_couplings(3)

FAMILIES = {
    "kms": lambda: scandi_alhambra(H3, A3, OHMIC, coarse_graining_time=1.3, coupling=0.7),
    "kms_T0": lambda: scandi_alhambra(H3, A3, OHMIC, coarse_graining_time=0.0),
    "kms_lamb": lambda: scandi_alhambra(H3, A3, OHMIC, coarse_graining_time=0.8, lamb_shift=True),
    "coarse_grained": lambda: scandi_alhambra(H3, A3, OHMIC, coarse_graining_time=1.0, form="coarse_grained"),
    "davies": lambda: davies(H3, A3, OHMIC, lamb_shift=True),
    "ckg_metropolis": lambda: ckg(H3, A3, 1.0),
    "ckg_gaussian": lambda: ckg(H3, A3, 2.0, weight="gaussian", sigma_e=0.3),
    "dll": lambda: dll(H3, A3, 1.0, filter="metropolis"),
}



@pytest.mark.parametrize("name", FAMILIES)
def test_apply_matches_superoperator(name, random_state):
    L = FAMILIES[name]()
    rho = random_state(L.dim, seed=4)
    sup = L.superoperator()
    scale = np.linalg.norm(sup, 2)
    for with_h in (False, True):
        ref = L.superoperator(include_system_hamiltonian=with_h) @ vec(rho)
        got = vec(L.apply(rho, include_system_hamiltonian=with_h))
        assert np.linalg.norm(got - ref) <= 1e-12 * max(scale, 1.0)
    x = random_state(L.dim, seed=5) + 1j * np.eye(L.dim)  # a non-Hermitian operator as well
    assert np.linalg.norm(vec(L.apply_adjoint(x)) - sup.conj().T @ vec(x)) <= 1e-12 * max(scale, 1.0)


@pytest.mark.parametrize("name", ["kms", "davies", "dll", "coarse_grained"])
def test_jump_operators_and_coherent_term_rebuild_the_generator(name, random_state):
    """Σ_j L_j ρ L_j^† − ½{K, ρ} − i[H_c, ρ] from the public dense pieces equals L[ρ]."""
    L = FAMILIES[name]()
    rho = random_state(L.dim, seed=7)
    jumps = L.jump_operators()
    hc, k = L.coherent_term(), L.decay_operator()
    assert np.abs(hc - hc.conj().T).max() < 1e-13 and np.abs(k - k.conj().T).max() < 1e-13
    rebuilt = sum(j @ rho @ j.conj().T for j in jumps) - 0.5 * (k @ rho + rho @ k) - 1j * (hc @ rho - rho @ hc)
    np.testing.assert_allclose(rebuilt, L.apply(rho), atol=1e-12)
    # K = Σ L_j^† L_j up to the quadrature of the factorised kernel
    np.testing.assert_allclose(sum(j.conj().T @ j for j in jumps), k, atol=1e-11)


def test_single_jump_per_coupling_for_dll_and_zero_coarse_graining():
    assert len(FAMILIES["dll"]().jump_operators()) == len(A3)
    assert len(FAMILIES["kms_T0"]().jump_operators()) == len(A3)


@pytest.mark.parametrize("name", ["kms", "davies", "ckg_metropolis"])
def test_trace_of_generator(name):
    L = FAMILIES[name]()
    assert L.trace() == pytest.approx(np.trace(L.superoperator()).real, rel=1e-12)


def test_energy_and_computational_superoperators_are_one_operator():
    L = FAMILIES["kms"]()
    w = np.kron(L.basis.vectors.conj(), L.basis.vectors)  # vec(V X V†) = (V̄ ⊗ V) vec(X)
    np.testing.assert_allclose(w @ L.superoperator(basis="energy") @ w.conj().T, L.superoperator(), atol=1e-13)
    with pytest.raises(ValueError, match="basis must be"):
        L.superoperator(basis="pauli")


def test_gibbs_state():
    L = FAMILIES["kms"]()
    from scipy.linalg import expm

    ref = expm(-L.beta * H3.to_matrix())
    np.testing.assert_allclose(L.gibbs_state(), ref / np.trace(ref), atol=1e-14)


def test_apply_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"expected a \(8, 8\) matrix"):
        FAMILIES["dll"]().apply(np.eye(4))
