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
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Gate
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import PauliList, SparsePauliOp

from kmsgibbs.circuits import (
    BlockEncoding,
    gram_block_encoding,
    commutator_step,
    dilation_step,
    exact_evolution,
    lcu_block_encoding,
    trotter_evolution,
)

from ._checks import check_positive
from .bath_emulation import BathEmulationSampler, compile_bath_emulation
from .error_budget import ErrorBound, error_bound
from ._registers import SystemAncillaRegisters, prepare_initial_state, whole_steps
from .lindbladian import Lindbladian
from .hardware import as_target, chain_layout, lower_to_basis, to_isa
from .master_equations import bohr_frequency_bound
from .resources import GateCounts, count_gates, t_per_rotation
from .time_domain import TimeDomainForm, build_time_domain

__all__ = ["compile_sampler", "CompiledSampler", "ErrorBound", "DILATION_LIMIT", "FUSED_MAX_QUBITS"]

#: The dilation expansion is used for dt·Σ_j‖L_aj‖² ≤ DILATION_LIMIT, for each coupling a (its jumps j).
DILATION_LIMIT = 0.25
_EXACT_CHANNEL_MAX_QUBITS = 7
#: ``step_circuit(fused=True)`` is offered up to this many qubits (system + ancilla).
FUSED_MAX_QUBITS = 8
#: The gate name of each kind of factor in ``step_circuit``.
FACTOR_GATE_NAMES = {"dissipator": "dilation_step", "coherent": "coherent_step", "frame": "frame", "hamiltonian": "hamiltonian_step"}
_SCHEMES = ("trotter_dilation", "block_encoding", "bath_emulation")


def _supports(op: SparsePauliOp) -> np.ndarray:
    """(terms × qubits) mask: term i acts on qubit q."""
    return op.paulis.z | op.paulis.x


def light_cone_window(hamiltonian: SparsePauliOp, coupling: SparsePauliOp, radius: int) -> tuple[int, ...]:
    """Qubits within ``radius`` interaction steps of the coupling's support (graph of H's terms)."""
    if isinstance(radius, bool) or not isinstance(radius, int | np.integer) or radius < 0:
        raise ValueError(f"light_cone must be a non-negative integer radius, got {radius!r}")
    terms = _supports(hamiltonian)
    reached = _supports(coupling).any(axis=0)
    for _ in range(int(radius)):
        grown = reached | terms[terms[:, reached].any(axis=1)].any(axis=0)
        if (grown == reached).all():
            break
        reached = grown
    return tuple(np.flatnonzero(reached).tolist())


def restrict(op: SparsePauliOp, window: Sequence[int]) -> SparsePauliOp:
    """The terms of ``op`` supported inside ``window``, as an operator on len(window) qubits (in window order)."""
    window = list(window)
    outside = np.ones(op.num_qubits, dtype=bool)
    outside[window] = False
    keep = np.flatnonzero(~_supports(op)[:, outside].any(axis=1))
    if not keep.size:
        return SparsePauliOp("I" * len(window), 0.0)
    paulis = op.paulis[keep]
    z, x = paulis.z[:, window], paulis.x[:, window]
    return SparsePauliOp(PauliList.from_symplectic(z, x, paulis.phase), op.coeffs[keep])


#: Lowered light-cone blocks, shared between samplers (a resources table over n reuses them).
_BLOCK_CACHE: dict[tuple, tuple[GateCounts, set[int], object]] = {}
_BLOCK_CACHE_SIZE = 256


def _target_key(target) -> int | None:
    return None if target is None else id(target)


def _cached_counts(key: tuple, target, lower) -> tuple[GateCounts, set[int]]:
    """``lower()`` once per key (a key names the block, the target, the basis and the seed)."""
    if key not in _BLOCK_CACHE:
        if len(_BLOCK_CACHE) >= _BLOCK_CACHE_SIZE:
            _BLOCK_CACHE.pop(next(iter(_BLOCK_CACHE)))
        counts, used = lower()
        _BLOCK_CACHE[key] = (counts, used, target)  # the target is held so that its id stays unique
    counts, used, _ = _BLOCK_CACHE[key]
    return counts, used


def _then_reset_channel(total: np.ndarray, unitary: np.ndarray, d: int) -> np.ndarray:
    """Φ∘total for Φ(ρ) = Tr_anc[U (|0⟩⟨0| ⊗ ρ) U^†] (ancilla = high qubit), column-stacked superoperators.

    Applied through its Kraus operators K_i = ⟨i|U|0⟩ to the d×d blocks of ``total`` (2d⁵ work per
    Kraus operator) instead of forming K̄ ⊗ K and multiplying (d⁶).
    """
    y = total.reshape(d, d, -1)  # y[b, a, j] = (column j as a d×d matrix)[a, b]
    out = np.zeros_like(y)
    for k in (unitary[:d, :d], unitary[d:, :d]):
        out += (k.conj() @ np.matmul(k, y).reshape(d, -1)).reshape(y.shape)
    return out.reshape(d * d, -1)


@dataclass(frozen=True, eq=False)
class CompiledSampler(SystemAncillaRegisters):
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
    light_cone: int | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def trotter_step(self) -> float:
        return self.form.unit

    def _window_evolve(self, window: tuple[int, ...], s: float, *, opaque: bool = False) -> QuantumCircuit:
        """e^{−iH_W s} for H restricted to the terms inside ``window`` (on len(window) qubits), cached per
        multiple of the unit: the sweeps reuse a few lengths many times.

        With ``opaque`` it is one gate without a definition, named after its length (``_boxes``):
        a box that resource counting lowers once and counts by multiplicity.
        """
        k = round(s / self.form.unit)
        key = ("opaque" if opaque else "evolve", window, k)
        if opaque and key not in self._cache:
            box = QuantumCircuit(len(window))
            box.append(Gate(f"kms_evolve_{k}" if k >= 0 else f"kms_evolve_m{-k}", len(window), []), box.qubits)
            self._cache[key] = box
        elif key not in self._cache:
            h = self.form.hamiltonian if len(window) == self.num_system else restrict(self.form.hamiltonian, window)
            self._cache[key] = self._controlled_evolve(s, False, hamiltonian=h)
        return self._cache[key]

    def windows(self) -> list[tuple[int, ...]]:
        """Per coupling, the system qubits its frames act on: all of them, or the light cone of radius r."""
        full = tuple(self.system_qubits)
        if self.light_cone is None:
            return [full] * len(self.form.couplings)
        if "windows" not in self._cache:
            self._cache["windows"] = [light_cone_window(self.form.hamiltonian, a, self.light_cone) for a in self.form.couplings]
        return list(self._cache["windows"])

    @cached_property
    def factors(self) -> list[tuple[str, QuantumCircuit]]:
        """The step's factors in time order: ("dissipator" | "coherent" | "frame" | "hamiltonian", circuit).

        Dissipator and coherent factors are unitaries on system + ancilla, each followed by an ancilla
        reset in ``step_circuit``. A factor on the grid t_0 + … needs the frame e^{−iHt_0} before and
        e^{+iHt_0} after; the reset commutes with system evolutions, so with ``merge_frames`` the closing
        frame of one factor and the opening frame of the next are merged into e^{−iH(t_0′ − t_0)}.
        With a light cone, the factors of one coupling act on its window only (and are ordered coupling
        by coupling, so frames still merge inside a window); a frame is closed when the window changes.
        """
        if self.scheme == "block_encoding":
            raise ValueError(
                "the block_encoding scheme compiles block-encodings of the jumps and of the coherent term "
                "(block_encodings(), resources()); Lindblad steps from them need a block-encoding Lindblad "
                "simulator, which is not built: compile with scheme='trotter_dilation' for step circuits"
            )
        out = [(kind, self._embed(window, local)) for kind, window, local in self._merged(self._pieces(range(len(self.form.couplings))))]
        if self.include_system_hamiltonian:
            ham = QuantumCircuit(self.num_system + 1)
            ham.compose(self._controlled_evolve(self.dt, False), self.system_qubits, inplace=True)
            out.append(("hamiltonian", ham))
        return out

    def _boxes(self, window: tuple[int, ...]) -> dict[str, float]:
        """Name → evolution time of every opaque frame evolution built so far on ``window``."""
        return {
            box.data[0].operation.name: key[2] * self.form.unit
            for key, box in self._cache.items()
            if isinstance(key, tuple) and key[:2] == ("opaque", window)
        }

    def _pieces(self, couplings: Sequence[int], *, opaque: bool = False) -> list[tuple[str, float, QuantumCircuit, tuple[int, ...]]]:
        """(kind, first grid time t_0, unframed core on window + ancilla, window) for the given couplings."""
        form = self.form
        alpha = math.sqrt(form.rate)
        framed = not self.merge_frames
        windows = self.windows()
        pieces: list[tuple[str, float, QuantumCircuit, tuple[int, ...]]] = []

        def local(k: int):
            window = windows[k]
            a = form.couplings[k] if len(window) == self.num_system else restrict(form.couplings[k], window)
            return window, a, lambda s: self._window_evolve(window, s, opaque=opaque)

        def dissipator(k: int, v: float, grid) -> None:
            window, a, evolve = local(k)
            w = alpha * math.sqrt(v) * grid.weights
            core = dilation_step(a, grid.times, w, tau=self.dt, evolve=evolve, reset=False, frames=framed)
            pieces.append(("dissipator", float(grid.times[0]), core, window))

        def coherent(k: int, t: float, c: float) -> None:
            window, a, evolve = local(k)
            for v, grid in form.coherent_jumps:
                w = alpha * math.sqrt(v) * grid.weights
                core = commutator_step(a, grid.times + t, w, theta=self.dt * c, evolve=evolve, reset=False, frames=framed)
                pieces.append(("coherent", float(grid.times[0] + t), core, window))

        nodes = [] if form.coherent is None else list(zip(form.coherent.times, form.coherent.weights.real))
        if self.light_cone is None:  # node by node: consecutive factors share their frame times
            for v, grid in form.jumps:
                for k in couplings:
                    dissipator(k, v, grid)
            for t, c in nodes:
                for k in couplings:
                    coherent(k, t, c)
        else:  # coupling by coupling: consecutive factors share their window
            for k in couplings:
                for v, grid in form.jumps:
                    dissipator(k, v, grid)
                for t, c in nodes:
                    coherent(k, t, c)
        return pieces

    def _merged(self, pieces, *, opaque: bool = False) -> list[tuple[str, tuple[int, ...], QuantumCircuit]]:
        """Frames attached to the pieces (merged between neighbours on one window, closed when it changes)."""
        out: list[tuple[str, tuple[int, ...], QuantumCircuit]] = []
        current, current_window = 0.0, None
        for kind, start, core, window in pieces:
            if self.merge_frames and current and window != current_window:
                out.append(("frame", current_window, self._framed(current_window, -current, None, opaque=opaque)))
                current = 0.0
            current_window = window
            if self.merge_frames and start != current:
                out.append((kind, window, self._framed(window, start - current, core, opaque=opaque)))
                current = start
            else:
                out.append((kind, window, core))
        if current:
            out.append(("frame", current_window, self._framed(current_window, -current, None, opaque=opaque)))
        return out

    def _framed(self, window: tuple[int, ...], s: float, core: QuantumCircuit | None, *, opaque: bool = False) -> QuantumCircuit:
        """e^{−iH_W s} on the window, then ``core``, on window + ancilla (the ancilla last)."""
        out = QuantumCircuit(len(window) + 1)
        if s:
            out.compose(self._window_evolve(window, s, opaque=opaque), range(len(window)), inplace=True, copy=False)
        if core is not None:
            out.compose(core, inplace=True, copy=False)
        return out

    def _embed(self, window: tuple[int, ...], local: QuantumCircuit) -> QuantumCircuit:
        if len(window) == self.num_system:
            return local
        out = QuantumCircuit(self.num_system + 1)
        out.compose(local, [*window, self.num_system], inplace=True, copy=False)
        return out

    def _controlled_evolve(self, s: float, controlled: bool, *, hamiltonian: SparsePauliOp | None = None) -> QuantumCircuit:
        """e^{−iHs}: dense (reference mode) or product-formula steps of at most one unit h."""
        h = self.form.hamiltonian if hamiltonian is None else hamiltonian
        if self.exact_evolution:
            return exact_evolution(h, s, controlled=controlled)
        steps = max(1, math.ceil(abs(s) / self.form.unit - 1e-9))  # exactly |s|/h on the grids
        return trotter_evolution(h, s, order=self.trotter_order, steps=steps, controlled=controlled)

    def block_encodings(self) -> list[BlockEncoding]:
        """LCU block-encodings of every jump α√v_m L_mk (PREPARE / controlled frames / PREPARE†), and with
        ``scheme="block_encoding"`` that of the coherent term last (``coherent_block_encoding``).

        The declared ε bounds ‖α·block − L_exact‖ for the exact (energy-basis) jump: the grid error
        ‖L̃ − L‖ computed densely, plus Σ_l |w_l| · 2 · (frame errors of e^{−iHt_0} and of the binary powers)
        for product-formula frames, plus 1e-12 for the floating-point synthesis of the state
        preparation. Dense, so n ≤ 6.
        """
        self._check_dense_encodings()
        lind, form = self.lindbladian, self.form
        hm = form.hamiltonian.to_matrix()
        basis = lind.basis
        alpha = math.sqrt(form.rate)

        out = []
        for (v, grid), exact_transfer in zip(form.jumps, form.jump_filters):
            frames = self._grid_frame_error(grid.times)
            exact_filter = exact_transfer(basis.bohr)
            for a in form.couplings:
                abar = basis.to_energy(a.to_matrix())
                w = alpha * math.sqrt(v) * grid.weights
                exact = basis.to_computational(alpha * math.sqrt(v) * exact_filter * abar)
                discrete = grid.scaled(alpha * math.sqrt(v)).operator(hm, a.to_matrix())
                eps = float(np.linalg.norm(discrete - exact, 2)) + float(np.sum(np.abs(w))) * 2 * frames
                out.append(lcu_block_encoding(a, grid.times, w, evolve=self._controlled_evolve, epsilon=eps + 1e-12))
        if self.scheme == "block_encoding" and form.coherent is not None:
            out.append(self.coherent_block_encoding())
        return out

    def coherent_block_encoding(self) -> BlockEncoding:
        """Block-encoding of the coherent term H̃_⊥ = α² Σ_j c_j e^{iHt_j} K e^{−iHt_j}, K = Σ_k L_k^†L_k.

        The Gram encoding of the base jumps (:func:`~kmsgibbs.circuits.gram_block_encoding`) is the
        inner operator of the time-grid LCU over the coherent nodes (weights α²c_j). Declared ε:
        ‖H̃_⊥ − H_⊥‖ for the exact energy-basis coherent term (dense), plus the product-formula frames'
        error propagated through the LCU (η per grid time = the frame errors of e^{−iHt_0} and of the
        binary powers: ‖K̃ − K‖ ≤ Σ_k(2‖L_k‖ + δ_k)δ_k with δ_k = |a_k|Σ|w|·2η, then
        α²Σ|c_j|(2η′(‖K‖ + ‖K̃ − K‖) + ‖K̃ − K‖)), plus 1e-12 for the state preparations. Dense, so n ≤ 6.
        """
        self._check_dense_encodings()
        form = self.form
        if form.coherent is None:
            raise ValueError(f"the {self.lindbladian.family!r} generator has no coherent term")
        if len(form.coherent_jumps) != 1:
            raise ValueError(
                f"the coherent term's K is a sum over {len(form.coherent_jumps)} jump grids; its block-encoding "
                "is built for one shared grid (Scandi–Alhambra form='kms', DLL)"
            )
        (v, grid), = form.coherent_jumps
        hm = form.hamiltonian.to_matrix()
        gram = gram_block_encoding(
            [math.sqrt(v) * a for a in form.couplings], grid.times, grid.weights, evolve=self._controlled_evolve
        )
        c = form.coherent
        # ‖F̃XF̃† − FXF†‖ ≤ 2η‖X‖ per frame pair, ‖L̃†L̃ − L†L‖ ≤ (2‖L‖ + δ)δ
        eta_jump, eta_coherent = self._grid_frame_error(grid.times), self._grid_frame_error(c.times)
        jumps = [math.sqrt(v) * grid.operator(hm, a.to_matrix()) for a in form.couplings]
        gram_error = 0.0
        for a, jump in zip(form.couplings, jumps):
            delta = math.sqrt(v) * float(np.abs(a.coeffs).sum()) * grid.one_norm * 2 * eta_jump
            gram_error += (2 * float(np.linalg.norm(jump, 2)) + delta) * delta
        k_norm = float(np.linalg.norm(sum(j.conj().T @ j for j in jumps), 2))
        frames = form.rate * c.one_norm * (2 * eta_coherent * (k_norm + gram_error) + gram_error)
        grid_error = float(np.linalg.norm(form.coherent_term() - self.lindbladian.coherent_term(), 2))
        eps = grid_error + frames + 1e-12
        return lcu_block_encoding(gram, c.times, form.rate * c.weights, evolve=self._controlled_evolve, epsilon=eps)

    def _frame_error(self, s: float) -> float:
        """‖F̃_s − e^{−iHs}‖ for the compiled frame evolution (0 with exact frames), once per length."""
        if self.exact_evolution or s == 0:
            return 0.0
        key = ("frame_error", round(s, 12))  # s need not be a multiple of the unit (e^{−iH dt})
        if key not in self._cache:
            from scipy.linalg import expm
            from qiskit.quantum_info import Operator

            exact = expm(-1j * s * self.form.hamiltonian.to_matrix())
            self._cache[key] = float(np.linalg.norm(Operator(self._controlled_evolve(s, False)).data - exact, 2))
        return self._cache[key]

    def _grid_frame_error(self, times: np.ndarray) -> float:
        """η ≥ ‖F̃_t − e^{−iHt}‖ for every time of a uniform grid: e^{−iHt_0} and the binary powers of the
        spacing (the controlled frames of an LCU over the grid)."""
        r = max(1, math.ceil(math.log2(times.size)))
        step = times[1] - times[0] if times.size > 1 else 0.0
        return self._frame_error(times[0]) + sum(self._frame_error(step * 2**j) for j in range(r))

    def _check_dense_encodings(self) -> None:
        if self.num_system + 1 > _EXACT_CHANNEL_MAX_QUBITS:
            raise ValueError(
                f"declared block-encoding errors are computed densely, for n ≤ {_EXACT_CHANNEL_MAX_QUBITS - 1}; "
                f"got n = {self.num_system}"
            )

    def step_circuit(self, *, fused: bool = False) -> QuantumCircuit:
        """One step of size dt on system + ancilla (ancilla reset after every factor).

        Each factor is a named gate (``dilation_step``, ``coherent_step``, ``frame``,
        ``hamiltonian_step``) whose definition is its compiled circuit, so ``count_ops()`` reads as
        the algorithm; ``transpile`` (or :data:`kmsgibbs.compiler.hardware.PRE_INIT`) lowers them.

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
                circuit.append(factor.copy(name=FACTOR_GATE_NAMES[kind]).to_gate(), circuit.qubits)
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
        return whole_steps(time, self.dt, f"dt={self.dt}")

    def circuit(self, time: float, *, initial_state: QuantumCircuit | str | None = None) -> QuantumCircuit:
        """The full evolution for ``time`` (a multiple of dt), optionally after a state preparation.

        Args:
            time: total evolution time.
            initial_state: ``None`` (|0…0⟩), a bit string (little-endian label, e.g. "011"), or a
                circuit on the n system qubits that prepares the initial state.
        """
        steps = self.num_steps(time)
        circuit = QuantumCircuit(self.num_system + 1, name=f"kms_evolution_t{time:g}")
        prepare_initial_state(circuit, initial_state, self.num_system)
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
            total = _then_reset_channel(total, u, d)
        return total

    def error_bound(self, time: float, *, method: str = "auto") -> ErrorBound:
        """A bound on ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁ for every ρ₀, as named terms (``ErrorBound.terms``).

        ``method="exact"`` (the default for n ≤ 6 without a light cone): the step term from the exact
        step channel and the Choi-based diamond bound, rigorous, minutes at n = 6. ``method="norms"``:
        dilation, coherent and splitting terms from operator norms, Trotter and quadrature terms from the
        dense windows, and the light-cone truncation estimate; scalable (seconds at n = 100 with a light
        cone). See :mod:`kmsgibbs.compiler.error_budget`.
        """
        return error_bound(self, time, method=method)

    def resources(
        self,
        time: float | None = None,
        *,
        target=None,
        basis_gates: tuple[str, ...] = ("cx", "rz", "sx", "x"),
        synthesis_error: float = 1e-3,
        seed: int | None = 0,
        whole_blocks: bool = False,
    ) -> dict:
        """Qubits, two-qubit gates, depth, two-qubit depth, resets and a T-count estimate per step.

        With ``scheme="block_encoding"``: {"encodings": per block-encoding (jumps, then the coherent
        term) its kind, α, ε, qubits, ancillas, two-qubit gates, depth and rotations in ``basis_gates``}.

        Args:
            time: also give totals for this evolution time (a multiple of dt).
            target: a ``BackendV2`` or ``Target``: count the ISA circuit (:func:`~kmsgibbs.compiler.to_isa`,
                chain layout, routing included) instead of the ``basis_gates`` lowering.
            basis_gates: the lowering without a target (plus ``reset``).
            synthesis_error: the total error ε_syn allowed for Clifford+T synthesis of all the rotations
                over ``time`` (one step without ``time``); see :mod:`kmsgibbs.compiler.resources`.
            seed: ``seed_transpiler`` for the target mapping.
            whole_blocks: with a light cone and no target, lower every distinct block whole (about a
                second per block) instead of lowering its frame evolutions once each as boxes. The
                box counts are upper bounds: they miss the optimisations across box boundaries
                (measured for a TFIM chain, XZ couplings, r = 3, ε = 10⁻²: two-qubit gates +8 %,
                rotations +5 %, depth +19 %).

        With a light cone, couplings whose window Hamiltonian and local coupling coincide (a uniform
        chain's bulk) compile to the same block: each distinct block is lowered once (and cached across
        samplers with the same grids and dt) and counted with its multiplicity. The factors share the
        one ancilla, so they run one after another: depths add. On a target, each block is laid out on
        its own (window chain, ancilla beside its middle); moving the shared ancilla from window to
        window is not counted.
        """
        if not 0 < synthesis_error < 1:
            raise ValueError(f"synthesis_error must be in (0, 1), got {synthesis_error!r}")
        if self.scheme == "block_encoding":
            return self._encoding_resources(basis_gates)
        width = self.num_system + 1
        if target is not None and (as_target(target).num_qubits or width) < width:
            raise ValueError(f"the target has {as_target(target).num_qubits} qubits; the circuit needs {width}")
        if self.light_cone is None:
            counts, used = self._lowered_counts(self.step_circuit(), target, basis_gates, seed, self.num_system)
            qubits = len(used)
        else:
            counts, qubits = GateCounts.zero(), width
            boxed = target is None and not whole_blocks
            for k, multiplicity in self._block_multiplicities().items():
                window = self.windows()[k]
                key = (self._block_key(k), _target_key(target), tuple(basis_gates), seed, boxed)
                if boxed:
                    block_counts, used = _cached_counts(
                        key, None, lambda k=k, w=window: (self._composed_counts(k, basis_gates), set(range(len(w) + 1)))
                    )
                else:
                    block_counts, used = _cached_counts(
                        key, target, lambda k=k, w=window: self._lowered_counts(self._block(k), target, basis_gates, seed, len(w))
                    )
                counts = counts + block_counts * multiplicity
                # qubits a block's routing borrows beyond its window and the ancilla
                qubits = max(qubits, width + len(used) - (len(window) + 1))
            if self.include_system_hamiltonian:
                ham, _ = self._lowered_counts(self._controlled_evolve(self.dt, False), target, basis_gates, seed, self.num_system)
                counts = counts + ham
        steps = 1 if time is None else self.num_steps(time)
        rotations = counts.rotations * steps
        precision = synthesis_error / rotations if rotations else None
        per_rotation = t_per_rotation(precision) if rotations else 0
        out = {
            "qubits": int(qubits),
            "two_qubit_gates_per_step": counts.two_qubit_gates,
            "depth_per_step": counts.depth,
            "two_qubit_depth_per_step": counts.two_qubit_depth,
            "resets_per_step": counts.resets,
            "rotations_per_step": counts.rotations,
            "t_gates_per_step": counts.t_gates,
            "t_per_rotation": per_rotation,
            "synthesis_precision": precision,
            "synthesis_error": float(synthesis_error),
            "t_count_per_step": counts.t_gates + counts.rotations * per_rotation,
            "basis_gates": list(basis_gates) if target is None else sorted(as_target(target).operation_names),
        }
        if time is not None:
            out.update(
                steps=steps,
                two_qubit_gates=counts.two_qubit_gates * steps,
                depth=counts.depth * steps,
                t_count=out["t_count_per_step"] * steps,
            )
        return out

    def _encoding_resources(self, basis_gates: Sequence[str]) -> dict:
        """Per block-encoding (jumps, then the coherent term): α, ε, qubits and gate counts in the basis."""
        rows = []
        encodings = self.block_encodings()
        for i, be in enumerate(encodings):
            counts = count_gates(lower_to_basis(be.circuit, list(basis_gates)))
            rows.append(
                {
                    "kind": "coherent" if i == len(encodings) - 1 and self.form.coherent is not None else "jump",
                    "alpha": be.alpha,
                    "epsilon": be.epsilon,
                    "qubits": be.circuit.num_qubits,
                    "ancillas": be.num_ancillas,
                    "two_qubit_gates": counts.two_qubit_gates,
                    "depth": counts.depth,
                    "rotations": counts.rotations,
                }
            )
        return {"encodings": rows, "basis_gates": list(basis_gates)}

    def _lowered_counts(self, circuit: QuantumCircuit, target, basis_gates, seed, chain_sites: int) -> tuple[GateCounts, set[int]]:
        """Counts of ``circuit`` (chain sites first, ancilla last) lowered to the basis or mapped to the target."""
        if target is None:
            return count_gates(lower_to_basis(circuit, [*basis_gates, "reset"])), set(range(circuit.num_qubits))
        layout = chain_layout(chain_sites, as_target(target)) if circuit.num_qubits == chain_sites + 1 else None
        isa = to_isa(circuit, target, layout=layout, seed=seed)
        used = {isa.find_bit(q).index for instruction in isa.data for q in instruction.qubits}
        return count_gates(isa), used

    def _composed_counts(self, k: int, basis_gates: Sequence[str]) -> GateCounts:
        """Counts of block k with each distinct frame evolution lowered once and counted as a box.

        Optimisations across a box boundary (merging the last layer of one Trotter step with the
        first of the next, or 1q runs through the box) are not made, so the counts are those of a
        valid, slightly less optimised lowering: upper bounds on the whole-block lowering.
        """
        window = self.windows()[k]
        basis = [*basis_gates, "reset"]
        skeleton = self._block(k, opaque=True)
        boxes = {name: count_gates(lower_to_basis(self._window_evolve(window, s), basis)) for name, s in self._boxes(window).items()}
        return count_gates(lower_to_basis(skeleton, basis, keep=list(boxes)), boxes=boxes)

    def _block(self, k: int, *, opaque: bool = False) -> QuantumCircuit:
        """One step's factors of coupling k on its window + ancilla, with the ancilla resets
        (frame evolutions as boxes with ``opaque``, see ``_window_evolve``)."""
        block = QuantumCircuit(len(self.windows()[k]) + 1, name="kms_block")
        for kind, _, local in self._merged(self._pieces([k], opaque=opaque), opaque=opaque):
            block.compose(local, inplace=True, copy=False)
            if kind in ("dissipator", "coherent"):
                block.reset(block.num_qubits - 1)
        return block

    def _block_key(self, k: int) -> tuple:
        """What the light-cone block of coupling k is built from: equal keys give equal circuits."""
        window = self.windows()[k]
        h = restrict(self.form.hamiltonian, window).simplify(atol=0)
        a = restrict(self.form.couplings[k], window)
        form = self.form

        def grid_key(grid) -> tuple:
            return (np.round(grid.times, 12).tobytes(), np.round(grid.weights, 12).tobytes())

        return (
            tuple(h.paulis.to_labels()),
            np.round(h.coeffs, 12).tobytes(),
            tuple(a.paulis.to_labels()),
            np.round(a.coeffs, 12).tobytes(),
            round(form.rate, 12),
            round(form.unit, 12),
            tuple((round(v, 12), grid_key(g)) for v, g in form.jumps),
            tuple((round(v, 12), grid_key(g)) for v, g in form.coherent_jumps),
            None if form.coherent is None else grid_key(form.coherent),
            round(self.dt, 12),
            self.trotter_order,
            self.exact_evolution,
            self.merge_frames,
        )

    def _block_multiplicities(self) -> dict[int, int]:
        """A representative coupling index per distinct block (``_block_key``) → how many couplings share it."""
        seen: dict[tuple, int] = {}
        counts: dict[int, int] = {}
        for k in range(len(self.form.couplings)):
            first = seen.setdefault(self._block_key(k), k)
            counts[first] = counts.get(first, 0) + 1
        return counts

    def truncation_error(self, *, margin: int = 3, max_qubits: int = 11) -> dict:
        """Light-cone truncation, measured: ‖L_k,W − L_k,W′‖ for the window W of radius r and a wider W′.

        A(t) and A_W(t) agree to order t^r in the nested-commutator series; beyond that a
        Lieb–Robinson bound with e^{2λ|t|} is vacuous at these times, so the error is measured instead:
        each distinct block's jumps L = Σ_l w_l e^{iHt_l} A e^{−iHt_l} are built densely with H
        restricted to W and to W′ (radius r + ``margin``, at most ``max_qubits`` qubits), with exact
        frames. This is an estimate of ‖L_k − L_k,W‖ (it converges as W′ grows; the tests compare it with
        the untruncated chain).

        Returns:
            {"radius", "reference_radius", "jump": the largest ‖L_k,W − L_k,W′‖ over blocks and
            Gaussian-average nodes (times α√v_m), "rate": Σ over jumps of 2(2‖L‖ + Δ)Δ, the resulting
            bound on the dissipator's generator error per unit time}.
        """
        if self.light_cone is None:
            return {"radius": None, "reference_radius": None, "jump": 0.0, "rate": 0.0}
        from .time_domain import TimeGrid

        r = self.light_cone
        h = self.form.hamiltonian
        alpha = math.sqrt(self.form.rate)
        worst, rate = 0.0, 0.0
        wide_r = r + margin
        for k, multiplicity in self._block_multiplicities().items():
            a = self.form.couplings[k]
            while wide_r > r and len(light_cone_window(h, a, wide_r)) > max_qubits:
                wide_r -= 1
            wide = light_cone_window(h, a, wide_r)
            narrow = light_cone_window(h, a, r)
            if wide == narrow:
                continue  # the window already holds everything within reach: no truncation
            a_wide = restrict(a, wide).to_matrix()
            h_narrow = restrict(h, narrow)  # embedded in the wide window: terms outside W dropped
            embedded = h_narrow.apply_layout([wide.index(q) for q in narrow], len(wide)).to_matrix()
            bases = []
            for matrix in (restrict(h, wide).to_matrix(), embedded):  # one diagonalisation per Hamiltonian
                e, u = np.linalg.eigh(matrix)
                bases.append((e, u, u.conj().T @ a_wide @ u))
            for v, grid in self.form.jumps:
                g = TimeGrid(grid.times, alpha * math.sqrt(v) * grid.weights)
                full, cut = (u @ g.energy_operator(e, ab) @ u.conj().T for e, u, ab in bases)
                d = float(np.linalg.norm(full - cut, 2))
                worst = max(worst, d)
                rate += multiplicity * 2 * (2 * float(np.linalg.norm(full, 2)) + d) * d
        return {"radius": r, "reference_radius": wide_r, "jump": worst, "rate": rate}


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
    light_cone: int | None = None,
    cycle_time: float | None = None,
) -> CompiledSampler | BathEmulationSampler:
    """Compile a Lindbladian into circuits.

    ``scheme="trotter_dilation"``: an exactly-KMS generator (Scandi–Alhambra ``form="kms"``, CKG or DLL)
    as single-ancilla dilation steps (a ``CompiledSampler``). ``scheme="block_encoding"``: the same
    sampler whose product is the LCU block-encodings of every jump and of the coherent term
    (``block_encodings()``, verified ε; ``resources()`` counts them); it builds no step circuits. ``scheme="bath_emulation"``: a Scandi–Alhambra
    ``form="coarse_grained"`` generator as cycles of a thermal ancilla bath qubit coupled under a
    Gaussian envelope (a :class:`~kmsgibbs.compiler.bath_emulation.BathEmulationSampler`; only ``dt``,
    ``cycle_time``, ``trotter_order`` and ``exact_evolution`` apply).

    Args:
        lind: the generator.
        dt: step size; for trotter_dilation it must satisfy dt·Σ_j‖L_j‖² ≤ 0.25 (the dilation
            expansion's range); for bath_emulation it is the Strang step of the joint evolution.
        scheme: ``"trotter_dilation"``, ``"block_encoding"`` or ``"bath_emulation"``.
        trotter_order: order of the product formula for e^{−iHs}.
        epsilon: accuracy of the time grids (sup-norm of the transfer functions on the Bohr band).
        trotter_step: the fixed Trotter step h (all grid times are multiples of it); default derived
            from ``epsilon``.
        exact_evolution: use dense e^{−iHs} (reference mode for small n) instead of product formulas.
        include_system_hamiltonian: add e^{−iH dt} per step (physical thermalization).
        merge_frames: merge the frame evolutions of consecutive factors across the ancilla resets
            (False gives the naive construction, kept to measure what the merge saves).
        light_cone: truncate every coupling's frames to H restricted to the qubits within this many
            interaction steps of it (``None``: no truncation). The cost per coupling is then
            independent of n; ``truncation_error()`` states the error it adds.
        cycle_time: bath_emulation only: the duration of one cycle (default 8T, whole steps).
    """
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme must be one of {_SCHEMES}, got {scheme!r}")
    if scheme == "bath_emulation":
        for name, value in (("light_cone", light_cone), ("trotter_step", trotter_step)):
            if value is not None:
                raise ValueError(f"{name} applies to the trotter_dilation scheme, not to bath_emulation (got {value!r})")
        return compile_bath_emulation(
            lind, dt=dt, cycle_time=cycle_time, trotter_order=trotter_order, exact_evolution=exact_evolution
        )
    if cycle_time is not None:
        raise ValueError(f"cycle_time applies to the bath_emulation scheme only (got {cycle_time!r})")
    dt = check_positive("dt", dt)
    epsilon = check_positive("epsilon", epsilon)
    if trotter_order != 1 and (trotter_order < 2 or trotter_order % 2):
        raise ValueError(f"trotter_order must be 1 or an even number >= 2, got {trotter_order!r}")
    band = None
    if light_cone is not None:  # the frames evolve with window Hamiltonians: their Bohr band is n-independent
        band = max(
            bohr_frequency_bound(restrict(lind.hamiltonian, light_cone_window(lind.hamiltonian, a, light_cone)))
            for a in lind.couplings
        )
    form = build_time_domain(lind, epsilon=epsilon, unit=trotter_step, bohr_bound=band)
    # the expansion is per dilation factor (one coupling's jumps), so the limit is local: it does not
    # shrink dt as the system grows (the splitting error then adds up over the couplings, extensively)
    strength = form.rate * sum(v * grid.one_norm**2 for v, grid in form.jumps) * max(
        abs(a.coeffs).sum() ** 2 for a in form.couplings
    )
    if dt * strength > DILATION_LIMIT:
        raise ValueError(
            f"dt={dt:g} is too large: the dilation step needs dt·Σ_j‖L_aj‖² ≤ {DILATION_LIMIT} for every "
            f"coupling a, i.e. dt ≤ {DILATION_LIMIT / strength:.4g} for this generator"
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
        light_cone=light_cone,
    )
