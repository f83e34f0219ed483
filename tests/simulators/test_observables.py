"""Observable-level verification (issue #25): instances × shots in one Aer job, against e^{tL}ρ₀ and Gibbs."""

import json

import numpy as np
import pytest
from scipy.linalg import expm

from kmsgibbs.cli import main
from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.simulators import aer
from kmsgibbs.simulators.references import tfim_gibbs
from kmsgibbs.simulators.validation.observables import OBSERVABLE_NAMES, local_observables, verify_observables


def randomized(n: int, *, dt: float = 0.1, light_cone: int | None = None):
    H = models.transverse_field_ising(n)
    L = scandi_alhambra(
        H, models.single_site_couplings(n, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5
    )
    return compile_sampler(L, dt=dt, epsilon=1e-2, scheme="randomized", light_cone=light_cone)


@pytest.fixture(scope="module")
def report2():
    return verify_observables(randomized(2), [0.0, 0.3], samples=24, shots=4, seed=5)


def test_local_observables_are_those_of_the_gibbs_reference():
    n = 4
    H = models.transverse_field_ising(n)
    ops = local_observables(H)
    assert tuple(ops) == OBSERVABLE_NAMES
    beta = 0.7
    rho = expm(-beta * H.to_matrix())
    rho /= np.trace(rho)
    ref = tfim_gibbs(n, beta).as_dict()
    for name, op in ops.items():
        assert np.real(np.trace(op.to_matrix() @ rho)) == pytest.approx(ref[name], abs=1e-10)


def test_the_run_agrees_with_the_exact_evolution_within_its_errors(report2):
    r = report2
    assert r.times == (0.0, 0.3)
    for name in OBSERVABLE_NAMES:
        assert r.values[name][0] == pytest.approx(r.evolution[name][0], abs=1e-12)  # t = 0 is exact
        assert r.stderr[name][0] == 0.0
        assert abs(r.values[name][-1] - r.evolution[name][-1]) <= 4 * r.stderr[name][-1] + 1e-2, name
    assert r.gibbs_method == "free_fermion"
    assert r.gibbs["z_mean"] == 0.0


def test_json_holds_value_stderr_and_gibbs_per_time(report2, tmp_path):
    path = tmp_path / "obs.json"
    report2.to_json(str(path))
    data = json.loads(path.read_text())
    assert data["times"] == [0.0, 0.3]
    for name in OBSERVABLE_NAMES:
        entry = data["observables"][name]
        assert len(entry["value"]) == len(entry["stderr"]) == 2
        assert isinstance(entry["gibbs"], float)


def test_bindings_are_reproducible_and_the_error_is_the_instance_spread():
    S = randomized(2)
    ops = local_observables(S.lindbladian.hamiltonian)
    a = aer.run_bindings(S, [0.2], observables=ops, samples=6, shots=3, seed=9)
    b = aer.run_bindings(S, [0.2], observables=ops, samples=6, shots=3, seed=9)
    for name in ops:
        assert np.array_equal(a.per_instance[name], b.per_instance[name])
        spread = a.per_instance[name][:, 0].std(ddof=1) / np.sqrt(6)
        assert a.stderr(name)[0] == pytest.approx(spread)
    assert a.seconds_per_step_per_instance() > 0


def test_bindings_refuse_a_deterministic_sampler():
    H = models.transverse_field_ising(2)
    L = scandi_alhambra(H, models.single_site_couplings(2, "XZ"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5)
    S = compile_sampler(L, dt=0.1, epsilon=1e-2)
    with pytest.raises(TypeError, match="RandomizedSampler"):
        aer.run_bindings(S, [0.1], observables=local_observables(H), samples=2, shots=2, seed=1)


def test_cli_observables_writes_the_json(tmp_path, capsys):
    path = tmp_path / "v.json"
    code = main([
        "verify", "--n", "2", "--observables", "--time", "0.2", "--dt", "0.1", "--points", "2",
        "--samples", "8", "--shots", "2", "--quiet", "--json", str(path),
    ])
    assert code in (0, 1)  # t = 0.2 is far from Gibbs: the verdict is the Gibbs comparison's
    out = capsys.readouterr().out
    assert "energy_per_site" in out and "Gibbs (free_fermion)" in out
    data = json.loads(path.read_text())
    assert set(data["observables"]) == set(OBSERVABLE_NAMES)
    assert data["times"] == [0.0, 0.2]


def test_cli_observables_at_large_n_needs_a_time(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["verify", "--n", "12", "--observables", "--quiet"])
    assert exit_.value.code == 2
    assert "needs --time" in capsys.readouterr().err
