"""Randomized instances on 1 and 2 local Dask workers: wall time and the speed-up (issue: scale-out).

Run:  PYTHONPATH=. python benchmarks/distributed_table.py              (TFIM n = 3, K = 16 instances, t = 0.5)
      PYTHONPATH=. python benchmarks/distributed_table.py --n 4 --samples 32 --time 1

The sampler: TFIM, X and Z couplings, β = 1, randomized scheme at dt = 0.05, ε = 1e-2. Each row runs the
same K instances (the same chunk seeds: 2 chunks) with ``simulators.distributed.run_instances``: in this
process, and on a LocalCluster of 1 and 2 single-threaded worker processes (cluster start-up excluded).
Timings are min/median/max over ``--repeats`` runs on this machine (2 cores: the ceiling is 2×).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra  # noqa: E402
from kmsgibbs.simulators import distributed  # noqa: E402


def timed(call, repeats: int) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--time", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    L = scandi_alhambra(models.transverse_field_ising(args.n), models.single_site_couplings(args.n, "XZ"),
                        baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5)
    S = compile_sampler(L, dt=0.05, epsilon=1e-2, scheme="randomized")
    times = [0.0, args.time]
    rows = []
    here, reference = timed(lambda: distributed.run_instances(S, times, samples=args.samples, seed=1, chunks=2),
                            args.repeats)
    rows.append(("this process (2 chunks, one after the other)", here))
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            distributed.run_instances(S, [0.0, S.dt], samples=2, seed=0, chunks=2, executor=client)  # warm the workers
            seconds, run = timed(lambda: distributed.run_instances(S, times, samples=args.samples, seed=1, chunks=2,
                                                                   executor=client), args.repeats)
        assert np.abs(run.states[-1] - reference.states[-1]).max() < 1e-12  # the same instances wherever they ran
        rows.append((f"LocalCluster, {workers} worker{'s' if workers > 1 else ''}", seconds))
    base = float(np.median(here))
    print(f"TFIM n={args.n}, K={args.samples} instances to t={args.time:g} ({S.num_steps(args.time)} steps), 2 chunks")
    print("| where | min s | median s | max s | speed-up (median) |")
    print("|---|---|---|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {min(seconds):.1f} | {np.median(seconds):.1f} | {max(seconds):.1f} | {base / np.median(seconds):.2f}× |")


if __name__ == "__main__":
    main()
