"""The truncated-kernel product that warm-starts the Lanczos gap, checked against dense computations:
its kernel bound against the closed-form coefficients, its product against dense jumps, and the gap
it leads to against LAPACK eigenvalues."""

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler import baths, dll, models, scandi_alhambra
from kmsgibbs.compiler.memory import memory_limit_set
from kmsgibbs.simulators.krylov import lanczos_gap
from kmsgibbs.simulators.sectors import WARM_START_RTOL, symmetry_sectors

GAUSS = baths.GaussianBath(1.0)


def tfim(n: int):
    H, A = models.transverse_field_ising(n), models.single_site_couplings(n, "XYZ")
    return scandi_alhambra(H, A, GAUSS, coarse_graining_time=1.0)


def test_truncation_bounds_hold_on_every_pair_of_bohr_frequencies():
    L = tfim(3)
    frame = L.beta / 4
    f = L.kernel.factorise(L.basis, frame=frame)
    nu = f.frequencies
    exact = L.kernel.coefficients(nu[:, None], nu[None, :]) * np.exp(frame * (nu[:, None] + nu[None, :]))
    bounds = f.truncation_bounds()
    assert bounds.shape == (f.rank + 1,) and np.all(np.diff(bounds) <= 0)
    for r in range(f.rank + 1):
        err = np.max(np.abs(exact - f.values[:r].T @ f.values[:r].conj()))
        # the bound is rigorous relative to the quadrature nodes, which are exact to ~1e-15
        assert err <= bounds[r] + 1e-14 * f.scale
    warm = f.rank_for(WARM_START_RTOL)
    assert bounds[warm] <= WARM_START_RTOL * f.scale < bounds[warm - 1]
    assert f.rank_for(0.0) == f.rank


def test_truncated_product_is_the_generator_with_the_leading_kernel_terms():
    L = tfim(5)
    sectors = symmetry_sectors(L)
    f = sectors.transition.factor
    rank = sectors.warm_rank
    assert rank is not None and 1 <= rank < f.rank
    d = L.dim
    # dense jumps f_r(ν) ∘ Ā_k in the sectors' basis, r < rank, and the full effective operator G̃
    jumps = [f.values[r][f.index] * a for r in range(rank) for a in sectors.transition.abar]
    g = np.zeros((d, d))
    for block, idx in zip(sectors.effective, sectors.index):
        g[np.ix_(idx, idx)] = block
    rng = np.random.default_rng(5)
    for p in range(sectors.order):
        v = rng.standard_normal(sectors.size(p))
        x = sectors.scatter(v, p)
        # scatter returns the energy basis; the jumps live in the rotated one (identity here: no degeneracy)
        assert not sectors.rotation
        ref = sum(j @ x @ j.conj().T for j in jumps) - g @ x - x @ g
        got = sectors.scatter(sectors.apply(v, p, rank=rank), p)
        assert np.abs(got - L.rate * ref).max() <= 1e-12 * np.abs(ref).max()
        full = sectors.scatter(sectors.apply(v, p), p)
        assert np.abs(full - got).max() > 1e-12 * np.abs(ref).max()  # the truncation is real
    with pytest.raises(ValueError, match="rank_breaks"):
        sectors.apply(rng.standard_normal(sectors.size(0)), 0, rank=rank - 1)


@pytest.mark.parametrize("warm_start", [True, False])
def test_gap_with_and_without_warm_start_matches_dense(warm_start):
    L = tfim(5)
    result = lanczos_gap(L, warm_start=warm_start)
    eig = np.linalg.eigvals(L.superoperator())
    assert result.residual < 1e-8
    assert abs(result.gap - np.sort(-eig.real)[1]) < 1e-8
    assert 0 < result.applies < 200


def test_single_precision_product_is_the_double_one_to_single_rounding():
    L = tfim(5)
    sectors = symmetry_sectors(L)
    rng = np.random.default_rng(7)
    for p in range(sectors.order):
        v = rng.standard_normal(sectors.size(p))
        ref = sectors.apply(v, p, rank=sectors.warm_rank)
        got = sectors.apply(v, p, rank=sectors.warm_rank, single=True)
        assert got.dtype == np.float64
        err = np.abs(got - ref).max() / np.abs(ref).max()
        # single rounding (2^-24 ≈ 6e-8 per operation, accumulated over the sums), not double
        assert 1e-10 < err < 1e-5


@pytest.mark.parametrize("family", ["kms", "dll"])
def test_every_sector_pair_brackets_that_sector_s_smallest_dense_eigenvalue(family):
    if family == "kms":
        L = tfim(5)
    else:
        L = dll(models.transverse_field_ising(5), models.single_site_couplings(5, "XYZ"), 1.0)
    result = lanczos_gap(L)
    sectors = symmetry_sectors(L)
    assert not sectors.rotation  # no degenerate levels: the sectors' basis is the energy basis
    labels = sectors.labels
    # an operator E_ab has parity labels[a] XOR labels[b]; the superoperator keeps the parity
    parity = (labels[:, None] ^ labels[None, :]).ravel()
    sup = L.superoperator(basis="energy")
    assert len(result.sectors) == sectors.order == 4
    for p, (theta, residual) in enumerate(result.sectors):
        idx = np.flatnonzero(parity == p)
        rates = np.sort(-np.linalg.eigvals(sup[np.ix_(idx, idx)]).real)
        smallest = rates[1] if p == 0 else rates[0]  # parity 0 holds the stationary state
        assert abs(theta - smallest) <= residual + 1e-12
        assert residual <= 1e-5 * theta
    assert result.gap == min(theta for theta, _ in result.sectors)
    assert result.residual < 1e-8


def test_without_room_for_single_copies_the_warm_start_stays_in_double_precision():
    t = symmetry_sectors(tfim(4)).transition
    stacks = t.sector_stack_bytes() + t.working_bytes()
    single = t.sector_stack_bytes(rank=symmetry_sectors(tfim(4)).warm_rank, single=True)
    L = tfim(4)
    # the sector stacks take at most a third of the limit: room for them, not for their single copies
    with memory_limit_set(3 * (stacks + single // 2)):
        sectors = symmetry_sectors(L)
        result = lanczos_gap(L)
    assert sectors is not None and not sectors.single
    assert symmetry_sectors(tfim(4)).single
    eig = np.linalg.eigvals(L.superoperator())
    assert abs(result.gap - np.sort(-eig.real)[1]) < 1e-8 and result.residual < 1e-8


def test_a_sector_that_shares_the_gap_is_refined_too():
    """Uncoupled spins: the single-site mode X_i sits in the reflection-even and -odd combinations
    alike, so two sectors share the gap; the second must be refined, not certified above it.
    (n = 2 also has an empty sector: the reflection-odd, Z₂-even block of |00⟩, |11⟩.)"""
    for n in (2, 3):
        H = SparsePauliOp.from_sparse_list([("Z", [i], 1.0) for i in range(n)], n)
        L = scandi_alhambra(H, models.single_site_couplings(n, "XYZ"), GAUSS, coarse_graining_time=1.0)
        assert symmetry_sectors(L).order == 4
        result = lanczos_gap(L)
        dense = np.sort(-np.linalg.eigvals(L.superoperator()).real)[1]
        assert abs(result.gap - dense) < 1e-8 and result.residual < 1e-8
        sharing = [(theta, r) for theta, r in result.sectors if abs(theta - dense) < 1e-8]
        assert len(sharing) == 2 and all(r < 1e-8 * theta for theta, r in sharing)
