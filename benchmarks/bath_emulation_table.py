"""Bath emulation (docs/schemes.md) against the Scandi–Alhambra coarse-grained equation (issue #6's table).

Run: python benchmarks/bath_emulation_table.py
TFIM chains (n = 2, 3), couplings X, Z per site, Gaussian bath (β = 1, s = 1), Strang step δ = 0.1, cycle
8T, exact e^{−iH_Sδ}. Per α, at T = T*(α) (the optimal coarse-graining time) and at fixed T = 2:
  gen. err  ‖K𝒰_{−t_c/2}(Φ − 𝒰_{t_c})𝒰_{−t_c/2} − α²L̂^CG‖_◇ / ‖α²L̂^CG‖_◇ (diamond-norm upper bounds),
  fp–Gibbs  ½‖ρ_fp − σ_β‖₁ of the averaged cycle,  CG–Gibbs  the same for 𝒰_{t_c/2}e^{α²L̂^CG/K}𝒰_{t_c/2},
  fp–CG     ½‖ρ_fp − ρ_CG‖₁,  and two-qubit gates per cycle in the cx/rz/sx/x basis (Trotter mode).
"""

import time

from qiskit import transpile

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.compiler.bath_emulation import channel_fixed_point
from kmsgibbs.compiler.error_budget import diamond_norm_upper_bound
from kmsgibbs.simulators import trace_distance
from kmsgibbs.simulators.microscopic import optimal_coarse_graining_time

BATH = baths.GaussianBath(1.0, width=1.0)


def row(n: int, alpha: float, T: float) -> str:
    H, A = models.transverse_field_ising(n), models.single_site_couplings(n, "XZ")
    L = scandi_alhambra(H, A, BATH, coarse_graining_time=T, form="coarse_grained", coupling=alpha)
    start = time.perf_counter()
    S = compile_sampler(L, dt=0.1, scheme="bath_emulation", exact_evolution=True)
    ref = L.superoperator()
    gen = diamond_norm_upper_bound(S.effective_generator() - ref) / diamond_norm_upper_bound(ref)
    gibbs = L.gibbs_state()
    fixed = S.fixed_point()
    cg = channel_fixed_point(S.coarse_grained_cycle())
    seconds = time.perf_counter() - start
    scalable = compile_sampler(L, dt=0.1, scheme="bath_emulation")
    cycle = transpile(scalable.cycle_circuit(1.0, excited=False, operator=0), basis_gates=["cx", "rz", "sx", "x", "reset"], optimization_level=1)
    return (
        f"| {n} | {alpha:g} | {T:.2f} | {S.num_steps_per_cycle} | {gen:.3e} | {trace_distance(fixed, gibbs):.4f} | "
        f"{trace_distance(cg, gibbs):.4f} | {trace_distance(fixed, cg):.2e} | {cycle.count_ops().get('cx', 0)} | {seconds:.1f} |"
    )


def main() -> None:
    print("| n | α | T | steps/cycle | gen. err | fp–Gibbs | CG–Gibbs | fp–CG | 2q/cycle | s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in (2, 3):
        for alpha in (0.6, 0.45, 0.3, 0.2):
            print(row(n, alpha, optimal_coarse_graining_time(BATH, alpha)), flush=True)
    for alpha in (0.4, 0.2, 0.1, 0.05):
        print(row(2, alpha, 2.0), flush=True)


if __name__ == "__main__":
    main()
