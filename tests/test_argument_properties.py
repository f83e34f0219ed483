"""Property tests of the public surfaces' arguments (issue 27): the randomized sampler, the memory
guard, the gap, the runners and the CLI.

Random valid arguments never crash and give results of the stated shape; random invalid ones give
the package's ``TypeError`` or ``ValueError`` naming the argument, before any work. The examples come
from the derandomized profile of ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import io
import math
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmsgibbs.compiler import compile_sampler, dll, models
from kmsgibbs.compiler.memory import MemoryLimitError, memory_limit, memory_limit_set
from kmsgibbs.simulators import aer, exact, verify

VARIABLE = "KMSGIBBS_MEMORY_LIMIT"


@pytest.fixture(scope="module")
def generator():
    return dll(models.transverse_field_ising(2), models.single_site_couplings(2, "Z"), 1.0, coupling=0.5)


@pytest.fixture(scope="module")
def randomized(generator):
    return compile_sampler(generator, dt=0.05, epsilon=1e-2, scheme="randomized")


@pytest.fixture(scope="module")
def deterministic(generator):
    return compile_sampler(generator, dt=0.05, epsilon=1e-2)


#: Values that are not integers: flags, floats (2.0 included: counts are exact), text, complex (and None
#: where None is not a documented default).
not_integers = st.one_of(
    st.booleans(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.complex_numbers()
)
#: Values that are not real numbers.
not_reals = st.one_of(st.booleans(), st.text(max_size=5), st.complex_numbers().filter(lambda z: z.imag != 0))
non_finite = st.sampled_from([math.nan, math.inf, -math.inf])


def assert_names(info: pytest.ExceptionInfo, name: str) -> None:
    """The package's error (TypeError or ValueError), one line, naming the argument."""
    assert isinstance(info.value, TypeError | ValueError), info.value
    assert name in str(info.value), info.value
    assert "\n" not in str(info.value).strip()


# --- the memory guard ---


@given(nbytes=st.one_of(st.integers(1, 2**62), st.floats(1.0, 1e18)))
def test_any_byte_count_sets_the_limit(nbytes):
    with memory_limit_set(nbytes):
        assert memory_limit() == int(nbytes)


@given(bad=st.one_of(not_reals, non_finite, st.floats(max_value=0.999, allow_nan=False), st.integers(max_value=0)))
def test_a_bad_limit_is_refused_naming_it(bad):
    with pytest.raises((TypeError, ValueError)) as info, memory_limit_set(bad):  # restores the limit if accepted
        pass
    assert_names(info, "memory limit")


@given(number=st.floats(1.0, 1e6), suffix=st.sampled_from(["", "K", "M", "G", "KB", "MiB", "g", " GiB"]))
def test_the_variable_reads_byte_counts_with_suffixes(number, suffix):
    scale = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[suffix.strip()[:1].upper()]
    previous = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = f"{number!r}{suffix}"
    try:
        assert memory_limit() == int(number * scale)
    finally:
        _restore(previous)


# letters, signs and blanks without digits: never a byte count ("inf" and "nan" parse, and are refused)
garbage = st.text(alphabet=st.characters(blacklist_categories=("Nd", "Cs"), blacklist_characters="\x00"), min_size=1, max_size=8)


@given(value=st.one_of(garbage, st.sampled_from(["inf", "1e400", "-1", "0", "0.5", "nan", "1e400G", "-8G"])))
def test_cli_exits_2_on_any_garbage_in_the_variable(value):
    from kmsgibbs.cli import main

    previous = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = value
    stderr = io.StringIO()  # not capsys: a function-scoped fixture is not reset between examples
    try:
        with pytest.raises(SystemExit) as info, contextlib.redirect_stderr(stderr):
            main(["resources", "--n", "2", "--time", "0.05"])
    finally:
        _restore(previous)
    err = stderr.getvalue()
    assert info.value.code == 2 and VARIABLE in err and "Traceback" not in err, err


def _restore(previous: str | None) -> None:
    if previous is None:
        os.environ.pop(VARIABLE, None)
    else:
        os.environ[VARIABLE] = previous


# --- the randomized sampler ---


@given(steps=st.integers(0, 8), samples=st.integers(1, 12), more=st.integers(0, 8), seed=st.integers(0, 2**63))
def test_parameter_values_have_their_shape_and_rows_do_not_depend_on_the_count(randomized, steps, samples, more, seed):
    time = steps * randomized.dt
    rows = randomized.parameter_values(time, samples, seed=seed)
    assert rows.shape == (samples, len(randomized.parameter_layout(time)))
    assert np.all(np.isfinite(rows))
    # a larger draw extends a smaller one (verify's pilot instances are the first rows again)
    np.testing.assert_array_equal(randomized.parameter_values(time, samples + more, seed=seed)[:samples], rows)


@given(bad=st.one_of(not_integers, st.none(), st.integers(max_value=0)))
def test_parameter_values_refuse_a_bad_sample_count_naming_it(randomized, bad):
    with pytest.raises((TypeError, ValueError)) as info:
        randomized.parameter_values(0.1, bad, seed=1)
    assert_names(info, "samples")


@given(bad=st.one_of(not_integers, st.none(), st.integers(max_value=-1)))
def test_parameter_values_refuse_a_bad_seed_naming_it(randomized, bad):
    with pytest.raises((TypeError, ValueError)) as info:
        randomized.parameter_values(0.1, 2, seed=bad)
    assert_names(info, "seed")


@given(samples=st.integers(10**9, 10**15), steps=st.integers(1, 10**6))
def test_parameter_values_too_large_are_refused_before_drawing(randomized, samples, steps):
    with memory_limit_set(2**30), pytest.raises(MemoryLimitError) as info:
        randomized.parameter_values(steps * randomized.dt, samples, seed=1)
    assert f"parameter_values of {samples} instances" in str(info.value)


# --- compile_sampler's options ---


@given(bad=st.one_of(not_integers, st.integers(max_value=0), st.integers(1, 10**6).map(lambda k: 2 * k + 1)))
def test_a_bad_trotter_order_is_refused_naming_it(generator, bad):
    with pytest.raises((TypeError, ValueError)) as info:
        compile_sampler(generator, dt=0.05, epsilon=1e-2, trotter_order=bad)
    assert_names(info, "trotter_order")


@given(
    name=st.sampled_from(["frame_step", "coherent_cycle"]),
    value=st.one_of(st.integers(1, 100), st.floats(0.01, 10.0)),
    scheme=st.sampled_from(["trotter_dilation", "block_encoding"]),
)
def test_randomized_options_are_refused_by_the_other_schemes(generator, name, value, scheme):
    with pytest.raises(ValueError) as info:
        compile_sampler(generator, dt=0.05, epsilon=1e-2, scheme=scheme, **{name: value})
    assert_names(info, name)
    assert f"scheme={scheme!r}" in str(info.value)


# --- the gap ---


@given(tol=st.floats(1e-12, 1e-2), seed=st.integers(0, 2**32), method=st.sampled_from(["auto", "dense", "krylov", "matrix_free"]))
def test_gap_with_valid_arguments_is_the_dense_gap(generator, tol, seed, method):
    dense = exact.gap(generator, method="dense").gap
    assert exact.gap(generator, method=method, tol=tol, seed=seed).gap == pytest.approx(dense, rel=1e-6)


@given(
    name=st.sampled_from(["tol", "seed", "max_bytes"]),
    bad=st.one_of(not_reals, non_finite, st.floats(max_value=0.0), st.integers(max_value=-1)),
)
def test_gap_refuses_bad_arguments_naming_them(generator, name, bad):
    with pytest.raises((TypeError, ValueError)) as info:
        exact.gap(generator, **{name: bad})
    assert_names(info, name)


# --- the runners' doors ---


@given(
    name=st.sampled_from(["shots", "seed", "batches"]),
    bad=st.one_of(not_integers, st.integers(max_value=-1)),
)
def test_trajectory_runs_refuse_bad_counts_naming_them(deterministic, name, bad):
    kwargs = {"shots": 4, "seed": 1, "batches": 1} | {name: bad}
    with pytest.raises((TypeError, ValueError)) as info:
        aer.run_trajectories(deterministic, [0.05], **kwargs)
    assert_names(info, name)


@given(bad=st.one_of(not_integers, st.integers(max_value=0)))
def test_verify_refuses_a_bad_sample_count_before_any_run(randomized, bad):
    with pytest.raises((TypeError, ValueError)) as info:
        verify(randomized, [0.05], seed=1, samples=bad)
    assert_names(info, "samples")


@given(call=st.sampled_from(["run_density_matrix", "run_trajectories", "run_mps", "run_instances"]))
def test_runners_refuse_the_other_sampler_type_naming_the_call(randomized, deterministic, call):
    wrong = deterministic if call == "run_instances" else randomized
    kwargs = {"run_density_matrix": {}, "run_trajectories": {"shots": 4, "seed": 1},
              "run_mps": {"shots": 4, "seed": 1, "observables": {}}, "run_instances": {"samples": 2, "seed": 1}}[call]
    with pytest.raises(TypeError) as info:
        getattr(aer, call)(wrong, [0.05], **kwargs)
    assert f"aer.{call} runs a" in str(info.value) and type(wrong).__name__ in str(info.value)
