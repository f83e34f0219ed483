"""Primitives V2 (estimate, sample) and the noisy verification on a fake backend (issue #5)."""

import numpy as np
import pytest
from qiskit.primitives import StatevectorEstimator
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import CouplingMap
from qiskit_aer.primitives import EstimatorV2, SamplerV2

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.simulators import aer, estimate, sample, verify

T = 0.2


@pytest.fixture(scope="module")
def s3():
    H = models.transverse_field_ising(3)
    L = scandi_alhambra(H, models.single_site_couplings(3, "X"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=1.0)
    return compile_sampler(L, dt=0.05, epsilon=1e-1)


@pytest.fixture(scope="module")
def scrambled():
    """A 7-qubit line whose physical order is scrambled, so no layout can be the identity."""
    line = [3, 0, 5, 1, 6, 2, 4]
    edges = [(a, b) for a, b in zip(line, line[1:])]
    edges += [(b, a) for a, b in edges]
    return GenericBackendV2(7, basis_gates=["cx", "rz", "sx", "x"], coupling_map=CouplingMap(edges), control_flow=True, seed=3)


@pytest.fixture(scope="module")
def reference(s3):
    ops = {"H": s3.lindbladian.hamiltonian, "Z0": SparsePauliOp("IIZ"), "Z2": SparsePauliOp("ZII")}
    return aer.run_density_matrix(s3, [T], initial_state="001", observables=ops)


def exact_estimator(precision: float = 0.0, seed: int = 0):
    return EstimatorV2(options={"default_precision": precision, "backend_options": {"method": "density_matrix"}, "run_options": {"seed_simulator": seed}})


def test_energy_from_aer_estimator_agrees_within_three_standard_errors(s3, reference):
    result = estimate(s3, {"H": s3.lindbladian.hamiltonian}, T, estimator=exact_estimator(0.02, seed=9), initial_state="001")
    assert result.stderr["H"] == pytest.approx(0.02)
    assert abs(result.values["H"] - reference.observables["H"][0]) <= 3 * result.stderr["H"]


def test_observables_follow_a_non_trivial_layout(s3, reference, scrambled):
    """⟨Z_0⟩ and ⟨Z_2⟩ from |001⟩ differ: a mapping that ignores the layout would swap or lose them."""
    ops = {"Z0": SparsePauliOp("IIZ"), "Z2": SparsePauliOp("ZII")}
    result = estimate(s3, ops, T, estimator=exact_estimator(), backend=scrambled, initial_state="001", seed=5)
    layout = result.circuit.layout.initial_index_layout()[:4]
    assert layout != [0, 1, 2, 3]
    assert abs(reference.observables["Z0"][0] - reference.observables["Z2"][0]) > 0.5
    for name in ops:
        assert result.values[name] == pytest.approx(reference.observables[name][0], abs=1e-6)


def test_sampled_bits_are_in_logical_order(s3, reference, scrambled):
    shots = 4000
    dm_sampler = SamplerV2(seed=12, options={"backend_options": {"method": "density_matrix"}})
    counts = sample(s3, T, sampler_primitive=dm_sampler, shots=shots, backend=scrambled, initial_state="001", seed=5)
    p = np.real(np.diag(reference.states[0]))
    assert sum(counts.values()) == shots
    for index, prob in enumerate(p):
        observed = counts.get(format(index, "03b"), 0) / shots
        assert abs(observed - prob) <= 4 * np.sqrt(prob * (1 - prob) / shots) + 1e-3, (index, observed, prob)


def test_primitive_inputs_are_checked(s3):
    with pytest.raises(ValueError, match="observable 'bad' acts on 2 qubits, the system has 3"):
        estimate(s3, {"bad": SparsePauliOp("ZZ")}, T, estimator=exact_estimator())
    with pytest.raises(ValueError, match="StatevectorEstimator cannot apply the ancilla resets"):
        estimate(s3, {"H": s3.lindbladian.hamiltonian}, T, estimator=StatevectorEstimator())
    with pytest.raises(ValueError, match="shots must be a positive integer"):
        sample(s3, T, sampler_primitive=SamplerV2(seed=1), shots=0)


def test_sample_refuses_primitives_that_cannot_reset(s3):
    """StatevectorSampler would sample one trajectory's final state (issue 15), as estimate already refuses."""
    from qiskit.primitives import StatevectorSampler

    with pytest.raises(ValueError, match="StatevectorSampler cannot apply the ancilla resets"):
        sample(s3, T, sampler_primitive=StatevectorSampler(seed=1), shots=100)
    with pytest.raises(TypeError, match="sampler_primitive must be a qiskit BaseSamplerV2 .* got str"):
        sample(s3, T, sampler_primitive="aer", shots=100)
    with pytest.raises(TypeError, match="shots must be a positive integer, got '100'"):
        sample(s3, T, sampler_primitive=SamplerV2(seed=1), shots="100")
    with pytest.raises(TypeError, match="estimator must be a qiskit BaseEstimatorV2 .* got NoneType"):
        estimate(s3, {"H": s3.lindbladian.hamiltonian}, T, estimator=None)


def test_noisy_verification_shows_the_hardware_noise(s3):
    """FakeFez's noise on ~4k CZ per step: far from the exact evolution and farther from Gibbs than noiseless."""
    fake_provider = pytest.importorskip("qiskit_ibm_runtime.fake_provider")
    from qiskit_aer.noise import NoiseModel

    fez = fake_provider.FakeFez()
    times = [0.5]
    noiseless = verify(s3, times)
    noisy = verify(s3, times, noise_model=NoiseModel.from_backend(fez), backend=fez, seed=1)
    assert noiseless.passed and not noisy.passed
    assert "noise of fake_fez" in noisy.label
    assert noisy.distance_to_exact[0] > noiseless.distance_to_exact[0] + 0.3
    assert noisy.distance_to_gibbs[0] > noiseless.distance_to_gibbs[0] + 0.05
    with pytest.raises(ValueError, match="noise_model needs backend="):
        verify(s3, times, noise_model=NoiseModel.from_backend(fez))


def test_noisy_run_refuses_circuits_too_large_to_hold(s3, monkeypatch):
    monkeypatch.setattr("kmsgibbs.simulators.runners.noisy._NOISY_MAX_INSTRUCTIONS", 10_000)  # the ceiling moved with run_noisy
    backend = GenericBackendV2(6, basis_gates=["cx", "rz", "sx", "x"], coupling_map=CouplingMap.from_line(6), control_flow=True, seed=2)
    with pytest.raises(ValueError, match=r"the noisy run would hold ~.* ISA instructions .* the limit is 1e\+04"):
        aer.run_noisy(s3, [0.0, 0.5], backend=backend, seed=1)


def test_randomized_bindings_run_as_one_pub_equal_separate_instances():
    """One to_isa on a heavy-hex backend, 32 bindings in one Estimator PUB, against the 32 instances'
    exact channels computed separately (dense, from each instance's own gates)."""
    from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
    from kmsgibbs.simulators import estimate_instances

    h = models.from_edges(2, models.chain_edges(2), couplings={"ZZ": -1.0}, fields={"X": -1.0})
    lind = scandi_alhambra(h, models.single_site_couplings(2, "XZ"), baths.GaussianBath(1.0), coarse_graining_time=1.0, coupling=0.5)
    s = compile_sampler(lind, dt=0.05, epsilon=1e-2, scheme="randomized")
    heavy_hex = GenericBackendV2(19, basis_gates=["cz", "rz", "sx", "x", "id"], coupling_map=CouplingMap.from_heavy_hex(3), control_flow=True, seed=7)
    observables = {"Z0": SparsePauliOp("IZ"), "XX": SparsePauliOp("XX"), "H": h}
    estimator = EstimatorV2(options={"backend_options": {"method": "density_matrix"}})
    result = estimate_instances(s, observables, 0.1, estimator=estimator, samples=32, seed=4, backend=heavy_hex, transpile_seed=5)
    assert result.circuit.num_parameters == 6 and set(result.circuit.count_ops()) <= {"cz", "rz", "sx", "x", "id", "reset"}
    rho0 = np.zeros(16, dtype=complex)
    rho0[0] = 1.0
    for name, op in observables.items():
        separate = []
        for row in result.parameter_values:
            rho = (s.instance_channel(row, 0.1) @ rho0).reshape(4, 4, order="F")
            separate.append(np.real(np.trace(op.to_matrix() @ rho)))
        np.testing.assert_allclose(result.instances[name], separate, atol=1e-8)
        assert abs(result.mean[name] - np.mean(separate)) <= 1e-8


def test_estimate_instances_refuses_bad_observables_and_estimators():
    from qiskit.primitives import StatevectorEstimator

    from kmsgibbs.compiler import dll
    from kmsgibbs.simulators import estimate_instances

    h = models.from_edges(2, models.chain_edges(2), couplings={"ZZ": -1.0}, fields={"X": -1.0})
    s = compile_sampler(dll(h, models.single_site_couplings(2, "Z"), 1.0, coupling=0.5), dt=0.05, epsilon=1e-2, scheme="randomized")
    estimator = EstimatorV2(options={"backend_options": {"method": "density_matrix"}})
    with pytest.raises(ValueError, match="observable 'bad' acts on 1 qubits, the system has 2"):
        estimate_instances(s, {"bad": SparsePauliOp("Z")}, 0.05, estimator=estimator, samples=2, seed=1)
    with pytest.raises(ValueError, match="StatevectorEstimator cannot apply the ancilla resets"):
        estimate_instances(s, {"Z": SparsePauliOp("IZ")}, 0.05, estimator=StatevectorEstimator(), samples=2, seed=1)
    with pytest.raises(ValueError, match="samples must be a positive integer, got 0"):
        estimate_instances(s, {"Z": SparsePauliOp("IZ")}, 0.05, estimator=estimator, samples=0, seed=1)
