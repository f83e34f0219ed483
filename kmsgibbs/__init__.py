"""kmsgibbs: compile KMS-detailed-balanced master equations into circuits that prepare Gibbs states."""

import importlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

# The subpackages live at the repository root (compiler/, circuits/, simulators/) and are mapped into
# kmsgibbs by pyproject's package-dir. When this file is imported from a source checkout (say, Python
# started in the repo root after a non-editable install), let them resolve there too.
_root = Path(__file__).resolve().parent.parent
if all((_root / sub / "__init__.py").is_file() for sub in ("compiler", "circuits", "simulators")):
    __path__.append(str(_root))

from . import circuits, compiler  # noqa: E402
from .compiler import ckg, compile_sampler, davies, dll, scandi_alhambra  # noqa: E402


def __getattr__(name: str):
    # simulators/ loads Aer; importing kmsgibbs.compiler (or kmsgibbs) for compiling alone must not
    if name == "simulators":
        return importlib.import_module(f"{__name__}.simulators")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
