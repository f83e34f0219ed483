"""The kmsgibbs command (issue #4): exit codes, JSON round trip, one-line errors."""

import subprocess
import sys

import numpy as np
import pytest

from kmsgibbs.simulators import VerificationReport


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kmsgibbs", *args], capture_output=True, text=True, timeout=600)


def test_verify_json_round_trips(tmp_path):
    out = tmp_path / "out.json"
    proc = run("verify", "--time", "1", "--points", "3", "--json", str(out), "--scheme", "trotter_dilation")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("PASS")
    assert "] compiling" in proc.stderr and "] done" in proc.stderr  # not a terminal: a line per stage
    report = VerificationReport.from_json(out.read_text())
    assert report.passed and report.times == (0.0, 0.5, 1.0)
    assert report.to_json() == VerificationReport.from_json(report.to_json()).to_json()


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("verify", "--n", "0"), "--n must be in 1..1000, got 0"),
        (("verify", "--beta", "-1"), "--beta must be a finite number > 0, got -1"),
        (("verify", "--model", "potts"), "invalid choice: 'potts'"),
        (("verify", "--n", "7"), "n ≤ 6; got 7"),
        (("verify", "--time", "1.01"), "--time must be a multiple of --dt=0.05"),
        (("verify", "--dt", "5"), "dt=5 is too large"),
        (("resources", "--couplings", "Q"), "--couplings"),
        (("resources", "--n", "2", "--synthesis-error", "0"), "--synthesis-error must be a finite number > 0, got 0"),
        (("resources", "--n", "2", "--backend", "fake_nowhere"), "--backend: no fake backend named 'fake_nowhere'"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, fragment):
    proc = run(*args)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert fragment in last, proc.stderr


def test_compile_writes_openqasm3(tmp_path):
    from qiskit import qasm3

    path = tmp_path / "step.qasm"
    proc = run("compile", "--n", "2", "--family", "dll", "--couplings", "Z", "--qasm", str(path))
    assert proc.returncode == 0, proc.stderr
    text = path.read_text()
    assert text.startswith("OPENQASM 3") and "reset" in text
    assert qasm3.loads(text).num_qubits == 3  # system 2 + ancilla: the file parses back


def rows(stdout: str, label: str) -> list[list[str]]:
    return [line.split() for line in stdout.splitlines() if line.strip().startswith(label)]


def test_resources_prints_a_table():
    proc = run("resources", "--n", "2", "--family", "dll", "--couplings", "Z", "--time", "0.1", "--light-cone", "-1")
    assert proc.returncode == 0, proc.stderr
    assert "2q/step" in proc.stdout and "T/step" in proc.stdout
    (row,) = rows(proc.stdout, "tfim chain")
    assert int(row[2]) == 2 and int(row[3]) == 3  # n, qubits
    assert float(row[-2]) > 0  # the rigorous bound at t, given for n ≤ 4 without a light cone


def test_resources_for_a_chain_of_100():
    proc = run("resources", "--n", "100", "--couplings", "Z")
    assert proc.returncode == 0, proc.stderr
    (row,) = rows(proc.stdout, "tfim chain")
    assert int(row[2]) == 100 and int(row[3]) == 101 and int(row[4]) > 0


def test_compile_maps_to_a_backend(tmp_path):
    path = tmp_path / "isa.qasm"
    proc = run("compile", "--n", "2", "--family", "dll", "--couplings", "Z", "--backend", "generic_heavy_hex", "--qasm", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "ISA of" in proc.stdout and "cz" in path.read_text() and "cx" not in path.read_text()
    proc = run("compile", "--n", "2", "--backend", "fake_nowhere", "--qasm", str(path))
    assert proc.returncode == 2 and "--backend" in proc.stderr.strip().splitlines()[-1]


# --- issue 15: exit codes, output paths checked before any work, one line for every user error ---

from kmsgibbs.cli import main  # noqa: E402


def run_main(capsys, *args: str) -> tuple[int, str, float]:
    """``main(args)`` in-process: (exit code, stderr, seconds)."""
    import time

    start = time.perf_counter()
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    seconds = time.perf_counter() - start
    return code, capsys.readouterr().err, seconds


@pytest.mark.parametrize(
    "args, path",
    [
        (("verify", "--json", "/nonexistent/dir/r.json"), "/nonexistent/dir/r.json"),
        (("verify", "--plot", "/nonexistent/dir/p.png"), "/nonexistent/dir/p.png"),
        (("compile", "--qasm", "/nonexistent/dir/c.qasm"), "/nonexistent/dir/c.qasm"),
    ],
)
def test_unusable_output_path_exits_2_before_any_work(capsys, args, path):
    code, err, seconds = run_main(capsys, *args)
    assert code == 2
    assert err.count("\n") == 1 and path in err and "does not exist" in err, err
    assert seconds < 2.0  # checked before compiling (a verify run takes ≥ 20 s)


def test_unusable_output_path_from_the_shell(tmp_path):
    """The same as a process: exit 2, one line naming the path, no traceback, no work."""
    import time

    start = time.perf_counter()
    proc = run("verify", "--json", "/nonexistent/dir/r.json")
    seconds = time.perf_counter() - start
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "kmsgibbs: error: --json: output path '/nonexistent/dir/r.json': folder '/nonexistent/dir' does not exist"
    ]
    assert seconds < 10.0, seconds  # the interpreter and `import kmsgibbs` (~1.5 s); a run would take ≥ 20 s


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("verify", "--json", "."), "output path '.' is a directory"),
        (("verify", "--plot", "out.xyz"), "--plot: plot path 'out.xyz': matplotlib cannot write 'xyz' files"),
        (("verify", "--epsilon", "1"), "--epsilon must lie in the open interval (0, 1), got 1"),
        (("verify", "--epsilon", "2"), "--epsilon must lie in the open interval (0, 1), got 2"),
    ],
)
def test_more_bad_outputs_and_options_exit_2(capsys, args, fragment):
    code, err, seconds = run_main(capsys, *args)
    assert code == 2 and fragment in err.strip().splitlines()[-1], err
    assert seconds < 2.0


def test_unwritable_folder_exits_2(capsys, tmp_path):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        code, err, _ = run_main(capsys, "compile", "--qasm", str(locked / "c.qasm"))
        assert code == 2 and "is not writable" in err and str(locked) in err
    finally:
        locked.chmod(0o700)


def test_write_failure_after_the_work_exits_3_with_one_line(capsys, monkeypatch, tmp_path):
    """The QASM was compiled, then the disk filled up: exit 3 (not the FAIL code 1), one line, old file intact."""
    import kmsgibbs.compiler

    path = tmp_path / "c.qasm"
    path.write_text("old\n")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kmsgibbs.compiler, "dump_qasm3", full_disk)
    code, err, _ = run_main(capsys, "compile", "--n", "2", "--family", "dll", "--couplings", "Z", "--qasm", str(path))
    assert code == 3
    assert err.strip().splitlines() == [f"kmsgibbs: error: --qasm: could not write {str(path)!r}: No space left on device"]
    assert path.read_text() == "old\n"


def test_run_past_the_instruction_ceiling_exits_2_with_the_estimate(capsys):
    """verify --time 1e6 (2·10⁷ steps) is refused at once, before compiling, with steps and instructions."""
    code, err, seconds = run_main(capsys, "verify", "--time", "1e6")
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert "--time 1e+06 is 20000000 steps of --dt 0.05" in last and "≥ 4e+07 instructions, above the ceiling of 1e+07" in last, err
    assert "Traceback" not in err
    assert seconds < 2.0, seconds


def test_run_just_past_the_ceiling_is_refused_with_the_compiled_estimate(capsys):
    """Below the cheap bound (2 instructions a step) the compiled estimate decides: 46 100 steps × 217."""
    code, err, _ = run_main(capsys, "verify", "--time", "2305", "--points", "2", "--scheme", "trotter_dilation")
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert "46100 steps × 217 fused instructions = 1e+07" in last and "above the ceiling of 1e+07" in last, err


def test_randomized_run_past_the_ceiling_is_refused_before_any_instance(capsys):
    """The randomized default counts every instance it may run (auto: up to 256) before building one."""
    code, err, seconds = run_main(capsys, "verify", "--time", "2305", "--points", "2")
    assert code == 2
    last = err.strip().splitlines()[-1]
    assert "256 randomized instances: 46100 steps × 3 fused instructions" in last and "above the ceiling of 1e+07" in last, err
    # 160 steps × 3 fused instructions per instance (verify's shared sweeps): 30 000 instances pass 1e7
    code, err, _ = run_main(capsys, "verify", "--time", "8", "--samples", "30000")
    assert code == 2 and "30000 randomized instances" in err.strip().splitlines()[-1], err


def test_memory_limit_refusal_exits_2_with_one_line(capsys):
    """A run the memory limit refuses is reported as it is (MemoryLimitError), exit 2, no traceback."""
    from kmsgibbs.compiler.memory import memory_limit_set

    with memory_limit_set(64 * 1024):
        code, err, _ = run_main(capsys, "verify", "--n", "2", "--family", "dll", "--couplings", "Z", "--time", "0.1")
    line = err.strip().splitlines()[-1]
    assert code == 2 and "above the memory limit of 64 KiB" in line and "--dt" not in line, err


def test_help_documents_the_exit_codes():
    proc = run("verify", "--help")
    assert proc.returncode == 0
    for line in (
        "0    PASS", "1    FAIL", "2    bad input, unusable output path", "3    the work was done but an output file",
        "4    INCONCLUSIVE (verify): the statistical allowance is not well below the bound",
    ):
        assert line in proc.stdout, proc.stdout


def test_dump_qasm3_interrupted_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    """The QASM reaches the temporary file, the rename never happens: old file intact, no temp file."""
    import os

    from qiskit import QuantumCircuit

    from kmsgibbs.compiler import dump_qasm3

    path = tmp_path / "c.qasm"
    path.write_text("old qasm\n")
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)

    def crash(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        dump_qasm3(circuit, path)
    assert path.read_text() == "old qasm\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.qasm"]
    monkeypatch.undo()
    dump_qasm3(circuit, path)
    assert path.read_text().startswith("OPENQASM 3")


def test_compile_refuses_a_circuit_past_the_memory_limit_before_building_it(capsys):
    """compile --time T holds steps × (instructions of a step) gate-level instructions: estimated first."""
    from kmsgibbs.cli import build_sampler, parse_args
    from kmsgibbs.compiler.memory import memory_limit_set

    options = ["--n", "2", "--family", "dll", "--couplings", "Z"]
    per_step = build_sampler(parse_args(["compile", *options, "--qasm", "unused.qasm"])).estimated_instructions()
    limit = 10 * per_step * 2048  # 10 steps of gate-level instructions at ~2 KB each
    with memory_limit_set(limit):
        code, err, seconds = run_main(capsys, "compile", *options, "--time", "5", "--qasm", "unused.qasm")
    line = err.strip().splitlines()[-1]
    assert code == 2, err
    assert f"the gate-level circuit of 100 steps × {per_step} instructions (estimated from the step plan) would need" in line
    assert "10 steps (--time ≤ 0.5) would fit" in line and "use a shorter --time" in line
    assert seconds < 10.0


def test_compile_of_a_system_whose_one_step_cannot_fit_is_refused_from_the_plan(capsys):
    """Issue 15: `compile --n 14 --qasm` built factors for minutes and aborted at 6.9 GB; the step plan's
    instruction count (2·10⁷ for one step) refuses it before any circuit is built."""
    code, err, seconds = run_main(capsys, "compile", "--n", "14", "--qasm", "unused.qasm")
    line = err.strip().splitlines()[-1]
    assert code == 2, err
    assert "the gate-level circuit of 1 steps" in line and "one step does not fit: use a smaller --n" in line
    assert seconds < 10.0


XXZ_FILE = {  # not a built-in: an XXZ pair with a tilted field, X and Y couplings on site 0, Z on site 1
    "num_qubits": 2,
    "hamiltonian": [["XX", [0, 1], 1.0], ["YY", [0, 1], 1.0], ["ZZ", [0, 1], 0.5], ["X", [0], 0.3], ["Z", [1], -0.4]],
    "couplings": [[["X", [0], 1.0]], [["Y", [0], 1.0]], [["Z", [1], 1.0]]],
}


def test_verify_of_a_model_file_matches_the_python_api(tmp_path):
    import json

    from qiskit.quantum_info import SparsePauliOp

    from kmsgibbs.compiler import baths, compile_sampler, scandi_alhambra
    from kmsgibbs.simulators import verify

    model, out = tmp_path / "xxz.json", tmp_path / "report.json"
    model.write_text(json.dumps(XXZ_FILE))
    proc = run("verify", "--model-file", str(model), "--scheme", "trotter_dilation", "--time", "0.5", "--points", "3",
               "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    cli = VerificationReport.from_json(out.read_text())
    h = SparsePauliOp.from_sparse_list([tuple(t) for t in XXZ_FILE["hamiltonian"]], num_qubits=2)
    couplings = [SparsePauliOp.from_sparse_list([tuple(t) for t in a], num_qubits=2) for a in XXZ_FILE["couplings"]]
    lind = scandi_alhambra(h, couplings, baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5)
    api = verify(compile_sampler(lind, dt=0.05, epsilon=1e-2), [0.0, 0.25, 0.5], seed=1234)
    assert cli.verdict == api.verdict == "PASS"
    np.testing.assert_allclose(cli.distance_to_gibbs, api.distance_to_gibbs, atol=1e-10)
    np.testing.assert_allclose(cli.error_bound, api.error_bound, atol=1e-12)


@pytest.mark.parametrize(
    "content, extra, fragment",
    [
        ("{not json", (), "not JSON"),
        ('{"num_qubits": 2, "hamiltonian": [["ZQ", [0, 1], 1.0]], "couplings": [[["X", [0], 1.0]]]}', (), "hamiltonian[0][0]"),
        ('{"num_qubits": 2, "hamiltonian": [["ZZ", [0, 1], 1.0]], "couplings": []}', (), "couplings must be a non-empty list"),
        ('{"num_qubits": 2, "hamiltonian": [["ZZ", [0, 1], 1.0]], "couplings": [[["X", [0], 1.0]]], "beta": 2}', (), "unknown field 'beta'"),
        ('{"num_qubits": 2, "hamiltonian": [["ZZ", [0, 1], 1.0]], "couplings": [[["X", [0], 1.0]]]}', ("--n", "3"), "--n does not apply with --model-file"),
    ],
)
@pytest.mark.parametrize("command", ["verify", "design"])
def test_bad_model_files_exit_2_naming_the_field(tmp_path, content, extra, fragment, command):
    path = tmp_path / "model.json"
    path.write_text(content)
    args = (command, "--model-file", str(path), *extra) + (("--distance", "0.05") if command == "design" else ())
    proc = run(*args)
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert fragment in last, last
    assert fragment.startswith("--") or "model.json" in last, last  # a file's error names the file


def test_design_refuses_a_distance_outside_the_unit_interval():
    proc = run("design", "--distance", "1.5")
    assert proc.returncode == 2 and "--distance" in proc.stderr


def test_quiet_verify_writes_nothing_on_stderr_and_excludes_progress():
    proc = run("verify", "--scheme", "trotter_dilation", "--time", "0.05", "--points", "2", "--quiet")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    clash = run("verify", "--quiet", "--progress")
    assert clash.returncode == 2 and "not allowed with argument" in clash.stderr


def test_lattices_from_the_command_line():
    """--lattice builds the model on a ring or an L×W square lattice (the edges reach the Hamiltonian)."""
    proc = run("resources", "--lattice", "2x2", "--couplings", "Z", "--light-cone", "-1")
    assert proc.returncode == 0, proc.stderr
    assert rows(proc.stdout, "tfim 2x2")[0][2] == "4"
    for args, fragment in [
        (("verify", "--lattice", "ring"), "--lattice ring needs --n"),
        (("verify", "--lattice", "2x2", "--n", "3"), "--n 3 does not match --lattice 2x2 (4 sites)"),
        (("verify", "--lattice", "hex"), "--lattice must be chain, ring or LxW"),
    ]:
        bad = run(*args)
        assert bad.returncode == 2 and fragment in bad.stderr.strip().splitlines()[-1], bad.stderr
    chain, ring = (run("resources", "--n", "4", "--lattice", kind, "--couplings", "Z", "--light-cone", "-1") for kind in ("chain", "ring"))
    # the ring's closing bond makes every frame step dearer
    assert int(rows(ring.stdout, "tfim ring")[0][4]) > int(rows(chain.stdout, "tfim chain")[0][4])


# --- issue 26: the master-equation family and the bath from the command line ---

from kmsgibbs.cli import build_lindbladian, parse_args  # noqa: E402
from kmsgibbs.compiler import GaussianBath, OhmicBath, ckg, dll, models, scandi_alhambra  # noqa: E402

TFIM2 = models.from_edges(2, [(0, 1)], couplings={"ZZ": -1.0}, fields={"X": -1.0})
Z2 = models.single_site_couplings(2, "Z")


@pytest.mark.parametrize(
    "options, expected",
    [
        (("--bath-width", "1.5", "--bath-strength", "0.7", "--coarse-graining-time", "0.5"),
         lambda: scandi_alhambra(TFIM2, Z2, GaussianBath(1.0, width=1.5, strength=0.7), coarse_graining_time=0.5, coupling=0.5)),
        (("--beta", "3", "--bath", "gaussian-for-beta", "--bath-peak-frequency", "1.6", "--bath-peak-rate", "2"),
         lambda: scandi_alhambra(TFIM2, Z2, GaussianBath.for_beta(3.0, peak_frequency=1.6, peak_rate=2.0), coarse_graining_time=1.0, coupling=0.5)),
        (("--bath", "ohmic", "--bath-eta", "0.3", "--bath-cutoff", "2", "--coupling", "0.8"),
         lambda: scandi_alhambra(TFIM2, Z2, OhmicBath(1.0, eta=0.3, cutoff=2.0), coarse_graining_time=1.0, coupling=0.8)),
        (("--family", "coarse-grained", "--coarse-graining-time", "2"),
         lambda: scandi_alhambra(TFIM2, Z2, GaussianBath(1.0, width=2.0), coarse_graining_time=2.0, coupling=0.5, form="coarse_grained")),
        (("--family", "dll", "--dll-filter", "metropolis", "--beta", "2"),
         lambda: dll(TFIM2, Z2, 2.0, filter="metropolis", coupling=0.5)),
        (("--family", "ckg", "--ckg-weight", "gaussian", "--sigma-e", "0.8", "--sigma-gamma", "0.6"),
         lambda: ckg(TFIM2, Z2, 1.0, weight="gaussian", sigma_e=0.8, sigma_gamma=0.6, coupling=0.5)),
        (("--family", "ckg", "--beta", "2"), lambda: ckg(TFIM2, Z2, 2.0, sigma_e=0.5, coupling=0.5)),
    ],
)
def test_family_and_bath_options_reach_the_lindbladian(options, expected):
    """Each family and bath parameter changes the generator exactly as the Python API's argument does."""
    args = parse_args(["verify", "--n", "2", "--couplings", "Z", *options])
    cli, api = build_lindbladian(args), expected()
    assert cli.family == api.family
    np.testing.assert_allclose(cli.superoperator(), api.superoperator(), atol=1e-12)
    default = build_lindbladian(parse_args(["verify", "--n", "2", "--couplings", "Z"]))
    assert np.abs(cli.superoperator() - default.superoperator()).max() > 1e-3  # the options were not ignored


def test_verify_with_dll_matches_the_python_api(tmp_path):
    from kmsgibbs.compiler import compile_sampler
    from kmsgibbs.simulators import verify

    out = tmp_path / "dll.json"
    proc = run("verify", "--n", "2", "--couplings", "Z", "--family", "dll", "--beta", "2", "--coupling", "0.7",
               "--scheme", "trotter_dilation", "--time", "0.5", "--points", "3", "--json", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    cli = VerificationReport.from_json(out.read_text())
    lind = dll(TFIM2, Z2, 2.0, coupling=0.7)
    api = verify(compile_sampler(lind, dt=0.05, epsilon=1e-2), [0.0, 0.25, 0.5], seed=1234)
    assert cli.verdict == api.verdict == "PASS"
    assert cli.inputs["family"] == "dll" and cli.inputs["dll_filter"] == "gaussian" and cli.inputs["bath"] is None
    np.testing.assert_allclose(cli.distance_to_gibbs, api.distance_to_gibbs, atol=1e-10)
    np.testing.assert_allclose(cli.error_bound, api.error_bound, atol=1e-12)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("verify", "--family", "dll", "--bath-width", "3"), "--bath-width 3 applies to --family kms and coarse-grained (a bath), not --family dll"),
        (("verify", "--family", "ckg", "--bath", "ohmic"), "--bath ohmic applies to --family kms and coarse-grained, not --family ckg"),
        (("verify", "--bath", "ohmic", "--bath-width", "3"), "--bath-width 3 applies to --bath gaussian, not --bath ohmic"),
        (("verify", "--bath-eta", "0.2"), "--bath-eta 0.2 applies to --bath ohmic, not --bath gaussian"),
        (("verify", "--family", "dll", "--coarse-graining-time", "2"), "--coarse-graining-time 2 applies to --family kms and coarse-grained"),
        (("verify", "--family", "ckg", "--dll-filter", "metropolis"), "--dll-filter metropolis applies to --family dll, not --family ckg"),
        (("verify", "--family", "kms", "--sigma-e", "1"), "--sigma-e 1 applies to --family ckg, not --family kms"),
        (("verify", "--family", "ckg", "--sigma-gamma", "1"), "--sigma-gamma 1 applies to --ckg-weight gaussian, not --ckg-weight metropolis"),
        (("verify", "--family", "coarse-grained", "--coarse-graining-time", "0"), "the coarse-grained family needs T > 0"),
        (("verify", "--family", "davies"), "invalid choice: 'davies'"),
        (("verify", "--bath", "lorentzian"), "invalid choice: 'lorentzian'"),
        (("verify", "--family", "coarse-grained"), "--family coarse-grained cannot be lowered by the randomized scheme"),
        (("compile", "--family", "coarse-grained", "--qasm", "x.qasm"), "trotter_dilation scheme (it lowers kms, dll, ckg); use --scheme bath_emulation"),
        (("compile", "--family", "dll", "--scheme", "bath_emulation", "--qasm", "x.qasm"), "use --scheme trotter_dilation or randomized"),
        (("resources", "--n", "2", "--scheme", "bath_emulation"), "--family kms cannot be lowered by the bath_emulation scheme"),
        (("design", "--distance", "0.1", "--bath-cutoff", "3"), "--bath-cutoff 3 applies to --bath ohmic, not --bath gaussian"),
    ],
)
def test_bad_family_and_bath_combinations_exit_2_naming_the_value(capsys, args, fragment):
    code, err, seconds = run_main(capsys, *args)
    assert code == 2, err
    assert fragment in err.strip().splitlines()[-1], err
    assert seconds < 5.0  # refused before any work


def test_resources_prices_the_coarse_grained_family_by_bath_emulation():
    proc = run("resources", "--n", "2", "--couplings", "Z", "--family", "coarse-grained", "--scheme", "bath_emulation")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("bath_emulation: per step") and "one bath cycle" in proc.stdout
    (row,) = rows(proc.stdout, "tfim chain")
    assert int(row[3]) == 3 and int(row[4]) > 0 and row[-3:-1] == ["n/a", "n/a"]  # system + bath qubit


def test_design_uses_the_bath_asked_for(tmp_path):
    import json

    out = tmp_path / "design.json"
    proc = run("design", "--n", "2", "--couplings", "Z", "--beta", "2", "--bath", "gaussian-for-beta",
               "--bath-peak-frequency", "1.5", "--distance", "0.1", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["bath"] == repr(GaussianBath.for_beta(2.0, peak_frequency=1.5))


@pytest.mark.parametrize(
    "options, words, parameters, qubits",
    [
        # the randomized step sweeps both couplings together, one ancilla each (verify's levers)
        (("--scheme", "randomized", "--time", "0.1"), "randomized, 2 step(s), 6 parameters", 6, 4),
        (("--family", "coarse-grained", "--scheme", "bath_emulation", "--coarse-graining-time", "2"),
         "bath_emulation, one trajectory (--seed 1234) of 1 bath cycle(s)", 0, 3),
    ],
)
def test_compile_writes_the_other_schemes(tmp_path, options, words, parameters, qubits):
    from qiskit import qasm3

    path = tmp_path / "c.qasm"
    proc = run("compile", "--n", "2", "--couplings", "Z", *options, "--qasm", str(path))
    assert proc.returncode == 0, proc.stderr
    assert words in proc.stdout, proc.stdout
    circuit = qasm3.loads(path.read_text())
    assert circuit.num_qubits == qubits and circuit.num_parameters == parameters  # system 2 + ancillas or bath qubit
