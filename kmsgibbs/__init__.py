"""kmsgibbs: compile KMS-detailed-balanced master equations into circuits that prepare Gibbs states."""

from importlib.metadata import PackageNotFoundError, version

from . import circuits, compiler, simulators
from .compiler import ckg, compile_sampler, davies, dll, scandi_alhambra

try:
    __version__ = version("kmsgibbs")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = [
    "compiler",
    "circuits",
    "simulators",
    "scandi_alhambra",
    "davies",
    "ckg",
    "dll",
    "compile_sampler",
    "__version__",
]
