import numpy as np
import pytest


def vec(x: np.ndarray) -> np.ndarray:
    """Column-stacked vec: vec(X)[a + d·b] = X[a, b] (the package's superoperator convention)."""
    return np.asarray(x).reshape(-1, order="F")


def unvec(v: np.ndarray) -> np.ndarray:
    """The d × d matrix of a column-stacked vector."""
    d = int(round(np.sqrt(v.size)))
    return np.asarray(v).reshape(d, d, order="F")


def assert_close(actual, expected, *, atol: float, rtol: float = 0.0) -> None:
    """Max-abs comparison with an explicit tolerance (the error is reported on failure)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    err = float(np.max(np.abs(actual - expected))) if actual.size else 0.0
    bound = atol + rtol * (float(np.max(np.abs(expected))) if expected.size else 0.0)
    assert err <= bound, f"max |difference| = {err:.3e} > {bound:.3e}"


@pytest.fixture
def random_state():
    def make(d: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
        rho = x @ x.conj().T
        return rho / np.trace(rho)

    return make


# Property tests (tests/test_properties.py): one fixed, derandomized hypothesis profile, so every run
# draws the same examples (CI and laptops alike), bounded in number, with no per-example deadline
# (a first example pays for imports and caches). HYPOTHESIS_PROFILE=kmsgibbs-thorough draws more.
def random_generator(n: int, seed: int):
    """A random 2-local Hamiltonian at a random β ∈ [0.1, 3], X and Z couplings on every site (the KMS form)."""
    from kmsgibbs.compiler import baths, models, scandi_alhambra

    beta = float(np.random.default_rng(seed).uniform(0.1, 3.0))
    h = models.random_two_local(n, seed=seed)
    bath = baths.GaussianBath(beta, width=2.0)
    return scandi_alhambra(h, models.single_site_couplings(n, "XZ"), bath, coarse_graining_time=1.0, coupling=0.5)


def trace_norm(x: np.ndarray) -> float:
    """‖x‖₁ of the Hermitian part of x."""
    return float(np.abs(np.linalg.eigvalsh(0.5 * (x + x.conj().T))).sum())


def assert_gate_level_instance_is_its_channel(sampler, *, seed: int, time: float = 0.1) -> None:
    """Aer's density matrices of one gate-level instance of a 2-qubit randomized sampler (every ancilla
    traced) from 16 random pure inputs (a basis of the operators) equal its ``instance_channel``, to 1e-8."""
    from qiskit import QuantumCircuit, transpile
    from qiskit.quantum_info import random_unitary
    from qiskit_aer import AerSimulator

    width = 2 + sampler.num_ancillas
    values = sampler.parameter_values(time, 1, seed=seed)
    channel = sampler.instance_channel(values[0], time)
    body = sampler.bind(time, values)[0]
    circuits, expected = [], []
    for k in range(16):
        u = random_unitary(4, seed=k)
        prep = QuantumCircuit(width)
        prep.unitary(u, [0, 1])
        prep.compose(body, inplace=True)
        prep.save_density_matrix(qubits=[0, 1])
        circuits.append(prep)
        psi = u.data[:, 0]
        expected.append(unvec(channel @ vec(np.outer(psi, psi.conj()))))
    sim = AerSimulator(method="density_matrix")
    result = sim.run(transpile(circuits, sim, optimization_level=0)).result()
    for j, rho in enumerate(expected):
        np.testing.assert_allclose(np.asarray(result.data(j)["density_matrix"]), rho, atol=1e-8)


from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "kmsgibbs",
    derandomize=True,
    max_examples=12,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "kmsgibbs-thorough", parent=settings.get_profile("kmsgibbs"), max_examples=200
)
settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "kmsgibbs"))
