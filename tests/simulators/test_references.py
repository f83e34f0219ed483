"""Free-fermion Gibbs references against an independent dense diagonalisation (issue 25, item 2)."""

from functools import lru_cache

import numpy as np
import pytest
import scipy.linalg as sla
from qiskit.quantum_info import SparsePauliOp
from scipy.integrate import quad

from kmsgibbs.compiler.physics.models import chain_edges, heisenberg, transverse_field_ising
from kmsgibbs.simulators.references import (
    GibbsObservables,
    chain_bonds,
    exact_gibbs,
    free_fermion_gibbs,
    tfim_gibbs,
)

from tests.conftest import assert_close

EXACT = 1e-10  # the acceptance tolerance: free fermions equal ED to round-off


@lru_cache(maxsize=8)
def _spectrum(labels: tuple, coeffs: tuple, n: int):
    matrix = SparsePauliOp(list(labels), list(coeffs)).to_matrix()
    # a TFIM matrix is real: the real symmetric solver takes a quarter of the time at n = 10
    return sla.eigh(matrix if np.any(matrix.imag) else matrix.real)


def dense(hamiltonian: SparsePauliOp, beta: float, bonds: list[tuple[int, int]]) -> dict:
    """Gibbs expectation values from scipy.linalg.eigh of H.to_matrix() (not the package's ED)."""
    n = hamiltonian.num_qubits
    labels, coeffs = tuple(hamiltonian.paulis.to_labels()), tuple(hamiltonian.coeffs)
    energies, vectors = _spectrum(labels, coeffs, n)
    w = np.exp(-beta * (energies - energies[0]))
    rho = (vectors * (w / w.sum())) @ vectors.conj().T

    def ev(label, sites):
        p = SparsePauliOp.from_sparse_list([(label, list(sites), 1.0)], num_qubits=n).to_matrix()
        return float(np.real(np.sum(rho * p.T)))

    return {
        "energy": float(np.real(np.sum(rho * hamiltonian.to_matrix().T))),
        "zz": np.array([ev("ZZ", b) for b in bonds]),
        "x": np.array([ev("X", [i]) for i in range(n)]),
        "z": np.array([ev("Z", [i]) for i in range(n)]),
        "log_z": float(np.log(w.sum()) - beta * energies[0]),
    }


def assert_matches_dense(result: GibbsObservables, ref: dict, atol: float) -> None:
    n = result.n
    assert_close(result.energy_per_site, ref["energy"] / n, atol=atol)
    assert_close(result.zz_bonds, ref["zz"], atol=atol)
    assert_close(result.x_sites, ref["x"], atol=atol)
    assert_close(result.z_sites, ref["z"], atol=atol)
    assert_close(result.x_mean, ref["x"].mean(), atol=atol)
    assert_close(result.z_mean, ref["z"].mean(), atol=atol)
    assert_close(result.zz_nearest, ref["zz"].mean() if ref["zz"].size else 0.0, atol=atol)
    if result.log_partition is not None:
        assert_close(result.log_partition, ref["log_z"], atol=atol * max(1.0, abs(ref["log_z"])))


COUPLINGS = [(1.0, 1.0), (1.3, -0.7), (-0.8, 0.45), (-1.1, -2.0)]


# every coupling set up to n = 8, two at n = 9 and at n = 10 (negative couplings included)
CASES = [(n, J, g) for n in range(1, 9) for J, g in COUPLINGS]
CASES += [(9, 1.3, -0.7), (9, -1.1, -2.0), (10, 1.0, 1.0), (10, -0.8, 0.45)]


@pytest.mark.parametrize("n, J, g", CASES)
def test_open_chain_equals_dense_diagonalisation(n, J, g):
    hamiltonian = transverse_field_ising(n, J=J, g=g)
    for beta in (0.3, 1.0, 4.0):
        ref = dense(hamiltonian, beta, chain_edges(n))
        assert_matches_dense(tfim_gibbs(n, beta, J=J, g=g), ref, EXACT)
        assert_matches_dense(free_fermion_gibbs(hamiltonian, beta), ref, EXACT)


# n = 11 takes ~6 s (a 2048² eigh), n = 12 ~50 s: only n = 12 waits for -m slow
@pytest.mark.parametrize("n", [11, pytest.param(12, marks=pytest.mark.slow)])
def test_open_chain_equals_dense_diagonalisation_at_11_and_12_sites(n):
    hamiltonian = transverse_field_ising(n, J=-0.9, g=1.2)
    for beta in (1.0, 4.0):
        ref = dense(hamiltonian, beta, chain_edges(n))
        assert_matches_dense(tfim_gibbs(n, beta, J=-0.9, g=1.2), ref, EXACT)


PERIODIC = [(1.0, 1.0, 4.0), (1.0, 1.0, 25.0), (-1.0, 0.6, 3.0), (0.7, -1.9, 8.0), (1.2, 0.4, 0.5)]
# deep in the cold: Π 2cosh ± Π 2sinh cancels to all digits (the classical chain g = 0; the
# antiferromagnet, frustrated at odd n)
PERIODIC += [(1.0, 0.0, 50.0), (-1.0, 0.3, 200.0)]


@pytest.mark.parametrize("n", range(3, 10))
@pytest.mark.parametrize("J, g, beta", PERIODIC)
def test_periodic_chain_projected_onto_both_parity_sectors_equals_dense(n, J, g, beta):
    # J = g is critical: the odd sector has a zero mode, where the twisted trace must stay finite
    hamiltonian = transverse_field_ising(n, J=J, g=g, periodic=True)
    result = tfim_gibbs(n, beta, J=J, g=g, periodic=True)
    assert result.periodic and result.zz_bonds.size == n
    assert_matches_dense(result, dense(hamiltonian, beta, chain_edges(n, periodic=True)), EXACT)


def test_the_open_chain_mixes_both_parities_and_still_needs_no_projection():
    # ⟨P⟩ = ⟨Π X_i⟩ strictly inside (−1, 1): both sectors are populated, and the unprojected
    # Gaussian state is exact because the open chain's H is quadratic on the full Hilbert space
    n, beta = 6, 4.0
    hamiltonian = transverse_field_ising(n, J=1.0, g=0.5)
    energies, vectors = sla.eigh(hamiltonian.to_matrix())
    w = np.exp(-beta * (energies - energies[0]))
    parity = SparsePauliOp("X" * n).to_matrix()
    mean_parity = np.real(np.einsum("ik,ij,jk,k->", vectors.conj(), parity, vectors, w)) / w.sum()
    assert abs(mean_parity) < 0.8  # each sector holds (1 ± ⟨P⟩)/2 > 10 % of the weight
    ref = dense(hamiltonian, beta, chain_edges(n))
    assert_matches_dense(tfim_gibbs(n, beta, J=1.0, g=0.5), ref, EXACT)


def test_a_sign_error_is_caught():
    n, beta, J, g = 6, 4.0, 1.0, 0.8
    ref = dense(transverse_field_ising(n, J=J, g=g), beta, chain_edges(n))
    flipped_g = tfim_gibbs(n, beta, J=J, g=-g)
    assert np.max(np.abs(flipped_g.x_sites - ref["x"])) > 0.5
    flipped_j = tfim_gibbs(n, beta, J=-J, g=g)
    assert np.max(np.abs(flipped_j.zz_bonds - ref["zz"])) > 0.5
    with pytest.raises(AssertionError):
        assert_matches_dense(flipped_g, ref, EXACT)


@pytest.mark.parametrize("periodic", [False, True])
def test_an_inhomogeneous_chain_given_as_a_sparse_pauli_op(periodic):
    n, rng = 7, np.random.default_rng(25)
    terms = [("ZZ", list(b), rng.normal()) for b in chain_edges(n, periodic=periodic)]
    terms += [("X", [i], rng.normal()) for i in range(n)] + [("I", [0], 0.37)]
    hamiltonian = SparsePauliOp.from_sparse_list(terms, num_qubits=n).simplify()
    for beta in (0.5, 4.0):
        result = free_fermion_gibbs(hamiltonian, beta)
        assert result.periodic == periodic
        ref = dense(hamiltonian, beta, chain_bonds(n, periodic=periodic))
        assert_matches_dense(result, ref, EXACT)


def test_the_periodic_chain_reaches_the_thermodynamic_limit():
    # at J = g (self-dual) e(β) = −(1/2π) ∫_0^π ε tanh(βε/2) dk with ε = 2√(J² + g² − 2Jg cos k),
    # and ⟨X⟩ = ⟨ZZ⟩ = −e/2; finite-size corrections of the periodic chain decay exponentially in n
    beta = 4.0
    eps = lambda k: 2.0 * np.sqrt(2.0 - 2.0 * np.cos(k))  # noqa: E731
    integrand = lambda k: eps(k) * np.tanh(beta * eps(k) / 2)  # noqa: E731
    e = -quad(integrand, 0, np.pi, epsabs=1e-13, epsrel=1e-13, limit=200)[0] / (2 * np.pi)
    result = tfim_gibbs(400, beta, periodic=True)
    assert_close(result.energy_per_site, e, atol=1e-10)
    assert_close(result.x_sites, np.full(400, -e / 2), atol=1e-10)
    assert_close(result.zz_bonds, np.full(400, -e / 2), atol=1e-10)
    assert result.z_mean == 0.0


def test_the_result_is_frozen_and_named_as_the_cli_reports():
    result = tfim_gibbs(5, 1.0)
    assert set(result.as_dict()) == {"energy_per_site", "zz_nearest", "x_mean", "z_mean"}
    assert result.method == "free_fermion" and result.n == 5 and result.beta == 1.0
    with pytest.raises(AttributeError):
        result.beta = 2.0
    with pytest.raises(ValueError):
        result.x_sites[0] = 0.0


def test_exact_gibbs_equals_the_tests_own_diagonalisation():
    hamiltonian = heisenberg(6, J=1.0, anisotropy=0.5, field=(0.3, 0.0, 0.4))
    ref = dense(hamiltonian, 2.0, chain_edges(6))
    assert_matches_dense(exact_gibbs(hamiltonian, 2.0), ref, EXACT)


@pytest.mark.parametrize(
    "hamiltonian, match",
    [
        (transverse_field_ising(4, h=0.3), "longitudinal field"),
        (heisenberg(4), "not of the free transverse-field Ising form"),
        (SparsePauliOp.from_sparse_list([("ZZ", [0, 2], 1.0)], num_qubits=4), "not of the free"),
        (SparsePauliOp.from_sparse_list([("Y", [1], 1.0)], num_qubits=3), "not of the free"),
    ],
)
def test_models_that_are_not_free_are_refused(hamiltonian, match):
    with pytest.raises(ValueError, match=match):
        free_fermion_gibbs(hamiltonian, 1.0)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="longitudinal"):
        tfim_gibbs(4, 1.0, h=0.1)
    with pytest.raises(TypeError):
        tfim_gibbs(True, 1.0)
    with pytest.raises(TypeError):
        tfim_gibbs(4.0, 1.0)
    with pytest.raises(ValueError):
        tfim_gibbs(0, 1.0)
    for beta in (0.0, -1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError):
            tfim_gibbs(4, beta)
    with pytest.raises(TypeError):
        tfim_gibbs(4, True)
    with pytest.raises(ValueError, match="3 numbers"):
        tfim_gibbs(4, 1.0, J=[1.0, 1.0])
    with pytest.raises(TypeError):
        tfim_gibbs(4, 1.0, periodic=1)
    with pytest.raises(ValueError, match="Hermitian"):
        free_fermion_gibbs(SparsePauliOp(["XI"], [1j]), 1.0)


def test_the_tensor_network_reference_names_its_extra_when_quimb_is_missing(monkeypatch):
    import sys

    from kmsgibbs.simulators.purification import purification_gibbs

    monkeypatch.setitem(sys.modules, "quimb", None)  # makes `import quimb.tensor` fail
    monkeypatch.setitem(sys.modules, "quimb.tensor", None)
    with pytest.raises(ImportError, match=r"kmsgibbs\[quimb\]"):
        purification_gibbs(heisenberg(3), 1.0)
