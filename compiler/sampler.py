"""Lower a time-domain KMS generator to circuits: single-ancilla dilation steps with ancilla reset.

One step of size dt is the product (Lie splitting) of
  * per Gaussian-average node m and coupling k: a weak-measurement dilation of α√v_m L_mk
    (palindromic sweep over the jump's time grid, then reset), ≈ e^{dt·α² v_m D[L_mk]};
  * per coherent node t_j and coupling k: a group commutator of two dilation sweeps, then reset,
    ≈ e^{−i dt α² c_j K_k(t_j)} (K_k = B_k^† B_k);
  * optionally the Trotterised e^{−iH dt} (``include_system_hamiltonian``).
Every frame evolution e^{−iHs} uses one fixed Trotter step h with s an integer multiple of h, so
consecutive frames telescope and the circuit is exactly the generator of the Trotter-effective H̃_h.

References:
    circuits.md §3.3 (DCL single-ancilla sweep), §3.6 (telescoping error bound); physics.md §2.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import UnitaryGate

from kmsgibbs.circuits import (
    BlockEncoding,
    commutator_step,
    dilation_step,
    exact_evolution,
    lcu_block_encoding,
    trotter_evolution,
)

from ._checks import check_positive
from .lindbladian import Lindbladian
from .time_domain import TimeDomainForm, build_time_domain

__all__ = ["compile_sampler", "CompiledSampler", "ErrorBound", "DILATION_LIMIT", "FUSED_MAX_QUBITS"]

#: The dilation expansion is used for dt·Σ_j‖L_j‖² ≤ DILATION_LIMIT.
DILATION_LIMIT = 0.25
_EXACT_CHANNEL_MAX_QUBITS = 6
#: ``step_circuit(fused=True)`` is offered up to this many qubits (system + ancilla).
FUSED_MAX_QUBITS = 8
_SCHEMES = ("trotter_dilation",)


@dataclass(frozen=True)
class ErrorBound:
    """Upper bound on ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁, linear in t: (t/dt)·½(step + operator) (telescoping).

    Attributes:
        time: t.
        step: the per-step dilation/splitting (and Trotter) error, summed over the t/dt steps, ×½.
        operator: t·½‖L̃ − L‖_◇, the τ-independent quadrature/truncation error of the time grids.
        rigorous: True when both terms come from exact channels (small systems); False for the
            scalable estimate.
    """

    time: float
    step: float
    operator: float
    rigorous: bool

    @property
    def total(self) -> float:
        return self.step + self.operator

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


def _reset_channel(unitary: np.ndarray, d: int) -> np.ndarray:
    """System superoperator of ρ ↦ Tr_anc[U (|0⟩⟨0| ⊗ ρ) U^†] (ancilla = high qubit)."""
    k0, k1 = unitary[:d, :d], unitary[d:, :d]
    return np.kron(k0.conj(), k0) + np.kron(k1.conj(), k1)


@dataclass(frozen=True, eq=False)
class CompiledSampler:
    """Circuits that simulate e^{tL} for a KMS Lindbladian, with resources and an error bound.

    Qubits: system 0..n−1, one ancilla n (reset at the end of every factor).
    """

    lindbladian: Lindbladian
    form: TimeDomainForm
    dt: float
    trotter_order: int
    exact_evolution: bool
    include_system_hamiltonian: bool
    scheme: str = "trotter_dilation"
    merge_frames: bool = True
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def num_system(self) -> int:
        return self.lindbladian.num_qubits

    @property
    def system_qubits(self) -> list[int]:
        return list(range(self.num_system))

    @property
    def ancilla_qubits(self) -> list[int]:
        return [self.num_system]

    @property
    def trotter_step(self) -> float:
        return self.form.unit

    def _evolve(self, s: float) -> QuantumCircuit:
        """e^{−iHs} (cached per multiple of the unit: the sweeps reuse a few lengths many times)."""
        key = ("evolve", round(s / self.form.unit))
        if key not in self._cache:
            self._cache[key] = self._controlled_evolve(s, False)
        return self._cache[key]

    @cached_property
    def factors(self) -> list[tuple[str, QuantumCircuit]]:
        """The step's factors in time order: ("dissipator" | "coherent" | "frame" | "hamiltonian", circuit).

        Dissipator and coherent factors are unitaries on system + ancilla, each followed by an ancilla
        reset in ``step_circuit``. A factor on the grid t_0 + … needs the frame e^{−iHt_0} before and
        e^{+iHt_0} after; the reset commutes with system evolutions, so with ``merge_frames`` the closing
        frame of one factor and the opening frame of the next are merged into e^{−iH(t_0′ − t_0)}.
        """
        form = self.form
        alpha = math.sqrt(form.rate)
        pieces: list[tuple[str, float, QuantumCircuit]] = []
        framed = not self.merge_frames
        for v, grid in form.jumps:
            for a in form.couplings:
                w = alpha * math.sqrt(v) * grid.weights
                core = dilation_step(a, grid.times, w, tau=self.dt, evolve=self._evolve, reset=False, frames=framed)
                pieces.append(("dissipator", float(grid.times[0]), core))
        if form.coherent is not None:
            for t, c in zip(form.coherent.times, form.coherent.weights.real):
                for v, grid in form.coherent_jumps:
                    for a in form.couplings:
                        w = alpha * math.sqrt(v) * grid.weights
                        core = commutator_step(
                            a, grid.times + t, w, theta=self.dt * c, evolve=self._evolve, reset=False, frames=framed
                        )
                        pieces.append(("coherent", float(grid.times[0] + t), core))
        out: list[tuple[str, QuantumCircuit]] = []
        current = 0.0
        for kind, start, core in pieces:
            if self.merge_frames and start != current:
                core = self._framed(start - current, core)
                current = start
            out.append((kind, core))
        if current:
            out.append(("frame", self._framed(-current, QuantumCircuit(self.num_system + 1))))
        if self.include_system_hamiltonian:
            ham = QuantumCircuit(self.num_system + 1)
            ham.compose(self._controlled_evolve(self.dt, False), self.system_qubits, inplace=True)
            out.append(("hamiltonian", ham))
        return out

    def _framed(self, s: float, core: QuantumCircuit) -> QuantumCircuit:
        """e^{−iHs} on the system, then ``core``."""
        out = QuantumCircuit(self.num_system + 1)
        out.compose(self._evolve(s), self.system_qubits, inplace=True, copy=False)
        out.compose(core, inplace=True, copy=False)
        return out

    def _controlled_evolve(self, s: float, controlled: bool) -> QuantumCircuit:
        """e^{−iHs}: dense (reference mode) or product-formula steps of at most one unit h."""
        h = self.form.hamiltonian
        if self.exact_evolution:
            return exact_evolution(h, s, controlled=controlled)
        steps = max(1, math.ceil(abs(s) / self.form.unit - 1e-9))  # exactly |s|/h on the grids
        return trotter_evolution(h, s, order=self.trotter_order, steps=steps, controlled=controlled)

    def block_encodings(self) -> list[BlockEncoding]:
        """LCU block-encodings of every jump α√v_m L_mk (PREPARE / controlled frames / PREPARE†).

        The declared ε bounds ‖α·block − L_exact‖ for the exact (energy-basis) jump: the grid error
        ‖L̃ − L‖ computed densely, plus Σ_l |w_l| · 2 · (frame errors of e^{−iHt_0} and of the binary powers)
        for product-formula frames, plus 1e-12 for the floating-point synthesis of the state
        preparation. Dense, so n ≤ 5.
        """
        from scipy.linalg import expm
        from qiskit.quantum_info import Operator

        if self.num_system + 1 > _EXACT_CHANNEL_MAX_QUBITS:
            raise ValueError(f"declared block-encoding errors are computed densely, for n ≤ 5; got n = {self.num_system}")
        lind, form = self.lindbladian, self.form
        hm = form.hamiltonian.to_matrix()
        basis = lind.basis
        fhat = form.base_filter
        alpha = math.sqrt(form.rate)

        def frame_error(s: float) -> float:
            if self.exact_evolution or s == 0:
                return 0.0
            return float(np.linalg.norm(Operator(self._controlled_evolve(s, False)).data - expm(-1j * s * hm), 2))

        out = []
        for v, grid in form.jumps:
            step = grid.times[1] - grid.times[0]
            r = max(1, math.ceil(math.log2(grid.times.size)))
            frames = frame_error(grid.times[0]) + sum(frame_error(step * 2**j) for j in range(r))
            shift = grid.times[0] - form.coherent_jumps[0][1].times[0]
            exact_filter = np.exp(1j * basis.bohr * shift) * fhat(basis.bohr)
            for a in form.couplings:
                abar = basis.to_energy(a.to_matrix())
                w = alpha * math.sqrt(v) * grid.weights
                exact = basis.to_computational(alpha * math.sqrt(v) * exact_filter * abar)
                discrete = grid.scaled(alpha * math.sqrt(v)).operator(hm, a.to_matrix())
                eps = float(np.linalg.norm(discrete - exact, 2)) + float(np.sum(np.abs(w))) * 2 * frames
                out.append(lcu_block_encoding(a, grid.times, w, evolve=self._controlled_evolve, epsilon=eps + 1e-12))
        return out

    def step_circuit(self, *, fused: bool = False) -> QuantumCircuit:
        """One step of size dt on system + ancilla (ancilla reset after every factor).

        Args:
            fused: give each factor as one ``UnitaryGate`` (its matrix computed by Aer from the
                factor's gates, so the channel is the same to floating-point precision). A simulation
                aid for small systems (system + ancilla ≤ 8 qubits): Aer's cost is dominated by the
                instruction count, which fusing cuts by ~10³.
        """
        key = ("step", fused)
        if key in self._cache:
            return self._cache[key]
        circuit = QuantumCircuit(self.num_system + 1, name="kms_step")
        unitaries = self._factor_unitaries() if fused else None
        for i, (kind, factor) in enumerate(self.factors):
            if fused:
                circuit.append(UnitaryGate(unitaries[i], label=kind, check_input=False), circuit.qubits)
            else:
                circuit.compose(factor, inplace=True)
            if kind in ("dissipator", "coherent"):
                circuit.reset(self.num_system)
        self._cache[key] = circuit
        return circuit

    def _factor_unitaries(self) -> list[np.ndarray]:
        """The unitary of every factor on system + ancilla, from one batched Aer unitary job."""
        if "unitaries" not in self._cache:
            if self.num_system + 1 > FUSED_MAX_QUBITS:
                raise ValueError(
                    f"factor unitaries are dense: system + ancilla must be ≤ {FUSED_MAX_QUBITS} qubits, "
                    f"got {self.num_system + 1}; use the gate-level circuit"
                )
            from qiskit_aer import AerSimulator

            bodies = []
            for _, factor in self.factors:
                body = factor.copy()
                body.save_unitary()
                bodies.append(body)
            # one thread: these unitaries are tiny, and OpenMP threads spinning against another busy
            # process on a small machine slow the job down by orders of magnitude
            sim = AerSimulator(method="unitary", max_parallel_threads=1)
            result = sim.run(transpile(bodies, sim, optimization_level=0)).result()
            self._cache["unitaries"] = [np.asarray(result.get_unitary(i)) for i in range(len(bodies))]
        return self._cache["unitaries"]

    def num_steps(self, time: float) -> int:
        time = check_positive("time", time, allow_zero=True)
        steps = round(time / self.dt)
        if abs(steps * self.dt - time) > 1e-9 * max(1.0, time):
            raise ValueError(f"time={time} is not a multiple of dt={self.dt}")
        return steps

    def circuit(self, time: float, *, initial_state: QuantumCircuit | str | None = None) -> QuantumCircuit:
        """The full evolution for ``time`` (a multiple of dt), optionally after a state preparation.

        Args:
            time: total evolution time.
            initial_state: ``None`` (|0…0⟩), a bit string (little-endian label, e.g. "011"), or a
                circuit on the n system qubits that prepares the initial state.
        """
        steps = self.num_steps(time)
        circuit = QuantumCircuit(self.num_system + 1, name=f"kms_evolution_t{time:g}")
        if isinstance(initial_state, str):
            if len(initial_state) != self.num_system or set(initial_state) - {"0", "1"}:
                raise ValueError(f"initial_state must be a {self.num_system}-bit string, got {initial_state!r}")
            for q, bit in enumerate(reversed(initial_state)):
                if bit == "1":
                    circuit.x(q)
        elif isinstance(initial_state, QuantumCircuit):
            if initial_state.num_qubits != self.num_system:
                raise ValueError(
                    f"initial_state acts on {initial_state.num_qubits} qubits, expected {self.num_system}"
                )
            circuit.compose(initial_state, self.system_qubits, inplace=True)
        elif initial_state is not None:
            raise ValueError(f"initial_state must be None, a bit string or a QuantumCircuit, got {type(initial_state).__name__}")
        if steps:
            step = self.step_circuit()
            for _ in range(steps):
                circuit.compose(step, inplace=True)
        return circuit

    def step_channel(self) -> np.ndarray:
        """The exact system superoperator of one step (column-stacked), composed factor by factor."""
        if "channel" not in self._cache:
            self._cache["channel"] = self._compute_step_channel()
        return self._cache["channel"]

    def _compute_step_channel(self) -> np.ndarray:
        if self.num_system + 1 > _EXACT_CHANNEL_MAX_QUBITS:
            raise ValueError(
                f"the exact step channel is computed for at most {_EXACT_CHANNEL_MAX_QUBITS - 1} system qubits, "
                f"got {self.num_system}; run the circuit on Aer instead"
            )
        d = 2**self.num_system
        total = np.eye(d * d, dtype=complex)
        for u in self._factor_unitaries():
            total = _reset_channel(u, d) @ total
        return total

    def error_bound(self, time: float) -> ErrorBound:
        """A bound on ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁ for every ρ₀: (t/dt)·½‖Φ_dt − e^{dt L}‖_◇ split as
        step = (t/dt)·½‖Φ_dt − e^{dt L̃}‖_◇ and operator = t·½‖L̃ − L‖_◇ (L̃ the time-grid generator).

        Exact channels and the Choi-based diamond bound make it rigorous; it needs n ≤ 5.
        """
        steps = self.num_steps(time)
        local, operator = self._bound_rates()
        return ErrorBound(time=time, step=0.5 * steps * local, operator=0.5 * time * operator, rigorous=True)

    def _bound_rates(self) -> tuple[float, float]:
        """(‖Φ_dt − e^{dt L̃}‖_◇, ‖L̃ − L‖_◇) bounds, computed once per sampler."""
        from scipy.linalg import expm

        if "bound_rates" not in self._cache:
            channel = self.step_channel()  # refuses first, before any dense d⁴ work, when n > 5
            discrete = self.form.superoperator()
            exact = self.lindbladian.superoperator()
            if self.include_system_hamiltonian:
                e = self.lindbladian.hamiltonian.to_matrix()
                eye = np.eye(e.shape[0])
                comm = -1j * (np.kron(eye, e) - np.kron(e.T, eye))
                discrete, exact = discrete + comm, exact + comm
            self._cache["bound_rates"] = (
                diamond_norm_upper_bound(channel - expm(self.dt * discrete)),
                diamond_norm_upper_bound(discrete - exact),
            )
        return self._cache["bound_rates"]

    def resources(self, time: float | None = None, *, basis_gates: tuple[str, ...] = ("cx", "rz", "sx", "x")) -> dict:
        """Qubits, two-qubit gates, depth and resets per step (and for ``time``) after ``transpile``."""
        step = transpile(self.step_circuit(), basis_gates=[*basis_gates, "reset"], optimization_level=1)
        ops = step.count_ops()
        two = sum(n for name, n in ops.items() if name in ("cx", "cz", "ecr", "rzz"))
        out = {
            "qubits": step.num_qubits,
            "two_qubit_gates_per_step": int(two),
            "depth_per_step": int(step.depth()),
            "resets_per_step": int(ops.get("reset", 0)),
            "basis_gates": list(basis_gates),
        }
        if time is not None:
            steps = self.num_steps(time)
            out.update(steps=steps, two_qubit_gates=int(two) * steps, depth=int(step.depth()) * steps)
        return out


def compile_sampler(
    lind: Lindbladian,
    *,
    dt: float,
    scheme: str = "trotter_dilation",
    trotter_order: int = 2,
    epsilon: float = 1e-3,
    trotter_step: float | None = None,
    exact_evolution: bool = False,
    include_system_hamiltonian: bool = False,
    merge_frames: bool = True,
) -> CompiledSampler:
    """Compile an exactly-KMS Lindbladian (Scandi–Alhambra ``form="kms"`` or DLL) into dilation circuits.

    Args:
        lind: the generator.
        dt: step size; must satisfy dt·Σ_j‖L_j‖² ≤ 0.25 (the dilation expansion's range).
        scheme: ``"trotter_dilation"``.
        trotter_order: order of the product formula for e^{−iHs}.
        epsilon: accuracy of the time grids (sup-norm of the transfer functions on the Bohr band).
        trotter_step: the fixed Trotter step h (all grid times are multiples of it); default derived
            from ``epsilon``.
        exact_evolution: use dense e^{−iHs} (reference mode for small n) instead of product formulas.
        include_system_hamiltonian: add e^{−iH dt} per step (physical thermalization).
        merge_frames: merge the frame evolutions of consecutive factors across the ancilla resets
            (False gives the naive construction, kept to measure what the merge saves).
    """
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme must be one of {_SCHEMES}, got {scheme!r}")
    dt = check_positive("dt", dt)
    epsilon = check_positive("epsilon", epsilon)
    if trotter_order != 1 and (trotter_order < 2 or trotter_order % 2):
        raise ValueError(f"trotter_order must be 1 or an even number >= 2, got {trotter_order!r}")
    form = build_time_domain(lind, epsilon=epsilon, unit=trotter_step)
    strength = form.rate * sum(v * grid.one_norm**2 for v, grid in form.jumps) * sum(
        abs(a.coeffs).sum() ** 2 for a in form.couplings
    )
    if dt * strength > DILATION_LIMIT:
        raise ValueError(
            f"dt={dt:g} is too large: the dilation step needs dt·Σ‖L_j‖² ≤ {DILATION_LIMIT}, "
            f"i.e. dt ≤ {DILATION_LIMIT / strength:.4g} for this generator"
        )
    return CompiledSampler(
        lindbladian=lind,
        form=form,
        dt=dt,
        trotter_order=trotter_order,
        exact_evolution=exact_evolution,
        include_system_hamiltonian=include_system_hamiltonian,
        scheme=scheme,
        merge_frames=merge_frames,
    )
