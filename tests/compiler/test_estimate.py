"""The pre-compile price of a randomized step (no step circuit built) against the lowered circuits."""

import pytest

from kmsgibbs.compiler import baths, compile_sampler, estimated_two_qubit_gates, models, scandi_alhambra


def sampler(h, a):
    lind = scandi_alhambra(h, a, baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5)
    return compile_sampler(lind, dt=0.05, epsilon=1e-2, scheme="randomized")


def plaquette():
    h = models.from_edges(4, models.square_lattice_edges(2, 2), couplings={"XX": 1.0, "YY": 1.0, "ZZ": 1.0}, fields={"Z": 0.3})
    return h, models.single_site_couplings(4, "XZ")


CASES = {
    "tfim2": lambda: (models.transverse_field_ising(2), models.single_site_couplings(2, "XZ")),
    "xxz2": lambda: (models.heisenberg(2, anisotropy=0.5, field=(0.3, 0.0, 0.2)), models.single_site_couplings(2, "XZ")),
}
SLOW_CASES = {
    "tfim3": lambda: (models.transverse_field_ising(3), models.single_site_couplings(3, "XZ")),
    "xxz3": lambda: (models.heisenberg(3, anisotropy=0.5, field=(0.3, 0.0, 0.2)), models.single_site_couplings(3, "XZ")),
    "plaquette": plaquette,
}


def check(build) -> None:
    s = sampler(*build())
    estimate = estimated_two_qubit_gates(s.plan, s.form.couplings, s.frames)
    lowered = s.resources().two_qubit_gates_per_step
    assert abs(estimate - lowered) <= 0.10 * lowered, (estimate, lowered)


@pytest.mark.parametrize("name", sorted(CASES))
def test_estimate_is_within_ten_percent_of_the_lowered_step(name):
    check(CASES[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW_CASES))
def test_estimate_is_within_ten_percent_on_larger_models(name):
    check(SLOW_CASES[name])


def test_estimate_separates_models_of_one_size():
    cheap = sampler(*CASES["tfim2"]())
    dear = sampler(*CASES["xxz2"]())
    price = [estimated_two_qubit_gates(s.plan, s.form.couplings, s.frames) for s in (cheap, dear)]
    assert price[1] > 1.5 * price[0]  # the XXZ chain's frames cost more per segment than the Ising chain's
