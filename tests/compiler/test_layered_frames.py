"""Layered frames (``layered_frames=True``): every frame a product formula over H's commuting layers.

The formula is checked against e^{−iHh} (second order, its own inverse, every term of H in some layer);
the randomized step built on it against the same step with exact frames (its error falls as h², and a
frame that lost a layer is caught); the dense instance channel against Aer's gate-level circuit; the
verify settings' cost against the acceptance (≤ 1,000 CX per step).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from qiskit import transpile
from qiskit.quantum_info import Operator, SparsePauliOp
from scipy.linalg import expm

from kmsgibbs.circuits import commuting_layers, trotter_evolution
from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.compiler.analysis.bounds import diamond_norm_upper_bound
from kmsgibbs.compiler.analysis.estimate import estimated_two_qubit_gates
from tests.conftest import assert_gate_level_instance_is_its_channel

VERIFY_BASIS = ["cx", "rz", "sx", "x", "reset"]
#: the ``kmsgibbs verify`` step: all dissipators in one sweep, one-way passes, layered frames
LEVERS = {"one_way_commutators": True, "one_way_sweeps": True, "layered_frames": True}


def tfim(n: int) -> SparsePauliOp:
    return models.from_edges(n, models.chain_edges(n), couplings={"ZZ": -1.0}, fields={"X": -1.0})


def heisenberg(n: int) -> SparsePauliOp:
    return models.from_edges(n, models.chain_edges(n), couplings={"XX": 1.0, "YY": 1.0, "ZZ": 1.0}, fields={"Z": 0.3})


def kms_generator(n: int):
    return scandi_alhambra(
        tfim(n), models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5
    )


@pytest.mark.parametrize("model", [tfim, heisenberg])
def test_layers_partition_h_into_commuting_sets_costliest_last(model):
    h = model(3)
    layers = commuting_layers(h)
    assert (SparsePauliOp.sum(layers) - h).simplify(atol=1e-12).coeffs.size <= 1
    assert np.allclose(SparsePauliOp.sum(layers).to_matrix(), h.to_matrix())
    for layer in layers:
        m = [SparsePauliOp(p).to_matrix() for p in layer.paulis]
        assert all(np.allclose(a @ b, b @ a) for a in m for b in m)
    weights = [max(int((p.z | p.x).sum()) for p in layer.paulis) for layer in layers]
    assert weights[-1] == max(weights)
    if model is tfim:
        assert [sorted(layer.paulis.to_labels()) for layer in layers] == [["IIX", "IXI", "XII"], ["IZZ", "ZZI"]]


@pytest.mark.parametrize("model", [tfim, heisenberg])
def test_layered_formula_is_second_order_and_its_own_inverse(model):
    """One step errs by O(h³) (halving h divides it by ~8), S(−h) = S(h)⁻¹; a formula that lost a layer
    or a term would err by O(h) against the full H."""
    h = model(3)
    errors = []
    for step in (0.2, 0.1):
        s = Operator(trotter_evolution(h, step, order=2, layered=True)).data
        errors.append(np.linalg.norm(s - expm(-1j * step * h.to_matrix()), 2))
        back = Operator(trotter_evolution(h, -step, order=2, layered=True)).data
        assert np.allclose(back @ s, np.eye(8), atol=1e-12)
    assert 7.0 < errors[0] / errors[1] < 9.0, errors
    # the same order as the term-by-term formula, at a smaller constant here
    plain = np.linalg.norm(Operator(trotter_evolution(h, 0.1, order=2)).data - expm(-0.1j * h.to_matrix()), 2)
    assert errors[1] < 1.5 * plain


def cycle_distance(first, second) -> float:
    return 0.5 * diamond_norm_upper_bound(first.averaged_channel() - second.averaged_channel())


def test_layered_step_tends_to_the_exact_frame_step_as_h_squared():
    """n = 2, all levers: the averaged cycle with layered product-formula frames against the same plan
    with exact frames (the budget's trotter term) falls as h² (hand-set h and h/2), and a frame that
    dropped the field layer leaves an O(1) offset (frames of the bonds alone: the check catches it)."""
    lind = kms_generator(2)
    distances = []
    for h in (0.125, 0.0625):
        options = {"dt": 0.05, "scheme": "randomized", "trotter_step": h, "sweep_ancillas": 4, **LEVERS}
        layered = compile_sampler(lind, **options)
        exact = compile_sampler(lind, **options, exact_evolution=True)
        distances.append(cycle_distance(layered, exact))
        if h == 0.125:
            bonds = SparsePauliOp.sum([layer for layer in commuting_layers(lind.hamiltonian) if "ZZ" in layer.paulis.to_labels()])
            wrong = dataclasses.replace(layered, frames=dataclasses.replace(layered.frames, hamiltonian=bonds))
            dropped = cycle_distance(wrong, exact)
            terms = compile_sampler(lind, **(options | {"layered_frames": False}))
            assert distances[0] <= 1.5 * cycle_distance(terms, exact)
    assert 3.0 < distances[0] / distances[1] < 5.0, distances
    assert dropped > 20 * distances[0], (dropped, distances)


def test_the_verify_step_averages_to_the_generator_with_the_dt_squared_ratio():
    """n = 2, exact frames, a fine jump grid: C consecutive averaged steps of the verify construction
    (one shared sweep, one-way passes) are e^{C dt L} + O(dt²): halving dt divides the cycle's error by ~4."""
    lind = kms_generator(2)
    generator = lind.superoperator()
    errors = []
    for dt in (0.05, 0.025):
        s = compile_sampler(lind, dt=dt, epsilon=1e-4, scheme="randomized", exact_evolution=True, sweep_ancillas=4, **LEVERS)
        errors.append(0.5 * diamond_norm_upper_bound(s.averaged_channel() - expm(s.cycle * dt * generator)))
    assert 2.8 <= errors[0] / errors[1] <= 5.0, errors


def test_layered_instance_channel_equals_aer_on_the_gate_level_circuit():
    """n = 2, all levers: the dense instance channel (its frames from the layered formula) equals Aer's
    density matrices of the gate-level instance (ancillas traced) from 16 random inputs, to 1e-8."""
    s = compile_sampler(kms_generator(2), dt=0.05, epsilon=1e-2, scheme="randomized", sweep_ancillas=4, **LEVERS)
    assert_gate_level_instance_is_its_channel(s, seed=5)  # two steps: both directions of the one-way passes


def test_layered_frames_bring_the_verify_step_under_a_thousand_cx():
    """TFIM n = 3 at the verify settings with all levers: ≤ 1,000 CX per step (1,244 with term-by-term
    frames), the same h chosen from ε, its floor still ≤ ε, and the plan's estimate within 8 %."""
    s = compile_sampler(kms_generator(3), dt=0.05, epsilon=1e-2, scheme="randomized", sweep_ancillas=6, **LEVERS)
    assert s.frames.layered and s.frames.trotter_step == 0.125 and s.frames.choice.floor <= 1e-2
    cycle = transpile(s.circuit(s.cycle * s.dt), basis_gates=VERIFY_BASIS, optimization_level=1).count_ops()
    per_step = cycle["cx"] / s.cycle
    assert per_step <= 1000, per_step
    estimate = estimated_two_qubit_gates(s.plan, s.form.couplings, s.frames)
    assert 1.0 <= estimate / per_step < 1.08, (estimate, per_step)


@pytest.mark.parametrize(
    "options, error, fragment",
    [
        ({"layered_frames": "yes"}, TypeError, "layered_frames must be True or False, got 'yes'"),
        ({"layered_frames": True, "scheme": "bath_emulation"}, ValueError, "layered_frames=True applies to the"),
    ],
)
def test_bad_layered_frames_are_refused(options, error, fragment):
    with pytest.raises(error, match=fragment):
        compile_sampler(kms_generator(2), dt=0.05, **{"scheme": "randomized", **options})
