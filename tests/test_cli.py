"""The kmsgibbs command (issue #4): exit codes, JSON round trip, one-line errors."""

import subprocess
import sys

import pytest

from kmsgibbs.simulators import VerificationReport


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kmsgibbs", *args], capture_output=True, text=True, timeout=600)


def test_verify_json_round_trips(tmp_path):
    out = tmp_path / "out.json"
    proc = run("verify", "--time", "1", "--points", "3", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("PASS")
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
