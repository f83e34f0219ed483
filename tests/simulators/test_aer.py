"""Aer runs of compiled samplers: density matrix, trajectories, MPS (issue #4)."""

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler import baths, compile_sampler, dll, models, scandi_alhambra
from kmsgibbs.compiler.memory import MemoryLimitError, memory_limit_set
from kmsgibbs.simulators import aer
from tests.conftest import unvec


def kms_sampler(n: int, model: str = "tfim"):
    H = models.transverse_field_ising(n) if model == "tfim" else models.heisenberg(n, field=(0.4, 0.0, 0.3))
    L = scandi_alhambra(
        H, models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5
    )
    return compile_sampler(L, dt=0.05, epsilon=1e-2)


@pytest.fixture(scope="module")
def s3():
    return kms_sampler(3)



def test_density_matrix_snapshots_match_powers_of_the_step_channel(s3):
    """One job, several labelled snapshots; each equals Φ^k ρ₀ with Φ composed in NumPy from the factors."""
    times = [0.0, 0.05, 0.5, 2.0]
    run = aer.run_density_matrix(s3, times, initial_state="101")
    phi = s3.step_channel()
    rho0 = np.zeros((8, 8), dtype=complex)
    rho0[5, 5] = 1.0
    for t, rho in zip(times, run.states):
        ref = unvec(np.linalg.matrix_power(phi, s3.num_steps(t)) @ rho0.reshape(-1, order="F"))
        assert np.abs(rho - ref).max() <= 1e-10, t
    assert run.times == tuple(times) and run.method == "density_matrix"


def test_fused_step_is_the_gate_level_channel(s3):
    """The simulation aid (one UnitaryGate per factor) runs the same channel as the gate-level circuit."""
    fused = aer.run_density_matrix(s3, [0.05], initial_state="011", fuse=True)
    gates = aer.run_density_matrix(s3, [0.05], initial_state="011", fuse=False)
    assert np.abs(fused.states[0] - gates.states[0]).max() <= 1e-10


def test_observables_on_saved_states(s3):
    z0 = SparsePauliOp.from_sparse_list([("Z", [0], 1.0)], 3)
    run = aer.run_density_matrix(s3, [0.0, 1.0], observables={"Z0": z0})
    assert run.observables["Z0"][0] == pytest.approx(1.0, abs=1e-12)
    assert run.observables["Z0"][1] == pytest.approx(np.real(np.trace(z0.to_matrix() @ run.states[1])), abs=1e-12)


def test_trajectory_energy_agrees_with_density_matrix_n4():
    """Acceptance: 500 trajectories estimate ⟨H⟩(T) within 3 standard errors of the density-matrix value."""
    S = kms_sampler(4)
    H = S.lindbladian.hamiltonian
    T = 1.0
    exact = aer.run_density_matrix(S, [T], observables={"H": H}).observables["H"][0]
    run = aer.run_trajectories(S, [T], shots=500, seed=11, observables={"H": H})
    mean, err = run.observables["H"][0], run.observable_stderr["H"][0]
    assert 0 < err < 0.1
    assert abs(mean - exact) <= 3 * err, (mean, exact, err)
    # the shot-averaged state carries its own error bars, consistent with the exact state
    assert np.abs(run.states[0] - aer.run_density_matrix(S, [T]).states[0]).max() <= 5 * run.state_stderr[0].max()


def cheap_chain_sampler(n: int, sites):
    """DLL with Z couplings on a few sites: a 1D chain whose step is small enough to run gate by gate."""
    H = models.transverse_field_ising(n)
    L = dll(H, models.single_site_couplings(n, "Z", sites=sites), 1.0, coupling=0.5)
    return compile_sampler(L, dt=0.05, epsilon=1e-2)


@pytest.mark.slow  # ~80 s: gate-level 12-qubit statevector
def test_twelve_qubit_trajectories_end_to_end():
    """Acceptance: a 12-qubit circuit (11-site chain + ancilla) on the statevector method, gate level."""
    S = cheap_chain_sampler(11, sites=[5])
    z = SparsePauliOp.from_sparse_list([("Z", [5], 1.0)], 11)
    run = aer.run_trajectories(S, [0.0, 0.1], shots=8, seed=3, observables={"Z5": z})
    assert S.num_system + len(S.ancilla_qubits) == 12
    assert run.states is None  # too large to keep per-shot states
    assert run.observables["Z5"][0] == pytest.approx(1.0)
    assert -1.0 <= run.observables["Z5"][1] < 1.0  # the bath acted on site 5


@pytest.mark.slow  # ~5 min: gate-level MPS, ~10⁵ instructions per step
def test_mps_chain_of_16_returns_local_observables():
    """Acceptance: MPS runs a 16-site chain for two steps and returns local observables: the coupled
    end moves, the far end does not (the frames reach |t| ≲ 2, far less than 15 sites)."""
    S = cheap_chain_sampler(16, sites=[0])
    obs = {f"Z{i}": SparsePauliOp.from_sparse_list([("Z", [i], 1.0)], 16) for i in (0, 15)}
    run = aer.run_mps(S, [0.1], shots=4, seed=5, observables=obs)
    assert run.method == "matrix_product_state"
    assert run.observables["Z0"][0] < 1.0 - 1e-6  # the coupled end relaxes
    assert run.observables["Z15"][0] == pytest.approx(1.0, abs=1e-6)


def test_device_selection(monkeypatch):
    from qiskit_aer import AerSimulator

    monkeypatch.setattr(AerSimulator, "available_devices", lambda self: ("CPU", "GPU"))
    assert aer.select_device() == "GPU"
    monkeypatch.setattr(AerSimulator, "available_devices", lambda self: ("CPU",))
    assert aer.select_device() == "CPU"
    with pytest.raises(ValueError, match="device='GPU' is not available"):
        aer.select_device("GPU")


def test_refusals_before_any_work(s3):
    with pytest.raises(MemoryLimitError, match=r"density_matrix state of 4 qubits .* would need 4 KiB .* 2 qubits would fit; use method='statevector'"):
        aer.run_density_matrix(s3, [0.05], max_bytes=1000)
    with pytest.raises(ValueError, match="acts on 2 qubits, the system has 3"):
        aer.run_density_matrix(s3, [0.05], observables={"bad": SparsePauliOp("ZZ")})
    with pytest.raises(ValueError, match="not a multiple of dt"):
        aer.run_density_matrix(s3, [0.07])
    with pytest.raises(ValueError, match="non-decreasing"):
        aer.run_density_matrix(s3, [0.1, 0.05])
    with pytest.raises(ValueError, match="shots must be an integer"):
        aer.run_trajectories(s3, [0.05], shots=1, seed=1)
    with pytest.raises(TypeError, match="seed must be an integer, got None"):
        aer.run_trajectories(s3, [0.05], shots=10, seed=None)


def test_trajectory_batches_report_progress(s3):
    calls = []
    H = s3.lindbladian.hamiltonian
    run = aer.run_trajectories(
        s3, [0.05], shots=9, seed=2, observables={"H": H}, batches=3, progress=lambda stage, f: calls.append((stage, f))
    )
    assert [f for _, f in calls] == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])
    assert calls[0][0].startswith("estimate: 1 steps × 217 fused instructions")
    assert calls[-1][0] == "trajectories 9/9" and run.shots == 9
    assert np.trace(run.states[0]).real == pytest.approx(1.0)


def test_fused_density_matrix_run_splits_into_jobs_that_fit(s3):
    """When the fused steps cannot fit in one circuit, consecutive jobs carry the full state across."""
    whole = aer.run_density_matrix(s3, [0.05, 0.3, 1.0], initial_state="110")
    # 8 copies of each 4-qubit factor unitary per step (the documented estimate)
    per_step = 8 * len(s3.plan.factors) * 16 * 4**4
    calls = []
    with memory_limit_set(3 * per_step):  # 3 steps per job: 7 jobs for 20 steps
        split = aer.run_density_matrix(
            s3, [0.05, 0.3, 1.0], initial_state="110", progress=lambda stage, f: calls.append(stage)
        )
    for a, b in zip(whole.states, split.states):
        assert np.abs(a - b).max() <= 1e-12
    assert calls[0].startswith("estimate: 20 steps × 217 fused instructions = 4.34e+03 instructions in 7 job(s)")
    assert calls[1:] == [f"steps {k}/20" for k in (3, 6, 9, 12, 15, 18, 20)]
    with memory_limit_set(per_step // 2), pytest.raises(MemoryLimitError, match=r"one fused step of 4-qubit unitaries \(109 factors\)"):
        aer.run_density_matrix(s3, [1.0])


def test_fused_trajectory_run_refuses_what_cannot_fit(s3):
    """One job holds all the shots' steps: refused up front with the estimate, never a gate-level fallback."""
    per_step = 8 * len(s3.plan.factors) * 16 * 4**4
    for fuse in (True, "auto"):
        with memory_limit_set(10 * per_step), pytest.raises(
            MemoryLimitError, match=r"statevector run \(20 steps × 217 fused instructions .* 10 steps \(t ≤ 0.5\) would fit; use method='density_matrix'"
        ):
            aer.run_trajectories(s3, [1.0], shots=4, seed=1, fuse=fuse)
    with memory_limit_set(10 * per_step):  # what fits runs
        run = aer.run_trajectories(s3, [0.5], shots=3, seed=4)
    assert np.trace(run.states[0]).real == pytest.approx(1.0)


def test_gate_level_run_is_estimated_and_refused_before_it_is_built(s3):
    """fuse=False: the expanded instruction count of a step is the estimate (~2·10⁵ for this sampler)."""
    est = aer.estimate_run(s3, [0.05, 1.0], method="statevector", fuse=False)
    assert (est.steps, est.fused, est.jobs) == (20, False, 1)
    assert est.instructions == 20 * est.instructions_per_step and est.instructions_per_step > 10**5
    assert est.circuit_bytes == est.instructions * 2048
    with memory_limit_set(est.circuit_bytes // 2), pytest.raises(MemoryLimitError, match=r"gate-level instructions .* 10 steps \(t ≤ 0.5\) would fit"):
        aer.run_trajectories(s3, [1.0], shots=4, seed=1, fuse=False)


def test_runs_past_the_instruction_ceiling_are_refused_with_the_estimate(s3):
    """verify --time 1e6 used to run on with no estimate: 2·10⁷ steps are refused at once."""
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"would hold 4.34e\+09 instructions \(20000000 steps × 217 fused .* above the ceiling of 1e\+07"):
        aer.run_density_matrix(s3, [1e6])
    with pytest.raises(ValueError, match=r"above the ceiling of 1e\+03 .* 4 steps, t ≤ 0.2, would fit"):
        aer.run_trajectories(s3, [1.0], shots=4, seed=1, max_instructions=1000)
    assert time.perf_counter() - start < 2.0


def test_circuit_instructions_expands_composite_gates_once_each():
    from qiskit import QuantumCircuit

    from kmsgibbs.compiler.memory import circuit_instructions

    inner = QuantumCircuit(2)
    inner.h(0)
    inner.cx(0, 1)
    inner.rz(0.1, 1)
    box = inner.to_gate(label="box")
    outer = QuantumCircuit(2)
    outer.append(box, [0, 1])
    outer.append(box, [1, 0])
    outer.reset(0)
    assert circuit_instructions(outer) == 7
    nested = QuantumCircuit(2)
    nested.append(outer.to_instruction(), [0, 1])
    nested.x(1)
    assert circuit_instructions(nested) == 8


def cli_sampler(n: int):
    """The sampler `kmsgibbs verify --n n` compiles (defaults: TFIM, XZ couplings, Gaussian bath, dt 0.05)."""
    from kmsgibbs.cli import build_sampler, parse_args

    return build_sampler(parse_args(["verify", "--n", str(n), "--trotter-order", "2"]))


def test_verify_statevector_n4_fits_and_n5_is_refused_up_front_below_its_estimate():
    """Issue 15: `verify --method statevector --n 4` exhausted 24 GB by falling back to ~6·10⁷ gate-level
    instructions. Now its fused circuit (160 steps × 145 factors × 8 copies × 16 KiB = 2.83 GiB, measured
    peak 2.5 GB) is one job; n = 5 (14.1 GiB) is refused up front, with the estimate, under a 6 GiB limit."""
    import time

    times = [0.05 * k * 40 for k in range(5)]  # the CLI's 5 snapshots up to t = 8
    s4 = cli_sampler(4)
    est = aer.estimate_run(s4, times, method="statevector")
    assert (est.steps, est.fused, est.jobs, est.instructions_per_step) == (160, True, 1, 289)
    assert est.circuit_bytes == 160 * 145 * 8 * 16 * 4**5
    s5 = cli_sampler(5)
    assert len(s5.plan.factors) == 181  # compiling the factors (lazy, ~2–5 s) is not part of the refusal
    start = time.perf_counter()
    with memory_limit_set(6 * 2**30), pytest.raises(
        MemoryLimitError, match=r"160 steps × 361 fused instructions .* would need 14.1 GiB .* 67 steps \(t ≤ 3.35\) would fit"
    ):
        aer.run_trajectories(s5, times, shots=500, seed=1)
    assert time.perf_counter() - start < 2.0  # no fused unitary is computed (that takes ~35 s at n = 5)


@pytest.mark.slow
def test_verify_statevector_n4_runs_within_memory_from_the_shell():
    """The whole CLI run (~3 min, peak ~2.5 GB measured): PASS."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "kmsgibbs", "verify", "--method", "statevector", "--n", "4"],
        capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("PASS")


def test_randomized_shared_sweep_instances_trace_every_ancilla():
    """A randomized sampler with shared sweeps (n = 2, four ancillas): fused and gate-level instances give
    the same system states, every ancilla traced out, and the mean is the instance channels' mean."""
    H = models.transverse_field_ising(2)
    L = scandi_alhambra(
        H, models.single_site_couplings(2, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5
    )
    s = compile_sampler(L, dt=0.05, epsilon=1e-2, scheme="randomized", sweep_ancillas=4)
    assert s.num_ancillas == 4 and aer.estimate_run(s, [0.1], samples=2, fuse=False).num_qubits == 6
    assert aer.estimate_run(s, [0.1], samples=2).num_qubits == 3  # fused: channels on the system
    fused = aer.run_instances(s, [0.0, 0.05, 0.1], samples=2, seed=4)
    gates = aer.run_instances(s, [0.0, 0.05, 0.1], samples=2, seed=4, fuse=False)
    assert fused.states[-1].shape == (4, 4)
    for a, b in zip(fused.states, gates.states):
        np.testing.assert_allclose(a, b, atol=1e-8)
    rows = s.parameter_values(0.1, 2, seed=4)
    rho0 = np.zeros(16)
    rho0[0] = 1.0
    mean = np.mean([s.instance_channel(row, 0.1) @ rho0 for row in rows], axis=0)
    np.testing.assert_allclose(fused.states[-1], unvec(mean), atol=1e-10)


def test_trajectory_batches_are_the_unbatched_shots(s3):
    """Aer seeds shot i of a job with seed + i: batches must continue the seeds, not restart them one
    further on (which repeated most shots and reported a ~1e-16 standard error after a step or two)."""
    H = s3.lindbladian.hamiltonian
    whole = aer.run_trajectories(s3, [0.05, 0.1], shots=12, seed=7, observables={"H": H})
    parts = aer.run_trajectories(s3, [0.05, 0.1], shots=12, seed=7, observables={"H": H}, batches=4)
    for a, b, e in zip(whole.states, parts.states, parts.state_stderr):
        np.testing.assert_allclose(a, b, atol=1e-12)
        assert np.abs(e).max() > 1e-6  # twelve distinct trajectories, not copies
    np.testing.assert_allclose(whole.observables["H"], parts.observables["H"], atol=1e-12)
