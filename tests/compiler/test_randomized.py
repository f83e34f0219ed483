"""The randomized scheme: sampled Heisenberg and coherent times as circuit parameters.

The physics checks compare the exact averaged channel with e^{dt L} of the generator (an independent
dense computation) and fail on the wrong variance or a dropped sign; the circuit checks compare the
dense instance channels with Aer's superoperator of the gate-level circuits.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from qiskit import transpile
from qiskit_aer import AerSimulator
from scipy.linalg import expm

from kmsgibbs.compiler import baths, compile_sampler, dll, models, scandi_alhambra
from kmsgibbs.compiler.analysis.averaged import grid_generator
from kmsgibbs.compiler.analysis.estimate import estimated_two_qubit_gates
from kmsgibbs.compiler.analysis.bounds import diamond_norm_upper_bound
from kmsgibbs.compiler.physics.sampling import CoherentKernel, TruncatedGaussian, coherent_kernel, draw_seed
from kmsgibbs.compiler.physics.time_grids import coherent_filter
from tests.conftest import assert_gate_level_instance_is_its_channel

VERIFY_BASIS = ["cx", "rz", "sx", "x", "reset"]


def tfim(n: int):
    return models.from_edges(n, models.chain_edges(n), couplings={"ZZ": -1.0}, fields={"X": -1.0})


def kms_generator(n: int = 3, T: float = 1.0):
    return scandi_alhambra(
        tfim(n), models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=T, coupling=0.5
    )


def dll_generator(n: int = 3):
    return dll(tfim(n), models.single_site_couplings(n, "XZ"), 1.0, coupling=0.5)


@pytest.fixture(scope="module")
def verify_sampler():
    return compile_sampler(kms_generator(), dt=0.05, epsilon=1e-2, scheme="randomized")


@pytest.fixture(scope="module")
def small_sampler():
    return compile_sampler(kms_generator(2), dt=0.05, epsilon=1e-2, scheme="randomized")


def cycle_error(sampler, generator: np.ndarray) -> float:
    """½‖Φ̄_cycle − e^{C dt L}‖_◇ of the averaged channel."""
    return 0.5 * diamond_norm_upper_bound(sampler.averaged_channel() - expm(sampler.cycle * sampler.dt * generator))


@pytest.fixture(scope="module", params=["kms", "dll"])
def exact_errors(request):
    """Averaged-cycle errors at dt = 0.05 and 0.025 with exact frames and a fine jump grid, for the
    correct sampler and for a sampler with the wrong variance (T² for T²/2) or φ's sign dropped."""
    lind = kms_generator() if request.param == "kms" else dll_generator()
    generator = lind.superoperator()
    out = {"family": request.param}
    for dt in (0.05, 0.025):
        s = compile_sampler(lind, dt=dt, epsilon=1e-4, scheme="randomized", exact_evolution=True)
        out[dt] = cycle_error(s, generator)
        kernel = s.plan.kernel
        unsigned = CoherentKernel(kernel.times, np.abs(kernel.values), kernel.norm, kernel.tail, kernel.table_error, "unsigned")
        out["unsigned", dt] = cycle_error(dataclasses.replace(s, plan=dataclasses.replace(s.plan, kernel=unsigned)), generator)
        if s.plan.shift is not None:
            wide = TruncatedGaussian.with_tail(math.sqrt(2) * s.plan.shift.deviation, 1e-9)
            out["variance", dt] = cycle_error(dataclasses.replace(s, plan=dataclasses.replace(s.plan, shift=wide)), generator)
        out["sampler", dt] = s
    return out


def test_averaged_channel_error_falls_as_dt_squared(exact_errors):
    ratio = exact_errors[0.05] / exact_errors[0.025]
    assert 2.8 <= ratio <= 5.0, (exact_errors["family"], exact_errors[0.05], exact_errors[0.025])


def test_dropping_the_coherent_sign_is_caught(exact_errors):
    # without sign φ(t) the coherent term averages to a different Hamiltonian: an O(dt) error per step
    for dt in (0.05, 0.025):
        assert exact_errors["unsigned", dt] > 3 * exact_errors[dt]
    assert exact_errors["unsigned", 0.05] / exact_errors["unsigned", 0.025] < 2.5


def test_the_wrong_variance_is_caught(exact_errors):
    if exact_errors["family"] != "kms":
        pytest.skip("DLL has no Gaussian average")
    for dt in (0.05, 0.025):
        assert exact_errors["variance", dt] > 5 * exact_errors[dt]


def test_budget_has_no_quadrature_terms(exact_errors):
    s = exact_errors["sampler", 0.05]
    bound = s.error_bound(1.0)
    assert set(bound.terms) == {"step", "truncation", "dilation", "trotter", "jump_grid", "average_quadrature"}
    # one unaveraged dissipator per coupling and no coherent nodes: nothing left to discretise
    assert len(s.plan.dissipators) == len(s.form.couplings)
    assert {f.node for f in s.plan.dissipators} == {0}
    assert sum(len(g) for g in s.plan.coherent) == len(s.form.couplings)
    # the bound holds for the averaged evolution it describes
    generator = s.lindbladian.superoperator()
    steps = s.num_steps(1.0)
    error = 0.5 * diamond_norm_upper_bound(s.averaged_channel(steps) - expm(1.0 * generator))
    assert error <= bound.total


def test_dilation_and_trotter_terms_scale_as_their_errors():
    """Exact frames: no Trotter term, and the dilation term (cores against the exact factor channels
    e^{dt D[B]}, Ad e^{∓iθJ†J}) falls linearly in dt over a fixed time; a wrong sign of the θ < 0
    reference leaves an O(dt) difference per step, a term that does not fall (0.18 at t = 1 for DLL).
    Trotterised frames at a hand-set h: a Trotter term that does not fall with dt."""
    lind = dll_generator(2)
    exact = [compile_sampler(lind, dt=dt, epsilon=1e-2, scheme="randomized", exact_evolution=True).error_bound(1.0) for dt in (0.05, 0.025)]
    assert exact[0].terms["trotter"] == exact[1].terms["trotter"] == 0.0
    assert exact[0].terms["dilation"] < 1e-2
    assert 1.6 <= exact[0].terms["dilation"] / exact[1].terms["dilation"] <= 2.5
    coarse = [
        compile_sampler(lind, dt=dt, epsilon=1e-2, scheme="randomized", trotter_step=0.25).error_bound(1.0).terms["trotter"]
        for dt in (0.05, 0.025)
    ]
    assert coarse[1] > 0.8 * coarse[0] > 0.0


@pytest.mark.parametrize("make", [kms_generator, dll_generator], ids=["kms", "dll"])
def test_averaged_channels_are_trace_preserving_and_the_truncation_term_is_what_the_tails_drop(make):
    """Each step averages channels with probabilities: Tr is kept to rounding (the coherent quadrature's
    weights once summed to 1 − 1e-4 at T = 0). The truncation term is at most what the tails drop
    per step (½‖Φ_cut − Φ_wide‖_◇ ≤ P(dropped), shift and coherent time)."""
    s = compile_sampler(make(2), dt=0.05, epsilon=1e-2, scheme="randomized", exact_evolution=True)
    d = 2**s.num_system
    identity = np.eye(d).reshape(-1, order="F")
    for channel in s.averaged_step_channels():
        assert np.max(np.abs(identity @ channel - identity)) < 1e-12
    dropped = sum(v for k, v in s.sampling_errors().items() if k.endswith("tail"))
    truncation = s.error_bound(1.0).terms["truncation"]
    assert 0.0 < truncation <= s.num_steps(1.0) * dropped


def test_grid_generator_tends_to_the_generator():
    """L_grid (the plan's jumps, exact Gaussian average, φ̂ in closed form) approaches L as ε → 0:
    an independent check of the averaged dissipator and of the coherent term's sign."""
    lind = kms_generator()
    L = lind.superoperator()
    gaps = []
    for eps in (1e-2, 1e-4):
        s = compile_sampler(lind, dt=0.05, epsilon=eps, scheme="randomized")
        gaps.append(0.5 * diamond_norm_upper_bound(grid_generator(s.plan, s.form.couplings, lind.hamiltonian) - L))
    assert gaps[1] < 0.02 * gaps[0] and gaps[1] < 1e-3 * 0.5 * diamond_norm_upper_bound(L)
    # a coherent term of the wrong sign is far from L at any ε
    flipped = dataclasses.replace(s.plan.kernel, beta=-s.plan.kernel.beta)
    wrong = grid_generator(dataclasses.replace(s.plan, kernel=flipped), s.form.couplings, lind.hamiltonian)
    assert 0.5 * diamond_norm_upper_bound(wrong - L) > 20 * gaps[1]


def test_coherent_kernel_matches_the_closed_form_and_the_filter():
    k = coherent_kernel(beta=1.0, coarse_graining_time=1.0, band=10.0, tail=1e-8)
    t = np.array([-2.0, -0.4, 0.3, 1.1, 3.0])
    np.testing.assert_allclose(k(t), coherent_filter(t, beta=1.0, coarse_graining_time=1.0), atol=1e-7)
    nodes, weights = k.quadrature(panels=32)
    mu = np.array([-9.0, -1.0, 0.3, 2.0, 7.0])
    transform = (weights * k.norm) @ np.exp(1j * np.outer(nodes, mu))
    np.testing.assert_allclose(transform, 0.5j * np.tanh(mu / 4) * np.exp(-(mu**2) / 4), atol=1e-7)


def test_zero_time_kernel_is_exact_on_the_band():
    # T = 0 (DLL, CKG): tanh(βμ/4) cut by a bump equal to 1 on |μ| ≤ 2B
    k = coherent_kernel(beta=1.0, coarse_graining_time=0.0, band=5.0, tail=1e-6)
    nodes, weights = k.quadrature(panels=64)
    mu = np.array([-9.9, -3.0, 0.2, 4.0, 9.9])
    transform = (weights * k.norm) @ np.exp(1j * np.outer(nodes, mu))
    np.testing.assert_allclose(transform, 0.5j * np.tanh(mu / 4), atol=1e-4)


def test_samplers_draw_the_stated_distributions():
    rng = draw_seed(7)
    g = TruncatedGaussian.with_tail(0.7, 1e-6)
    x = g.sample(rng, 200_000)
    assert abs(x.var() - 0.49) < 5 * 0.49 * math.sqrt(2 / x.size)
    assert np.max(np.abs(x)) <= g.cutoff
    k = coherent_kernel(beta=1.0, coarse_graining_time=1.0, band=10.0)
    t, sign = k.sample(rng, 200_000)
    nodes, weights = k.quadrature(panels=32)
    expected = float(np.sum(np.abs(weights) * np.abs(nodes)))
    assert abs(np.mean(np.abs(t)) - expected) < 5 * np.std(np.abs(t)) / math.sqrt(t.size)
    np.testing.assert_array_equal(sign, np.sign(t))  # φ > 0 for t > 0 at these settings


def test_cost_per_step_at_the_verify_settings(verify_sampler):
    step = transpile(verify_sampler.step_circuit(), basis_gates=VERIFY_BASIS, optimization_level=1)
    assert step.count_ops()["cx"] <= 5000
    assert step.num_parameters == 3


def test_instances_are_the_parametric_circuit_bound(verify_sampler):
    s = verify_sampler
    values = s.parameter_values(0.1, 3, seed=11)
    assert values.shape == (3, len(s.circuit(0.1).parameters))
    np.testing.assert_array_equal(values, s.parameter_values(0.1, 3, seed=11))
    assert not np.array_equal(values, s.parameter_values(0.1, 3, seed=12))
    names = [(p.vector.name, p.index) for p in s.circuit(0.1).parameters]
    assert names == s.parameter_layout(0.1)
    bound = s.instances(0.1, 3, seed=11)
    direct = s.circuit(0.1).assign_parameters(values[1])
    assert bound[1] == direct


def test_instance_channel_equals_aer_on_the_gate_level_circuit(small_sampler):
    s = small_sampler
    values = s.parameter_values(0.1, 1, seed=3)
    circuit = s.bind(0.1, values)[0]
    circuit.save_superop()
    sim = AerSimulator(method="superop")
    full = np.asarray(sim.run(transpile(circuit, sim, optimization_level=0)).result().data()["superop"])
    d = 2**s.num_system
    reduced = np.zeros((d * d, d * d), dtype=complex)
    for col in range(d * d):  # ancilla in |0⟩ (the top qubit), traced out at the end
        rho = np.zeros((2 * d, 2 * d), dtype=complex)
        rho[col % d, col // d] = 1.0
        out = (full @ rho.reshape(-1, order="F")).reshape(2 * d, 2 * d, order="F")
        reduced[:, col] = (out[:d, :d] + out[d:, d:]).reshape(-1, order="F")
    np.testing.assert_allclose(s.instance_channel(values[0], 0.1), reduced, atol=1e-9)


def test_instances_average_to_the_averaged_channel(small_sampler):
    s = small_sampler
    rows = s.parameter_values(s.dt, 400, seed=5)
    channels = np.array([s.instance_channel(row, s.dt) for row in rows])
    mean, err = channels.mean(axis=0), channels.std(axis=0) / math.sqrt(len(rows))
    deviation = np.abs(mean - s.averaged_step_channels()[0])
    assert np.all(deviation <= 5 * err + 1e-12)


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda s: s.parameter_values(0.1, 0, seed=1), ValueError, "samples must be a positive integer, got 0"),
        (lambda s: s.parameter_values(0.1, 2.0, seed=1), TypeError, "samples must be an integer, got 2.0"),
        (lambda s: s.parameter_values(0.1, 2, seed=1.5), TypeError, "seed must be an integer, got 1.5"),
        (lambda s: s.parameter_values(0.1, 2, seed="7"), TypeError, "seed must be an integer, got '7'"),
        (lambda s: s.bind(0.1, np.zeros((2, 5))), ValueError, "has 6 values (circuit(time).parameters), got shape (2, 5)"),
        (lambda s: s.instance_channel(np.zeros(4), 0.1), ValueError, "has 6 values"),
        (lambda s: s.bind(0.1, np.full((1, 6), np.nan)), ValueError, "parameter values must be finite"),
        (lambda s: s.circuit(0.07), ValueError, "time=0.07 is not a multiple of dt=0.05"),
    ],
)
def test_bad_input_is_refused(verify_sampler, call, error, fragment):
    with pytest.raises(error, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        call(verify_sampler)


@pytest.mark.parametrize(
    "options, error, fragment",
    [
        ({"coherent_cycle": 0}, ValueError, "coherent_cycle must be a positive integer, got 0"),
        ({"coherent_cycle": 2.5}, TypeError, "coherent_cycle must be an integer, got 2.5"),
        ({"frame_step": 0.0}, ValueError, "frame_step must be > 0, got 0.0"),
        ({"frame_step": -0.1}, ValueError, "frame_step must be > 0, got -0.1"),
        ({"include_system_hamiltonian": True}, ValueError, "include_system_hamiltonian=True applies to the trotter_dilation and block_encoding schemes only, not to scheme='randomized'"),
    ],
)
def test_bad_compile_options_are_refused(options, error, fragment):
    with pytest.raises(error, match=fragment):
        compile_sampler(dll_generator(2), dt=0.05, epsilon=1e-2, scheme="randomized", **options)


def test_exact_frames_have_no_parametric_circuit():
    s = compile_sampler(dll_generator(2), dt=0.05, epsilon=1e-2, scheme="randomized", exact_evolution=True)
    with pytest.raises(ValueError, match="exact frames are dense unitaries and cannot carry parameters"):
        s.step_circuit()


def test_chain_cost_per_step_is_linear_with_a_light_cone():
    counts = {}
    # n ≡ 1 (mod 3): the first coherent group (every sixth of the 2n terms) holds both end sites each time
    for n in (10, 22, 34):
        s = compile_sampler(kms_generator(n), dt=0.05, epsilon=1e-2, scheme="randomized", light_cone=1)
        counts[n] = transpile(s.step_circuit(), basis_gates=VERIFY_BASIS, optimization_level=1).count_ops()["cx"]
    # equal increments per 12 sites: the cost of a site's window does not depend on n
    assert abs((counts[34] - counts[22]) - (counts[22] - counts[10])) <= 0.01 * (counts[34] - counts[22])


@pytest.mark.slow
def test_ckg_averaged_channel_error_falls_as_dt_squared():
    """CKG: its compressed jumps as dissipators, its T = 0 coherent term sampled (n = 2, ~40 s)."""
    from kmsgibbs.compiler import ckg

    lind = ckg(tfim(2), models.single_site_couplings(2, "XZ"), 1.0, coupling=0.5)
    generator = lind.superoperator()
    errors = [
        cycle_error(compile_sampler(lind, dt=dt, epsilon=1e-4, scheme="randomized", exact_evolution=True), generator)
        for dt in (0.05, 0.025)
    ]
    assert 2.8 <= errors[0] / errors[1] <= 5.0, errors


# --- shared dissipator sweeps (sweep_ancillas): one sweep, one frame set, one ancilla per operator ---


#: the levers' combinations checked at n = 2: all three, and one-way passes alone (four per step, alternating)
LEVERS = {
    "shared+one-way": {"sweep_ancillas": 4, "one_way_commutators": True, "one_way_sweeps": True},
    "one-way sweeps": {"one_way_sweeps": True},
}


@pytest.fixture(scope="module", params=list(LEVERS))
def shared_small(request):
    return compile_sampler(kms_generator(2), dt=0.05, epsilon=1e-2, scheme="randomized", **LEVERS[request.param])


@pytest.mark.parametrize("lever", [None, *LEVERS])
def test_shared_sweeps_tend_to_the_unshared_limit(lever):
    """n = 2, exact frames: the averaged cycle's fixed point with the four dissipators in one shared sweep
    (None: alone; else with the other levers) and with today's steps both tend to the grid generator's as
    dt → 0 (O(dt)), so to each other. One-way passes that did not turn round (or met at the wrong end)
    would leave an O(1) offset here."""
    from scipy.linalg import null_space

    from kmsgibbs.compiler.bath_emulation import channel_fixed_point
    from kmsgibbs.simulators.distances import trace_distance

    lind = kms_generator(2)
    between, to_grid = [], []
    for dt in (0.05, 0.025):
        points = {}
        for k, options in ((1, {}), (4, LEVERS[lever] if lever else {"sweep_ancillas": 4})):
            s = compile_sampler(lind, dt=dt, epsilon=1e-2, scheme="randomized", exact_evolution=True, **options)
            assert s.ancilla_qubits == list(range(2, 2 + s.num_ancillas))
            points[k] = channel_fixed_point(s.averaged_channel())
        grid = null_space(grid_generator(s.plan, s.form.couplings, s.lindbladian.hamiltonian))[:, 0].reshape(4, 4, order="F")
        grid = grid / np.trace(grid)
        between.append(trace_distance(points[1], points[4]))
        to_grid.append(trace_distance(points[4], grid))
    assert 1.7 < between[0] / between[1] < 2.3, between  # O(dt): the same dt → 0 limit
    assert 1.7 < to_grid[0] / to_grid[1] < 2.3 and to_grid[1] < 1e-3, to_grid


def test_shared_sweep_and_one_way_instance_channel_equals_aer_on_the_gate_level_circuit(shared_small):
    """n = 2 (four ancillas and one-way commutators and sweeps; one-way sweeps alone): Aer's density matrices of the gate-level instance (all ancillas traced) from
    16 random inputs (a basis of the operators) equal the fused/dense instance channel's to 1e-8."""
    s = shared_small
    assert s.step_circuit().num_qubits == 2 + s.num_ancillas
    assert_gate_level_instance_is_its_channel(s, seed=3)  # two steps: both directions of the one-way passes
    values = s.parameter_values(0.1, 1, seed=3)
    fused = s.fused_bind(0.1, values)[0]
    assert fused.num_qubits == 3 and len(fused.data) < 20  # the channels act on the system (+ one idle ancilla)


def test_shared_sweeps_cut_the_verify_step():
    """TFIM n = 3 (verify settings): the six dissipators in one sweep through one set of frames (3,046 →
    2,050 CX per step), the coherent commutators from one-way passes as well (→ 1,530), and the sweep one
    pass, turning round each step (→ 1,244)."""
    levers = ({"sweep_ancillas": 6}, {"sweep_ancillas": 6, "one_way_commutators": True}, LEVERS["shared+one-way"] | {"sweep_ancillas": 6})
    for options, most in zip(levers, (2100, 1600, 1300)):
        s = compile_sampler(kms_generator(), dt=0.05, epsilon=1e-2, scheme="randomized", **options)
        assert s.num_ancillas == 6 and [len(sweep) for _, g in s.plan.groups() for sweep in s.plan.sweeps(g)] == [6]
        cycle = transpile(s.circuit(s.cycle * s.dt), basis_gates=VERIFY_BASIS, optimization_level=1).count_ops()
        assert cycle["cx"] / s.cycle <= most, cycle
        assert cycle["reset"] == 7 * s.cycle  # six ancillas after the sweep, one after the coherent term
        resources = s.resources()
        assert resources.qubits == 9 and abs(resources.two_qubit_gates_per_step - cycle["cx"] / s.cycle) <= 1
        # the plan's price follows the levers (an over-count of a few per cent, no circuit built)
        estimate = estimated_two_qubit_gates(s.plan, s.form.couplings, s.frames)
        assert 1.0 <= estimate / resources.two_qubit_gates_per_step < 1.08, (estimate, resources.two_qubit_gates_per_step)


def test_shared_sweeps_with_a_light_cone_share_per_window():
    s = compile_sampler(kms_generator(6), dt=0.05, epsilon=1e-2, scheme="randomized", light_cone=1, sweep_ancillas=4)
    sizes = [len(sweep) for _, g in s.plan.groups() for sweep in s.plan.sweeps(g)]
    assert sizes == [2] * 6 and s.num_ancillas == 2  # X_i and Z_i share site i's window
    assert s.step_circuit().num_qubits == 8


@pytest.mark.parametrize(
    "options, error, fragment",
    [
        ({"sweep_ancillas": 0}, ValueError, "sweep_ancillas must be a positive integer, got 0"),
        ({"sweep_ancillas": 2.0}, TypeError, "sweep_ancillas must be an integer, got 2.0"),
        ({"sweep_ancillas": 2, "scheme": "trotter_dilation"}, ValueError, "sweep_ancillas=2 applies to the randomized scheme only"),
        ({"sweep_ancillas": 2, "scheme": "block_encoding"}, ValueError, "sweep_ancillas=2 applies to the randomized scheme only"),
        ({"one_way_commutators": 1}, TypeError, "one_way_commutators must be True or False, got 1"),
        ({"one_way_commutators": True, "scheme": "trotter_dilation"}, ValueError, "one_way_commutators=True applies to the randomized"),
        ({"one_way_sweeps": "yes"}, TypeError, "one_way_sweeps must be True or False, got 'yes'"),
        ({"one_way_sweeps": True, "scheme": "block_encoding"}, ValueError, "one_way_sweeps=True applies to the randomized"),
    ],
)
def test_bad_sweep_ancillas_are_refused(options, error, fragment):
    options = {"scheme": "randomized", **options}
    with pytest.raises(error, match=fragment):
        compile_sampler(dll_generator(2), dt=0.05, epsilon=1e-2, **options)
