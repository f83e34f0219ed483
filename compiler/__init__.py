"""Physics front-end: models, baths, master equations (energy basis) and their lowering to circuits."""

from . import baths, models
from .baths import Bath, GaussianBath, OhmicBath
from .lindbladian import Lindbladian
from .master_equations import ckg, davies, dll, kms_coherent_term, scandi_alhambra
from .sampler import CompiledSampler, ErrorBound, compile_sampler

__all__ = [
    "models",
    "baths",
    "Bath",
    "OhmicBath",
    "GaussianBath",
    "Lindbladian",
    "scandi_alhambra",
    "davies",
    "ckg",
    "dll",
    "kms_coherent_term",
    "compile_sampler",
    "CompiledSampler",
    "ErrorBound",
]
