"""Randomized instances on many workers: a Dask cluster, or any ``concurrent.futures`` executor.

Instances of the randomized scheme are independent, so K of them split into chunks that run as separate
Aer jobs anywhere; the chunks' means and spreads pool exactly into those of the K instances. The work
travels as one ``cloudpickle`` payload (the sampler) per chunk; the result is the same
:class:`~kmsgibbs.simulators.AerRun` as :func:`aer.run_instances` returns.

From a laptop to a cluster::

    from dask.distributed import Client, LocalCluster
    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))   # or Client("tcp://scheduler:8786")
    run = distributed.run_instances(S, times, samples=256, seed=1, executor=client)

``pip install "kmsgibbs[distributed]"`` brings Dask; a ``concurrent.futures.ProcessPoolExecutor`` works
too (cloudpickle, a Dask dependency, carries the sampler) with the ``spawn`` start method,
``ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))``: a forked child inherits
the parent's OpenMP thread state, and Aer can hang in it.
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ...compiler._checks import check_integer, check_seed
from .instances import run_instances as run_instances_here
from .runs import AerRun, check_sampler

__all__ = ["run_instances", "pool_runs", "chunk_seeds"]


def chunk_seeds(seed: int, chunks: int) -> tuple[int, ...]:
    """Independent seeds of the chunks, spawned from ``seed`` (``numpy.random.SeedSequence``)."""
    seed = check_seed("seed", seed)
    chunks = check_integer("chunks", chunks, minimum=1)
    return tuple(int(s.generate_state(1, dtype=np.uint32)[0]) for s in np.random.SeedSequence(seed).spawn(chunks))


def pool_runs(runs: Sequence[AerRun], *, seconds: float | None = None) -> AerRun:
    """The run of all instances of ``runs`` together: the weighted mean and the exact pooled standard error.

    With chunk sizes K_i, means m_i and sample variances s_i² (ddof 1, s_i = stderr_i·√K_i):
    m = Σ K_i m_i / K and s² = Σ [(K_i − 1)s_i² + K_i|m_i − m|²] / (K − 1), elementwise, which is the sample
    variance of the union; stderr = s/√K.
    """
    if not runs:
        raise ValueError("pool_runs: no runs to pool")
    first = runs[0]
    for r in runs[1:]:
        if r.times != first.times or set(r.observables) != set(first.observables):
            raise ValueError("pool_runs: the runs have different times or observables")
    sizes = np.array([check_integer("samples", r.samples, minimum=1) for r in runs], dtype=float)
    total = float(sizes.sum())

    def pool(means: list[np.ndarray], errors: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        means = np.asarray(means)
        shape = (-1,) + (1,) * (means.ndim - 1)
        mean = (sizes.reshape(shape) * means).sum(axis=0) / total
        if total < 2:
            return mean, np.full(mean.shape, math.inf)
        variances = np.where(sizes.reshape(shape) > 1, np.asarray(errors) ** 2 * sizes.reshape(shape), 0.0)
        squares = ((sizes.reshape(shape) - 1) * variances + sizes.reshape(shape) * np.abs(means - mean) ** 2).sum(axis=0)
        return mean, np.sqrt(squares / (total - 1) / total)

    states = errors = None
    if first.states is not None:
        per_time = [pool([r.states[i] for r in runs], [r.state_stderr[i] for r in runs]) for i in range(len(first.times))]
        states = tuple(m for m, _ in per_time)
        errors = tuple(e for _, e in per_time)
    observables, spreads = {}, {}
    for name in first.observables:
        mean, error = pool([np.asarray(r.observables[name]) for r in runs], [np.asarray(r.observable_stderr[name]) for r in runs])
        observables[name] = tuple(float(v) for v in mean.real)
        spreads[name] = tuple(float(v) for v in error)
    return AerRun(
        times=first.times,
        method=first.method,
        device=first.device,
        states=states,
        state_stderr=errors,
        observables=observables,
        observable_stderr=spreads,
        shots=first.shots,
        seconds=sum(r.seconds for r in runs) if seconds is None else seconds,
        samples=int(total),
    )


def _run_chunk(payload: bytes, times: tuple[float, ...], samples: int, seed: int, options: dict) -> AerRun:
    import cloudpickle

    return run_instances_here(cloudpickle.loads(payload), times, samples=samples, seed=seed, **options)


def run_instances(
    sampler,
    times: Sequence[float] | float,
    *,
    samples: int,
    seed: int,
    executor: Any = None,
    chunks: int | None = None,
    **options: Any,
) -> AerRun:
    """``aer.run_instances`` with the K instances split into chunks run on ``executor``.

    Chunk i runs ⌈K/c⌉ or ⌊K/c⌋ instances with seed ``chunk_seeds(seed, c)[i]``; the result pools them
    (:func:`pool_runs`), so it depends on (seed, chunks) only, not on where the chunks ran: the same call
    with ``executor=None`` (in this process) gives the same numbers.

    Args:
        sampler: a ``RandomizedSampler``.
        times: snapshot times (multiples of dt).
        samples: K ≥ 1 instances in all.
        seed: seeds the chunks' seeds.
        executor: anything with ``submit(fn, *args)`` returning a future with ``result()``: a
            ``dask.distributed.Client``, a ``concurrent.futures`` executor; ``None`` runs the chunks here,
            one after the other.
        chunks: the number of chunks (default: the executor's workers, else 1), at most K.
        **options: passed to ``aer.run_instances`` (``initial_state``, ``observables``, ``fuse``, …).
    """
    check_sampler(sampler, "distributed.run_instances", randomized=True)
    samples = check_integer("samples", samples, minimum=1)
    seed = check_seed("seed", seed)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(f"executor must have a submit(fn, *args) method (a Dask Client, a concurrent.futures executor), got {type(executor).__name__}")
    if chunks is None:
        chunks = _workers(executor)
    chunks = min(check_integer("chunks", chunks, minimum=1), samples)
    times = tuple(float(t) for t in np.atleast_1d(np.asarray(times, dtype=float)))
    sizes = [samples // chunks + (1 if i < samples % chunks else 0) for i in range(chunks)]
    seeds = chunk_seeds(seed, chunks)
    start = _time.perf_counter()
    if executor is None:
        runs = [run_instances_here(sampler, times, samples=k, seed=s, **options) for k, s in zip(sizes, seeds)]
    else:
        try:
            import cloudpickle
        except ImportError as exc:
            raise ImportError('an executor needs cloudpickle to carry the sampler: pip install "kmsgibbs[distributed]"') from exc
        payload = cloudpickle.dumps(sampler)
        futures = [executor.submit(_run_chunk, payload, times, k, s, options) for k, s in zip(sizes, seeds)]
        runs = [f.result() for f in futures]
    return pool_runs(runs, seconds=_time.perf_counter() - start)


def _workers(executor: Any) -> int:
    """How many chunks keep ``executor`` busy: its workers (Dask) or ``_max_workers`` (concurrent.futures)."""
    if executor is None:
        return 1
    info = getattr(executor, "scheduler_info", None)
    if callable(info):
        return max(1, len(info().get("workers", {})))
    return max(1, int(getattr(executor, "_max_workers", 1) or 1))
