"""Exact references (NumPy/SciPy), Aer runs of compiled circuits, and their verification."""

from . import aer, exact
from .distances import trace_distance
from .verification import VerificationReport, verify

__all__ = ["exact", "aer", "trace_distance", "verify", "VerificationReport"]
