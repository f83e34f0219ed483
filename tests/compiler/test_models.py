import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler import models


def test_tfim_matches_kronecker_construction_little_endian():
    n, J, g, h = 3, 0.7, 1.3, 0.2
    I, X, Z = np.eye(2), np.array([[0, 1], [1, 0]]), np.diag([1.0, -1.0])

    def site(op, i):  # qubit i is the i-th factor from the right
        mats = [op if k == i else I for k in reversed(range(n))]
        out = mats[0]
        for m in mats[1:]:
            out = np.kron(out, m)
        return out

    expected = sum(-J * site(Z, i) @ site(Z, i + 1) for i in range(n - 1))
    expected = expected + sum(-g * site(X, i) - h * site(Z, i) for i in range(n))
    H = models.transverse_field_ising(n, J=J, g=g, h=h)
    np.testing.assert_allclose(H.to_matrix(), expected, atol=1e-14)


def test_heisenberg_is_su2_invariant_without_field():
    H = models.heisenberg(4).to_matrix()
    total_x = sum(SparsePauliOp.from_sparse_list([("X", [i], 1)], 4).to_matrix() for i in range(4))
    assert np.abs(H @ total_x - total_x @ H).max() < 1e-12


def test_heisenberg_field_and_anisotropy():
    H = models.heisenberg(2, J=1.0, anisotropy=0.5, field=(0.1, 0.0, 0.3))
    terms = dict(zip(H.paulis.to_labels(), H.coeffs.real))
    assert terms["ZZ"] == pytest.approx(0.5)
    assert terms["IX"] == pytest.approx(0.1) and terms["ZI"] == pytest.approx(0.3)


def test_heisenberg_per_site_field():
    H = models.heisenberg(3, field=(0.0, 0.0, [0.1, -0.2, 0.3]))
    terms = dict(zip(H.paulis.to_labels(), H.coeffs.real))
    assert terms["IIZ"] == pytest.approx(0.1) and terms["IZI"] == pytest.approx(-0.2)
    with pytest.raises(ValueError, match="per-site values"):
        models.heisenberg(3, field=(0.0, 0.0, [0.1, 0.2]))
    with pytest.raises(ValueError, match="h_x, h_y, h_z"):
        models.heisenberg(3, field=(0.1, 0.2))


def test_square_lattice_edges_and_from_edges():
    edges = models.square_lattice_edges(2, 3)
    assert len(edges) == 7  # 2·(3−1) horizontal + 3·(2−1) vertical
    H = models.from_edges(6, edges, couplings={"XX": 1.0}, fields={"Z": 0.5})
    assert H.num_qubits == 6 and len(H) == 7 + 6
    assert len(models.square_lattice_edges(3, 3, periodic=True)) == 18


def test_random_two_local_is_seeded_and_hermitian():
    a, b = models.random_two_local(4, seed=3), models.random_two_local(4, seed=3)
    assert a == b and a != models.random_two_local(4, seed=4)
    m = a.to_matrix()
    assert np.abs(m - m.conj().T).max() < 1e-14


def test_single_site_couplings():
    ops = models.single_site_couplings(3, "XZ")
    assert [o.paulis.to_labels()[0] for o in ops] == ["IIX", "IIZ", "IXI", "IZI", "XII", "ZII"]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: models.transverse_field_ising(0), "positive integer"),
        (lambda: models.from_edges(3, [(0, 3)]), "distinct sites"),
        (lambda: models.from_edges(3, [(0, 1)], couplings={"XQ": 1}), "two of X, Y, Z"),
        (lambda: models.single_site_couplings(2, "XW"), "paulis"),
        (lambda: models.single_site_couplings(2, sites=[5]), "out of range"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
