"""Lever study (issue 23, "larger steps"): can the randomized step be made second order, and would it pay?

Run:  PYTHONPATH=. python benchmarks/order2_study.py           (~1 min on 2 shared cores)

Four measurements, each a log-log slope of a local error over a decade of dt (spectral norm of the
column-stacked superoperator difference; slope 2 = first order, 3 = second order):

1. **One jump, dense.** ‖Φ − e^{dt D[L]}‖ for a random 4×4 L and four dilations (ancillas reset after):
   * ``first order``: e^{−i√dt K}, K = σ⁺⊗L + h.c. Kraus cos(√(dt A)), −iL·sin(√(dt A))/√A, A = L†L. Its
     dt² error is E = ½L²ρL†² − ¼(ALρL† + LρL†A) − (1/12)(LAρL† + LρAL†) + (1/12)(A²ρ + ρA²);
   * ``ladder``: the same on ancilla a, then on ancilla b at angle √(dt/2), controlled on a = 1. This
     supplies the two-jump Kraus operator −(dt/√2)L² that no product of one-ancilla dilations with
     resets can (their L²ρL†² weight is Σ_{i<j}τ_iτ_j ≤ dt²/4 < dt²/2 for Σ τ_i = dt), and the channel is
     e^{dt D[L(I + dt A/12)]} + O(dt³): still first order, because cos(√(dt A)) ≠ e^{−dt A/2} at dt²;
   * ``composite``: ancilla a driven by a palindromic sequence of five dilation pieces
     e^{−i c_j√dt (e^{iφ_j}σ⁺⊗L + h.c.)}, (c, φ) = (c₁,φ₁)(c₂,φ₂)(c₃,φ₃)(c₂,φ₂)(c₁,φ₁) (``COMPOSITE``).
     In each singular block of L the pieces are SU(2) rotations about equatorial axes; a palindrome has only odd
     BCH orders, so the net rotation is equatorial, u·V₁ + u³·V₃ + O(u⁵) (u = σ√dt), and the pieces are
     solved for |V₁| = 1, V₃ = −V₁/12. The no-flip amplitude is then cos(u − u³/12) = e^{−u²/2} + O(u⁶),
     i.e. K₀ = e^{−dt A/2} + O(dt³), and the flip amplitude √dt·L(I − dt A/4)·phase (unitarity);
   * ``order 2`` = composite on a, then the controlled ladder step on b:
     K₀ = e^{−dtA/2}, K₁ = (I − dtA/4)·√dt L·(I − dtA/4), K₂ = −(dt/√2)L², all + O(dt^{5/2}) where it
     matters: the Kraus form of e^{dt D[L]} to O(dt³) (e^{−dtA/4}Le^{−dtA/4}, the symmetric "half
     no-jump, jump, half no-jump").
2. **The same at circuit level**: Qiskit circuits (the package's ``dilation_sweep`` for each piece, the
   b-sweep as a controlled gate) for L = Σ_l w_l e^{iHt_l}Ae^{−iHt_l} on 2 qubits, with exact frames, on a
   one-node grid and on a three-node grid, against the dense e^{dt D[L]}. One node: slope 3. Several
   nodes: each palindromic sweep has its own O(angle³) splitting error, off the V₁ axis, so the channel
   falls back to slope 2: a second-order dilation of a time-domain jump also needs fourth-order sweeps
   (e.g. a Yoshida triple of each piece).
3. **The randomized step cannot be second order as long as it samples s per step.** For the jumps of
   TFIM n = 2 (cost_table settings, exact frames), E_s[e^{dt D_s}] − e^{dt E_s D_s} =
   (dt²/2)(E_s[D_s²] − (E_s D_s)²) + O(dt³), D_s = Σ_k D[B_k(s)]: a variance, which no ordering, symmetric
   or not, cancels (two correlated draws s₁, s₂ would need D_{s₁} + D_{s₂} = 2 E D_s). The same holds for
   the sampled coherent time t. Also shown: the compiled averaged step's own split (dilation vs
   randomization + splitting) of its local error, all slope 2.
4. **What a better step could buy at the design's settings** (TFIM n = 3, β = 1, D = 0.02:
   ``design_sampler`` picks T = 1, dt = 0.616 = the dilation's largest step, one-way shared sweeps,
   start |+++⟩, 6 steps, 7,466 CX, floor 0.0158): the distances after k steps of the averaged step
   against e^{k dt L} itself. Even an exact step at this dt needs 5 steps (6 today), and dt cannot grow
   past the dilation's limit.
5. **Past the limit** (``DILATION_LIMIT`` raised inside this part only, to measure): the same step at
   1.5, 2 and 3 × the limit. Its gates do not change, only their angles: the run's CX after 1, 2, 3, 4
   and 6 steps are 1,286, 2,570, 3,854, 5,138 and 7,466 at both 1× and 2× the limit.
   The first-order floor grows linearly in dt, which blocks D = 0.02 past ~1.5×. It does not block the
   looser targets, and an exact step shows what removing the dt error would buy.

Measured (this script, 2 shared cores, ~15 s):

    1. first order 2.31e-03 … 3.73e-05 slope 1.99; ladder slope 1.99; composite alone 1.99;
       order 2 (composite + ladder) 4.93e-05 … 1.01e-07 slopes 2.96, 2.98, 2.99 (dt 0.04 → 0.005)
    2. circuits: one node slope 3.00; three nodes 2.00; three nodes with Yoshida sweeps 3.00
    3. sampling alone (exact factors) slope 1.99, 6.6e-06 at dt = 0.01; compiled cycle (C = 4) at
       dt = 0.01: total 6.8e-05, dilation 5.0e-05, randomization + splitting 4.6e-05, all slope 2
    4. distances after k = 1…8 steps at dt = 0.616: exact 0.248 0.126 0.066 0.035 0.019 …  (5 steps to 0.02);
       averaged order-1 step 0.244 0.118 0.063 0.031 0.023 0.016 … (6 steps)
    5. dt (× limit): floor; fewest steps to 0.1 / 0.05 / 0.02 for the order-1 step | for an exact step
       0.616 (1):   0.0158; 3, 4, 6 | 3, 4, 5
       0.924 (1.5): 0.0225; 2, 3, 9 | 2, 3, 4
       1.232 (2):   0.0291; 2, 2, –  | 2, 2, 3
       1.848 (3):   0.0420; 1, 2, –  | 1, 2, 2

Lever row ("larger steps: a second-order step", TFIM n = 3, β = 1, D = 0.02, exact averaged channel):
before (order 1, the design) 1,244 CX/step, 6 steps, 7,466 CX to D, floor 0.0158; after: not built.
A step with no dt error could take dt = 1.85 (3× the limit) and reach D in 2 steps, so a second-order
step pays only below ~3× today's CX per step (~3,700). The construction above costs, per jump, 15
sweeps (5 pieces × Yoshida) + 1 controlled sweep, and one palindromic single-jump sweep here is ~295 CX:
≥ 2.8×10⁴ CX per step for the 6 dissipators alone (5×10⁴ in Strang order, 11 blocks), before the
Gaussian average is swept on nodes instead of sampled. It loses by ≥ 8×. The cheaper lever this study
finds is the limit itself: with the first-order step unchanged, dt = 1.232 reaches 0.05 in 2 steps
(2,570 CX) instead of 4 (5,138), and dt = 1.848 reaches 0.1 in 1 step (1,286) instead of 3 (3,854) (the promise is the exact averaged channel,
which does not use the expansion the limit protects).

References:
    Ding, Li & Lin, PRX Quantum 5, 020332 (2024), arXiv:2311.15533 (higher-order dilations need
    ancillas holding several jumps); Cleve & Wang, arXiv:1612.09512; Campbell, PRL 123, 070503 (2019)
    (qDRIFT is first order); docs/schemes.md.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from qiskit import QuantumCircuit  # noqa: E402
from qiskit.circuit.library import UnitaryGate  # noqa: E402
from qiskit.quantum_info import Operator, SparsePauliOp  # noqa: E402
from scipy.linalg import expm  # noqa: E402

from kmsgibbs.circuits import dilation_sweep  # noqa: E402
from kmsgibbs.compiler import compile_sampler, scandi_alhambra  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cost_table import BATH, model  # noqa: E402

#: The palindromic composite's half: (c_j, φ_j) for j = 1, 2, 3; the pieces are 1, 2, 3, 2, 1. Solved
#: (least squares from random starts, then polished) for |V₁| = 1 and V₃ = −V₁/12; Σ|c| over the five
#: pieces is 2.67 (one dilation: 1).
COMPOSITE = (
    (0.8046869390476625, 6.365640020610729),
    (0.2691942474848271, 4.45656250088757),
    (-0.5189928387393674, 6.070198935638714),
)
DTS = (0.08, 0.04, 0.02, 0.01, 0.005)
#: The design's choice at TFIM n = 3, β = 1, D = 0.02 (``design_sampler``), with every dissipator in one sweep.
DESIGN_OPTIONS = {"epsilon": 0.01, "scheme": "randomized", "one_way_commutators": True, "one_way_sweeps": True}
SIGMA_PLUS = np.array([[0, 0], [1, 0]], dtype=complex)  # |1⟩⟨0| on an ancilla


def pieces() -> list[tuple[float, float]]:
    half = list(COMPOSITE)
    return half + half[-2::-1]


def generator(jump: np.ndarray) -> np.ndarray:
    """D[L] column-stacked: vec(XρY) = (Yᵀ ⊗ X) vec ρ."""
    d = jump.shape[0]
    a, eye = jump.conj().T @ jump, np.eye(d)
    return np.kron(jump.conj(), jump) - 0.5 * (np.kron(eye, a) + np.kron(a.T, eye))


def kraus_superop(kraus) -> np.ndarray:
    return sum(np.kron(k.conj(), k) for k in kraus)


def dilation(jump: np.ndarray, theta: float, phi: float = 0.0) -> np.ndarray:
    """exp(−iθ(e^{iφ}σ⁺⊗L + h.c.)), ancilla ⊗ system."""
    k = np.exp(1j * phi) * np.kron(SIGMA_PLUS, jump)
    return expm(-1j * theta * (k + k.conj().T))


def one_ancilla(u: np.ndarray, d: int) -> np.ndarray:
    return kraus_superop([u.reshape(2, d, 2, d)[e, :, 0, :] for e in range(2)])


def with_ladder(u_a: np.ndarray, jump: np.ndarray, dt: float) -> np.ndarray:
    """u_a on ancilla a, then the dilation of L at angle √(dt/2) on ancilla b controlled on a = 1; both reset."""
    d = jump.shape[0]
    u_b = dilation(jump, np.sqrt(dt / 2))
    controlled = np.kron(np.diag([1.0, 0.0]), np.eye(2 * d)) + np.kron(np.diag([0.0, 1.0]), u_b)  # a ⊗ (b ⊗ sys)
    first = np.einsum("ixjy,bc->ibxjcy", u_a.reshape(2, d, 2, d), np.eye(2)).reshape(4 * d, 4 * d)
    u = (controlled @ first).reshape(4, d, 4, d)
    return kraus_superop([u[e, :, 0, :] for e in range(4)])


def composite(jump: np.ndarray, dt: float) -> np.ndarray:
    d = jump.shape[0]
    u = np.eye(2 * d, dtype=complex)
    for c, phi in pieces():
        u = dilation(jump, c * np.sqrt(dt), phi) @ u
    return u


def slopes(errors) -> str:
    s = np.diff(np.log(errors)) / np.diff(np.log(DTS[: len(errors)]))
    return " ".join(f"{e:.2e}" for e in errors) + "   slopes " + " ".join(f"{x:.2f}" for x in s)


def part1() -> None:
    print("1. one jump, dense (random 4×4 L, ‖L‖ ≈ 1): ‖Φ − e^{dt D[L]}‖ at dt =", DTS)
    rng = np.random.default_rng(7)
    d = 4
    jump = (rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))) / np.sqrt(2 * d)
    g = generator(jump)
    a = jump.conj().T @ jump
    variants = {
        "first order": lambda dt: one_ancilla(dilation(jump, np.sqrt(dt)), d),
        "ladder": lambda dt: with_ladder(dilation(jump, np.sqrt(dt)), jump, dt),
        "composite alone": lambda dt: one_ancilla(composite(jump, dt), d),
        "order 2 (composite + ladder)": lambda dt: with_ladder(composite(jump, dt), jump, dt),
    }
    for name, channel in variants.items():
        print(f"   {name:30s}", slopes([np.linalg.norm(channel(dt) - expm(dt * g), 2) for dt in DTS]))
    # the first-order dilation's dt² coefficient against the formula E of the docstring
    ld = jump.conj().T

    def e_map(rho: np.ndarray) -> np.ndarray:
        out = 0.5 * jump @ jump @ rho @ ld @ ld - 0.25 * (a @ jump @ rho @ ld + jump @ rho @ ld @ a)
        return out - (jump @ a @ rho @ ld + jump @ rho @ a @ ld) / 12 + (a @ a @ rho + rho @ a @ a) / 12

    basis = np.eye(d * d).reshape(d * d, d, d, order="F")
    e = np.column_stack([e_map(b).reshape(-1, order="F") for b in basis])
    eye = np.eye(d)
    dt = 1e-3
    measured = (expm(dt * g) - one_ancilla(dilation(jump, np.sqrt(dt)), d)) / dt**2
    relative = np.linalg.norm(measured - e) / np.linalg.norm(e)
    print(f"   first-order dt² coefficient vs the formula E: relative difference {relative:.1e} at dt = {dt:g} (O(dt))")
    ladder = with_ladder(dilation(jump, np.sqrt(dt)), jump, dt) - expm(dt * generator(jump @ (eye + dt * a / 12)))
    residual = np.linalg.norm(ladder, 2) / dt**2
    print(f"   ladder − e^{{dt D[L(I + dt A/12)]}}: dt² coefficient {residual:.1e} (O(dt): the ladder is that channel)")


def evolve_exact(h: np.ndarray):
    e, v = np.linalg.eigh(h)
    return lambda s: _gate(v @ np.diag(np.exp(-1j * s * e)) @ v.conj().T)


def _gate(u: np.ndarray) -> QuantumCircuit:
    qc = QuantumCircuit(int(np.log2(u.shape[0])))
    qc.append(UnitaryGate(u, check_input=False), range(qc.num_qubits))
    return qc


#: Yoshida's fourth-order triple of a symmetric step: S(γ₁x) S(γ₂x) S(γ₁x).
YOSHIDA = (1 / (2 - 2 ** (1 / 3)), -(2 ** (1 / 3)) / (2 - 2 ** (1 / 3)), 1 / (2 - 2 ** (1 / 3)))


def order2_circuit(a: SparsePauliOp, times, weights, dt: float, evolve, *, fourth_order_sweeps: bool = False) -> QuantumCircuit:
    """System 0..n−1, ancilla a = n, ancilla b = n + 1 (both to be reset): the composite on a, each piece
    the package's palindromic ``dilation_sweep`` (phase e^{iφ} on the weights; with
    ``fourth_order_sweeps`` a Yoshida triple of them, whose splitting error is O(angle⁵)), then the b
    sweep at angle √(dt/2) as a gate controlled on a (its own O(angle³) error enters K₁ at O(dt^{5/2}))."""
    n = a.num_qubits
    w = np.asarray(weights, dtype=complex)
    qc = QuantumCircuit(n + 2)
    for c, phi in pieces():
        for g in YOSHIDA if fourth_order_sweeps else (1.0,):
            sweep = dilation_sweep(a, times, w * np.exp(1j * phi), angle=g * c * np.sqrt(dt), evolve=evolve)
            qc.compose(sweep, range(n + 1), inplace=True)
    b = dilation_sweep(a, times, w, angle=np.sqrt(dt / 2), evolve=evolve).to_gate(label="b_sweep").control(1)
    qc.append(b, [n, *range(n), n + 1])
    return qc


def part2() -> None:
    print("2. order-2 dilation as Qiskit circuits (package sweeps, exact frames), 2 qubits, vs dense e^{dt D[L]}")
    h = SparsePauliOp(["ZZ", "XI", "IX"], [-1.0, -1.0, -1.0]).to_matrix()
    a = SparsePauliOp(["IX"])
    e, v = np.linalg.eigh(h)
    heis = lambda t: v @ np.diag(np.exp(1j * t * e)) @ v.conj().T  # noqa: E731  e^{iHt}
    three = ([-0.4, 0.0, 0.4], [0.25 - 0.1j, 0.5, 0.25 + 0.1j])
    for label, times, weights, fourth in (
        ("one node", [0.0], [0.7], False),
        ("three nodes", *three, False),
        ("three nodes, fourth-order sweeps", *three, True),
    ):
        jump = sum(w * heis(t) @ a.to_matrix() @ heis(-t) for t, w in zip(times, weights))
        g = generator(jump)
        errors = []
        for dt in DTS:
            circuit = order2_circuit(a, times, weights, dt, evolve_exact(h), fourth_order_sweeps=fourth)
            u = Operator(circuit).data.reshape(2, 2, 4, 2, 2, 4)  # b, a, sys
            channel = kraus_superop([u[eb, ea, :, 0, 0, :] for eb in range(2) for ea in range(2)])
            errors.append(np.linalg.norm(channel - expm(dt * g), 2))
        print(f"   {label:34s}", slopes(errors))


def part3() -> None:
    from kmsgibbs.compiler.analysis.averaged import (
        _unshifted_jumps, averaged_channels, conjugated, cycle_bound, grid_generator, ideal_coherent,
        ideal_dissipation, product_distance,
    )
    from kmsgibbs.compiler.analysis.channels import jump_generator
    from kmsgibbs.compiler.lowering.randomized_dense import frame_unitaries

    print("3. the randomized step, TFIM n = 2 (cost_table settings, exact frames)")
    h, couplings, _ = model(2)
    lind = scandi_alhambra(h, couplings, BATH, coarse_graining_time=1.0, coupling=0.5)
    sampler = compile_sampler(lind, dt=0.01, epsilon=1e-2, scheme="randomized", exact_evolution=True)
    plan, ops, frames = sampler.plan, sampler.form.couplings, sampler.frames
    gen = jump_generator(list(zip(plan.dissipators, _unshifted_jumps(plan.dissipators, ops, h))))
    s, w = plan.shift.quadrature(panels=24)
    f = frame_unitaries(h, frames, plan.frame_steps[0], float(plan.dissipators[0].grid.times[0]) + s)
    mean = conjugated(gen, f, w)  # E_s Σ_k D[B_k(s)]: the generator is linear in the conjugation
    errors = [np.linalg.norm(conjugated(expm(dt * gen), f, w) - expm(dt * mean), 2) for dt in DTS]
    print("   ‖E_s e^{dt D_s} − e^{dt E_s D_s}‖ (sampling alone, exact factors)")
    print("  ", slopes(errors))
    print("   the compiled averaged cycle (½‖·‖◇ bound, C steps) vs e^{C dt L_grid}:")
    print("   total | dilation | randomization + splitting")
    for dt in DTS[1:4]:
        r = compile_sampler(lind, dt=dt, epsilon=1e-2, scheme="randomized", exact_evolution=True)
        p = r.plan
        compiled = averaged_channels(p, ops, r.frames, h, compare=False)[0]
        cores = {"dissipation": ideal_dissipation(p, ops, h), "coherent": ideal_coherent(p, ops, h)}
        ideal = averaged_channels(p, ops, r.frames, h, channels=cores, compare=False)[0]
        grid = grid_generator(p, ops, h)
        print(
            f"   dt={dt:<5g} C={p.cycle}: {cycle_bound(compiled, grid, dt, p.cycle):.2e} | "
            f"{product_distance(compiled, ideal, p.cycle):.2e} | {cycle_bound(ideal, grid, dt, p.cycle):.2e}"
        )


def part4() -> None:
    from kmsgibbs.compiler.schemes.compile import dilation_dt_limit

    print("4. TFIM n = 3, β = 1 at the design's settings (T = 1, ε = 0.01, shared one-way sweeps, start |+++⟩)")
    h, couplings, sigma = model(3)
    lind = scandi_alhambra(h, couplings, BATH, coarse_graining_time=1.0, coupling=0.5)
    options = DESIGN_OPTIONS | {"sweep_ancillas": len(couplings)}
    limit = dilation_dt_limit(compile_sampler(lind, dt=1e-6, **options).form)
    sampler = compile_sampler(lind, dt=limit, **options)
    d = sigma.shape[0]

    def distances(channels) -> list[float]:
        vec, out = np.full((d, d), 1 / d, dtype=complex).reshape(-1, order="F"), []
        for k in range(8):
            vec = channels[k % len(channels)] @ vec
            rho = vec.reshape(d, d, order="F")
            out.append(0.5 * float(np.abs(np.linalg.eigvalsh(0.5 * (rho + rho.conj().T) - sigma)).sum()))
        return out

    for label, channels in (
        ("e^{dt L} (an exact step)", [expm(sampler.dt * lind.superoperator())]),
        ("averaged order-1 step", sampler.averaged_step_channels()),
    ):
        dist = distances(channels)
        first = next((k + 1 for k, x in enumerate(dist) if x <= 0.02), None)
        print(f"   {label:26s} dt={sampler.dt:.3f}: " + " ".join(f"{x:.4f}" for x in dist) + f"   steps to 0.02: {first}")


def part5() -> None:
    import kmsgibbs.compiler.schemes.compile as compile_module

    print("5. past the dilation's limit (raised for this measurement only), the same settings: fewest steps over")
    print("   the starts |000⟩, |+++⟩, I/8 to D = 0.1 / 0.05 / 0.02 (CX per step does not depend on dt: 1,244)")
    h, couplings, sigma = model(3)
    lind = scandi_alhambra(h, couplings, BATH, coarse_graining_time=1.0, coupling=0.5)
    options = DESIGN_OPTIONS | {"sweep_ancillas": len(couplings)}
    limit = compile_module.dilation_dt_limit(compile_sampler(lind, dt=1e-6, **options).form)
    d = sigma.shape[0]
    starts = (np.diag(np.eye(d)[0]).astype(complex), np.full((d, d), 1 / d, dtype=complex), np.eye(d, dtype=complex) / d)

    def fewest(channels, target: float) -> int | None:
        found = []
        for rho in starts:
            vec = rho.reshape(-1, order="F")
            for k in range(1, 200):
                vec = channels[(k - 1) % len(channels)] @ vec
                r = vec.reshape(d, d, order="F")
                if 0.5 * np.abs(np.linalg.eigvalsh(0.5 * (r + r.conj().T) - sigma)).sum() <= target:
                    found.append(k)
                    break
        return min(found, default=None)

    saved = compile_module.DILATION_LIMIT
    compile_module.DILATION_LIMIT = 10 * saved
    try:
        for fraction in (1.0, 1.5, 2.0, 3.0):
            sampler = compile_sampler(lind, dt=fraction * limit, **options)
            channels, exact = sampler.averaged_step_channels(), [expm(sampler.dt * lind.superoperator())]
            cycle = np.linalg.multi_dot(channels[::-1])
            w, v = np.linalg.eig(cycle)
            fixed = v[:, np.argmin(np.abs(w - 1))].reshape(d, d, order="F")
            fixed = fixed / np.trace(fixed)
            floor = 0.5 * np.abs(np.linalg.eigvalsh(0.5 * (fixed + fixed.conj().T) - sigma)).sum()
            steps = [fewest(channels, t) for t in (0.1, 0.05, 0.02)]
            ideal = [fewest(exact, t) for t in (0.1, 0.05, 0.02)]
            print(f"   dt={sampler.dt:.3f} ({fraction:g}×limit): floor {floor:.4f}, order-1 steps {steps}, exact step {ideal}")
    finally:
        compile_module.DILATION_LIMIT = saved


def main() -> None:
    for part in (part1, part2, part3, part4, part5):
        start = time.perf_counter()
        part()
        print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
