"""The exact engine (NumPy/SciPy): e^{tL}ρ₀, the gap, mixing times, distances, the KMS defect.

``exact``       evolution, Gibbs states, fixed points and gaps (dense or matrix-free)
``krylov``      Lanczos/Arnoldi evolution and gaps
``sectors``     symmetry sectors that block-diagonalise the generator
``mixing``      mixing times and χ² distances
``distances``   the trace distance
``properties``  the KMS defect and other checks of a generator
"""

from . import distances, exact, krylov, mixing, properties, sectors

__all__ = ["exact", "krylov", "sectors", "mixing", "distances", "properties"]
