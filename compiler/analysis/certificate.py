"""A time-uniform certificate for the Gibbs state: a bound on ½‖E[ρ_circuit(t)] − σ_β‖₁ that saturates.

The circuits' channel over one cycle of C steps (C = 1 for the dilation scheme; the coherent cycle of the
randomized scheme, its averaged channel) is Φ, the target is Y = e^{τL}, τ = C·dt, and σ = σ_β is
fixed by Y. With E = Φ − Y (trace-annihilating: both are trace preserving), ρ_k = Φ^k ρ₀ and
D_k = ρ_k − Y^k ρ₀, the exact identity ρ_{k+1} − σ = Y(ρ_k − σ) + Eρ_k telescopes into

    ρ_k − σ = (Y^k ρ₀ − σ) + F_k + R_k,   F_k = Σ_{j<k} Y^{k−1−j} E Y^j ρ₀,   R_k = Σ_{j<k} Y^{k−1−j} E D_j:

every step's error is made at time jτ and damped by the ideal semigroup from then on. The first two
parts are computed exactly (dense, n ≤ 5); F_k is the first-order error, damped exactly. The second-
order part R_k is bounded with two numbers:

* ε ≥ sup_X ‖EX‖₁/‖X‖₁ over traceless Hermitian X, the smaller Choi bound of ‖E‖_◇ and
  ‖E∘(id − P_σ)‖_◇ (P_σ X = Tr(X)σ; EX = E(id − P_σ)X on traceless X; the induced trace norm of a
  Hermiticity-preserving map is at most its diamond norm);
* η(s) ≥ sup_X ‖e^{sL}X‖₁/‖X‖₁ over traceless Hermitian X, the contraction of the ideal semigroup:
  η(s) ≤ min(1, ‖e^{sL} − P_σ‖_◇) (e^{sL}X = (e^{sL} − P_σ)X for Tr X = 0; CPTP maps contract the
  trace norm), η non-increasing and η(s + u) ≤ η(s)η(u). It is evaluated on a grid up to a horizon
  H with η(H) ≤ θ < 1 and extended by η(qH + r) ≤ θ^q η(r).

The error damped for a time s is bounded as one map: μ(s) ≥ sup ‖e^{sL}EX‖₁/‖X‖₁ over traceless X,
μ(s) = min(ε η(s), Choi bounds of e^{sL}E and e^{sL}E∘(id − P_σ)), on the same grid (μ(s + u) ≤ η(u)μ(s):
non-increasing, and μ(qH + r) ≤ θ^q μ(r)). With δ_k ≥ ½‖D_k‖₁ (D_k traceless, ρ₀ a state):

    δ_k = ½‖F_k‖₁ + Σ_{j<k} μ((k−1−j)τ) δ_j,
    ½‖ρ_k − σ‖₁ ≤ ½‖Y^kρ₀ − σ‖₁ + δ_k                                     (transient + accumulated + remainder)

and at the fixed point σ̃ = Φσ̃, with G = Σ_{i≥0} Y^i on traceless operators (σ̃ − σ = GEσ̃):

    ½‖σ̃ − σ‖₁ ≤ ½‖GEσ‖₁ / (1 − κ),   κ ≥ sup_X ‖GEX‖₁/‖X‖₁ (traceless X), when κ < 1,

one norm of the product where the limit of the bound above pays Σ_i μ(iτ) (both bound the fixed
point). A time t = kτ + r·dt inside a cycle adds the partial cycle Φ_r = Y_r + E_r: D_t = Y_r F_k + E_r Y^kρ₀ (exact) + Y_r R_k + E_r D_k, so ½‖D_t‖₁ ≤ ½‖Y_r F_k +
E_r Y^kρ₀‖₁ + ½‖R_k‖₁ + ε_r δ_k.

``rho0=None`` bounds every initial state at once: the same recursion on superoperators (ρ₀ ↦ …), each
norm sup_ρ₀ ½‖Mρ₀‖₁ ≤ ½‖M‖_◇ by the Choi bound, the transient capped at 1.

A channel known only up to a quadrature (the randomized scheme's averaged channel, ``quadrature`` per
step ≥ ‖Φ_true − Φ‖_◇ per step, an *estimate*) adds Σ_{j<k} η((k−1−j)τ)·½Cq: the term
``average_quadrature``, reported as estimated; at the fixed point it adds ½‖GQσ̃‖₁ ≤ ½gCq, g the
Choi bound of G on traceless operators.

References:
    Watrous, Theory of Quantum Information, §3.3 (diamond norm, induced trace norm); Szehr & Wolf,
    arXiv:1210.1171 (perturbation bounds for fixed points of contracting channels); Wang, Zhang & Li,
    arXiv:2111.09622 (the steady-state error of a discretised open system from one step's error);
    docs/certificate.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.linalg import expm

from ..memory import require_memory
from .bounds import diamond_norm_upper_bound
from .error_budget import ErrorBound

__all__ = ["GibbsCertificate", "MAX_CERTIFICATE_QUBITS", "CONTRACTION_POINTS", "HORIZON_CONTRACTION"]

#: Largest system (qubits) certified densely: the Choi bounds diagonalise 4^n × 4^n matrices.
MAX_CERTIFICATE_QUBITS = 5
#: The contraction grid's points up to the horizon (η is non-increasing between them).
CONTRACTION_POINTS = 32
#: The horizon H is the first τ·2^i whose contraction bound is at most this.
HORIZON_CONTRACTION = 0.5
#: Doublings of τ searched for the horizon before the tail is given up (θ = 1: no fixed-point bound).
MAX_DOUBLINGS = 20


def _half_trace_norm(x: np.ndarray) -> float:
    """½‖X‖₁ of a column-stacked (d²,) operator, Hermitian part (the operators here are Hermitian)."""
    d = math.isqrt(x.shape[0])
    m = x.reshape(d, d, order="F")
    return 0.5 * float(np.abs(np.linalg.eigvalsh(0.5 * (m + m.conj().T))).sum())


def _half_norm(x: np.ndarray) -> float:
    """½‖x‖₁ for one operator (a vector), ≥ sup_ρ ½‖xρ‖₁ for a superoperator (half its Choi diamond bound)."""
    return _half_trace_norm(x) if x.ndim == 1 else 0.5 * diamond_norm_upper_bound(x)


class GibbsCertificate:
    """The Gibbs-state certificate of a periodic sequence of step channels; see the module docstring.

    Args:
        generator: the target L, a dense column-stacked (d², d²) superoperator with e^{tL}σ = σ.
        gibbs: σ_β, a (d, d) density matrix.
        step_channels: the channel of each step of a cycle, column-stacked; step c of the evolution
            applies ``step_channels[c % C]``.
        dt: the step size.
        quadrature: an estimate of ‖Φ_true − Φ‖_◇ per step for channels computed by a quadrature (0 when exact).
    """

    def __init__(
        self,
        generator: np.ndarray,
        gibbs: np.ndarray,
        step_channels: Sequence[np.ndarray],
        dt: float,
        *,
        quadrature: float = 0.0,
    ):
        d2 = generator.shape[0]
        n = int(round(math.log2(d2))) // 2
        if n > MAX_CERTIFICATE_QUBITS:
            raise ValueError(f"the Gibbs certificate is computed densely for at most {MAX_CERTIFICATE_QUBITS} system qubits, got {n}")
        require_memory(
            f"the Gibbs certificate of {n} qubits", 12 * 16 * d2 * d2,
            alternative="a smaller system (the certificate is dense, n ≤ 5)",
        )
        self.dt = dt
        self.cycle = len(step_channels)
        self.quadrature = quadrature
        self.sigma = np.asarray(gibbs, dtype=complex).reshape(-1, order="F")
        d = math.isqrt(d2)
        self.projector = np.outer(self.sigma, np.eye(d).reshape(-1, order="F"))  # P_σ X = Tr(X) σ
        step = expm(dt * generator)
        # partial cycles: Φ_r and Y_r = e^{r dt L} for r = 0..C (r = C is the cycle)
        self.partial = [np.eye(d2, dtype=complex)]
        self.ideal = [np.eye(d2, dtype=complex)]
        for c in range(self.cycle):
            self.partial.append(step_channels[c] @ self.partial[-1])
            self.ideal.append(step @ self.ideal[-1])
        self.tau = self.cycle * dt
        self.y = self.ideal[-1]
        self.error = self.partial[-1] - self.y
        self._epsilon: dict[int, float] = {}
        self._grid: tuple[int, np.ndarray, float] | None = None
        self._paths: dict[bytes | None, dict] = {}

    def epsilon(self, steps: int | None = None) -> float:
        """ε_r ≥ sup ‖E_r X‖₁/‖X‖₁ over traceless Hermitian X, E_r = Φ_r − e^{r dt L} (default: the cycle)."""
        r = self.cycle if steps is None else steps
        if r not in self._epsilon:
            e = self.partial[r] - self.ideal[r]
            traceless = e - e @ self.projector  # E ∘ (id − P_σ): equal to E on traceless inputs
            self._epsilon[r] = min(diamond_norm_upper_bound(e), diamond_norm_upper_bound(traceless))
        return self._epsilon[r]

    @property
    def contraction_grid(self) -> tuple[int, np.ndarray, np.ndarray, float]:
        """(m, c, u, θ): η(i·mτ) ≤ c[i] and μ(i·mτ) ≤ u[i] for i < len(c) (both non-increasing), and
        η(len(c)·mτ) ≤ θ."""
        if self._grid is None:
            self._grid = self._contraction_grid()
        return self._grid

    def _bound(self, y: np.ndarray) -> float:
        return min(1.0, diamond_norm_upper_bound(y - self.projector))

    def _damped(self, y: np.ndarray, contraction: float) -> float:
        damped = y @ self.error
        return min(
            self.epsilon() * contraction,
            diamond_norm_upper_bound(damped),
            diamond_norm_upper_bound(damped - damped @ self.projector),
        )

    def _contraction_grid(self) -> tuple[int, np.ndarray, np.ndarray, float]:
        # the horizon: the first τ·2^i whose bound is ≤ HORIZON_CONTRACTION (squaring: one product per doubling)
        power, cycles, theta = self.y, 1, self._bound(self.y)
        for _ in range(MAX_DOUBLINGS):
            if theta <= HORIZON_CONTRACTION:
                break
            power, cycles = power @ power, 2 * cycles
            theta = self._bound(power)
        m = max(1, math.ceil(cycles / CONTRACTION_POINTS))
        points = math.ceil(cycles / m)
        stride = np.linalg.matrix_power(self.y, m)
        values, damped, y = [], [], np.eye(self.y.shape[0], dtype=complex)
        for _ in range(points):
            values.append(self._bound(y))
            damped.append(self._damped(y, values[-1]))
            y = stride @ y
        # η and μ are non-increasing: a grid value also bounds the later points; η(points·mτ) ≤ η(H) ≤ θ
        grid = np.minimum.accumulate(np.array(values))
        return m, grid, np.minimum.accumulate(np.array(damped)), min(theta, self._bound(y), float(grid[-1]))

    def contraction(self, cycles: int) -> float:
        """η(cycles·τ) from the grid and η(qH + r) ≤ θ^q η(r)."""
        m, grid, _, theta = self.contraction_grid
        q, rest = divmod(cycles, m * len(grid))
        return float(theta**q * grid[rest // m])

    def damped_error(self, cycles: int) -> float:
        """μ(cycles·τ) ≥ ‖e^{cycles·τL}E‖ on traceless operators, from the grid and μ(qH + r) ≤ θ^q μ(r)."""
        m, grid, damped, theta = self.contraction_grid
        q, rest = divmod(cycles, m * len(grid))
        return float(theta**q * damped[rest // m])

    def fixed_point(self) -> ErrorBound:
        """The t → ∞ certificate: a bound on ½‖σ̃ − σ_β‖₁ for every fixed point σ̃ of the cycle channel.

        With G = Σ_{i≥0} Y^i = (id − Y + P_σ)^{−1} on traceless operators (E maps into them):
        σ̃ − σ = GEσ̃ = GEσ + GE(σ̃ − σ), so ½‖σ̃ − σ‖₁ ≤ ½‖GEσ‖₁ / (1 − κ), κ ≥ ‖GE‖ on traceless
        inputs (Choi bounds of GE and GE∘(id − P_σ)): one norm of the product, not ε·Σ_i η(iτ).
        """
        d2 = self.y.shape[0]
        resolvent = np.linalg.inv(np.eye(d2) - self.y + self.projector)
        response = resolvent @ self.error
        kappa = min(diamond_norm_upper_bound(response), diamond_norm_upper_bound(response - response @ self.projector))
        accumulated = _half_trace_norm(response @ self.sigma)
        # a quadrature error Q (‖Q‖_◇ ≤ Cq, traceless outputs) adds GQσ̃, ½‖GQσ̃‖₁ ≤ ½gCq with g ≥ ‖G‖ on traceless
        q = self.cycle * self.quadrature
        g = diamond_norm_upper_bound(resolvent - resolvent @ self.projector) if q else 0.0
        denominator = 1.0 - kappa
        if not denominator > 0.0:
            return self._result(math.inf, 0.0, accumulated, math.inf, 0.5 * g * q)
        total = (accumulated + 0.5 * g * q) / denominator
        return self._result(math.inf, 0.0, accumulated, total - accumulated - 0.5 * g * q, 0.5 * g * q)

    def bound(self, steps: int, rho0: np.ndarray | None = None) -> ErrorBound:
        """The certificate after ``steps`` steps from ``rho0`` (a (d, d) density matrix; ``None``: every state)."""
        k, r = divmod(steps, self.cycle)
        path = self._trajectory(k, rho0)
        trans, f, delta, quad, t_k, f_k = path["transient"], path["accumulated"], path["delta"], path["quadrature"], path["t"], path["f"]
        if r == 0:
            return self._result(steps * self.dt, trans[k], f[k], delta[k] - f[k] - quad[k], quad[k])
        y_r, x = self.ideal[r], self._start(rho0)
        transient = min(1.0, _half_norm(y_r @ t_k - self.projector @ x))
        accumulated = _half_norm(y_r @ f_k + (self.partial[r] - y_r) @ t_k)
        remainder = delta[k] - f[k] - quad[k] + self.epsilon(r) * delta[k]
        quadrature = quad[k] + 0.5 * r * self.quadrature
        return self._result(steps * self.dt, transient, accumulated, remainder, quadrature)

    def _start(self, rho0: np.ndarray | None) -> np.ndarray:
        d2 = self.y.shape[0]
        if rho0 is None:
            return np.eye(d2, dtype=complex)
        rho = np.asarray(rho0, dtype=complex)
        d = math.isqrt(d2)
        # the bound holds for states: a non-normalised or non-Hermitian ρ₀ would be bounded wrongly
        if rho.shape != (d, d) or not np.all(np.isfinite(rho)) or abs(np.trace(rho) - 1) > 1e-8 or not np.allclose(rho, rho.conj().T, atol=1e-10):
            raise ValueError(f"rho0 must be a ({d}, {d}) density matrix (Hermitian, trace 1), got shape {rho.shape}")
        return rho.reshape(-1, order="F")

    def _trajectory(self, cycles: int, rho0: np.ndarray | None) -> dict:
        """Per cycle k ≤ ``cycles``: the transient, ½‖F_k‖₁, δ_k and the quadrature term, and the last
        Y^kρ₀, F_k (superoperators for ``rho0=None``, kept and extended across calls)."""
        key = None if rho0 is None else self._start(rho0).tobytes()
        path = self._paths.get(key)
        if path is None:
            x = self._start(rho0)
            path = {"transient": [], "accumulated": [], "delta": [], "quadrature": [], "t": x, "f": np.zeros_like(x)}
        q = 0.5 * self.cycle * self.quadrature
        x = self._start(rho0)
        etas = [self.contraction(i) for i in range(cycles + 1)]
        mus = [self.damped_error(i) for i in range(cycles + 1)]
        while len(path["delta"]) <= cycles:
            k = len(path["delta"])
            if k:  # F_k = Y F_{k−1} + E Y^{k−1}ρ₀
                path["f"] = self.y @ path["f"] + self.error @ path["t"]
                path["t"] = self.y @ path["t"]
            path["transient"].append(min(1.0, _half_norm(path["t"] - self.projector @ x)))
            path["accumulated"].append(_half_norm(path["f"]) if k else 0.0)
            quad = q * sum(etas[:k])
            damped = sum(mus[k - 1 - j] * path["delta"][j] for j in range(k))
            path["quadrature"].append(quad)
            path["delta"].append(path["accumulated"][-1] + quad + damped)
        if key is None or len(self._paths) < 8:  # a few initial states are kept, the every-state path always
            self._paths[key] = path
        if len(path["delta"]) > cycles + 1:  # a longer path computed before: F_k, Y^kρ₀ of its end do not apply
            return self._rewound(cycles, rho0, path)
        return path

    def _rewound(self, cycles: int, rho0: np.ndarray | None, path: dict) -> dict:
        """The path's scalars up to ``cycles`` with Y^kρ₀ and F_k recomputed for k = ``cycles``."""
        x = self._start(rho0)
        t, f = x, np.zeros_like(x)
        for _ in range(cycles):
            f = self.y @ f + self.error @ t
            t = self.y @ t
        return {**{name: path[name] for name in ("transient", "accumulated", "delta", "quadrature")}, "t": t, "f": f}

    def _result(self, time: float, transient: float, accumulated: float, remainder: float, quadrature: float) -> ErrorBound:
        terms = {"transient": transient, "accumulated": accumulated, "remainder": remainder}
        estimated: tuple[str, ...] = ()
        if self.quadrature:
            terms["average_quadrature"] = quadrature
            estimated = ("average_quadrature",)
        return ErrorBound(time=time, terms=terms, method="certificate", estimated=estimated)
