"""What ``design_sampler`` chooses and what it costs: CX to D from the exact averaged channel (n ≤ 5).

Run:  PYTHONPATH=. python benchmarks/design_table.py                    (TFIM n = 3, β = 1, 2, 4, D = 0.05, 0.02)
      PYTHONPATH=. python benchmarks/design_table.py --models tfim tfim_h heisenberg --n 3 4 --distances 0.1 0.05 0.02 0.01
      PYTHONPATH=. python benchmarks/design_table.py --betas 1 --distances 0.02 --aer 64     (+ gate-level check)

Models: ``tfim`` H = −ΣZZ − ΣX (X and Z couplings on every site), ``tfim_h`` the same with −0.5ΣZ,
``heisenberg`` the XXX chain (X, Y and Z couplings). CX counted after lowering to cx/rz/sx/x/reset
(all-to-all, optimization level 1) for one instance of the whole run, state preparation included.
Every number is the exact averaged channel's (the mean over infinitely many instances): the design's
method "exact". "floor" is the chosen averaged channel's fixed-point distance. Seconds are wall-clock
for the design call (on 2 shared cores).

``--aer K`` also runs K gate-level instances of the chosen circuits on Aer (density matrices, every
ancilla traced out) and prints the distance of their mean to e^{−βH}/Z (computed here with scipy) with
its 3σ allowance ½√d‖3·stderr‖_F: the promise holds when distance − allowance ≤ D.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # small dense channels: threads only oversubscribe the two cores

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy.linalg import expm  # noqa: E402

from kmsgibbs.compiler import design_sampler, models  # noqa: E402

MODELS = {
    "tfim": lambda n: (models.transverse_field_ising(n), models.single_site_couplings(n, "XZ")),
    "tfim_h": lambda n: (models.transverse_field_ising(n, h=0.5), models.single_site_couplings(n, "XZ")),
    "heisenberg": lambda n: (models.heisenberg(n), models.single_site_couplings(n, "XYZ")),
}


def aer_check(design, hamiltonian, beta: float, samples: int) -> str:
    """The mean of ``samples`` gate-level instances on Aer against an independently computed Gibbs state."""
    from kmsgibbs.simulators import aer

    if design.initial_state != "zero":
        return " (mixed start: not run) | |"
    start = time.perf_counter()
    run = aer.run_instances(design.sampler, [design.time], samples=samples, seed=1, fuse=False)
    sigma = expm(-beta * hamiltonian.to_matrix())
    sigma /= np.trace(sigma)
    mean, stderr = run.states[-1], run.state_stderr[-1]
    distance = 0.5 * float(np.abs(np.linalg.eigvalsh(mean - sigma)).sum())
    allowance = 0.5 * np.sqrt(sigma.shape[0]) * float(np.linalg.norm(3 * stderr))
    return f" {distance:.4f} ± {allowance:.4f} | {time.perf_counter() - start:.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tfim"], choices=sorted(MODELS))
    parser.add_argument("--n", nargs="+", type=int, default=[3])
    parser.add_argument("--betas", nargs="+", type=float, default=[1.0, 2.0, 4.0])
    parser.add_argument("--distances", nargs="+", type=float, default=[0.05, 0.02])
    parser.add_argument("--aer", type=int, default=0, metavar="K", help="gate-level Aer instances per design (0: none)")
    args = parser.parse_args()
    print("| model | n | β | D | CX | steps | dt | T | start | promised | floor | s |" + (" Aer mean ± 3σ | Aer s |" if args.aer else ""))
    print("|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if args.aer else ""))
    for name in args.models:
        for n in args.n:
            h, a = MODELS[name](n)
            for beta in args.betas:
                for distance in args.distances:
                    start = time.perf_counter()
                    try:
                        d = design_sampler(h, a, beta, distance)
                    except ValueError as exc:
                        print(f"| {name} | {n} | {beta:g} | {distance:g} | refused: {exc} | | | | | | |", flush=True)
                        continue
                    row = (
                        f"| {name} | {n} | {beta:g} | {distance:g} | {d.two_qubit_gates:.3g} | {d.steps} | "
                        f"{d.sampler.dt:.3g} | {d.sampler.form.average_deviation * 2**0.5:g} | {d.initial_state} | "
                        f"{d.predicted_distance:.4f} | {d.floor:.4f} | {time.perf_counter() - start:.0f} |"
                    )
                    if args.aer:
                        row += aer_check(d, h, beta, args.aer)
                    print(row, flush=True)


if __name__ == "__main__":
    main()
