"""ISA resources on a Heron fake backend, and the distance to Gibbs with and without its noise.

    python benchmarks/hardware_table.py [--sizes 4 8] [--noisy-max 4] [--time 0.1]

For each chain size: the TFIM sampler (couplings XZ, Gaussian bath β = 1, T = 1, α = 0.5, dt = 0.05,
ε = 1e-2) mapped to FakeFez per step (qubits touched, two-qubit gates, depth, resets), then for sizes
up to --noisy-max the distances to Gibbs and to the exact e^{tL}ρ₀ at --time of the noiseless Aer
density matrix and of the ISA circuits under NoiseModel.from_backend(FakeFez()) (gate level: ~10⁶
instructions per few steps, so keep --time short). Needs the [ibm] extra.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from qiskit_aer.noise import NoiseModel
from qiskit_ibm_runtime.fake_provider import FakeFez

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.simulators import aer, exact, trace_distance


def sampler(n: int):
    H = models.transverse_field_ising(n)
    L = scandi_alhambra(H, models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5)
    return compile_sampler(L, dt=0.05, epsilon=1e-2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--noisy-max", type=int, default=4)
    parser.add_argument("--time", type=float, default=0.1)
    args = parser.parse_args()
    fez = FakeFez()
    noise = NoiseModel.from_backend(fez)
    print(
        f"{'n':>3s} {'qubits':>6s} {'2q/step':>9s} {'depth/step':>10s} {'resets':>6s} {'d_Gibbs ideal':>13s} "
        f"{'d_Gibbs noisy':>13s} {'d_exact ideal':>13s} {'d_exact noisy':>13s} {'seconds':>8s}"
    )
    for n in args.sizes:
        start = time.perf_counter()
        S = sampler(n)
        res = S.resources(target=fez, seed=1)
        cells = ["-"] * 4
        if n <= args.noisy_max:
            gibbs = S.lindbladian.gibbs_state()
            rho0 = np.zeros_like(gibbs)
            rho0[0, 0] = 1.0
            reference = exact.evolve(S.lindbladian, rho0, [args.time])[0]
            ideal = aer.run_density_matrix(S, [args.time]).states[0]
            noisy = aer.run_noisy(S, [args.time], backend=fez, noise_model=noise, seed=1).states[0]
            cells = [f"{trace_distance(rho, ref):.3g}" for ref in (gibbs, reference) for rho in (ideal, noisy)]
        print(
            f"{n:3d} {res.qubits:6d} {res.two_qubit_gates_per_step:9d} {res.depth_per_step:10d} "
            f"{res.resets_per_step:6d} " + " ".join(f"{c:>13s}" for c in cells) + f" {time.perf_counter() - start:8.1f}",
            flush=True,
        )
    print(f"distances at t = {args.time:g} from |0…0⟩; noisy = ISA circuits under FakeFez's noise model")


if __name__ == "__main__":
    main()
