"""The search behind ``design_sampler``: candidates over dt and the initial state, priced and promised.

Each candidate (a compiled randomized sampler and a product start) is priced from one lowering of its
cycle and promised a distance by one of two methods:

* ``"exact"``: its exact averaged channels iterated on the start, against the exact Gibbs state
  (½‖Φ̄^k ρ₀ − σ_β‖₁ exactly, for the mean over infinitely many instances);
* ``"certified"``: its Gibbs certificate ``sampler.gibbs_bound(k·dt, rho0=ρ₀)`` (transient + the step
  errors damped by the ideal semigroup; docs/certificate.md), an upper bound on the same distance.

References:
    Scandi & Alhambra, arXiv:2505.20064; Szehr & Wolf, arXiv:1210.1171 (the certificate).
"""

from __future__ import annotations

import math

import numpy as np
from qiskit import QuantumCircuit, transpile

from .bath_emulation import channel_fixed_point
from .compile import compile_sampler

__all__ = ["COUNT_BASIS", "DT_FRACTIONS", "INITIAL_STATES", "MAX_STEPS", "METHODS", "count_cx", "search"]

#: Two-qubit gates are CX after lowering to this basis (all-to-all, optimization_level=1).
COUNT_BASIS = ("cx", "rz", "sx", "x", "reset")
#: dt candidates, as fractions of the dilation's largest step (dt·strength = 1/4).
DT_FRACTIONS = (1.0, 0.75, 0.5, 0.25, 0.125)
#: Steps the exact iteration tries before it calls a distance unreachable at that candidate.
MAX_STEPS = 4000
INITIAL_STATES = ("zero", "plus", "mixed")
INITIAL_STATES = ("zero", "plus", "mixed")
#: How a candidate's distance is promised (module docstring).
METHODS = ("exact", "certified")


def _distance(rho: np.ndarray, sigma: np.ndarray) -> float:
    return 0.5 * float(np.abs(np.linalg.eigvalsh(rho - sigma)).sum())


def _initial(name: str, d: int) -> np.ndarray:
    if name == "zero":
        rho = np.zeros((d, d), dtype=complex)
        rho[0, 0] = 1.0
        return rho
    if name == "plus":
        return np.full((d, d), 1.0 / d, dtype=complex)
    return np.eye(d, dtype=complex) / d


def _steps_to(
    channels: list[np.ndarray], rho0: np.ndarray, sigma: np.ndarray, distances: list[float]
) -> dict[float, tuple[int, float]]:
    """For each D, the first step k (step j applies channels[j mod C]) with ½‖ρ_k − σ‖₁ ≤ D, and that
    distance; one iteration serves every D (those not reached within MAX_STEPS are left out)."""
    d = sigma.shape[0]
    vec = rho0.reshape(-1, order="F")
    first: dict[float, tuple[int, float]] = {}
    for k in range(MAX_STEPS + 1):
        if k:
            vec = channels[(k - 1) % len(channels)] @ vec
        rho = vec.reshape(d, d, order="F")
        dist = _distance(0.5 * (rho + rho.conj().T), sigma)
        for D in distances:
            if D not in first and dist <= D:
                first[D] = (k, dist)
        if len(first) == len(distances):
            break
    return first


def _certified_steps(sampler, rho0: np.ndarray, distances: list[float]) -> dict[float, tuple[int, float]]:
    """For each D, the first step k whose certificate ``gibbs_bound(k·dt, rho0)`` is ≤ D, and that bound
    (the certificate extends its path step by step, so the scan in k reuses it)."""
    first: dict[float, tuple[int, float]] = {}
    for k in range(MAX_STEPS + 1):
        bound = sampler.gibbs_bound(k * sampler.dt, rho0=rho0).total
        for D in distances:
            if D not in first and bound <= D:
                first[D] = (k, bound)
        if len(first) == len(distances):
            break
    return first


def _fixed_point_distance(channels: list[np.ndarray], sigma: np.ndarray) -> float:
    cycle = np.eye(channels[0].shape[0], dtype=complex)
    for c in channels:
        cycle = c @ cycle
    return _distance(channel_fixed_point(cycle), sigma)


def count_cx(circuit: QuantumCircuit) -> int:
    """CX of ``circuit`` lowered to :data:`COUNT_BASIS` (all-to-all, optimization level 1)."""
    return int(transpile(circuit, basis_gates=list(COUNT_BASIS), optimization_level=1).count_ops().get("cx", 0))


def search(
    lind,
    sigma: np.ndarray,
    limit: float,
    distances: list[float],
    options: dict,
    floors: list[float],
    found: dict[float, list[tuple[int | None, str, dict]]],
    tag: str,
    method: str = "exact",
) -> None:
    """Add to ``found[D]`` the candidates of one generator and one set of compile options over dt and the
    initial state, for every D of ``distances``, each promised by ``method`` (module docstring)."""
    n = lind.hamiltonian.num_qubits
    probe = compile_sampler(lind, dt=DT_FRACTIONS[-1] * limit, **options)
    # a step's gates do not depend on dt: one lowering of a cycle prices every dt
    prefix = [0] + [count_cx(probe.circuit(r * probe.dt)) for r in range(1, probe.cycle + 1)]
    reached_at: dict[float, float] = {}
    for fraction in DT_FRACTIONS:
        # halving dt again doubles the steps at the same gates per step: never cheaper for that D
        open_ = [D for D in distances if D not in reached_at or fraction >= reached_at[D] / 2]
        if not open_:
            break
        sampler = compile_sampler(lind, dt=fraction * limit, **options)
        if method == "certified":
            channels = None
            floor = sampler.gibbs_bound(math.inf).total
        else:
            channels = sampler.averaged_step_channels()
            floor = _fixed_point_distance(channels, sigma)
        floors.append(floor)
        one_way = " one-way sweeps" if options["one_way_sweeps"] else ""
        for start in INITIAL_STATES:
            label = f"{tag} dt={sampler.dt:.4g} ({fraction:g}·limit) ε={options['epsilon']:g}{one_way} start={start}"
            live = [D for D in open_ if D > floor]
            rho0 = _initial(start, 2**n)
            if not live:
                first = {}
            elif method == "certified":
                first = _certified_steps(sampler, rho0, live)
            else:
                first = _steps_to(channels, rho0, sigma, live)
            for D in open_:
                if D not in first:
                    found[D].append((None, label, {}))
                    continue
                steps, reached = first[D]
                reached_at.setdefault(D, fraction)
                cycles, rest = divmod(steps, sampler.cycle)
                found[D].append((
                    cycles * prefix[-1] + prefix[rest],
                    label,
                    {"sampler": sampler, "steps": steps, "start": start, "reached": reached, "floor": floor},
                ))
