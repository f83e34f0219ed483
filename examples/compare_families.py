"""Compare how fast different thermalizing master equations mix, exactly (no circuits).

For a transverse-field Ising chain of n = 4 spins, coupled through X, Y and Z on every site, builds
  * Scandi–Alhambra form="kms" at coarse-graining times T = 0, 0.5, 1, 2 (Ohmic bath),
  * Chen–Kastoryano–Gilyén (Metropolis weight, σ_E = 1/β),
  * Ding–Li–Lin (Gaussian filter),
  * Davies (secular, same Ohmic bath),
all with e^{−βH}/Z as fixed point. For each it prints the spectral gap of the generator, the trace
distance ½‖e^{tL}ρ₀ − σ_β‖₁ from ρ₀ = |0000⟩⟨0000| at a few times, and the first time (on a 0.25
grid) at which that distance drops below 1e-2. Longer coarse-graining times T resolve the Bohr
frequencies better and mix faster, approaching the Davies limit.

The families share conventions but not a rate normalisation: the Scandi–Alhambra and Davies rates
come from the bath's spectral density (coupling α = 1), the CKG and DLL weights are O(1) by
construction. Compare the T dependence within Scandi–Alhambra, and the other rows as orders of
magnitude.

Run (about 10 s):

    python examples/compare_families.py
"""

import numpy as np

from kmsgibbs.compiler import baths, ckg, davies, dll, models, scandi_alhambra
from kmsgibbs.simulators import exact, trace_distance

N, BETA = 4, 1.0
SHOW_TIMES = (1.0, 2.0, 4.0, 8.0, 16.0)
THRESHOLD = 1e-2
GRID = np.arange(0.0, 30.0 + 1e-9, 0.25)  # contains SHOW_TIMES, resolves the mixing time to 0.25


def generators(H, A, bath):
    """The generators to compare, as (name, Lindbladian) pairs."""
    out = [
        (f"Scandi-Alhambra kms T={T:g}", scandi_alhambra(H, A, bath, coarse_graining_time=T))
        for T in (0.0, 0.5, 1.0, 2.0)
    ]
    out.append(("CKG (Metropolis)", ckg(H, A, BETA)))
    out.append(("DLL (Gaussian)", dll(H, A, BETA)))
    out.append(("Davies", davies(H, A, bath)))
    return out


def main() -> None:
    H = models.transverse_field_ising(N)
    A = models.single_site_couplings(N, "XYZ")
    bath = baths.OhmicBath(BETA, eta=0.1, cutoff=5.0)
    rho0 = np.zeros((2**N, 2**N), dtype=complex)
    rho0[0, 0] = 1.0
    show = [int(np.argmin(np.abs(GRID - t))) for t in SHOW_TIMES]

    print(f"TFIM n={N}, beta={BETA:g}, couplings XYZ on every site, rho0 = |0000>")
    print(f"distance d(t) = ½‖e^(tL)rho0 − Gibbs‖₁; t_mix = first t with d(t) < {THRESHOLD:g}")
    head = f"{'generator':<28s} {'gap':>7s}" + "".join(f" {f'd({t:g})':>9s}" for t in SHOW_TIMES)
    print(head + f" {'t_mix':>6s}")
    for name, L in generators(H, A, bath):
        sigma = L.gibbs_state()
        d = np.array([trace_distance(rho, sigma) for rho in exact.evolve(L, rho0, GRID)])
        below = np.flatnonzero(d < THRESHOLD)
        t_mix = f"{GRID[below[0]]:6.2f}" if below.size else f">{GRID[-1]:g}".rjust(6)
        row = f"{name:<28s} {exact.spectral_gap(L):7.4f}" + "".join(f" {d[i]:9.2e}" for i in show)
        print(row + f" {t_mix}")


if __name__ == "__main__":
    main()
