import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.circuits import BlockEncoding, exact_evolution, lcu_block_encoding, trotter_evolution


@pytest.mark.parametrize("points", [4, 5, 8])
def test_lcu_block_encodes_the_time_grid_operator(toy, points):
    from tests.circuits.conftest import Toy

    toy = Toy(seed=points, points=points)
    be = lcu_block_encoding(toy.A, toy.times, toy.weights, evolve=lambda s, c: exact_evolution(toy.H, s, controlled=c))
    assert be.num_ancillas == int(np.ceil(np.log2(points)))
    assert be.circuit.num_qubits == 2 + be.num_ancillas and be.num_system == 2
    assert be.alpha == pytest.approx(np.abs(toy.weights).sum())
    np.testing.assert_allclose(be.matrix(), toy.jump, atol=1e-12)


def test_trotterised_block_encoding_error_obeys_the_factor_bound(toy):
    """‖L̃ − L‖ ≤ Σ_k |w_k| · 2 (‖Ũ(t_0) − U(t_0)‖ + Σ_j k_j ‖Ũ(Δ2^j) − U(Δ2^j)‖), U(s) = e^{−iHs}."""
    from qiskit.quantum_info import Operator
    from scipy.linalg import expm

    def evolve(s, controlled):
        return trotter_evolution(toy.H, s, order=2, steps=2, controlled=controlled)

    def factor_error(s):
        return np.linalg.norm(Operator(evolve(s, False)).data - expm(-1j * s * toy.H.to_matrix()), 2)

    step = toy.times[1] - toy.times[0]
    powers = [factor_error(step * 2**j) for j in range(3)]
    bound = sum(
        abs(w) * 2 * (factor_error(toy.times[0]) + sum(p for j, p in enumerate(powers) if (k >> j) & 1))
        for k, w in enumerate(toy.weights)
    )
    be = lcu_block_encoding(toy.A, toy.times, toy.weights, evolve=evolve, epsilon=bound)
    err = np.linalg.norm(be.matrix() - toy.jump, 2)
    assert 1e-6 < err <= be.epsilon


def test_negative_pauli_coefficient(toy):
    a = SparsePauliOp("YZ", [-1.0])
    be = lcu_block_encoding(a, toy.times, toy.weights, evolve=lambda s, c: exact_evolution(toy.H, s, controlled=c))
    ref = sum(w * toy.heisenberg(a.to_matrix(), t) for w, t in zip(toy.weights, toy.times))
    np.testing.assert_allclose(be.matrix(), ref, atol=1e-12)


def test_bad_input(toy):
    ev = lambda s, c: exact_evolution(toy.H, s, controlled=c)  # noqa: E731
    with pytest.raises(ValueError, match="uniform grid"):
        lcu_block_encoding(toy.A, [0.0, 0.1, 0.3], [1, 1, 1], evolve=ev)
    with pytest.raises(ValueError, match="all weights are zero"):
        lcu_block_encoding(toy.A, toy.times, np.zeros(5), evolve=ev)
    with pytest.raises(ValueError, match="single Pauli"):
        lcu_block_encoding(SparsePauliOp(["IX", "ZI"]), toy.times, toy.weights, evolve=ev)
    with pytest.raises(ValueError, match="num_ancillas"):
        BlockEncoding(QuantumCircuit(2), alpha=1.0, num_ancillas=3, epsilon=0.0)
    with pytest.raises(ValueError, match="alpha"):
        BlockEncoding(QuantumCircuit(2), alpha=0.0, num_ancillas=1, epsilon=0.0)
