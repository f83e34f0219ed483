"""The ``kmsgibbs`` command: ``verify``, ``compile`` and ``resources``.

Exit codes: 0 on PASS (or success), 1 on FAIL, 2 on bad input (one line naming the option).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Sequence

__all__ = ["main", "build_sampler"]

MODELS = ("tfim", "heisenberg", "random")
FAMILIES = ("kms", "dll")


class _BadInput(Exception):
    """Raised for invalid options; reported on one line with exit code 2."""


def _positive_int(name: str, limit: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if value < 1 or (limit is not None and value > limit):
            raise argparse.ArgumentTypeError(
                f"{name} must be in 1..{limit}, got {value}" if limit else f"{name} must be ≥ 1, got {value}"
            )
        return value

    return parse


def _positive_float(name: str, *, allow_zero: bool = False):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
            raise argparse.ArgumentTypeError(f"{name} must be a finite number {'≥' if allow_zero else '>'} 0, got {text}")
        return value

    return parse


def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model and master equation")
    g.add_argument("--model", choices=MODELS, default="tfim", help="Hamiltonian (default: tfim)")
    g.add_argument("--n", type=_positive_int("--n", 64), default=3, help="number of spins (default: 3)")
    g.add_argument("--beta", type=_positive_float("--beta"), default=1.0, help="inverse temperature (default: 1)")
    g.add_argument("--family", choices=FAMILIES, default="kms", help="Scandi–Alhambra form='kms' or DLL (default: kms)")
    g.add_argument("--couplings", default="XZ", help="Paulis coupled to the bath on every site (default: XZ)")
    g.add_argument("--coarse-graining-time", type=_positive_float("--coarse-graining-time", allow_zero=True), default=1.0, help="T (default: 1)")
    g.add_argument("--coupling", type=_positive_float("--coupling"), default=0.5, help="system–bath coupling α (default: 0.5)")
    g.add_argument("--bath-width", type=_positive_float("--bath-width"), default=2.0, help="Gaussian bath width s (default: 2)")
    g.add_argument("--seed", type=int, default=1234, help="seed for random models and trajectories (default: 1234)")
    c = p.add_argument_group("compilation")
    c.add_argument("--dt", type=_positive_float("--dt"), default=0.05, help="step size (default: 0.05)")
    c.add_argument("--epsilon", type=_positive_float("--epsilon"), default=1e-2, help="time-grid accuracy (default: 1e-2)")
    c.add_argument("--trotter-order", type=int, default=2, help="product-formula order, 1 or even (default: 2)")
    c.add_argument("--include-hamiltonian", action="store_true", help="add −i[H,·] (physical thermalization)")


def build_sampler(args: argparse.Namespace):
    """The model, generator and compiled sampler the options describe."""
    from kmsgibbs.compiler import baths, compile_sampler, dll, models, scandi_alhambra

    n = args.n
    if args.model == "tfim":
        h = models.transverse_field_ising(n)
    elif args.model == "heisenberg":
        # a staggered z field: with a uniform one, XYZ couplings leave the KMS coherent term zero
        h = models.heisenberg(n, field=(0.4, 0.0, [0.3 * (-1) ** i for i in range(n)]))
    else:
        h = models.random_two_local(n, seed=args.seed)
    try:
        couplings = models.single_site_couplings(n, args.couplings)
    except ValueError as exc:
        raise _BadInput(f"--couplings: {exc}") from None
    if args.family == "kms":
        bath = baths.GaussianBath(args.beta, width=args.bath_width)
        lind = scandi_alhambra(h, couplings, bath, coarse_graining_time=args.coarse_graining_time, coupling=args.coupling)
    else:
        lind = dll(h, couplings, args.beta, coupling=args.coupling)
    try:
        sampler = compile_sampler(
            lind,
            dt=args.dt,
            epsilon=args.epsilon,
            trotter_order=args.trotter_order,
            include_system_hamiltonian=args.include_hamiltonian,
        )
    except ValueError as exc:
        raise _BadInput(f"--dt/--epsilon/--trotter-order: {exc}") from None
    return sampler


def _snapshot_times(total: float, points: int, dt: float) -> list[float]:
    steps = round(total / dt)
    if abs(steps * dt - total) > 1e-9 * max(1.0, total):
        raise _BadInput(f"--time must be a multiple of --dt={dt:g}, got {total:g}")
    marks = sorted({round(steps * k / (points - 1)) for k in range(points)} if points > 1 else {steps})
    return [m * dt for m in marks]


class _Progress:
    """A one-line progress display on stderr (only when it is a terminal, or when forced)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.start = time.perf_counter()

    def __call__(self, stage: str, fraction: float) -> None:
        if not self.enabled:
            return
        width = 24
        filled = int(round(width * min(max(fraction, 0.0), 1.0)))
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r[{bar}] {stage:<28s} {time.perf_counter() - self.start:6.1f}s")
        if fraction >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".kmsgibbs-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _cmd_verify(args: argparse.Namespace) -> int:
    from kmsgibbs.simulators import verify

    progress = _Progress(args.progress or sys.stderr.isatty())
    progress("compiling", 0.0)
    sampler = build_sampler(args)
    times = _snapshot_times(args.time, args.points, args.dt)
    label = (
        f"{args.model} n={args.n} beta={args.beta:g} {args.family} T={args.coarse_graining_time:g} "
        f"alpha={args.coupling:g} dt={args.dt:g} eps={args.epsilon:g} [{args.method}]"
    )
    report = verify(
        sampler, times, method=args.method, seed=args.seed, shots=args.shots, label=label, progress=progress
    )
    print(report.table())
    if args.json:
        _write_atomically(args.json, report.to_json() + "\n")
    if args.plot:
        report.plot(args.plot)
    return 0 if report.passed else 1


def _cmd_compile(args: argparse.Namespace) -> int:
    from qiskit import qasm3, transpile

    sampler = build_sampler(args)
    steps = sampler.num_steps(args.time) if args.time is not None else 1
    circuit = sampler.circuit(steps * sampler.dt)
    lowered = transpile(circuit, basis_gates=["cx", "rz", "sx", "x", "reset"], optimization_level=1)
    text = qasm3.dumps(lowered)
    _write_atomically(args.qasm, text)
    ops = lowered.count_ops()
    print(f"wrote {args.qasm}: {lowered.num_qubits} qubits, {steps} step(s), {ops.get('cx', 0)} cx, depth {lowered.depth()}")
    return 0


def _cmd_resources(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    sampler = build_sampler(args)
    res = sampler.resources(_snapshot_times(args.time, 2, args.dt)[-1])
    print(f"{'qubits':>7s} {'2q/step':>9s} {'depth/step':>11s} {'resets/step':>12s} {'steps':>6s} {'2q total':>10s} {'seconds':>8s}")
    print(
        f"{res['qubits']:7d} {res['two_qubit_gates_per_step']:9d} {res['depth_per_step']:11d} "
        f"{res['resets_per_step']:12d} {res['steps']:6d} {res['two_qubit_gates']:10d} {time.perf_counter() - start:8.1f}"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kmsgibbs", description="Compile KMS master equations into Gibbs-state circuits and verify them on Aer."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="run the compiled circuit on Aer and check it against the bound (default job)")
    _add_model_options(v)
    v.add_argument("--time", type=_positive_float("--time"), default=8.0, help="final time (default: 8)")
    v.add_argument("--points", type=_positive_int("--points", 1000), default=5, help="snapshot times (default: 5)")
    v.add_argument("--method", choices=("density_matrix", "statevector"), default="density_matrix")
    v.add_argument("--shots", type=_positive_int("--shots"), default=500, help="trajectories (statevector)")
    v.add_argument("--json", metavar="FILE", help="write the report as JSON")
    v.add_argument("--plot", metavar="FILE", help="plot distance to Gibbs vs time (needs matplotlib)")
    v.add_argument("--progress", action="store_true", help="show progress even when stderr is not a terminal")
    v.set_defaults(func=_cmd_verify)
    c = sub.add_parser("compile", help="write the compiled circuit as OpenQASM 3")
    _add_model_options(c)
    c.add_argument("--time", type=_positive_float("--time"), default=None, help="evolution time (default: one step)")
    c.add_argument("--qasm", metavar="FILE", required=True, help="output file")
    c.set_defaults(func=_cmd_compile)
    r = sub.add_parser("resources", help="gate counts after transpile")
    _add_model_options(r)
    r.add_argument("--time", type=_positive_float("--time"), default=1.0, help="evolution time (default: 1)")
    r.set_defaults(func=_cmd_resources)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)  # exits 2 with a one-line message on bad options
    if args.command == "verify" and args.n > 6:
        parser.exit(2, f"kmsgibbs: error: --n: verify computes a rigorous bound from exact channels, n ≤ 6; got {args.n}\n")
    try:
        return args.func(args)
    except (_BadInput, ValueError) as exc:
        message = " ".join(str(exc).split())
        parser.exit(2, f"kmsgibbs: error: {message}\n")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
