"""Exact references, Aer runs of compiled circuits, and their verification, grouped by job.

``engine``      the exact engine (NumPy/SciPy): e^{tL}ρ₀, gaps, sectors, mixing times, distances
``runners``     Aer runs: density matrix, trajectories, MPS, noisy, randomized instances (also on a cluster)
``primitives``  the Qiskit primitives (Estimator/Sampler) on compiled circuits
``validation``  ``verify``: Aer runs against the exact evolution, the Gibbs state and the bound
``baselines``   Gibbs references beyond exact diagonalisation (free fermions, tensor networks), the microscopic model
Data flows down that list the other way: validation → runners, engine; primitives → runners.
"""

import sys

from . import baselines, engine, primitives, runners, validation
from .baselines import microscopic, purification, references
from .engine import distances, exact, krylov, mixing, properties, sectors
from .engine.distances import trace_distance
from .runners import distributed
from .primitives import EnsembleEstimate, Estimate, estimate, estimate_instances, sample
from .validation import verification
from .validation.observables import ObservableReport, verify_observables
from .validation.verification import VerificationReport, verify

aer = runners  # the name of the runners in earlier releases (kmsgibbs.simulators.aer)

# The flat module paths of earlier releases (kmsgibbs.simulators.aer, .exact, .verification, …) name the same
# module objects in their groups, so `from kmsgibbs.simulators.mixing import mixing_time` keeps working.
for _name, _module in {
    "aer": runners,
    "exact": exact,
    "krylov": krylov,
    "sectors": sectors,
    "mixing": mixing,
    "distances": distances,
    "properties": properties,
    "verification": verification,
    "references": references,
    "purification": purification,
    "microscopic": microscopic,
    "distributed": distributed,
}.items():
    sys.modules[f"{__name__}.{_name}"] = _module
del _name, _module

__all__ = [
    "exact",
    "aer",
    "microscopic",
    "references",
    "purification",
    "distributed",
    "trace_distance",
    "verify",
    "VerificationReport",
    "verify_observables",
    "ObservableReport",
    "estimate",
    "estimate_instances",
    "sample",
    "Estimate",
    "EnsembleEstimate",
    "engine",
    "runners",
    "primitives",
    "validation",
    "baselines",
]
