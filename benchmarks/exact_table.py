"""The exact engine against QuTiP 5 on one generator (issue 16's table), and its apply levers.

Run: python benchmarks/exact_table.py                      (n = 4 ... 10; QuTiP up to n = 6)
     python benchmarks/exact_table.py --n 4 5 6 --levers 6   (a quick run)
(from a worktree, ``PYTHONPATH=.`` makes ``kmsgibbs`` resolve to it; on a machine shared with other
jobs ``OPENBLAS_NUM_THREADS=1`` avoids OpenBLAS's thread stalls, which cost up to 10x there).

Model: TFIM chain (J = g = 1), couplings X, Y, Z on every site, Gaussian bath (s = κ = 1) at β = 1,
Scandi–Alhambra form='kms' with T = 1, α = 1 (``--family`` picks another). For every n it prints:
setup (diagonalisation, kernel factorisation, K), our spectral gap (Lanczos on the KMS-symmetrised
generator split into the sectors of the Z₂ string and the chain reflection, with its residual and
number of generator products; its time includes building the sector stacks), our steady state (the Gibbs state,
checked by one product), our evolution of |0…0⟩ to t (Lanczos exponential), each with its wall time and
peak traced memory; then QuTiP's steadystate and mesolve on the identical generator (our dense
superoperator as a ``Qobj`` super with dims) with the agreement max|ρ_ours − ρ_QuTiP|, and the
dense LAPACK gap where it fits (``--dense-max-n``). Peak memory is tracemalloc's (NumPy's buffers;
LAPACK's workspaces are not traced). The last column is the 1-minute load average when the row
was printed (the machine may be shared). ``--levers n`` times one application of the transition
part T, one lever at a time; ``--gap-levers n`` times the Lanczos gap with and without its warm
start (products in units of one full product on the whole space).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from kmsgibbs.compiler import Lindbladian, baths, ckg, davies, dll, models, scandi_alhambra
from kmsgibbs.compiler.kernels import FactorisedTransition, KernelFactor
from kmsgibbs.simulators import exact, krylov
from kmsgibbs.simulators.sectors import symmetry_sectors

BETA = 1.0


def build(family: str, n: int) -> Lindbladian:
    """The benchmark generator of ``family`` on the n-site TFIM chain."""
    H, A = models.transverse_field_ising(n), models.single_site_couplings(n, "XYZ")
    bath = baths.GaussianBath(BETA)
    if family == "kms":
        return scandi_alhambra(H, A, bath, coarse_graining_time=1.0)
    if family == "coarse_grained":
        return scandi_alhambra(H, A, bath, coarse_graining_time=1.0, form="coarse_grained")
    if family == "davies":
        return davies(H, A, bath)
    if family == "ckg":
        return ckg(H, A, BETA)
    return dll(H, A, BETA)


def measured(func: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, peak GiB traced) of one call."""
    tracemalloc.start()
    start = time.perf_counter()
    out = func()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1024**3
    tracemalloc.stop()
    return out, seconds, peak


def ground(d: int) -> np.ndarray:
    rho = np.zeros((d, d), dtype=complex)
    rho[0, 0] = 1.0
    return rho


def table(args: argparse.Namespace) -> None:
    print(
        f"{'n':>2s} {'setup s':>8s} {'gap':>10s} {'residual':>9s} {'prod':>5s} {'gap s':>8s} {'GiB':>5s} "
        f"{'ss s':>6s} {'evol s':>8s} {'GiB':>5s} {'rank':>5s} | {'qt ss s':>8s} {'qt me s':>8s} "
        f"{'Δss':>8s} {'Δρ(t)':>8s} {'ours÷qt':>8s} | {'dense gap Δ':>11s} {'load':>5s}"
    )
    for n in args.n:
        L = build(args.family, n)
        d = L.dim
        _, setup, _ = measured(lambda: (L.basis, L.decay_energy, L.kms_symmetry_defect()))
        gap, gap_s, gap_mem = measured(lambda: exact.gap(L, method="auto" if n >= exact.MATRIX_FREE_QUBITS else "krylov"))
        ss, ss_s, _ = measured(lambda: exact.steady_state(L, method="auto" if n >= exact.MATRIX_FREE_QUBITS else "matrix_free"))
        rho_t, ev_s, ev_mem = measured(
            lambda: exact.evolve(L, ground(d), [args.time], method="krylov" if gap.method == "lanczos" else "matrix_free")[0]
        )
        rank = L.kernel.factorise(L.basis, frame=BETA / 4).rank if hasattr(L.kernel, "sqrt_density") or hasattr(L.kernel, "sigma") else 0
        row = (
            f"{n:2d} {setup:8.2f} {gap.gap:10.6f} {gap.residual:9.1e} {gap.applies:5.1f} {gap_s:8.2f} {gap_mem:5.2f} "
            f"{ss_s:6.2f} {ev_s:8.2f} {ev_mem:5.2f} {rank:5d} |"
        )
        if n <= args.qutip_max_n:
            import qutip

            sup = qutip.Qobj(L.superoperator(), dims=[[[d], [d]], [[d], [d]]], superrep="super")
            qss, qss_s, _ = measured(lambda: qutip.steadystate(sup))
            res, qme_s, _ = measured(
                lambda: qutip.mesolve(sup, qutip.Qobj(ground(d)), [0.0, args.time], options={"atol": 1e-12, "rtol": 1e-10})
            )
            dss = np.abs(qss.full() - ss).max()
            drho = np.abs(res.states[-1].full() - rho_t).max()
            speed = (qss_s + qme_s) / (ss_s + ev_s)
            row += f" {qss_s:8.2f} {qme_s:8.2f} {dss:8.1e} {drho:8.1e} {speed:8.1f} |"
        else:
            row += f" {'-':>8s} {'-':>8s} {'-':>8s} {'-':>8s} {'-':>8s} |"
        if n <= args.dense_max_n:
            row += f" {abs(exact.gap(L, method='dense').gap - gap.gap):11.1e}"
        else:
            row += f" {'-':>11s}"
        print(f"{row} {os.getloadavg()[0]:5.2f}", flush=True)


def _nodes_factor(L: Lindbladian) -> KernelFactor:
    """The uncompressed quadrature nodes as a (complex) factor: f_j = √w_j F_j."""
    freqs, index = np.unique(L.basis.bohr, return_inverse=True)
    w, values = L.kernel.node_values(freqs, spread=L.basis.spread)
    return KernelFactor(0.0, freqs, index.reshape(L.basis.bohr.shape), np.sqrt(w)[:, None] * values.astype(complex), 1.0, 0.0, 0.0, len(w))


def levers(family: str, n: int) -> None:
    """One application of T, one lever at a time, and its distance to the node-by-node reference."""
    L = build(family, n)
    abar = L.couplings_energy
    x = np.random.default_rng(1).standard_normal((L.dim, L.dim))
    x = x + x.T + 1j * (x - x.T)
    nodes = _nodes_factor(L)
    factor = L.kernel.factorise(L.basis)

    def node_by_node() -> np.ndarray:
        out = np.zeros_like(x)
        for r in range(nodes.rank):
            jumps = nodes.filter(r) * abar
            out += np.sum(jumps @ x @ jumps.conj().transpose(0, 2, 1), axis=0)
        return out

    ref, base, _ = measured(node_by_node)
    print(f"levers, {family} n = {n}: {nodes.rank} nodes, rank {factor.rank}, {len(abar)} couplings")
    print(f"  {'node by node, 2 complex products per (node, coupling)':<62s} {base:8.2f} s  ×1.0")
    complex_factor = KernelFactor(
        factor.frame, factor.frequencies, factor.index, factor.values.astype(complex), factor.scale, factor.bound,
        factor.sampled_error, factor.nodes,
    )
    steps = [
        ("+ batched: two large GEMMs per chunk (all nodes)", FactorisedTransition(nodes, abar)),
        ("+ low-rank kernel on the Bohr frequencies", FactorisedTransition(complex_factor, abar)),
        ("+ real arithmetic (real H, real/imaginary couplings)", FactorisedTransition(factor, abar)),
    ]
    for label, transition in steps:
        transition(x)  # build and keep the jump stack
        got, seconds, _ = measured(lambda: transition(x))
        err = np.abs(got - ref).max() / np.abs(ref).max()
        print(f"  {label:<62s} {seconds:8.2f} s  ×{base / seconds:.1f}  (rel. diff {err:.1e})")
    if L.symmetry is None:
        return
    sectored = FactorisedTransition(factor, abar, sectors=L.basis.sectors, parities=L.symmetry[1])
    index = [np.flatnonzero(L.basis.sectors == a) for a in (0, 1)]
    layout = [(odd, [(0, 1), (1, 0)] if odd else [(0, 0), (1, 1)]) for odd in (False, True)]

    def by_sectors() -> np.ndarray:
        out = np.zeros_like(x)
        for odd, keys in layout:
            cells = [np.ix_(index[a], index[b]) for a, b in keys]
            for cell, block in zip(cells, sectored.group_apply(tuple(x[c] for c in cells), parity=int(odd))):
                out[cell] = block
        return out

    by_sectors()  # build and keep the block stacks
    got, seconds, _ = measured(by_sectors)
    err = np.abs(got - ref).max() / np.abs(ref).max()
    label = f"+ Z2 sectors of {L.symmetry[0].paulis[0]} (both, half-size products)"
    print(f"  {label:<62s} {seconds:8.2f} s  ×{base / seconds:.1f}  (rel. diff {err:.1e})")
    group = symmetry_sectors(L)
    if group is None or "reflection" not in group.generators:
        return
    # the same T in the reflection-adapted basis and couplings (A_k ± A_R(k))/√2
    mirrored = FactorisedTransition(factor, group.transition.abar, sectors=group.labels, parities=group.transition.parities)

    def by_group() -> np.ndarray:
        out = np.zeros_like(x)
        for p in range(group.order):
            blocks = mirrored.group_apply(tuple(group.split(group.gather(x, p), p)), parity=p)
            out += group.scatter(np.concatenate([b.ravel() for b in blocks]), p)
        return out

    by_group()  # build and keep the block stacks
    got, seconds, _ = measured(by_group)
    err = np.abs(got - ref).max() / np.abs(ref).max()
    label = "+ chain reflection (Z2 × R: four parities, quarter-size blocks)"
    print(f"  {label:<62s} {seconds:8.2f} s  ×{base / seconds:.1f}  (rel. diff {err:.1e})")


def gap_levers(family: str, n: int) -> None:
    """The Lanczos gap with each sector warm-started on the truncated kernel (single precision where it fits), and without."""
    for warm in (False, True):
        L = build(family, n)
        _, setup, _ = measured(lambda: (L.basis, L.decay_energy, L.kms_symmetry_defect(), symmetry_sectors(L)))
        gap, seconds, _ = measured(lambda: krylov.lanczos_gap(L, warm_start=warm))
        sectors = symmetry_sectors(L)
        precision = "single" if sectors.single else "double"
        rank = f"rank {sectors.warm_rank} in {precision} precision, then {sectors.transition.factor.rank}" if warm else "full rank"
        print(
            f"gap levers, {family} n = {n}, warm start {warm!s:5s} ({rank}): gap {gap.gap:.12f} residual "
            f"{gap.residual:.1e}, {gap.applies:.1f} products, {seconds:.1f} s (+ {setup:.1f} s setup), load {os.getloadavg()[0]:.2f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=list(range(4, 11)), help="chain lengths")
    parser.add_argument("--family", default="kms", choices=["kms", "coarse_grained", "davies", "ckg", "dll"])
    parser.add_argument("--time", type=float, default=8.0, help="evolution time t")
    parser.add_argument("--qutip-max-n", type=int, default=6, help="largest n run through QuTiP")
    parser.add_argument("--dense-max-n", type=int, default=5, help="largest n with a dense LAPACK gap")
    parser.add_argument("--levers", type=int, nargs="*", default=[], help="n at which to time the apply levers")
    parser.add_argument("--gap-levers", type=int, nargs="*", default=[], help="n at which to time the gap's warm start")
    parser.add_argument("--no-table", action="store_true", help="only the lever timings")
    args = parser.parse_args()
    if not args.no_table:
        table(args)
    for n in args.levers:
        levers(args.family, n)
    for n in args.gap_levers:
        gap_levers(args.family, n)


if __name__ == "__main__":
    main()
