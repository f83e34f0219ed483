"""verify(): Aer runs checked against the exact generator, the Gibbs state and the bound (issue #4)."""

import json
import math

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.simulators import VerificationReport, exact, trace_distance, verify


def sampler(n: int, model: str):
    if model == "tfim":
        H = models.transverse_field_ising(n)
    else:  # staggered field: the coherent term is nonzero
        H = models.heisenberg(n, field=(0.4, 0.0, [0.3 * (-1) ** i for i in range(n)]))
    L = scandi_alhambra(
        H, models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5
    )
    return compile_sampler(L, dt=0.05, epsilon=1e-2)


@pytest.fixture(scope="module")
def tfim3():
    S = sampler(3, "tfim")
    return S, verify(S, [0.0, 2.0, 4.0])


def test_tfim3_passes_and_its_numbers_are_independent_checks(tfim3):
    S, report = tfim3
    assert report.passed, report.failures
    # recompute the exact side independently of verify
    L = S.lindbladian
    rho0 = np.zeros((8, 8), dtype=complex)
    rho0[0, 0] = 1.0
    ref = exact.evolve(L, rho0, list(report.times))
    gibbs = L.gibbs_state()
    for i, t in enumerate(report.times):
        assert report.exact_distance_to_gibbs[i] == pytest.approx(trace_distance(ref[i], gibbs), abs=1e-12)
        assert report.distance_to_exact[i] <= report.error_bound[i]
        assert report.distance_to_gibbs[i] <= report.error_bound[i] + report.exact_distance_to_gibbs[i]
    assert report.distance_to_gibbs[-1] < 0.5 * report.distance_to_gibbs[0]  # it does thermalize
    assert report.thermal_energy == pytest.approx(float(np.real(np.trace(gibbs @ L.hamiltonian.to_matrix()))))
    assert report.table().endswith("PASS")


def test_heisenberg3_passes():
    report = verify(sampler(3, "heisenberg"), [0.0, 2.0])
    assert report.passed, report.failures


@pytest.mark.slow  # ~1 min each for n = 4, 5; ~10 min each for n = 6 (7-qubit fused steps, 4096² channels)
@pytest.mark.parametrize(
    "n, model", [(4, "tfim"), (4, "heisenberg"), (5, "tfim"), (5, "heisenberg"), (6, "tfim"), (6, "heisenberg")]
)
def test_larger_chains_pass(n, model):
    # n = 6 Heisenberg mixes slowly: at t = 4 bound + d_L is still above d_L(0) = 1 (no certificate yet)
    report = verify(sampler(n, model), [0.0, 2.0, 4.0] if n < 6 else [0.0, 4.0, 8.0])
    assert report.passed, report.failures


def test_trajectories_with_statistical_allowance():
    S = sampler(3, "tfim")
    report = verify(S, [0.0, 1.0], method="statevector", shots=200, seed=4)
    assert not report.failures, report.failures
    assert report.statistical_error[1] > 0 and report.shots == 200
    assert report.energy_stderr[1] > 0
    # 200 trajectories cannot test a bound of ~0.01: the 3σ allowance is several times the bound, so
    # the verdict is INCONCLUSIVE with the count that would decide (s ∝ 1/√shots), not PASS
    ratio = report.statistical_error[1] / report.error_bound[1]
    assert ratio > 1 and report.verdict == "INCONCLUSIVE" and not report.passed
    needed = math.ceil(200 * (ratio / 0.5) ** 2)
    assert f"about {needed} shots would bring it there, 200 were run" in report.inconclusive
    assert report.table().endswith("INCONCLUSIVE")


def test_randomized_instances_pass_against_the_averaged_evolution():
    from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra

    h = models.from_edges(2, models.chain_edges(2), couplings={"ZZ": -1.0}, fields={"X": -1.0})
    lind = scandi_alhambra(h, models.single_site_couplings(2, "XZ"), baths.GaussianBath(1.0), coarse_graining_time=1.0, coupling=0.5)
    R = compile_sampler(lind, dt=0.05, epsilon=1e-2, scheme="randomized")
    report = verify(R, [0.0, 2.0, 4.0], seed=3)
    assert report.verdict == "PASS", (report.failures, report.inconclusive)
    assert 16 <= report.samples <= 256
    # the mean estimates the exact averaged evolution within its own allowance, and the allowance is
    # at most half the bound it tests (else INCONCLUSIVE)
    assert all(x <= s for x, s in zip(report.distance_to_average, report.statistical_error))
    assert all(s <= 0.5 * b for s, b, t in zip(report.statistical_error, report.error_bound, report.times) if t > 0)
    with pytest.raises(ValueError, match="seed is required for a randomized sampler"):
        verify(R, [0.05])
    with pytest.raises(ValueError, match="samples applies to randomized samplers"):
        verify(sampler(2, "tfim"), [0.05], samples=4)


def test_json_round_trip_and_plot(tfim3, tmp_path):
    _, report = tfim3
    text = report.to_json(str(tmp_path / "r.json"))
    again = VerificationReport.from_json((tmp_path / "r.json").read_text())
    assert again == report and json.loads(text)["passed"] is True
    report.plot(str(tmp_path / "r.png"))
    assert (tmp_path / "r.png").stat().st_size > 1000


def test_bad_input(tfim3):
    S, _ = tfim3
    with pytest.raises(ValueError, match="method must be one of"):
        verify(S, [0.0], method="mps")
    with pytest.raises(ValueError, match="seed is required"):
        verify(S, [0.05], method="statevector")
    with pytest.raises(ValueError, match="not a multiple of dt"):
        verify(S, [0.07])
    with pytest.raises(ValueError, match="acts on 1 qubits"):
        verify(S, [0.05], observables={"bad": SparsePauliOp("Z")})


def test_one_directional_sweep_fails(monkeypatch):
    """A deliberately broken compiler (one-directional sweep: O(dt) local error) FAILS verify."""
    from qiskit import QuantumCircuit

    import kmsgibbs.circuits.dilation as dilation
    from kmsgibbs.circuits.inputs import check_grid, pauli_label
    from kmsgibbs.circuits.product_formula import append_pauli_rotation

    def one_directional(coupling, times, weights, *, angle, evolve, frames=True):
        t, w = check_grid(times, weights)
        label, scale = pauli_label(coupling)
        n = coupling.num_qubits
        circuit = QuantumCircuit(n + 1)
        system = list(range(n))
        if frames:
            circuit.compose(evolve(t[0]), system, inplace=True)
        for l in range(t.size):
            if l:
                circuit.compose(evolve(t[l] - t[l - 1]), system, inplace=True)
            phi = float(np.angle(w[l]))
            circuit.rz(-phi, n)
            append_pauli_rotation(circuit, "X" + label, list(range(n + 1)), angle * abs(w[l]) * scale)
            circuit.rz(phi, n)
        circuit.compose(evolve((-t[-1]) if frames else (t[0] - t[-1])), system, inplace=True)
        return circuit

    monkeypatch.setattr(dilation, "dilation_sweep", one_directional)
    report = verify(sampler(3, "tfim"), [0.0, 4.0, 8.0])
    assert not report.passed
    assert any("certifies nothing" in msg for msg in report.failures), report.failures
    assert report.table().endswith("FAIL")


def test_initial_state_is_read_like_the_circuit_reads_it(tfim3):
    """"101" (little-endian: qubits 0 and 2 up) is basis state 5, both on Aer and in the exact reference."""
    S, _ = tfim3
    report = verify(S, [0.0, 0.5], initial_state="101")
    rho0 = np.zeros((8, 8), dtype=complex)
    rho0[5, 5] = 1.0
    assert report.distance_to_exact[0] <= 1e-12
    assert report.exact_distance_to_gibbs[0] == pytest.approx(trace_distance(rho0, S.lindbladian.gibbs_state()), abs=1e-12)
    assert report.passed, report.failures


def small_report() -> VerificationReport:
    """A report built directly (no Aer run): the file tests need only something to write."""
    return VerificationReport(
        label="n=2 test", method="density_matrix", times=(0.0, 1.0), distance_to_gibbs=(0.5, 0.1),
        distance_to_exact=(0.0, 1e-4), error_bound=(0.0, 2e-3), exact_distance_to_gibbs=(0.5, 0.1),
        statistical_error=(0.0, 0.0), energy=(-1.0, -1.5), energy_stderr=(0.0, 0.0), thermal_energy=-1.6,
    )


def test_to_json_interrupted_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    """The data reach the temporary file, then the fsync fails: the old report stays, no temp file (issue 15)."""
    import os

    path = tmp_path / "r.json"
    path.write_text("old report\n")

    def failing_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        small_report().to_json(path)
    assert path.read_text() == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_plot_interrupted_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    """savefig writes half a PNG and is interrupted: the old plot stays, no temp file."""
    from matplotlib.figure import Figure

    path = tmp_path / "p.png"
    path.write_bytes(b"old plot")

    def half_written(self, fname, **kwargs):
        fname.write(b"\x89PNG half")
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", half_written)
    with pytest.raises(KeyboardInterrupt):
        small_report().plot(path)
    assert path.read_bytes() == b"old plot"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png"]


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF"), (".svg", b"<?xml")])
def test_plot_format_follows_the_suffix_and_the_file_is_readable(tmp_path, suffix, magic):
    """Written through a temporary file, so the format comes from the suffix; permissions follow the umask."""
    import os
    import stat

    path = tmp_path / f"p{suffix}"
    small_report().plot(path)
    assert path.read_bytes().startswith(magic)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    with pytest.raises(ValueError, match=r"plot path '.*p.xyz': matplotlib cannot write 'xyz' files"):
        small_report().plot(tmp_path / "p.xyz")


def test_json_refuses_a_non_finite_field_by_name():
    import dataclasses

    bad = dataclasses.replace(small_report(), error_bound=(0.0, float("nan")))
    with pytest.raises(ValueError, match="the report's error_bound is not finite"):
        bad.to_json()


def test_a_non_finite_distance_fails_instead_of_passing(tfim3, monkeypatch):
    """NaN compares False with every bound: verify must report it as a failure, not PASS (issue 15)."""
    import kmsgibbs.simulators.verification as verification

    S, _ = tfim3
    real = verification.trace_distance
    monkeypatch.setattr(verification, "trace_distance", lambda a, b: float("nan"))
    report = verify(S, [0.0, 2.0])
    monkeypatch.setattr(verification, "trace_distance", real)
    assert not report.passed
    assert "the distance to Gibbs is not finite at t = 0, 2" in report.failures


def test_report_json_carries_its_schema_and_reads_older_ones():
    import json

    import kmsgibbs
    from kmsgibbs.simulators import VerificationReport
    from kmsgibbs.simulators.verification import SCHEMA_VERSION

    report = VerificationReport(
        label="x", method="density_matrix", times=(0.0, 1.0), distance_to_gibbs=(0.5, 0.1), distance_to_exact=(0.0, 0.01),
        error_bound=(0.0, 0.02), exact_distance_to_gibbs=(0.5, 0.1), statistical_error=(0.0, 0.0), energy=(-1.0, -2.0),
        energy_stderr=(0.0, 0.0), thermal_energy=-2.1, inputs={"model": "tfim", "n": 3},
    )
    data = json.loads(report.to_json())
    assert data["schema_version"] == SCHEMA_VERSION and data["kmsgibbs_version"] == kmsgibbs.__version__
    assert data["inputs"] == {"model": "tfim", "n": 3}
    assert VerificationReport.from_json(report.to_json()) == report
    # a version-1 file: no version fields, no certificate, distance or inputs
    old = {k: v for k, v in data.items() if k not in ("schema_version", "kmsgibbs_version", "gibbs_certificate",
                                                        "requested_distance", "inputs", "reached_gibbs")}
    assert VerificationReport.from_json(json.dumps(old)).distance_to_gibbs == (0.5, 0.1)
    with pytest.raises(ValueError, match="newer than this kmsgibbs reads"):
        VerificationReport.from_json(json.dumps({**data, "schema_version": SCHEMA_VERSION + 1}))
