"""Gibbs references beyond exact diagonalisation (issue 25, item 2): agreement with ED and cost.

Run: python benchmarks/references_table.py               (free fermions n = 1 ... 12, TN at n = 10)
     python benchmarks/references_table.py --ed-max-n 8 --tn-n 8 --large 200   (a quick run)
(from a worktree, ``PYTHONPATH=.`` makes ``kmsgibbs`` resolve to it; on a machine shared with
other jobs ``OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1`` avoids thread stalls, up to 20x there).

Part 1: for each n, the largest |free fermions − dense ED| over energy per site, every ⟨Z_iZ_j⟩,
⟨X_i⟩, ⟨Z_i⟩ and log Z, over several (J, g, β) with β up to 4 and couplings of both signs, for the
open and the periodic (parity-projected) chain, with both wall times. Part 2: the purification
(quimb TEBD) against ED for an XXZ chain and a TFIM with a longitudinal field. Part 3: free-fermion
wall time at large n.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from kmsgibbs.compiler.physics.models import heisenberg, transverse_field_ising
from kmsgibbs.simulators.references import GibbsObservables, exact_gibbs, tfim_gibbs

CASES = [(1.0, 1.0, 4.0), (1.3, -0.7, 1.0), (-0.8, 0.45, 4.0), (-1.1, -2.0, 0.3)]


def max_diff(a: GibbsObservables, b: GibbsObservables) -> float:
    diffs = [
        abs(a.energy_per_site - b.energy_per_site),
        np.max(np.abs(a.zz_bonds - b.zz_bonds), initial=0.0),
        np.max(np.abs(a.x_sites - b.x_sites)),
        np.max(np.abs(a.z_sites - b.z_sites)),
    ]
    if a.log_partition is not None and b.log_partition is not None:
        diffs.append(abs(a.log_partition - b.log_partition))
    return float(max(diffs))


def free_fermion_rows(ed_max_n: int) -> None:
    print("n  chain     max|FF − ED|  FF s     ED s")
    for n in range(1, ed_max_n + 1):
        for periodic in (False, True):
            if periodic and n < 3:
                continue
            worst, t_ff, t_ed = 0.0, 0.0, 0.0
            for J, g, beta in CASES:
                t0 = time.perf_counter()
                ff = tfim_gibbs(n, beta, J=J, g=g, periodic=periodic)
                t1 = time.perf_counter()
                hamiltonian = transverse_field_ising(n, J=J, g=g, periodic=periodic)
                ed = exact_gibbs(hamiltonian, beta, periodic=periodic)
                t2 = time.perf_counter()
                worst, t_ff, t_ed = max(worst, max_diff(ff, ed)), t_ff + t1 - t0, t_ed + t2 - t1
            name = "periodic" if periodic else "open"
            print(f"{n:<2} {name:<9} {worst:.2e}      {t_ff:.4f}  {t_ed:.2f}", flush=True)


def tensor_network_rows(n: int) -> None:
    from kmsgibbs.simulators.purification import purification_gibbs

    models = [
        ("XXZ Δ=0.5, staggered X, Z field",
         heisenberg(n, anisotropy=0.5, field=(0.2 * (-1) ** np.arange(n), 0.0, 0.3)), 1.0),
        ("Heisenberg", heisenberg(n), 2.0),
        ("TFIM g=0.9, h=0.3", transverse_field_ising(n, J=1.0, g=0.9, h=0.3), 4.0),
    ]
    print(f"\npurification at n = {n}: model, β, dt, cutoff, max|TN − ED|, TN s")
    for name, hamiltonian, beta in models:
        ed = exact_gibbs(hamiltonian, beta)
        for dt, cutoff in ((0.1, 1e-10), (0.05, 1e-12)):
            t0 = time.perf_counter()
            tn = purification_gibbs(hamiltonian, beta, dt=dt, cutoff=cutoff)
            t1 = time.perf_counter()
            row = f"{name:<34} {beta:<4} {dt:<5} {cutoff:.0e} {max_diff(tn, ed):.2e}  {t1 - t0:.1f}"
            print(row, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ed-max-n", type=int, default=12)
    parser.add_argument("--tn-n", type=int, default=10, help="0 skips the tensor-network part")
    parser.add_argument("--large", type=int, nargs="*", default=[100, 1000])
    args = parser.parse_args()
    free_fermion_rows(args.ed_max_n)
    if args.tn_n:
        tensor_network_rows(args.tn_n)
    for n in args.large:
        t0 = time.perf_counter()
        r = tfim_gibbs(n, 4.0, periodic=True)
        seconds = time.perf_counter() - t0
        print(f"\nfree fermions, periodic n = {n}, β = 4: {seconds:.2f} s, {r.as_dict()}")


if __name__ == "__main__":
    main()
