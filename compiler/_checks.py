"""Early, explicit validation of user input (each error names the offending value)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
from qiskit.quantum_info import SparsePauliOp

#: Largest dense array (bytes) a dense method may allocate before it refuses.
DEFAULT_MAX_DENSE_BYTES = 2 * 1024**3


def check_real(name: str, value: object) -> float:
    """Return ``value`` as a finite float; a non-number is a ``TypeError`` naming ``name``.

    Accepted: Python and NumPy integers and floats (and 0-d real arrays). Refused with a
    ``TypeError``: ``bool`` (``True`` is not a temperature), strings (``'1.0'`` is text, not a
    number), complex numbers and ``None``. Refused with a ``ValueError``: NaN and ±inf.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    # bool is an Integral subclass, and numpy's bool_ is not a Real: both are flags, not numbers
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return x


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float after checking it is a finite real number > 0 (or >= 0).

    Raises:
        TypeError: ``value`` is not a real number (see :func:`check_real`).
        ValueError: it is NaN, infinite, negative, or zero when ``allow_zero`` is False.
    """
    x = check_real(name, value)
    if x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return x


def check_open_unit_interval(name: str, value: float) -> float:
    """Return ``value`` as a float after checking it is a real number with 0 < value < 1.

    For accuracies and probabilities such as ``epsilon``: ``epsilon = 1`` asks for no accuracy at
    all and ``epsilon = 2`` makes log(1/ε) negative.

    Raises:
        TypeError: ``value`` is not a real number.
        ValueError: it is not finite or not strictly between 0 and 1.
    """
    x = check_real(name, value)
    if not 0.0 < x < 1.0:
        raise ValueError(f"{name} must lie in the open interval (0, 1), got {value!r}")
    return x


def check_integer(name: str, value: object, *, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int`` (Python or NumPy integer, not ``bool``), at least ``minimum``.

    Raises:
        TypeError: ``value`` is not an integer (a float such as 2.0 included: counts are exact).
        ValueError: it is below ``minimum``.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    x = int(value)
    if minimum is not None and x < minimum:
        bound = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return x


def check_seed(name: str, value: object) -> int:
    """Return ``value`` as a seed: an integer ≥ 0 (NumPy's generators take no negative seeds).

    Raises:
        TypeError: ``value`` is not an integer (``None``, ``'1'``, ``True``, 1.5).
        ValueError: it is negative.
    """
    return check_integer(name, value, minimum=0)


def check_byte_count(name: str, value: object) -> int:
    """Return ``value`` as a whole number of bytes ≥ 1 (an integer, or a finite float such as 8e9).

    Raises:
        TypeError: ``value`` is not a real number (``'lots'``, ``True``).
        ValueError: it is NaN, infinite or below 1 byte (0.5 would truncate to a 0-byte limit).
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of bytes, got {value!r} of type {type(value).__name__}")
    x = float(value)
    if not (math.isfinite(x) and x >= 1):
        raise ValueError(f"{name} must be a finite number of bytes >= 1, got {value!r}")
    return int(value)


def check_flag(name: str, value: object) -> bool:
    """Return ``value`` when it is ``True`` or ``False`` (NumPy's too): ``'no'`` and 0 are not flags.

    Raises:
        TypeError: naming ``name`` and the value.
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {value!r} of type {type(value).__name__}")
    return bool(value)


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """Return ``value`` when it is one of ``choices``.

    Raises:
        ValueError: naming ``name``, the value and the choices.
    """
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_trotter_order(name: str, value: object) -> int:
    """Return ``value`` as a product-formula order: 1 or an even integer ≥ 2 (Suzuki's recursion).

    The order's cost (5^{(p−2)/2} second-order stages per step) is the guard's business, not this one's.

    Raises:
        TypeError: ``value`` is not an integer (``'2'``, 2.0, 1e300, ``True``).
        ValueError: it is 0, negative, or odd above 1.
    """
    p = check_integer(name, value)
    if p != 1 and (p < 2 or p % 2):
        raise ValueError(f"{name} must be 1 or an even number >= 2, got {value!r}")
    return p


def check_hermitian_pauli(name: str, op: SparsePauliOp, *, atol: float = 1e-12) -> SparsePauliOp:
    """Check that a ``SparsePauliOp`` is Hermitian (real coefficients after simplification)."""
    if not isinstance(op, SparsePauliOp):
        raise ValueError(f"{name} must be a qiskit SparsePauliOp, got {type(op).__name__}")
    simplified = op.simplify(atol=0.0)
    coeffs = np.asarray(simplified.coeffs)
    if coeffs.size and not np.all(np.isfinite(coeffs)):
        raise ValueError(f"{name} has non-finite coefficients")
    scale = max(1.0, float(np.max(np.abs(coeffs)))) if coeffs.size else 1.0
    worst = float(np.max(np.abs(coeffs.imag))) if coeffs.size else 0.0
    if worst > atol * scale:
        raise ValueError(
            f"{name} is not Hermitian: largest imaginary Pauli coefficient is {worst:.3g}"
        )
    return simplified


def check_couplings(
    couplings: Sequence[SparsePauliOp] | SparsePauliOp, num_qubits: int
) -> tuple[SparsePauliOp, ...]:
    """Validate the coupling operators A_k: Hermitian, on ``num_qubits`` qubits, at least one."""
    if isinstance(couplings, SparsePauliOp):
        couplings = [couplings]
    couplings = tuple(couplings)
    if not couplings:
        raise ValueError("at least one coupling operator is required, got an empty list")
    out = []
    for k, a in enumerate(couplings):
        a = check_hermitian_pauli(f"coupling operator {k}", a)
        if a.num_qubits != num_qubits:
            raise ValueError(
                f"coupling operator {k} acts on {a.num_qubits} qubits but the Hamiltonian "
                f"acts on {num_qubits}"
            )
        out.append(a)
    return tuple(out)
