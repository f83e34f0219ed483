"""The gap certificate (n > 5 path of ``gibbs_bound``): one test per inequality, on random small models.

* the χ² contraction η(s) ≤ min(1, C e^{−λ₋s}) and the transient bound hold for the dense semigroup;
* the lower bound on the gap is below the gap of the dense spectrum (n ≤ 4), Lanczos and dense;
* the Lieb–Robinson tail and the light-cone truncation bound are above the measured truncation;
* the certificate is never below the measured distance to Gibbs of the exact step channel.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp
from scipy.linalg import expm

from kmsgibbs.compiler import compile_sampler, dll, models
from tests.conftest import random_generator, trace_norm
from kmsgibbs.compiler.analysis.gap_certificate import GapContraction, chi_squared, gap_lower_bound
from kmsgibbs.compiler.analysis.truncation import lieb_robinson_tail
from kmsgibbs.compiler.lowering.light_cone import light_cone_window, restrict
from kmsgibbs.simulators import exact

#: Floating-point slack of a computed trace norm against its bound.
TOL = 1e-9


def pure(v: np.ndarray) -> np.ndarray:
    v = v / np.linalg.norm(v)
    return np.outer(v, v.conj())


def contraction_of(lind) -> GapContraction:
    sigma = lind.gibbs_state()
    lower = gap_lower_bound(exact.gap(lind, method="dense"))
    return GapContraction(gap=lower.value, prefactor=math.sqrt(1 / np.linalg.eigvalsh(sigma)[0] - 1))


@pytest.mark.parametrize("n, seed", [(2, 3), (2, 4), (3, 5)])
def test_chi_squared_contraction_bounds_the_semigroup(n, seed):
    """‖e^{sL}X‖₁ ≤ η(s)‖X‖₁ for X = ψ − φ over σ's eigenvectors (the χ² worst case), the slowest
    mode and random pure states; ½‖e^{sL}ρ − σ‖₁ ≤ ½e^{−λ₋s}√χ²(ρ, σ)."""
    lind = random_generator(n, seed)
    sigma = lind.gibbs_state()
    d = lind.dim
    generator = lind.superoperator()
    eta = contraction_of(lind)
    rng = np.random.default_rng(seed)
    _, basis = np.linalg.eigh(sigma)
    states = [pure(basis[:, i]) for i in range(d)] + [pure(rng.normal(size=d) + 1j * rng.normal(size=d)) for _ in range(4)]
    w, v = np.linalg.eig(generator)
    slow = v[:, np.argsort(-w.real)[1]].reshape(d, d, order="F")
    probes = [states[0] - states[-1], states[0] - states[1], slow + slow.conj().T] + [a - b for a, b in zip(states[::2], states[1::2])]
    late = math.log(eta.prefactor) / eta.gap  # where the bound leaves 1
    for s in (0.0, 0.5, 2.0, 8.0, late, 2 * late):
        y = expm(s * generator)
        for x in probes:
            out = (y @ x.reshape(-1, order="F")).reshape(d, d, order="F")
            assert trace_norm(out) <= eta.eta(s) * trace_norm(x) + TOL, (s, eta.eta(s))
        for rho in states:
            out = (y @ rho.reshape(-1, order="F")).reshape(d, d, order="F")
            assert 0.5 * trace_norm(out - sigma) <= 0.5 * math.exp(-eta.gap * s) * math.sqrt(chi_squared(rho, sigma)) + TOL
    assert eta.eta(2 * late) < 1.0  # it does contract


@pytest.mark.parametrize("n, seed", [(2, 1), (3, 2)])
def test_gap_lower_bound_is_below_the_dense_gap(n, seed):
    """λ₋ from Lanczos (Ritz value − residual) and from the dense spectrum ≤ min −Re λ of the dense L."""
    lind = random_generator(n, seed)
    eig = np.linalg.eigvals(lind.superoperator())
    true_gap = float(np.sort(-eig.real)[1])
    lanczos = gap_lower_bound(exact.gap(lind, method="krylov"))
    dense = gap_lower_bound(exact.gap(lind, method="dense"))
    assert not lanczos.excluded and dense.excluded
    assert lanczos.value <= true_gap and dense.value <= true_gap
    assert lanczos.value > 0.99 * true_gap  # and it is tight


def test_gap_lower_bound_of_a_sectored_tfim_chain_is_below_the_dense_gap():
    """The sectors' min(θ − r) (TFIM: Z₂ parity and reflection) ≤ the dense gap, n = 4."""
    lind = dll(models.transverse_field_ising(4), models.single_site_couplings(4, "XZ"), 1.0, coupling=0.5)
    spectral = exact.gap(lind, method="krylov")
    eig = np.linalg.eigvals(lind.superoperator())
    lower = gap_lower_bound(spectral)
    assert spectral.sectors and lower.value <= float(np.sort(-eig.real)[1])


def test_lieb_robinson_tail_bounds_the_truncated_heisenberg_operator():
    """‖A(t) − A_W(t)‖ ≤ the tail for A = X, Z in the middle of a TFIM chain of 7, W of radius 1 and 2."""
    n = 7
    h = models.transverse_field_ising(n)
    eh = np.linalg.eigh(h.to_matrix())
    for label in ("X", "Z"):
        a = SparsePauliOp.from_sparse_list([(label, [3], 1.0)], n)
        am = a.to_matrix()
        for radius in (1, 2):
            window = light_cone_window(h, a, radius)
            ew = np.linalg.eigh(restrict(h, window).apply_layout(list(window), n).to_matrix())
            times = np.array([0.3, 1.0, 2.0, 4.0])
            tail = lieb_robinson_tail(h, a, window, times)
            for t, bound in zip(times, tail):
                full, cut = (u @ (np.exp(1j * t * np.subtract.outer(e, e)) * (u.conj().T @ am @ u)) @ u.conj().T for e, u in (eh, ew))
                measured = float(np.linalg.norm(full - cut, 2))
                assert measured <= bound + TOL, (label, radius, t, measured, bound)
            assert tail[0] < 0.1  # short times: small, not the trivial 2‖A‖


def test_truncation_bound_exceeds_the_measured_truncation_error():
    """The light-cone truncation bound (dense against W′ of radius 2 plus the tail beyond) ≥ the largest
    ‖L − L_W‖ over couplings and average nodes, with L built from the whole chain (n = 6, r = 1)."""
    from kmsgibbs.compiler.time_domain import TimeGrid

    n = 6
    lind = dll(models.transverse_field_ising(n), models.single_site_couplings(n, "XZ"), 1.0, coupling=0.5)
    S = compile_sampler(lind, dt=0.01, epsilon=1e-2, light_cone=1)
    bound = S.truncation_error(margin=1, max_qubits=6)
    h = S.form.hamiltonian
    hm = h.to_matrix()
    alpha = np.sqrt(S.form.rate)
    worst = 0.0
    for a in S.form.couplings:
        window = light_cone_window(h, a, 1)
        hw = restrict(h, window).apply_layout(list(window), n).to_matrix()
        for v, grid in S.form.jumps:
            g = TimeGrid(grid.times, alpha * np.sqrt(v) * grid.weights)
            worst = max(worst, np.linalg.norm(g.operator(hm, a.to_matrix()) - g.operator(hw, a.to_matrix()), 2))
    assert bound["tail"] > 0  # the window of radius 2 does not reach the chain's ends: the tail is used
    assert worst <= bound["jump"] + TOL, (worst, bound)


@pytest.mark.parametrize("n, seed", [(2, 6), (2, 7), (3, 8)])
def test_gap_certificate_is_never_below_the_measured_distance(n, seed):
    """½‖Φ^kρ₀ − σ‖₁ ≤ gibbs_bound(t, rho0, gap) for |0⟩, σ's least likely eigenvector and rho0=None, and
    the fixed point ≤ gibbs_bound(∞); a dense gap is rigorous, a Lanczos one is marked estimated."""
    lind = random_generator(n, seed)
    S = compile_sampler(lind, dt=0.05, epsilon=1e-1)
    sigma = lind.gibbs_state()
    d = lind.dim
    step = S.step_channel()
    dense, lanczos = exact.gap(lind, method="dense"), exact.gap(lind, method="krylov")
    zero = np.zeros((d, d), dtype=complex)
    zero[0, 0] = 1.0
    starts = [zero, pure(np.linalg.eigh(sigma)[1][:, 0])]
    for rho0 in starts:
        v = rho0.reshape(-1, order="F")
        for k in range(0, S.num_steps(6.0) + 1):
            if k % 20 == 0:
                measured = 0.5 * trace_norm(v.reshape(d, d, order="F") - sigma)
                bound = S.gibbs_bound(k * S.dt, rho0=rho0, gap=dense)
                assert bound.method == "gap_certificate" and bound.rigorous and "transient" in bound.terms
                assert measured <= bound.total + TOL, (k, measured, bound.terms)
                assert measured <= S.gibbs_bound(k * S.dt, gap=dense).total + TOL
            v = step @ v
    assert not S.gibbs_bound(1.0, gap=lanczos).rigorous
    w, vecs = np.linalg.eig(step)
    fixed = vecs[:, np.argmin(np.abs(w - 1))].reshape(d, d, order="F")
    assert 0.5 * trace_norm(fixed / np.trace(fixed) - sigma) <= S.gibbs_bound(math.inf, gap=dense).total + TOL


def test_gibbs_bound_refuses_what_it_cannot_certify():
    """n > 5 without a gap, and the randomized scheme's gap path (no scalable per-step bound)."""
    lind = dll(models.transverse_field_ising(6), models.single_site_couplings(6, "XZ"), 1.0, coupling=0.5)
    with pytest.raises(ValueError, match="needs the spectral gap"):
        compile_sampler(lind, dt=0.05, epsilon=1e-1, light_cone=1).gibbs_bound(1.0)
    small = random_generator(2, 1)
    randomized = compile_sampler(small, dt=0.05, epsilon=1e-1, scheme="randomized")
    with pytest.raises(ValueError, match="no scalable per-step bound"):
        randomized.gibbs_bound(1.0, gap=exact.gap(small, method="dense"))
