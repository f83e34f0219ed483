"""Low-temperature lever (issue 23): a fixed-width Gaussian bath against ``GaussianBath.for_beta``.

Run:  PYTHONPATH=. python benchmarks/lowtemp_table.py                 (both tables; ~2 min on 2 shared cores)
      PYTHONPATH=. python benchmarks/lowtemp_table.py --tables gap     (the dense generators only, ~5 s)
      PYTHONPATH=. python benchmarks/lowtemp_table.py --tables cost --betas 2 4 --peak-frequencies 1 1.5 2

Model (benchmarks/cost_table.py's): TFIM chain H = −Σ Z_iZ_{i+1} − Σ X_i, couplings X and Z on every site,
Scandi–Alhambra form='kms', T = 1, α = 0.5, ε = 1e-2. Baths:
  width 2     ``GaussianBath(β, width=2)`` (the β = 1 default of cost_table / kmsgibbs verify, kept at every β);
  for_beta    ``GaussianBath.for_beta(β)``: width √(2ω₀/β), strength e^{−βω₀/4}, ω₀ = 1.25 (rates peak at ω₀
              with height 1 at every β).
Tables:
  gap   per β and n: the dilation strength α²Σ_m v_m‖w_m‖₁² (what sets dt: dt ≤ 0.25/strength), the spectral
        gap of the dense generator, gap/strength (the mixing per unit of step-setting rate: the figure of
        merit when dt sits at the compiler's limit), the KMS defect and ½‖ρ_ss − σ_β‖₁ of the dense steady state.
  cost  n = 3, randomized scheme: CX to D ∈ {0.1, 0.05, 0.02} from |0…0⟩ and the floor, as cost_table.py measures
        them (exact averaged step channels iterated; CX of the parametric circuits transpiled to cx, rz, sx, x,
        reset at optimization_level=1). Two dt rules, neither tuned against the exact answer: dt = 0.05 (the
        issue's setting; if the compiler refuses it, dt = its limit), and dt = the compiler's limit
        ``dilation_dt_limit`` (0.25/strength), where only dt·(rates) enters the circuit, so the rates'
        normalisation drops out.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra  # noqa: E402
from kmsgibbs.compiler.physics.time_domain import build_time_domain  # noqa: E402
from kmsgibbs.compiler.schemes.compile import dilation_dt_limit, dilation_strength  # noqa: E402
from kmsgibbs.simulators import exact  # noqa: E402
from kmsgibbs.simulators.distances import trace_distance  # noqa: E402
from kmsgibbs.simulators.properties import kms_defect  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cost_table import MAX_STEPS, TARGETS, converge, cx_count  # noqa: E402

BETAS = (1.0, 2.0, 4.0)
T_CG, ALPHA, EPSILON, DT = 1.0, 0.5, 1e-2, 0.05
BATHS = {
    "width 2": lambda beta: baths.GaussianBath(beta, width=2.0),
    "for_beta": lambda beta: baths.GaussianBath.for_beta(beta),
}


def generator(n: int, bath):
    h = models.from_edges(n, models.chain_edges(n), couplings={"ZZ": -1.0}, fields={"X": -1.0})
    return scandi_alhambra(h, models.single_site_couplings(n, "XZ"), bath, coarse_graining_time=T_CG, coupling=ALPHA)


def table_gap() -> None:
    print("| n | β | bath | s | max Ĉ | strength | dt limit | gap | gap/strength | KMS defect | ½‖ρ_ss − σ‖₁ |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in (3, 4):
        for beta in BETAS:
            for name, make in BATHS.items():
                bath = make(beta)
                lind = generator(n, bath)
                form = build_time_domain(lind, epsilon=EPSILON)
                strength = dilation_strength(form)
                gap = exact.spectral_gap(lind)
                ss = trace_distance(exact.steady_state(lind, method="dense"), lind.gibbs_state())
                print(f"| {n} | {beta:g} | {name} | {bath.width:.3g} | {bath.peak_rate:.4g} | {strength:.4g} | "
                      f"{dilation_dt_limit(form):.3g} | {gap:.4g} | {gap / strength:.3g} | {kms_defect(lind):.0e} | {ss:.0e} |",
                      flush=True)


def cost_row(beta: float, name: str, rule: str) -> list[str]:
    start = time.perf_counter()
    lind = generator(3, BATHS[name](beta))
    limit = dilation_dt_limit(build_time_domain(lind, epsilon=EPSILON))
    if rule == "limit":
        dt, label = limit, "limit"
    else:
        dt, label = (DT, f"{DT:g}") if DT <= limit else (limit, f"{DT:g} refused → limit")
    sampler = compile_sampler(lind, dt=dt, epsilon=EPSILON, scheme="randomized")
    conv = converge(sampler.averaged_step_channels(), lind.gibbs_state())
    prefix = [0] + [cx_count(sampler.circuit(r * sampler.dt)) for r in range(1, sampler.cycle + 1)]
    c = sampler.cycle

    def cx_of(k: int) -> int:
        return (k // c) * prefix[c] + prefix[k % c]

    def cell(D: float, cx: bool) -> str:
        k = conv.steps[D]
        if k is None:
            return "—" if D <= conv.floor else f">{MAX_STEPS}"
        return f"{cx_of(k):.3g}" if cx else str(k)

    return [f"{beta:g}", name, label, f"{dt:.3g}", str(round(prefix[c] / c)),
            *(cell(D, False) for D in TARGETS), *(cell(D, True) for D in TARGETS), f"{conv.floor:.4f}",
            f"{time.perf_counter() - start:.0f}"]


def table_cost(peak_frequencies: tuple[float, ...] = ()) -> None:
    header = ["β", "bath", "dt rule", "dt", "CX/step", *(f"steps→{D:g}" for D in TARGETS),
              *(f"CX→{D:g}" for D in TARGETS), "floor", "s"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for beta in BETAS:
        for name in BATHS:
            for rule in ("fixed", "limit"):
                print("| " + " | ".join(cost_row(beta, name, rule)) + " |", flush=True)
        for w0 in peak_frequencies:  # other ω₀ of for_beta, at the compiler's dt limit
            BATHS[f"for_beta ω₀={w0:g}"] = lambda b, w0=w0: baths.GaussianBath.for_beta(b, peak_frequency=w0)
            print("| " + " | ".join(cost_row(beta, f"for_beta ω₀={w0:g}", "limit")) + " |", flush=True)


TABLES = {"gap": table_gap, "cost": table_cost}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", choices=tuple(TABLES), default=list(TABLES))
    parser.add_argument("--betas", type=float, nargs="+", default=[1.0, 2.0, 4.0], help="inverse temperatures (default 1 2 4)")
    parser.add_argument("--peak-frequencies", type=float, nargs="*", default=[],
                        help="cost table: also for_beta with these ω₀, at the dt limit (e.g. 1 1.5 2)")
    args = parser.parse_args(argv)
    global BETAS
    BETAS = tuple(args.betas)
    for name in args.tables:
        print(f"\n== {name} ==")
        if name == "cost":
            table_cost(tuple(args.peak_frequencies))
        else:
            TABLES[name]()


if __name__ == "__main__":
    main()
