"""The Gibbs certificate against the measured distance to Gibbs (issue 24, n ≤ 5).

Run: python benchmarks/certificate_table.py                 (n = 3 and 4, every case: ~20 min CPU)
     python benchmarks/certificate_table.py --n 3 --scheme trotter_dilation
     python benchmarks/certificate_table.py --n 5 --cases tfim   (the n = 5 averaged channel: > 30 min CPU)
     python benchmarks/certificate_table.py --gap --n 8 10      (the gap certificate, n > 5: minutes)
(from a worktree, ``PYTHONPATH=.`` makes ``kmsgibbs`` resolve to it).

``--gap``: ``S.gibbs_bound(t, rho0=ρ₀, gap=exact.gap(L))`` of the ``trotter_dilation`` sampler with a
light cone of radius ``--light-cone`` (default 2: windows of 5 qubits, whose quadrature term is a Choi
bound), TFIM β = 1. "exact" is ½‖e^{tL}ρ₀ − σ_β‖₁ of the ideal evolution (Krylov), the reference the
issue's acceptance uses: t* is the first time on the grid where it is ≤ 0.05. The circuits' own distance
is not simulated at these sizes; the certificate bounds it. Cost at n = 8 (2 cores shared, load ≈ 12):
the gap 1.5–7 min, the per-step bound 5 min, the exact evolution to t = 40 most of an hour.

Settings: the ``kmsgibbs verify`` defaults (TFIM chain, X and Z couplings, Gaussian bath s = 2,
Scandi–Alhambra form='kms', T = 1, α = 0.5, dt = 0.05, ε = 10⁻², the randomized scheme, ρ₀ = |0…0⟩),
at β = 1 (``tfim``), β = 2 (``tfim-beta2``) and on the Heisenberg chain (``heisenberg``); ``--scheme
trotter_dilation`` certifies the dilation scheme instead. "measured" is ½‖Φ^k ρ₀ − σ_β‖₁ with Φ the
exact (averaged) channel of the compiled circuits, the quantity the mean of the instances estimates;
at t = ∞ it is the fixed point of the cycle channel. ratio = certificate ÷ measured (the aim is ≤ 3).
Cost: n = 3 ~10 s per case (2 cores, unloaded); n = 4 ~5 min CPU per case, almost all of it the exact
averaged channel.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from kmsgibbs.cli import build_sampler, parse_args
from kmsgibbs.simulators.distances import trace_distance

CASES = {"tfim": ["--model", "tfim"], "tfim-beta2": ["--model", "tfim", "--beta", "2"], "heisenberg": ["--model", "heisenberg"]}
TIMES = (4.0, 8.0, 16.0, math.inf)


def measured(sampler, channel, rho0: np.ndarray, t: float) -> float:
    """½‖Φ^{t/dt}ρ₀ − σ‖₁, or the fixed point's distance for t = ∞."""
    gibbs = sampler.lindbladian.gibbs_state()
    d = rho0.shape[0]
    if t == math.inf:
        w, v = np.linalg.eig(channel(None))
        fixed = v[:, np.argmin(np.abs(w - 1))].reshape(d, d, order="F")
        return trace_distance(fixed / np.trace(fixed), gibbs)
    state = channel(sampler.num_steps(t)) @ rho0.reshape(-1, order="F")
    return trace_distance(state.reshape(d, d, order="F"), gibbs)


def row(case: str, n: int, scheme: str) -> list[str]:
    start = time.perf_counter()
    args = parse_args(["verify", "--n", str(n), *CASES[case]])
    sampler = build_sampler(args, scheme=scheme)
    if scheme == "randomized":
        channel = sampler.averaged_channel
    else:
        step = sampler.step_channel()
        channel = lambda k: step if k is None else np.linalg.matrix_power(step, k)  # noqa: E731
    rho0 = np.zeros((2**n, 2**n), dtype=complex)
    rho0[0, 0] = 1.0
    out = []
    for t in TIMES:
        bound = sampler.gibbs_bound(t, rho0=rho0)
        m = measured(sampler, channel, rho0, t)
        terms = " ".join(f"{k}={v:.2e}" for k, v in bound.terms.items() if k != "average_quadrature" or v > 1e-6)
        out.append(f"{case:>10s} {n:2d} {t:6g} {m:10.3e} {bound.total:10.3e} {bound.total / m:6.2f}  {terms}")
    out.append(f"{'':>10s}    {time.perf_counter() - start:.0f} s")
    return out


def gap_rows(n: int, light_cone: int) -> list[str]:
    """The gap certificate against the exact evolution's distance to Gibbs, TFIM β = 1, n > 5."""
    from kmsgibbs.simulators import exact

    start = time.perf_counter()
    args = parse_args(["verify", "--n", str(n), "--model", "tfim"])
    sampler = build_sampler(args, scheme="trotter_dilation", light_cone=light_cone)
    lind = sampler.lindbladian
    gap = exact.gap(lind)
    found = time.perf_counter()
    rho0 = np.zeros((2**n, 2**n), dtype=complex)
    rho0[0, 0] = 1.0
    grid = np.arange(0.0, 40.0 + 1e-9, 2.0)
    states = exact.evolve(lind, rho0, grid)
    ideal = [trace_distance(x, lind.gibbs_state()) for x in states]
    reached = next((float(t) for t, m in zip(grid, ideal) if m <= 0.05), math.inf)
    out = [f"# n = {n}, light cone r = {light_cone}: gap ≥ {min(a - b for a, b in gap.sectors) if gap.sectors else gap.gap - gap.residual:.4f} "
           f"({gap.method}), λ_min(σ) = {np.linalg.eigvalsh(lind.gibbs_state())[0]:.3g}, t* = {reached:g}"]
    for t in sorted({4.0, 8.0, 16.0, reached, math.inf}):
        bound = sampler.gibbs_bound(t, rho0=rho0, gap=gap)
        m = ideal[int(round(t / 2.0))] if t in grid else float("nan")
        terms = " ".join(f"{k}={v:.2e}" for k, v in bound.terms.items())
        out.append(f"{'tfim-gap':>10s} {n:2d} {t:6g} {m:10.3e} {bound.total:10.3e} {'':>6s}  {terms}")
    out.append(f"{'':>10s}    gap {found - start:.0f} s, total {time.perf_counter() - start:.0f} s; estimated: {', '.join(bound.estimated) or 'none'}")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, nargs="+", default=[3, 4])
    p.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    p.add_argument("--scheme", choices=("randomized", "trotter_dilation"), default="randomized")
    p.add_argument("--gap", action="store_true", help="the gap certificate (n > 5) against the exact evolution")
    p.add_argument("--light-cone", type=int, default=2, help="with --gap: the light-cone radius (default 2)")
    args = p.parse_args()
    print(f"{'case':>10s} {'n':>2s} {'t':>6s} {'measured':>10s} {'certif.':>10s} {'ratio':>6s}  terms")
    if args.gap:
        for n in args.n:
            for line in gap_rows(n, args.light_cone):
                print(line, flush=True)
        return
    for case in args.cases:
        for n in args.n:
            for line in row(case, n, args.scheme):
                print(line, flush=True)


if __name__ == "__main__":
    main()
