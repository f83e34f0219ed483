"""Iterating a channel from |0…0⟩ until it reaches each target distance to σ: the benchmarks' one loop.

The cost table, the reset-scheme scan and the tables built on them count steps (or cycles) to a distance
D with this loop: blocks of consecutive states by repeated matvecs, then their trace distances in one
batched ``eigvalsh``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmsgibbs.compiler.bath_emulation import channel_fixed_point

__all__ = ["TARGETS", "MAX_STEPS", "Convergence", "converge", "trace_distances"]

#: The target distances D of the tables.
TARGETS = (0.1, 0.05, 0.02, 0.01)
#: Steps tried before a target above the floor is called not reached ("capped").
MAX_STEPS = 200_000
#: States per batched distance evaluation.
BLOCK = 512


def trace_distances(states: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """½‖ρ_j − σ‖₁ for a stack of density matrices (batched eigvalsh: many steps at once)."""
    diff = states - sigma[None]
    diff = 0.5 * (diff + diff.conj().transpose(0, 2, 1))
    return 0.5 * np.abs(np.linalg.eigvalsh(diff)).sum(axis=1)



@dataclass
class Convergence:
    """Steps (or cycles) to each target distance, and the channel's floor."""

    steps: dict[float, int | None]
    floor: float
    capped: bool  # a target above the floor was not reached within MAX_STEPS


def converge(
    channels: np.ndarray | list[np.ndarray],
    sigma: np.ndarray,
    targets=TARGETS,
    max_steps: int = MAX_STEPS,
    block: int = BLOCK,
) -> Convergence:
    """Iterate the step channel(s) on |0…0⟩ and record the first step at which each D is reached.

    ``channels``: one channel, or the C channels of a cycle applied in turn (step j applies channels[j % C]).
    The floor is the distance of the cycle's fixed point. Only targets above it are searched: below it
    the states converge to ρ_fp and cannot reach them (up to a transient dip, which the iteration still
    catches as long as some target remains open).
    """
    channels = [channels] if isinstance(channels, np.ndarray) else list(channels)
    d = sigma.shape[0]
    cycle = np.eye(d * d, dtype=complex)
    for c in channels:
        cycle = c @ cycle
    floor = float(trace_distances(channel_fixed_point(cycle)[None], sigma)[0])
    steps: dict[float, int | None] = {D: None for D in targets}
    open_targets = [D for D in targets if D > floor]
    vec = np.zeros(d * d, dtype=complex)
    vec[0] = 1.0  # |0…0⟩⟨0…0| (column-stacked)
    start = float(trace_distances(vec.reshape(d, d, order="F")[None], sigma)[0])
    for D in list(open_targets):
        if start <= D:
            steps[D] = 0
            open_targets.remove(D)
    k = 0
    # a block of consecutive states by repeated matvecs, then their distances in one batched eigvalsh
    while open_targets and k < max_steps:
        states = np.empty((block, d * d), dtype=complex)
        for j in range(block):
            vec = channels[(k + j) % len(channels)] @ vec
            states[j] = vec
        dist = trace_distances(states.reshape(block, d, d).transpose(0, 2, 1), sigma)
        for D in list(open_targets):
            hit = np.flatnonzero(dist <= D)
            if hit.size:
                steps[D] = k + int(hit[0]) + 1
                open_targets.remove(D)
        k += block
    return Convergence(steps, floor, capped=bool(open_targets))
