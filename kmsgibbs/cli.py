"""The ``kmsgibbs`` command: ``verify``, ``compile``, ``resources`` and ``design``.

Exit codes (also in ``kmsgibbs --help``):
    0  PASS (verify: within the bound) or success (compile, resources, design); whether the run also
       reached Gibbs (its certificate ≤ --distance) is printed and in the JSON, not in the exit code;
    1  FAIL: verify ran and a check failed;
    2  bad input, an unusable output path, or a run refused before it started (too large for the
       memory limit, past the instruction ceiling); checked before any work, one line on stderr;
    3  the work was done but an output file could not be written (one line; the old file, if any,
       is left intact);
    4  INCONCLUSIVE (verify): the statistical allowance is not well below the bound it tests; the
       report names the sample count that would decide;
    130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import replace

from . import __version__, _problem
from ._options import BadInput, positive_float, positive_int, unit_interval

__all__ = ["main", "build_lindbladian", "build_sampler", "parse_args"]

#: The default ``resources`` table: chains, and L×L square lattices.
TABLE_CHAINS = (10, 20, 40, 60, 80, 100)
TABLE_LATTICES = ((3, 3), (4, 4))
#: verify's randomized scheme sweeps at most this many dissipators together (one ancilla each)
SWEEP_ANCILLAS = 6


#: Exit codes: see the module docstring.
EXIT_PASS, EXIT_FAIL, EXIT_BAD_INPUT, EXIT_OUTPUT, EXIT_INCONCLUSIVE, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130

EXIT_CODES = """exit codes:
  0    PASS (verify: within the bound) or success (compile, resources, design); "REACHED GIBBS"
       (the certificate ≤ --distance) is printed and in the JSON, not in the exit code
  1    FAIL: verify ran and a check failed
  2    bad input, unusable output path, or a run refused before it started (memory limit,
       instruction ceiling); checked before any work, one line on stderr
  3    the work was done but an output file could not be written (one line; an existing
       file is left intact: outputs are written to a temporary file and renamed)
  4    INCONCLUSIVE (verify): the statistical allowance is not well below the bound it
       tests; the report names the sample or shot count that would decide
  130  interrupted

memory: every large request is refused before it allocates when it would exceed the memory limit:
3/4 of the memory available at the time (the rest keeps a shared machine usable), unless
KMSGIBBS_MEMORY_LIMIT (a byte count such as 8G or 8589934592) is set; any other value of the
variable exits 2."""


class _OutputError(Exception):
    """An output file could not be written after the work; reported on one line with exit code 3."""


def _shots(text: str) -> int:
    # the standard error of a trajectory average needs two
    value = positive_int("--shots")(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"--shots must be ≥ 2 (a standard error needs two trajectories), got {value}")
    return value


def _light_cone(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--light-cone must be an integer, got {text!r}") from None
    if value < -1:
        raise argparse.ArgumentTypeError(f"--light-cone must be a radius ≥ 0, or −1 for none, got {value}")
    return value


def _samples(text: str) -> int | None:
    return None if text == "auto" else positive_int("--samples", 100000)(text)


def _add_model_options(p: argparse.ArgumentParser, *, n_default: int | None = 3) -> None:
    g = p.add_argument_group("model")
    _problem.add_system_options(g, n_default=n_default)
    g.add_argument("--beta", type=positive_float("--beta"), default=1.0, help="inverse temperature (default: 1)")
    g.add_argument("--seed", type=int, default=1234, help="seed for random models and trajectories (default: 1234)")
    _problem.add_family_options(p.add_argument_group("master equation and bath"))
    c = p.add_argument_group("compilation")
    c.add_argument("--dt", type=positive_float("--dt"), default=0.05, help="step size (default: 0.05)")
    c.add_argument("--epsilon", type=unit_interval("--epsilon"), default=1e-2, help="time-grid accuracy, in (0, 1) (default: 1e-2)")
    c.add_argument(
        "--trotter-order", type=int, default=None,
        help="product-formula order, 1 or even (default: chosen with the Trotter step to meet --epsilon)",
    )
    c.add_argument("--include-hamiltonian", action="store_true", help="add −i[H,·] (physical thermalization)")


def build_lindbladian(args: argparse.Namespace, *, n: int | None = None, edges=None):
    """The Lindbladian the model, family and bath options describe (``parse_args``' output).

    Args:
        args: the resolved options of ``verify``, ``compile`` or ``resources``.
        n: the number of sites (default ``args.n``).
        edges: the built-in model's graph (default the one of ``--lattice``, a chain without it).
    """
    return _problem.generator(args, *_problem.system(args, args.n if n is None else n, args.edges if edges is None else edges))


def build_sampler(
    args: argparse.Namespace, *, n: int | None = None, edges=None, light_cone: int | None = None, scheme: str = "trotter_dilation"
):
    """The model, generator and compiled sampler the options describe (``parse_args``' output).

    Args:
        args: the resolved options of ``verify``, ``compile`` or ``resources``.
        n: the number of sites (default ``args.n``).
        edges: the built-in model's graph (default the one of ``--lattice``, a chain without it).
        light_cone: the frames' light-cone radius (None: none).
        scheme: a scheme of ``compile_sampler`` that lowers ``args.family``.
    """
    from kmsgibbs.compiler import compile_sampler
    from kmsgibbs.compiler.memory import MemoryLimitError

    _problem.check_scheme(args, scheme, command=args.command)
    lind = build_lindbladian(args, n=n, edges=edges)
    if scheme == "bath_emulation" and args.include_hamiltonian:
        raise BadInput("--include-hamiltonian: the bath emulation always evolves with H (its cycles run e^{-iH dt}); drop it")
    # the bath emulation takes dt and the product-formula order only (compile_sampler refuses the rest)
    options = {} if scheme == "bath_emulation" else {
        "epsilon": args.epsilon, "include_system_hamiltonian": args.include_hamiltonian, "light_cone": light_cone,
    }
    if scheme == "randomized":
        # the randomized scheme's cheapest step (docs/schemes.md, "Sharing the frames"): the dissipators in
        # shared sweeps with one ancilla per coupling, one-way passes, frames over H's commuting layers; at
        # the default settings (TFIM n = 3, six couplings, one sweep) 3,046 → 860 CX per step. At most
        # SWEEP_ANCILLAS per sweep: a fused instance holds 2^K Kraus operators per sweep (its K ancillas reset).
        options.update(
            sweep_ancillas=min(len(lind.couplings), SWEEP_ANCILLAS), one_way_commutators=True,
            one_way_sweeps=True, layered_frames=True,
        )
    try:
        sampler = compile_sampler(lind, dt=args.dt, trotter_order=args.trotter_order, scheme=scheme, **options)
    except MemoryLimitError:
        raise  # not an option's fault: reported as it is (exit 2)
    except ValueError as exc:
        raise BadInput(f"--dt/--epsilon/--trotter-order: {exc}") from None
    return sampler


def _snapshot_times(total: float, points: int, dt: float) -> list[float]:
    steps = round(total / dt)
    if abs(steps * dt - total) > 1e-9 * max(1.0, total):
        raise BadInput(f"--time must be a multiple of --dt={dt:g}, got {total:g}")
    marks = sorted({round(steps * k / (points - 1)) for k in range(points)} if points > 1 else {steps})
    return [m * dt for m in marks]


class _Progress:
    """Progress on stderr: a one-line bar on a terminal (or with --progress), else one line per stage
    (logs of long runs show where they are); nothing with --quiet."""

    def __init__(self, *, bar: bool, quiet: bool = False):
        self.bar, self.quiet = bar, quiet
        self.start = time.perf_counter()
        self.stage: str | None = None

    def __call__(self, stage: str, fraction: float) -> None:
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.start
        if not self.bar:
            if stage != self.stage:
                sys.stderr.write(f"[{elapsed:7.1f}s] {stage}\n")
                sys.stderr.flush()
                self.stage = stage
            return
        width = 24
        filled = int(round(width * min(max(fraction, 0.0), 1.0)))
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\r[{bar}] {stage:<28s} {elapsed:6.1f}s")
        if fraction >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse unusable output paths before any work (exit 2), naming the option and the path."""
    from kmsgibbs.compiler.files import check_writable

    for option in ("json", "plot", "qasm"):
        path = getattr(args, option, None)
        if path is None:
            continue
        try:
            check_writable(path)
        except ValueError as exc:
            raise BadInput(f"--{option}: {exc}") from None
    if getattr(args, "plot", None) is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise BadInput("--plot needs matplotlib: pip install 'kmsgibbs[plot]'") from None
        from kmsgibbs.simulators.verification import plot_format

        try:
            plot_format(args.plot)
        except ValueError as exc:
            raise BadInput(f"--plot: {exc}") from None


def _write(option: str, path: str, write) -> None:
    """Run ``write()``; an OSError becomes one line naming the option and the path (exit 3)."""
    try:
        write()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise _OutputError(f"--{option}: could not write {path!r}: {reason}") from None


def _cmd_verify(args: argparse.Namespace) -> int:
    from kmsgibbs.simulators import aer, verify
    from kmsgibbs.simulators.verification import MAX_AUTO_SAMPLES

    if args.observables:
        return _cmd_verify_observables(args)
    scheme = _verify_scheme(args)
    _problem.check_scheme(args, scheme, command="verify")  # before the gap's --time, which diagonalises
    if args.time is None:  # the run must be long enough to reach --distance: from the gap
        args.time = _gibbs_time(args)
    steps = round(args.time / args.dt)
    # every step holds at least one factor and one reset: a run past the ceiling is refused at once,
    # before compiling (the exact estimate below needs the compiled factors)
    if 2 * steps > aer.MAX_RUN_INSTRUCTIONS:
        raise BadInput(
            f"--time {args.time:g} is {steps} steps of --dt {args.dt:g}; each holds at least one factor and one "
            f"reset, so the run would hold ≥ {2 * steps:.3g} instructions, above the ceiling of "
            f"{aer.MAX_RUN_INSTRUCTIONS:.3g} (kmsgibbs.simulators.aer.MAX_RUN_INSTRUCTIONS); use a shorter --time or a "
            f"larger --dt (at most {aer.MAX_RUN_INSTRUCTIONS // 2} steps)"
        )
    progress = _Progress(bar=args.progress or sys.stderr.isatty(), quiet=args.quiet)
    progress("compiling", 0.0)
    if scheme == "randomized" and args.include_hamiltonian:
        raise BadInput("--include-hamiltonian: the randomized scheme has no e^{-iH dt} factor; use --scheme trotter_dilation")
    randomized = scheme == "randomized"
    if args.samples is not None and not randomized:
        raise BadInput(
            f"--samples {args.samples}: instances are averaged for --scheme randomized with --method density_matrix only; "
            f"this run is --scheme {scheme} --method {args.method}: drop --samples (or use --shots for trajectories)"
        )
    if args.shots is not None and args.method != "statevector":
        raise BadInput(f"--shots {args.shots}: trajectories are run with --method statevector only; drop --shots")
    sampler = build_sampler(args, scheme=scheme)
    times = _snapshot_times(args.time, args.points, args.dt)
    # the run's size before any of it is built (the Aer run refuses it, exit 2, when it cannot fit)
    wanted = (args.samples or MAX_AUTO_SAMPLES) if randomized else 1
    estimate = aer.estimate_run(sampler, times, method=args.method, samples=wanted)
    if randomized and estimate.instructions > aer.MAX_RUN_INSTRUCTIONS:
        raise BadInput(
            f"{wanted} randomized instances: {estimate}, above the ceiling of {aer.MAX_RUN_INSTRUCTIONS:.3g} "
            "(kmsgibbs.simulators.aer.MAX_RUN_INSTRUCTIONS); use a shorter --time or fewer --samples"
        )
    if estimate.instructions > _LONG_RUN_INSTRUCTIONS or estimate.jobs > 1:
        sys.stderr.write(f"kmsgibbs: estimate: {estimate}\n")
    label = (
        f"{args.model} n={args.n} beta={args.beta:g} {_problem.describe(args)} "
        f"alpha={args.coupling:g} dt={args.dt:g} eps={args.epsilon:g} [{args.method}, {scheme}]"
    )
    report = verify(
        sampler, times, method=args.method, seed=args.seed, shots=args.shots, label=label, progress=progress,
        samples=args.samples if randomized else None, distance=args.distance,
    )
    report = replace(report, inputs=_inputs(args, scheme=scheme))
    print(report.table())
    if args.json:
        _write("json", args.json, lambda: report.to_json(args.json))
    if args.plot:
        _write("plot", args.plot, lambda: report.plot(args.plot))
    return {"PASS": EXIT_PASS, "FAIL": EXIT_FAIL, "INCONCLUSIVE": EXIT_INCONCLUSIVE}[report.verdict]


#: --observables without --time takes it from the gap of the dense generator up to this n.
_OBSERVABLES_GAP_MAX_N = 8


def _cmd_verify_observables(args: argparse.Namespace) -> int:
    """``verify --observables``: local observables of randomized instances against the Gibbs values."""
    from kmsgibbs.simulators.validation.observables import verify_observables

    if args.plot:
        raise BadInput("--plot draws distances to Gibbs; with --observables use --json")
    if args.scheme == "trotter_dilation":
        raise BadInput("--observables runs randomized instances: drop --scheme trotter_dilation")
    if args.time is None:
        if args.n > _OBSERVABLES_GAP_MAX_N:
            raise BadInput(f"--observables at --n {args.n} needs --time (the default comes from the gap, n ≤ {_OBSERVABLES_GAP_MAX_N})")
        args.time = _gibbs_time(args)
    progress = _Progress(bar=args.progress or sys.stderr.isatty(), quiet=args.quiet)
    progress("compiling", 0.0)
    cone = None if args.light_cone < 0 or args.n == 1 else args.light_cone
    sampler = build_sampler(args, scheme="randomized", light_cone=cone)
    times = _snapshot_times(args.time, args.points, args.dt)
    samples = 64 if args.samples is None else args.samples
    if samples < 2:
        raise BadInput(f"--samples {samples}: the standard error is the spread of the instances, so at least 2")
    label = f"{args.model} n={args.n} beta={args.beta:g} {args.family} dt={args.dt:g} light_cone={cone} [observables]"
    report = verify_observables(
        sampler, times, samples=samples, shots=8 if args.shots is None else args.shots, seed=args.seed,
        label=label, progress=progress,
    )
    print(report.table())
    if args.json:
        _write("json", args.json, lambda: report.to_json(args.json))
    return EXIT_PASS if report.passed else EXIT_FAIL


def _gibbs_time(args: argparse.Namespace) -> float:
    """The default --time: a multiple of --dt by which the exact evolution from |0…0⟩ is certified
    (χ² bound from the gap) within half of --distance, leaving the other half to the circuits."""
    import numpy as np

    from kmsgibbs.simulators.mixing import mixing_time

    lind = build_lindbladian(args)
    rho0 = np.zeros((2**args.n, 2**args.n))
    rho0[0, 0] = 1.0
    t = mixing_time(lind, rho0, args.distance / 2)
    total = max(1, math.ceil(t / args.dt - 1e-9)) * args.dt
    sys.stderr.write(f"kmsgibbs: --time {total:g} (from the gap: the exact evolution is within {args.distance / 2:g} of Gibbs)\n")
    return total


def _inputs(args: argparse.Namespace, **resolved: object) -> dict[str, object]:
    """The command's options as a report records them (what a rerun needs), resolved values included."""
    skip = {"func", "own_model", "n_default", "json", "plot", "progress"}
    out = {k: v for k, v in vars(args).items() if k not in skip and (v is None or isinstance(v, (str, int, float, bool)))}
    return {**out, **resolved}


def _verify_scheme(args: argparse.Namespace) -> str:
    """``--scheme auto``: the randomized scheme for density matrices (it needs ~14× fewer two-qubit gates
    per step at the default settings: benchmarks/cost_table.py), the deterministic one for trajectories."""
    if args.scheme != "auto":
        if args.scheme == "randomized" and args.method != "density_matrix":
            raise BadInput("--scheme randomized is verified with --method density_matrix (its instances' mean)")
        return args.scheme
    return "randomized" if args.method == "density_matrix" else "trotter_dilation"


#: Runs above this many instructions print their estimate before they start.
_LONG_RUN_INSTRUCTIONS = 1_000_000


def _backend(name: str | None):
    """A fake IBM backend by name (``fake_fez`` or ``FakeFez``; needs ``[ibm]``), or ``generic_heavy_hex``."""
    if name is None:
        return None
    if name == "generic_heavy_hex":
        from qiskit.providers.fake_provider import GenericBackendV2
        from qiskit.transpiler import CouplingMap

        cmap = CouplingMap.from_heavy_hex(7)
        return GenericBackendV2(cmap.size(), basis_gates=["cz", "rz", "sx", "x", "id"], coupling_map=cmap, control_flow=True, seed=7)
    try:
        from qiskit_ibm_runtime.fake_provider import FakeProviderForBackendV2
    except ImportError:
        raise BadInput(f"--backend {name}: fake IBM backends need the [ibm] extra (pip install 'kmsgibbs[ibm]'); "
                        "offline without it: --backend generic_heavy_hex") from None
    wanted = name.lower().replace("_", "")
    for backend in FakeProviderForBackendV2().backends():
        if wanted in (backend.name.lower().replace("_", ""), type(backend).__name__.lower()):
            return backend
    raise BadInput(f"--backend: no fake backend named {name!r} (e.g. fake_fez, fake_marrakesh, generic_heavy_hex)")


def _cmd_compile(args: argparse.Namespace) -> int:
    from kmsgibbs.compiler import dump_qasm3, to_isa
    from kmsgibbs.compiler.hardware import to_standard_gates
    from kmsgibbs.compiler.memory import BYTES_PER_INSTRUCTION, memory_limit, require_memory
    from kmsgibbs.compiler.resources import count_gates

    scheme = args.scheme
    sampler = build_sampler(args, scheme=scheme)
    emulated = scheme == "bath_emulation"
    # a bath-emulation "step" is one cycle of sampled bath frequency
    period = sampler.cycle_time if emulated else sampler.dt
    if args.time is None:
        steps = 1
    else:
        steps = sampler.num_cycles(args.time) if emulated else sampler.num_steps(args.time)
    backend = _backend(args.backend)
    # the gate-level circuit is held in full (and lowered, and printed): refuse before building it,
    # from the plan's count (building one step of a large system alone takes minutes); the other
    # schemes' steps are small, counted from one lowered step (depth × width bounds its instructions)
    if scheme == "trotter_dilation":
        per_step, source = sampler.estimated_instructions(), "estimated from the step plan"
    else:
        res = sampler.resources()
        per_step, source = res.depth_per_step * res.qubits, "bounded from one lowered step"
    most = memory_limit() // (per_step * BYTES_PER_INSTRUCTION) if per_step else steps
    fits = f"{most} steps (--time ≤ {most * period:g})" if most else None
    alternative = (
        "use a shorter --time (or write one step and repeat it)"
        if most
        else "one step does not fit: use a smaller --n or a larger --epsilon; `kmsgibbs resources --n N` "
        "counts light-cone blocks without building the circuit"
    )
    require_memory(
        f"the gate-level circuit of {steps} steps × {per_step} instructions ({source})",
        steps * per_step * BYTES_PER_INSTRUCTION,
        alternative=alternative,
        fits=fits,
    )
    total = steps * period
    # the emulation's circuit is one trajectory of sampled cycles: --seed draws them
    source_circuit = sampler.circuit(total, seed=args.seed) if emulated else sampler.circuit(total)
    circuit = to_isa(source_circuit, backend, seed=args.seed) if backend is not None else source_circuit
    lowered = to_standard_gates(circuit) if backend is None else circuit
    _write("qasm", args.qasm, lambda: dump_qasm3(lowered, args.qasm))
    counts = count_gates(lowered)
    where = "standard gates" if backend is None else f"the ISA of {backend.name}"
    what = {
        "trotter_dilation": f"{steps} step(s)",
        "randomized": f"{steps} step(s), {len(lowered.parameters)} parameters (values: RandomizedSampler.parameter_values)",
        "bath_emulation": f"one trajectory (--seed {args.seed}) of {steps} bath cycle(s)",
    }[scheme]
    print(f"wrote {args.qasm}: {scheme}, {what} in {where}, {counts.two_qubit_gates} two-qubit gates, {counts.resets} resets")
    return 0


def _cmd_resources(args: argparse.Namespace) -> int:
    from kmsgibbs.compiler import models

    scheme = args.scheme
    _problem.check_scheme(args, scheme, command="resources")
    emulated = scheme == "bath_emulation"
    if args.whole_blocks and scheme != "trotter_dilation":
        raise BadInput(f"--whole-blocks applies to --scheme trotter_dilation (light-cone blocks), not --scheme {scheme}")
    if emulated and args.light_cone is not None and args.light_cone >= 0:
        raise BadInput(f"--light-cone {args.light_cone}: the bath emulation has no frame evolutions to truncate; drop it")
    target = _backend(args.backend)
    if args.n is not None:
        label = args.model if args.own_model is not None else f"{args.model} {args.lattice or 'chain'}"
        systems = [(label, args.n, args.edges)]
    else:
        systems = [(f"{args.model} chain", n, None) for n in TABLE_CHAINS]
        systems += [(f"{args.model} {r}x{c}", r * c, models.square_lattice_edges(r, c)) for r, c in TABLE_LATTICES]
    radius = 3 if args.light_cone is None else args.light_cone
    light_cone = None if emulated or radius < 0 else radius
    # in 2D a radius-r window holds ~2r² sites: on the small lattices, r > 1 is the whole system
    lattice_cone = None if light_cone is None else min(light_cone, 1)
    head = (
        f"{'system':>16s} {'n':>4s} {'qubits':>6s} {'2q/step':>10s} {'depth/step':>11s} {'2q-depth':>10s} "
        f"{'resets':>6s} {'T/step':>12s} {'grid err':>9s} {'bound(t)':>9s} {'seconds':>8s}"
    )
    over = "(a step is one bath cycle; no totals)" if emulated else f"t={args.time:g}"
    print(f"{scheme}: per step dt={args.dt:g}, {over}, light cone r={light_cone} (lattices: {lattice_cone}), "
          f"{'basis cx,rz,sx,x' if target is None else 'target ' + target.name}, "
          f"T-count at synthesis error {args.synthesis_error:g} over t")
    print(head)
    for label, n, edges in systems:
        start = time.perf_counter()
        cone = (light_cone if edges is None else lattice_cone) if n > 1 else None
        sampler = build_sampler(args, n=n, edges=edges, light_cone=cone, scheme=scheme)
        # a bath-emulation "step" is one cycle; its totals need --time in whole cycles, so none are asked for
        total = None if emulated else _snapshot_times(args.time, 2, args.dt)[-1]
        blocks = {"whole_blocks": args.whole_blocks} if scheme == "trotter_dilation" else {}
        res = sampler.resources(total, target=target, synthesis_error=args.synthesis_error, **blocks)
        grid = f"{'n/a':>9s}" if emulated else f"{max(sampler.form.errors.values()):9.1e}"
        bounded = not emulated and n <= 4 and sampler.light_cone is None
        bound = f"{float(sampler.error_bound(args.time)):9.2e}" if bounded else f"{'n/a':>9s}"
        print(
            f"{label:>16s} {n:4d} {res.qubits:6d} {res.two_qubit_gates_per_step:10d} {res.depth_per_step:11d} "
            f"{res.two_qubit_depth_per_step:10d} {res.resets_per_step:6d} {res.t_count_per_step:12.4g} "
            f"{grid} {bound} {time.perf_counter() - start:8.1f}",
            flush=True,
        )
    print("grid err: certified error of the time grids (filters, averages, coherent term) on the Bohr band, relative.")
    print("bound(t): the rigorous bound on ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁ from exact channels, for n ≤ 4 without a light cone.")
    if target is None and light_cone is not None and not args.whole_blocks:
        print("light cone: each distinct frame evolution is lowered once and counted as a box (upper bounds; "
              "--whole-blocks lowers every block whole, ~1 s per block).")
    if target is not None and light_cone is not None:
        print("on a target, each light-cone block is laid out on its own; moving the shared ancilla is not counted.")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kmsgibbs",
        description="Compile KMS master equations into Gibbs-state circuits and verify them on Aer.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser(
        "verify",
        help="run the compiled circuit on Aer and check it against the bound (default job)",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_model_options(v)
    v.add_argument(
        "--time", type=positive_float("--time"), default=None,
        help="final time (default: from the gap, when the exact evolution from |0…0> is within --distance/2 of Gibbs)",
    )
    v.add_argument(
        "--distance", type=unit_interval("--distance"), default=0.05,
        help="distance to Gibbs the run must be certified within to print REACHED GIBBS (default: 0.05)",
    )
    v.add_argument("--points", type=positive_int("--points", 1000), default=5, help="snapshot times (default: 5)")
    v.add_argument("--method", choices=("density_matrix", "statevector"), default="density_matrix")
    v.add_argument("--shots", type=_shots, default=None, help="trajectories, --method statevector only (default: 500)")
    v.add_argument(
        "--scheme", choices=("auto", "randomized", "trotter_dilation"), default="auto",
        help="auto (default): randomized for density_matrix (fewest gates per step), trotter_dilation for statevector",
    )
    v.add_argument(
        "--samples", type=_samples, default=None,
        help="randomized instances averaged (default: auto, as many as make the statistics decide, ≤ 256)",
    )
    v.add_argument("--json", metavar="FILE", help="write the report as JSON")
    v.add_argument("--plot", metavar="FILE", help="plot distance to Gibbs vs time (needs matplotlib)")
    v.add_argument(
        "--observables", action="store_true",
        help="check local observables (energy_per_site, zz_nearest, x_mean, z_mean) of randomized instances run as "
        "trajectories (statevector, MPS beyond 16 qubits) against the Gibbs values: any n (--samples default 64, "
        "--shots default 8)",
    )
    v.add_argument(
        "--light-cone", type=_light_cone, default=3,
        help="with --observables: light-cone radius of the frames, −1 for none (default: 3; radius 1 moved the TFIM "
        "fixed point at β = 1: ⟨ZZ⟩ 0.38 against 0.54 at n = 4)",
    )
    shown = v.add_mutually_exclusive_group()
    shown.add_argument("--progress", action="store_true", help="draw the progress bar even when stderr is not a terminal")
    shown.add_argument("--quiet", action="store_true", help="no progress on stderr (default: a bar on a terminal, else a line per stage)")
    v.set_defaults(func=_cmd_verify)
    c = sub.add_parser(
        "compile", help="write the compiled circuit as OpenQASM 3", epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_model_options(c)
    c.add_argument(
        "--scheme", choices=("trotter_dilation", "randomized", "bath_emulation"), default="trotter_dilation",
        help="trotter_dilation (default): the deterministic circuit; randomized: the parametric circuit, per step "
        "s[i], t[i], chi[i] (--family kms, dll, ckg); bath_emulation: one trajectory of sampled bath cycles "
        "drawn with --seed (--family coarse-grained; --time in whole cycles)",
    )
    c.add_argument("--time", type=positive_float("--time"), default=None, help="evolution time (default: one step, or one bath cycle)")
    c.add_argument("--qasm", metavar="FILE", required=True, help="output file")
    c.add_argument("--backend", help="map to this backend's ISA first (fake_fez, …, needs [ibm]; or generic_heavy_hex)")
    c.set_defaults(func=_cmd_compile)
    r = sub.add_parser(
        "resources", help="gate counts and T-count estimates (a table over n without --n)", epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_model_options(r, n_default=None)
    r.add_argument("--time", type=positive_float("--time"), default=1.0, help="evolution time (default: 1)")
    r.add_argument(
        "--scheme", choices=("trotter_dilation", "randomized", "bath_emulation"), default="trotter_dilation",
        help="trotter_dilation (default) or randomized (--family kms, dll, ckg); bath_emulation (--family coarse-grained, "
        "a row per bath cycle)",
    )
    r.add_argument("--light-cone", type=_light_cone, default=None, help="light-cone radius for the frames, −1 for none (default: 3)")
    r.add_argument("--backend", help="count the ISA circuit for this backend (fake_fez, …; or generic_heavy_hex)")
    r.add_argument("--whole-blocks", action="store_true", help="lower every light-cone block whole (slower, a few %% fewer gates)")
    r.add_argument(
        "--synthesis-error", type=positive_float("--synthesis-error"), default=1e-3,
        help="total Clifford+T synthesis error over --time (default: 1e-3)",
    )
    r.set_defaults(func=_cmd_resources)
    d = sub.add_parser(
        "design", help="the cheapest randomized circuits that reach a distance from the Gibbs state (n ≤ 5)",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = d.add_argument_group("model")
    _problem.add_system_options(g, n_default=3)
    g.add_argument("--beta", type=positive_float("--beta"), default=1.0, help="inverse temperature (default: 1)")
    g.add_argument("--seed", type=int, default=1234, help="seed for random models (default: 1234)")
    _problem.add_bath_options(
        d.add_argument_group("bath"),
        default="the design's: gaussian of width 2 for beta ≤ 1, gaussian-for-beta above; a bath option alone means gaussian",
    )
    d.add_argument("--distance", type=unit_interval("--distance"), required=True, help="target trace distance D in (0, 1)")
    d.add_argument("--epsilon", type=unit_interval("--epsilon"), default=None, help="grid accuracy (default: min(1e-2, D/2))")
    d.add_argument(
        "--coarse-graining-time", type=positive_float("--coarse-graining-time"), default=None,
        help="T (default: the cheaper of 1 and 2)",
    )
    d.add_argument("--max-ancillas", type=positive_int("--max-ancillas"), default=None, help="ancillas per shared sweep (default: one per coupling)")
    d.add_argument("--json", metavar="FILE", help="write the design as JSON")
    d.set_defaults(func=_cmd_design)
    return parser


def _cmd_design(args: argparse.Namespace) -> int:
    import json

    from kmsgibbs.compiler import design_sampler
    from kmsgibbs.compiler.files import atomic_write

    h, couplings = _problem.system(args, args.n, args.edges)
    start = time.perf_counter()
    d = design_sampler(
        h, couplings, args.beta, args.distance, bath=_problem.bath(args), epsilon=args.epsilon,
        coarse_graining_time=args.coarse_graining_time, max_ancillas=args.max_ancillas,
    )
    summary = {
        "model": args.model, "n": args.n, "beta": args.beta, "distance": args.distance, "method": d.method,
        "two_qubit_gates": d.two_qubit_gates, "steps": d.steps, "time": d.time, "dt": d.sampler.dt,
        "initial_state": d.initial_state, "predicted_distance": d.predicted_distance, "floor": d.floor,
        "qubits": d.sampler.num_system + d.sampler.num_ancillas,
        # the bath the design used: the one asked for, or its own choice at this β
        "bath": repr(d.sampler.lindbladian.parameters["bath"]),
        "candidates": [{"settings": label, "two_qubit_gates": cost} for label, cost in d.candidates],
    }
    print(f"{args.model} n={args.n} beta={args.beta:g}: design for distance {args.distance:g} ({d.method})")
    print(f"  {d.two_qubit_gates} two-qubit gates in {d.steps} steps of dt={d.sampler.dt:.4g} (time {d.time:.4g}), "
          f"start {d.initial_state}, {summary['qubits']} qubits, {summary['bath']}")
    print(f"  promised distance {d.predicted_distance:.4f} (floor {d.floor:.4f});  {time.perf_counter() - start:.1f} s")
    print("  candidates (CX to the distance; - = not reached):")
    for label, cost in d.candidates:
        print(f"    {'-' if cost is None else cost:>9} {label}")
    if args.json is not None:
        _write("json", args.json, lambda: atomic_write(args.json, json.dumps(summary, indent=2) + "\n"))
    return EXIT_PASS


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _exit(code: int, message: str) -> None:
    """Leave with ``code`` after one line on stderr (as ``argparse`` reports its own errors)."""
    sys.stderr.write(f"kmsgibbs: error: {message}\n")
    raise SystemExit(code)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options of a command line, resolved: the model read or built, the family's and the bath's
    defaults filled in (what ``build_sampler`` takes and the JSON reports record).

    Raises:
        SystemExit: code 2 with a one-line message on stderr for bad options (as ``main`` exits).
    """
    parser = _parser()
    args = parser.parse_args(argv)  # exits 2 with a one-line message on bad options
    try:
        _problem.resolve_model(args)
        if args.command == "design":
            _problem.resolve_bath(args, family=None)
        else:
            _problem.resolve_family(args)
    except (BadInput, ValueError) as exc:
        _exit(EXIT_BAD_INPUT, _one_line(exc))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code (see :data:`EXIT_CODES`). Never a traceback for a user error."""
    args = parse_args(argv)
    if args.command == "verify" and args.n > 6 and not args.observables:  # local observables need no exact channel
        _exit(EXIT_BAD_INPUT, f"--n: verify computes a rigorous bound from exact channels, n ≤ 6; got {args.n}")
    try:
        from kmsgibbs.compiler.memory import environment_limit

        environment_limit()  # a garbage KMSGIBBS_MEMORY_LIMIT is bad input even if no guard asks
        _check_outputs(args)  # before any work: an unusable path must not cost a whole run
        return args.func(args)
    except _OutputError as exc:
        _exit(EXIT_OUTPUT, _one_line(exc))
    except (BadInput, ValueError, TypeError) as exc:
        # library input errors (MemoryLimitError is a ValueError): one line, no traceback
        _exit(EXIT_BAD_INPUT, _one_line(exc))
    except KeyboardInterrupt:
        sys.stderr.write("kmsgibbs: interrupted\n")
        raise SystemExit(EXIT_INTERRUPTED) from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
