"""Physics front-end: models, baths, master equations (energy basis) and their lowering to circuits."""

from . import baths, models
from .baths import Bath, GaussianBath, OhmicBath
from .lindbladian import Lindbladian
from .master_equations import ckg, davies, dll, kms_coherent_term, scandi_alhambra
from .hardware import PRE_INIT, chain_layout, dump_qasm3, to_isa, to_qasm3
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
    "to_isa",
    "chain_layout",
    "PRE_INIT",
    "to_qasm3",
    "dump_qasm3",
]
