"""The frames' product formula chosen from the requested accuracy (issue 14, item 5).

Independent references: the effective Hamiltonian i·log(U)/h of Qiskit's own Suzuki–Trotter
synthesis of one step (not the package's product formula or its Schur route), Gibbs states by
``scipy.linalg.expm``, and fixed points of the exact step channels against the Gibbs state.
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.circuit.library import PauliEvolutionGate
from qiskit.quantum_info import Operator
from qiskit.synthesis import SuzukiTrotter
from scipy.linalg import expm, logm

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.compiler.analysis.frame_choice import choose_frames, frame_floor
from kmsgibbs.compiler.bath_emulation import channel_fixed_point
from kmsgibbs.simulators.distances import trace_distance

BETA = 1.0


def tfim(n: int):
    return models.from_edges(n, models.chain_edges(n), couplings={"ZZ": -1.0}, fields={"X": -1.0})


def generator(n: int):
    return scandi_alhambra(
        tfim(n), models.single_site_couplings(n, "XZ"), baths.GaussianBath(BETA, width=2.0), coarse_graining_time=1.0, coupling=0.5
    )


def gibbs(h: np.ndarray) -> np.ndarray:
    rho = expm(-BETA * h)
    return rho / np.trace(rho).real


def reference_floor(hamiltonian, step: float, order: int) -> float:
    """½‖e^{−βH̃}/Z̃ − e^{−βH}/Z‖₁ with H̃ = i·log(S(h))/h from Qiskit's synthesis of one step."""
    gate = PauliEvolutionGate(hamiltonian, time=step, synthesis=SuzukiTrotter(order=order, reps=1))
    effective = 1j * logm(Operator(gate.definition).data) / step  # the synthesised product, not expm
    return trace_distance(gibbs(effective), gibbs(hamiltonian.to_matrix()))


@pytest.mark.parametrize("epsilon", [1e-2, 1e-3, 1e-4])
def test_the_choice_meets_the_accuracy_and_nothing_cheaper_does(epsilon):
    lind = generator(3)
    choice = compile_sampler(lind, dt=0.05, epsilon=epsilon).frames.choice
    h = lind.hamiltonian
    assert choice.floor == pytest.approx(reference_floor(h, choice.trotter_step, choice.order), rel=1e-6, abs=1e-12)
    assert choice.floor <= epsilon
    unit = choice.trotter_step * choice.steps_per_unit
    for order, per_stage in ((2, 1), (4, 5)):
        for m in range(1, 65):
            if m * per_stage >= choice.stages:
                break
            assert reference_floor(h, unit / m, order) > epsilon, (order, m)


def test_the_floor_falls_with_epsilon_and_order_four_takes_over():
    lind = generator(3)
    choices = [compile_sampler(lind, dt=0.05, epsilon=e).frames.choice for e in (1e-2, 1e-3, 1e-4)]
    assert [c.steps_per_unit for c in choices[:2]] == [1, 3] and choices[0].order == choices[1].order == 2
    assert choices[2].order == 4
    assert choices[0].floor > choices[1].floor > choices[2].floor


def test_chosen_frames_remove_the_trotter_floor():
    """At ε = 1e-3 the fixed point lands within ε of the exact-frames fixed point's distance; the old
    default (h = the grid unit, second order) stays several ε away."""
    lind = generator(2)
    target = lind.gibbs_state()

    def floor(**options) -> float:
        sampler = compile_sampler(lind, dt=0.05, epsilon=1e-3, **options)
        return trace_distance(channel_fixed_point(sampler.step_channel()), target)

    chosen = compile_sampler(lind, dt=0.05, epsilon=1e-3)
    exact = floor(exact_evolution=True)
    assert floor() <= exact + 1e-3
    assert floor(trotter_step=chosen.form.trotter_step, trotter_order=2) > exact + 3e-3


def test_sampled_frames_at_twice_the_step_do_not_move_the_floor():
    """The randomized scheme's sampled frames (default 2h) conjugate whole cores: the averaged fixed
    point moves by far less than ε between h and 2h, while the sweeps' h does set the floor."""
    lind = generator(2)
    target = lind.gibbs_state()

    def floor(**options) -> float:
        sampler = compile_sampler(lind, dt=0.05, epsilon=1e-3, scheme="randomized", **options)
        return trace_distance(channel_fixed_point(sampler.averaged_channel()), target)

    h = compile_sampler(lind, dt=0.05, epsilon=1e-3, scheme="randomized").frames.trotter_step
    assert abs(floor() - floor(frame_step=h)) < 1e-4


def test_randomized_budget_names_the_trotter_term():
    lind = generator(2)
    exact = compile_sampler(lind, dt=0.05, epsilon=1e-2, scheme="randomized", exact_evolution=True).error_bound(1.0)
    coarse = compile_sampler(lind, dt=0.05, epsilon=1e-2, scheme="randomized", trotter_step=0.25).error_bound(1.0)
    chosen = compile_sampler(lind, dt=0.05, epsilon=1e-3, scheme="randomized").error_bound(1.0)
    assert exact.terms["trotter"] == 0.0
    assert coarse.terms["trotter"] > 10 * chosen.terms["trotter"] > 0.0


def test_unreachable_accuracy_is_refused():
    with pytest.raises(ValueError, match="keeps the frames' floor below"):
        choose_frames((tfim(3),), unit=0.125, beta=BETA, epsilon=1e-13, order=2)
    with pytest.raises(ValueError, match="trotter_order must be 1 or an even number"):
        compile_sampler(generator(2), dt=0.05, epsilon=1e-2, trotter_order=3)


def test_large_windows_use_a_bound_above_the_true_floor(monkeypatch):
    """Above the dense limit the floor is bounded: β·α₂h² by commutators (second order), the norm
    majorant otherwise; both above the true floor, and the commutator bound within 20× of it."""
    import kmsgibbs.compiler.analysis.frame_choice as frame_choice

    h = tfim(4)
    dense = {p: frame_floor(h, 0.125, order=p, beta=BETA) for p in (2, 4)}
    assert dense[2] == pytest.approx(reference_floor(h, 0.125, 2), rel=1e-6)
    monkeypatch.setattr(frame_choice, "DENSE_FRAME_QUBITS", 0)
    assert dense[2] <= frame_floor(h, 0.125, order=2, beta=BETA) <= 20 * dense[2]
    assert frame_floor(h, 0.125, order=4, beta=BETA) >= dense[4]
    assert choose_frames((h,), unit=0.125, beta=BETA, epsilon=1e-3).order == 2
