"""Do per-shot snapshots of trajectories agree with the density matrix of the same bound circuit? (issue #25, item 3)

Run: python benchmarks/trajectory_snapshots.py [--n 1] [--steps 3] [--shots 40000] [--instances 1]

The issue saw gate-level trajectory means of E/n, saved after every step with ``pershot=True``, land
2.5–3.9σ below the exact mean of the same instances at n = 4 (σ ≈ 5·10⁻³). This run resolves effects
about 10× smaller: one bound instance of the randomized TFIM sampler (dt = 0.1, ε = 1e-2), a few steps,
many shots; after every step it saves each observable per shot AND the density matrix, then compares
the shot mean with Tr(O ρ) of a density-matrix run of the same bound circuit, in standard errors.
The snapshots of one trajectory are correlated across steps, so the rows of one observable are not
independent tests; the observables of one step are not either. Last, two different instances run with
the same simulator seed are compared with two run with distinct seeds (:func:`seed_correlation`).
"""

import argparse
import time

import numpy as np
from qiskit import transpile
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer import AerSimulator

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.simulators.validation.observables import local_observables


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--shots", type=int, default=40000)
    parser.add_argument("--instances", type=int, default=1)
    args = parser.parse_args()
    n = args.n
    H = models.transverse_field_ising(n)
    L = scandi_alhambra(
        H, models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5
    )
    S = compile_sampler(L, dt=0.1, epsilon=1e-2, scheme="randomized")
    # one site has no bond: E/n is then −⟨X⟩, so X and Z are the observables
    ops = local_observables(H) if n > 1 else {"x_mean": SparsePauliOp("X"), "z_mean": SparsePauliOp("Z")}

    def save(circuit, k):
        for name, op in ops.items():
            circuit.save_expectation_value(op, S.system_qubits, label=f"{name}_{k}", pershot=True)
        circuit.save_density_matrix(S.system_qubits, label=f"rho_{k}")

    final = args.steps * S.dt
    circuit = S.circuit(final, after_step=save)
    deviations = []
    print(f"{'inst':>4s} {'step':>4s} {'observable':>16s} {'shot mean':>10s} {'density matrix':>14s} {'stderr':>9s} {'dev/σ':>6s}")
    for i, row in enumerate(S.parameter_values(final, args.instances, seed=11)):
        bound = circuit.assign_parameters(row)
        dm_sim = AerSimulator(method="density_matrix")
        dm = dm_sim.run(transpile(bound, dm_sim, optimization_level=0)).result().data(0)
        sv_sim = AerSimulator(method="statevector", seed_simulator=100 + i)
        start = time.perf_counter()
        data = sv_sim.run(transpile(bound, sv_sim, optimization_level=0), shots=args.shots).result().data(0)
        for k in range(1, args.steps + 1):
            rho = np.asarray(dm[f"rho_{k}"])
            for name, op in ops.items():
                exact = float(np.real(np.trace(op.to_matrix() @ rho)))
                shots = np.real(np.asarray(data[f"{name}_{k}"]))
                error = shots.std(ddof=1) / np.sqrt(len(shots))
                deviations.append((shots.mean() - exact) / error)
                print(f"{i:4d} {k:4d} {name:>16s} {shots.mean():10.6f} {exact:14.6f} {error:9.2e} {deviations[-1]:+6.2f}", flush=True)
        print(f"instance {i}: {args.shots} shots in {time.perf_counter() - start:.0f} s", flush=True)
    print(f"max |dev| {np.max(np.abs(deviations)):.2f}σ over {len(deviations)} (correlated) comparisons")
    seed_correlation(S, circuit, final, ops, args.shots)


def seed_correlation(S, circuit, final: float, ops, shots: int) -> None:
    """Per-shot correlation of two DIFFERENT instances run with the same, then with distinct, simulator seeds.

    With one seed the two instances draw the same random numbers at their resets, so their errors are
    correlated (ρ), and a pooled σ = std/√(K·shots) of K such instances is too small by √(1 + (K − 1)ρ).
    """
    name = next(iter(ops))
    rows = S.parameter_values(final, 2, seed=4)
    sim = AerSimulator(method="statevector")
    for seeds in ((7, 7), (7, 8)):
        values = []
        for row, seed in zip(rows, seeds):
            bound = transpile(circuit.assign_parameters(row), sim, optimization_level=0)
            data = sim.run(bound, shots=min(shots, 3000), seed_simulator=seed).result().data(0)
            values.append(np.real(np.asarray(data[f"{name}_{round(final / S.dt)}"])))
        print(f"seeds {seeds}: per-shot correlation of {name} between two instances {np.corrcoef(*values)[0, 1]:+.3f}")


if __name__ == "__main__":
    main()
