"""design_sampler: the promise holds against an independent Gibbs state, rows follow the circuit, bad input."""

import math

import numpy as np
import pytest
from scipy.linalg import expm

from kmsgibbs.compiler import SamplerDesign, design_frontier, design_sampler, models

BETA = 1.0


def gibbs(h, beta: float) -> np.ndarray:
    rho = expm(-beta * h.to_matrix())
    return rho / np.trace(rho)


def distance(rho: np.ndarray, sigma: np.ndarray) -> float:
    return 0.5 * float(np.abs(np.linalg.eigvalsh(rho - sigma)).sum())


@pytest.fixture(scope="module")
def chain():
    return models.transverse_field_ising(2), models.single_site_couplings(2, "XZ")


@pytest.fixture(scope="module")
def design(chain) -> SamplerDesign:
    h, a = chain
    return design_sampler(h, a, BETA, 0.05)


def averaged_state(design: SamplerDesign, steps: int) -> np.ndarray:
    d = 2**design.sampler.num_system
    rho0 = {"zero": np.diag([1.0] + [0.0] * (d - 1)), "plus": np.full((d, d), 1.0 / d), "mixed": np.eye(d) / d}[
        design.initial_state
    ].astype(complex)
    vec = design.sampler.averaged_channel(steps) @ rho0.reshape(-1, order="F")
    return vec.reshape(d, d, order="F")


def test_the_promise_holds_at_the_chosen_step_and_not_before(design, chain):
    sigma = gibbs(chain[0], BETA)  # independent of the package's Gibbs state
    reached = distance(averaged_state(design, design.steps), sigma)
    assert reached == pytest.approx(design.predicted_distance, abs=1e-10)
    assert reached <= 0.05
    assert distance(averaged_state(design, design.steps - 1), sigma) > 0.05  # the first step within D
    assert design.floor < 0.05 and design.method == "exact"
    assert design.time == pytest.approx(design.steps * design.sampler.dt)


def test_cost_is_the_lowered_circuit_of_the_run(design):
    from qiskit import transpile

    lowered = transpile(design.circuit(), basis_gates=["cx", "rz", "sx", "x", "reset"], optimization_level=1)
    assert lowered.count_ops().get("cx", 0) == design.two_qubit_gates
    # the chosen candidate is the cheapest reachable one; lowering it whole only cancels a few more gates
    costs = [c for _, c in design.candidates if c is not None]
    assert design.candidates[0][1] == min(costs)
    assert 0 <= min(costs) - design.two_qubit_gates <= 0.01 * min(costs)


def test_rows_follow_the_circuit_parameters(design):
    mixed = SamplerDesign(**{**design.__dict__, "initial_state": "mixed"})
    circuit = mixed.circuit()
    rows = mixed.parameter_values(16, seed=3)
    assert rows.shape == (16, len(circuit.parameters))
    names = [(p.vector.name, p.index) for p in circuit.parameters]
    init = [j for j, (name, _) in enumerate(names) if name == "init"]
    assert len(init) == 2 and set(np.unique(rows[:, init])) <= {0.0, 1.0}
    sampled = mixed.sampler.parameter_values(mixed.time, 16, seed=3)
    layout = mixed.sampler.parameter_layout(mixed.time)
    for j, key in enumerate(names):
        if key[0] != "init":
            np.testing.assert_array_equal(rows[:, j], sampled[:, layout.index(key)])
    bound = circuit.assign_parameters(rows[0])
    angles = [inst.operation.params[0] for inst in bound.data[:2]]
    np.testing.assert_allclose(angles, math.pi * rows[0, init], atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"distance": 0.0}, "distance"),
        ({"distance": 1.0}, "distance"),
        ({"distance": float("nan")}, "distance"),
        ({"beta": 0.0}, "beta"),
        ({"beta": -1.0}, "beta"),
        ({"distance": 1e-4, "epsilon": 1e-2, "coarse_graining_time": 1.0}, "not reachable"),
        ({"scheme": "trotter_dilation"}, "scheme"),
    ],
)
def test_bad_input_is_named(chain, kwargs, fragment):
    h, a = chain
    args = {"beta": BETA, "distance": 0.05, **kwargs}
    with pytest.raises(ValueError, match=fragment):
        design_sampler(h, a, args.pop("beta"), args.pop("distance"), **args)


def test_a_model_without_couplings_is_refused(chain):
    with pytest.raises(ValueError, match="coupling"):
        design_sampler(chain[0], [], BETA, 0.05)


def test_more_than_five_qubits_is_refused_before_any_work():
    h = models.transverse_field_ising(6)
    with pytest.raises(ValueError, match="n=6"):
        design_sampler(h, models.single_site_couplings(6, "Z"), BETA, 0.05)


def test_the_frontier_reads_every_distance_off_one_search(chain, design):
    h, a = chain
    frontier = design_frontier(h, a, BETA, [0.1, 0.05, 1e-4], epsilon=1e-2, coarse_graining_time=1.0)
    assert frontier.unreachable == (1e-4,) and frontier.floor > 1e-4
    sigma = gibbs(h, BETA)
    for D, d in frontier.designs.items():
        assert distance(averaged_state(d, d.steps), sigma) <= D
    # a looser target never costs more than a tighter one
    assert frontier.designs[0.1].two_qubit_gates <= frontier.designs[0.05].two_qubit_gates
    single = design_sampler(h, a, BETA, 0.05, epsilon=1e-2, coarse_graining_time=1.0)
    assert frontier.designs[0.05].two_qubit_gates == single.two_qubit_gates
    assert frontier.designs[0.05].candidates == single.candidates


@pytest.mark.parametrize("distances", [[], "0.1", [0.1, 1.5]])
def test_bad_frontier_distances_are_named(chain, distances):
    with pytest.raises(ValueError, match="distance"):
        design_frontier(*chain, BETA, distances)


def test_a_certified_design_keeps_its_bound_and_the_bound_holds(chain):
    """method="certified": the promise is the certificate at the chosen step; it bounds the real distance
    (checked against an independent Gibbs state) and is met no earlier than the exact method's step."""
    h, a = chain
    kwargs = {"epsilon": 1e-2, "coarse_graining_time": 1.0}
    certified = design_sampler(h, a, BETA, 0.05, method="certified", **kwargs)
    assert certified.method == "certified"
    rho0 = {"zero": np.diag([1.0, 0, 0, 0]), "plus": np.full((4, 4), 0.25), "mixed": np.eye(4) / 4}[
        certified.initial_state].astype(complex)
    bound = certified.sampler.gibbs_bound(certified.time, rho0=rho0).total
    assert bound == pytest.approx(certified.predicted_distance, abs=1e-12) and bound <= 0.05
    assert distance(averaged_state(certified, certified.steps), gibbs(h, BETA)) <= bound
    assert certified.sampler.gibbs_bound(certified.time - certified.sampler.dt, rho0=rho0).total > 0.05
    with pytest.raises(ValueError, match="method"):
        design_sampler(h, a, BETA, 0.05, method="tuned", **kwargs)
