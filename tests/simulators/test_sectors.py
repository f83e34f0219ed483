"""Symmetry sectors of the KMS-symmetrised generator (Z₂ string × chain reflection) and the Lanczos
eigensolver, each checked against an independent dense computation."""

import numpy as np
import pytest
from scipy.linalg import expm

from kmsgibbs.compiler import baths, ckg, dll, models, scandi_alhambra
from kmsgibbs.simulators import exact
from kmsgibbs.simulators.krylov import smallest_eigenpair
from kmsgibbs.simulators.sectors import chain_reflection, symmetry_sectors

GAUSS = baths.GaussianBath(1.0)


def model(case: str):
    """(generator, expected symmetry generators, whether the reflection needs a basis rotation)."""
    if case == "tfim_kms":  # Z₂ string and reflection, no degenerate levels
        H, A = models.transverse_field_ising(5), models.single_site_couplings(5, "XYZ")
        return scandi_alhambra(H, A, GAUSS, coarse_graining_time=1.0), ("XXXXX", "reflection"), False
    if case == "heisenberg_dll":  # SU(2) multiplets: R mixes degenerate levels of the energy basis
        H, A = models.heisenberg(4), models.single_site_couplings(4, "XYZ")
        return dll(H, A, 1.0), ("XXXX", "reflection"), True
    if case == "longitudinal_ckg":  # a longitudinal field breaks the Z₂ string: reflection only
        H, A = models.transverse_field_ising(4, h=0.3), models.single_site_couplings(4, "XYZ")
        return ckg(H, A, 1.0), ("reflection",), False
    # couplings on three of four sites break the reflection: Z₂ string only
    H, A = models.transverse_field_ising(4), models.single_site_couplings(4, "XYZ")[:-3]
    return scandi_alhambra(H, A, GAUSS, coarse_graining_time=1.0), ("XXXX",), False


CASES = ["tfim_kms", "heisenberg_dll", "longitudinal_ckg", "string_only"]


def dense_symmetrized(L) -> np.ndarray:
    """Γ^{−1/2} L Γ^{1/2} from the dense energy-basis superoperator (column-stacked vec)."""
    q = np.sqrt(np.sqrt(L.basis.gibbs_weights(L.beta)))
    gamma = np.kron(q, q)  # vec(σ^{1/4} X σ^{1/4}) = (q ⊗ q) ∘ vec(X)
    return L.superoperator(basis="energy") * gamma[None, :] / gamma[:, None]


@pytest.mark.parametrize("case", CASES)
def test_sector_products_add_up_to_the_dense_symmetrised_generator(case):
    L, generators, rotated = model(case)
    sectors = symmetry_sectors(L)
    assert sectors.generators == generators
    assert (len(sectors.rotation) > 0) == rotated
    assert sectors.order == 2 ** len(generators) and sectors.real
    d = L.dim
    x = np.random.default_rng(3).standard_normal((d, d))
    ref = (dense_symmetrized(L) @ x.reshape(-1, order="F")).reshape(d, d, order="F")
    parts = [sectors.gather(x, p) for p in range(sectors.order)]
    assert sum(p.size for p in parts) == d * d
    assert np.abs(sum(sectors.scatter(v, p) for p, v in enumerate(parts)) - x).max() <= 1e-14
    got = sum(sectors.scatter(sectors.apply(v, p), p) for p, v in enumerate(parts))
    assert np.abs(got - ref).max() <= 1e-12 * np.abs(ref).max()


@pytest.mark.parametrize("case", CASES)
def test_lanczos_gap_and_evolution_on_the_sectors_match_dense(case, random_state):
    L, _, _ = model(case)
    result = exact.gap(L, method="krylov")
    assert result.method == "lanczos" and result.residual < 1e-8
    eig = np.linalg.eigvals(L.superoperator())
    assert abs(result.gap - np.sort(-eig.real)[1]) < 1e-8
    rho0 = random_state(L.dim, seed=4)
    times = [0.0, 0.5, 6.0]
    sup = L.superoperator()
    for t, rho in zip(times, exact.evolve(L, rho0, times, method="krylov")):
        ref = (expm(t * sup) @ rho0.reshape(-1, order="F")).reshape(L.dim, L.dim, order="F")
        assert np.abs(rho - ref).max() <= 1e-10


def test_reflection_is_refused_when_the_couplings_are_not_mirror_symmetric():
    H, A = models.transverse_field_ising(4), models.single_site_couplings(4, "XYZ")
    assert chain_reflection(dll(H, A, 1.0)) is not None
    assert chain_reflection(dll(H, A[:-1], 1.0)) is None  # Z on the last site has no mirror image
    assert chain_reflection(dll(models.random_two_local(4, seed=5), A, 1.0)) is None


@pytest.mark.parametrize("krylov_dim", [8, 300])
def test_smallest_eigenpair_matches_dense_with_and_without_restarts(krylov_dim):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((300, 300))
    a = a + a.T
    a[np.diag_indices(300)] += np.linspace(0, 40, 300)  # a spread spectrum with a cluster at the bottom
    theta, x = smallest_eigenpair(lambda v: a @ v, rng.standard_normal(300), tol=1e-10, krylov_dim=krylov_dim)
    assert abs(theta - np.linalg.eigvalsh(a)[0]) <= 1e-8
    assert np.linalg.norm(a @ x - theta * x) <= 1e-10 * abs(theta)
