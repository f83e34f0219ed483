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
  ``analysis.truncation.truncation_error`` (a bound: dense against a wider window, plus a
  Lieb–Robinson tail beyond it). The result says which terms are estimates and is ``rigorous`` only
  when none is. Cost: the truncation bound computes one dense window of up to 11 qubits per distinct
  coupling (couplings alike on the window and one step beyond share it) plus a commutator tail per
  grid time: ~4 s for a TFIM chain of n = 6 at r = 1, ~1 min at n = 8, minutes beyond (measured on a
  shared 2-core machine); without a light cone there is no truncation term.

References:
    docs/schemes.md; docs/step_error_bound/README.md; Childs et al., PRX 11, 011020 (2021)
    for the product-formula majorant; Watrous, Theory of Quantum Information, §3.3 (diamond norm).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.linalg import expm

from ..lowering.compiled import CompiledStep
from ..lowering.frames import frame_hamiltonian
from ..lowering.light_cone import restrict
from ..lowering.plan import Factor
from ..memory import require_memory
from .bounds import (
    coherent_factor_error,
    diamond_norm_upper_bound,
    dissipator_factor_error,
    hamiltonian_commutator_norm,
    jump_level_distance,
    product_formula_majorant,
)
from .channels import MAX_CHANNEL_QUBITS, factor_jumps, jump_generator, plan_generator, step_channel
from .truncation import truncation_error

__all__ = ["ErrorBound", "ErrorBudget", "diamond_norm_upper_bound", "frame_hamiltonian", "error_bound"]

#: Per-step terms (scale with the number of steps); the others scale with t.
STEP_TERMS = ("step", "dilation", "coherent", "splitting")
#: Largest window (qubits) the norms method treats densely.
MAX_WINDOW_QUBITS = 10
#: Largest window (qubits) whose quadrature term is a Choi-based diamond bound (d⁴ superoperators).
MAX_CHOI_QUBITS = MAX_CHANNEL_QUBITS
METHODS = ("auto", "exact", "norms")


@dataclass(frozen=True)
class ErrorBound:
    """A bound on ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁ for every ρ₀, as a sum of named terms; from ``gibbs_bound``
    (method ``"certificate"`` or ``"gap_certificate"``), a bound on ½‖ρ_circuit(t) − σ_β‖₁ instead
    (:mod:`~kmsgibbs.compiler.analysis.certificate`).

    Attributes:
        time: t.
        terms: name → contribution at time t (already ½ and summed over the t/dt steps): ``step`` (exact
            method) or ``dilation``, ``coherent``, ``splitting`` (norms method), then ``trotter``,
            ``quadrature`` and, with a light cone, ``truncation``; for a certificate ``transient``,
            ``accumulated``, ``remainder`` (and ``average_quadrature``); for a gap certificate
            ``transient`` and the per-step terms, each times the damped sum of steps.
        method: ``"exact"``, ``"norms"``, ``"certificate"`` or ``"gap_certificate"``.
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


def _blocks(step: CompiledStep) -> list[tuple[tuple[int, ...], tuple[int, ...], int]]:
    """(window, operators, multiplicity): each distinct light-cone block once, or the whole system."""
    if step.light_cone is None:
        return [(tuple(range(step.num_system)), tuple(range(len(step.couplings))), 1)]
    return [(step.windows[k], (k,), m) for k, m in step.blocks.items()]


#: d × d matrices a window holds besides its jumps (H_W, H̃_h, the couplings, products).
_WINDOW_MATRICES = 8


class _Window:
    """One block's dense objects: its factors, H_W, the frame Hamiltonian H̃_h and the window generator L_W."""

    def __init__(self, step: CompiledStep, window: tuple[int, ...], operators: tuple[int, ...]):
        if len(window) > MAX_WINDOW_QUBITS:
            raise ValueError(
                f"the norms error bound treats each coupling's window densely, at most {MAX_WINDOW_QUBITS} "
                f"qubits; got a window of {len(window)}: compile with a light_cone radius"
            )
        form, lind = step.form, step.lindbladian
        self.qubits = len(window)
        self.step = step
        self.factors = [f for f in step.plan.factors if f.operator in operators]
        d = 2 ** len(window)
        # the trotter term holds every factor's dense jump twice (Trotterised and exact frames)
        require_memory(
            f"the norms error bound of a {len(window)}-qubit window ({len(self.factors)} factors' dense jumps, twice)",
            16 * d * d * (2 * len(self.factors) + _WINDOW_MATRICES),
            alternative="compile with a smaller light_cone radius (windows of fewer qubits)",
        )
        self.operators = {k: restrict(form.couplings[k], window).to_matrix() for k in operators}
        self.hamiltonian = restrict(form.hamiltonian, window).to_matrix()
        self.frames = step.frames.dense_hamiltonian(window)
        if len(window) == step.num_system and len(operators) == len(form.couplings):
            self.lindbladian = lind
        else:
            h = restrict(form.hamiltonian, window)
            a = tuple(restrict(form.couplings[k], window) for k in operators)
            self.lindbladian = dataclasses.replace(lind, hamiltonian=h, couplings=a)

    def jumps(self, frame_hamiltonian: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """The dissipator jumps and the coherent term of the block's factors, frames by ``frame_hamiltonian``."""
        pairs = factor_jumps(self.factors, self.operators, frame_hamiltonian)
        dissipators = [j for f, j in pairs if f.kind == "dissipator"]
        coherent = sum((f.coefficient * (j.conj().T @ j) for f, j in pairs if f.kind == "coherent"), np.zeros_like(self.hamiltonian))
        return dissipators, coherent

    def trotter(self) -> float:
        """≥ ‖L̃_h − L̃‖_◇ on the window (0 with exact frames)."""
        if self.step.frames.exact:
            return 0.0
        return jump_level_distance(*self.jumps(self.frames), *self.jumps(self.hamiltonian))

    def quadrature(self) -> tuple[float, bool]:
        """(≥ ‖L̃ − L_W‖_◇, rigorous): a Choi bound on the dense superoperators up to MAX_CHOI_QUBITS;
        beyond, a jump-level estimate against the exact filters at the same Gaussian-average nodes
        (it omits the error of the average's nodes themselves)."""
        if self.qubits <= MAX_CHOI_QUBITS:
            grids = jump_generator(factor_jumps(self.factors, self.operators, self.hamiltonian))
            return diamond_norm_upper_bound(grids - self.lindbladian.superoperator()), True
        form = self.step.form
        if len(form.jump_filters) != len(form.jumps):
            raise ValueError("this generator's time-domain form has no exact jump filters to estimate against")
        e, v = np.linalg.eigh(self.hamiltonian)
        nu = e[:, None] - e[None, :]
        exact = []
        for f in self.factors:
            if f.kind == "dissipator":
                scale = math.sqrt(form.rate * form.jumps[f.node][0])
                abar = v.conj().T @ self.operators[f.operator] @ v
                exact.append(scale * (v @ (form.jump_filters[f.node](nu) * abar) @ v.conj().T))
        dissipators, coherent = self.jumps(self.hamiltonian)
        return jump_level_distance(dissipators, coherent, exact, self.lindbladian.coherent_term()), False


class ErrorBudget:
    """The error budget of one compiled step; the rates are computed once and scaled by t.

    Args:
        step: the compiled step (plan, frames, form, generator).
    """

    def __init__(self, step: CompiledStep):
        self.step = step

    def bound(self, time: float, steps: int, *, method: str = "auto") -> ErrorBound:
        """The named bound at ``time`` = ``steps``·dt; see the module docstring."""
        if method not in METHODS:
            raise ValueError(f"method must be 'auto', 'exact' or 'norms', got {method!r}")
        step = self.step
        if method == "auto":
            method = "exact" if step.light_cone is None and step.num_system <= MAX_CHOI_QUBITS else "norms"
        if method == "exact":
            if step.light_cone is not None:
                raise ValueError("the exact error bound needs the untruncated sampler (light_cone=None); use method='norms'")
            r = self.exact_rates
            terms = {"step": 0.5 * steps * r["step"], "trotter": 0.5 * time * r["trotter"], "quadrature": 0.5 * time * r["quadrature"]}
            return ErrorBound(time=time, terms=terms, method="exact")
        r = self.norm_rates
        terms = {
            "dilation": 0.5 * steps * r["dilation"],
            "coherent": 0.5 * steps * r["coherent"],
            "splitting": 0.5 * steps * r["splitting"],
            "trotter": 0.5 * time * r["trotter"] + 0.5 * steps * r["hamiltonian_trotter"],
            "quadrature": 0.5 * time * r["quadrature"],
        }
        estimated = [] if r["quadrature_rigorous"] else ["quadrature"]
        if step.light_cone is not None:
            terms["truncation"] = 0.5 * time * r["truncation"]
        return ErrorBound(time=time, terms=terms, method="norms", estimated=tuple(estimated))

    @cached_property
    def exact_rates(self) -> dict[str, float]:
        """Per-step ‖Φ_dt − e^{dtL̃_h}‖_◇ and per-unit-time ‖L̃_h − L̃‖_◇, ‖L̃ − L‖_◇ from the plan's factors."""
        step = self.step
        channel = step_channel(step)  # refuses first, before any dense d⁴ work, when n > 6
        full = tuple(range(step.num_system))
        h = step.form.hamiltonian.to_matrix()
        grids = plan_generator(step, h)
        implemented = grids if step.frames.exact else plan_generator(step, step.frames.dense_hamiltonian(full))
        trotter = 0.0 if step.frames.exact else diamond_norm_upper_bound(implemented - grids)
        quadrature = diamond_norm_upper_bound(grids - step.lindbladian.superoperator())
        del grids
        if step.include_system_hamiltonian:
            eye = np.eye(h.shape[0])
            implemented = implemented - 1j * (np.kron(eye, h) - np.kron(h.T, eye))
        return {
            "step": diamond_norm_upper_bound(channel - expm(step.dt * implemented)),
            "trotter": trotter,
            "quadrature": quadrature,
        }

    @cached_property
    def norm_rates(self) -> dict:
        step = self.step
        trotter = quadrature = 0.0
        rigorous = True
        for window, operators, multiplicity in _blocks(step):
            block = _Window(step, window, operators)
            trotter += multiplicity * block.trotter()
            q, exact = block.quadrature()
            quadrature += multiplicity * q
            rigorous &= exact
        frames = {window: step.frames.dense_hamiltonian(window) for window in set(step.windows)}
        rates = _step_rates(step, frames)
        hamiltonian_trotter = 0.0
        if step.include_system_hamiltonian and not step.frames.exact:
            if step.num_system <= MAX_WINDOW_QUBITS:  # the compiled e^{−iH dt}, densely
                hamiltonian_trotter = 2 * step.frames.error(step.dt)
            else:
                count = max(1, math.ceil(step.dt / step.frames.trotter_step - 1e-9))  # as FrameEvolutions.evolution
                hamiltonian_trotter = 2 * product_formula_majorant(
                    step.form.hamiltonian, step.dt, order=step.frames.order, steps=count
                )
        truncation = truncation_error(step)["rate"] if step.light_cone is not None else 0.0
        return {
            **rates,
            "trotter": trotter,
            "hamiltonian_trotter": hamiltonian_trotter,
            "quadrature": quadrature,
            "quadrature_rigorous": rigorous,
            "truncation": truncation,
        }


def error_bound(step: CompiledStep, time: float, steps: int, *, method: str = "auto") -> ErrorBound:
    """The named error budget of ``step`` at ``time`` (= ``steps``·dt); see the module docstring.

    Args:
        step: a compiled dilation step.
        time: t ≥ 0.
        steps: t/dt.
        method: ``"exact"``, ``"norms"`` or ``"auto"`` (exact for n ≤ 6 without a light cone).
    """
    return ErrorBudget(step).bound(time, steps, method=method)


# ---- the step term from norms (docs/step_error_bound/README.md) -------------------------------


def _factor_norms(step: CompiledStep, frames: Mapping[tuple[int, ...], np.ndarray]) -> list[dict]:
    """The plan's dissipator and coherent factors in time order, with the norms the bounds need.

    Each: kind, mask (window), gamma (LCU 1-norm ≥ ‖J‖), jn (exact ‖J‖ on the window with the
    circuit's frames), hj (≥ ‖[H, J]‖, physical mode), and for coherent factors c, theta = dt·c, yn.
    """
    form = step.form
    n = step.num_system
    anorm = [float(np.sum(np.abs(a.coeffs))) for a in form.couplings]
    bases = {window: np.linalg.eigh(h) for window, h in frames.items()}
    couplings_energy: dict[int, np.ndarray] = {}
    norms: dict[tuple, float] = {}

    def jump_norm(f: Factor) -> float:
        e, v = bases[f.window]
        if f.operator not in couplings_energy:
            a = restrict(form.couplings[f.operator], f.window)
            couplings_energy[f.operator] = v.conj().T @ a.to_matrix() @ v
        times = f.grid.times
        key = (f.operator, np.round(times - times[0], 9).tobytes(), np.round(f.grid.weights, 14).tobytes())
        if key not in norms:  # a shifted grid is a unitary conjugation: same norm
            norms[key] = float(np.linalg.norm(f.grid.energy_operator(e, couplings_energy[f.operator]), 2))
        return norms[key]

    hcomm = None
    if step.include_system_hamiltonian:
        hcomm = []
        for a, w in zip(form.couplings, step.windows):
            bound = hamiltonian_commutator_norm(form.hamiltonian, a, w)
            if not step.frames.exact:  # ‖[H_W, Ã(t)]‖ ≤ ‖[H_W, A]‖ + 4‖H_W − H̃_W‖‖A‖
                h_w = restrict(form.hamiltonian, w)
                bound += 4 * float(np.linalg.norm(h_w.to_matrix() - frames[w], 2)) * float(np.sum(np.abs(a.coeffs)))
            hcomm.append(bound)

    out = []
    for f in step.plan.factors:
        if f.kind not in ("dissipator", "coherent"):
            continue
        mask = np.zeros(n, dtype=bool)
        mask[list(f.window)] = True
        g1 = f.grid.one_norm
        gamma = g1 * anorm[f.operator]
        row = dict(kind=f.kind, mask=mask, gamma=gamma, jn=min(gamma, jump_norm(f)), hj=None if hcomm is None else g1 * hcomm[f.operator])
        if f.kind == "coherent":
            row.update(c=f.coefficient, theta=step.dt * f.coefficient, yn=row["jn"] ** 2)
        out.append(row)
    return out


def _step_rates(step: CompiledStep, frames: Mapping[tuple[int, ...], np.ndarray]) -> dict[str, float]:
    """≥ ‖Φ_dt − e^{dtL̃_h}‖_◇ split into per-factor (dilation, coherent) and Lie-splitting terms.

    Splitting (double Duhamel): ‖Π_i e^{dtX_i} − e^{dtΣX_i}‖ ≤ (dt²/2)Σ_i‖[X_i, Σ_{j>i}X_j]‖ with
    ‖[D₁, D₂]‖ ≤ 4.25λ₁λ₂, ‖[c ad_Y, D]‖ ≤ 2.5|c|‖Y‖λ, ‖[c ad_Y, c′ad_Y′]‖ ≤ |cc′|‖Y‖‖Y′‖,
    ‖[ad_H, D[J]]‖ ≤ 4‖J‖‖[H, J]‖; factors on disjoint windows commute and are skipped.
    """
    dt = step.dt
    fac = _factor_norms(step, frames)
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
    if step.include_system_hamiltonian:  # any order: every factor is paired with the Hamiltonian's
        pairs += sum(4 * f["hj"] * f["jn"] * (1.0 if f["kind"] == "dissipator" else abs(f["c"])) for f in fac)
    return {"dilation": dilation, "coherent": coherent, "splitting": dt * dt / 2 * pairs}
