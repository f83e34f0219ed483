"""A model of one's own from a JSON file: the Hamiltonian and the operators coupled to the bath.

The file holds one object::

    {"num_qubits": 3,
     "hamiltonian": [["ZZ", [0, 1], -1.0], ["ZZ", [1, 2], -1.0], ["X", [0], -1.0], ...],
     "couplings": [[["X", [0], 1.0]], [["Z", [0], 1.0]], ...]}

Each term is ``[paulis, qubits, coefficient]`` as in ``SparsePauliOp.from_sparse_list`` (little-endian
qubit indices, one Pauli letter per index, a real coefficient); ``couplings`` is one list of terms per
coupling operator A_k (each its own bath). Every error names the file and the field that is wrong.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from qiskit.quantum_info import SparsePauliOp

__all__ = ["ModelFile", "ModelFileError", "load_model", "parse_model"]

#: The keys of a model file; any other key is refused (a misspelt key must not be ignored silently).
KEYS = ("num_qubits", "hamiltonian", "couplings")
#: Refused above this many qubits before anything is built (the dense references stop far below).
MAX_QUBITS = 1000


class ModelFileError(ValueError):
    """A model file that cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class ModelFile:
    """The model a file describes.

    Attributes:
        num_qubits: n.
        hamiltonian: H on n qubits.
        couplings: the coupling operators A_k on n qubits.
        source: the file it was read from (``"<data>"`` for a parsed object).
    """

    num_qubits: int
    hamiltonian: SparsePauliOp
    couplings: tuple[SparsePauliOp, ...]
    source: str = "<data>"


def _terms(where: str, value: object, n: int) -> SparsePauliOp:
    if not isinstance(value, list) or not value:
        raise ModelFileError(f"{where}: expected a non-empty list of [paulis, qubits, coefficient] terms, got {value!r}")
    terms = []
    for i, term in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(term, list) or len(term) != 3:
            raise ModelFileError(f"{at}: expected [paulis, qubits, coefficient], got {term!r}")
        paulis, qubits, coefficient = term
        if not isinstance(paulis, str) or not paulis or set(paulis) - set("IXYZ"):
            raise ModelFileError(f"{at}[0]: expected a string of Pauli letters I, X, Y, Z, got {paulis!r}")
        if not isinstance(qubits, list) or len(qubits) != len(paulis):
            raise ModelFileError(f"{at}[1]: expected {len(paulis)} qubit indices (one per Pauli letter), got {qubits!r}")
        for q in qubits:
            if isinstance(q, bool) or not isinstance(q, int) or not 0 <= q < n:
                raise ModelFileError(f"{at}[1]: qubit {q!r} is not an index in 0..{n - 1} (num_qubits={n})")
        if len(set(qubits)) != len(qubits):
            raise ModelFileError(f"{at}[1]: repeated qubit in {qubits!r}")
        if isinstance(coefficient, bool) or not isinstance(coefficient, (int, float)) or not math.isfinite(coefficient):
            raise ModelFileError(f"{at}[2]: the coefficient must be a finite real number (H is Hermitian), got {coefficient!r}")
        terms.append((paulis, qubits, float(coefficient)))
    return SparsePauliOp.from_sparse_list(terms, num_qubits=n).simplify()


def parse_model(data: object, *, source: str = "<data>") -> ModelFile:
    """The model of a decoded JSON object (see the module docstring).

    Raises:
        ModelFileError: a missing, unknown or malformed field; the message names it.
    """
    if not isinstance(data, dict):
        raise ModelFileError(f"{source}: expected a JSON object with keys {', '.join(KEYS)}, got {type(data).__name__}")
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ModelFileError(f"{source}: unknown field {unknown[0]!r} (the fields are {', '.join(KEYS)})")
    for key in KEYS:
        if key not in data:
            raise ModelFileError(f"{source}: missing field {key!r}")
    n = data["num_qubits"]
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_QUBITS:
        raise ModelFileError(f"{source}: num_qubits must be an integer in 1..{MAX_QUBITS}, got {n!r}")
    hamiltonian = _terms(f"{source}: hamiltonian", data["hamiltonian"], n)
    couplings = data["couplings"]
    if not isinstance(couplings, list) or not couplings:
        raise ModelFileError(f"{source}: couplings must be a non-empty list (one list of terms per coupling operator), got {couplings!r}")
    operators = tuple(_terms(f"{source}: couplings[{k}]", a, n) for k, a in enumerate(couplings))
    return ModelFile(n, hamiltonian, operators, source)


def load_model(path: str | os.PathLike) -> ModelFile:
    """The model in the JSON file ``path`` (see the module docstring).

    Raises:
        ModelFileError: the file cannot be read, is not JSON, or has a malformed field (named).
    """
    name = str(path)
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ModelFileError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{name}: not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    return parse_model(data, source=name)
