"""docs/conventions.md: the time-domain forms the circuit back-end lowers reproduce the energy basis."""

from functools import lru_cache

import numpy as np
import pytest

from kmsgibbs.compiler import baths, models, scandi_alhambra
from kmsgibbs.compiler.time_domain import coherent_filter, coherent_filter_transform, gaussian_time_nodes


def heisenberg_picture(h: np.ndarray, t: float):
    e, v = np.linalg.eigh(h)
    u = (v * np.exp(1j * e * t)) @ v.conj().T
    return lambda x: u @ x @ u.conj().T


def dissipator(b: np.ndarray) -> np.ndarray:
    d = b.shape[0]
    eye, bb = np.eye(d), b.conj().T @ b
    return np.kron(b.conj(), b) - 0.5 * (np.kron(eye, bb) + np.kron(bb.T, eye))


@pytest.mark.parametrize("T, nodes", [(0.5, 120), (1.0, 120), (2.5, 300)])
def test_gauss_hermite_average_of_zero_time_dissipator_is_the_kms_dissipator(T, nodes):
    """Gauss–Hermite needs √(2N) ≳ T·max|ν−ν′|/√2: 120 nodes cover T ≤ 1 here, T = 2.5 needs ~300."""
    n = 3
    H, A = models.transverse_field_ising(n, h=0.3), models.single_site_couplings(n)
    bath = baths.OhmicBath(1.0, eta=0.1, cutoff=5.0)
    jumps = scandi_alhambra(H, A, bath, coarse_graining_time=0.0).jump_operators()  # B_k, one per coupling
    s, w = gaussian_time_nodes(T, nodes)
    avg = sum(wm * dissipator(heisenberg_picture(H.to_matrix(), sm)(b)) for sm, wm in zip(s, w) for b in jumps)
    ref = scandi_alhambra(H, A, bath, coarse_graining_time=T).without_coherent_term().superoperator()
    assert np.abs(avg - ref).max() <= 1e-10 * np.abs(ref).max()


@pytest.mark.parametrize("beta, T", [(1.0, 1.0), (2.0, 0.6), (0.5, 3.0)])
def test_coherent_filter_integral_gives_h_perp(beta, T):
    n = 3
    # a staggered field: with a uniform one, XYZ couplings leave H_⊥ ≡ 0 by total-spin symmetry
    H, A = models.heisenberg(n, field=(0.4, 0.0, [0.3, -0.3, 0.3])), models.single_site_couplings(n)
    bath = baths.OhmicBath(beta, eta=0.1, cutoff=5.0)
    jumps = scandi_alhambra(H, A, bath, coarse_graining_time=0.0).jump_operators()
    kb = sum(b.conj().T @ b for b in jumps)
    h = 0.04
    t = np.arange(-40 * beta, 40 * beta + h / 2, h)  # φ decays like e^{−2π|t|/β}
    phi = coherent_filter(t, beta=beta, coarse_graining_time=T)
    hm = H.to_matrix()
    acc = sum(h * p * heisenberg_picture(hm, ti)(kb) for ti, p in zip(t, phi))
    ref = scandi_alhambra(H, A, bath, coarse_graining_time=T).coherent_term()
    assert np.abs(acc - ref).max() <= 1e-10 * np.abs(ref).max()


def test_coherent_filter_is_real_odd_and_its_transform_matches():
    t = np.linspace(-6, 6, 241)
    phi = coherent_filter(t, beta=1.5, coarse_graining_time=0.8)
    np.testing.assert_allclose(phi, -phi[::-1], atol=1e-15)
    mu = np.array([-3.0, -0.5, 0.7, 2.0])
    h = t[1] - t[0]
    tt = np.arange(-30, 30 + h / 2, h)
    numeric = h * np.exp(1j * np.outer(mu, tt)) @ coherent_filter(tt, beta=1.5, coarse_graining_time=0.8)
    np.testing.assert_allclose(numeric, coherent_filter_transform(mu, beta=1.5, coarse_graining_time=0.8), atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="coarse_graining_time"):
        coherent_filter(0.0, beta=1.0, coarse_graining_time=0.0)
    with pytest.raises(ValueError, match="beta"):
        coherent_filter(0.0, beta=-1.0, coarse_graining_time=1.0)
    with pytest.raises(ValueError, match="count"):
        gaussian_time_nodes(1.0, 0)


class TestTimeDomainForm:
    """The IR of issue #3: grids chosen from ε, errors reported, checked against the energy basis."""

    H = models.transverse_field_ising(3)
    A = models.single_site_couplings(3, "XZ")
    GAUSS = baths.GaussianBath(1.0, width=2.0)

    def generators(self):
        from kmsgibbs.compiler import dll

        return {
            "kms": scandi_alhambra(self.H, self.A, self.GAUSS, coarse_graining_time=1.0),
            "kms_T0": scandi_alhambra(self.H, self.A, self.GAUSS, coarse_graining_time=0.0),
            "dll": dll(self.H, self.A, 1.0),
        }

    @pytest.mark.parametrize("name", ["kms", "kms_T0", "dll"])
    def test_reported_errors_bound_the_energy_basis_errors(self, name):
        from kmsgibbs.compiler.time_domain import build_time_domain

        L = self.generators()[name]
        eps = 1e-3
        form = build_time_domain(L, epsilon=eps)
        assert all(err <= eps for err in form.errors.values()), form.errors
        for grid in [g for _, g in form.jumps] + ([form.coherent] if form.coherent is not None else []):
            ratio = grid.times / form.trotter_step
            np.testing.assert_allclose(ratio, np.round(ratio), atol=1e-9)  # one Trotter unit for everything
        # the base jump on the exact Bohr frequencies, elementwise in the energy basis
        bohr = L.basis.bohr
        assert np.max(np.abs(bohr)) <= form.bohr_bound
        base = form.coherent_jumps[0][1]
        fhat = L.kernel.filter(bohr) if name == "dll" else self.GAUSS.sqrt_spectral_density(-bohr)
        scale = np.abs(L.kernel.filter(np.linspace(-20, 20, 4001)) if name == "dll" else self.GAUSS.sqrt_spectral_density(np.linspace(-20, 20, 4001))).max()
        assert np.max(np.abs(base.transfer(bohr) - fhat)) <= form.errors["jump"] * scale * (1 + 1e-9) + 1e-15
        # every jump (the base moved by its Gaussian-average time) against its declared exact filter
        assert len(form.jump_filters) == len(form.jumps)
        for (_, grid), exact in zip(form.jumps, form.jump_filters):
            gap = np.max(np.abs(grid.transfer(bohr) - exact(bohr)))
            assert gap <= form.errors["jump"] * scale * (1 + 1e-9) + 1e-15
        # and the whole discretised generator against the dense one
        ref = L.superoperator()
        assert np.abs(form.superoperator() - ref).max() <= 10 * eps * np.abs(ref).max()

    def test_generator_error_falls_with_epsilon(self):
        from kmsgibbs.compiler.time_domain import build_time_domain

        L = self.generators()["kms"]
        ref = L.superoperator()
        errs = [np.abs(build_time_domain(L, epsilon=e).superoperator() - ref).max() for e in (1e-2, 1e-4, 1e-6)]
        assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-6 * np.abs(ref).max(), errs

    def test_unsupported_generators_and_bad_input(self):
        from kmsgibbs.compiler import davies
        from kmsgibbs.compiler.time_domain import build_time_domain

        for L in (
            scandi_alhambra(self.H, self.A, self.GAUSS, coarse_graining_time=1.0, form="coarse_grained"),
            davies(self.H, self.A, self.GAUSS),
        ):
            with pytest.raises(ValueError, match="no time-domain lowering"):
                build_time_domain(L, epsilon=1e-3)
        with pytest.raises(ValueError, match="Lamb shift"):
            build_time_domain(scandi_alhambra(self.H, self.A, self.GAUSS, coarse_graining_time=1.0, lamb_shift=True), epsilon=1e-3)
        with pytest.raises(ValueError, match="epsilon must be > 0"):
            build_time_domain(self.generators()["dll"], epsilon=0.0)
        with pytest.raises(ValueError, match="trotter_step must be > 0"):
            build_time_domain(self.generators()["dll"], epsilon=1e-3, trotter_step=-0.1)


@lru_cache(maxsize=None)
def ckg_lowered(weight: str, epsilon: float):
    """TFIM n=3, β=1 CKG generator and its time-domain form (shared: each build is ~1 s)."""
    from kmsgibbs.compiler import ckg

    L = ckg(models.transverse_field_ising(3), models.single_site_couplings(3, "XZ"), 1.0, weight=weight)
    return L, L.time_domain(epsilon=epsilon)


class TestCKGTimeDomain:
    """CKG lowered to compressed Kossakowski eigen-jumps on one grid, checked against the energy basis.

    A flipped ω modulation (jumps e^{+iωt_l} w_l, i.e. γ(−ω)) breaks the dense match (error ~0.2-0.4)
    and moves the fixed point away from e^{−βH}/Z (by ~0.3): every test below fails on it.
    """

    WEIGHTS = ["metropolis", "gaussian"]

    @pytest.mark.parametrize("weight", WEIGHTS)
    def test_generator_matches_dense_and_error_falls_with_epsilon(self, weight):
        ref = ckg_lowered(weight, 1e-2)[0].superoperator()
        errs = []
        for eps in (1e-2, 1e-4, 1e-6):
            form = ckg_lowered(weight, eps)[1]
            assert set(form.errors) == {"jump", "frequency", "rank", "coherent"}
            assert all(err <= eps for err in form.errors.values()), form.errors
            errs.append(np.abs(form.superoperator() - ref).max() / np.abs(ref).max())
            # the reported kernel errors (each ≤ ε) add up to a bound on the generator's
            assert errs[-1] <= sum(form.errors.values()), (eps, errs[-1], form.errors)
        assert errs[0] > errs[1] > errs[2], errs

    @pytest.mark.parametrize("weight", WEIGHTS)
    def test_steady_state_is_the_gibbs_state(self, weight):
        eps = 1e-4
        L, form = ckg_lowered(weight, eps)
        values, vectors = np.linalg.eig(form.superoperator())
        rho = vectors[:, np.argmin(np.abs(values))].reshape(L.dim, L.dim, order="F")
        rho /= np.trace(rho)
        assert np.abs(rho - L.gibbs_state()).max() <= eps

    @pytest.mark.parametrize("weight, max_rank", [("metropolis", 16), ("gaussian", 6)])
    def test_grids_on_the_unit_and_compressed_jumps(self, weight, max_rank):
        L, form = ckg_lowered(weight, 1e-4)
        base_times = form.jumps[0][1].times
        for grid in [g for _, g in form.jumps] + [g for _, g in form.coherent_jumps] + [form.coherent]:
            ratio = grid.times / form.trotter_step
            np.testing.assert_allclose(ratio, np.round(ratio), atol=1e-9)
        assert all(np.array_equal(g.times, base_times) for _, g in form.jumps)  # one sweep layout
        assert all(v > 0 for v, _ in form.jumps)
        # far fewer sweeps than ω nodes (the kernel's own factorisation), and at most one per time point
        omega_nodes = len(L.kernel.nodes(L.basis)[0])
        assert len(form.jumps) <= min(max_rank, base_times.size) < omega_nodes
        # each jump's grid against its exact filter Σ_m a_m f̂(ν − ω_m), and the kernel they rebuild
        bohr = L.basis.bohr.ravel()
        exact = np.array([f(bohr) for f in form.jump_filters])
        grid = np.array([g.transfer(bohr) for _, g in form.jumps])
        fmax = form.base_filter(0.0)
        for r, f in enumerate(form.jump_filters):
            one_norm = np.abs(f.args[2]).sum()  # Σ_m |a_m|, the partial's bound coefficients
            assert np.abs(grid[r] - exact[r]).max() <= form.errors["jump"] * fmax * one_norm
        rates = np.array([v for v, _ in form.jumps])
        c_max = L.kernel.smoothed_weight(np.linspace(-form.bohr_bound, form.bohr_bound, 2001)).max()
        rebuilt = (exact.T * rates) @ exact.conj()
        ref = L.kernel.coefficients(bohr[:, None], bohr[None, :])
        assert np.abs(rebuilt - ref).max() <= 2 * (form.errors["frequency"] + form.errors["rank"]) * c_max
