"""Exact references (NumPy/SciPy), Aer runs of compiled circuits, and their verification."""

from . import aer, exact, microscopic
from .primitives import EnsembleEstimate, Estimate, estimate, estimate_instances, sample
from .distances import trace_distance
from .verification import VerificationReport, verify

__all__ = ["exact", "aer", "microscopic", "trace_distance", "verify", "VerificationReport", "estimate", "estimate_instances", "sample", "Estimate", "EnsembleEstimate"]
from . import purification, references  # Gibbs references: free fermions, dense ED, TN (quimb extra)
__all__ += ["references", "purification"]
from . import distributed  # instances on a Dask cluster or any executor (the [distributed] extra)
__all__ += ["distributed"]
