"""The tensor-network (purification) Gibbs reference against dense diagonalisation (issue 25)."""

import numpy as np
import pytest
import scipy.linalg as sla
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler.physics.models import (
    chain_edges,
    heisenberg,
    random_two_local,
    transverse_field_ising,
)
from kmsgibbs.simulators.references import tfim_gibbs

from tests.conftest import assert_close

pytest.importorskip("quimb", reason="the tensor-network reference needs the quimb extra")
from kmsgibbs.simulators.purification import purification_gibbs  # noqa: E402

ACCEPTANCE = 1e-4  # issue 25: the tensor-network reference equals ED to 1e-4 at n = 10


def dense(hamiltonian: SparsePauliOp, beta: float) -> dict:
    """Observables from scipy.linalg.eigh of H.to_matrix() (independent of the package's ED)."""
    n = hamiltonian.num_qubits
    matrix = hamiltonian.to_matrix()
    energies, vectors = sla.eigh(matrix if np.any(matrix.imag) else matrix.real)
    w = np.exp(-beta * (energies - energies[0]))
    rho = (vectors * (w / w.sum())) @ vectors.conj().T

    def ev(op):
        return float(np.real(np.sum(rho * op.to_matrix().T)))

    def pauli(label, sites):
        return SparsePauliOp.from_sparse_list([(label, list(sites), 1.0)], num_qubits=n)

    return {
        "energy_per_site": ev(hamiltonian) / n,
        "zz": np.array([ev(pauli("ZZ", b)) for b in chain_edges(n)]),
        "x": np.array([ev(pauli("X", [i])) for i in range(n)]),
        "z": np.array([ev(pauli("Z", [i])) for i in range(n)]),
    }


def assert_matches(result, ref, atol):
    assert_close(result.energy_per_site, ref["energy_per_site"], atol=atol)
    assert_close(result.zz_bonds, ref["zz"], atol=atol)
    assert_close(result.x_sites, ref["x"], atol=atol)
    assert_close(result.z_sites, ref["z"], atol=atol)
    assert_close(result.zz_nearest, ref["zz"].mean(), atol=atol)
    assert_close(result.x_mean, ref["x"].mean(), atol=atol)
    assert_close(result.z_mean, ref["z"].mean(), atol=atol)


def test_xxz_chain_at_ten_sites_equals_dense_diagonalisation():
    # Δ = 0.5, a uniform Z field and a staggered X field: no symmetry makes an observable vanish
    n, beta = 10, 1.0
    hamiltonian = heisenberg(n, anisotropy=0.5, field=(0.2 * (-1) ** np.arange(n), 0.0, 0.3))
    result = purification_gibbs(hamiltonian, beta, dt=0.1, cutoff=1e-10)  # measured error ≈ 1e-5
    assert result.method == "purification" and result.log_partition is None
    assert_matches(result, dense(hamiltonian, beta), ACCEPTANCE)


def test_ising_chain_with_a_longitudinal_field_at_ten_sites_and_beta_four():
    # not free (h ≠ 0), so neither tfim_gibbs nor free_fermion_gibbs applies
    n, beta = 10, 4.0
    hamiltonian = transverse_field_ising(n, J=1.0, g=0.9, h=0.3)
    assert_matches(purification_gibbs(hamiltonian, beta), dense(hamiltonian, beta), ACCEPTANCE)


def test_beyond_dense_sizes_it_agrees_with_free_fermions():
    n, beta = 30, 2.0
    hamiltonian = transverse_field_ising(n, J=-1.0, g=1.0)
    result = purification_gibbs(hamiltonian, beta, dt=0.1, cutoff=1e-10)
    exact = tfim_gibbs(n, beta, J=-1.0, g=1.0)
    assert_close(result.energy_per_site, exact.energy_per_site, atol=ACCEPTANCE)
    assert_close(result.zz_bonds, exact.zz_bonds, atol=ACCEPTANCE)
    assert_close(result.x_sites, exact.x_sites, atol=ACCEPTANCE)
    assert_close(result.z_sites, exact.z_sites, atol=ACCEPTANCE)


def test_terms_beyond_neighbours_and_bad_input_are_refused():
    with pytest.raises(ValueError, match="neighbours"):
        purification_gibbs(transverse_field_ising(4, periodic=True), 1.0)
    with pytest.raises(ValueError, match="neighbours"):
        purification_gibbs(SparsePauliOp.from_sparse_list([("XX", [0, 2], 1.0)], num_qubits=3), 1.0)
    with pytest.raises(ValueError, match="n ≥ 2"):
        purification_gibbs(SparsePauliOp("X"), 1.0)
    with pytest.raises(ValueError):
        purification_gibbs(heisenberg(3), -1.0)
    with pytest.raises(ValueError):
        purification_gibbs(heisenberg(3), 1.0, dt=0.0)
    with pytest.raises(TypeError):
        purification_gibbs(heisenberg(3), 1.0, max_bond=2.5)


def test_a_random_two_local_chain_with_every_pauli_pair():
    # all nine P_i Q_{i+1} (X_i Z_{i+1} ≠ Z_i X_{i+1}: each bond term's qubit order) and Y terms
    n, beta = 6, 1.0
    hamiltonian = random_two_local(n, seed=25) * 0.5
    assert_matches(purification_gibbs(hamiltonian, beta), dense(hamiltonian, beta), ACCEPTANCE)
