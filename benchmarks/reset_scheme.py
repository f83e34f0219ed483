"""The peer's single-bath-qubit reset (collision) scheme, re-implemented from its published code.

Source: github.com/Roland-Farrell/dissipative_Gibbs_sampling, ``thermal_prep.py`` (commit 8ef4e9c; read
from the local mirror ``/work/.mirror/Roland-Farrell+dissipative_Gibbs_sampling/repo``). Its README names the
algorithm's paper, Ding, Zhan, Preskill & Lin, "End-to-end efficient quantum thermal and ground state
preparation made simple", arXiv:2508.05703, and the hardware demonstration, "Preparing thermal states of
frustrated quantum spin systems using 139 qubits", arXiv:2605.26245 (the code's equation numbers refer to
the latter). Everything below is what that code does (``run_thermal_prep`` with ``N_bath = 1``); the
functions named in brackets are the peer's.

One cycle, repeated (``run_thermal_prep``, one iteration of ``for step in range(nSteps)``):
  1. draw ω ~ U[0, ω_max] (``rng.uniform(0, omega_max)``); the README's example sets
     ω_max = max(4g_x, 4g_z, 4);
  2. draw the jump operator O uniformly from the 3N single-site Paulis {X, Y, Z} × sites
     (``pauli_coupling``, the Ising default; coefficient 1);
  3. prepare the bath qubit in |1⟩ with probability 1/(1 + e^{βω}), else |0⟩ (``_sample_thermal_bath``),
     with β the *target* β (the code has no separate bath temperature);
  4. evolve system + bath for t_tot in M = ``nTrot`` steps of δ = t_tot/M (``_add_evolution``); step m is,
     in circuit order,
         C_m · Rz_B(−δω/2) · S(δ) · Rz_B(−δω/2) · C_m,
     with C_m = e^{−i(θ_m/2) X_B⊗O} (``_pauli_rotation``: basis change, CX(B, site), Rz(θ_m) on the site,
     CX(B, site), basis change back), θ_m = α g_m δ, and the system step (``ising_model.trotter_step``)
         S(δ) = Rx(g_x δ)^{⊗N} · Rzz(2Jδ) on every bond · Rz(2g_z δ)^{⊗N} · Rx(g_x δ)^{⊗N},
     i.e. e^{−ig_xδΣX/2} e^{−iδ(JΣZZ + g_zΣZ)} e^{−ig_xδΣX/2}: the ZZ layer appears ONCE per step. So the
     joint step is a symmetric split of H(t) = H_S − (ω/2)Z_B + α g(t) O⊗X_B (the bath Rz's are
     e^{+iδωZ_B/4} each: the bath's |1⟩ lies ω above |0⟩, consistent with step 3). The peer's Ising
     model fixes J = +1 (H = ΣZZ + g_xΣX + g_zΣZ); here J is a parameter (the TFIM of the cost table has
     J = −1, g_x = −1, g_z = 0);
  5. measure the bath qubit and keep the post-measurement system state (``_collapse_system``); averaged over
     outcomes this is the partial trace over the bath, i.e. a reset (the next cycle prepares a new bath).

Envelope (``_gaussian_envelope``): g_m = c · exp(−x_m²/(4σ²t_tot²)) at the step midpoints
x_m = −t_tot/2 + (m+½)δ, normalised so that δ Σ_m g_m² = 1; σ is a *relative* width, default σ = 100 (flat:
g_m = 1/√t_tot, so the coupling is α/√t_tot); the docstring suggests σ ~ 1/4 to switch it on/off smoothly.

Gate count. Between the last C of step m and the first C of step m+1 there is nothing, so the transpiler
(optimization_level=1) merges them: M+1 two-CX rotations plus M ZZ layers of 2·(#bonds) CX, i.e.
(2 + 2·#bonds)M + 2 CX per cycle: 6M + 2 on the open chain at N = 3, 8M + 2 at N = 4.

The README's published point is α = 1.75, t_tot = 0.75, M = 3, σ = 100 (flat), at β = 100 on the 2×2
open kagome Ising model with g_x = 0.5, g_z = 2 (ω_max = 8): ``PUBLISHED`` below. It was chosen for that
model and temperature, not for the TFIM at β = 1, and is labelled so wherever it is quoted.

What is this module's own (not the peer's):
  * the averaged channel Φ = E_O E_ω E_prep[Tr_B U(ρ ⊗ |b⟩⟨b|)U†], with the ω average by composite
    Gauss–Legendre quadrature on [0, ω_max] (one order-8 panel per 2π of ω_max·t_tot, at least 2;
    converged to ≲1e-10 in the tests), where the peer samples one ω per trajectory and cycle;
  * ``bath_beta``: a bath temperature β_B different from the target β (the peer's code uses β; β_B is a
    tuning knob of this benchmark, stated whenever it differs);
  * the initial state: the cost table iterates Φ on |0…0⟩; the peer's default is a uniformly random
    computational-basis state, whose ensemble is I/2^N.

Checks (tests/test_cost_table_schemes.py): Operator(evolution circuit) = the dense product of the formulas
above, for every O; = Operator of the circuit the peer's own ``_add_evolution`` builds (its file loaded from
the mirror, O pinned, J = +1) to 1e-12; the peer's envelope, bath-sampling threshold, operator draw and
measurement collapse (averaged over outcomes = our reset); CX per cycle = 6M+2 / 8M+2.

Run:  PYTHONPATH=. python benchmarks/reset_scheme.py            (the tuning scan, TFIM n = 3, β = 1; ~3 min)
      PYTHONPATH=. python benchmarks/cost_table.py --peer-only  (the peer rows at n = 3, 4 and β = 1, 2, 4)
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import time
from dataclasses import dataclass, field, replace

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from numpy.polynomial.legendre import leggauss  # noqa: E402
from qiskit import QuantumCircuit, transpile  # noqa: E402
from qiskit.circuit import Parameter, ParameterExpression  # noqa: E402
from qiskit.quantum_info import SparsePauliOp  # noqa: E402
from scipy.linalg import expm  # noqa: E402
from scipy.special import expit  # noqa: E402

from kmsgibbs.compiler.bath_emulation import channel_fixed_point  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convergence import TARGETS, Convergence, converge  # noqa: E402,F401

__all__ = [
    "HeisenbergModel",
    "IsingModel",
    "ResetSchemeSettings",
    "ResetScheme",
    "PUBLISHED",
    "PUBLISHED_LABEL",
    "TUNED",
    "TUNED_BATH_AT_BETA",
    "UNTUNED",
    "channel_fixed_point",
    "heisenberg_chain",
    "tfim",
    "tfim_h",
]

BASIS = ["cx", "rz", "sx", "x", "reset"]
_PAULI = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}


def pauli_matrix(num_qubits: int, factors: dict[int, str]) -> np.ndarray:
    """Dense Pauli string, Qiskit's little-endian order (qubit q is bit q of the index)."""
    out = np.ones((1, 1), dtype=complex)
    for q in reversed(range(num_qubits)):
        out = np.kron(out, _PAULI[factors.get(q, "I")])
    return out


@dataclass(frozen=True)
class IsingModel:
    """H = J Σ_bonds Z_aZ_b + g_x Σ X_i + g_z Σ Z_i (the peer's ``ising_model``, which fixes J = +1)."""

    num_qubits: int
    edges: tuple[tuple[int, int], ...]
    J: float = 1.0
    gx: float = 0.0
    gz: float = 0.0

    def hamiltonian(self) -> SparsePauliOp:
        terms = [("ZZ", [a, b], self.J) for a, b in self.edges]
        terms += [("X", [i], self.gx) for i in range(self.num_qubits)]
        terms += [("Z", [i], self.gz) for i in range(self.num_qubits)]
        return SparsePauliOp.from_sparse_list(terms, num_qubits=self.num_qubits).simplify()

    def default_max_frequency(self) -> float:
        """The README's ω_max = max(4g_x, 4g_z, 4) (magnitudes: the sign of a field does not matter)."""
        return max(4 * abs(self.gx), 4 * abs(self.gz), 4.0)

    def trotter_step(self, circuit: QuantumCircuit, dt: float) -> None:
        """The peer's ``ising_model.trotter_step`` with J: Rx · Rzz (once) · Rz · Rx on qubits 0..N−1."""
        n = self.num_qubits
        circuit.rx(self.gx * dt, range(n))
        for a, b in self.edges:
            circuit.rzz(2 * self.J * dt, a, b)
        if self.gz != 0.0:  # the peer applies rz(0) too; it is the identity and transpiles away
            circuit.rz(2 * self.gz * dt, range(n))
        circuit.rx(self.gx * dt, range(n))

    def step_unitary(self, dt: float, num_qubits: int) -> np.ndarray:
        """``trotter_step`` from its formula e^{−ig_xδΣX/2} e^{−iδ(JΣZZ + g_zΣZ)} e^{−ig_xδΣX/2} (dense, on
        ``num_qubits`` ≥ N qubits, identity on the rest)."""
        n = self.num_qubits
        diag = sum(self.J * pauli_matrix(num_qubits, {a: "Z", b: "Z"}) for a, b in self.edges)
        diag = diag + sum(self.gz * pauli_matrix(num_qubits, {i: "Z"}) for i in range(n))
        xs = sum(pauli_matrix(num_qubits, {i: "X"}) for i in range(n))
        half = expm(-0.5j * self.gx * dt * xs)
        return half @ expm(-1j * dt * diag) @ half


@dataclass(frozen=True)
class HeisenbergModel:
    """H = J Σ_bonds (XX + YY + ZZ): NOT in the peer's code (its models are Ising). The peer's cycle with
    this H uses the same kind of system step as its Ising one, symmetric and with each layer once:
    the bonds split into two layers of disjoint bonds a, b and S(δ) = e^{−iδH_a/2} e^{−iδH_b} e^{−iδH_a/2},
    each bond factor e^{−iθ(XX+YY+ZZ)} one two-qubit gate (3 CX after transpilation: the three terms
    commute on a bond)."""

    num_qubits: int
    edges: tuple[tuple[int, int], ...]
    J: float = 1.0

    def hamiltonian(self) -> SparsePauliOp:
        terms = [(p + p, [a, b], self.J) for a, b in self.edges for p in "XYZ"]
        return SparsePauliOp.from_sparse_list(terms, num_qubits=self.num_qubits).simplify()

    def default_max_frequency(self) -> float:
        """The README's rule max(4g_x, 4g_z, 4) has no field here: 4·max(|J|, 1)."""
        return 4.0 * max(abs(self.J), 1.0)

    def _layers(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        used: set[int] = set()
        first, second = [], []
        for a, b in self.edges:
            if a in used or b in used:
                second.append((a, b))
            else:
                first.append((a, b))
                used.update((a, b))
        return first, second

    def _bond(self, theta: float) -> np.ndarray:
        xx_yy_zz = sum(pauli_matrix(2, {0: p, 1: p}) for p in "XYZ")
        return expm(-1j * theta * self.J * xx_yy_zz)

    def trotter_step(self, circuit: QuantumCircuit, dt: float) -> None:
        from qiskit.circuit.library import UnitaryGate

        first, second = self._layers()
        for layer, theta in ((first, dt / 2), (second, dt), (first, dt / 2)):
            for a, b in layer:
                circuit.append(UnitaryGate(self._bond(theta), label="heis"), [a, b])

    def step_unitary(self, dt: float, num_qubits: int) -> np.ndarray:
        """S(δ) from the formula (dense, on ``num_qubits`` ≥ N qubits, identity on the rest)."""
        first, second = self._layers()

        def layer(bonds, theta):
            h = sum(self.J * pauli_matrix(num_qubits, {a: p, b: p}) for a, b in bonds for p in "XYZ")
            return expm(-1j * theta * h) if bonds else np.eye(2**num_qubits, dtype=complex)

        half = layer(first, dt / 2)
        return half @ layer(second, dt) @ half


def heisenberg_chain(n: int) -> HeisenbergModel:
    """The XXX chain H = Σ (XX + YY + ZZ) on an open chain (``models.heisenberg(n)``)."""
    return HeisenbergModel(n, tuple((i, i + 1) for i in range(n - 1)))


def tfim(n: int) -> IsingModel:
    """The cost table's TFIM, H = −Σ Z_iZ_{i+1} − Σ X_i on an open chain."""
    return IsingModel(n, tuple((i, i + 1) for i in range(n - 1)), J=-1.0, gx=-1.0, gz=0.0)


def tfim_h(n: int, h: float = 0.5) -> IsingModel:
    """TFIM with a longitudinal field, H = −Σ Z_iZ_{i+1} − Σ X_i − hΣZ_i (``transverse_field_ising(n, h=h)``)."""
    return IsingModel(n, tuple((i, i + 1) for i in range(n - 1)), J=-1.0, gx=-1.0, gz=-h)


@dataclass(frozen=True)
class ResetSchemeSettings:
    """The peer's knobs (``run_thermal_prep`` arguments) plus this benchmark's bath temperature.

    Attributes:
        alpha: α (the coupling is α g(t), δΣg² = 1).
        total_time: t_tot.
        trotter_steps: M = nTrot.
        sigma: relative Gaussian width σ of the envelope (peer default 100: flat).
        max_frequency: ω_max (None: the README's max(4g_x, 4g_z, 4)).
        bath_beta: β_B of the bath preparation (None: the target β, as in the peer's code).
    """

    alpha: float = 1.75
    total_time: float = 0.75
    trotter_steps: int = 3
    sigma: float = 1e2
    max_frequency: float | None = None
    bath_beta: float | None = None

    def label(self) -> str:
        parts = [f"α={self.alpha:g}", f"t={self.total_time:g}", f"M={self.trotter_steps}"]
        parts.append("flat" if self.sigma >= 10 else f"σ={self.sigma:g}")
        if self.max_frequency is not None:
            parts.append(f"ωmax={self.max_frequency:g}")
        parts.append("βB=β" if self.bath_beta is None else f"βB={self.bath_beta:g}")
        return " ".join(parts)


#: The README's published point: chosen for the 2×2 kagome Ising model (g_x = 0.5, g_z = 2) at β = 100.
PUBLISHED = ResetSchemeSettings(alpha=1.75, total_time=0.75, trotter_steps=3, sigma=1e2)
PUBLISHED_LABEL = "README's published point (2×2 kagome, β=100; not tuned for this model)"


@dataclass(eq=False)
class ResetScheme:
    """The peer's cycle for an Ising model at target β. Qubits: system 0..N−1, bath N (the peer's order)."""

    model: IsingModel | HeisenbergModel
    beta: float
    settings: ResetSchemeSettings = PUBLISHED
    quadrature_panels: int | None = None
    quadrature_order: int = 8
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        s = self.settings
        if not (s.alpha >= 0 and math.isfinite(s.alpha)):
            raise ValueError(f"alpha must be a finite number ≥ 0, got {s.alpha!r}")
        if not (s.total_time > 0 and math.isfinite(s.total_time)):
            raise ValueError(f"total_time must be > 0, got {s.total_time!r}")
        if isinstance(s.trotter_steps, bool) or int(s.trotter_steps) != s.trotter_steps or s.trotter_steps < 1:
            raise ValueError(f"trotter_steps must be an integer ≥ 1, got {s.trotter_steps!r}")
        if not s.sigma > 0:
            raise ValueError(f"sigma must be > 0, got {s.sigma!r}")

    # ---- the cycle's ingredients -------------------------------------------------------------------
    @property
    def num_system(self) -> int:
        return self.model.num_qubits

    @property
    def operators(self) -> list[tuple[str, int]]:
        """The jump operators O: (Pauli, site), X, Y, Z on every site (``pauli_coupling``), drawn uniformly."""
        return [(p, s) for s in range(self.num_system) for p in "XYZ"]

    @property
    def max_frequency(self) -> float:
        s = self.settings
        return float(self.model.default_max_frequency() if s.max_frequency is None else s.max_frequency)

    @property
    def bath_beta(self) -> float:
        return float(self.beta if self.settings.bath_beta is None else self.settings.bath_beta)

    @property
    def step(self) -> float:
        return self.settings.total_time / self.settings.trotter_steps

    @property
    def cycle_time(self) -> float:
        return float(self.settings.total_time)

    def with_settings(self, **changes) -> ResetScheme:
        return ResetScheme(self.model, self.beta, replace(self.settings, **changes),
                           self.quadrature_panels, self.quadrature_order)

    def envelope(self) -> np.ndarray:
        """g_m, the peer's ``_gaussian_envelope(nTrot, t_tot, sigma)`` (δ Σ g_m² = 1)."""
        m, t, sigma = self.settings.trotter_steps, self.settings.total_time, self.settings.sigma
        dt = t / m
        xs = -t / 2 + (np.arange(m) + 0.5) * dt
        g = np.exp(-(xs**2) / t**2 / (4 * sigma**2))
        return g / np.sqrt(dt * np.sum(g**2))

    def angles(self) -> np.ndarray:
        """θ_m = α g_m δ: each half coupling layer is e^{−i(θ_m/2) X_B⊗O}."""
        return self.settings.alpha * self.envelope() * self.step

    def excitation_probability(self, omega) -> np.ndarray:
        """P(bath in |1⟩) = 1/(1 + e^{β_B ω}) (``_sample_thermal_bath``)."""
        return expit(-self.bath_beta * np.asarray(omega, dtype=float))

    # ---- gate level (what is counted) --------------------------------------------------------------
    def evolution_circuit(self, omega: float | ParameterExpression, operator: int) -> QuantumCircuit:
        """Step 4 gate by gate as ``_add_evolution`` emits it (N_bath = 1)."""
        pauli, site = self.operators[operator]
        n, bath, dt = self.num_system, self.num_system, self.step
        circuit = QuantumCircuit(n + 1, name="peer_evolution")

        def coupling_layer(theta: float) -> None:  # _pauli_rotation(circ, [("X", bath), (pauli, site)], θ)
            circuit.h(bath)
            if pauli == "X":
                circuit.h(site)
            elif pauli == "Y":
                circuit.sdg(site)
                circuit.h(site)
            circuit.cx(bath, site)
            circuit.rz(theta, site)
            circuit.cx(bath, site)
            circuit.h(bath)
            if pauli == "X":
                circuit.h(site)
            elif pauli == "Y":
                circuit.h(site)
                circuit.s(site)

        for theta in self.angles():
            coupling_layer(theta)
            circuit.rz(-dt * omega / 2, bath)
            self.model.trotter_step(circuit, dt)
            circuit.rz(-dt * omega / 2, bath)
            coupling_layer(theta)
        return circuit

    def cycle_circuit(self, omega: float | ParameterExpression, *, excited: bool, operator: int) -> QuantumCircuit:
        """One cycle: x on the bath if the thermal draw is |1⟩, the evolution, reset of the bath."""
        n = self.num_system
        circuit = QuantumCircuit(n + 1, name="peer_cycle")
        if excited:
            circuit.x(n)
        circuit.compose(self.evolution_circuit(omega, operator), inplace=True)
        circuit.reset(n)
        return circuit

    def cx_per_cycle(self) -> int:
        """CX of the transpiled cycle (ω a Parameter), the largest over the operators (they differ only in
        1-qubit basis changes, so all give the same count)."""
        if "cx" not in self._cache:
            omega = Parameter("omega")
            self._cache["cx"] = max(
                int(transpile(self.cycle_circuit(omega, excited=True, operator=k), basis_gates=BASIS,
                              optimization_level=1).count_ops().get("cx", 0))
                for k in range(len(self.operators))
            )
        return self._cache["cx"]

    # ---- dense (what is iterated) ------------------------------------------------------------------
    def system_step_unitary(self) -> np.ndarray:
        """S(δ) ⊗ I_B from the model's formula (dense, N+1 qubits)."""
        if "S" not in self._cache:
            self._cache["S"] = self.model.step_unitary(self.step, self.num_system + 1)
        return self._cache["S"]

    def unitaries(self, omegas: np.ndarray, operator: int) -> np.ndarray:
        """U(ω) of step 4 for each ω (shape (len(ω), 2d, 2d)), from the formulas, not from the circuit:
        Π_m C_m e^{iδωZ_B/4} S(δ) e^{iδωZ_B/4} C_m with C_m = cos(θ_m/2) − i sin(θ_m/2) X_B⊗O."""
        n = self.num_system
        pauli, site = self.operators[operator]
        omegas = np.atleast_1d(np.asarray(omegas, dtype=float))
        dim = 2 ** (n + 1)
        xo = pauli_matrix(n + 1, {n: "X", site: pauli})
        zb = np.diag(pauli_matrix(n + 1, {n: "Z"})).real
        phase = np.exp(0.25j * self.step * omegas[:, None] * zb[None, :])  # e^{iδωZ_B/4}, diagonal
        s = self.system_step_unitary()
        u = np.broadcast_to(np.eye(dim, dtype=complex), (omegas.size, dim, dim)).copy()
        for theta in self.angles():
            c = math.cos(theta / 2) * np.eye(dim) - 1j * math.sin(theta / 2) * xo
            u = c @ u
            u = phase[:, :, None] * u
            u = s @ u
            u = phase[:, :, None] * u
            u = c @ u
        return u

    def frequency_rule(self) -> tuple[np.ndarray, np.ndarray]:
        """Nodes and weights (Σ = 1) of E_ω under U[0, ω_max]: composite Gauss–Legendre."""
        x, w = leggauss(self.quadrature_order)
        panels = self.quadrature_panels
        if panels is None:
            panels = max(2, math.ceil(self.max_frequency * self.settings.total_time / (2 * math.pi)))
        edges = np.linspace(0.0, self.max_frequency, panels + 1)
        nodes = np.concatenate([0.5 * (hi - lo) * x + 0.5 * (hi + lo) for lo, hi in zip(edges[:-1], edges[1:])])
        weights = np.concatenate([0.5 * (hi - lo) * w for lo, hi in zip(edges[:-1], edges[1:])])
        return nodes, weights / weights.sum()

    def _kraus(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """All Kraus operators ⟨m|_B U(ω_q)|b⟩_B, flattened, with their ω weight/|ops|, node index and b."""
        if "kraus" not in self._cache:
            d = 2**self.num_system
            omega, weights = self.frequency_rule()
            kraus, kw, node, prep = [], [], [], []
            for k in range(len(self.operators)):
                u = self.unitaries(omega, k)
                for b in (0, 1):
                    for m in (0, 1):
                        kraus.append(u[:, m * d:(m + 1) * d, b * d:(b + 1) * d])
                        kw.append(weights / len(self.operators))
                        node.append(omega)
                        prep.append(np.full(omega.size, b))
            self._cache["kraus"] = (np.concatenate(kraus).reshape(-1, d * d), np.concatenate(kw),
                                    np.concatenate(node), np.concatenate(prep))
        return self._cache["kraus"]

    def averaged_channel(self, bath_beta: float | None = None) -> np.ndarray:
        """E_O E_ω E_prep Tr_B[U (ρ ⊗ |b⟩⟨b|) U†] as a column-stacked d² × d² superoperator.

        ``bath_beta``: override β_B (the unitaries do not depend on it and are reused)."""
        bb = self.bath_beta if bath_beta is None else float(bath_beta)
        key = ("channel", bb)
        if key not in self._cache:
            d = 2**self.num_system
            kraus, kw, omega, prep = self._kraus()
            p1 = expit(-bb * omega)
            w = kw * np.where(prep == 1, p1, 1.0 - p1)
            t = (kraus.conj().T * w) @ kraus  # T[(a,b),(c,e)] = Σ w conj(K)[a,b] K[c,e]
            self._cache[key] = t.reshape(d, d, d, d).transpose(0, 2, 1, 3).reshape(d * d, d * d)
        return self._cache[key]

    def fixed_point(self) -> np.ndarray:
        return channel_fixed_point(self.averaged_channel())


# ---- convergence from |0…0⟩ (benchmarks/convergence.py) ------------------------------------------------


def gibbs_state(h: SparsePauliOp, beta: float) -> np.ndarray:
    g = expm(-beta * h.to_matrix())
    return g / np.trace(g).real


def trace_distance(a: np.ndarray, b: np.ndarray) -> float:
    diff = a - b
    return 0.5 * float(np.abs(np.linalg.eigvalsh(0.5 * (diff + diff.conj().T))).sum())


# ---- the tuning scan ------------------------------------------------------------------------------------
SCAN_BATH_FACTORS = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0)  # β_B / β
SCAN_SIGMAS = (0.2, 0.25, 0.3, 0.35, 1e2)  # relative envelope widths, and the peer's flat default
SCAN_ALPHAS = (0.25, 0.35, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)
SCAN_TIMES = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
SCAN_STEPS = (4, 6, 8, 11, 16, 24, 32)
SCAN_MAX_CYCLES = 1000


def scan_grid() -> list[ResetSchemeSettings]:
    """The grid without β_B (β_B reuses each point's unitaries)."""
    return [
        ResetSchemeSettings(alpha=a, total_time=t, trotter_steps=m, sigma=sg)
        for sg, a, t, m in itertools.product(SCAN_SIGMAS, SCAN_ALPHAS, SCAN_TIMES, SCAN_STEPS)
    ]


Scan = list[tuple[ResetSchemeSettings, int, Convergence]]


def scan(model: IsingModel, beta: float, grid=None, bath_factors=SCAN_BATH_FACTORS, log=None) -> Scan:
    """Every grid point × β_B, judged against the exact Gibbs state at β from |0…0⟩ (tuning, not a protocol)."""
    grid = scan_grid() if grid is None else grid
    sigma = gibbs_state(model.hamiltonian(), beta)
    cx_of: dict[int, int] = {}
    out: Scan = []
    for i, s in enumerate(grid):
        scheme = ResetScheme(model, beta, s)
        m = s.trotter_steps
        if m not in cx_of:
            cx_of[m] = scheme.cx_per_cycle()
        for f in bath_factors:
            conv = converge(scheme.averaged_channel(f * beta), sigma, max_steps=SCAN_MAX_CYCLES, block=64)
            out.append((replace(s, bath_beta=f * beta), cx_of[m], conv))
        if log is not None and i % 200 == 199:
            log(f"scan: {i + 1}/{len(grid)} points")
    return out


def best_of(results: Scan, D: float):
    """(settings, CX, convergence) with the fewest CX to reach D (ties: lower floor); None if none does."""
    reached = [r for r in results if r[2].steps[D] is not None]
    if not reached:
        return None
    return min(reached, key=lambda r: (r[1] * r[2].steps[D], r[2].floor))


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _fmt_row(label: str, s: ResetSchemeSettings, cx: int, conv: Convergence) -> str:
    cyc = [("—" if conv.steps[D] is None else str(conv.steps[D])) for D in TARGETS]
    cxs = [("—" if conv.steps[D] is None else f"{cx * conv.steps[D]:,}") for D in TARGETS]
    return "| " + " | ".join([label, s.label(), str(cx), *cyc, *cxs, f"{conv.floor:.4f}"]) + " |"


HEADER = ("| settings | | CX/cycle | " + " | ".join(f"cycles→{D:g}" for D in TARGETS) + " | "
          + " | ".join(f"CX→{D:g}" for D in TARGETS) + " | floor |")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Tuning scan of the peer's reset scheme on the TFIM chain.")
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--beta", type=float, default=1.0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    model = tfim(args.n)
    results = scan(model, args.beta, log=_log)
    print(f"TFIM n={args.n}, β={args.beta:g}: {len(results)} points ({len(results) // len(SCAN_BATH_FACTORS)} "
          f"× {len(SCAN_BATH_FACTORS)} β_B), {time.perf_counter() - start:.0f} s; tuned against the exact Gibbs state")
    print(HEADER)
    print("|---" * (4 + 2 * len(TARGETS)) + "|")
    for D in TARGETS:
        b = best_of(results, D)
        if b is None:
            print(f"| best for D={D:g} | none reaches it |")
        else:
            print(_fmt_row(f"best for D={D:g}", *b))
    untuned = [r for r in results if r[0].bath_beta == args.beta]
    for D in TARGETS:
        b = best_of(untuned, D)
        print(f"| best with β_B=β for D={D:g} | none reaches it |" if b is None
              else _fmt_row(f"best with β_B=β, D={D:g}", *b))
    low = min(results, key=lambda r: r[2].floor)
    print(_fmt_row("lowest floor", *low))


# ---- the settings quoted in the cost table ----------------------------------------------------------
#: The best point for each D of ``python benchmarks/reset_scheme.py`` (TFIM n = 3, β = 1, the grid
#: ``scan_grid()`` × β_B ∈ SCAN_BATH_FACTORS·β), tuned against the exact Gibbs state.
#: Scan result (170 s, 2100 × 7 points): D=0.1 → 260 CX, 0.05 → 532, 0.02 → 1,972, 0.01 → 9,052; floors
#: 0.088, 0.049, 0.019, 0.009.
TUNED: dict[float, ResetSchemeSettings] = {
    0.1: ResetSchemeSettings(alpha=1.0, total_time=2.0, trotter_steps=4, sigma=0.3, bath_beta=4.0),
    0.05: ResetSchemeSettings(alpha=1.0, total_time=2.0, trotter_steps=6, sigma=0.25, bath_beta=4.0),
    0.02: ResetSchemeSettings(alpha=0.75, total_time=2.0, trotter_steps=11, sigma=0.2, bath_beta=3.0),
    0.01: ResetSchemeSettings(alpha=0.5, total_time=2.0, trotter_steps=24, sigma=0.2, bath_beta=2.5),
}
#: The best points of the same scan with the bath at the target β (the peer's code has no β_B): D = 0.1 →
#: 952 CX, 0.05 → 3,066; no grid point (t_tot ≤ 6) reaches 0.02 (the "best α at t=8" untuned row does).
TUNED_BATH_AT_BETA: dict[float, ResetSchemeSettings] = {
    0.1: ResetSchemeSettings(alpha=1.0, total_time=4.0, trotter_steps=11, sigma=0.25),
    0.05: ResetSchemeSettings(alpha=1.0, total_time=6.0, trotter_steps=24, sigma=0.2),
}
#: The untuned form: bath at the target β (β_B unset), long envelope t_tot = 8, M = 64 (δ = 0.125).
UNTUNED: dict[str, ResetSchemeSettings] = {
    "α=0.2 (weak coupling)": ResetSchemeSettings(alpha=0.2, total_time=8.0, trotter_steps=64, sigma=0.25),
    "α=0.2, peer's flat envelope": ResetSchemeSettings(alpha=0.2, total_time=8.0, trotter_steps=64, sigma=1e2),
    "best α at t=8": ResetSchemeSettings(alpha=0.75, total_time=8.0, trotter_steps=64, sigma=0.2),
}


if __name__ == "__main__":
    main()
