"""The master equations against the system + finite bath they come from (issue #6)."""

import math

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler import GaussianBath, davies, models, scandi_alhambra
from kmsgibbs.simulators.microscopic import (
    bath_rates,
    compare_to_microscopic,
    discretize_bath,
    microscopic_evolution,
    redfield_superoperator,
)

BATH = GaussianBath(1.0, width=1.0)
QUBIT = SparsePauliOp("Z", -0.5)  # |1⟩ lies ω₀ = 1 above |0⟩
X = SparsePauliOp("X")


def test_discretized_bath_reproduces_the_correlation_function_until_recurrence():
    db = discretize_bath(BATH, 9)
    t = np.linspace(0, db.recurrence_time / 2, 200)
    assert np.abs(db.correlation(t) - BATH.correlation(t)).max() < 1e-5
    assert db.kernel_error(db.recurrence_time / 2) < 1e-5
    # anti-periodic with period t_rec: the bath hands everything back at the recurrence time
    assert db.correlation(db.recurrence_time) == pytest.approx(-db.correlation(0.0), rel=1e-12)
    # KMS of the modes: absorbing ω_q is e^{βω_q} likelier than emitting it
    p1 = db.excited_probabilities
    np.testing.assert_allclose((1 - p1) / p1, np.exp(BATH.beta * db.frequencies), rtol=1e-12)


def _population_rates(lind) -> tuple[float, float]:
    """(γ↓, γ↑) read off a qubit generator: ⟨0|L(|1⟩⟨1|)|0⟩ and ⟨1|L(|0⟩⟨0|)|1⟩."""
    sup = lind.superoperator()
    return float(sup[0, 3].real), float(sup[3, 0].real)  # column-stacked: |0⟩⟨0| ↔ 0, |1⟩⟨1| ↔ 3


def test_qubit_rates_match_davies_and_kms_within_the_stated_error():
    """Rates fitted from the exact qubit + 9-mode bath over [t_a, t_rec/2] vs the generators' rates.

    Estimator: both populations obey p′ = −γ↓p + γ↑(1 − p) after the bath's memory time; integrating
    from t_a for the starts |1⟩ and |0⟩ gives two linear equations for (γ↓, γ↑). Stated error, in units
    of α²: 2·(memory-kernel error + ∫_{t_a}^∞|C|, the transient of the golden rule) + α²Γ₀(Γ₀τ₀)
    (fourth order). Measured (α = 0.1, t_a = 2.5): γ↓/α² = 0.9986 vs 1, γ↑/α² = 0.3699 vs e^{−1} = 0.3679.
    """
    alpha, n_modes, t_a = 0.1, 9, 2.5
    db = discretize_bath(BATH, n_modes)
    times = np.linspace(0, db.recurrence_time / 2, 41)
    runs = {s: microscopic_evolution(QUBIT, X, BATH, coupling=alpha, num_modes=n_modes, times=times, initial_state=s) for s in "10"}
    after = times >= t_a
    rows, rhs = [], []
    for run in runs.values():
        p = run.states[:, 1, 1].real[after]
        rows.append([-np.trapezoid(p, times[after]), np.trapezoid(1 - p, times[after])])
        rhs.append(p[-1] - p[0])
    down, up = np.linalg.solve(np.array(rows), np.array(rhs)) / alpha**2

    gamma0, tau0 = bath_rates(BATH)
    s = np.linspace(t_a, 40, 40001)
    tail = float(np.sum(np.abs(BATH.correlation(s))) * (s[1] - s[0]))
    stated = 2 * (runs["1"].kernel_error + tail) + alpha**2 * gamma0 * gamma0 * tau0
    assert stated < 0.05
    for lind in (
        davies(QUBIT, [X], BATH, coupling=alpha),
        scandi_alhambra(QUBIT, [X], BATH, coupling=alpha, coarse_graining_time=2.0, form="kms"),
    ):
        ref_down, ref_up = (r / alpha**2 for r in _population_rates(lind))
        assert ref_down == pytest.approx(float(BATH.spectral_density(1.0)), rel=1e-9)
        assert abs(down - ref_down) <= stated and abs(up - ref_up) <= stated, (down, up, ref_down, ref_up, stated)
    assert up / down == pytest.approx(math.exp(-BATH.beta), rel=0.05)  # detailed balance of the bath itself


def test_redfield_population_block_of_a_qubit_is_davies():
    red = redfield_superoperator(QUBIT, X, BATH, coupling=0.3)
    dav = davies(QUBIT, [X], BATH, coupling=0.3).superoperator()
    pops = [0, 3]
    np.testing.assert_allclose(red[np.ix_(pops, pops)], dav[np.ix_(pops, pops)], atol=1e-9)
    np.testing.assert_allclose(np.ones(4) @ np.diag([1, 0, 0, 1]) @ red, 0, atol=1e-12)  # trace preserving


def test_chain_coarse_grained_equation_within_thm11_linear_and_beats_davies():
    """Non-integrable chain n = 3 (ZZ + 0.9X + 0.5Z), bath on X₀ (8 modes, t ≤ t_rec/2 = 4.65), from |101⟩.

    Measured ½‖ρ_S − ρ_ME‖₁, max over the window (α = 0.5 | α = 0.25):
      coarse-grained 0.072 | 0.035, kms 0.098 | 0.042, Davies 0.134 | 0.048, Redfield 0.071 | 0.019;
    Thm 11 bound (½ of its trace-norm bound, T = T*): 0.61 → 5.36 | 0.31 → 0.97.
    Log–log slope of the coarse-grained error for t ≥ 1: −0.05 | 0.38 (at most linear).
    """
    n = 3
    h = models.from_edges(n, models.chain_edges(n), couplings={"ZZ": 1.0}, fields={"X": 0.9, "Z": 0.5})
    a = [SparsePauliOp.from_sparse_list([("X", [0], 1.0)], n)]
    db = discretize_bath(BATH, 8)
    times = np.linspace(0, db.recurrence_time / 2, 21)
    worst = {}
    for alpha in (0.5, 0.25):
        c = compare_to_microscopic(h, a, BATH, coupling=alpha, num_modes=8, times=times, initial_state="101")
        d = c.distances
        assert np.all(d["coarse_grained"] <= c.bound)
        late = times >= 1
        slope = np.polyfit(np.log(times[late]), np.log(d["coarse_grained"][late]), 1)[0]
        assert slope <= 1.0, slope
        assert np.all(d["coarse_grained"][1:] < d["davies"][1:])
        worst[alpha] = d["coarse_grained"].max()
    # weaker coupling, smaller error (≈ α: the O(α) smoothing term of Thm 11 dominates this window)
    assert worst[0.25] < 0.7 * worst[0.5], worst


def test_bad_input():
    db = discretize_bath(BATH, 6)
    with pytest.raises(ValueError, match="recurrence time"):
        microscopic_evolution(QUBIT, X, BATH, coupling=0.1, num_modes=6, times=[0, db.recurrence_time], initial_state="0")
    with pytest.raises(ValueError, match="coupling must be > 0"):
        microscopic_evolution(QUBIT, X, BATH, coupling=0.0, num_modes=6, times=[0, 1], initial_state="0")
    with pytest.raises(ValueError, match="beta must be > 0"):
        GaussianBath(-1.0)
    with pytest.raises(ValueError, match="num_modes must be a positive integer"):
        discretize_bath(BATH, 0)
    with pytest.raises(ValueError, match=r"13 qubits .* GB"):
        microscopic_evolution(QUBIT, X, BATH, coupling=0.1, num_modes=12, times=[0, 1], initial_state="0")
    with pytest.raises(ValueError, match="times must be finite and >= 0"):
        microscopic_evolution(QUBIT, X, BATH, coupling=0.1, num_modes=6, times=[-1.0], initial_state="0")
