"""Seconds per step per instance of the randomized TFIM sampler on Aer trajectories: the levers (issue #25).

Run: python benchmarks/observables_levers.py [--n 8 12 20] [--steps 2] [--samples 4] [--shots 4]
Scandi–Alhambra form='kms', Gaussian bath (s = 2), β = 1, T = 1, α = 0.5, couplings X, Z per site,
dt = 0.05, ε = 1e-2, light cone 1, from |0…0⟩; the four local observables saved per shot after the
last step. Each row is one way of running the same K instances × shots (its Aer time only; compiling
is shared), in wall and CPU seconds (all threads; on a shared machine the wall time also measures the
neighbours):

  before      each instance bound and transpiled on its own, one Aer job each (the gate-level path)
  binds       one transpiled parametric circuit, every instance a parameter binding of one job
  +opt1       the same, transpiled once at optimization_level=1 (Pauli-rotation basis changes cancel)
  +rt-bind    and Aer binds the parameters as it runs (runtime_parameter_bind_enable: no circuit copy per binding)
  +fusion=N   and Aer's gate fusion from N qubits on (Aer's default is 14)

Statevector up to 16 qubits (system + ancillas), matrix product states beyond.
"""

import argparse
import time

from qiskit import transpile
from qiskit_aer import AerSimulator

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.simulators import aer
from kmsgibbs.simulators.validation.observables import local_observables


def sampler(n: int):
    H = models.transverse_field_ising(n)
    L = scandi_alhambra(
        H, models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5
    )
    return compile_sampler(L, dt=0.05, epsilon=1e-2, scheme="randomized", light_cone=1)


def before(S, ops, steps: int, samples: int, shots: int, method: str) -> float:
    """Wall and CPU seconds of the per-instance path: bind, transpile and run each instance separately."""
    final = steps * S.dt

    def save(circuit, k):
        if k == steps:
            for name, op in ops.items():
                circuit.save_expectation_value(op, S.system_qubits, label=name, pershot=True)

    template = S.circuit(final, after_step=save)
    rows = S.parameter_values(final, samples, seed=1)
    sim = AerSimulator(method=method)
    start, cpu = time.perf_counter(), time.process_time()
    for seed, row in enumerate(rows):  # a seed per instance: one seed would correlate their trajectories
        sim.run(transpile(template.assign_parameters(row), sim, optimization_level=0), shots=shots, seed_simulator=seed).result()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[8, 12, 20])
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--shots", type=int, default=4)
    parser.add_argument("--fusion", type=int, nargs="*", default=[5])
    args = parser.parse_args()
    print(f"{'n':>3s} {'method':>20s} {'lever':>12s} {'instr/step':>10s} {'wall s/step/inst':>16s} {'CPU s/step/inst':>15s} {'CPU vs before':>13s}")
    for n in args.n:
        start = time.perf_counter()
        S = sampler(n)
        compile_seconds = time.perf_counter() - start
        ops = local_observables(S.lindbladian.hamiltonian)
        q = S.num_system + S.num_ancillas
        method = "statevector" if q <= aer.STATEVECTOR_MAX_QUBITS else "matrix_product_state"
        unit = args.steps * args.samples
        wall, base = (x / unit for x in before(S, ops, args.steps, args.samples, args.shots, method))
        print(f"{n:3d} {method:>20s} {'before':>12s} {'':>10s} {wall:16.3f} {base:15.3f} {1.0:13.2f}   (compile {compile_seconds:.0f} s)", flush=True)
        levers = [
            ("binds", dict(optimization_level=0, runtime_parameter_bind=False, fusion_threshold=None)),
            ("+opt1", dict(optimization_level=1, runtime_parameter_bind=False, fusion_threshold=None)),
            ("+rt-bind", dict(optimization_level=1, runtime_parameter_bind=True, fusion_threshold=None)),
        ]
        levers += [(f"+fusion={f}", dict(optimization_level=1, runtime_parameter_bind=True, fusion_threshold=f)) for f in args.fusion]
        for name, options in levers:
            run = aer.run_bindings(
                S, [args.steps * S.dt], observables=ops, samples=args.samples, shots=args.shots, seed=1, method=method, **options
            )
            per = run.seconds_per_step_per_instance(cpu=True)
            print(
                f"{n:3d} {method:>20s} {name:>12s} {run.instructions_per_step:10d} {run.seconds_per_step_per_instance():16.3f} "
                f"{per:15.3f} {base / per:13.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
