"""Compiled dilation sampler vs the exact generator on TFIM n = 3 (issue #3's table).

Run: python benchmarks/sampler_table.py
Scandi–Alhambra form='kms', Gaussian bath (s = 2, κ = 1), β = 1, T = 1, α = 0.5, couplings X, Z per site,
time-grid accuracy ε = 1e-4. Prints, per dt and for exact frames (reference mode) and Trotterised frames
(h = the form's unit): the measured ½‖ρ_circuit(4) − e^{4L}ρ₀‖₁ from |000⟩, the named terms of the
exact and of the norms error budget (ErrorBound.terms), each total ÷ measured, and the step's fixed
point's distance to Gibbs; then gate counts per step in scalable (Trotter) mode, naive vs merged frames;
then compile and norms-budget times for TFIM chains n = 10, 50, 100 with light cone r = 1.
"""

import time

import numpy as np
from scipy.linalg import expm
from qiskit import transpile

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.simulators import trace_distance


def unvec(v):
    d = int(round(np.sqrt(v.size)))
    return v.reshape(d, d, order="F")


def main() -> None:
    n, total = 3, 4.0
    H, A = models.transverse_field_ising(n), models.single_site_couplings(n, "XZ")
    L = scandi_alhambra(H, A, baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5)
    sup = L.superoperator()
    rho0 = np.zeros((8, 8), dtype=complex)
    rho0[0, 0] = 1.0
    exact = unvec(expm(total * sup) @ rho0.reshape(-1, order="F"))
    for exact_frames in (True, False):
        print(f"frames: {'exact' if exact_frames else 'Trotter (order 2)'}")
        print(
            f"{'dt':>6s} {'error(T=4)':>11s} {'exact: step':>11s} {'trotter':>9s} {'quadr.':>9s} {'÷err':>6s} "
            f"{'norms: dil.':>11s} {'coh.':>9s} {'split.':>9s} {'trotter':>9s} {'quadr.':>9s} {'÷err':>6s} "
            f"{'fixed pt→Gibbs':>15s} {'seconds':>8s}"
        )
        for dt in (0.04, 0.02, 0.01):
            start = time.perf_counter()
            S = compile_sampler(L, dt=dt, epsilon=1e-4, exact_evolution=exact_frames)
            phi = S.step_channel()
            rho = unvec(np.linalg.matrix_power(phi, S.num_steps(total)) @ rho0.reshape(-1, order="F"))
            err = trace_distance(rho, exact)
            ex, nm = S.error_bound(total, method="exact"), S.error_bound(total, method="norms")
            w, v = np.linalg.eig(phi)
            fixed = unvec(v[:, np.argmin(np.abs(w - 1))])  # the step's fixed point (eigenvalue 1)
            fixed /= np.trace(fixed)
            gibbs = trace_distance(fixed, L.gibbs_state())
            e, m = ex.terms, nm.terms
            print(
                f"{dt:6.3f} {err:11.3e} {e['step']:11.3e} {e['trotter']:9.2e} {e['quadrature']:9.2e} {ex.total / err:6.1f} "
                f"{m['dilation']:11.3e} {m['coherent']:9.2e} {m['splitting']:9.2e} {m['trotter']:9.2e} {m['quadrature']:9.2e} "
                f"{nm.total / err:6.1f} {gibbs:15.3e} {time.perf_counter() - start:8.1f}"
            )
    print()
    print(f"{'frames':>8s} {'eps':>6s} {'h':>7s} {'factors':>8s} {'CX/step':>9s} {'depth/step':>11s} {'resets':>7s} {'seconds':>8s}")
    for eps in (1e-2, 1e-3):
        for merge in (False, True):
            start = time.perf_counter()
            S = compile_sampler(L, dt=0.04, epsilon=eps, merge_frames=merge)
            step = S.step_circuit()
            if len(step.data) < 400_000:
                lowered = transpile(step, basis_gates=["cx", "rz", "sx", "x", "reset"], optimization_level=1)
                ops, depth = lowered.count_ops(), lowered.depth()
            else:  # too large to transpile quickly: count the (already rz/cx-level) circuit as built
                ops, depth = step.count_ops(), step.depth()
            cx = ops.get("cx", 0) + 2 * ops.get("crz", 0)
            print(
                f"{'merged' if merge else 'naive':>8s} {eps:6.0e} {S.trotter_step:7.4f} {len(S.plan.factors):8d} "
                f"{cx:9d} {depth:11d} {ops.get('reset', 0):7d} {time.perf_counter() - start:8.1f}"
            )
    print()
    print(f"{'n':>4s} {'compile s':>10s} {'budget s':>9s} {'budget(1)':>10s} {'of which truncation (est.)':>27s}")
    for n in (10, 50, 100):
        chain = scandi_alhambra(
            models.transverse_field_ising(n), models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0),
            coarse_graining_time=1.0, coupling=0.5,
        )
        start = time.perf_counter()
        S = compile_sampler(chain, dt=0.05, epsilon=1e-2, light_cone=1)
        compiled = time.perf_counter()
        b = S.error_bound(1.0)
        print(f"{n:4d} {compiled - start:10.2f} {time.perf_counter() - compiled:9.2f} {b.total:10.3g} {b.terms['truncation']:27.3g}")


if __name__ == "__main__":
    main()
