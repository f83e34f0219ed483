"""The randomized scheme (issue 14): cost, accuracy of the averaged evolution, statistics, gate-level Aer.

Run: python benchmarks/randomized_table.py                 (every table; ~15 min on 2 cores)
     python benchmarks/randomized_table.py --tables cost chains
(from a worktree, ``PYTHONPATH=.`` makes ``kmsgibbs`` resolve to it).

Model: the ``kmsgibbs verify`` defaults: TFIM chain (J = g = 1), X and Z couplings on every site,
Gaussian bath (s = 2) at β = 1, Scandi–Alhambra form='kms', T = 1, α = 0.5, dt = 0.05, ε = 10⁻².
Tables:
  cost      CX per step (level-1 transpilation to cx, rz, sx, x, reset) of the randomized and the
            deterministic scheme, and the total CX to bring |000⟩ within 0.02 of Gibbs, measured on the
            exact averaged (randomized) or exact (deterministic) channel.
  accuracy  dt vs ½‖Φ̄_cycle − e^{C dt L}‖_◇ and the bound at t = 2, at T = 4 (exact frames, ε = 10⁻⁴),
            and the fixed point of the averaged cycle channel: its distance to Gibbs against dt.
  stats     the 3σ allowance of the mean of K = 16, 64, 256 instances (fused, Aer density matrices).
  gate      16 gate-level (unfused) instances to t = 2 in one Aer density-matrix job: wall time and
            the distance of their mean to the exact averaged evolution, against the 3σ allowance.
  chains    CX per step for TFIM chains n = 10, 50, 100 with light cone r = 1, and the slope.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from qiskit import transpile
from scipy.linalg import expm

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.compiler.bath_emulation import channel_fixed_point
from kmsgibbs.compiler.analysis.bounds import diamond_norm_upper_bound
from kmsgibbs.simulators import aer
from kmsgibbs.simulators.distances import trace_distance

BASIS = ["cx", "rz", "sx", "x", "reset"]


def generator(n: int, T: float = 1.0):
    h = models.from_edges(n, models.chain_edges(n), couplings={"ZZ": -1.0}, fields={"X": -1.0})
    return scandi_alhambra(h, models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=T, coupling=0.5)


def cx(circuit) -> int:
    return transpile(circuit, basis_gates=BASIS, optimization_level=1).count_ops().get("cx", 0)


def steps_to(channel_of_steps, rho0: np.ndarray, gibbs: np.ndarray, target: float, max_steps: int) -> int | None:
    """First step count whose state is within ``target`` of Gibbs (None if not within ``max_steps``)."""
    v = rho0.reshape(-1, order="F")
    d = rho0.shape[0]
    for k in range(1, max_steps + 1):
        v = channel_of_steps(k) @ v
        if trace_distance(v.reshape(d, d, order="F"), gibbs) <= target:
            return k
    return None


def table_cost() -> None:
    lind = generator(3)
    gibbs = lind.gibbs_state()
    rho0 = np.zeros((8, 8))
    rho0[0, 0] = 1.0
    r = compile_sampler(lind, dt=0.05, epsilon=1e-2, scheme="randomized")
    start = time.perf_counter()
    per_cycle = cx(r.circuit(r.cycle * r.dt))
    steps = r.averaged_step_channels()
    n_r = steps_to(lambda k: steps[(k - 1) % r.cycle], rho0, gibbs, 0.02, 2000)
    print(f"randomized     CX/step {per_cycle / r.cycle:8.0f} (mean over a cycle of {r.cycle}; first step "
          f"{cx(r.step_circuit())})  steps to 0.02: {n_r}  total CX {per_cycle / r.cycle * n_r:.3g}  "
          f"({time.perf_counter() - start:.0f} s)")
    start = time.perf_counter()
    det = compile_sampler(lind, dt=0.05, epsilon=1e-2)
    per_step = det.resources().two_qubit_gates_per_step
    channel = det.step_channel()
    n_d = steps_to(lambda k: channel, rho0, gibbs, 0.02, 2000)
    total = "—" if n_d is None else f"{per_step * n_d:.3g}"
    print(f"deterministic  CX/step {per_step:8d} (resources(), basis cx rz sx x)  steps to 0.02: {n_d}  "
          f"total CX {total}  ({time.perf_counter() - start:.0f} s)")


def table_accuracy() -> None:
    lind = generator(3, T=4.0)
    L = lind.superoperator()
    gibbs = lind.gibbs_state()
    print(f"{'dt':>7s} {'cycle error':>12s} {'ratio':>6s} {'bound(t=2)':>11s} {'fixed pt→Gibbs':>15s} {'s':>5s}")
    previous = None
    for dt in (0.1, 0.05, 0.025):
        start = time.perf_counter()
        s = compile_sampler(lind, dt=dt, epsilon=1e-4, scheme="randomized", exact_evolution=True)
        cycle = s.averaged_channel()
        error = 0.5 * diamond_norm_upper_bound(cycle - expm(s.cycle * dt * L))
        fixed = channel_fixed_point(cycle)
        ratio = "" if previous is None else f"{previous / error:6.2f}"
        print(f"{dt:7.3f} {error:12.3e} {ratio:>6s} {float(s.error_bound(2.0)):11.3e} "
              f"{trace_distance(fixed, gibbs):15.3e} {time.perf_counter() - start:5.0f}")
        previous = error


def table_stats() -> None:
    s = compile_sampler(generator(3), dt=0.05, epsilon=1e-2, scheme="randomized")
    times = [2.0, 4.0, 8.0]
    print(f"{'K':>5s} " + " ".join(f"{'3σ at t=' + format(t, 'g'):>12s}" for t in times) + f" {'seconds':>8s}")
    for k in (16, 64, 256):
        run = aer.run_instances(s, times, samples=k, seed=1)
        allowance = [3 * 0.5 * math.sqrt(8) * float(np.linalg.norm(e)) for e in run.state_stderr]
        print(f"{k:5d} " + " ".join(f"{a:12.3e}" for a in allowance) + f" {run.seconds:8.1f}")


def table_gate() -> None:
    s = compile_sampler(generator(3), dt=0.05, epsilon=1e-2, scheme="randomized")
    start = time.perf_counter()
    run = aer.run_instances(s, [2.0], samples=16, seed=2, fuse=False, max_instructions=20_000_000)
    rho0 = np.zeros(64)
    rho0[0] = 1.0
    average = (s.averaged_channel(s.num_steps(2.0)) @ rho0).reshape(8, 8, order="F")
    allowance = 3 * 0.5 * math.sqrt(8) * float(np.linalg.norm(run.state_stderr[0]))
    print(f"16 gate-level instances to t=2: {time.perf_counter() - start:.0f} s; "
          f"d(mean, exact averaged) = {trace_distance(run.states[0], average):.3e} vs 3σ allowance {allowance:.3e}")


def table_chains() -> None:
    counts = {}
    for n in (10, 50, 100):
        start = time.perf_counter()
        s = compile_sampler(generator(n), dt=0.05, epsilon=1e-2, scheme="randomized", light_cone=1)
        cycle = s.circuit(s.cycle * s.dt)
        counts[n] = cx(cycle) / s.cycle
        print(f"n = {n:4d}: CX per step {counts[n]:10.0f} (mean over a cycle)  {time.perf_counter() - start:.0f} s")
    slope = (counts[100] - counts[10]) / 90
    print(f"slope {slope:.0f} CX per site per step; n = 50 off the line by {counts[50] - counts[10] - 40 * slope:+.0f}")


TABLES = {"cost": table_cost, "accuracy": table_accuracy, "stats": table_stats, "gate": table_gate, "chains": table_chains}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", nargs="+", choices=tuple(TABLES), default=list(TABLES))
    args = parser.parse_args()
    for name in args.tables:
        print(f"\n== {name} ==")
        TABLES[name]()


if __name__ == "__main__":
    main()
