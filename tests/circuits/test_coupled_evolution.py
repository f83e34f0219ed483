"""coupled_evolution against dense products of the same splitting and the exact time-ordered evolution."""

import numpy as np
import pytest
from qiskit.circuit import Parameter
from qiskit.quantum_info import Operator, SparsePauliOp
from scipy.linalg import expm

from kmsgibbs.circuits import coupled_evolution, exact_evolution

H = SparsePauliOp(["ZZ", "XI", "IX", "ZY"], [1.0, 0.6, 0.4, 0.3])
A = SparsePauliOp("ZX", 0.7)
X, Z, I2 = np.array([[0, 1], [1, 0]]), np.diag([1.0, -1.0]), np.eye(2)


def envelope(t):
    return 0.8 * np.exp(-((t - 1.0) ** 2))


def joint(omega: float, a: float) -> tuple[np.ndarray, np.ndarray]:
    """(H_S − (ω/2)Z_anc, a·A⊗X_anc) on ancilla ⊗ system (the ancilla is the high qubit)."""
    hs = np.kron(I2, H.to_matrix()) - 0.5 * omega * np.kron(Z, np.eye(4))
    return hs, a * np.kron(X, A.to_matrix())


def strang(omega: float, times: np.ndarray, step: float) -> np.ndarray:
    u = np.eye(8, dtype=complex)
    for t in times:
        free, coupling = joint(omega, envelope(t))
        half = expm(-0.5j * step * coupling)
        u = half @ expm(-1j * step * free) @ half @ u
    return u


def circuit(omega, steps: int, duration: float = 2.0):
    step = duration / steps
    mid = (np.arange(steps) + 0.5) * step
    return coupled_evolution(A, envelope(mid), step, frequency=omega, evolve=lambda s: exact_evolution(H, s))


def test_circuit_is_the_strang_product_with_the_ancilla_splitting_sign():
    omega, steps = 1.3, 7
    mid = (np.arange(steps) + 0.5) * 2.0 / steps
    u = Operator(circuit(omega, steps)).data
    np.testing.assert_allclose(u, strang(omega, mid, 2.0 / steps), atol=1e-12)
    # the opposite sign of H_E (|0⟩ the excited state) is a different unitary
    assert np.abs(u - strang(-omega, mid, 2.0 / steps)).max() > 0.1


def test_converges_to_the_time_ordered_evolution_at_second_order():
    omega = 1.3
    exact = np.eye(8, dtype=complex)
    fine = 1500
    for t in (np.arange(fine) + 0.5) * 2.0 / fine:  # midpoint exponentials: O(1/fine²), 1e-3 of the errors compared
        free, coupling = joint(omega, envelope(t))
        exact = expm(-1j * (2.0 / fine) * (free + coupling)) @ exact
    errs = [np.linalg.norm(Operator(circuit(omega, k)).data - exact, 2) for k in (20, 40)]
    assert 3.6 <= errs[0] / errs[1] <= 4.4, errs


def test_a_frequency_parameter_binds_to_the_same_circuit():
    omega = Parameter("omega")
    bound = circuit(omega, 5).assign_parameters({omega: 0.9})
    np.testing.assert_allclose(Operator(bound).data, Operator(circuit(0.9, 5)).data, atol=1e-12)


def test_bad_input():
    ev = lambda s: exact_evolution(H, s)  # noqa: E731
    with pytest.raises(ValueError, match="amplitudes"):
        coupled_evolution(A, [], 0.1, frequency=1.0, evolve=ev)
    with pytest.raises(ValueError, match="step"):
        coupled_evolution(A, [0.1], 0.0, frequency=1.0, evolve=ev)
    with pytest.raises(ValueError, match="frequency"):
        coupled_evolution(A, [0.1], 0.1, frequency=float("nan"), evolve=ev)
    with pytest.raises(ValueError, match="single Pauli string"):
        coupled_evolution(SparsePauliOp(["XI", "IZ"]), [0.1], 0.1, frequency=1.0, evolve=ev)
