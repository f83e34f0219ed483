"""The Gibbs certificate: each inequality it is built from, and that it follows the plan it certifies.

"Measured" is the distance to Gibbs of the circuits' exact channel (the dilation step channel, the
randomized scheme's averaged channel) applied to ρ₀; the certificate must never be below it. A plan
with a dropped factor moves the circuits' fixed point away from σ_β by more than the full plan's
certificate (the promise is broken), while its own certificate still holds.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.linalg import expm

from kmsgibbs.compiler import compile_sampler
from tests.conftest import random_generator, trace_norm
from kmsgibbs.compiler.analysis.certificate import GibbsCertificate

#: Floating-point slack of a computed trace norm against its bound.
TOL = 1e-9


def random_traceless(d: int, rng: np.random.Generator) -> np.ndarray:
    a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    x = a + a.conj().T
    return x - np.trace(x) / d * np.eye(d)


def random_pure(d: int, rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=d) + 1j * rng.normal(size=d)
    v /= np.linalg.norm(v)
    return np.outer(v, v.conj())


def distances(channel_of_steps, gibbs: np.ndarray, rho0: np.ndarray, steps: int) -> list[float]:
    """½‖Φ^k ρ₀ − σ‖₁ for k = 0..steps, the channel of step k given by ``channel_of_steps(k)``."""
    d = rho0.shape[0]
    v = rho0.reshape(-1, order="F")
    out = [0.5 * trace_norm(rho0 - gibbs)]
    for k in range(steps):
        v = channel_of_steps(k) @ v
        out.append(0.5 * trace_norm(v.reshape(d, d, order="F") - gibbs))
    return out


def fixed_point_distance(channel: np.ndarray, gibbs: np.ndarray) -> float:
    w, v = np.linalg.eig(channel)
    d = gibbs.shape[0]
    fixed = v[:, np.argmin(np.abs(w - 1))].reshape(d, d, order="F")
    return 0.5 * trace_norm(fixed / np.trace(fixed) - gibbs)


@pytest.fixture(scope="module", params=[1, 2])
def dilation(request):
    """Dilation samplers of random two-qubit models (seed 1: β = 1.58, seed 2: β = 0.97)."""
    return compile_sampler(random_generator(2, request.param), dt=0.05, epsilon=1e-1)


@pytest.fixture(scope="module")
def randomized():
    return compile_sampler(random_generator(2, 1), dt=0.05, epsilon=1e-2, scheme="randomized")


def test_contraction_bounds_the_semigroup_on_traceless_operators(dilation):
    """‖e^{kτL}X‖₁ ≤ η(kτ)‖X‖₁ on random traceless X and on the slowest decaying mode (near the worst case late)."""
    lind = dilation.lindbladian
    cert = GibbsCertificate(lind.superoperator(), lind.gibbs_state(), [dilation.step_channel()], dilation.dt)
    generator = lind.superoperator()
    d = lind.dim
    rng = np.random.default_rng(7)
    w, v = np.linalg.eig(generator)
    slow = v[:, np.argsort(-w.real)[1]].reshape(d, d, order="F")
    probes = [random_traceless(d, rng) for _ in range(4)] + [slow + slow.conj().T, 1j * (slow - slow.conj().T)]
    for k in (0, 1, 7, 40, 160, 600, 2000):
        y = expm(k * cert.tau * generator)
        eta = cert.contraction(k)
        assert 0.0 <= eta <= 1.0
        for x in probes:
            out = (y @ x.reshape(-1, order="F")).reshape(d, d, order="F")
            assert trace_norm(out) <= eta * trace_norm(x) + TOL, (k, eta)
    assert cert.contraction(2000) < 0.5  # it does contract: the bound is not the trivial 1


def test_step_error_bounds_the_error_on_traceless_operators(randomized):
    """‖(Φ_r − e^{r dt L})X‖₁ ≤ ε_r‖X‖₁ for the cycle and every partial cycle of the averaged channel,
    and ‖e^{kτL}EX‖₁ ≤ μ(kτ)‖X‖₁ ≤ εη(kτ)‖X‖₁."""
    lind = randomized.lindbladian
    generator = lind.superoperator()
    cert = GibbsCertificate(generator, lind.gibbs_state(), randomized.averaged_step_channels(), randomized.dt)
    rng = np.random.default_rng(3)
    d = lind.dim
    for r in range(1, randomized.cycle + 1):
        error = randomized.averaged_channel(r) - expm(r * randomized.dt * generator)
        for _ in range(6):
            x = random_traceless(d, rng)
            out = (error @ x.reshape(-1, order="F")).reshape(d, d, order="F")
            assert trace_norm(out) <= cert.epsilon(r) * trace_norm(x) + TOL
    error = randomized.averaged_channel() - expm(cert.tau * generator)
    for k in (0, 1, 5, 30, 200, 1000):  # the error damped for k cycles, bounded as one map
        damped = expm(k * cert.tau * generator) @ error
        assert cert.damped_error(k) <= cert.epsilon() * cert.contraction(k) + TOL
        for _ in range(4):
            x = random_traceless(d, rng)
            out = (damped @ x.reshape(-1, order="F")).reshape(d, d, order="F")
            assert trace_norm(out) <= cert.damped_error(k) * trace_norm(x) + TOL, k


def test_certificate_is_never_below_the_measured_distance(dilation):
    """Every step to t = 6 from |0⟩⟨0|, from random pure states (rho0 given and rho0=None), and the fixed point."""
    gibbs = dilation.lindbladian.gibbs_state()
    step = dilation.step_channel()
    d = gibbs.shape[0]
    rng = np.random.default_rng(11)
    steps = dilation.num_steps(6.0)
    starts = [np.diag([1.0, 0, 0, 0]).astype(complex)] + [random_pure(d, rng) for _ in range(3)]
    for rho0 in starts:
        measured = distances(lambda k: step, gibbs, rho0, steps)
        for k in range(0, steps + 1, 3):
            bound = dilation.gibbs_bound(k * dilation.dt, rho0=rho0)
            assert bound.rigorous and set(bound.terms) == {"transient", "accumulated", "remainder"}
            assert measured[k] <= bound.total + TOL, (k, measured[k], bound.terms)
            if k % 30 == 0:
                assert measured[k] <= dilation.gibbs_bound(k * dilation.dt).total + TOL
    fixed = dilation.gibbs_bound(math.inf)
    assert fixed.terms["transient"] == 0.0
    assert fixed_point_distance(step, gibbs) <= fixed.total < 1.0


def test_randomized_certificate_holds_inside_a_cycle_and_is_within_3x(randomized):
    """Times inside a cycle (partial cycles), the quadrature estimate named, and a tight fixed point."""
    gibbs = randomized.lindbladian.gibbs_state()
    channels = randomized.averaged_step_channels()
    rho0 = np.diag([0, 0, 1.0, 0]).astype(complex)
    steps = randomized.num_steps(8.0)
    measured = distances(lambda k: channels[k % len(channels)], gibbs, rho0, steps)
    for k in (1, 5, 37, 80, 121, 160):
        bound = randomized.gibbs_bound(k * randomized.dt, rho0=rho0)
        assert bound.estimated == ("average_quadrature",)
        assert measured[k] <= bound.total + TOL, (k, measured[k], bound.terms)
    assert randomized.gibbs_bound(8.0, rho0=rho0).total <= 3 * measured[-1]
    fixed = fixed_point_distance(randomized.averaged_channel(), gibbs)
    assert fixed <= randomized.gibbs_bound(math.inf).total <= 3 * fixed


def test_a_dropped_factor_breaks_the_full_plans_promise_and_keeps_its_own(randomized):
    """Without the coherent term the circuits' fixed point moves beyond the full plan's certificate;
    the reduced plan's certificate follows the reduced circuits."""
    reduced = dataclasses.replace(randomized, plan=dataclasses.replace(randomized.plan, coherent=(), kernel=None))
    gibbs = randomized.lindbladian.gibbs_state()
    rho0 = np.diag([1.0, 0, 0, 0]).astype(complex)
    channel = reduced.averaged_channel()
    steps = reduced.num_steps(16.0)
    measured = distances(lambda k: channel, gibbs, rho0, steps)[-1]
    assert measured > randomized.gibbs_bound(16.0, rho0=rho0).total
    assert fixed_point_distance(channel, gibbs) > randomized.gibbs_bound(math.inf).total
    assert measured <= reduced.gibbs_bound(16.0, rho0=rho0).total + TOL
    assert fixed_point_distance(channel, gibbs) <= reduced.gibbs_bound(math.inf).total + TOL



@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["trotter_dilation", "randomized"])
@pytest.mark.parametrize("seed", [2, 5])
def test_certificate_holds_on_random_three_qubit_models(scheme, seed):
    """n = 3 at a random β: every cycle to t = 8, every initial state at t = 3, and the fixed point (~1 min each)."""
    sampler = compile_sampler(random_generator(3, seed), dt=0.05, epsilon=1e-2, scheme=scheme)
    gibbs = sampler.lindbladian.gibbs_state()
    channels = sampler.averaged_step_channels() if scheme == "randomized" else [sampler.step_channel()]
    rng = np.random.default_rng(seed)
    rho0 = random_pure(8, rng)
    steps = sampler.num_steps(8.0)
    measured = distances(lambda k: channels[k % len(channels)], gibbs, rho0, steps)
    for k in range(0, steps + 1, 6):
        assert measured[k] <= sampler.gibbs_bound(k * sampler.dt, rho0=rho0).total + TOL, k
    every = sampler.gibbs_bound(3.0).total
    for _ in range(3):
        start = random_pure(8, rng)
        assert distances(lambda k: channels[k % len(channels)], gibbs, start, 60)[-1] <= every + TOL
    cycle = np.linalg.multi_dot(channels[::-1]) if len(channels) > 1 else channels[0]
    assert fixed_point_distance(cycle, gibbs) <= sampler.gibbs_bound(math.inf).total


@pytest.mark.slow
def test_a_dropped_dilation_factor_breaks_the_full_plans_promise():
    """The dilation plan without its coherent factors: fixed point beyond the full certificate, within its own."""
    sampler = compile_sampler(random_generator(2, 1), dt=0.05, epsilon=1e-2)
    cores = sampler.plan.cores
    reduced = sampler.with_plan(sampler.plan.reordered([i for i, f in enumerate(cores) if f.kind != "coherent"]))
    gibbs = sampler.lindbladian.gibbs_state()
    moved = fixed_point_distance(reduced.step_channel(), gibbs)
    assert moved > sampler.gibbs_bound(math.inf).total
    assert moved <= reduced.gibbs_bound(math.inf).total


@pytest.mark.parametrize("rho0", [np.eye(2), np.eye(4) / 2, np.array([[0.5, 0.5], [0, 0.5]]).repeat(2, 0).repeat(2, 1) / 2])
def test_rho0_must_be_a_density_matrix_of_the_system(dilation, rho0):
    with pytest.raises(ValueError, match="rho0 must be a \\(4, 4\\) density matrix"):
        dilation.gibbs_bound(1.0, rho0=rho0)
