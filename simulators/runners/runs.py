"""What every Aer runner shares: the run's result, the sampler and device checks, checked times and observables."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler._checks import check_byte_count
from kmsgibbs.compiler.memory import memory_limit, require_memory


@dataclass(frozen=True)
class AerRun:
    """Reduced system states and observables at the requested times.

    Attributes:
        times: the snapshot times.
        method: the Aer method.
        device: "CPU" or "GPU".
        states: system density matrices (exact for ``density_matrix``; the shot average for
            trajectories), or ``None`` when not saved (large systems).
        state_stderr: elementwise standard error of ``states`` (trajectories), else ``None``.
        observables: name → values at each time (means over shots for trajectories).
        observable_stderr: name → standard errors of the means (zeros for ``density_matrix``).
        shots: trajectories per time (``None`` for ``density_matrix``).
        seconds: wall time of compile-for-simulation plus the Aer job.
    """

    times: tuple[float, ...]
    method: str
    device: str
    states: tuple[np.ndarray, ...] | None
    state_stderr: tuple[np.ndarray, ...] | None
    observables: dict[str, tuple[float, ...]] = field(default_factory=dict)
    observable_stderr: dict[str, tuple[float, ...]] = field(default_factory=dict)
    shots: int | None = None
    seconds: float = 0.0
    samples: int | None = None

def is_randomized(sampler) -> bool:
    """Whether ``sampler`` hands out random instances of a parametric circuit (the randomized scheme)."""
    return callable(getattr(sampler, "parameter_values", None))


#: The runners of each sampler kind, named in the refusal of the other kind.
_DETERMINISTIC_RUNNERS = "aer.run_density_matrix, aer.run_trajectories, aer.run_mps, primitives.estimate or primitives.sample"
_RANDOMIZED_RUNNERS = "aer.run_instances(sampler, times, samples=K, seed=...) or primitives.estimate_instances"


def check_sampler(sampler: object, call: str, *, randomized: bool) -> None:
    """Refuse, at the door of ``call``, a sampler it cannot run, naming the call that runs it.

    Args:
        sampler: what the user passed.
        call: the public call, as the user wrote it (``"aer.run_density_matrix"``).
        randomized: whether ``call`` runs a ``RandomizedSampler`` (else a ``DilationSampler``).

    Raises:
        TypeError: naming the sampler's type and the calls that fit it.
    """
    from kmsgibbs.compiler import DilationSampler
    from kmsgibbs.compiler.schemes.randomized import RandomizedSampler

    if isinstance(sampler, RandomizedSampler if randomized else DilationSampler):
        return
    kind = type(sampler).__name__
    if isinstance(sampler, RandomizedSampler):
        fits = f"its instances run with {_RANDOMIZED_RUNNERS}"
    elif isinstance(sampler, DilationSampler):
        fits = f"a deterministic sampler runs with {_DETERMINISTIC_RUNNERS}"
    else:
        fits = "compile with scheme='trotter_dilation' or scheme='randomized' for circuits these runners take"
    wanted = "a RandomizedSampler (scheme='randomized')" if randomized else "a DilationSampler (scheme='trotter_dilation')"
    raise TypeError(f"{call} runs {wanted}, got a {kind}; {fits}")


def select_device(device: str | None = None) -> str:
    """``device`` if given (checked against Aer's devices), else "GPU" when Aer offers one, else "CPU"."""
    from qiskit_aer import AerSimulator

    available = tuple(AerSimulator().available_devices())
    if device is None:
        return "GPU" if "GPU" in available else "CPU"
    if device not in available:
        raise ValueError(f"device={device!r} is not available to Aer here (available: {available})")
    return device


def _require_state_memory(method: str, num_qubits: int, max_bytes: int | None) -> None:
    """Refuse a simulator state (16·4^N bytes for a density matrix, 16·2^N for a statevector) that
    does not fit under the memory limit (or ``max_bytes`` when smaller)."""
    if max_bytes is not None:
        max_bytes = check_byte_count("max_bytes", max_bytes)
    base = 4 if method == "density_matrix" else 2
    need = 16 * base**num_qubits
    cap = memory_limit() if max_bytes is None else min(max_bytes, memory_limit())
    largest = max(0, int(math.log(max(cap, 16) / 16, base)))
    alternative = (
        "use method='statevector' (trajectories) or, for 1D chains, run_mps"
        if method == "density_matrix"
        else "use run_mps (matrix product states) for 1D chains"
    )
    require_memory(
        f"the {method} state of {num_qubits} qubits (system + ancilla)",
        need,
        alternative=alternative,
        fits=f"{largest} qubits",
        limit=max_bytes,
    )


def _checked_times(sampler, times: Sequence[float] | float) -> tuple[tuple[float, ...], list[int]]:
    times = (float(times),) if np.isscalar(times) else tuple(float(t) for t in times)
    if not times:
        raise ValueError("times must not be empty")
    steps = [sampler.num_steps(t) for t in times]
    if any(b < a for a, b in zip(steps, steps[1:])):
        raise ValueError(f"times must be non-decreasing, got {times}")
    return times, steps


def _checked_observables(sampler, observables: Mapping[str, SparsePauliOp] | None) -> dict[str, SparsePauliOp]:
    out = {}
    for name, op in (observables or {}).items():
        if not isinstance(op, SparsePauliOp):
            raise ValueError(f"observable {name!r} must be a SparsePauliOp, got {type(op).__name__}")
        if op.num_qubits != sampler.num_system:
            raise ValueError(
                f"observable {name!r} acts on {op.num_qubits} qubits, the system has {sampler.num_system}"
            )
        out[name] = op
    return out


