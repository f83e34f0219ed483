"""The compiled sampler's error budget: named terms whose sum bounds ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁.

Four generators sit between the circuit and the target L (each a Lindbladian, so each semigroup is a
diamond-norm contraction and ‖e^{tX} − e^{tY}‖_◇ ≤ t‖X − Y‖_◇):

* L̃_h — what the circuit's factors implement: the time grids with Trotterised frames e^{−iH̃_h t}
  (every grid time is a multiple of the Trotter step h, so the frames are powers of one product
  formula S(h) = e^{−iH̃_h h}) and, with a light cone, H restricted to each coupling's window;
* L̃ — the same grids with exact frames e^{−iH_W t};
* L_W — the exact generator built with each coupling's window Hamiltonian (L itself without a light
  cone; the generators are additive over independent couplings);
* L.

Telescoping (frames commute with the ancilla resets) gives

    ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁ ≤ (t/dt)·½‖Φ_dt − e^{dt L̃_h}‖_◇                 (step: dilation, coherent,
                                 + t·½‖L̃_h − L̃‖_◇                              splitting)
                                 + t·½‖L̃ − L_W‖_◇ + t·½‖L_W − L‖_◇              (trotter, quadrature,
                                                                                 truncation)

With ``include_system_hamiltonian`` every generator carries −i[H, ·] (it cancels in the operator
terms) and the Trotterised e^{−iH dt} factor adds its unitary error to ``trotter``.

Two ways to evaluate the terms:

* ``"exact"`` (n ≤ 6, no light cone): the step term from the exact step channel, ``trotter`` and
  ``quadrature`` from the dense superoperators, each through the Choi-based diamond-norm bound.
  Rigorous; minutes at n = 6.
* ``"norms"`` (any n whose windows have ≤ 10 qubits): the step term from operator norms only
  (per-factor Taylor majorants of the palindromic sweeps and group commutators, and Lie-splitting
  commutator bounds over overlapping windows; derivation in docs/step_error_bound/README.md),
  ``trotter`` from dense window jumps, ``quadrature`` from the dense window superoperators (Choi,
  windows ≤ 6 qubits; wider windows give a jump-level *estimate*) and ``truncation`` from
  ``CompiledSampler.truncation_error`` (an *estimate*: a Lieb–Robinson bound is vacuous at these
  times). The result says which terms are estimates and is ``rigorous`` only when none is. Cost: ~2 s
  for a TFIM chain of n = 100 at r = 1, 8 s for n = 10 at r = 2; at r = 3 the truncation estimate's dense
  11-qubit windows take minutes.

References:
    circuits.md §3.3, §3.6; docs/step_error_bound/README.md; Childs et al., PRX 11, 011020 (2021)
    for the product-formula majorant; Watrous, Theory of Quantum Information, §3.3 (diamond norm).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from kmsgibbs.circuits import trotter_evolution
from qiskit.quantum_info import Operator, SparsePauliOp
from scipy.linalg import expm, schur

if TYPE_CHECKING:
    from .sampler import CompiledSampler

__all__ = ["ErrorBound", "diamond_norm_upper_bound", "frame_hamiltonian", "error_bound"]

#: Per-step terms (scale with the number of steps); the others scale with t.
STEP_TERMS = ("step", "dilation", "coherent", "splitting")
#: Largest window (qubits) the norms method treats densely.
MAX_WINDOW_QUBITS = 10
#: Largest window (qubits) whose quadrature term is a Choi-based diamond bound (d⁴ superoperators).
MAX_CHOI_QUBITS = 6


@dataclass(frozen=True)
class ErrorBound:
    """A bound on ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁ for every ρ₀, as a sum of named terms.

    Attributes:
        time: t.
        terms: name → contribution at time t (already ½ and summed over the t/dt steps): ``step`` (exact
            method) or ``dilation``, ``coherent``, ``splitting`` (norms method), then ``trotter``,
            ``quadrature`` and, with a light cone, ``truncation``.
        method: ``"exact"`` or ``"norms"``.
        estimated: the names of the terms that are estimates rather than bounds (``rigorous`` is
            True when there is none).
    """

    time: float
    terms: Mapping[str, float]
    method: str
    estimated: tuple[str, ...] = field(default=())

    @property
    def rigorous(self) -> bool:
        return not self.estimated

    @property
    def total(self) -> float:
        return float(sum(self.terms.values()))

    @property
    def step(self) -> float:
        """The dt-dependent part: what the dilation, coherent and splitting errors add over t/dt steps."""
        return float(sum(v for k, v in self.terms.items() if k in STEP_TERMS))

    @property
    def operator(self) -> float:
        """The dt-independent part, linear in t: Trotter frames, time grids, light-cone truncation."""
        return self.total - self.step

    def __float__(self) -> float:
        return self.total


def diamond_norm_upper_bound(superop: np.ndarray) -> float:
    """‖Φ‖_◇ ≤ ‖Tr_out J₊‖_∞ + ‖Tr_out J₋‖_∞ for Hermiticity-preserving Φ with Choi J = J₊ − J₋.

    Each CP part Ψ has ‖Ψ‖_◇ = ‖Ψ^†(I)‖_∞ = ‖Tr_out J_Ψ‖_∞ (column-stacked superoperator).
    """
    d = int(round(math.sqrt(superop.shape[0])))
    choi = superop.reshape(d, d, d, d).transpose(1, 3, 0, 2).reshape(d * d, d * d)  # [(a,c),(b,dd)]
    w, v = np.linalg.eigh(0.5 * (choi + choi.conj().T))
    total = 0.0
    for part in (w > 0, w < 0):
        j = (v[:, part] * np.abs(w[part])) @ v[:, part].conj().T
        marg = np.einsum("acad->cd", j.reshape(d, d, d, d))  # trace over the output index a
        total += float(np.linalg.eigvalsh(0.5 * (marg + marg.conj().T)).max(initial=0.0))
    return total


def frame_hamiltonian(hamiltonian: SparsePauliOp, unit: float, *, order: int) -> np.ndarray:
    """Dense H̃_h with e^{−iH̃_h h} = S(h), the one-step product formula of ``trotter_evolution``.

    For every integer k, e^{−iH̃_h kh} = S(h)^k exactly (whatever branch of the phases), which is what
    Trotterised frames on a grid of multiples of h implement (S(−h) = S(h)^{-1} for the symmetric
    formulas; for order 1 the exact step channel, not this, is what the exact method compares with).
    """
    s = Operator(trotter_evolution(hamiltonian, unit, order=order, steps=1)).data
    t, z = schur(s, output="complex")  # unitary ⇒ normal ⇒ t diagonal, z unitary
    energies = -np.angle(np.diag(t)) / unit
    return (z * energies) @ z.conj().T


def product_formula_majorant(hamiltonian: SparsePauliOp, time: float, *, order: int, steps: int) -> float:
    """≥ ‖S(τ)^steps − e^{−iH time}‖, τ = time/steps, from norms only (any size).

    S(τ) and e^{−iHτ} agree to order p (the formula's order) in τ, and the coefficient of τ^q in a
    product of exponentials with rotation 1-norm x is at most x^q/q!; so per step
    ‖S(τ) − e^{−iHτ}‖ ≤ (e^x − Σ_{q≤p} x^q/q!) + (e^y − Σ_{q≤p} y^q/q!), y = |τ|Σ|c|, x = g·y with g the
    Suzuki recursion's growth of the 1-norm (1 for orders 1 and 2), and steps telescope.
    """
    growth = 1.0  # Suzuki S_k(τ) = S_{k−2}(pτ)² S_{k−2}((1−4p)τ) S_{k−2}(pτ)²
    for k in range(4, order + 1, 2):
        p = 1 / (4 - 4 ** (1 / (k - 1)))
        growth *= 4 * abs(p) + abs(1 - 4 * p)
    y = abs(time) / steps * float(np.sum(np.abs(hamiltonian.coeffs)))

    def remainder(z: float) -> float:
        return math.exp(z) - sum(z**q / math.factorial(q) for q in range(order + 1))

    return steps * (remainder(growth * y) + remainder(y))


def _jump_level_distance(a: list[np.ndarray], ha: np.ndarray, b: list[np.ndarray], hb: np.ndarray) -> float:
    """≥ ‖L_a − L_b‖_◇ for L = Σ_j D[J_j] − i[H, ·] with jumps matched one to one:
    ‖D[J] − D[J′]‖_◇ ≤ 2‖J − J′‖(‖J‖ + ‖J′‖) (both the JρJ† and the anticommutator parts), and
    ‖[H − H′, ·]‖_◇ ≤ 2‖H − H′‖."""
    out = 2 * float(np.linalg.norm(ha - hb, 2))
    for j, k in zip(a, b, strict=True):
        out += 2 * float(np.linalg.norm(j - k, 2)) * (float(np.linalg.norm(j, 2)) + float(np.linalg.norm(k, 2)))
    return out


def _blocks(sampler: CompiledSampler) -> list[tuple[tuple[int, ...], tuple[int, ...], int]]:
    """(window, couplings, multiplicity): each distinct light-cone block once, or the whole system."""
    if sampler.light_cone is None:
        return [(tuple(sampler.system_qubits), tuple(range(len(sampler.form.couplings))), 1)]
    windows = sampler.windows()
    return [(windows[k], (k,), m) for k, m in sampler._block_multiplicities().items()]


class _Window:
    """One block's dense objects: H_W, its frame Hamiltonian H̃_h, the window form and generator."""

    def __init__(self, sampler: CompiledSampler, window: tuple[int, ...], couplings: tuple[int, ...]):
        from .sampler import restrict

        form, lind = sampler.form, sampler.lindbladian
        if len(window) > MAX_WINDOW_QUBITS:
            raise ValueError(
                f"the norms error bound treats each coupling's window densely, at most {MAX_WINDOW_QUBITS} "
                f"qubits; got a window of {len(window)}: compile with a light_cone radius"
            )
        self.qubits = len(window)
        if len(window) == sampler.num_system and len(couplings) == len(form.couplings):
            self.form, self.lindbladian = form, lind
        else:
            h = form.hamiltonian if len(window) == sampler.num_system else restrict(form.hamiltonian, window)
            a = tuple(form.couplings[k] if len(window) == sampler.num_system else restrict(form.couplings[k], window) for k in couplings)
            self.form = dataclasses.replace(form, hamiltonian=h, couplings=a)
            self.lindbladian = dataclasses.replace(lind, hamiltonian=h, couplings=a)
        self.frames = _local_frames(sampler, window)
        self.exact_frames = sampler.exact_evolution

    def trotter(self) -> float:
        """≥ ‖L̃_h − L̃‖_◇ on the window (0 with exact frames)."""
        if self.exact_frames:
            return 0.0
        f = self.form
        return _jump_level_distance(
            f.jump_operators(frame_hamiltonian=self.frames),
            f.coherent_term(frame_hamiltonian=self.frames),
            f.jump_operators(),
            f.coherent_term(),
        )

    def quadrature(self) -> tuple[float, bool]:
        """(≥ ‖L̃ − L_W‖_◇, rigorous): a Choi bound on the dense superoperators up to MAX_CHOI_QUBITS;
        beyond, a jump-level estimate against the exact filters at the same Gaussian-average nodes
        (it omits the error of the average's nodes themselves)."""
        if self.qubits <= MAX_CHOI_QUBITS:
            return diamond_norm_upper_bound(self.form.superoperator() - self.lindbladian.superoperator()), True
        f = self.form
        if len(f.jump_filters) != len(f.jumps):
            raise ValueError("this generator's time-domain form has no exact jump filters to estimate against")
        e, v = np.linalg.eigh(f.hamiltonian.to_matrix())
        nu = e[:, None] - e[None, :]
        exact = [
            math.sqrt(f.rate * w) * (v @ (filt(nu) * (v.conj().T @ a.to_matrix() @ v)) @ v.conj().T)
            for (w, _), filt in zip(f.jumps, f.jump_filters)
            for a in f.couplings
        ]
        return _jump_level_distance(f.jump_operators(), f.coherent_term(), exact, self.lindbladian.coherent_term()), False


def error_bound(sampler: CompiledSampler, time: float, *, method: str = "auto") -> ErrorBound:
    """The named error budget of ``sampler`` at ``time`` (a multiple of dt); see the module docstring.

    Args:
        sampler: a trotter_dilation ``CompiledSampler``.
        time: t ≥ 0.
        method: ``"exact"``, ``"norms"`` or ``"auto"`` (exact for n ≤ 6 without a light cone).
    """
    if method not in ("auto", "exact", "norms"):
        raise ValueError(f"method must be 'auto', 'exact' or 'norms', got {method!r}")
    steps = sampler.num_steps(time)
    if method == "auto":
        method = "exact" if sampler.light_cone is None and sampler.num_system <= MAX_CHOI_QUBITS else "norms"
    if method == "exact":
        if sampler.light_cone is not None:
            raise ValueError("the exact error bound needs the untruncated sampler (light_cone=None); use method='norms'")
        rates = _exact_rates(sampler)
        terms = {"step": 0.5 * steps * rates["step"], "trotter": 0.5 * time * rates["trotter"], "quadrature": 0.5 * time * rates["quadrature"]}
        return ErrorBound(time=time, terms=terms, method="exact")
    rates = _norm_rates(sampler)
    terms = {
        "dilation": 0.5 * steps * rates["dilation"],
        "coherent": 0.5 * steps * rates["coherent"],
        "splitting": 0.5 * steps * rates["splitting"],
        "trotter": 0.5 * time * rates["trotter"] + 0.5 * steps * rates["hamiltonian_trotter"],
        "quadrature": 0.5 * time * rates["quadrature"],
    }
    estimated = [] if rates["quadrature_rigorous"] else ["quadrature"]
    if sampler.light_cone is not None:
        terms["truncation"] = 0.5 * time * rates["truncation"]
        estimated.append("truncation")
    return ErrorBound(time=time, terms=terms, method="norms", estimated=tuple(estimated))


def _exact_rates(sampler: CompiledSampler) -> dict[str, float]:
    """Per-step ‖Φ_dt − e^{dtL̃_h}‖_◇ and per-unit-time ‖L̃_h − L̃‖_◇, ‖L̃ − L‖_◇, once per sampler."""
    cache = sampler._cache
    if "exact_rates" not in cache:
        channel = sampler.step_channel()  # refuses first, before any dense d⁴ work, when n > 6
        form = sampler.form
        frames = _local_frames(sampler, tuple(sampler.system_qubits))
        grids = form.superoperator()
        implemented = grids if sampler.exact_evolution else form.superoperator(frame_hamiltonian=frames)
        trotter = diamond_norm_upper_bound(implemented - grids) if not sampler.exact_evolution else 0.0
        quadrature = diamond_norm_upper_bound(grids - sampler.lindbladian.superoperator())
        del grids
        if sampler.include_system_hamiltonian:
            h = form.hamiltonian.to_matrix()
            eye = np.eye(h.shape[0])
            implemented = implemented - 1j * (np.kron(eye, h) - np.kron(h.T, eye))
        cache["exact_rates"] = {
            "step": diamond_norm_upper_bound(channel - expm(sampler.dt * implemented)),
            "trotter": trotter,
            "quadrature": quadrature,
        }
    return cache["exact_rates"]


def _local_frames(sampler: CompiledSampler, window: tuple[int, ...]) -> np.ndarray:
    """The frame Hamiltonian on ``window`` (H_W, or H̃_h of H_W), cached per local Hamiltonian."""
    from .sampler import restrict

    h = sampler.form.hamiltonian
    if len(window) < sampler.num_system:
        h = restrict(h, window)
    key = ("frames", tuple(h.paulis.to_labels()), np.round(h.coeffs, 12).tobytes())
    if key not in sampler._cache:
        sampler._cache[key] = h.to_matrix() if sampler.exact_evolution else frame_hamiltonian(h, sampler.form.unit, order=sampler.trotter_order)
    return sampler._cache[key]


def _norm_rates(sampler: CompiledSampler) -> dict:
    cache = sampler._cache
    if "norm_rates" in cache:
        return cache["norm_rates"]
    trotter = quadrature = 0.0
    rigorous = True
    for window, couplings, multiplicity in _blocks(sampler):
        block = _Window(sampler, window, couplings)
        trotter += multiplicity * block.trotter()
        q, exact = block.quadrature()
        quadrature += multiplicity * q
        rigorous &= exact
    step = _step_rates(sampler, {window: _local_frames(sampler, window) for window in set(sampler.windows())})
    hamiltonian_trotter = 0.0
    if sampler.include_system_hamiltonian and not sampler.exact_evolution:
        if sampler.num_system <= MAX_WINDOW_QUBITS:  # the compiled e^{−iH dt}, densely
            hamiltonian_trotter = 2 * sampler._frame_error(sampler.dt)
        else:
            steps = max(1, math.ceil(sampler.dt / sampler.form.unit - 1e-9))  # as _controlled_evolve
            hamiltonian_trotter = 2 * product_formula_majorant(sampler.form.hamiltonian, sampler.dt, order=sampler.trotter_order, steps=steps)
    truncation = sampler.truncation_error()["rate"] if sampler.light_cone is not None else 0.0
    cache["norm_rates"] = {
        **step,
        "trotter": trotter,
        "hamiltonian_trotter": hamiltonian_trotter,
        "quadrature": quadrature,
        "quadrature_rigorous": rigorous,
        "truncation": truncation,
    }
    return cache["norm_rates"]


# ---- the step term from norms (docs/step_error_bound/README.md) -------------------------------


def _cosh_rem(x: float) -> float:
    """cosh x − 1 − x²/2, stable for small x."""
    return x**4 / 24 * (1 + x * x / 30) if x < 1e-2 else math.cosh(x) - 1 - x * x / 2


def _sinh_rem(x: float) -> float:
    """sinh x − x, stable for small x."""
    return x**3 / 6 * (1 + x * x / 20) if x < 1e-2 else math.sinh(x) - x


def dissipator_factor_error(gamma: float, dt: float, jnorm: float) -> float:
    """≥ ‖Φ_J − e^{dt D[J]}‖_◇ for the palindromic single-ancilla sweep of a jump with ‖J‖ ≤ jnorm ≤ Γ.

    U = Π_r e^{−i b_r G_r} with Σ|b_r|‖G_r‖ ≤ x = √dt Γ. Palindromic ⇒ U = I − iaK − a²K²/2 + Σ_{p≥3} a^pU_p
    (a = √dt), ‖a^pU_p‖ ≤ x^p/p!, odd p ancilla-off-diagonal. K₀ = I − (dt/2)J†J + R₀, ‖R₀‖ ≤ cosh x − 1 − x²/2;
    K₁ = −i√dt J + R₁, ‖R₁‖ ≤ sinh x − x. With λ = ‖J‖² (dtλ ≤ 4):
    ‖Φ − id − dtD‖ ≤ 2‖R₀‖ + (dtλ)²/4 + ‖R₁‖(min(1, √(dtλ) + ‖R₁‖) + √(dtλ)), ‖e^{dtD} − id − dtD‖ ≤ 2(dtλ)².
    """
    x = math.sqrt(dt) * gamma
    xj = math.sqrt(dt) * min(jnorm, gamma)
    lam_dt = xj * xj
    if lam_dt > 4:
        return 2.0
    r0, r1 = _cosh_rem(x), _sinh_rem(x)
    return min(2.0, 2 * r0 + lam_dt**2 / 4 + r1 * (min(1.0, xj + r1) + xj) + 2 * lam_dt**2)


def coherent_factor_error(gamma: float, theta: float, ynorm: float) -> float:
    """≥ ‖Φ_c − e^{−iθ[J†J, ·]}‖_◇ for the 4-sweep group commutator (a = √(|θ|/2)), ‖J†J‖ ≤ ynorm.

    W = S_K S_K′ S_K⁻¹ S_K′⁻¹ = I − a²[K, K′] + Σ_{p≥3} a^pW_p with Σ|b_r|‖G_r‖ ≤ y = 4aΓ and
    ⟨0|−a²[K,K′]|0⟩ = −iθJ†J: K₀ = e^{−iθY} + E, ‖E‖ ≤ cosh y − 1 − y²/2 + (θ‖Y‖)²/2, ‖K₁‖ ≤ sinh y − y;
    the error is ≤ 2‖E‖ + ‖K₁‖².
    """
    if theta == 0:
        return 0.0
    y = 4 * math.sqrt(abs(theta) / 2) * gamma
    e0 = _cosh_rem(y) + (abs(theta) * min(ynorm, gamma**2)) ** 2 / 2
    k1 = min(1.0, _sinh_rem(y))
    return min(2.0, 2 * e0 + k1 * k1)


def _ham_commutator_norm(hamiltonian: SparsePauliOp, coupling: SparsePauliOp, window: tuple[int, ...]) -> float:
    """≥ ‖[H, A_W(t)]‖ for A_W(t) evolved exactly with H_W: ‖[H_W, A]‖ (Σ over anticommuting Pauli
    pairs 2|c_h c_a|) plus 2‖A‖₁Σ|c_h| over the terms that touch W without lying inside it."""
    hz, hx = hamiltonian.paulis.z, hamiltonian.paulis.x
    inside = np.zeros(hamiltonian.num_qubits, dtype=bool)
    inside[list(window)] = True
    support = hz | hx
    term_in = ~(support[:, ~inside].any(axis=1))
    term_touch = support[:, inside].any(axis=1)
    hc = np.abs(hamiltonian.coeffs)
    total = 0.0
    for az, ax, ac in zip(coupling.paulis.z, coupling.paulis.x, np.abs(coupling.coeffs)):
        anti = ((hz & ax).sum(axis=1) + (hx & az).sum(axis=1)) % 2 == 1
        total += 2 * ac * float(np.sum(hc[anti & term_in]))
    return total + 2 * float(np.sum(np.abs(coupling.coeffs))) * float(np.sum(hc[term_touch & ~term_in]))


def _factors(sampler: CompiledSampler, frames: Mapping[tuple[int, ...], np.ndarray]) -> list[dict]:
    """The nontrivial factors in the sampler's time order (as ``_pieces`` builds them).

    Each: kind, k, mask (window), gamma (LCU 1-norm ≥ ‖J‖), jn (exact ‖J‖ on the window with the
    circuit's frames), hj (≥ ‖[H, J]‖, physical mode), and for coherent factors c, theta = dt·c, yn.
    """
    from .sampler import restrict

    form = sampler.form
    alpha = math.sqrt(form.rate)
    n = sampler.num_system
    windows = sampler.windows()
    masks = []
    for w in windows:
        m = np.zeros(n, dtype=bool)
        m[list(w)] = True
        masks.append(m)
    anorm = [float(np.sum(np.abs(a.coeffs))) for a in form.couplings]
    bases = {window: np.linalg.eigh(h) for window, h in frames.items()}
    couplings_energy: dict[int, np.ndarray] = {}
    norms: dict[tuple, float] = {}

    def jump_norm(k: int, grid) -> float:
        window = windows[k]
        e, v = bases[window]
        if k not in couplings_energy:
            a = form.couplings[k] if len(window) == n else restrict(form.couplings[k], window)
            couplings_energy[k] = v.conj().T @ a.to_matrix() @ v
        key = (k, np.round(grid.times - grid.times[0], 9).tobytes(), np.round(grid.weights, 14).tobytes())
        if key not in norms:  # a shifted grid is a unitary conjugation: same norm
            norms[key] = float(np.linalg.norm(grid.energy_operator(e, couplings_energy[k]), 2))
        return norms[key]

    hcomm = None
    if sampler.include_system_hamiltonian:
        hcomm = []
        for a, w in zip(form.couplings, windows):
            bound = _ham_commutator_norm(form.hamiltonian, a, w)
            if not sampler.exact_evolution:  # ‖[H_W, Ã(t)]‖ ≤ ‖[H_W, A]‖ + 4‖H_W − H̃_W‖‖A‖
                h_w = form.hamiltonian if len(w) == n else restrict(form.hamiltonian, w)
                bound += 4 * float(np.linalg.norm(h_w.to_matrix() - frames[w], 2)) * float(np.sum(np.abs(a.coeffs)))
            hcomm.append(bound)

    def factor(kind: str, k: int, v: float, grid, **extra) -> dict:
        g1 = alpha * math.sqrt(v) * grid.one_norm
        gamma = g1 * anorm[k]
        jn = min(gamma, alpha * math.sqrt(v) * jump_norm(k, grid))
        return dict(kind=kind, k=k, mask=masks[k], gamma=gamma, jn=jn, hj=None if hcomm is None else g1 * hcomm[k], **extra)

    nodes = [] if form.coherent is None else [float(c) for c in form.coherent.weights.real if c != 0]

    def coherent(k: int, c: float) -> list[dict]:
        out = []
        for v, grid in form.coherent_jumps:
            f = factor("coherent", k, v, grid, c=c, theta=sampler.dt * c)
            f["yn"] = f["jn"] ** 2
            out.append(f)
        return out

    couplings = range(len(form.couplings))
    if sampler.light_cone is not None:  # coupling by coupling
        return [
            f
            for k in couplings
            for f in [*(factor("dissipator", k, v, grid) for v, grid in form.jumps), *(g for c in nodes for g in coherent(k, c))]
        ]
    dissipators = [factor("dissipator", k, v, grid) for v, grid in form.jumps for k in couplings]
    return dissipators + [f for c in nodes for k in couplings for f in coherent(k, c)]


def _step_rates(sampler: CompiledSampler, frames: Mapping[tuple[int, ...], np.ndarray]) -> dict[str, float]:
    """≥ ‖Φ_dt − e^{dtL̃_h}‖_◇ split into per-factor (dilation, coherent) and Lie-splitting terms.

    Splitting (double Duhamel): ‖Π_i e^{dtX_i} − e^{dtΣX_i}‖ ≤ (dt²/2)Σ_i‖[X_i, Σ_{j>i}X_j]‖ with
    ‖[D₁, D₂]‖ ≤ 4.25λ₁λ₂, ‖[c ad_Y, D]‖ ≤ 2.5|c|‖Y‖λ, ‖[c ad_Y, c′ad_Y′]‖ ≤ |cc′|‖Y‖‖Y′‖,
    ‖[ad_H, D[J]]‖ ≤ 4‖J‖‖[H, J]‖; factors on disjoint windows commute and are skipped.
    """
    dt = sampler.dt
    fac = _factors(sampler, frames)
    dilation = sum(dissipator_factor_error(f["gamma"], dt, f["jn"]) for f in fac if f["kind"] == "dissipator")
    coherent = sum(coherent_factor_error(f["gamma"], f["theta"], f["yn"]) for f in fac if f["kind"] == "coherent")

    # dissipator pairs: order-free, bucketed by window
    buckets: dict[bytes, list] = {}
    for f in fac:
        if f["kind"] == "dissipator":
            b = buckets.setdefault(f["mask"].tobytes(), [f["mask"], 0.0, 0.0])
            b[1] += f["jn"] ** 2
            b[2] += f["jn"] ** 4
    values = list(buckets.values())
    pairs = 0.0
    for i, (mask, lam, lam2) in enumerate(values):
        pairs += 4.25 * (lam * lam - lam2) / 2
        for other, lam_o, _ in values[i + 1 :]:
            if (mask & other).any():
                pairs += 4.25 * lam * lam_o

    # pairs with coherent factors, in time order: ‖[X_i, Σ_{j>i} X_j]‖ pairwise over later overlapping j
    masks = np.array([f["mask"] for f in fac], dtype=np.int64)
    weights = np.array([2.5 * f["jn"] ** 2 if f["kind"] == "dissipator" else abs(f["c"]) * f["yn"] for f in fac])
    coh_weight = np.array([abs(f["c"]) * f["yn"] if f["kind"] == "coherent" else 0.0 for f in fac])
    for i, f in enumerate(fac):
        later = masks[i + 1 :] @ f["mask"] > 0
        if f["kind"] == "dissipator":  # against later coherent factors: 2.5 λ_i |c_j|‖Y_j‖
            pairs += 2.5 * f["jn"] ** 2 * float(np.sum(coh_weight[i + 1 :][later]))
        else:
            pairs += abs(f["c"]) * f["yn"] * float(np.sum(weights[i + 1 :][later]))
    if sampler.include_system_hamiltonian:  # the Hamiltonian factor comes last
        pairs += sum(4 * f["hj"] * f["jn"] * (1.0 if f["kind"] == "dissipator" else abs(f["c"])) for f in fac)
    return {"dilation": dilation, "coherent": coherent, "splitting": dt * dt / 2 * pairs}
