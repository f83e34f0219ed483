"""Bath emulation: the coarse-grained Scandi–Alhambra equation from one reusable ancilla "bath" qubit.

One cycle of duration t_c, for a coupling A_k drawn uniformly from the K couplings:
  1. draw a bath frequency ω ≥ 0 from ρ(ω) = (Ĉ(ω) + Ĉ(−ω)) / (2πλ²), λ² = C(0) = (1/2π)∫Ĉ;
  2. prepare the ancilla in |1⟩ with probability p₁(ω) = 1/(1 + e^{βω}), else |0⟩ (its Gibbs state);
  3. evolve forward under H(t) = H_S − (ω/2)Z_anc + αλ f(t) A_k ⊗ X_anc (Strang steps of size δ), with the
     Gaussian envelope f(t) = (πT²)^{−1/4} e^{−(t − t_c/2)²/(2T²)}, ∫f² = 1;
  4. reset the ancilla.

Averaged over ω and the preparation, the ancilla is a bath with correlation function
λ² E_ω[p₀e^{−iωt} + p₁e^{iωt}], whose spectral density is Ĉ itself (the KMS relation p₁/p₀ = e^{−βω}
makes λ²2πρ(ω)p₀(ω) = Ĉ(ω) for ω > 0 and Ĉ(−ω) for the other sign). Its odd moments vanish, so to
second order in α, in the interaction picture centred at t_c/2,
  Φ_cycle = 𝒰_{t_c/2} ∘ (id + (α²/K) L̂^{CG} + O(α⁴)) ∘ 𝒰_{t_c/2},   𝒰_t = e^{−iHt} · e^{iHt},
where L̂^{CG} is the coarse-grained generator (Eq. 90 with the physical Lamb shift) at coarse-graining
time T: the envelope is exactly the jump-form filter f^α of docs/master_equations.md, and ∫∫_{t₁>t₂} f(t₁)f(t₂)
C(t₁ − t₂)… is Eq. (65) after t₁,₂ = q ± x/2. The bath may be any ``Bath``; a uniform ρ (the
Ding–Zhan–Preskill–Lin choice) is the bath Ĉ(ω) = 2πλ²p₀(ω)/ω_max on |ω| ≤ ω_max.

Errors against that identity: O(α²) relative (fourth-order Dyson terms), O(δ²) (Strang splitting and
the midpoint envelope), the envelope cut to [0, t_c] (``envelope_truncation`` = erfc(t_c/2T), the
weight of f² dropped) and the quadrature over ω of the averaged channel (Gauss–Legendre, converged).

References:
    docs/schemes.md; Ding, Zhan, Preskill & Lin, arXiv:2508.05703; Scandi & Alhambra, arXiv:2505.20064,
    Eqs. (65), (86)-(90) and docs/master_equations.md
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import expm
from scipy.special import erfc, expit
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter, ParameterExpression

from kmsgibbs.circuits import coupled_evolution, exact_evolution, trotter_evolution
from kmsgibbs.circuits.dense import ancilla_channel, circuit_unitaries_over

from .._checks import check_positive
from .._quadrature import composite_gauss_legendre
from ..analysis.step_resources import Resources, lowered_counts, resources_of
from ..memory import require_memory
from ..physics.lindbladian import Lindbladian
from .registers import SystemAncillaRegisters, prepare_initial_state, whole_steps

__all__ = ["BathEmulationSampler", "compile_bath_emulation", "ENVELOPE_CUT"]

#: Default cycle: the envelope is kept to ±ENVELOPE_CUT·T around its centre (erfc(4) = 1.5e-8 of ∫f² lost).
ENVELOPE_CUT = 4.0
#: The averaged channel is dense (system + ancilla unitaries, d⁴ superoperators).
_DENSE_MAX_QUBITS = 7
# The frequency density is cut where it falls below this fraction of its maximum.
_DENSITY_FLOOR = 1e-13


def _conjugation(u: np.ndarray) -> np.ndarray:
    return np.kron(u.conj(), u)


def channel_fixed_point(superop: np.ndarray) -> np.ndarray:
    """The unit-trace ρ with Φ(ρ) = ρ: solves (Φ − I + |I/d⟩⟩⟨⟨I|) x = I/d (unique fixed point assumed)."""
    d = int(round(math.sqrt(superop.shape[0])))
    ident = np.eye(d).reshape(-1, order="F")
    x = np.linalg.solve(superop - np.eye(d * d) + np.outer(ident / d, ident), ident / d)
    rho = x.reshape(d, d, order="F")
    rho = 0.5 * (rho + rho.conj().T)
    return rho / np.trace(rho).real


@dataclass(frozen=True, eq=False)
class BathEmulationSampler(SystemAncillaRegisters):
    """Cycles of "prepare a thermal bath qubit, couple under a Gaussian envelope, reset" (see module doc).

    Qubits: system 0..n−1, the bath ancilla n. Build it with ``compile_sampler(L, dt=δ,
    scheme="bath_emulation")`` from a Scandi–Alhambra ``form="coarse_grained"`` generator L, whose bath,
    coarse-graining time T and coupling α it realises.

    Attributes:
        lindbladian: the coarse-grained generator α²L̂^{CG} (without −i[H, ·]).
        dt: the Strang step δ of the joint evolution.
        cycle_time: t_c, the duration of one cycle (a multiple of δ); the system evolves under H throughout.
        trotter_order: product formula of e^{−iH_Sδ}.
        exact_evolution: dense e^{−iH_Sδ} (reference mode for small n).
        quadrature_order: Gauss–Legendre order per panel of the ω average in ``averaged_channel``.
    """

    lindbladian: Lindbladian
    dt: float
    cycle_time: float
    trotter_order: int = 2
    exact_evolution: bool = False
    quadrature_order: int = 6
    scheme: str = "bath_emulation"
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def bath(self):
        return self.lindbladian.parameters["bath"]

    @property
    def coarse_graining_time(self) -> float:
        return float(self.lindbladian.parameters["coarse_graining_time"])

    @property
    def coupling(self) -> float:
        """α (the generator is α²L̂^{CG})."""
        return math.sqrt(self.lindbladian.rate)

    @property
    def num_steps_per_cycle(self) -> int:
        return round(self.cycle_time / self.dt)

    @property
    def envelope_truncation(self) -> float:
        """∫ f² outside the cycle, erfc(t_c / 2T): the part of the coupling the cycle leaves out."""
        return float(erfc(self.cycle_time / (2 * self.coarse_graining_time)))

    def envelope(self, t: np.ndarray | float) -> np.ndarray:
        """f(t) = (πT²)^{−1/4} e^{−(t − t_c/2)²/(2T²)}, normalised so that ∫f² = 1 over the real line."""
        T = self.coarse_graining_time
        t = np.asarray(t, dtype=float)
        return (math.pi * T * T) ** -0.25 * np.exp(-((t - self.cycle_time / 2) ** 2) / (2 * T * T))

    def excitation_probability(self, omega: np.ndarray | float) -> np.ndarray:
        """p₁(ω) = 1/(1 + e^{βω}): the ancilla's Gibbs population of |1⟩ (energy +ω/2)."""
        return expit(-self.bath.beta * np.asarray(omega, dtype=float))

    def _density_unnormalised(self, omega: np.ndarray) -> np.ndarray:
        return (self.bath.spectral_density(omega) + self.bath.spectral_density(-omega)) / (2 * math.pi)

    @property
    def max_frequency(self) -> float:
        """Where ρ(ω) has fallen below 1e-13 of its maximum (the ω range sampled and averaged)."""
        if "max_frequency" not in self._cache:
            lo, hi = self.bath.support()
            grid = np.linspace(0.0, max(abs(lo), abs(hi)), 20001)
            dens = self._density_unnormalised(grid)
            above = np.flatnonzero(dens > _DENSITY_FLOOR * dens.max())
            self._cache["max_frequency"] = float(grid[min(above[-1] + 1, grid.size - 1)])
        return self._cache["max_frequency"]

    def frequency_rule(self) -> tuple[np.ndarray, np.ndarray]:
        """Nodes ω_q and weights v_q (Σv_q = 1) of E_ω[·] under ρ: composite Gauss–Legendre on [0, ω_max]
        with panels no wider than the bath's smoothness scale or 1/T (the cycle map varies with ω on
        the scale of the envelope's bandwidth)."""
        if "rule" not in self._cache:
            kinks = [abs(k) for k in self.bath.kinks if 0 < abs(k) < self.max_frequency]
            width = min(self.bath.scale, 1.0 / self.coarse_graining_time)
            omega, w = composite_gauss_legendre(
                np.array([0.0, self.max_frequency, *kinks]), width, order=self.quadrature_order
            )
            v = w * self._density_unnormalised(omega)
            self._cache["rule"] = (omega, v / v.sum(), float(v.sum()))
        omega, v, _ = self._cache["rule"]
        return omega, v

    @property
    def bath_strength(self) -> float:
        """λ = √C(0), C(0) = (1/2π)∫Ĉ: the ancilla coupling is αλ f(t) A ⊗ X."""
        self.frequency_rule()
        return math.sqrt(self._cache["rule"][2])

    def amplitudes(self) -> np.ndarray:
        """a_k = αλ f((k + ½)δ), the coupling at the step midpoints."""
        mid = (np.arange(self.num_steps_per_cycle) + 0.5) * self.dt
        return self.coupling * self.bath_strength * self.envelope(mid)

    def _free(self) -> QuantumCircuit:
        if "free" not in self._cache:
            h = self.lindbladian.hamiltonian
            self._cache["free"] = (
                exact_evolution(h, self.dt) if self.exact_evolution else trotter_evolution(h, self.dt, order=self.trotter_order)
            )
        return self._cache["free"]

    def evolution_circuit(self, frequency: float | ParameterExpression, operator: int) -> QuantumCircuit:
        """The cycle's unitary part (step 3): the joint evolution with bath frequency ω and coupling operator A_k."""
        couplings = self.lindbladian.couplings
        if isinstance(operator, bool) or not isinstance(operator, int | np.integer) or not 0 <= operator < len(couplings):
            raise ValueError(f"operator must be an index in [0, {len(couplings)}), got {operator!r}")
        return coupled_evolution(
            couplings[int(operator)], self.amplitudes(), self.dt, frequency=frequency if isinstance(frequency, ParameterExpression) else float(frequency), evolve=lambda s: self._free()
        )

    def cycle_circuit(self, frequency: float, *, excited: bool, operator: int) -> QuantumCircuit:
        """One cycle on system + ancilla: x on the ancilla if ``excited``, the joint evolution, reset."""
        circuit = QuantumCircuit(self.num_system + 1, name="bath_cycle")
        if excited:
            circuit.x(self.num_system)
        circuit.compose(self.evolution_circuit(frequency, operator), inplace=True)
        circuit.reset(self.num_system)
        return circuit

    def sample_cycles(self, count: int, *, seed: int) -> list[tuple[int, float, bool]]:
        """``count`` draws of (operator index, ω, excited): uniform operator, ω ~ ρ, excited with p₁(ω).

        ω is drawn by inverting the cumulative distribution of ρ, tabulated on 2¹⁴ intervals of [0, ω_max].
        """
        if isinstance(count, bool) or int(count) != count or count < 0:
            raise ValueError(f"count must be a non-negative integer, got {count!r}")
        rng = np.random.default_rng(seed)
        grid = np.linspace(0.0, self.max_frequency, 2**14 + 1)
        dens = self._density_unnormalised(grid)
        cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
        omega = np.interp(rng.random(int(count)) * cdf[-1], cdf, grid)
        excited = rng.random(int(count)) < self.excitation_probability(omega)
        which = rng.integers(len(self.lindbladian.couplings), size=int(count))
        return [(int(k), float(w), bool(e)) for k, w, e in zip(which, omega, excited)]

    def num_cycles(self, time: float) -> int:
        return whole_steps(time, self.cycle_time, f"the cycle time {self.cycle_time}")

    def resources(
        self,
        time: float | None = None,
        *,
        target=None,
        basis_gates: tuple[str, ...] = ("cx", "rz", "sx", "x"),
        synthesis_error: float = 1e-3,
        seed: int | None = 0,
    ) -> Resources:
        """What one cycle costs (a "step" of the returned :class:`Resources` is a cycle), and the totals
        over ``time``: the cycle with the bath qubit excited and ω a parameter, for the coupling operator
        whose cycle has the most two-qubit gates (an upper bound: each cycle draws one operator).
        """
        cycles = None if time is None else self.num_cycles(time)
        omega = Parameter("omega")
        lowered = []
        for k in range(len(self.lindbladian.couplings)):
            circuit = QuantumCircuit(self.num_system + 1, name="bath_cycle")
            circuit.x(self.num_system)
            circuit.compose(self.evolution_circuit(omega, k), inplace=True)
            circuit.reset(self.num_system)
            lowered.append(lowered_counts(circuit, target, basis_gates, seed, self.num_system))
        counts, used = max(lowered, key=lambda pair: pair[0].two_qubit_gates)
        return resources_of(
            counts, cycles, qubits=len(used), target=target, basis_gates=basis_gates, synthesis_error=synthesis_error
        )

    def circuit(self, time: float, *, seed: int, initial_state: QuantumCircuit | str | None = None) -> QuantumCircuit:
        """One trajectory: time / t_c sampled cycles (``sample_cycles`` with ``seed``) after the state preparation.

        Averaging the output over seeds realises the averaged channel applied time / t_c times.
        """
        cycles = self.num_cycles(time)
        circuit = QuantumCircuit(self.num_system + 1, name=f"bath_emulation_t{time:g}")
        prepare_initial_state(circuit, initial_state, self.num_system)
        for k, omega, excited in self.sample_cycles(cycles, seed=seed):
            circuit.compose(self.cycle_circuit(omega, excited=excited, operator=k), inplace=True)
        return circuit

    def _check_dense(self) -> None:
        if self.num_system + 1 > _DENSE_MAX_QUBITS:
            raise ValueError(
                f"the averaged channel is dense: system + ancilla must be ≤ {_DENSE_MAX_QUBITS} qubits, got "
                f"{self.num_system + 1}; sample trajectories with circuit(time, seed=...) on Aer instead"
            )

    def averaged_channel(self) -> np.ndarray:
        """E_k E_ω E_prep of one cycle's system channel (column-stacked superoperator), dense.

        The unitaries of ``evolution_circuit`` at every ω-node are computed densely, all nodes of one
        coupling operator at once (:func:`~kmsgibbs.circuits.dense.circuit_unitaries_over`); the
        preparation |b⟩ enters as the Kraus operators ⟨e|U|b⟩ (ancilla = high qubit).
        """
        self._check_dense()
        if "channel" not in self._cache:
            omega, weights = self.frequency_rule()
            num = len(self.lindbladian.couplings)
            d = 2**self.num_system
            # the running sum and one Kraus superoperator (d⁴ each), and one operator's unitaries
            require_memory(
                f"the averaged cycle channel of {self.num_system} qubits",
                3 * 16 * d**4 + 3 * 16 * omega.size * (2 * d) ** 2,
                alternative="sample trajectories with circuit(time, seed=...) on Aer instead",
            )
            p1 = self.excitation_probability(omega)
            total = np.zeros((d * d, d * d), dtype=complex)
            frequency = Parameter("omega")
            for k in range(num):
                unitaries = circuit_unitaries_over(self.evolution_circuit(frequency, k), frequency, omega)
                for q, u in enumerate(unitaries):
                    for b, p in ((0, 1 - p1[q]), (1, p1[q])):
                        total += (weights[q] * p / num) * ancilla_channel(u, d, prepared=b)
            self._cache["channel"] = total
        return self._cache["channel"]

    def _frame(self, t: float) -> np.ndarray:
        return _conjugation(expm(-1j * t * self.lindbladian.hamiltonian.to_matrix()))

    def effective_generator(self) -> np.ndarray:
        """K·𝒰_{−t_c/2}(Φ_cycle − 𝒰_{t_c})𝒰_{−t_c/2}: the averaged cycle's dissipative part in the interaction
        picture at the envelope's centre, which equals α²L̂^{CG} + O(α⁴) (the module's identity)."""
        back = self._frame(-self.cycle_time / 2)
        ahead = self._frame(self.cycle_time)
        k = len(self.lindbladian.couplings)
        return k * back @ (self.averaged_channel() - ahead) @ back

    def coarse_grained_cycle(self) -> np.ndarray:
        """𝒰_{t_c/2} e^{α²L̂^{CG}/K} 𝒰_{t_c/2}: the coarse-grained equation acting once per cycle (the target)."""
        self._check_dense()
        half = self._frame(self.cycle_time / 2)
        k = len(self.lindbladian.couplings)
        return half @ expm(self.lindbladian.superoperator() / k) @ half

    def fixed_point(self) -> np.ndarray:
        """The fixed point of the averaged cycle channel."""
        return channel_fixed_point(self.averaged_channel())


def compile_bath_emulation(
    lind: Lindbladian,
    *,
    dt: float,
    cycle_time: float | None = None,
    trotter_order: int = 2,
    exact_evolution: bool = False,
    quadrature_order: int = 6,
) -> BathEmulationSampler:
    """Check the input and build a ``BathEmulationSampler`` (``compile_sampler(..., scheme="bath_emulation")``).

    Args:
        lind: a Scandi–Alhambra ``form="coarse_grained"`` generator (``lamb_shift=True``) with single-Pauli
            couplings; its bath, coarse-graining time T and coupling α define the emulation.
        dt: the Strang step δ; dt·ω_max ≤ π/2.
        cycle_time: t_c, a multiple of dt; default 2·ENVELOPE_CUT·T rounded up to whole steps.
        trotter_order: product formula of e^{−iH_Sδ}.
        exact_evolution: dense e^{−iH_Sδ} (reference mode).
        quadrature_order: Gauss–Legendre order per panel of the ω average.
    """
    params = lind.parameters
    if lind.family != "scandi_alhambra" or params.get("form") != "coarse_grained":
        raise ValueError(
            "bath emulation realises the Scandi–Alhambra coarse-grained equation: build the generator with "
            f"scandi_alhambra(..., form='coarse_grained'); got family {lind.family!r}, form {params.get('form')!r}"
        )
    if not params.get("lamb_shift"):
        raise ValueError(
            "the emulated bath produces the physical Lamb shift: build the coarse-grained generator with lamb_shift=True"
        )
    T = check_positive("coarse_graining_time", params["coarse_graining_time"])
    dt = check_positive("dt", dt)
    if cycle_time is None:  # ±ENVELOPE_CUT·T, rounded up to whole steps
        cycle_time = dt * math.ceil(2 * ENVELOPE_CUT * T / dt - 1e-9)
    cycle_time = check_positive("cycle_time", cycle_time)
    steps = round(cycle_time / dt)
    if steps < 1 or abs(steps * dt - cycle_time) > 1e-9 * cycle_time:
        raise ValueError(f"cycle_time={cycle_time:g} must be a positive multiple of dt={dt:g}")
    if trotter_order != 1 and (trotter_order < 2 or trotter_order % 2):
        raise ValueError(f"trotter_order must be 1 or an even number >= 2, got {trotter_order!r}")
    if isinstance(quadrature_order, bool) or int(quadrature_order) != quadrature_order or quadrature_order < 2:
        raise ValueError(f"quadrature_order must be an integer >= 2, got {quadrature_order!r}")
    for a in lind.couplings:
        if len(a) != 1:
            raise ValueError(f"bath emulation couples single Pauli strings; got a coupling with {len(a)} terms: {a}")
    sampler = BathEmulationSampler(
        lindbladian=lind,
        dt=dt,
        cycle_time=float(cycle_time),
        trotter_order=trotter_order,
        exact_evolution=exact_evolution,
        quadrature_order=int(quadrature_order),
    )
    # the ancilla's phase per step must stay well below the Nyquist limit for every sampled ω (the
    # system's Bohr frequencies the bath can drive are the ω it samples)
    limit = math.pi / (2 * sampler.max_frequency)
    if dt > limit:
        raise ValueError(
            f"dt={dt:g} is too large: the bath qubit's phase per step needs dt·ω_max ≤ π/2, "
            f"i.e. dt ≤ {limit:.4g} here (ω_max = {sampler.max_frequency:.3g})"
        )
    return sampler
