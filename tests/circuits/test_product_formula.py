import numpy as np
import pytest
from qiskit.quantum_info import Operator, SparsePauliOp
from scipy.linalg import expm

from kmsgibbs.circuits import exact_evolution, trotter_evolution

H = SparsePauliOp(["XZI", "ZZI", "IYX", "ZIY"], [0.7, 1.0, -0.4, 0.3])


@pytest.mark.parametrize("order, ratio", [(1, 2.0), (2, 4.0), (4, 16.0)])
def test_error_falls_with_the_order(order, ratio):
    exact = expm(-0.8j * H.to_matrix())
    errs = [np.abs(Operator(trotter_evolution(H, 0.8, order=order, steps=s)).data - exact).max() for s in (4, 8)]
    assert errs[0] / errs[1] == pytest.approx(ratio, rel=0.1)


def test_commuting_terms_are_exact_and_negative_time_inverts():
    h = SparsePauliOp(["ZZI", "IZZ", "ZIZ"], [1.0, -0.5, 0.2])
    np.testing.assert_allclose(Operator(trotter_evolution(h, 1.3, order=1)).data, expm(-1.3j * h.to_matrix()), atol=1e-13)
    # a symmetric (Suzuki) formula is exactly time-reversible, S(−t) = S(t)⁻¹; Lie–Trotter is not
    fwd = Operator(trotter_evolution(H, 0.5, order=2, steps=2)).data
    back = Operator(trotter_evolution(H, -0.5, order=2, steps=2)).data
    assert np.abs(back @ fwd - np.eye(8)).max() < 1e-13
    lie = [Operator(trotter_evolution(H, s, order=1, steps=2)).data for s in (0.5, -0.5)]
    assert np.abs(lie[1] @ lie[0] - np.eye(8)).max() > 1e-3


def test_controlled_version_and_exact_reference():
    u = Operator(trotter_evolution(H, 0.8, order=2, steps=3, controlled=True)).data
    v = Operator(trotter_evolution(H, 0.8, order=2, steps=3)).data
    np.testing.assert_allclose(u[::2, ::2], np.eye(8), atol=1e-13)  # control is qubit 0
    np.testing.assert_allclose(u[1::2, 1::2], v, atol=1e-13)
    np.testing.assert_allclose(Operator(exact_evolution(H, 0.8)).data, expm(-0.8j * H.to_matrix()), atol=1e-13)
    ue = Operator(exact_evolution(H, 0.8, controlled=True)).data
    np.testing.assert_allclose(ue[1::2, 1::2], expm(-0.8j * H.to_matrix()), atol=1e-13)


@pytest.mark.parametrize("kwargs, match", [({"order": 3}, "order"), ({"steps": 0}, "steps"), ({"steps": 1.5}, "steps")])
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        trotter_evolution(H, 1.0, **kwargs)
    with pytest.raises(ValueError, match="real Pauli coefficients"):
        trotter_evolution(SparsePauliOp("XZ", [1j]), 1.0)
