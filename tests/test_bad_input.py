"""Bad input at every public entry point (issue 15): a clear error naming the value, fast, small.

Each row is (entry point, bad call, exception type, words the message must contain). Every call
must fail within 2 s and allocate (tracemalloc, which sees NumPy's buffers) at most 64 MiB: a
refusal happens before the work, not after an allocation.
"""

from __future__ import annotations

import math
import re
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler import baths, ckg, compile_sampler, davies, dll, models, scandi_alhambra
from kmsgibbs.compiler.memory import MemoryLimitError, memory_limit_set
from kmsgibbs.simulators import VerificationReport, aer, estimate, estimate_instances, exact, microscopic, sample, verify

#: A refusal may allocate at most this much before it raises.
MAX_REFUSAL_BYTES = 64 * 1024**2
#: ... and take at most this long.
MAX_REFUSAL_SECONDS = 2.0


@dataclass
class Context:
    """Small valid objects the bad calls are made around."""

    H: SparsePauliOp
    A: list[SparsePauliOp]
    L: object
    S: object
    rho: np.ndarray
    R: object  # the randomized sampler of L
    big: dict  # samplers too large for their dense methods: "R12" randomized, "S10", "S14" trotter_dilation


def _chain(n: int):
    couplings = models.single_site_couplings(n, "XZ")
    return scandi_alhambra(models.transverse_field_ising(n), couplings, GAUSS, coarse_graining_time=1.0, coupling=0.5)


@pytest.fixture(scope="module")
def ctx() -> Context:
    H = models.transverse_field_ising(2)
    A = models.single_site_couplings(2, "Z")
    L = dll(H, A, 1.0, coupling=0.5)
    S = compile_sampler(L, dt=0.05, epsilon=1e-2)
    R = compile_sampler(L, dt=0.05, epsilon=1e-2, scheme="randomized")
    big = {
        "R12": compile_sampler(_chain(12), dt=0.05, epsilon=1e-2, scheme="randomized"),
        "S10": compile_sampler(_chain(10), dt=0.05, epsilon=1e-2),
        "S14": compile_sampler(_chain(14), dt=0.05, epsilon=1e-2),
    }
    return Context(H=H, A=A, L=L, S=S, rho=np.eye(4) / 4, R=R, big=big)


GAUSS = baths.GaussianBath(1.0, width=2.0)
NAN = float("nan")


def _report_with_nan() -> VerificationReport:
    return VerificationReport(
        label="x", method="density_matrix", times=(0.0,), distance_to_gibbs=(NAN,), distance_to_exact=(0.0,),
        error_bound=(0.0,), exact_distance_to_gibbs=(0.0,), statistical_error=(0.0,), energy=(0.0,),
        energy_stderr=(0.0,), thermal_energy=0.0,
    )


def _limited(nbytes: int, call: Callable[[], object]) -> Callable[[Context], object]:
    """``call()`` under a memory limit of ``nbytes`` (the rows' calls take the context)."""

    def run(c: Context):
        with memory_limit_set(nbytes):
            return call()

    return run


def _sampler_primitive():
    from qiskit.primitives import StatevectorSampler

    return StatevectorSampler(seed=1)


def _estimator_primitive():
    from qiskit.primitives import StatevectorEstimator

    return StatevectorEstimator()


Row = tuple[str, Callable[[Context], object], type[BaseException], tuple[str, ...]]

ROWS: list[Row] = [
    # --- models ---
    ("models.transverse_field_ising", lambda c: models.transverse_field_ising("3"), TypeError, ("number of qubits", "'3'")),
    ("models.transverse_field_ising", lambda c: models.transverse_field_ising(True), TypeError, ("number of qubits", "True")),
    ("models.transverse_field_ising", lambda c: models.transverse_field_ising(3.0), TypeError, ("number of qubits", "3.0")),
    ("models.transverse_field_ising", lambda c: models.transverse_field_ising(0), ValueError, ("positive integer", "0")),
    ("models.transverse_field_ising", lambda c: models.transverse_field_ising(3, J="1"), TypeError, ("J must be a real number", "'1'")),
    ("models.transverse_field_ising", lambda c: models.transverse_field_ising(3, g=NAN), ValueError, ("g must be finite",)),
    ("models.heisenberg", lambda c: models.heisenberg(3, field=True), TypeError, ("field", "True")),
    ("models.heisenberg", lambda c: models.heisenberg(3, anisotropy=None), TypeError, ("anisotropy", "None")),
    ("models.from_edges", lambda c: models.from_edges(3, [(0, 1)], fields={"X": "0.5"}), TypeError, ("field X", "'0.5'")),
    ("models.from_edges", lambda c: models.from_edges(3, [(0, 1)], couplings={"ZZ": "1"}), TypeError, ("coupling ZZ", "'1'")),
    ("models.from_edges", lambda c: models.from_edges(3, [(0, 1)], fields={"Z": [1.0, NAN, 0.0]}), ValueError, ("field Z must be finite",)),
    ("models.random_two_local", lambda c: models.random_two_local(3, seed=1.5), TypeError, ("seed must be an integer", "1.5")),
    ("models.single_site_couplings", lambda c: models.single_site_couplings(2, "XW"), ValueError, ("paulis", "'XW'")),
    # --- baths ---
    ("baths.GaussianBath", lambda c: baths.GaussianBath("1.0"), TypeError, ("beta must be a real number", "'1.0'", "str")),
    ("baths.GaussianBath", lambda c: baths.GaussianBath(True), TypeError, ("beta must be a real number", "True", "bool")),
    ("baths.GaussianBath", lambda c: baths.GaussianBath(NAN), ValueError, ("beta must be finite", "nan")),
    ("baths.GaussianBath", lambda c: baths.GaussianBath(-1.0), ValueError, ("beta must be > 0", "-1.0")),
    ("baths.GaussianBath", lambda c: baths.GaussianBath(1.0, width=None), TypeError, ("width", "None")),
    ("baths.GaussianBath", lambda c: baths.GaussianBath(1.0, strength=1j), TypeError, ("strength", "complex")),
    ("baths.OhmicBath", lambda c: baths.OhmicBath(1.0, eta="0.1"), TypeError, ("eta", "'0.1'")),
    ("baths.OhmicBath", lambda c: baths.OhmicBath(1.0, cutoff=math.inf), ValueError, ("cutoff must be finite",)),
    ("GaussianBath.correlation", lambda c: baths.GaussianBath(1000.0, width=2.0).correlation(0.0), ValueError, ("correlation function", "not finite", "double precision", "beta=1000.0")),
    ("GaussianBath.spectral_density", lambda c: baths.GaussianBath(1000.0, width=2.0).spectral_density(1000.0), ValueError, ("spectral density", "not finite")),
    ("Bath.smoothed_spectral_density", lambda c: GAUSS.smoothed_spectral_density(0.0, -1.0), ValueError, ("variance must be > 0",)),
    ("Bath.lamb_shift_function", lambda c: GAUSS.lamb_shift_function(0.0, "1"), TypeError, ("coarse_graining_time", "'1'")),
    ("Bath.lamb_shift_function", lambda c: baths.OhmicBath(1.0).lamb_shift_function(0.0, NAN), ValueError, ("coarse_graining_time must be finite",)),
    # --- master equations ---
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, baths.GaussianBath(1000.0), coarse_graining_time=1.0), ValueError, ("e^", "Bohr band", "overflow", "beta")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, baths.GaussianBath(1000.0), coarse_graining_time=1.0, form="coarse_grained"), ValueError, ("overflow", "Lamb shift")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, GAUSS, coarse_graining_time=1e300), ValueError, ("coarse_graining_time=1e+300", "overflows", "davies()")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, GAUSS, coarse_graining_time=1e300, form="coarse_grained"), ValueError, ("coarse_graining_time=1e+300", "overflows")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, GAUSS, coarse_graining_time=1e-200, form="coarse_grained"), ValueError, ("too small", "1/(2T²)")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, GAUSS, coarse_graining_time="1"), TypeError, ("coarse_graining_time", "'1'")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, GAUSS, coarse_graining_time=1.0, lamb_shift=True, degeneracy_tolerance=NAN), ValueError, ("degeneracy_tolerance must be finite", "nan")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, GAUSS, coarse_graining_time=1.0, lamb_shift="yes"), TypeError, ("lamb_shift must be True or False", "'yes'")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, "gaussian", coarse_graining_time=1.0), TypeError, ("bath must be a kmsgibbs Bath", "str")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, GAUSS, coarse_graining_time=1.0, coupling=True), TypeError, ("coupling must be a real number", "True")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H, c.A, GAUSS, coarse_graining_time=1.0, coupling=1e200), ValueError, ("coupling=1e+200", "α²")),
    ("scandi_alhambra", lambda c: scandi_alhambra(c.H * 1j, c.A, GAUSS, coarse_graining_time=1.0), ValueError, ("Hamiltonian is not Hermitian",)),
    ("davies", lambda c: davies(c.H, c.A, baths.GaussianBath(1000.0)), ValueError, ("davies", "overflow")),
    ("davies", lambda c: davies(c.H, c.A, GAUSS, secular_tolerance=NAN), ValueError, ("secular_tolerance must be finite",)),
    ("davies", lambda c: davies(c.H, c.A, GAUSS, lamb_shift=1), TypeError, ("lamb_shift must be True or False",)),
    ("ckg", lambda c: ckg(c.H, c.A, "1"), TypeError, ("beta must be a real number", "'1'")),
    ("ckg", lambda c: ckg(c.H, c.A, 1.0, sigma_e=math.inf), ValueError, ("sigma_e must be finite",)),
    ("ckg", lambda c: ckg(c.H, c.A, 1.0, weight="glauber"), ValueError, ("weight must be", "'glauber'")),
    ("dll", lambda c: dll(c.H, c.A, True), TypeError, ("beta must be a real number", "True")),
    ("dll", lambda c: dll(c.H, c.A, 1000.0, filter=lambda nu: np.ones_like(nu)), ValueError, ("filter", "not finite", "beta=1000.0")),
    # --- Lindbladian methods ---
    ("Lindbladian.superoperator", lambda c: c.L.superoperator(basis="pauli"), ValueError, ("basis must be", "'pauli'")),
    ("Lindbladian.superoperator", lambda c: c.L.superoperator(max_bytes=1000), MemoryLimitError, ("superoperator of 2 qubits", "would need", "Lindbladian.apply")),
    ("Lindbladian.superoperator", _limited(1000, lambda: dll(models.transverse_field_ising(2), models.single_site_couplings(2, "Z"), 1.0).superoperator()), MemoryLimitError, ("above the memory limit of 1000 B",)),
    ("Lindbladian.apply", lambda c: c.L.apply(np.eye(3)), ValueError, ("expected a (4, 4) matrix", "(3, 3)")),
    ("Lindbladian.apply_adjoint", lambda c: c.L.apply_adjoint(np.eye(8)), ValueError, ("expected a (4, 4) matrix",)),
    # --- exact ---
    ("exact.evolve", lambda c: exact.evolve(c.L, np.eye(3), [1.0]), ValueError, ("initial state must have shape (4, 4)",)),
    ("exact.evolve", lambda c: exact.evolve(c.L, c.rho, [-1.0]), ValueError, ("times must be >= 0",)),
    ("exact.evolve", lambda c: exact.evolve(c.L, c.rho, [NAN]), ValueError, ("finite",)),
    ("exact.evolve", lambda c: exact.evolve(c.L, c.rho, [1.0, 0.5]), ValueError, ("non-decreasing",)),
    ("exact.spectral_gap", lambda c: exact.spectral_gap(c.L, max_bytes=1000), MemoryLimitError, ("would need",)),
    # --- aer ---
    ("aer.run_density_matrix", lambda c: aer.run_density_matrix(c.S, [0.07]), ValueError, ("not a multiple of dt",)),
    ("aer.run_density_matrix", lambda c: aer.run_density_matrix(c.S, [0.05], max_bytes=1000), MemoryLimitError, ("density_matrix state of 3 qubits", "would need 1 KiB", "method='statevector'")),
    ("aer.run_density_matrix", lambda c: aer.run_density_matrix(c.S, [1e6]), ValueError, ("20000000 steps", "above the ceiling", "max_instructions=")),
    ("aer.run_density_matrix", lambda c: aer.run_density_matrix(c.S, [0.05], observables={"x": "Z"}), ValueError, ("observable 'x' must be a SparsePauliOp",)),
    ("aer.run_density_matrix", lambda c: aer.run_density_matrix(c.S, [0.05], fuse="yes"), ValueError, ("fuse must be True, False or 'auto'",)),
    ("aer.run_density_matrix", lambda c: aer.run_density_matrix(c.S, []), ValueError, ("times must not be empty",)),
    ("aer.run_trajectories", lambda c: aer.run_trajectories(c.S, [0.05], shots=1, seed=1), ValueError, ("shots must be an integer >= 2", "1")),
    ("aer.run_trajectories", lambda c: aer.run_trajectories(c.S, [0.05], shots=4, seed=None), TypeError, ("seed must be an integer", "None")),
    ("aer.run_trajectories", lambda c: aer.run_trajectories(c.S, [0.05], shots=4, seed=1, max_bytes=10), MemoryLimitError, ("statevector state of 3 qubits",)),
    (
        "aer.run_trajectories",  # the one job's fused steps do not fit: refused with the estimate
        lambda c: _limited(8 * len(c.S.plan.factors) * 16 * 4**3 * 5, lambda: aer.run_trajectories(c.S, [1.0], shots=4, seed=1))(c),
        MemoryLimitError,
        ("statevector run (20 steps", "fused instructions", "5 steps (t ≤ 0.25) would fit", "method='density_matrix'"),
    ),
    ("aer.estimate_run", lambda c: aer.estimate_run(c.S, [0.05], method="tensor"), ValueError, ("method must be", "'tensor'")),
    # --- verify ---
    ("verify", lambda c: verify(c.S, [0.05], method="mps"), ValueError, ("method must be one of", "'mps'")),
    ("verify", lambda c: verify(c.S, [0.07]), ValueError, ("not a multiple of dt",)),
    ("verify", lambda c: verify(c.S, [0.05], method="statevector"), ValueError, ("seed is required",)),
    ("VerificationReport.to_json", lambda c: _report_with_nan().to_json(), ValueError, ("distance_to_gibbs is not finite",)),
    # --- primitives ---
    ("sample", lambda c: sample(c.S, 0.05, sampler_primitive=_sampler_primitive(), shots=10), ValueError, ("StatevectorSampler cannot apply the ancilla resets",)),
    ("sample", lambda c: sample(c.S, 0.05, sampler_primitive=object(), shots=10), TypeError, ("sampler_primitive must be a qiskit BaseSamplerV2", "object")),
    ("estimate", lambda c: estimate(c.S, {"Z": SparsePauliOp("ZI")}, 0.05, estimator=_estimator_primitive()), ValueError, ("StatevectorEstimator cannot apply the ancilla resets",)),
    ("estimate", lambda c: estimate(c.S, [SparsePauliOp("ZI")], 0.05, estimator=_aer_estimator()), TypeError, ("observables must be a mapping",)),
    # --- microscopic ---
    ("microscopic.discretize_bath", lambda c: microscopic.discretize_bath("ohmic", 4), TypeError, ("bath must be a kmsgibbs Bath",)),
    ("microscopic.discretize_bath", lambda c: microscopic.discretize_bath(GAUSS, 4.0), TypeError, ("num_modes must be an integer", "4.0")),
    ("microscopic.microscopic_evolution", lambda c: microscopic.microscopic_evolution(c.H, c.A[0], GAUSS, coupling="0.1", num_modes=2, times=[0.0], initial_state="00"), TypeError, ("coupling must be a real number",)),
    ("microscopic.microscopic_evolution", _limited(10**5, lambda: microscopic.microscopic_evolution(models.transverse_field_ising(2), models.single_site_couplings(2, "Z")[0], GAUSS, coupling=0.1, num_modes=6, times=[0.0], initial_state="00")), MemoryLimitError, ("joint evolution of 8 qubits", "would need", "fewer bath modes")),
    ("microscopic.redfield_superoperator", _limited(10**4, lambda: microscopic.redfield_superoperator(models.transverse_field_ising(2), models.single_site_couplings(2, "Z"), GAUSS, coupling=0.1)), MemoryLimitError, ("Redfield generator of 2 qubits", "would need 12 KiB", "n ≤ 1")),
    ("microscopic.compare_to_microscopic", _limited(10**4, lambda: microscopic.compare_to_microscopic(models.transverse_field_ising(2), models.single_site_couplings(2, "Z"), GAUSS, coupling=0.1, num_modes=2, times=[0.0], initial_state="00")), MemoryLimitError, ("Redfield propagator of 2 qubits",)),
    # --- issue 27: sizes nobody asked the guard about ---
    ("RandomizedSampler.parameter_values", lambda c: c.R.parameter_values(0.1, 10**12, seed=1), MemoryLimitError, ("parameter_values of 1000000000000 instances", "would need", "fewer samples")),
    ("RandomizedSampler.parameter_values", lambda c: c.R.parameter_values(5000.0, 10**5, seed=1), MemoryLimitError, ("parameter_values of 100000 instances", "time=5000", "would need")),
    ("RandomizedSampler.parameter_values", lambda c: c.R.parameter_values(1e9, 2, seed=1), MemoryLimitError, ("time=1e+09", "would need")),
    ("RandomizedSampler.instances", lambda c: c.R.instances(0.5, 10**6, seed=1), MemoryLimitError, ("1000000 bound instances", "would need", "aer.run_instances")),
    ("RandomizedSampler.fused_instances", lambda c: c.R.fused_instances(0.5, 10**7, seed=1), MemoryLimitError, ("10000000 bound instances", "fused", "would need")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, scheme="randomized", frame_step=1e-9), MemoryLimitError, ("frame_step=1e-09", "product-formula steps", "would need", "larger frame_step")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, trotter_order=10**6), MemoryLimitError, ("order-1000000 product formula", "would need more than", "trotter_order=2 or 4")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, trotter_order=30), MemoryLimitError, ("order-30 product formula", "5^14", "would need")),
    ("DilationSampler.circuit", lambda c: _limited(8 * 2**30, lambda: c.big["S14"].circuit(0.05))(c), MemoryLimitError, ("one gate-level step of the 14-qubit sampler", "would need", "light_cone")),
    ("DilationSampler.error_bound", lambda c: _limited(2**30, lambda: c.big["S10"].error_bound(1.0, method="norms"))(c), MemoryLimitError, ("norms error bound of a 10-qubit window", "would need", "light_cone")),
    ("Lindbladian.apply", lambda c: scandi_alhambra(c.H, c.A, GAUSS, coarse_graining_time=1e9).apply(c.rho), MemoryLimitError, ("coarse_graining_time=1e+09", "trapezoid nodes", "would need", "davies()")),
    ("verify", lambda c: verify(c.big["S14"], [0.05], method="statevector", seed=1), ValueError, ("verify", "n ≤ 6", "14-qubit", "aer.run_trajectories", "method='norms'")),
    # --- left over from the last pass ---
    ("models.from_edges", lambda c: models.from_edges(3, [(0, 1, NAN)]), ValueError, ("weight of edge (0, 1, nan)", "must be finite")),
    ("models.from_edges", lambda c: models.from_edges(3, [(0, 1, "2")]), TypeError, ("weight of edge (0, 1, '2')", "real number")),
    ("aer.run_mps", lambda c: aer.run_mps(c.S, [0.05], shots=4, seed=1, observables={"Z": SparsePauliOp("IZ")}, truncation_threshold=NAN), ValueError, ("truncation_threshold must be finite", "nan")),
    ("aer.run_mps", lambda c: aer.run_mps(c.S, [0.05], shots=4, seed=1, observables={"Z": SparsePauliOp("IZ")}, max_bond_dimension=2.5), TypeError, ("max_bond_dimension must be an integer", "2.5")),
    ("aer.run_trajectories", lambda c: aer.run_trajectories(c.S, [0.05], shots=4, seed=1, batches=-1), ValueError, ("batches must be a positive integer", "-1")),
    ("aer.run_trajectories", lambda c: aer.run_trajectories(c.S, [0.05], shots=4, seed=-1), ValueError, ("seed must be an integer >= 0", "-1")),
    ("aer.run_trajectories", lambda c: aer.run_trajectories(c.S, [0.05], shots=4, seed=1, max_bytes="lots"), TypeError, ("max_bytes must be a number of bytes", "'lots'")),
    ("aer.run_density_matrix", lambda c: aer.run_density_matrix(c.S, [0.05], max_instructions=True), TypeError, ("max_instructions must be an integer", "True")),
    # --- options silently ignored ---
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, frame_step=0.1), ValueError, ("frame_step=0.1", "randomized scheme only", "scheme='trotter_dilation'")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, coherent_cycle=3), ValueError, ("coherent_cycle=3", "randomized scheme only", "scheme='trotter_dilation'")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, scheme="block_encoding", frame_step=0.1), ValueError, ("frame_step=0.1", "scheme='block_encoding'")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, scheme="randomized", merge_frames=False), ValueError, ("merge_frames=False", "trotter_dilation and block_encoding schemes only")),
    ("verify", lambda c: verify(c.S, [0.05], shots=100), ValueError, ("shots=100", "method='statevector'")),
    ("verify", lambda c: verify(c.S, [0.05], samples=8), ValueError, ("samples applies to randomized samplers",)),
    # --- values that passed or failed deep ---
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, trotter_order=True), TypeError, ("trotter_order must be an integer", "True")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, trotter_order="2"), TypeError, ("trotter_order must be an integer", "'2'")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, trotter_order=1e300), TypeError, ("trotter_order must be an integer", "1e+300")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, trotter_order=3), ValueError, ("trotter_order must be 1 or an even number", "3")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, exact_evolution="yes"), TypeError, ("exact_evolution must be True or False", "'yes'")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, light_cone=-1), ValueError, ("light_cone must be an integer >= 0", "-1")),
    ("compile_sampler", lambda c: compile_sampler(c.L, dt=0.05, epsilon=1e-2, scheme="magic"), ValueError, ("scheme must be one of", "'magic'")),
    ("exact.gap", lambda c: exact.gap(c.L, tol=NAN), ValueError, ("tol must be finite", "nan")),
    ("exact.gap", lambda c: exact.gap(c.L, tol=-1), ValueError, ("tol must lie in the open interval (0, 1)", "-1")),
    ("exact.gap", lambda c: exact.gap(c.L, tol="1e-9"), TypeError, ("tol must be a real number", "'1e-9'")),
    ("exact.gap", lambda c: exact.gap(c.L, seed="x"), TypeError, ("seed must be an integer", "'x'")),
    ("exact.gap", lambda c: exact.gap(c.L, seed=-1), ValueError, ("seed must be an integer >= 0", "-1")),
    ("exact.gap", lambda c: exact.gap(c.L, max_bytes="lots"), TypeError, ("max_bytes must be a number of bytes", "'lots'")),
    ("exact.gap", lambda c: exact.gap(c.L, method="lanczos"), ValueError, ("method must be one of", "'lanczos'")),
    ("RandomizedSampler.parameter_values", lambda c: c.R.parameter_values(0.1, 2, seed=-1), ValueError, ("seed must be an integer >= 0", "-1")),
    ("RandomizedSampler.parameter_values", lambda c: c.R.parameter_values(0.1, 2, seed="x"), TypeError, ("seed must be an integer", "'x'")),
    # --- the wrong sampler type ---
    ("aer.run_density_matrix", lambda c: aer.run_density_matrix(c.R, [0.05]), TypeError, ("aer.run_density_matrix runs a DilationSampler", "got a RandomizedSampler", "aer.run_instances")),
    ("aer.run_trajectories", lambda c: aer.run_trajectories(c.R, [0.05], shots=4, seed=1), TypeError, ("aer.run_trajectories runs a DilationSampler", "aer.run_instances")),
    ("aer.run_instances", lambda c: aer.run_instances(c.S, [0.05], samples=2, seed=1), TypeError, ("aer.run_instances runs a RandomizedSampler", "got a DilationSampler", "aer.run_density_matrix")),
    ("estimate_instances", lambda c: estimate_instances(c.S, {"Z": SparsePauliOp("IZ")}, 0.05, estimator=_aer_estimator(), samples=2, seed=1), TypeError, ("primitives.estimate_instances runs a RandomizedSampler", "primitives.estimate")),
    ("estimate", lambda c: estimate(c.R, {"Z": SparsePauliOp("IZ")}, 0.05, estimator=_aer_estimator()), TypeError, ("primitives.estimate runs a DilationSampler", "primitives.estimate_instances")),
    ("sample", lambda c: sample(c.R, 0.05, sampler_primitive=object(), shots=10), TypeError, ("primitives.sample runs a DilationSampler", "aer.run_instances")),
    ("verify", lambda c: verify(c.R, [0.05], seed=1, samples="8"), TypeError, ("samples must be an integer", "'8'")),
    ("verify", lambda c: verify("sampler", [0.05]), TypeError, ("verify runs a DilationSampler", "got a str")),
    # --- refusals name what the user called ---
    ("RandomizedSampler.averaged_step_channels", lambda c: c.big["R12"].averaged_step_channels(), MemoryLimitError, ("averaged_step_channels on a 12-qubit randomized sampler", "would need", "n ≤ 5 would fit", "aer.run_instances")),
    ("RandomizedSampler.error_bound", lambda c: c.big["R12"].error_bound(0.05), MemoryLimitError, ("error_bound on a 12-qubit randomized sampler", "would need", "aer.run_instances")),
    ("RandomizedSampler.instance_channel", lambda c: c.big["R12"].instance_channel(np.zeros(1), 0.05), MemoryLimitError, ("instance_channel on a 12-qubit", "would need")),
    ("verify", lambda c: verify(c.big["R12"], [0.05], seed=1), ValueError, ("verify", "exact averaged channel, n ≤ 5", "12-qubit", "aer.run_instances")),
    ("exact.gap", lambda c: exact.gap(c.L, method="dense", max_bytes=1000), MemoryLimitError, ("exact.gap(method='dense') of a 2-qubit generator", "would need", "method='auto'")),
]


def _aer_estimator():
    from qiskit_aer.primitives import EstimatorV2

    return EstimatorV2(options={"backend_options": {"method": "density_matrix"}})


@pytest.mark.parametrize("row", ROWS, ids=[f"{i:02d}-{row[0]}" for i, row in enumerate(ROWS)])
def test_bad_input_is_refused_clearly_fast_and_small(row: Row, ctx: Context):
    name, _, error, words = row
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(error) as info:
            row[1](ctx)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(info.value)
    for word in words:
        assert word in message, f"{name}: {word!r} not in {message!r}"
    assert "\n" not in message.strip(), message
    assert seconds < MAX_REFUSAL_SECONDS, f"{name}: refused after {seconds:.2f} s"
    assert peak < MAX_REFUSAL_BYTES, f"{name}: allocated {peak / 2**20:.1f} MiB before refusing"


def test_every_row_names_a_public_entry_point():
    """The table covers each package's public functions (a new entry point needs its row)."""
    covered = {row[0].split(".")[0] for row in ROWS}
    for entry in ("models", "baths", "scandi_alhambra", "davies", "ckg", "dll", "Lindbladian", "exact", "aer",
                  "verify", "sample", "estimate", "microscopic", "VerificationReport"):
        assert entry in covered, entry


@pytest.mark.parametrize(
    "args, words",
    [
        (("verify", "--beta", "abc"), ("--beta must be a number", "'abc'")),
        (("verify", "--beta", "nan"), ("--beta must be a finite number",)),
        (("verify", "--n", "2.5"), ("--n must be an integer", "'2.5'")),
        (("verify", "--epsilon", "0"), ("--epsilon must lie in the open interval (0, 1)",)),
        (("verify", "--json", "/nonexistent/dir/r.json"), ("--json", "'/nonexistent/dir/r.json'", "does not exist")),
        (("compile", "--qasm", "/nonexistent/dir/c.qasm"), ("--qasm", "'/nonexistent/dir/c.qasm'")),
        (("verify", "--time", "1e6"), ("20000000 steps", "above the ceiling")),
        (("verify", "--samples", "8", "--scheme", "trotter_dilation"), ("--samples 8", "--scheme trotter_dilation", "drop --samples")),
        (("verify", "--samples", "8", "--method", "statevector"), ("--samples 8", "--method statevector", "drop --samples")),
        (("verify", "--shots", "100"), ("--shots 100", "--method statevector only")),
        (("verify", "--shots", "1", "--method", "statevector"), ("--shots must be ≥ 2", "1")),
        (("verify", "--trotter-order", "3"), ("trotter_order must be 1 or an even number", "3")),
        (("verify", "--seed", "-1", "--scheme", "trotter_dilation", "--time", "0.05"), ("seed must be an integer >= 0", "-1")),
        (("resources", "--light-cone", "-7"), ("--light-cone must be a radius ≥ 0, or −1 for none", "-7")),
        (("resources", "--light-cone", "x"), ("--light-cone must be an integer", "'x'")),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(capsys, args, words):
    from kmsgibbs.cli import main

    start = time.perf_counter()
    with pytest.raises(SystemExit) as info:
        main(list(args))
    seconds = time.perf_counter() - start
    err = capsys.readouterr().err
    assert info.value.code == 2
    last = err.strip().splitlines()[-1]
    for word in words:
        assert word in last, (word, err)
    assert "Traceback" not in err
    assert seconds < 5.0, seconds  # the instruction-ceiling row compiles the sampler first (~1 s)


# --- the memory guard itself (kmsgibbs.compiler.memory) ---


def test_memory_limit_policy(monkeypatch):
    """3/4 of the available memory unless set; set_memory_limit / memory_limit_set / KMSGIBBS_MEMORY_LIMIT override it."""
    from kmsgibbs.compiler import memory

    monkeypatch.delenv("KMSGIBBS_MEMORY_LIMIT", raising=False)
    # both read /proc/meminfo now: other processes move it a little in between
    assert memory.memory_limit() == pytest.approx(0.75 * memory.available_memory(), rel=0.05)
    assert memory.memory_limit() < 0.8 * memory.available_memory()  # a fraction, not all of it
    monkeypatch.setenv("KMSGIBBS_MEMORY_LIMIT", "8G")
    assert memory.memory_limit() == 8 * 2**30
    monkeypatch.setenv("KMSGIBBS_MEMORY_LIMIT", "1.5MiB")
    assert memory.memory_limit() == int(1.5 * 2**20)
    with memory_limit_set(4096):
        assert memory.memory_limit() == 4096  # the process setting wins over the environment
        with memory_limit_set(None):
            assert memory.memory_limit() == int(1.5 * 2**20)
        assert memory.memory_limit() == 4096
    monkeypatch.setenv("KMSGIBBS_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="KMSGIBBS_MEMORY_LIMIT must be a byte count such as 8G .* got 'lots'"):
        memory.memory_limit()


@pytest.mark.parametrize(
    "value, error, words",
    [("8G", TypeError, "memory limit must be a number of bytes, got '8G'"), (True, TypeError, "got True"),
     (0, ValueError, "memory limit must be a finite number of bytes >= 1, got 0"), (-5.0, ValueError, "got -5.0"),
     (math.inf, ValueError, "memory limit must be a finite number of bytes >= 1, got inf"),
     (1e400, ValueError, "memory limit .* got inf"), (NAN, ValueError, "memory limit .* got nan"),
     (0.5, ValueError, "memory limit must be a finite number of bytes >= 1, got 0.5")],
)
def test_set_memory_limit_refuses_bad_values(value, error, words):
    from kmsgibbs.compiler.memory import set_memory_limit

    with pytest.raises(error, match=words):
        set_memory_limit(value)


def test_require_memory_states_bytes_limit_fit_and_alternative():
    from kmsgibbs.compiler.memory import require_memory

    with memory_limit_set(2**20):
        require_memory("a small array", 2**19, alternative="-")  # fits: no error
        with pytest.raises(MemoryLimitError) as info:
            require_memory("the dense thing of 9 qubits", 3 * 2**20, alternative="use the sparse one", fits="n ≤ 8")
        with pytest.raises(MemoryLimitError, match="above the memory limit of 512 KiB"):
            require_memory("x", 2**20, alternative="y", limit=2**19)  # the tighter per-call limit wins
    message = str(info.value)
    for words in ("the dense thing of 9 qubits would need 3 MiB (3145728 bytes)", "memory limit of 1 MiB",
                  "n ≤ 8 would fit", "use the sparse one", "KMSGIBBS_MEMORY_LIMIT"):
        assert words in message, message
    assert isinstance(info.value, ValueError) and isinstance(info.value, MemoryError)


@pytest.mark.parametrize("value", ["inf", "1e400", "-inf", "nan", "0.5", "0", "-8G", "lots", "8X", "G", "  ", "1e400G"])
def test_memory_limit_variable_garbage_is_refused_naming_it(monkeypatch, value):
    from kmsgibbs.compiler import memory

    monkeypatch.setenv("KMSGIBBS_MEMORY_LIMIT", value)
    with pytest.raises(ValueError, match=f"KMSGIBBS_MEMORY_LIMIT must be a .*byte count.* got {re.escape(repr(value))}"):
        memory.memory_limit()


@pytest.mark.parametrize("value", ["inf", "1e400", "nan", "0.5", "0", "lots", "-1"])
def test_cli_memory_limit_variable_garbage_exits_2_naming_it(monkeypatch, capsys, value):
    """Exit 2 (bad input), not 1 (FAIL), before any work: the command would not otherwise ask the guard."""
    from kmsgibbs.cli import main

    monkeypatch.setenv("KMSGIBBS_MEMORY_LIMIT", value)
    start = time.perf_counter()
    with pytest.raises(SystemExit) as info:
        main(["resources", "--n", "2", "--time", "0.05"])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert "KMSGIBBS_MEMORY_LIMIT" in err and repr(value) in err and "Traceback" not in err
    assert time.perf_counter() - start < MAX_REFUSAL_SECONDS


def test_help_states_the_default_memory_limit(capsys):
    """The default limit (a fraction of the available memory) and the variable are in --help."""
    from kmsgibbs.cli import main

    with pytest.raises(SystemExit) as info:
        main(["verify", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert info.value.code == 0
    assert "3/4 of the memory available" in out and "KMSGIBBS_MEMORY_LIMIT" in out and "exits 2" in out


def test_spectral_gap_and_gap_are_one_entry_point_with_one_default(ctx: Context):
    """spectral_gap is gap's float, with gap's default method (the dense default refused n = 8 that gap solved)."""
    import inspect

    defaults = [inspect.signature(f).parameters["method"].default for f in (exact.spectral_gap, exact.gap)]
    assert defaults == ["auto", "auto"]
    assert exact.spectral_gap(ctx.L) == exact.gap(ctx.L).gap
