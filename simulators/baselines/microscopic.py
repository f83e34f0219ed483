"""The system + bath the master equations come from: a finite explicit bath, exact joint evolution.

Each coupling A_k gets its own bath of N two-level modes (qubits) with frequencies ω_q on the
midpoint grid of (0, ω_max], Hamiltonian H_B = Σ_q ω_q |1⟩⟨1|_q, coupling operator
B_k = Σ_q g_q X_q, and a Gibbs initial state (|1⟩_q with probability p₁(ω_q) = 1/(1 + e^{βω_q})):

    H = H_S + H_B + α Σ_k A_k ⊗ B_k,   ρ(0) = ρ_S(0) ⊗ γ_B.

Its correlation function is C(t) = Σ_q g_q² (p₀ e^{−iω_q t} + p₁ e^{iω_q t}), i.e.
Ĉ = 2π Σ_q g_q² (p₀ δ(ω − ω_q) + p₁ δ(ω + ω_q)); with g_q² = Ĉ(ω_q)(1 + e^{−βω_q}) Δω / 2π the
midpoint rule of C(t) = (1/2π)∫dω e^{−iωt} Ĉ(ω) is reproduced, KMS included (p₁/p₀ = e^{−βω_q}).
A spin bath is Gaussian only to second order in the couplings; every master equation here is
second order, so it sees only C(t).

Discretisation error, stated by ``DiscretizedBath``: the discrete C is anti-periodic with period
t_rec = 2π/Δω (the recurrence time: the bath hands the system's excitation back), and before that
it differs from the continuum C by the aliasing of the midpoint rule and the cut at ω_max. The
memory-kernel error ∫_0^t |C_disc − C| ds is computed and reported; times beyond t_rec/2 are refused.

The joint evolution is exact: H is diagonalised densely, and the thermal bath is purified into
columns (ρ(0) = ΨΨ^†, one column per bath basis state, weight √p), so ρ_S(t) = Tr_B Ψ(t)Ψ(t)^†.

References:
    Scandi & Alhambra, arXiv:2505.20064, Sec. III, Thm 11 (docs/conventions.md);
    Breuer & Petruccione, *The Theory of Open Quantum Systems*, §3.3 (Redfield).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler import Lindbladian, davies, scandi_alhambra
from kmsgibbs.compiler._checks import check_couplings, check_hermitian_pauli, check_integer, check_positive
from kmsgibbs.compiler.baths import Bath
from kmsgibbs.compiler.memory import require_memory

from ..engine import exact
from ..engine.distances import trace_distance

__all__ = [
    "DiscretizedBath",
    "discretize_bath",
    "bath_rates",
    "thm11_bound",
    "optimal_coarse_graining_time",
    "MicroscopicEvolution",
    "microscopic_evolution",
    "redfield_superoperator",
    "MicroscopicComparison",
    "compare_to_microscopic",
    "MAX_JOINT_QUBITS",
]

#: Largest system + bath register evolved densely (4096² real eigendecomposition: ~10 s, 0.3 GB).
MAX_JOINT_QUBITS = 12
#: Dense (d², d²) arrays alive at once while the Redfield generator is assembled.
REDFIELD_COPIES = 3
#: Dense (d², d²) arrays scipy.linalg.expm holds (Padé powers, numerator, denominator, solve).
EXPM_COPIES = 8


def _correlation_extent(bath: Bath) -> float:
    """A time beyond which |C(t)| < 1e-12·|C(0)| (doubling from the bath's own time scale)."""
    c0 = abs(complex(bath.correlation(0.0)))
    t = 4.0 / bath.scale
    while abs(complex(bath.correlation(t))) > 1e-12 * c0 and t < 1e4:
        t *= 1.5
    return t


@dataclass(frozen=True)
class DiscretizedBath:
    """N bath qubits discretising a ``Bath`` on the midpoint grid of (0, ω_max].

    Attributes:
        bath: the continuum bath it approximates.
        frequencies: ω_q = (q − ½)Δω, q = 1..N.
        couplings: g_q = √(Ĉ(ω_q)(1 + e^{−βω_q})Δω/2π).
    """

    bath: Bath
    frequencies: np.ndarray
    couplings: np.ndarray

    @property
    def num_modes(self) -> int:
        return int(self.frequencies.size)

    @property
    def spacing(self) -> float:
        return float(self.frequencies[1] - self.frequencies[0]) if self.num_modes > 1 else 2 * float(self.frequencies[0])

    @property
    def recurrence_time(self) -> float:
        """t_rec = 2π/Δω: the discrete correlation function returns (with a sign) to C(0)."""
        return 2 * math.pi / self.spacing

    @property
    def excited_probabilities(self) -> np.ndarray:
        """p₁(ω_q) = 1/(1 + e^{βω_q}), the Gibbs weight of |1⟩ for each mode."""
        return 1.0 / (1.0 + np.exp(self.bath.beta * self.frequencies))

    def correlation(self, t: np.ndarray | float) -> np.ndarray:
        """C_disc(t) = Σ_q g_q² (p₀ e^{−iω_q t} + p₁ e^{iω_q t})."""
        t = np.asarray(t, dtype=float)
        p1 = self.excited_probabilities
        phase = np.exp(-1j * np.multiply.outer(t, self.frequencies))
        g2 = self.couplings**2
        return phase @ (g2 * (1 - p1)) + phase.conj() @ (g2 * p1)

    def kernel_error(self, time: float) -> float:
        """∫_0^t |C_disc(s) − C(s)| ds: the error of every second-order memory integral up to t."""
        time = check_positive("time", time, allow_zero=True)
        if time == 0:
            return 0.0
        s = np.linspace(0.0, time, max(2001, int(200 * time * max(1.0, float(self.frequencies[-1]))) + 1))
        diff = np.abs(self.correlation(s) - self.bath.correlation(s))
        return float(np.sum(0.5 * (diff[1:] + diff[:-1]) * np.diff(s)))


def discretize_bath(bath: Bath, num_modes: int, *, max_frequency: float | None = None) -> DiscretizedBath:
    """N two-level modes whose correlation function is the midpoint rule of ``bath``'s.

    Args:
        bath: the spectral density to discretise (any KMS bath of :mod:`kmsgibbs.compiler.baths`).
        num_modes: N ≥ 1.
        max_frequency: ω_max; default the larger |ω| where Ĉ has fallen by e^{−12} from its
            peak (what is cut beyond it enters ``kernel_error``).
    """
    if not isinstance(bath, Bath):
        raise TypeError(f"bath must be a kmsgibbs Bath, got {type(bath).__name__}")
    num_modes = check_integer("num_modes", num_modes, minimum=1)
    if max_frequency is None:  # where Ĉ has fallen by e^{−12} (support(p) is where Ĉ^p falls by e^{−45})
        max_frequency = max(abs(x) for x in bath.support(45.0 / 12.0))
    w_max = check_positive("max_frequency", max_frequency)
    dw = w_max / num_modes
    w = (np.arange(num_modes) + 0.5) * dw
    g = np.sqrt(np.asarray(bath.spectral_density(w)) * (1 + np.exp(-bath.beta * w)) * dw / (2 * math.pi))
    return DiscretizedBath(bath=bath, frequencies=w, couplings=g)


def bath_rates(bath: Bath) -> tuple[float, float]:
    """(Γ₀, τ₀) of one bath channel: Γ₀ = ∫|C(t)|dt, Γ₀τ₀ = ∫|t||C(t)|dt (docs/conventions.md table)."""
    extent = _correlation_extent(bath)
    t = np.linspace(-extent, extent, 40001)
    c = np.abs(bath.correlation(t))
    dt = t[1] - t[0]
    gamma0 = float(np.sum(c) * dt)
    return gamma0, float(np.sum(np.abs(t) * c) * dt) / gamma0


def optimal_coarse_graining_time(bath: Bath, coupling: float, *, num_channels: int = 1) -> float:
    """T* = √(2 + 3Γ₀τ₀)/(2αΓ₀) (docs/master_equations.md, Eq. 69), with Γ₀ summed over the channels."""
    alpha = check_positive("coupling", coupling)
    gamma0, tau0 = bath_rates(bath)
    gamma0 *= num_channels
    return math.sqrt(2 + 3 * gamma0 * tau0) / (2 * alpha * gamma0)


def thm11_bound(
    times: Sequence[float] | float, *, bath: Bath, coupling: float, coarse_graining_time: float, num_channels: int = 1
) -> np.ndarray:
    """Thm 11's bound on ‖ρ_S(t) − ρ^CG(t)‖₁ (trace norm, not ½‖·‖₁) at real times t.

    K₁ + K₂ t̃ + K₃ log(1 + Γ₀t̃/α²) with t̃ = α²t and K₁ = 4Γ₀α²T/√π,
    K₂ = 6α²Γ₀(Γ₀τ₀) + (2 + 3Γ₀τ₀)/T + 4α²Γ₀²T, K₃ = 2α²Γ₀(1 + Γ₀τ₀); Γ₀ = Σ_kl∫|C_kl| over the
    ``num_channels`` independent channels, couplings normalised ‖A_k‖ = 1. Proven for a Gaussian bath.

    References:
        Scandi & Alhambra, arXiv:2505.20064, Thm 11 (docs/master_equations.md).
    """
    alpha = check_positive("coupling", coupling)
    T = check_positive("coarse_graining_time", coarse_graining_time)
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if np.any(t < 0):
        raise ValueError(f"times must be >= 0, got {t.min()}")
    gamma0, tau0 = bath_rates(bath)
    gamma0 *= num_channels
    g0t0 = gamma0 * tau0
    k1 = 4 * gamma0 * alpha**2 * T / math.sqrt(math.pi)
    k2 = 6 * alpha**2 * gamma0 * g0t0 + (2 + 3 * g0t0) / T + 4 * alpha**2 * gamma0**2 * T
    k3 = 2 * alpha**2 * gamma0 * (1 + g0t0)
    rescaled = alpha**2 * t
    return k1 + k2 * rescaled + k3 * np.log1p(gamma0 * rescaled / alpha**2)


def _initial_columns(initial_state, n: int) -> np.ndarray:
    """Columns Φ with ρ_S(0) = ΦΦ^† from a bit string, a state vector or a density matrix."""
    d = 2**n
    if isinstance(initial_state, str):
        if len(initial_state) != n or set(initial_state) - {"0", "1"}:
            raise ValueError(f"initial_state must be a {n}-bit string, got {initial_state!r}")
        out = np.zeros((d, 1))
        out[int(initial_state, 2), 0] = 1.0
        return out
    state = np.asarray(initial_state)
    if state.shape == (d,):
        norm = np.linalg.norm(state)
        if not math.isclose(norm, 1.0, rel_tol=1e-9):
            raise ValueError(f"initial_state vector must have norm 1, got {norm:.6g}")
        return state.reshape(d, 1)
    if state.shape == (d, d):
        w, v = np.linalg.eigh(0.5 * (state + state.conj().T))
        if w.min() < -1e-9 or not math.isclose(float(w.sum()), 1.0, rel_tol=1e-9):
            raise ValueError("initial_state density matrix must be positive with trace 1")
        keep = w > 1e-14
        return v[:, keep] * np.sqrt(w[keep])
    raise ValueError(f"initial_state must be a bit string, a {d}-vector or a {d}×{d} matrix, got shape {state.shape}")


@dataclass(frozen=True)
class MicroscopicEvolution:
    """Reduced states ρ_S(t) of the exact system + finite-bath evolution.

    Attributes:
        times: the real times t.
        states: ρ_S(t), shape (len(times), 2ⁿ, 2ⁿ), little-endian like ``SparsePauliOp.to_matrix``.
        bath: the discretised bath (one copy per coupling).
        coupling: α.
        kernel_error: ∫_0^{t_max} |C_disc − C| ds, the bath-discretisation error of the memory kernel.
    """

    times: np.ndarray
    states: np.ndarray
    bath: DiscretizedBath
    coupling: float
    kernel_error: float

    @property
    def recurrence_time(self) -> float:
        return self.bath.recurrence_time


def _joint_hamiltonian(h: SparsePauliOp, couplings, dbath: DiscretizedBath, alpha: float) -> SparsePauliOp:
    """H_S + Σ ω_q(I − Z_q)/2 + α Σ_k A_k ⊗ Σ_q g_q X_q; system qubits first, then bath k's modes."""
    n, m = h.num_qubits, dbath.num_modes
    total = n + len(couplings) * m
    system = list(range(n))
    joint = h.apply_layout(system, total)
    for k, a in enumerate(couplings):
        sites = range(n + k * m, n + (k + 1) * m)
        free = SparsePauliOp.from_sparse_list(
            [("", [], 0.5 * dbath.frequencies.sum())] + [("Z", [s], -0.5 * w) for s, w in zip(sites, dbath.frequencies)], total
        )
        b = SparsePauliOp.from_sparse_list([("X", [s], g) for s, g in zip(sites, dbath.couplings)], total)
        joint = joint + free + alpha * a.apply_layout(system, total).dot(b)
    return joint.simplify(atol=0)


def microscopic_evolution(
    hamiltonian: SparsePauliOp,
    couplings: Sequence[SparsePauliOp] | SparsePauliOp,
    bath: Bath,
    *,
    coupling: float,
    num_modes: int,
    times: Sequence[float],
    initial_state,
    max_frequency: float | None = None,
    max_qubits: int = MAX_JOINT_QUBITS,
) -> MicroscopicEvolution:
    """Exact reduced dynamics ρ_S(t) of H_S + H_B + α Σ_k A_k ⊗ B_k from ρ_S(0) ⊗ γ_B.

    Args:
        hamiltonian: H_S.
        couplings: A_k (Hermitian; normalise ‖A_k‖ = 1 to compare with the theorems).
        bath: the spectral density, discretised with ``num_modes`` qubits per coupling.
        coupling: α > 0.
        num_modes: bath qubits per coupling.
        times: real times, 0 ≤ t ≤ t_rec/2.
        initial_state: bit string (little-endian label), state vector or density matrix of the system.
        max_frequency: ω_max of the discretisation (see :func:`discretize_bath`).
        max_qubits: refuse larger joint registers (dense eigendecomposition of 2^q × 2^q).
    """
    h = check_hermitian_pauli("Hamiltonian", hamiltonian)
    a = check_couplings(couplings, h.num_qubits)
    alpha = check_positive("coupling", coupling)
    dbath = discretize_bath(bath, num_modes, max_frequency=max_frequency)
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if t.ndim != 1 or not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError(f"times must be finite and >= 0, got {times!r}")
    if t.max(initial=0.0) > dbath.recurrence_time / 2:
        raise ValueError(
            f"time {t.max():g} is beyond half the bath's recurrence time t_rec = 2π/Δω = {dbath.recurrence_time:.4g} "
            f"({num_modes} modes up to ω_max = {dbath.frequencies[-1] + dbath.spacing / 2:.4g}); use more modes"
        )
    n, bath_qubits = h.num_qubits, len(a) * dbath.num_modes
    total = n + bath_qubits
    max_qubits = check_integer("max_qubits", max_qubits, minimum=1)
    if total > max_qubits:
        need = 16 * 4**total
        raise ValueError(
            f"system + bath is {total} qubits ({n} + {len(a)}×{num_modes}); the dense joint evolution would need "
            f"{need / 1e9:.3g} GB for one 2^{total}-square matrix (limit {max_qubits} qubits): use fewer modes or couplings"
        )
    # the dense joint Hamiltonian (complex), its eigenvectors and eigh's workspace, and the purified
    # initial columns with their rotation (2^(n+m) × 2^n·2^m·rank each)
    dim = 2**total
    columns = 2**n * 2**bath_qubits
    require_memory(
        f"the exact joint evolution of {total} qubits ({n} system + {bath_qubits} bath)",
        16 * dim * dim + 3 * 8 * dim * dim + 2 * 16 * dim * columns + 16 * t.size * 4**n,
        alternative="use fewer bath modes or couplings (or a master equation: compare_to_microscopic's generators)",
        fits=f"{max(1, total - 1)} qubits",
    )
    joint = _joint_hamiltonian(h, a, dbath, alpha).to_matrix(sparse=True).toarray()
    real = not np.any(joint.imag)
    energies, vectors = np.linalg.eigh(joint.real if real else joint)
    # Ψ(0) = Φ_S ⊗ diag(√p(b)): column (c, b) is √p(b) · Φ_S[:, c] ⊗ |b⟩ (index = s + 2ⁿ·b)
    phi = _initial_columns(initial_state, n)
    p1 = np.tile(dbath.excited_probabilities, len(a))
    weights = np.ones(1)
    for p in p1:  # qubit j of the bath register is bit j of b
        weights = np.concatenate([weights * (1 - p), weights * p])
    d_s, d_b = 2**n, 2**bath_qubits
    psi0 = np.zeros((d_b, d_s, phi.shape[1], d_b), dtype=phi.dtype)
    idx = np.arange(d_b)
    psi0[idx, :, :, idx] = np.sqrt(weights)[:, None, None] * phi[None]
    psi0 = psi0.reshape(d_b * d_s, -1)
    rotated = vectors.conj().T @ psi0
    states = np.empty((t.size, d_s, d_s), dtype=complex)
    for i, ti in enumerate(t):
        if np.isrealobj(vectors) and np.isrealobj(rotated):  # two real products instead of one complex one
            psi = vectors @ (np.cos(energies * ti)[:, None] * rotated) - 1j * (vectors @ (np.sin(energies * ti)[:, None] * rotated))
        else:
            psi = vectors @ (np.exp(-1j * energies * ti)[:, None] * rotated)
        psi = psi.reshape(d_b, d_s, -1).transpose(1, 0, 2).reshape(d_s, -1)
        states[i] = psi @ psi.conj().T
    return MicroscopicEvolution(times=t, states=states, bath=dbath, coupling=alpha, kernel_error=dbath.kernel_error(float(t.max(initial=0.0))))


def redfield_superoperator(
    hamiltonian: SparsePauliOp, couplings: Sequence[SparsePauliOp] | SparsePauliOp, bath: Bath, *, coupling: float
) -> np.ndarray:
    """Bloch–Redfield generator with −i[H, ·] (column-stacked, dense): not completely positive.

    ∂_tρ = −i[H, ρ] + α² Σ_k ([Λ_k ρ, A_k] + [A_k, ρ Λ_k^†]), Λ_k = ∫_0^∞ds C(s) e^{−iHs}A_k e^{iHs},
    i.e. (Λ_k)_ij = Γ(−ν_ij) (Ā_k)_ij in the energy basis, Γ(x) = ∫_0^∞ C(s)e^{ixs}ds = ½Ĉ(x) − (i/2)ℓ_∞(x)
    (ℓ_∞ the principal-value transform of :meth:`Bath.principal_value_function`). Its secular part is
    Davies with its Lamb shift.
    """
    h = check_hermitian_pauli("Hamiltonian", hamiltonian)
    a = check_couplings(couplings, h.num_qubits)
    alpha = check_positive("coupling", coupling)
    if not isinstance(bath, Bath):
        raise TypeError(f"bath must be a kmsgibbs Bath, got {type(bath).__name__}")
    d = 2**h.num_qubits
    # the (d², d²) result, one Kronecker product being added to it, and the sum's temporary
    require_memory(
        f"the dense Redfield generator of {h.num_qubits} qubits ({d * d} x {d * d})",
        REDFIELD_COPIES * 16 * d**4,
        alternative="the Lindblad forms (scandi_alhambra, davies) evolve matrix-free through exact.evolve",
        fits=f"n ≤ {h.num_qubits - 1}",
    )
    hm = h.to_matrix()
    e, v = np.linalg.eigh(hm)
    nu = e[:, None] - e[None, :]
    flat, inverse = np.unique(np.round(-nu, 12), return_inverse=True)
    gamma = (0.5 * bath.spectral_density(flat) - 0.5j * bath.principal_value_function(flat))[inverse].reshape(nu.shape)
    if not np.all(np.isfinite(gamma)):
        raise ValueError(
            "the Redfield rates Γ(−ν) = ½Ĉ(−ν) − (i/2)ℓ_∞(−ν) are not finite on the Bohr frequencies of H "
            f"(bath {bath!r}): the spectral density overflows double precision there"
        )
    eye = np.eye(d)
    # vec(XρY) = (Yᵀ ⊗ X) vec(ρ): each product of a left and a right multiplication is one Kronecker
    # product, O(d⁴) instead of a (d², d²) matrix product, O(d⁶)
    out = -1j * (np.kron(eye, hm) - np.kron(hm.T, eye))
    for ak in a:
        am = ak.to_matrix()
        lam = v @ (gamma * (v.conj().T @ am @ v)) @ v.conj().T
        lam_dag = lam.conj().T
        # [Λρ, A] + [A, ρΛ†] = ΛρA − AΛρ + AρΛ† − ρΛ†A
        out += alpha**2 * np.kron(am.T, lam)
        out -= alpha**2 * np.kron(eye, am @ lam)
        out += alpha**2 * np.kron(lam_dag.T, am)
        out -= alpha**2 * np.kron((lam_dag @ am).T, eye)
    return out


@dataclass(frozen=True)
class MicroscopicComparison:
    """Distances ½‖ρ_S(t) − ρ_ME(t)‖₁ of each master equation to the microscopic truth.

    Attributes:
        microscopic: the exact finite-bath run.
        distances: equation name → distance at each time.
        bound: Thm 11's bound on ½‖ρ_S − ρ^CG‖₁ (half the trace-norm bound), Gaussian-bath theorem.
        coarse_graining_time: the T of the Scandi–Alhambra equations.
    """

    microscopic: MicroscopicEvolution
    distances: dict[str, np.ndarray]
    bound: np.ndarray
    coarse_graining_time: float
    generators: dict = field(repr=False, default_factory=dict)

    @property
    def times(self) -> np.ndarray:
        return self.microscopic.times


def compare_to_microscopic(
    hamiltonian: SparsePauliOp,
    couplings: Sequence[SparsePauliOp] | SparsePauliOp,
    bath: Bath,
    *,
    coupling: float,
    num_modes: int,
    times: Sequence[float],
    initial_state,
    coarse_graining_time: float | None = None,
    max_frequency: float | None = None,
    extra: Mapping[str, Lindbladian] | None = None,
) -> MicroscopicComparison:
    """Run the finite bath and every master equation from the same ρ_S(0); distances over time.

    Equations, all with −i[H_S, ·], in real time: ``"coarse_grained"`` (Scandi–Alhambra Eq. 90 with
    the physical Lamb shift), ``"kms"`` (Thm 14, exactly KMS, no Lamb shift), ``"davies"`` (with its
    Lamb shift), ``"redfield"`` (not CP), and any ``extra`` Lindbladians. T defaults to T*.
    """
    h = check_hermitian_pauli("Hamiltonian", hamiltonian)
    a = check_couplings(couplings, h.num_qubits)
    alpha = check_positive("coupling", coupling)
    d = 2**h.num_qubits
    # before the joint run: the Redfield propagator e^{tR} (scipy's expm holds ~8 (d², d²) arrays)
    require_memory(
        f"the Redfield propagator of {h.num_qubits} qubits ({d * d} x {d * d}, dense expm)",
        EXPM_COPIES * 16 * d**4,
        alternative="compare fewer system qubits (the joint run is limited to 12 qubits in any case)",
        fits=f"n ≤ {h.num_qubits - 1}",
    )
    micro = microscopic_evolution(
        h, a, bath, coupling=alpha, num_modes=num_modes, times=times, initial_state=initial_state, max_frequency=max_frequency
    )
    T = optimal_coarse_graining_time(bath, alpha, num_channels=len(a)) if coarse_graining_time is None else check_positive(
        "coarse_graining_time", coarse_graining_time
    )
    generators: dict[str, Lindbladian] = {
        "coarse_grained": scandi_alhambra(h, a, bath, coarse_graining_time=T, coupling=alpha, form="coarse_grained"),
        "kms": scandi_alhambra(h, a, bath, coarse_graining_time=T, coupling=alpha, form="kms"),
        "davies": davies(h, a, bath, coupling=alpha, lamb_shift=True),
        **dict(extra or {}),
    }
    rho0 = micro.states[0]
    distances = {}
    for name, lind in generators.items():
        states = exact.evolve(lind, rho0, micro.times, include_system_hamiltonian=True)
        distances[name] = np.array([trace_distance(x, y) for x, y in zip(micro.states, states)])
    from scipy.linalg import expm

    redfield = redfield_superoperator(h, a, bath, coupling=alpha)
    distances["redfield"] = np.array(
        [trace_distance(x, (expm(t * redfield) @ rho0.reshape(-1, order="F")).reshape(d, d, order="F")) for x, t in zip(micro.states, micro.times)]
    )
    bound = 0.5 * thm11_bound(micro.times, bath=bath, coupling=alpha, coarse_graining_time=T, num_channels=len(a))
    return MicroscopicComparison(micro, distances, bound, T, generators)
