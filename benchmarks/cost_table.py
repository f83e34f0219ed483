"""Cost table (issue #14, item 7): two-qubit gates to bring |0…0⟩ within D of the Gibbs state, per scheme.

Run:  PYTHONPATH=. python benchmarks/cost_table.py            (n = 3 and 4; several minutes on 2 shared cores)
      PYTHONPATH=. python benchmarks/cost_table.py --quick    (bath emulation at n = 3 only, no hand-set rows)
      PYTHONPATH=. python benchmarks/cost_table.py --peer-only (only the peer reset rows and the β = 2, 4 table)
      PYTHONPATH=. python benchmarks/cost_table.py --n 3

Model (the ``kmsgibbs verify`` one): TFIM chain H = −Σ Z_iZ_{i+1} − Σ X_i, couplings X and Z on every site,
β = 1, Gaussian bath (width 2), Scandi–Alhambra with coarse-graining time T = 1 and coupling α = 0.5.
Target σ_β = e^{−βH}/Z; distance ½‖ρ − σ_β‖₁; D ∈ {0.1, 0.05, 0.02, 0.01}.

Schemes (every number below is computed by this script):
  dilation     ``compile_sampler(L_kms, dt=0.05, epsilon=ε)``, ε = 1e-2 and 1e-3; the exact one-step system
               channel ``step_channel()`` iterated on |0…0⟩; CX per step from ``resources()`` (the same
               transpilation, per light-cone block). The frames' product formula is the compiler's choice
               for ε (order p, m steps per grid unit, and its frame floor: the Gibbs state of the frames'
               effective Hamiltonian against σ_β); "hand-set" rows use the old default, h = the grid unit
               with p = 2 (randomized: sampled frames at 2h), to show the floor the choice removes.
  randomized   ``compile_sampler(L_kms, dt=0.05, epsilon=ε, scheme="randomized")``; the exact averaged
               channels of the C steps of a cycle (``averaged_step_channels()``, step j applies channel
               j mod C); CX by transpiling the parametric ``circuit(r·dt)``, r = 1..C, with parameters
               unbound (CX/step shown = the cycle's mean).
  bath emul.   ``compile_sampler(L_cg, dt=0.08, scheme="bath_emulation")`` on the form="coarse_grained"
               generator (same bath and T; α = 0.5 and 0.25; dt = 0.08 is below its Nyquist limit 0.090
               for this bath); the averaged cycle channel ``averaged_channel()`` (Trotter mode: the channel
               of the circuits that run); CX per cycle from ``cycle_circuit(1.0, excited=False, operator=k)``,
               the larger of k = 0, 1 (X and Z coupling).
  peer reset   the single-bath-qubit reset (collision) scheme of github.com/Roland-Farrell/
               dissipative_Gibbs_sampling (arXiv:2508.05703, 2605.26245) as its thermal_prep.py runs it,
               re-implemented in benchmarks/reset_scheme.py (see its docstring): ZZ layer once per Trotter
               step, envelope δΣg² = 1 (flat: α/√t_tot), ω ~ U[0, max(4g, 4)] = U[0, 4], O drawn from X, Y, Z
               on every site (the peer's operators, not the table's X, Z), bath prepared at β unless β_B says
               otherwise; averaged cycle channel by quadrature over ω; CX per cycle = 6M+2 (n = 3), 8M+2
               (n = 4). Rows: the README's published point (chosen for 2×2 kagome at β = 100: labelled so);
               the best points of ``python benchmarks/reset_scheme.py`` (n = 3, β = 1, tuned against the
               exact Gibbs state: β_B up to 6β, relative envelope widths 0.2–0.35, α, t_tot, M), and its
               best points with the bath at β (the knobs the peer's code has); the untuned
               form (bath at β, long envelope t_tot = 8). A second table carries the β = 1-tuned settings to
               β = 2 and 4 (β_B/β kept) next to the untuned form at those β.

Counting: CX after ``transpile(..., basis_gates=["cx","rz","sx","x","reset"], optimization_level=1)``,
all-to-all connectivity (no routing). "steps to D": the first k with ½‖Φ^k(|0…0⟩⟨0…0|) − σ_β‖₁ ≤ D, where
Φ is the exact (averaged) channel of one step / cycle; "CX to D" = the CX of those steps (state
preparation excluded). A randomized scheme's numbers are for its averaged state (the mean over circuit instances),
not for one instance. "floor" = ½‖ρ_fp − σ_β‖₁ for the channel's fixed point ρ_fp: D < floor is never
reached ("—").
"""

from __future__ import annotations

import os

# One BLAS thread: the dense channels here are small (≤ 256 × 256) and the machine's two cores are shared;
# threaded BLAS oversubscribed them (the n = 4 randomized row took 870 s threaded, ~150 s with one thread).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from qiskit import QuantumCircuit, transpile  # noqa: E402
from scipy.linalg import expm  # noqa: E402

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reset_scheme  # noqa: E402
from reset_scheme import (  # noqa: E402
    PUBLISHED, PUBLISHED_LABEL, TUNED, TUNED_BATH_AT_BETA, UNTUNED,
    ResetScheme, ResetSchemeSettings, tfim,
)
from convergence import MAX_STEPS, TARGETS, Convergence, converge, trace_distances  # noqa: E402,F401

BASIS = ["cx", "rz", "sx", "x", "reset"]
BETA = 1.0
BATH = baths.GaussianBath(BETA, width=2.0)
T_CG, ALPHA = 1.0, 0.5
DT, EPSILON = 0.05, 1e-2
BATH_EMULATION_DT = 0.08
BATH_EMULATION_ALPHAS = (ALPHA, 0.25)


def cx_count(circuit: QuantumCircuit) -> int:
    return int(transpile(circuit, basis_gates=BASIS, optimization_level=1).count_ops().get("cx", 0))


@dataclass
class Row:
    scheme: str
    settings: str
    n: int
    cx_per_step: int | None
    step_time: float | None
    conv: Convergence | None
    seconds: float
    note: str = ""
    #: CX of the first r steps of a cycle, r = 0..C (C = len − 1), when the steps of a cycle differ; the
    #: first k steps then cost (k // C)·prefix[C] + prefix[k % C]. Default: k × cx_per_step.
    prefix: list[int] | None = None

    def cx_of_steps(self, k: int) -> int:
        if self.prefix is None:
            return k * self.cx_per_step
        c = len(self.prefix) - 1
        return (k // c) * self.prefix[c] + self.prefix[k % c]

    def cells(self) -> list[str]:
        def steps_cell(D: float) -> str:
            if self.conv is None:
                return "n/a"
            s = self.conv.steps[D]
            if s is not None:
                return str(s)
            return "—" if D <= self.conv.floor else f">{MAX_STEPS}"

        def cx_cell(D: float) -> str:
            if self.conv is None or self.cx_per_step is None:
                return "n/a"
            s = self.conv.steps[D]
            if s is None:
                return steps_cell(D)
            return f"{self.cx_of_steps(s):.3g}"

        return [
            self.scheme,
            self.settings,
            str(self.n),
            "n/a" if self.cx_per_step is None else str(self.cx_per_step),
            "n/a" if self.step_time is None else f"{self.step_time:g}",
            *(steps_cell(D) for D in TARGETS),
            *(cx_cell(D) for D in TARGETS),
            "n/a" if self.conv is None else f"{self.conv.floor:.4f}",
            f"{self.seconds:.0f}",
        ]


HEADER = (
    ["scheme", "settings", "n", "CX/step", "time/step"]
    + [f"steps→{D:g}" for D in TARGETS]
    + [f"CX→{D:g}" for D in TARGETS]
    + ["floor", "s"]
)


def model(n: int):
    h = models.from_edges(n, models.chain_edges(n), couplings={"ZZ": -1.0}, fields={"X": -1.0})
    couplings = models.single_site_couplings(n, "XZ")
    gibbs = expm(-BETA * h.to_matrix())
    return h, couplings, gibbs / np.trace(gibbs).real


#: The accuracies of the dilation and randomized rows: the verify one, and the compiler's default.
EPSILONS = (EPSILON, 1e-3)


def frames_label(sampler) -> str:
    """How the frames were built: the chosen order p and steps per grid unit m, or hand-set h."""
    c = sampler.frames.choice
    if c is None:
        return f"hand-set h={sampler.frames.trotter_step:g} p={sampler.frames.order}"
    return f"p={c.order} m={c.steps_per_unit} (frame floor {c.floor:.1e})"


def dilation_row(n: int, epsilon: float = EPSILON, hand_set: bool = False) -> Row:
    """``hand_set``: the old default, h = the grid unit with a second-order formula, for comparison."""
    start = time.perf_counter()
    h, a, sigma = model(n)
    lind = scandi_alhambra(h, a, BATH, coarse_graining_time=T_CG, coupling=ALPHA)
    sampler = compile_sampler(lind, dt=DT, epsilon=epsilon)
    if hand_set:
        sampler = compile_sampler(lind, dt=DT, epsilon=epsilon, trotter_step=sampler.form.trotter_step, trotter_order=2)
    conv = converge(sampler.step_channel(), sigma)
    cx = sampler.resources().two_qubit_gates_per_step
    return Row("dilation", f"dt={DT:g} ε={epsilon:g} {frames_label(sampler)}", n, cx, DT, conv, time.perf_counter() - start)


def randomized_row(n: int, epsilon: float = EPSILON, hand_set: bool = False) -> Row:
    start = time.perf_counter()
    h, a, sigma = model(n)
    lind = scandi_alhambra(h, a, BATH, coarse_graining_time=T_CG, coupling=ALPHA)
    sampler = compile_sampler(lind, dt=DT, epsilon=epsilon, scheme="randomized")
    if hand_set:
        sampler = compile_sampler(
            lind, dt=DT, epsilon=epsilon, scheme="randomized", trotter_step=sampler.form.trotter_step, trotter_order=2,
            frame_step=2 * sampler.form.trotter_step,
        )
    # the C steps of a cycle apply different coherent terms: their channels and circuits differ
    conv = converge(sampler.averaged_step_channels(), sigma)
    # parameters unbound: the structure every instance shares; prefix[r] = CX of the first r steps
    prefix = [0] + [cx_count(sampler.circuit(r * sampler.dt)) for r in range(1, sampler.cycle + 1)]
    return Row("randomized", f"dt={DT:g} ε={epsilon:g} C={sampler.cycle} {frames_label(sampler)}", n,
               round(prefix[-1] / sampler.cycle), DT, conv, time.perf_counter() - start, prefix=prefix)


def bath_emulation_row(n: int, alpha: float = ALPHA) -> Row:
    start = time.perf_counter()
    h, a, sigma = model(n)
    lind = scandi_alhambra(h, a, BATH, coarse_graining_time=T_CG, coupling=alpha, form="coarse_grained")
    sampler = compile_sampler(lind, dt=BATH_EMULATION_DT, scheme="bath_emulation")
    conv = converge(sampler.averaged_channel(), sigma)
    # every cycle has the same structure (ω enters one rz per step, the operator one rotation); operator 0 is X_0
    cx = max(cx_count(sampler.cycle_circuit(1.0, excited=False, operator=k)) for k in (0, 1))
    return Row(
        "bath emul.",
        f"α={alpha:g} T={T_CG:g} δ={BATH_EMULATION_DT:g} t_c={sampler.cycle_time:g}",
        n, cx, sampler.cycle_time, conv, time.perf_counter() - start,
    )


def reset_row(n: int, settings: ResetSchemeSettings, label: str, beta: float = BETA) -> Row:
    """One peer row: its averaged cycle channel iterated on |0…0⟩ against the exact Gibbs state at β."""
    start = time.perf_counter()
    scheme = ResetScheme(tfim(n), beta, settings)
    gibbs = expm(-beta * scheme.model.hamiltonian().to_matrix())
    conv = converge(scheme.averaged_channel(), gibbs / np.trace(gibbs).real)
    return Row(f"peer reset ({label})", f"{settings.label()} ωmax={scheme.max_frequency:g}",
               n, scheme.cx_per_cycle(), scheme.cycle_time, conv, time.perf_counter() - start)


def peer_rows(n: int) -> list[Row]:
    rows = [reset_row(n, PUBLISHED, PUBLISHED_LABEL)]
    by_settings: dict[ResetSchemeSettings, list[str]] = {}
    for D, s in TUNED.items():
        by_settings.setdefault(s, []).append(f"{D:g}")
    for s, ds in by_settings.items():
        rows.append(reset_row(n, s, f"tuned vs exact Gibbs at n=3 β=1, best for D={', '.join(ds)}"))
    for D, s in TUNED_BATH_AT_BETA.items():
        rows.append(reset_row(n, s, f"tuned vs exact Gibbs at n=3 β=1 with βB=β (the peer's knobs), best for D={D:g}"))
    for label, s in UNTUNED.items():
        rows.append(reset_row(n, s, f"untuned: βB=β, long envelope, {label}"))
    return rows


#: β of the carry-over table.
CARRY_BETAS = (2.0, 4.0)


def carry_over_rows(n: int) -> list[Row]:
    """The β = 1-tuned settings at β = 2, 4 (β_B/β kept as tuned), and the untuned form at those β."""
    rows = []
    seen = []
    for s in [*TUNED.values(), *TUNED_BATH_AT_BETA.values()]:
        if s not in seen:
            seen.append(s)
    for beta in CARRY_BETAS:
        for s in seen:
            factor = (s.bath_beta or BETA) / BETA
            carried = replace(s, bath_beta=factor * beta)
            rows.append(reset_row(n, carried, f"β={beta:g}, β=1-tuned, βB={factor:g}β", beta))
        for label, s in UNTUNED.items():
            rows.append(reset_row(n, s, f"β={beta:g}, untuned, {label}", beta))
    return rows


def progress(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def print_table(rows: list[Row]) -> None:
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for r in rows:
        print("| " + " | ".join(r.cells()) + " |", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[3, 4], choices=[3, 4], help="chain lengths (default 3 4)")
    parser.add_argument("--quick", action="store_true", help="bath emulation only at n = 3, no hand-set rows")
    parser.add_argument("--peer-only", action="store_true", help="only the peer reset rows and the β = 2, 4 table")
    args = parser.parse_args(argv)
    wall = time.perf_counter()
    rows: list[Row] = []
    notes: list[str] = []

    for n in args.n:
        if not args.peer_only:
            for make in (dilation_row, randomized_row):
                for epsilon in EPSILONS:
                    rows.append(make(n, epsilon))
                    progress(f"{rows[-1].scheme} n={n} ε={epsilon:g}: {rows[-1].seconds:.0f} s")
                if not args.quick:  # the old default at the finer accuracy: its frames set the floor
                    rows.append(make(n, EPSILONS[-1], hand_set=True))
                    progress(f"{rows[-1].scheme} n={n} hand-set: {rows[-1].seconds:.0f} s")
            if n == 3 or not args.quick:
                # the verify coupling, and a weaker one: the floor falls ~α², the mixing slows ~1/α²
                for alpha in (ALPHA,) if args.quick else BATH_EMULATION_ALPHAS:
                    rows.append(bath_emulation_row(n, alpha))
                    progress(f"bath emulation n={n} α={alpha:g}: {rows[-1].seconds:.0f} s")
            else:
                notes.append(f"bath emulation at n = {n} not run with --quick (its averaged channel takes ~2 min at n = 4)")
        rows.extend(peer_rows(n))
        progress(f"peer reset n={n}: done")

    print_table(rows)
    carry = [r for n in args.n for r in carry_over_rows(n)]
    progress("peer reset at β = 2, 4: done")
    print()
    print("Peer reset at β = 2, 4 (same TFIM, target σ_β at that β; β = 1-tuned settings with β_B/β kept):")
    print()
    print_table(carry)
    for r in rows + carry:
        if r.note:
            notes.append(f"{r.scheme} n={r.n}: {r.note}")
        if r.conv is not None and r.conv.capped:
            notes.append(f"{r.scheme} n={r.n}: a target above the floor was not reached within {MAX_STEPS} steps")
    print()
    print("Legend: CX after transpile(basis cx/rz/sx/x/reset, optimization_level=1), all-to-all connectivity;")
    print("time/step = evolution time per step (dilation, randomized) or per cycle (bath emulation: t_c;")
    print("peer reset: t_tot); steps→D = first step/cycle count with ½‖ρ_k − σ_β‖₁ ≤ D from |0…0⟩, ρ_k from the")
    print("exact (averaged) channel; CX→D = the CX of those steps; floor = distance of the channel's fixed point to")
    print("σ_β; '—' = D below the floor (never reached); 'n/a' = not computed (see notes); s = seconds for the row.")
    print("randomized: CX/step = the mean over a cycle of C steps (the steps apply different coherent terms);")
    print("CX→D sums the transpiled CX of the first k steps exactly (whole cycles plus a transpiled prefix).")
    print("peer reset: benchmarks/reset_scheme.py, the cycle of github.com/Roland-Farrell/dissipative_Gibbs_sampling")
    print("thermal_prep.py (arXiv:2508.05703, 2605.26245): ZZ once per Trotter step, envelope δΣg² = 1 ('flat' = the")
    print("peer's default σ = 100, coupling α/√t_tot; σ = relative Gaussian width), ω ~ U[0, 4], O ∈ {X, Y, Z} on every")
    print("site, bath at β unless βB says otherwise; CX/cycle = 6M+2 (n = 3), 8M+2 (n = 4). 'published' = the")
    print("README's example point, chosen for the 2×2 kagome Ising model at β = 100 (not for this model); 'tuned' =")
    grid = len(reset_scheme.scan_grid()) * len(reset_scheme.SCAN_BATH_FACTORS)
    print(f"best of the scan `PYTHONPATH=. python benchmarks/reset_scheme.py` (n = 3, β = 1, {grid:,} points:")
    print(f"α ∈ {list(reset_scheme.SCAN_ALPHAS)}, t_tot ∈ {list(reset_scheme.SCAN_TIMES)}, M ∈ "
          f"{list(reset_scheme.SCAN_STEPS)}, σ ∈ {list(reset_scheme.SCAN_SIGMAS)}, βB/β ∈ {list(reset_scheme.SCAN_BATH_FACTORS)}),")
    print("judged against the exact Gibbs state (possible only for small n: tuning, not a protocol); 'untuned' = bath")
    print("at the target β and a long envelope (t_tot = 8, M = 64); α = 0.2 is the weak-coupling choice, the other")
    print("untuned row the best α at that t_tot (α is tuned there).")
    for note in notes:
        print(f"Note: {note}")
    print(f"Total {time.perf_counter() - wall:.0f} s.")


if __name__ == "__main__":
    main()
