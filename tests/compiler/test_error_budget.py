"""The named error budget (issue #3 item 5) against dense, independent computations."""

from functools import lru_cache

import numpy as np
import pytest
from kmsgibbs.circuits import trotter_evolution
from kmsgibbs.compiler import baths, compile_sampler, dll, models, scandi_alhambra
from kmsgibbs.compiler.error_budget import (
    diamond_norm_upper_bound,
    frame_hamiltonian,
    product_formula_majorant,
)
from kmsgibbs.simulators import trace_distance
from qiskit.quantum_info import Operator, SparsePauliOp
from scipy.linalg import expm

pytestmark = pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")
GAUSS = baths.GaussianBath(1.0, width=2.0, strength=1.0)


def hamiltonian(model: str, n: int) -> SparsePauliOp:
    return models.transverse_field_ising(n) if model == "tfim" else models.heisenberg(n, field=(0.5, 0.0, [0.4, -0.4, 0.4][:n]))


@lru_cache(maxsize=None)
def sampler(family: str, model: str, exact: bool, *, dt: float = 0.05, physical: bool = False, light_cone=None, n: int = 3):
    H, A = hamiltonian(model, n), models.single_site_couplings(n, "XZ")
    L = scandi_alhambra(H, A, GAUSS, coarse_graining_time=1.0, coupling=0.5) if family == "kms" else dll(H, A, 1.0, coupling=0.5)
    return compile_sampler(
        L, dt=dt, epsilon=1e-3, exact_evolution=exact, include_system_hamiltonian=physical, light_cone=light_cone
    )


def test_frame_hamiltonian_generates_the_powers_of_the_product_formula():
    """e^{−iH̃_h kh} = S(h)^k for k of either sign (what telescoped Trotter frames implement)."""
    H, h = models.heisenberg(3, field=(0.5, 0.0, [0.4, -0.4, 0.4])), 0.2
    ht = frame_hamiltonian(H, h, order=2)
    assert np.allclose(ht, ht.conj().T, atol=1e-12)
    for k in (1, 3, -2):
        circuit = Operator(trotter_evolution(H, k * h, order=2, steps=abs(k))).data
        assert np.linalg.norm(expm(-1j * k * h * ht) - circuit, 2) <= 1e-10, k
    # and H̃_h is the second-order Trotter-effective Hamiltonian: H + O(h²)
    gaps = [np.linalg.norm(frame_hamiltonian(H, s, order=2) - H.to_matrix(), 2) for s in (0.2, 0.1)]
    assert 3.5 <= gaps[0] / gaps[1] <= 4.5, gaps


@pytest.mark.parametrize("order", [1, 2, 4])
def test_product_formula_majorant_bounds_the_dense_error(order):
    H = models.transverse_field_ising(4)
    for time, steps in ((0.1, 1), (0.5, 2), (-0.3, 3)):
        dense = np.linalg.norm(
            Operator(trotter_evolution(H, time, order=order, steps=steps)).data - expm(-1j * time * H.to_matrix()), 2
        )
        assert dense <= product_formula_majorant(H, time, order=order, steps=steps), (time, steps)


@pytest.mark.parametrize(
    ("family", "model"), [("kms", "tfim"), ("kms", "heisenberg"), ("dll", "tfim"), ("dll", "heisenberg")]
)
def test_norm_step_bound_dominates_the_exact_step_bound(family, model):
    """Both bound ‖Φ_dt − e^{dtL̃_h}‖_◇ (the exact one from the step channel's Choi matrix): the norm
    bound must be above it and, with the derived constants, within 40× (measured 12–28×)."""
    S = sampler(family, model, True)
    exact, norms = S.error_bound(4.0, method="exact"), S.error_bound(4.0, method="norms")
    assert set(norms.terms) == {"dilation", "coherent", "splitting", "trotter", "quadrature"}
    assert exact.step <= norms.step <= 40 * exact.step, (exact, norms)
    assert norms.terms["quadrature"] == pytest.approx(exact.terms["quadrature"], rel=1e-12)  # same Choi bound
    assert norms.terms["trotter"] == exact.terms["trotter"] == 0.0  # exact frames


def test_trotter_term_bounds_the_dense_generator_difference_and_falls_as_h_squared():
    """‖L̃_h − L̃‖_◇ from the jump-level bound vs the Choi bound of the dense superoperators."""
    rates = []
    for h in (0.1, 0.05):
        H, A = models.transverse_field_ising(3), models.single_site_couplings(3, "X")
        S = compile_sampler(dll(H, A, 1.0, coupling=0.5), dt=0.05, epsilon=1e-2, trotter_step=h)
        rate = S.error_bound(1.0, method="norms").terms["trotter"] / 0.5
        frames = frame_hamiltonian(S.form.hamiltonian, S.form.trotter_step, order=2)
        dense = diamond_norm_upper_bound(S.form.superoperator(frame_hamiltonian=frames) - S.form.superoperator())
        assert dense <= rate <= 4 * dense, (h, dense, rate)
        rates.append(rate)
    assert 3.0 <= rates[0] / rates[1] <= 5.0, rates


@pytest.mark.parametrize("physical", [False, True])
def test_budget_bounds_the_trotterised_circuit_and_the_step_term_excludes_the_trotter_bias(physical):
    """DLL TFIM n = 3 with product-formula frames: ½‖ρ_circuit(T) − e^{TL}ρ₀‖₁ ≤ both budgets at T = 1, 2, 4.

    The exact step term compares the channel with e^{dtL̃_h}: it stays the size it has with exact
    frames (the Trotter bias is in ``trotter``), which checks that L̃_h is what the circuit implements.
    """
    S, reference = sampler("dll", "tfim", False, physical=physical), sampler("dll", "tfim", True, physical=physical)
    L = S.lindbladian
    generator = L.superoperator(include_system_hamiltonian=physical)
    phi = S.step_channel()
    rho0 = np.zeros((8, 8), dtype=complex)
    rho0[0, 0] = 1.0
    for T in (1.0, 2.0, 4.0):
        rho = (np.linalg.matrix_power(phi, S.num_steps(T)) @ rho0.reshape(-1, order="F")).reshape(8, 8, order="F")
        exact_rho = (expm(T * generator) @ rho0.reshape(-1, order="F")).reshape(8, 8, order="F")
        err = trace_distance(rho, exact_rho)
        for method in ("exact", "norms"):
            bound = S.error_bound(T, method=method)
            assert bound.rigorous and err <= float(bound), (T, method, err, bound)
    step, step_exact_frames = S.error_bound(4.0, method="exact").step, reference.error_bound(4.0, method="exact").step
    if physical:  # the Trotterised e^{−iH dt} factor's own error is in the step channel
        assert S.error_bound(4.0, method="norms").terms["trotter"] > S.error_bound(4.0, method="exact").terms["trotter"]
    else:
        assert step <= 1.1 * step_exact_frames, (step, step_exact_frames)
    assert S.error_bound(4.0, method="exact").terms["trotter"] > 0


@pytest.mark.slow  # the truncation bound's dense windows per distinct coupling: minutes at n = 40
def test_light_cone_budget_is_extensive_states_its_estimates_and_windows_agree():
    """TFIM chains, r = 1: per-coupling terms do not depend on n, so the budget grows linearly in n."""
    totals = {}
    for n in (10, 20, 40):
        S = sampler("kms", "tfim", False, dt=0.05, light_cone=1, n=n)
        b = S.error_bound(1.0)
        assert b.method == "norms" and "truncation" not in b.estimated  # a bound, no longer an estimate
        assert all(np.isfinite(v) and v > 0 for v in b.terms.values()), b.terms
        totals[n] = b.total
    assert (totals[40] - totals[20]) / (totals[20] - totals[10]) == pytest.approx(2.0, rel=0.02), totals


def test_whole_window_light_cone_has_no_truncation_and_matches_the_untruncated_terms():
    """A radius that covers the chain: every coupling's window is the system, truncation is 0 and
    the per-coupling quadrature terms bound the whole generator's (triangle inequality)."""
    S, whole = sampler("kms", "tfim", True, light_cone=5), sampler("kms", "tfim", True)
    b, ref = S.error_bound(1.0), whole.error_bound(1.0, method="norms")
    assert b.terms["truncation"] == 0.0
    assert ref.terms["quadrature"] <= b.terms["quadrature"] + 1e-12
    assert b.terms["dilation"] == pytest.approx(ref.terms["dilation"], rel=1e-9)


def test_bad_method_and_unsupported_combinations():
    S = sampler("dll", "tfim", True)
    with pytest.raises(ValueError, match="method must be 'auto', 'exact' or 'norms', got 'dense'"):
        S.error_bound(1.0, method="dense")
    with pytest.raises(ValueError, match="time=0.07 is not a multiple"):
        S.error_bound(0.07)
    cone = sampler("dll", "tfim", True, light_cone=1, n=4)
    with pytest.raises(ValueError, match="light_cone=None"):
        cone.error_bound(1.0, method="exact")
    H, A = models.transverse_field_ising(11), models.single_site_couplings(11, "X")
    big = compile_sampler(dll(H, A, 1.0, coupling=0.3), dt=0.005, epsilon=1e-2)
    with pytest.raises(ValueError, match="at most 10 qubits; got a window of 11: compile with a light_cone"):
        big.error_bound(0.005)


def test_frame_error_is_keyed_by_length_not_by_rounded_multiples_of_the_unit():
    """The Hamiltonian factor's e^{−iH dt} (dt not a multiple of h) must not reuse a grid frame's error."""
    S = sampler("dll", "tfim", False, dt=0.1, physical=True)
    h, H = S.frames.trotter_step, S.form.hamiltonian
    assert 0.1 / h != round(0.1 / h)
    S.compiled.frames.error(round(0.1 / h) * h)  # the grid length that shared a key with dt before
    steps = max(1, int(np.ceil(0.1 / h - 1e-9)))
    formula = trotter_evolution(H, 0.1, order=S.frames.order, steps=steps)
    dense = np.linalg.norm(Operator(formula).data - expm(-0.1j * H.to_matrix()), 2)
    assert S.compiled.frames.error(0.1) == pytest.approx(dense, rel=1e-9)
