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


# --- issue 26: a Qiskit CouplingMap as the interaction graph ---


def test_a_ring_coupling_map_gives_the_command_lines_ring():
    from qiskit.transpiler import CouplingMap

    from kmsgibbs.cli import build_lindbladian, parse_args

    ring = models.transverse_field_ising(5, edges=CouplingMap.from_ring(5))  # both directions listed: once each
    hand = SparsePauliOp.from_sparse_list(
        [("ZZ", [i, (i + 1) % 5], -1.0) for i in range(5)] + [("X", [i], -1.0) for i in range(5)], num_qubits=5
    )
    assert ring.equiv(hand)
    assert ring.equiv(models.transverse_field_ising(5, periodic=True))
    cli = build_lindbladian(parse_args(["verify", "--n", "5", "--lattice", "ring", "--couplings", "Z"]))
    assert cli.hamiltonian.equiv(ring)


def test_a_grid_coupling_map_gives_the_hand_built_heisenberg_plaquette():
    from qiskit.transpiler import CouplingMap

    grid = CouplingMap.from_grid(2, 2)  # sites 0 1 / 2 3: bonds 0-1, 2-3, 0-2, 1-3
    h = models.heisenberg(4, J=0.7, anisotropy=0.5, field=0.2, edges=grid)
    bonds = [(0, 1), (2, 3), (0, 2), (1, 3)]
    hand = SparsePauliOp.from_sparse_list(
        [(p + p, list(b), 0.7 * (0.5 if p == "Z" else 1.0)) for b in bonds for p in "XYZ"]
        + [("Z", [i], 0.2) for i in range(4)],
        num_qubits=4,
    )
    assert h.equiv(hand)
    assert models.coupling_map_edges(grid) == sorted(bonds)
    assert h.equiv(models.heisenberg(4, J=0.7, anisotropy=0.5, field=0.2, edges=models.square_lattice_edges(2, 2)))


def test_coupling_maps_are_undirected_deduplicated_and_sized():
    from qiskit.transpiler import CouplingMap

    one_way, both_ways = CouplingMap([[0, 1], [2, 1]]), CouplingMap([[0, 1], [1, 0], [1, 2], [2, 1]])
    for cmap in (one_way, both_ways):
        assert models.coupling_map_edges(cmap, 3) == [(0, 1), (1, 2)]
        assert models.from_edges(3, cmap).equiv(models.from_edges(3, [(0, 1), (1, 2)]))
    # the same graph gives the same random model whichever directions the map lists
    assert models.random_two_local(3, seed=5, edges=one_way).equiv(models.random_two_local(3, seed=5, edges=both_ways))
    with pytest.raises(ValueError, match="the CouplingMap has 3 qubits but the model has 4 sites"):
        models.transverse_field_ising(4, edges=CouplingMap.from_line(3))
    with pytest.raises(ValueError, match="periodic closes the default chain"):
        models.heisenberg(3, periodic=True, edges=CouplingMap.from_line(3))
    with pytest.raises(TypeError, match="expected a qiskit.transpiler.CouplingMap"):
        models.coupling_map_edges([(0, 1)])
