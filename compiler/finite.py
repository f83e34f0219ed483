"""One check that a public numerical result is finite before it is returned."""

from __future__ import annotations

import numpy as np

__all__ = ["NonFiniteResultError", "require_finite"]


class NonFiniteResultError(FloatingPointError, ValueError):
    """A computed result contains NaN or ±inf (an input function overflowed, or a solver diverged)."""


def require_finite(what: str, value: np.ndarray | complex | float) -> None:
    """Raise :class:`NonFiniteResultError` naming ``what`` unless every entry of ``value`` is finite.

    Args:
        what: the result, as the user would name it ("Lindbladian.apply of 8 qubits").
        value: the array or number about to be returned.

    Raises:
        NonFiniteResultError: stating how many entries are NaN or infinite.
    """
    arr = np.asarray(value)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = int(arr.size - np.count_nonzero(finite))
        raise NonFiniteResultError(
            f"{what} is not finite ({bad} of {arr.size} entries are NaN or infinite); check the bath "
            "functions and parameters (an overflowing spectral density is the usual cause)"
        )
