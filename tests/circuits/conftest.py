import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp
from scipy.linalg import expm


class Toy:
    """A 2-qubit H, a Pauli A and a random complex time-grid LCU L = Σ w_l A(t_l), with dense references."""

    def __init__(self, seed: int = 0, points: int = 5):
        self.H = SparsePauliOp(["ZZ", "XI", "IX", "ZY"], [1.0, 0.6, 0.4, 0.3])
        self.A = SparsePauliOp("IX")
        rng = np.random.default_rng(seed)
        self.times = np.linspace(-1.0, 1.0, points)
        self.weights = 0.3 * (rng.normal(size=points) + 1j * rng.normal(size=points))

    def heisenberg(self, a: np.ndarray, t: float) -> np.ndarray:
        u = expm(1j * self.H.to_matrix() * t)
        return u @ a @ u.conj().T

    @property
    def jump(self) -> np.ndarray:
        return sum(w * self.heisenberg(self.A.to_matrix(), t) for w, t in zip(self.weights, self.times))


@pytest.fixture
def toy():
    return Toy()
