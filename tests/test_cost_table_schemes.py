"""Physics of the single-bath-qubit reset scheme re-implemented for the cost table (benchmarks/reset_scheme.py)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from qiskit.quantum_info import DensityMatrix, Operator, partial_trace
from scipy.linalg import expm

from kmsgibbs.compiler import models
from kmsgibbs.simulators import trace_distance

from tests.conftest import unvec, vec

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "reset_scheme.py"
_spec = importlib.util.spec_from_file_location("reset_scheme", _PATH)
reset_scheme = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("reset_scheme", reset_scheme)  # dataclasses look their module up there
_spec.loader.exec_module(reset_scheme)
ResetScheme, ResetSchemeSettings = reset_scheme.ResetScheme, reset_scheme.ResetSchemeSettings


def tfim(n: int):
    h = models.from_edges(n, models.chain_edges(n), couplings={"ZZ": -1.0}, fields={"X": -1.0})
    return h, models.single_site_couplings(n, "XZ")


def gibbs(h, beta: float) -> np.ndarray:
    g = expm(-beta * h.to_matrix())
    return g / np.trace(g).real


def choi_min_eigenvalue(superop: np.ndarray) -> float:
    """Smallest eigenvalue of the Choi matrix Σ_ij |i⟩⟨j| ⊗ Φ(|i⟩⟨j|) (≥ 0 iff Φ is completely positive)."""
    d = int(round(np.sqrt(superop.shape[0])))
    choi = np.zeros((d * d, d * d), dtype=complex)
    for i in range(d):
        for j in range(d):
            e = np.zeros((d, d))
            e[i, j] = 1.0
            choi[i * d:(i + 1) * d, j * d:(j + 1) * d] = unvec(superop @ vec(e))
    return float(np.linalg.eigvalsh(0.5 * (choi + choi.conj().T)).min())


def test_published_cycle_is_a_channel():
    h, a = tfim(3)
    phi = ResetScheme(h, a, 1.0).averaged_channel()
    ident = vec(np.eye(8))
    assert np.max(np.abs(ident.conj() @ phi - ident.conj())) < 1e-12  # trace preserving: vec(I)† Φ = vec(I)†
    assert choi_min_eigenvalue(phi) > -1e-10


@pytest.mark.parametrize(
    "settings",
    [ResetSchemeSettings(), ResetSchemeSettings(coupling=0.5, total_time=6.0, trotter_steps=24, bath_beta=1.5)],
    ids=["published", "long"],
)
def test_quadrature_over_omega_is_converged(settings):
    """The default rule (one Gauss–Legendre panel of order 8 per 2π of ω_max·t_tot) against one with three
    times the panels and a higher order."""
    h, a = tfim(2)
    scheme = ResetScheme(h, a, 1.0, settings)
    fine = ResetScheme(h, a, 1.0, settings, quadrature_panels=3 * scheme.frequency_rule()[0].size // 8, quadrature_order=12)
    assert np.max(np.abs(scheme.averaged_channel() - fine.averaged_channel())) < 1e-10


def test_channel_matches_the_counted_circuit():
    """One (ω, operator, preparation) term of the average equals the cycle circuit (x, evolution, reset) run
    on a density matrix: the channel the table iterates is the one of the circuit whose CX it counts."""
    h, a = tfim(2)
    scheme = ResetScheme(h, a, 1.0)
    omega, k = 1.7, 1
    circuit = scheme.cycle_circuit(omega, excited=True, operator=k)
    rho = np.diag([0.1, 0.2, 0.3, 0.4]).astype(complex)
    rho[0, 3] = rho[3, 0] = 0.05
    full = DensityMatrix(np.kron(np.diag([1.0, 0.0]), rho)).evolve(circuit)  # bath qubit (highest) in |0⟩
    out = partial_trace(full, [2]).data
    # the same term through the module's dense path (one node, prepared |1⟩)
    u = Operator(scheme.evolution_circuit(omega, k)).data
    expected = unvec(reset_scheme.ancilla_channel(u, 4, prepared=1) @ vec(rho))
    assert np.max(np.abs(out - expected)) < 1e-12


def test_zero_coupling_is_the_free_evolution():
    h, a = tfim(2)
    scheme = ResetScheme(h, a, 1.0, ResetSchemeSettings(coupling=0.0))
    free = QuantumCircuit(2)
    for _ in range(scheme.settings.trotter_steps):
        free.compose(scheme.free_evolution(scheme.step), inplace=True)
    u = Operator(free).data
    assert np.max(np.abs(scheme.averaged_channel() - np.kron(u.conj(), u))) < 1e-12


@pytest.mark.parametrize("bath_beta", [1.0, 2.0])
def test_weak_coupling_long_envelope_fixed_point_approaches_gibbs(bath_beta):
    """α → 0, t_tot → ∞ (σ = t_tot/4), exact e^{−iδH}: the fixed point tends to e^{−β_B H}/Z, at the bath's
    temperature (a sign error in the thermal preparation would give the negative temperature −β_B)."""
    h, a = tfim(2)
    floors = []
    for t, steps in ((8.0, 32), (32.0, 128)):
        settings = ResetSchemeSettings(coupling=0.1, total_time=t, trotter_steps=steps, bath_beta=bath_beta)
        fp = ResetScheme(h, a, 1.0, settings, exact_evolution=True).fixed_point()
        floors.append(trace_distance(fp, gibbs(h, bath_beta)))
    assert floors[1] < 2e-3, floors
    assert floors[1] < 0.75 * floors[0], floors
    # and not at another temperature
    assert trace_distance(fp, gibbs(h, 3.0 - bath_beta)) > 0.05


def test_published_settings_are_far_from_gibbs():
    """At α = 1.75, t_tot = 0.75 the envelope (σ = 0.19) cannot resolve the Bohr frequencies: the fixed point
    is far from Gibbs (a regression guard for the table's "—" entries; measured 0.329 at n = 3)."""
    h, a = tfim(3)
    floor = trace_distance(ResetScheme(h, a, 1.0).fixed_point(), gibbs(h, 1.0))
    assert 0.25 < floor < 0.40


def test_bad_settings_are_refused():
    h, a = tfim(2)
    with pytest.raises(ValueError, match="trotter_steps"):
        ResetScheme(h, a, 1.0, ResetSchemeSettings(trotter_steps=0))
    with pytest.raises(ValueError, match="total_time"):
        ResetScheme(h, a, 1.0, ResetSchemeSettings(total_time=-1.0))
    with pytest.raises(ValueError, match="operator"):
        ResetScheme(h, a, 1.0).evolution_circuit(Parameter("w"), len(a))
