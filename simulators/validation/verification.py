"""Check on Aer that a compiled sampler prepares the Gibbs state within its error bound.

At each time t the report holds
  * d_circ(t)  = ½‖ρ_circuit(t) − σ_β‖₁ (Aer run of the compiled circuit, ancilla traced out),
  * d_exact(t) = ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁ against the exact generator (``exact.evolve``),
  * bound(t)   = ``CompiledSampler.error_bound(t)`` (rigorous: exact channels, Choi diamond bound),
  * d_L(t)     = ½‖e^{tL}ρ₀ − σ_β‖₁, the exact generator's own distance to Gibbs,
and the run passes when d_exact(t) ≤ bound(t) + s(t) and d_circ(t) ≤ bound(t) + d_L(t) + s(t) at
every t (the second is the triangle inequality), s(t) the 3σ statistical allowance of a trajectory
run or of the mean of K randomized instances (0 for one density matrix): s = 3·½√d·‖stderr‖_F, since
‖δρ‖₁ ≤ √d‖δρ‖_F. A statistical check is only as good as its allowance: when s(t) is not at most
half the bound it tests (at some t > 0), the verdict is INCONCLUSIVE, with the sample count that would
bring it there (s ∝ 1/√K). For randomized samplers (n ≤ 5) the mean is also compared with the exact
averaged evolution Φ̄ᵗρ₀: their distance must be within s(t). The bound is computed
from the circuit's own exact step channel, so it is honest for any circuit, broken or not; a run
therefore also fails when the certificate is empty: when d_L(T) + bound(T) at the last time is not
below the initial distance to Gibbs (a one-directional sweep, with its O(dt) local error, ends here).

A second verdict says whether the run *reached Gibbs*: for n ≤ 5 (the randomized scheme without a
light cone) the sampler's ``gibbs_bound(t, rho0=ρ₀)``, a rigorous bound on ½‖E[ρ_circuit(t)] − σ_β‖₁
that saturates in t, is reported at every t; the run reached Gibbs when it is ≤ the requested
distance at the last time. It is a promise about the circuits, so a measured distance to Gibbs above
it plus s(t) is a failure too. PASS alone means "within the bound", not "prepared the Gibbs state".
"""

from __future__ import annotations

import json
import math
import os
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from qiskit import QuantumCircuit
from qiskit.providers import BackendV2
from qiskit.quantum_info import SparsePauliOp, Statevector, partial_trace

from kmsgibbs.compiler._checks import check_choice, check_integer, check_seed
from kmsgibbs.compiler.analysis.certificate import MAX_CERTIFICATE_QUBITS
from kmsgibbs.compiler.files import atomic_open, atomic_write
from kmsgibbs.compiler.hardware import CircuitSource

from .. import runners as aer
from ..engine import exact
from ..engine.distances import trace_distance

if TYPE_CHECKING:  # Aer's noise module is only needed by callers that pass a model
    from qiskit_aer.noise import NoiseModel

__all__ = ["VerificationReport", "verify", "VERIFY_METHODS", "STATISTICAL_FRACTION", "MAX_AUTO_SAMPLES", "DEFAULT_DISTANCE"]

VERIFY_METHODS = ("density_matrix", "statevector")
#: A statistical allowance above this fraction of the bound it tests makes the verdict INCONCLUSIVE.
STATISTICAL_FRACTION = 0.5
#: ``samples=None``: a pilot of this many instances measures the spread, then verify runs as many as
#: bring the allowance to AUTO_TARGET of the bound (at most MAX_AUTO_SAMPLES).
PILOT_SAMPLES = 16
AUTO_TARGET = 0.4
MAX_AUTO_SAMPLES = 256
#: verify computes its bound from exact channels: up to this many system qubits (randomized: averaged channels).
VERIFY_MAX_QUBITS = 6
RANDOMIZED_MAX_QUBITS = 5
#: Trajectories per time of a ``method="statevector"`` verification.
DEFAULT_SHOTS = 500
#: The layout of ``VerificationReport.to_json``: 1 had no version fields, 2 adds them, the certificate
#: per time, the requested distance and the inputs.
SCHEMA_VERSION = 2
#: The distance to Gibbs a run must be certified within to have reached it.
DEFAULT_DISTANCE = 0.05


@dataclass(frozen=True)
class VerificationReport:
    """Distances to Gibbs and to the exact evolution over time, the bound, and the verdict.

    Attributes:
        label: what was run (model, generator, scheme, dt).
        method: the Aer method.
        times: snapshot times.
        distance_to_gibbs: ½‖ρ_circuit(t) − σ_β‖₁.
        distance_to_exact: ½‖ρ_circuit(t) − e^{tL}ρ₀‖₁.
        error_bound: the compiled bound on the latter.
        exact_distance_to_gibbs: ½‖e^{tL}ρ₀ − σ_β‖₁.
        statistical_error: the 3σ allowance on the distances (0 for density matrices).
        energy, energy_stderr: ⟨H⟩ of the circuit state and its standard error.
        thermal_energy: Tr(σ_β H).
        observables, observable_stderr: local observables over time.
        thermal_observables: their Gibbs values.
        failures: which checks failed, in words (empty when passed).
        shots: trajectories per time (``None`` for density matrices).
        seconds: wall time of the whole check.
        samples: randomized instances averaged (``None`` for a deterministic sampler).
        distance_to_average: ½‖mean − Φ̄ᵗρ₀‖₁ against the exact averaged evolution (randomized, n ≤ 5).
        inconclusive: why the statistics cannot decide, with the sample count they would need ("" if they can).
        gibbs_certificate: the sampler's ``gibbs_bound(t, rho0=ρ₀)`` per time, a rigorous bound on the
            distance to Gibbs (empty when the sampler has none: n > 5, or randomized with a light cone).
        requested_distance: the distance to Gibbs the run must be certified within to have reached it.
        inputs: what produced the report (the command's options, for a report the CLI wrote).
    """

    label: str
    method: str
    times: tuple[float, ...]
    distance_to_gibbs: tuple[float, ...]
    distance_to_exact: tuple[float, ...]
    error_bound: tuple[float, ...]
    exact_distance_to_gibbs: tuple[float, ...]
    statistical_error: tuple[float, ...]
    energy: tuple[float, ...]
    energy_stderr: tuple[float, ...]
    thermal_energy: float
    observables: dict[str, tuple[float, ...]] = field(default_factory=dict)
    observable_stderr: dict[str, tuple[float, ...]] = field(default_factory=dict)
    thermal_observables: dict[str, float] = field(default_factory=dict)
    failures: tuple[str, ...] = ()
    shots: int | None = None
    seconds: float = 0.0
    samples: int | None = None
    distance_to_average: tuple[float, ...] = ()
    inconclusive: str = ""
    gibbs_certificate: tuple[float, ...] = ()
    requested_distance: float = DEFAULT_DISTANCE
    inputs: dict[str, object] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """"FAIL" when a check failed, else "INCONCLUSIVE" when the statistics cannot decide, else "PASS"."""
        if self.failures:
            return "FAIL"
        return "INCONCLUSIVE" if self.inconclusive else "PASS"

    @property
    def passed(self) -> bool:
        return self.verdict == "PASS"

    @property
    def reached_gibbs(self) -> bool | None:
        """Whether the certificate at the last time is ≤ ``requested_distance`` (``None``: no certificate)."""
        if not self.gibbs_certificate:
            return None
        return self.gibbs_certificate[-1] <= self.requested_distance

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The report as JSON (``passed`` included, with ``schema_version`` and the ``kmsgibbs_version``
        that wrote it); written atomically to ``path`` when given.

        Raises:
            ValueError: a distance or bound is not finite (JSON has no NaN; the report would lie).
            OSError: ``path`` cannot be written (the old file, if any, is left as it was).
        """
        from kmsgibbs import __version__

        data = {"schema_version": SCHEMA_VERSION, "kmsgibbs_version": __version__, **asdict(self)}
        data["passed"] = self.passed
        data["verdict"] = self.verdict
        data["reached_gibbs"] = self.reached_gibbs
        for key, value in data.items():  # JSON has no NaN: name the field instead of writing a lie
            values = value.values() if isinstance(value, dict) else (value if isinstance(value, tuple) else [value])
            flat = [x for v in values for x in (v if isinstance(v, tuple) else [v])]
            if any(isinstance(x, float) and not math.isfinite(x) for x in flat):
                raise ValueError(f"the report's {key} is not finite ({value!r}); it cannot be written as JSON")
        text = json.dumps(data, indent=2, allow_nan=False)
        if path is not None:
            # a temporary file beside the target, renamed over it: an interrupted write leaves the old file
            atomic_write(path, text + "\n")
        return text

    @classmethod
    def from_json(cls, text: str) -> VerificationReport:
        """A report from ``to_json``'s text, of this schema or an older one (version 1 had no
        ``schema_version``; fields it lacks take their defaults).

        Raises:
            ValueError: a schema newer than this package reads (upgrade kmsgibbs to read it).
        """
        data = json.loads(text)
        schema = data.pop("schema_version", 1)
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise ValueError(f"report schema_version {schema!r} is newer than this kmsgibbs reads ({SCHEMA_VERSION}); upgrade")
        data.pop("kmsgibbs_version", None)
        data.pop("passed", None)
        data.pop("verdict", None)
        data.pop("reached_gibbs", None)
        for key in (
            "times",
            "distance_to_gibbs",
            "distance_to_exact",
            "error_bound",
            "exact_distance_to_gibbs",
            "statistical_error",
            "energy",
            "energy_stderr",
            "failures",
            "distance_to_average",
            "gibbs_certificate",
        ):
            data[key] = tuple(data.get(key, ()))
        for key in ("observables", "observable_stderr"):
            data[key] = {k: tuple(v) for k, v in data.get(key, {}).items()}
        return cls(**data)

    def table(self) -> str:
        """A readable table, one row per time, ending with PASS or FAIL."""
        stat = self.shots is not None or self.samples is not None
        head = f"{'t':>7s} {'d(circ,Gibbs)':>14s} {'d(circ,exact)':>14s} {'bound':>10s} {'d(exact,Gibbs)':>15s} {'<H>':>10s}"
        if stat:
            head += f" {'3σ allowance':>13s} {'±<H>':>8s}"
        rows = [self.label, head]
        for i, t in enumerate(self.times):
            row = (
                f"{t:7.3g} {self.distance_to_gibbs[i]:14.3e} {self.distance_to_exact[i]:14.3e} "
                f"{self.error_bound[i]:10.3e} {self.exact_distance_to_gibbs[i]:15.3e} {self.energy[i]:10.4f}"
            )
            if stat:
                row += f" {self.statistical_error[i]:13.3e} {self.energy_stderr[i]:8.4f}"
            rows.append(row)
        if self.samples is not None:
            rows.append(f"mean of {self.samples} randomized instances")
        if self.distance_to_average:
            rows.append("distance of the mean to the exact averaged evolution: " + ", ".join(f"{x:.2e}" for x in self.distance_to_average))
        if self.gibbs_certificate:
            rows.append("certified distance to Gibbs: " + ", ".join(f"{x:.2e}" for x in self.gibbs_certificate))
        rows.append(f"thermal <H> = {self.thermal_energy:.4f};  {self.seconds:.1f} s")
        rows.extend(f"FAILED: {msg}" for msg in self.failures)
        if self.inconclusive and not self.failures:
            rows.append(f"INCONCLUSIVE: {self.inconclusive}")
        rows.append(self._gibbs_line())
        rows.append(self.verdict)
        return "\n".join(rows)

    def _gibbs_line(self) -> str:
        if self.reached_gibbs is None:
            return "GIBBS NOT CERTIFIED: no certificate for this sampler (n ≤ 5, randomized without a light cone)"
        t, bound = self.times[-1], self.gibbs_certificate[-1]
        if self.reached_gibbs:
            return f"REACHED GIBBS: certified within {bound:.3e} ≤ {self.requested_distance:g} of Gibbs at t={t:g}"
        return f"GIBBS NOT REACHED: certified within {bound:.3e} > {self.requested_distance:g} of Gibbs at t={t:g}"

    def plot(self, path: str | os.PathLike) -> None:
        """Distance to Gibbs vs time (log scale) with the certified band [d_L(t), d_L(t) + bound(t)]; needs ``[plot]``.

        The format follows the suffix of ``path`` (``.png``, ``.pdf``, ``.svg``, …); the file is
        written atomically (a temporary file beside it, renamed over it once complete).

        Raises:
            ValueError: the suffix is not a format matplotlib can write.
            OSError: ``path`` cannot be written (the old file, if any, is left as it was).
        """
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("plot needs matplotlib: pip install 'kmsgibbs[plot]'") from exc
        t = np.asarray(self.times)
        ref = np.asarray(self.exact_distance_to_gibbs)
        bound = np.asarray(self.error_bound)
        fmt = plot_format(path)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.fill_between(t, ref, ref + bound, alpha=0.25, label="exact + bound (certified region)")
        ax.plot(t, ref, "k--", label="exact $e^{tL}\\rho_0$")
        ax.plot(t, self.distance_to_gibbs, "o-", label=f"circuit ({self.method})")
        if self.gibbs_certificate:
            ax.plot(t, self.gibbs_certificate, "r:", label="certificate (distance to Gibbs)")
        ax.set_yscale("log")
        ax.set_xlabel("t")
        ax.set_ylabel("½‖ρ(t) − σ_β‖₁")
        ax.set_title("\n".join(textwrap.wrap(self.label, 70)), fontsize=8)  # a long label wraps, never clips
        ax.legend()
        fig.tight_layout()
        try:
            # savefig into the temporary file: the format cannot come from its name, so it is explicit
            with atomic_open(path, "wb") as handle:
                fig.savefig(handle, format=fmt)
        finally:
            plt.close(fig)


def _allowance(run, dim: int) -> tuple[float, ...]:
    """3σ on the trace distance of the estimated state: 3·½√d·‖stderr‖_F (0 for exact states)."""
    if run.state_stderr is None:
        return (0.0,) * len(run.times)
    return tuple(3 * 0.5 * math.sqrt(dim) * float(np.linalg.norm(e)) for e in run.state_stderr)


def _worst_ratio(stat: Sequence[float], bound: Sequence[float], times: Sequence[float]) -> tuple[float, float]:
    """The largest allowance / bound over t > 0, and its time."""
    return max(((s / b, t) for s, b, t in zip(stat, bound, times) if t > 0 and b > 0), default=(0.0, 0.0))


def plot_format(path: str | os.PathLike) -> str:
    """The matplotlib format named by the suffix of ``path`` (``png`` when there is none).

    Raises:
        ValueError: naming the path, for a suffix matplotlib cannot write.
    """
    suffix = Path(path).suffix.lower().lstrip(".")
    if not suffix:
        return "png"
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:  # pragma: no cover - depends on the environment
        return suffix
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix not in formats:
        raise ValueError(
            f"plot path {str(path)!r}: matplotlib cannot write {suffix!r} files (use one of {', '.join(sorted(formats))})"
        )
    return suffix


def _name(backend) -> str:
    return str(getattr(backend, "name", type(backend).__name__))


def verify(
    sampler: CircuitSource,
    times: Sequence[float],
    *,
    method: str = "density_matrix",
    initial_state: QuantumCircuit | str | None = None,
    seed: int | None = None,
    shots: int | None = None,
    observables: Mapping[str, SparsePauliOp] | None = None,
    label: str | None = None,
    device: str | None = None,
    progress: Callable[[str, float], None] | None = None,
    noise_model: NoiseModel | None = None,
    backend: BackendV2 | None = None,
    samples: int | None = None,
    distance: float = DEFAULT_DISTANCE,
) -> VerificationReport:
    """Run ``sampler`` on Aer and check it against the exact generator and the Gibbs state.

    Args:
        sampler: a ``CompiledSampler`` (n ≤ 6: its error bound is computed from exact channels).
        times: snapshot times, multiples of dt, in one Aer job.
        method: "density_matrix" or "statevector" (trajectories, with a 3σ allowance).
        initial_state: as for ``CompiledSampler.circuit`` (default |0…0⟩).
        seed: simulator seed (required for trajectories).
        shots: trajectories per time, for "statevector" only (default 500; refused with density matrices,
            which have no shots).
        observables: extra local observables (name → SparsePauliOp on the system); default ⟨Z_0⟩, ⟨X_0⟩.
        label: a description for the table and the JSON.
        device: Aer device ("CPU"/"GPU"; default GPU when available).
        progress: called as ``progress(stage, fraction)`` between the stages.
        noise_model: an Aer ``NoiseModel`` (e.g. ``NoiseModel.from_backend(FakeFez())``): run the
            ISA circuits for ``backend`` under it (density matrix, gate level). The report then shows
            whether hardware noise or the algorithm dominates; a noisy run usually fails the
            algorithmic bound, and says so.
        backend: the backend the noise model describes (required with ``noise_model``): the circuits
            are mapped to its target so that the noise acts on the right physical qubits and gates.
        samples: for a randomized sampler, the K instances run in one Aer job (``seed`` is required);
            their mean is what is checked. ``None``: a pilot of 16 measures the spread, then as many
            as bring the 3σ allowance to 0.4 of the bound (at most :data:`MAX_AUTO_SAMPLES`).
        distance: the distance to Gibbs the certificate must reach at the last time for the second
            verdict, ``reached_gibbs`` (it does not change ``verdict``).
    """
    import time as _time

    start = _time.perf_counter()
    method = check_choice("method", method, VERIFY_METHODS)
    randomized = aer.is_randomized(sampler)
    aer.check_sampler(sampler, "verify", randomized=randomized)
    if shots is not None and (method != "statevector" or randomized):
        raise ValueError(f"shots={shots!r} applies to method='statevector' (trajectories) only; drop it")
    shots = DEFAULT_SHOTS if shots is None else check_integer("shots", shots, minimum=2)
    seed = None if seed is None else check_seed("seed", seed)
    if samples is not None:
        samples = check_integer("samples", samples, minimum=1)
    lind = sampler.lindbladian
    n = sampler.num_system
    largest = RANDOMIZED_MAX_QUBITS if randomized else VERIFY_MAX_QUBITS
    if n > largest:  # before the Aer run: the bound and the exact reference come after it
        instead = (
            "estimate its averaged evolution with aer.run_instances or primitives.estimate_instances (no bound)"
            if randomized
            else "run it with aer.run_trajectories or aer.run_mps and bound it with sampler.error_bound(t, method='norms')"
        )
        what = "exact averaged channel" if randomized else "exact step channel"
        raise ValueError(f"verify checks against a bound from the {what}, n ≤ {largest}; got a {n}-qubit sampler: {instead}")
    times = tuple(float(t) for t in times)
    for t in times:
        sampler.num_steps(t)  # multiples of dt, ≥ 0: refuse before any work
    if observables is None:
        observables = {
            "Z0": SparsePauliOp.from_sparse_list([("Z", [0], 1.0)], n),
            "X0": SparsePauliOp.from_sparse_list([("X", [0], 1.0)], n),
        }
    ops = {"energy": lind.hamiltonian, **observables}
    notify = progress or (lambda stage, fraction: None)
    if noise_model is not None:
        if backend is None:
            raise ValueError("noise_model needs backend= (the device it describes), to map the circuits onto its qubits")
        if method != "density_matrix":
            raise ValueError(f"a noisy verification runs the density matrix; got method={method!r}")
    if randomized and (noise_model is not None or method != "density_matrix"):
        raise ValueError("a randomized sampler is verified by density matrices of its instances, without a noise model")
    if randomized and seed is None:
        raise ValueError("seed is required for a randomized sampler (its instances are random)")
    if not (isinstance(distance, (int, float)) and 0 < distance <= 1):
        raise ValueError(f"distance must be a number in (0, 1], got {distance!r}")
    if not randomized and samples is not None:
        raise ValueError("samples applies to randomized samplers (compile_sampler(..., scheme='randomized'))")
    notify(f"Aer {method} run", 0.1)
    d = 2**n
    if randomized:
        notify("error bound", 0.1)
        bound = tuple(float(sampler.error_bound(t)) for t in times)

        def instances(count: int) -> aer.AerRun:
            return aer.run_instances(
                sampler, times, samples=count, seed=seed, initial_state=initial_state, observables=ops, device=device,
                progress=lambda stage, fraction: notify(stage, 0.2 + 0.4 * fraction),
            )

        if samples is None:
            run = instances(PILOT_SAMPLES)
            ratio = _worst_ratio(_allowance(run, d), bound, times)[0]
            wanted = min(MAX_AUTO_SAMPLES, max(PILOT_SAMPLES, math.ceil(PILOT_SAMPLES * (ratio / AUTO_TARGET) ** 2)))
            if wanted > PILOT_SAMPLES:  # the same seed: the pilot's instances are the first rows again
                run = instances(wanted)
        else:
            run = instances(samples)
    elif noise_model is not None:
        run = aer.run_noisy(
            sampler, times, backend=backend, noise_model=noise_model, initial_state=initial_state, observables=ops, seed=seed
        )
    elif method == "density_matrix":
        run = aer.run_density_matrix(
            sampler,
            times,
            initial_state=initial_state,
            observables=ops,
            device=device,
            progress=lambda stage, fraction: notify(stage, 0.1 + 0.5 * fraction),
        )
    else:
        if seed is None:
            raise ValueError("seed is required for method='statevector' (trajectories are random)")
        run = aer.run_trajectories(
            sampler,
            times,
            shots=shots,
            seed=seed,
            initial_state=initial_state,
            observables=ops,
            device=device,
            batches=10 if progress is not None else 1,
            progress=lambda stage, fraction: notify(stage, 0.1 + 0.5 * fraction),
        )
    if run.states is None:
        raise ValueError(f"verify needs the reduced states; n = {n} is too large for per-shot states")
    notify("exact reference", 0.6)
    gibbs = lind.gibbs_state()
    # ρ₀ from the sampler's own preparation circuit, so verify and the circuit read initial_state alike
    prep = Statevector(sampler.circuit(0.0, initial_state=initial_state))
    rho0 = partial_trace(prep, sampler.ancilla_qubits).data
    reference = exact.evolve(lind, rho0, times, include_system_hamiltonian=sampler.include_system_hamiltonian)
    if not randomized:
        notify("error bound", 0.7)
        bound = tuple(float(sampler.error_bound(t)) for t in times)
    certificate: tuple[float, ...] = ()
    if hasattr(sampler, "gibbs_bound") and n <= MAX_CERTIFICATE_QUBITS and not (randomized and sampler.light_cone is not None):
        notify("Gibbs certificate", 0.75)
        certificate = tuple(sampler.gibbs_bound(t, rho0=rho0).total for t in times)
    notify("done", 1.0)
    stat = _allowance(run, d)
    to_gibbs = tuple(trace_distance(rho, gibbs) for rho in run.states)
    to_exact = tuple(trace_distance(rho, ref) for rho, ref in zip(run.states, reference))
    exact_gibbs = tuple(trace_distance(ref, gibbs) for ref in reference)
    failures = []
    # a NaN compares False with everything: without this a broken run would PASS every check below
    for name, values in (
        ("distance to Gibbs", to_gibbs), ("distance to the exact evolution", to_exact), ("error bound", bound),
        ("exact distance to Gibbs", exact_gibbs), ("statistical allowance", stat), ("Gibbs certificate", certificate),
    ):
        bad = [f"{t:g}" for t, x in zip(times, values) if not math.isfinite(x)]
        if bad:
            failures.append(f"the {name} is not finite at t = {', '.join(bad)}")
    for i, t in enumerate(times):
        if to_exact[i] > bound[i] + stat[i]:
            failures.append(f"t={t:g}: distance to e^(tL)rho0 {to_exact[i]:.3e} exceeds bound {bound[i]:.3e} + {stat[i]:.1e}")
        if to_gibbs[i] > bound[i] + exact_gibbs[i] + stat[i]:
            failures.append(
                f"t={t:g}: distance to Gibbs {to_gibbs[i]:.3e} exceeds bound + exact distance "
                f"{bound[i] + exact_gibbs[i]:.3e} + {stat[i]:.1e}"
            )
    for t, x, c, s in zip(times, to_gibbs, certificate, stat):
        if x > c + s:
            failures.append(f"t={t:g}: distance to Gibbs {x:.3e} exceeds its certificate {c:.3e} + {s:.1e}")
    to_average: tuple[float, ...] = ()
    if randomized and n <= 5 and sampler.light_cone is None:
        notify("averaged evolution", 0.8)
        average = [sampler.averaged_channel(sampler.num_steps(t)) @ rho0.reshape(-1, order="F") for t in times]
        to_average = tuple(trace_distance(rho, a.reshape(d, d, order="F")) for rho, a in zip(run.states, average))
        for t, x, s in zip(times, to_average, stat):
            if x > s + 1e-9:
                failures.append(f"t={t:g}: the mean is {x:.3e} from the exact averaged evolution, beyond its allowance {s:.1e}")
    inconclusive = ""
    count = run.samples or run.shots
    if count:
        worst = _worst_ratio(stat, bound, times)
        if worst[0] > STATISTICAL_FRACTION:
            needed = math.ceil(count * (worst[0] / STATISTICAL_FRACTION) ** 2)
            what = "samples" if run.samples else "shots"
            inconclusive = (
                f"at t={worst[1]:g} the 3σ statistical allowance is {worst[0]:.2f} of the bound it tests (at most "
                f"{STATISTICAL_FRACTION} decides); about {needed} {what} would bring it there, {count} were run"
            )
    certified = bound[-1] + exact_gibbs[-1]
    if len(times) > 1 and not certified < exact_gibbs[0]:
        failures.append(
            f"the bound certifies nothing: at t={times[-1]:g} bound + exact distance {certified:.3e} is not below "
            f"the initial distance to Gibbs {exact_gibbs[0]:.3e}"
        )
    thermal = {name: float(np.real(np.trace(op.to_matrix() @ gibbs))) for name, op in ops.items()}
    return VerificationReport(
        label=(label or f"n={n}, {lind.family}, dt={sampler.dt:g}, {method}")
        + (f" [noise of {_name(backend)}]" if noise_model is not None else ""),
        method=method,
        times=times,
        distance_to_gibbs=to_gibbs,
        distance_to_exact=to_exact,
        error_bound=bound,
        exact_distance_to_gibbs=exact_gibbs,
        statistical_error=stat,
        energy=run.observables["energy"],
        energy_stderr=run.observable_stderr["energy"],
        thermal_energy=thermal.pop("energy"),
        observables={k: v for k, v in run.observables.items() if k != "energy"},
        observable_stderr={k: v for k, v in run.observable_stderr.items() if k != "energy"},
        thermal_observables=thermal,
        failures=tuple(failures),
        shots=run.shots,
        seconds=_time.perf_counter() - start,
        samples=run.samples,
        distance_to_average=to_average,
        inconclusive=inconclusive,
        gibbs_certificate=certificate,
        requested_distance=float(distance),
    )
