"""Verification of compiled samplers: Aer runs against the exact evolution, the Gibbs state and the bound.

``verification``  ``verify`` and its ``VerificationReport`` (states, trace distances)
"""

from . import verification
from .verification import VerificationReport, verify

__all__ = ["verification", "verify", "VerificationReport"]
