"""Lever table (issue 23, "Cost to Gibbs"): shared frame sweeps, before → after, at the verify settings.

Run:  PYTHONPATH=. python benchmarks/shared_sweep_table.py            (n = 3; ~1 min on 2 shared cores)
      PYTHONPATH=. python benchmarks/shared_sweep_table.py --n 2 3
      PYTHONPATH=. python benchmarks/shared_sweep_table.py --fields-first   (H's fields listed first)

Model and measurement as in benchmarks/cost_table.py (its randomized row): TFIM chain, X and Z couplings on
every site, ``scandi_alhambra(H, couplings, GaussianBath(1.0, width=2.0), coarse_graining_time=1.0,
coupling=0.5)``, ``compile_sampler(L, dt=0.05, epsilon=1e-2, scheme="randomized", ...)``. CX per step: the
parametric ``circuit(r·dt)``, r = 1..C, transpiled (basis cx, rz, sx, x, reset; level 1; all-to-all),
the mean over a cycle of C steps; steps to D: the exact averaged step channels iterated on |0…0⟩ until
½‖ρ_k − σ_β‖₁ ≤ D; CX to D: the transpiled CX of those steps (whole cycles plus a prefix).

Rows:
  before         today's default: every dissipator its own palindromic sweep and reset (ancilla n);
  shared K       ``sweep_ancillas=K``: up to K dissipators in one sweep through one set of frame
                 segments, one ancilla each (qubits n..n+K−1), all reset after it;
  + one-way comm ``one_way_commutators=True`` as well: each coherent commutator from four one-way passes
                 instead of four palindromic sweeps (half its frame segments);
  + one-way sweep ``one_way_sweeps=True`` as well: the shared sweep one pass at the full angle, its
                 direction turned round every step (half its frame segments and rotations).
  + layered      ``layered_frames=True`` as well: every frame a product formula over H's commuting layers
                 (fields outside, bonds in the middle): 4 instead of 8 CX per frame segment, 4 instead of
                 ~6 per sampled-frame step (the ``kmsgibbs verify`` settings).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from qiskit.quantum_info import SparsePauliOp  # noqa: E402

from kmsgibbs.compiler import compile_sampler, scandi_alhambra  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cost_table import ALPHA, BATH, DT, EPSILON, T_CG, TARGETS, Row, converge, cx_count, model  # noqa: E402


def fields_first(h: SparsePauliOp) -> SparsePauliOp:
    """The same H with its one-qubit terms listed first: the frames' symmetric product formula then has the
    fields, not the ZZ bonds, as its outer half-steps (the bonds once per step where steps meet)."""
    order = sorted(range(len(h)), key=lambda i: sum(c != "I" for c in h.paulis[i].to_label()))
    return SparsePauliOp([h.paulis[i] for i in order], h.coeffs[order])


FIELDS_FIRST = False


def row(n: int, label: str, **options) -> Row:
    start = time.perf_counter()
    h, a, sigma = model(n)
    if FIELDS_FIRST:
        h = fields_first(h)
    lind = scandi_alhambra(h, a, BATH, coarse_graining_time=T_CG, coupling=ALPHA)
    sampler = compile_sampler(lind, dt=DT, epsilon=EPSILON, scheme="randomized", **options)
    conv = converge(sampler.averaged_step_channels(), sigma)
    prefix = [0] + [cx_count(sampler.circuit(r * sampler.dt)) for r in range(1, sampler.cycle + 1)]
    resets = sampler.circuit(sampler.dt).count_ops().get("reset", 0)
    # reset rounds: one after each sweep (all its ancillas at once) and one after each coherent term
    plan = sampler.plan
    rounds = sum(len(plan.sweeps(g)) for _, g in plan.groups()) + len(plan.coherent_group(0))
    settings = f"ancillas={sampler.num_ancillas} resets/step={resets} in {rounds} rounds, C={sampler.cycle}"
    return Row(label, settings, n, round(prefix[-1] / sampler.cycle), DT, conv, time.perf_counter() - start, prefix=prefix)


HEADER = ["lever", "settings", "n", "CX/step", *(f"steps→{D:g}" for D in TARGETS), *(f"CX→{D:g}" for D in TARGETS), "floor", "s"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[3], choices=[2, 3])
    parser.add_argument(
        "--fields-first", action="store_true",
        help="list H's one-qubit terms first (the frames' product formula ordering; not this lever, for the record)",
    )
    args = parser.parse_args(argv)
    global FIELDS_FIRST
    FIELDS_FIRST = args.fields_first
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for n in args.n:
        k = 2 * n  # X and Z on every site: 2n dissipators, all on one grid and one (whole-system) window
        rows = [
            row(n, "before"),
            row(n, f"shared K={k}", sweep_ancillas=k),
            row(n, f"shared K={k} + one-way comm", sweep_ancillas=k, one_way_commutators=True),
            row(n, f"shared K={k} + one-way comm + one-way sweep", sweep_ancillas=k, one_way_commutators=True, one_way_sweeps=True),
            row(n, f"shared K={k} + one-way comm + layered", sweep_ancillas=k, one_way_commutators=True, layered_frames=True),
            row(
                n, f"shared K={k} + one-way comm + one-way sweep + layered", sweep_ancillas=k, one_way_commutators=True,
                one_way_sweeps=True, layered_frames=True,
            ),
        ]
        for r in rows:
            cells = r.cells()
            # cost_table's cells: scheme, settings, n, CX/step, time/step, steps…, CX…, floor, s (drop time/step)
            print("| " + " | ".join(cells[:4] + cells[5:]) + " |", flush=True)
    print()
    print("CX/step: mean over a cycle of C steps (the steps apply different coherent terms); CX→D sums the")
    print("transpiled CX of the first k steps; steps/CX for the averaged state (the mean over instances);")
    print("floor = ½‖ρ_fp − σ_β‖₁ of the averaged cycle's fixed point.")


if __name__ == "__main__":
    main()
