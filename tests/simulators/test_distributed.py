"""Randomized instances split into chunks on workers: exact pooling, the same numbers wherever they run."""

import concurrent.futures
import multiprocessing

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.simulators import aer, distributed
from tests.conftest import unvec

TIMES = [0.0, 0.05, 0.1]


@pytest.fixture(scope="module")
def s2():
    L = scandi_alhambra(
        models.transverse_field_ising(2), models.single_site_couplings(2, "XZ"), baths.GaussianBath(1.0, width=2.0),
        coarse_graining_time=1.0, coupling=0.5,
    )
    return compile_sampler(L, dt=0.05, epsilon=1e-2, scheme="randomized")


def fake_run(values: np.ndarray) -> aer.AerRun:
    """A run of len(values) instances whose single observable takes these values (states: 1×1 'matrices')."""
    k = len(values)
    return aer.AerRun(
        times=(0.0,), method="density_matrix", device="CPU",
        states=(np.array([[values.mean()]]),), state_stderr=(np.array([[values.std(ddof=1) / np.sqrt(k)]]),),
        observables={"o": (float(values.mean()),)}, observable_stderr={"o": (float(values.std(ddof=1) / np.sqrt(k)),)},
        samples=k,
    )


def test_pooled_chunks_are_the_statistics_of_the_union():
    rng = np.random.default_rng(5)
    parts = [rng.normal(1.0, 2.0, size=k) for k in (3, 7, 12)]
    union = np.concatenate(parts)
    pooled = distributed.pool_runs([fake_run(p) for p in parts])
    assert pooled.samples == 22
    assert pooled.observables["o"][0] == pytest.approx(union.mean(), abs=1e-13)
    assert pooled.observable_stderr["o"][0] == pytest.approx(union.std(ddof=1) / np.sqrt(22), rel=1e-12)
    assert pooled.state_stderr[0][0, 0] == pytest.approx(union.std(ddof=1) / np.sqrt(22), rel=1e-12)


def test_chunks_are_the_instances_of_their_seeds(s2):
    """executor=None: the chunks run here; the pooled mean is the mean of the chunks' own instance channels."""
    run = distributed.run_instances(s2, TIMES, samples=5, seed=11, chunks=2)
    assert run.samples == 5
    rho0 = np.zeros(16)
    rho0[0] = 1.0
    channels = [s2.instance_channel(row, TIMES[-1])
                for k, seed in zip((3, 2), distributed.chunk_seeds(11, 2))
                for row in s2.parameter_values(TIMES[-1], k, seed=seed)]
    np.testing.assert_allclose(run.states[-1], unvec(np.mean([c @ rho0 for c in channels], axis=0)), atol=1e-10)


@pytest.mark.slow  # spawning two interpreters that import qiskit: ~20 s alone, ~45 s on a loaded machine
def test_a_process_pool_gives_the_same_numbers(s2):
    zz = {"zz": SparsePauliOp("ZZ")}
    here = distributed.run_instances(s2, TIMES, samples=4, seed=3, chunks=2, observables=zz)
    # spawn, not fork: a forked child inherits the parent's OpenMP thread state and Aer hangs in it
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        there = distributed.run_instances(s2, TIMES, samples=4, seed=3, chunks=2, observables=zz, executor=pool)
    for a, b in zip(here.states, there.states):
        np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_allclose(here.observables["zz"], there.observables["zz"], atol=1e-12)


def test_a_two_worker_dask_cluster_gives_the_same_numbers(s2):
    dask_distributed = pytest.importorskip("dask.distributed")
    with dask_distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with dask_distributed.Client(cluster) as client:
            there = distributed.run_instances(s2, TIMES, samples=6, seed=8, executor=client)
    here = distributed.run_instances(s2, TIMES, samples=6, seed=8, chunks=2)
    for a, b in zip(here.states, there.states):
        np.testing.assert_allclose(a, b, atol=1e-12)
    assert there.samples == 6


@pytest.mark.parametrize("kwargs, error, fragment", [
    ({"samples": 0}, ValueError, "samples"),
    ({"chunks": 0}, ValueError, "chunks"),
    ({"executor": object()}, TypeError, "submit"),
])
def test_bad_input_is_named(s2, kwargs, error, fragment):
    args = {"samples": 2, "seed": 1, **kwargs}
    with pytest.raises(error, match=fragment):
        distributed.run_instances(s2, TIMES, **args)
