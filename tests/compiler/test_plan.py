"""The step plan is the one description of a step: circuit, exact channel and error budget follow it."""

from functools import lru_cache

import numpy as np
import pytest
from qiskit import transpile
from qiskit_aer import AerSimulator
from scipy.linalg import expm

from kmsgibbs.compiler import compile_sampler, dll, models
from kmsgibbs.simulators import trace_distance
from tests.conftest import unvec, vec


@lru_cache(maxsize=None)
def base():
    H, A = models.transverse_field_ising(2), models.single_site_couplings(2, "XZ")
    return compile_sampler(dll(H, A, 1.0, coupling=0.5), dt=0.04, epsilon=1e-2, exact_evolution=True)


def aer_channel(S) -> np.ndarray:
    """The step's system channel from Aer's superoperator simulation of its circuit (an independent
    simulation of the gates and resets): ρ ↦ Tr_anc[S_full(|0⟩⟨0| ⊗ ρ)], ancilla the high qubit."""
    d = 2**S.num_system
    sim = AerSimulator(method="superop", max_parallel_threads=1)
    qc = S.step_circuit().copy()
    qc.save_superop()
    full = np.asarray(sim.run(transpile(qc, sim, optimization_level=0)).result().data()["superop"])
    out = np.zeros((d * d, d * d), dtype=complex)
    for a in range(d):
        for b in range(d):
            e = np.zeros((2 * d, 2 * d), dtype=complex)
            e[a, b] = 1.0  # |0⟩⟨0|_anc ⊗ |a⟩⟨b|
            image = unvec(full @ vec(e))
            out[:, a + d * b] = vec(image[:d, :d] + image[d:, d:])
    return out


def evolution_error(S, time: float) -> float:
    d = 2**S.num_system
    rho0 = np.zeros((d, d), dtype=complex)
    rho0[0, 0] = 1.0
    rho = unvec(np.linalg.matrix_power(S.step_channel(), S.num_steps(time)) @ vec(rho0))
    exact = unvec(expm(time * S.lindbladian.superoperator()) @ vec(rho0))
    return trace_distance(rho, exact)


def test_plan_orders_the_step():
    S = base()
    kinds = [f.kind for f in S.plan.factors]
    ops = S.step_circuit().count_ops()
    assert ops["dilation_step"] == kinds.count("dissipator") == len(S.form.jumps) * len(S.form.couplings)
    assert ops["coherent_step"] == kinds.count("coherent") > 0
    assert ops["reset"] == S.plan.num_resets
    # the merged frames telescope: their lengths and the cores' starts add up to no net frame
    position = 0.0
    for f in S.plan.factors:
        position += f.frame
        if f.kind in ("dissipator", "coherent"):
            assert position == pytest.approx(f.start, abs=1e-12)
    assert position == pytest.approx(0.0, abs=1e-12)


def test_a_reordered_or_reduced_plan_moves_circuit_channel_and_budget_together():
    S = base()
    cores = S.plan.cores
    reversed_plan = S.plan.reordered(range(len(cores) - 1, -1, -1))
    R = S.with_plan(reversed_plan)
    dropped = S.plan.reordered([i for i in range(len(cores)) if i != 0])
    D = S.with_plan(dropped)

    # the circuit follows: gate order and counts are those of the new plans
    names = [i.operation.name for i in R.step_circuit().data if i.operation.name != "reset"]
    expected = {"dissipator": "dilation_step", "coherent": "coherent_step", "frame": "frame"}
    assert names == [expected[f.kind] for f in reversed_plan.factors]
    assert D.step_circuit().count_ops()["dilation_step"] == S.step_circuit().count_ops()["dilation_step"] - 1

    # the exact channel follows: it is Aer's channel of the new circuit, and differs from the old one
    for T in (R, D):
        np.testing.assert_allclose(T.step_channel(), aer_channel(T), atol=1e-10)
    assert np.abs(R.step_channel() - S.step_channel()).max() > 1e-8  # the splitting order matters at O(dt²)
    assert np.abs(D.step_channel() - S.step_channel()).max() > 1e-4

    # the exact budget follows and still bounds the new circuit's error
    for T in (S, R, D):
        for time in (0.4, 2.0):
            assert evolution_error(T, time) <= float(T.error_bound(time, method="exact"))
    dropped_error = evolution_error(D, 2.0)
    # the full plan's budget does not describe the reduced circuit: only the plan's own budget bounds it
    assert float(S.error_bound(2.0, method="exact")) < dropped_error <= float(D.error_bound(2.0, method="exact"))
    assert D.error_bound(2.0, method="exact").terms["quadrature"] > 10 * S.error_bound(2.0, method="exact").terms["quadrature"]


def test_plan_indices_are_checked():
    S = base()
    with pytest.raises(ValueError, match="core index 999 is out of range"):
        S.plan.reordered([999])


@pytest.mark.parametrize("merge", [True, False])
def test_instruction_estimate_from_the_plan_bounds_the_built_circuit(merge):
    """The count that refuses oversized requests before building is at most 15 % above the built step."""
    from kmsgibbs.compiler.memory import circuit_instructions

    H, A = models.transverse_field_ising(3), models.single_site_couplings(3, "XZ")
    S = compile_sampler(dll(H, A, 1.0, coupling=0.5), dt=0.04, epsilon=1e-2, merge_frames=merge)
    built = circuit_instructions(S.step_circuit())
    assert built <= S.estimated_instructions() <= 1.15 * built
