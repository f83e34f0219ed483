"""Spectral gaps of the master-equation families on small chains (issue #2's table).

Run: python benchmarks/gap_table.py
Scandi–Alhambra form='kms' with an Ohmic bath (η = 0.1, ω_c = 5), β = 1, couplings X, Y, Z on every
site, coupling α = 1, for T ∈ {0, 0.5, 1, 2, 5}; CKG (Metropolis, σ_E = 1/β) and DLL (Gaussian filter)
on the same models. Gaps are in units of α².
"""

import time

from kmsgibbs.compiler import baths, ckg, dll, models, scandi_alhambra
from kmsgibbs.simulators import exact

BETA = 1.0
TIMES = (0.0, 0.5, 1.0, 2.0, 5.0)
MODELS = {
    "tfim": models.transverse_field_ising,
    "heisenberg": models.heisenberg,
}


def main() -> None:
    bath = baths.OhmicBath(BETA, eta=0.1, cutoff=5.0)
    head = " ".join(f"{'T=' + str(t):>9s}" for t in TIMES)
    print(f"{'model':<11s}{'n':>3s} {head} {'CKG':>9s} {'DLL':>9s} {'seconds':>8s}")
    for name, make in MODELS.items():
        for n in (3, 4, 5):
            start = time.perf_counter()
            H, A = make(n), models.single_site_couplings(n)
            gaps = [exact.spectral_gap(scandi_alhambra(H, A, bath, coarse_graining_time=t)) for t in TIMES]
            gaps.append(exact.spectral_gap(ckg(H, A, BETA)))
            gaps.append(exact.spectral_gap(dll(H, A, BETA)))
            cells = " ".join(f"{g:9.4f}" for g in gaps)
            print(f"{name:<11s}{n:>3d} {cells} {time.perf_counter() - start:8.1f}")


if __name__ == "__main__":
    main()
