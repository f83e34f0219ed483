"""Aer verification runs (issue #4's table): n, method, wall time, final distance to Gibbs, bound.

Run: python benchmarks/verify_table.py [--quick]
Scandi–Alhambra form='kms', Gaussian bath (s = 2), β = 1, T = 1, α = 0.5, couplings X, Z per site,
dt = 0.05, ε = 1e-2, from |0…0⟩ to t = 8 (snapshots at 0, 4, 8); trajectories use 200 shots.
"""

import sys
import time

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.simulators import verify


def sampler(n: int, model: str):
    if model == "tfim":
        H = models.transverse_field_ising(n)
    else:
        H = models.heisenberg(n, field=(0.4, 0.0, [0.3 * (-1) ** i for i in range(n)]))
    L = scandi_alhambra(
        H, models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5
    )
    return compile_sampler(L, dt=0.05, epsilon=1e-2)


def main() -> None:
    quick = "--quick" in sys.argv
    cases = [("tfim", 3, "density_matrix"), ("heisenberg", 3, "density_matrix"), ("tfim", 3, "statevector")]
    if not quick:
        cases += [("tfim", 4, "density_matrix"), ("heisenberg", 4, "density_matrix"), ("tfim", 5, "density_matrix")]
    print(f"{'model':>10s} {'n':>3s} {'method':>15s} {'seconds':>8s} {'d(circ,Gibbs)':>14s} {'d(exact,Gibbs)':>15s} {'d(circ,exact)':>14s} {'bound':>9s} {'verdict':>8s}")
    for model, n, method in cases:
        start = time.perf_counter()
        report = verify(
            sampler(n, model), [0.0, 4.0, 8.0], method=method, seed=7, shots=200 if method == "statevector" else None
        )
        seconds = time.perf_counter() - start
        print(
            f"{model:>10s} {n:3d} {method:>15s} {seconds:8.1f} {report.distance_to_gibbs[-1]:14.3e} "
            f"{report.exact_distance_to_gibbs[-1]:15.3e} {report.distance_to_exact[-1]:14.3e} "
            f"{report.error_bound[-1]:9.3e} {'PASS' if report.passed else 'FAIL':>8s}",
            flush=True,
        )


if __name__ == "__main__":
    main()
