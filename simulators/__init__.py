"""Exact references (NumPy/SciPy), Aer runs of compiled circuits, and their verification."""

from . import aer, exact, microscopic
from .primitives import Estimate, estimate, sample
from .distances import trace_distance
from .verification import VerificationReport, verify

__all__ = ["exact", "aer", "microscopic", "trace_distance", "verify", "VerificationReport", "estimate", "sample", "Estimate"]
