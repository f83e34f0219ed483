"""Verification of compiled samplers: Aer runs against the exact evolution, the Gibbs state and the bound.

``verification``  ``verify`` and its ``VerificationReport`` (states, trace distances)
``observables``   ``verify_observables`` and its ``ObservableReport`` (local observables at any n)
"""

from . import observables, verification
from .observables import ObservableReport, verify_observables
from .verification import VerificationReport, verify

__all__ = ["verification", "verify", "VerificationReport", "observables", "verify_observables", "ObservableReport"]
