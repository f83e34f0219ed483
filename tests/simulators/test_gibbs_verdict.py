"""The second verdict of verify: the Gibbs certificate at every time, REACHED GIBBS, and the run time
from the gap (the χ² bound, tested as an inequality on random models)."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.simulators import VerificationReport, exact, verify
from kmsgibbs.simulators.mixing import chi_squared, mixing_time


def random_generator(n: int, seed: int):
    beta = float(np.random.default_rng(seed).uniform(0.1, 3.0))
    bath = baths.GaussianBath(beta, width=2.0)
    h = models.random_two_local(n, seed=seed)
    return scandi_alhambra(h, models.single_site_couplings(n, "XZ"), bath, coarse_graining_time=1.0, coupling=0.5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_chi_squared_bound_holds_and_the_mixing_time_reaches_the_distance(seed):
    """½‖e^{tL}ρ₀ − σ‖₁ ≤ ½e^{−λt}√χ²(ρ₀, σ) from random pure states of random two-qubit models."""
    lind = random_generator(2, seed)
    gibbs = lind.gibbs_state()
    rng = np.random.default_rng(seed)
    gap = exact.gap(lind).gap
    for _ in range(3):
        v = rng.normal(size=4) + 1j * rng.normal(size=4)
        rho0 = np.outer(v, v.conj()) / np.vdot(v, v).real
        times = [0.0, 0.5, 2.0, 6.0]
        states = exact.evolve(lind, rho0, times)
        prefactor = 0.5 * math.sqrt(chi_squared(rho0, gibbs))
        for t, rho in zip(times, states):
            assert exact.trace_distance(rho, gibbs) <= prefactor * math.exp(-gap * t) + 1e-9
        t = mixing_time(lind, rho0, 0.01)
        assert exact.trace_distance(exact.evolve(lind, rho0, [t])[0], gibbs) <= 0.01 + 1e-9


@pytest.fixture(scope="module")
def report():
    sampler = compile_sampler(random_generator(1, 1), dt=0.05, epsilon=1e-2)
    return verify(sampler, [0.0, 1.0, 6.0], initial_state="1", distance=0.05)


def test_verify_reports_the_certificate_above_the_measured_distance(report):
    assert report.passed
    assert len(report.gibbs_certificate) == len(report.times)
    for measured, certificate in zip(report.distance_to_gibbs, report.gibbs_certificate):
        assert measured <= certificate + 1e-9
    assert report.gibbs_certificate[-1] < 0.1 * report.gibbs_certificate[0]


def test_reached_gibbs_is_the_certificate_against_the_requested_distance(report):
    assert report.reached_gibbs is (report.gibbs_certificate[-1] <= 0.05)
    again = VerificationReport.from_json(report.to_json())
    assert again.gibbs_certificate == report.gibbs_certificate and again.reached_gibbs == report.reached_gibbs
    far = dataclasses.replace(report, requested_distance=1.0)
    near = dataclasses.replace(report, requested_distance=1e-6)
    assert far.reached_gibbs and "REACHED GIBBS" in far.table()
    assert near.reached_gibbs is False and "GIBBS NOT REACHED" in near.table()
    assert near.verdict == far.verdict == "PASS"  # the exit code's verdict does not change


@pytest.mark.slow
def test_cli_default_time_comes_from_the_gap_and_prints_both_verdicts():
    """A subprocess run of the default n = 1 verify (~15 s)."""
    proc = subprocess.run(
        [sys.executable, "-m", "kmsgibbs", "verify", "--n", "1", "--scheme", "trotter_dilation", "--points", "2"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "from the gap" in proc.stderr
    lines = proc.stdout.rstrip().splitlines()
    assert lines[-1] == "PASS" and lines[-2].startswith("REACHED GIBBS")
