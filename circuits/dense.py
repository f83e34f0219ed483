"""Dense matrices of small circuits: the unitary of a circuit, and unitary + ancilla reset as a channel.

A verification aid for a few qubits (the matrices are 4^q and 4^n complex numbers). The unitary is
computed without a simulator: composite gates are replaced by their definitions, and Qiskit's
(Rust) ``ConsolidateBlocks`` merges the circuit into two-qubit blocks, which are then multiplied into the 2^q × 2^q matrix as tensor contractions, so the
cost is a few hundred small products per thousand gates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import Instruction, Parameter, ParameterExpression
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import Operator
from qiskit.transpiler import PassManager
from qiskit.transpiler.passes import ConsolidateBlocks

__all__ = [
    "MAX_ACTION_BYTES",
    "MAX_UNITARY_QUBITS",
    "circuit_action",
    "circuit_unitaries",
    "circuit_unitaries_over",
    "circuit_unitary",
    "ancilla_kraus",
    "ancilla_isometry",
    "ancilla_channel",
    "then_ancilla_reset",
]

#: Largest circuit (qubits) whose dense unitary is computed: 16·4^q bytes, 16 MiB at q = 10.
MAX_UNITARY_QUBITS = 10
#: Largest block of state vectors ``circuit_action`` holds (three copies are alive while it works).
MAX_ACTION_BYTES = 2**30

_CONSOLIDATE = PassManager([ConsolidateBlocks(basis_gates=["unitary"], force_consolidate=True)])
# gates whose matrix is known directly; any other gate is replaced by its definition
_MATRIX_GATES = set(get_standard_gate_name_mapping()) | {"unitary"}
_NON_UNITARY = {"barrier", "reset", "measure"}


def _flatten(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` with every composite gate replaced by its definition, recursively."""
    if set(circuit.count_ops()) <= _MATRIX_GATES | _NON_UNITARY:
        return circuit
    out = circuit.copy_empty_like()
    for instruction in circuit.data:
        operation = instruction.operation
        if operation.name in _MATRIX_GATES | _NON_UNITARY or operation.definition is None:
            out.append(instruction)
        else:
            out.compose(_flatten(operation.definition), instruction.qubits, inplace=True, copy=False)
    return out


def _apply(tensor: np.ndarray, matrix: np.ndarray, qubits: Sequence[int], num_qubits: int) -> np.ndarray:
    """matrix (on ``qubits``, little-endian) @ tensor, where tensor is U reshaped to (2,)*q + (2^q,)."""
    k = len(qubits)
    gate = matrix.reshape((2,) * (2 * k))
    # tensor axis a holds qubit num_qubits − 1 − a; a gate's row axis j holds its qubit k − 1 − j
    axes = [num_qubits - 1 - q for q in reversed(qubits)]
    out = np.tensordot(gate, tensor, axes=(list(range(k, 2 * k)), axes))
    return np.moveaxis(out, list(range(k)), axes)


def _prepared(circuits: Sequence[QuantumCircuit]) -> list[QuantumCircuit]:
    """Each circuit as consolidated two-qubit blocks (custom and 3+-qubit gates unrolled first)."""
    return _CONSOLIDATE.run([_flatten(c) for c in circuits]) if circuits else []


def _gates(circuit: QuantumCircuit) -> Iterator[tuple[Instruction, list[int]]]:
    """(operation, qubit indices) of every gate, refusing a non-unitary instruction."""
    for instruction in circuit.data:
        operation = instruction.operation
        if operation.name == "barrier":
            continue
        if operation.name in ("reset", "measure"):
            raise ValueError(f"circuit {circuit.name!r} is not unitary: it holds a {operation.name!r}")
        yield operation, [circuit.find_bit(b).index for b in instruction.qubits]


def _act(circuit: QuantumCircuit, columns: np.ndarray) -> np.ndarray:
    """U @ columns for a consolidated circuit, columns of shape (2^q, m)."""
    q = circuit.num_qubits
    tensor = np.asarray(columns, dtype=complex).reshape((2,) * q + (columns.shape[1],))
    for operation, qubits in _gates(circuit):
        matrix = operation.to_matrix() if hasattr(operation, "to_matrix") else Operator(operation).data
        tensor = _apply(tensor, np.asarray(matrix, dtype=complex), qubits, q)
    return np.exp(1j * float(circuit.global_phase)) * tensor.reshape(2**q, -1)


def circuit_action(circuit: QuantumCircuit, columns: np.ndarray) -> np.ndarray:
    """U @ ``columns`` for the unitary U of ``circuit`` (little-endian), columns of shape (2^q, m).

    The matrix-free way to read a few columns of a circuit too wide for its unitary (16·2^q·m bytes).
    """
    columns = np.asarray(columns)
    if columns.ndim != 2 or columns.shape[0] != 2**circuit.num_qubits:
        raise ValueError(f"columns must have shape (2^{circuit.num_qubits}, m), got {columns.shape}")
    if 16 * columns.size > MAX_ACTION_BYTES:
        raise ValueError(
            f"{columns.shape[1]} state vectors of {circuit.num_qubits} qubits need {16 * columns.size} bytes, "
            f"above {MAX_ACTION_BYTES}; act on fewer columns at a time"
        )
    (prepared,) = _prepared([circuit])
    return _act(prepared, columns)


def circuit_unitaries(circuits: Sequence[QuantumCircuit]) -> list[np.ndarray]:
    """The unitary of each circuit (no measurements or resets), little-endian, as dense arrays.

    Raises:
        ValueError: a circuit is wider than :data:`MAX_UNITARY_QUBITS` or holds a non-unitary
            instruction.
    """
    for circuit in circuits:
        if circuit.num_qubits > MAX_UNITARY_QUBITS:
            raise ValueError(
                f"a dense unitary is computed for at most {MAX_UNITARY_QUBITS} qubits, got a circuit of "
                f"{circuit.num_qubits}; use circuit_action on the columns you need"
            )
    return [_act(c, np.eye(2**c.num_qubits, dtype=complex)) for c in _prepared(list(circuits))]


def circuit_unitaries_over(circuit: QuantumCircuit, parameter: Parameter, values: Sequence[float]) -> np.ndarray:
    """The unitaries of ``circuit`` with ``parameter`` bound to each of ``values``, shape (len(values), 2^q, 2^q).

    The bound circuits share every gate that does not depend on the parameter, so all values are
    carried through the circuit at once (a batch axis), and only the parameter's gates are evaluated
    per value.
    """
    if circuit.num_qubits > MAX_UNITARY_QUBITS:
        raise ValueError(f"a dense unitary is computed for at most {MAX_UNITARY_QUBITS} qubits, got {circuit.num_qubits}")
    values = np.asarray(values, dtype=float).ravel()
    circuit = _flatten(circuit)
    q, batch = circuit.num_qubits, values.size
    # batch axis last but one: (2,)*q + (batch, 2^q), so the gates contract the leading qubit axes
    tensor = np.broadcast_to(np.eye(2**q, dtype=complex)[:, None, :], (2**q, batch, 2**q)).copy()
    tensor = tensor.reshape((2,) * q + (batch, 2**q))
    bound: dict[tuple, np.ndarray] = {}
    for operation, qubits in _gates(circuit):
        if not operation.is_parameterized():
            tensor = _apply(tensor, np.asarray(operation.to_matrix(), dtype=complex), qubits, q)
            continue
        k = len(qubits)
        key = (operation.name, tuple(str(p) for p in operation.params))
        if key not in bound:  # repeated gates (a rotation per Trotter step) share their matrices
            bound[key] = np.array([_bound_matrix(operation, parameter, v) for v in values])
        matrices = bound[key].reshape((batch,) + (2,) * (2 * k))
        axes = [q - 1 - b for b in reversed(qubits)]
        # out[rows, batch, …] = Σ_cols M[batch, rows, cols] · tensor[cols, batch, …]
        moved = np.moveaxis(tensor, axes + [q], list(range(k + 1)))
        letters = "abcdefgh"[:k], "ijklmnop"[:k]
        out = np.einsum(f"z{letters[0]}{letters[1]},{letters[1]}z...->{letters[0]}z...", matrices, moved)
        tensor = np.moveaxis(out, list(range(k + 1)), axes + [q])
    phase = np.exp(1j * float(circuit.global_phase)) if not isinstance(circuit.global_phase, ParameterExpression) else None
    if phase is None:
        phase = np.array([np.exp(1j * float(circuit.global_phase.bind({parameter: v}))) for v in values])[:, None, None]
    return phase * np.moveaxis(tensor.reshape(2**q, batch, 2**q), 1, 0)


def _bound_matrix(operation, parameter: Parameter, value: float) -> np.ndarray:
    params = [float(p.bind({parameter: value})) if isinstance(p, ParameterExpression) else p for p in operation.params]
    bound = operation.copy()
    bound.params = params
    return np.asarray(bound.to_matrix(), dtype=complex)


def circuit_unitary(circuit: QuantumCircuit) -> np.ndarray:
    """The unitary of one circuit; see :func:`circuit_unitaries`."""
    return circuit_unitaries([circuit])[0]


def ancilla_kraus(unitary: np.ndarray, dim: int, *, prepared: int = 0) -> tuple[np.ndarray, ...]:
    """K_e = ⟨e|U|prepared⟩ for the ancilla qubits above a ``dim``-dimensional system.

    The ancillas are the qubits above the system (little-endian: row e·dim + i is ancilla state e,
    system state i), as many as ``unitary`` has rows: one ancilla gives (K_0, K_1), K ancillas give
    the 2^K operators K_e, e = 0 … 2^K − 1. ``unitary`` may be an isometry, the columns
    ⟨·|U|prepared⟩ only (shape (2^K·dim, dim) for ``prepared=0``): what a reset-after-use needs.
    """
    rows, cols = unitary.shape
    if rows % dim or rows // dim < 2 or rows // dim & (rows // dim - 1):
        raise ValueError(f"the unitary's {rows} rows are not 2^K copies (K ≥ 1) of a {dim}-dimensional system")
    if not (isinstance(prepared, int | np.integer) and not isinstance(prepared, bool) and 0 <= prepared and (prepared + 1) * dim <= cols):
        raise ValueError(f"prepared must be an ancilla basis state held in the unitary's {cols // dim} column blocks, got {prepared!r}")
    columns = slice(prepared * dim, (prepared + 1) * dim)
    return tuple(unitary[e * dim : (e + 1) * dim, columns] for e in range(rows // dim))


def ancilla_isometry(circuit: QuantumCircuit, dim: int) -> np.ndarray:
    """U|0…0⟩_anc: the first ``dim`` columns of ``circuit``'s unitary (the ancillas above a ``dim``-dimensional
    system start in |0⟩), shape (2^q, dim), computed without the full 2^q × 2^q matrix."""
    eye = np.zeros((2**circuit.num_qubits, dim), dtype=complex)
    eye[:dim] = np.eye(dim)
    return circuit_action(circuit, eye)


def ancilla_channel(unitary: np.ndarray, dim: int, *, prepared: int = 0) -> np.ndarray:
    """The column-stacked superoperator of ρ ↦ Tr_anc[U (|prepared⟩⟨prepared| ⊗ ρ) U^†] (Σ_e K̄_e ⊗ K_e),
    one or several ancilla qubits (see :func:`ancilla_kraus`)."""
    return sum(np.kron(k.conj(), k) for k in ancilla_kraus(unitary, dim, prepared=prepared))


def then_ancilla_reset(total: np.ndarray, unitary: np.ndarray, dim: int) -> np.ndarray:
    """Φ∘``total`` for Φ(ρ) = Tr_anc[U (|0…0⟩⟨0…0| ⊗ ρ) U^†], one or several ancilla qubits above a
    ``dim``-dimensional system (``unitary`` may be the isometry U|0…0⟩, see :func:`ancilla_kraus`).

    Superoperators are column-stacked (vec(X)[a + d·b] = X[a, b]). Φ is applied through its Kraus
    operators K_e = ⟨e|U|0⟩ to the d × d blocks of ``total`` (2d⁵ work per Kraus operator) instead of
    forming K̄ ⊗ K and multiplying (d⁶). The reset leaves the ancillas in |0⟩ for the next factor.
    """
    d = dim
    y = total.reshape(d, d, -1)  # y[b, a, j] = (column j as a d×d matrix)[a, b]
    out = np.zeros_like(y)
    for k in ancilla_kraus(unitary, d):
        out += (k.conj() @ np.matmul(k, y).reshape(d, -1)).reshape(y.shape)
    return out.reshape(d * d, -1)
