"""Exact references (NumPy/SciPy) and simulator runs that check compiled circuits."""

from . import exact
from .distances import trace_distance

__all__ = ["exact", "trace_distance"]
