"""Spin Hamiltonians and coupling sets as little-endian ``SparsePauliOp``s.

Qubit ``i`` is the ``i``-th character from the right of a Pauli label (Qiskit convention).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from qiskit.quantum_info import SparsePauliOp
from qiskit.transpiler import CouplingMap

from .._checks import check_integer, check_real

Edge = tuple[int, int] | tuple[int, int, float]
#: A graph: pairs ``(i, j)``, weighted triples ``(i, j, w)``, or a Qiskit ``CouplingMap``.
Graph = Iterable[Edge] | CouplingMap

__all__ = [
    "chain_edges",
    "square_lattice_edges",
    "coupling_map_edges",
    "from_edges",
    "transverse_field_ising",
    "heisenberg",
    "random_two_local",
    "single_site_couplings",
]


def _check_num_qubits(n: int) -> int:
    # a count: '3', 3.0 and True are type errors (TypeError), 0 and -1 value errors
    return check_integer("number of qubits", n, minimum=1)


def chain_edges(n: int, *, periodic: bool = False) -> list[tuple[int, int]]:
    """Nearest-neighbour edges of an open (or periodic) chain of ``n`` sites."""
    n = _check_num_qubits(n)
    edges = [(i, i + 1) for i in range(n - 1)]
    if periodic and n > 2:
        edges.append((n - 1, 0))
    return edges


def square_lattice_edges(rows: int, cols: int, *, periodic: bool = False) -> list[tuple[int, int]]:
    """Nearest-neighbour edges of a ``rows x cols`` square lattice, site index ``r * cols + c``."""
    rows, cols = _check_num_qubits(rows), _check_num_qubits(cols)
    edges = []
    for r in range(rows):
        for c in range(cols):
            site = r * cols + c
            if c + 1 < cols or (periodic and cols > 2):
                edges.append((site, r * cols + (c + 1) % cols))
            if r + 1 < rows or (periodic and rows > 2):
                edges.append((site, ((r + 1) % rows) * cols + c))
    return edges


def coupling_map_edges(coupling_map: CouplingMap, num_qubits: int | None = None) -> list[tuple[int, int]]:
    """The undirected edges of a Qiskit ``CouplingMap``, each once, as ``(i, j)`` with i < j, sorted.

    A coupling map is directed (``CouplingMap.from_ring(n)`` holds both (i, j) and (j, i)); a model
    bond is not, so each pair counts once whichever directions the map lists.

    Args:
        coupling_map: the graph, e.g. ``CouplingMap.from_ring(6)`` or ``CouplingMap.from_grid(3, 3)``.
        num_qubits: the model's number of sites; the map must have exactly this many qubits.

    Raises:
        TypeError: ``coupling_map`` is not a ``CouplingMap``.
        ValueError: its size differs from ``num_qubits``.
    """
    if not isinstance(coupling_map, CouplingMap):
        raise TypeError(f"expected a qiskit.transpiler.CouplingMap, got {type(coupling_map).__name__}")
    size = coupling_map.size()
    if num_qubits is not None and size != num_qubits:
        raise ValueError(
            f"the CouplingMap has {size} qubits but the model has {num_qubits} sites; pass a map of the model's "
            "size (e.g. coupling_map.reduce(qubits) for a part of a device's map)"
        )
    return sorted({(min(i, j), max(i, j)) for i, j in coupling_map.get_edges() if i != j})


def _graph(n: int, edges: Graph) -> list:
    """An edge list of ``edges`` on n sites: a CouplingMap's undirected edges, else the edges as given."""
    return coupling_map_edges(edges, n) if isinstance(edges, CouplingMap) else list(edges)


def from_edges(
    num_qubits: int,
    edges: Graph,
    *,
    couplings: Mapping[str, float] | None = None,
    fields: Mapping[str, float | Sequence[float]] | None = None,
) -> SparsePauliOp:
    """Two-body Hamiltonian on any graph.

    H = Σ_{(i,j,w) ∈ edges} w Σ_{PQ} J_{PQ} P_i Q_j + Σ_i Σ_P h_{P,i} P_i.

    Args:
        num_qubits: number of sites.
        edges: pairs ``(i, j)`` or weighted triples ``(i, j, w)`` (taken as given: a repeated pair adds
            its terms again), or a Qiskit ``CouplingMap`` of ``num_qubits`` qubits (each undirected
            pair once, :func:`coupling_map_edges`).
        couplings: two-letter Pauli label -> strength, e.g. ``{"XX": 1, "YY": 1, "ZZ": 0.5}``;
            the first letter acts on ``i``, the second on ``j``. Default ``{"ZZ": 1.0}``.
        fields: one-letter Pauli label -> uniform strength or per-site sequence.

    Returns:
        The Hamiltonian, simplified.
    """
    n = _check_num_qubits(num_qubits)
    couplings = {"ZZ": 1.0} if couplings is None else dict(couplings)
    terms: list[tuple[str, list[int], complex]] = []
    for edge in _graph(n, edges):
        if len(edge) not in (2, 3):
            raise ValueError(f"an edge must be (i, j) or (i, j, weight), got {edge!r}")
        i, j = int(edge[0]), int(edge[1])
        w = check_real(f"the weight of edge {tuple(edge)!r}", edge[2]) if len(edge) == 3 else 1.0
        if not (0 <= i < n and 0 <= j < n) or i == j:
            raise ValueError(f"edge {edge!r} is not a pair of distinct sites in range({n})")
        for label, strength in couplings.items():
            if len(label) != 2 or any(p not in "XYZ" for p in label):
                raise ValueError(f"coupling label must be two of X, Y, Z, got {label!r}")
            strength = check_real(f"coupling {label}", strength)
            if strength:
                terms.append((label, [i, j], w * float(strength)))
    for label, strength in (fields or {}).items():
        if label not in ("X", "Y", "Z"):
            raise ValueError(f"field label must be X, Y or Z, got {label!r}")
        raw = np.asarray(strength)
        if raw.dtype.kind not in "iuf" or raw.dtype == np.bool_:  # '0.5' or True is not a field strength
            raise TypeError(f"field {label} must be a number or a sequence of numbers, got {strength!r}")
        values = raw.astype(float)
        if not np.all(np.isfinite(values)):
            raise ValueError(f"field {label} must be finite, got {strength!r}")
        if values.ndim > 1 or (values.ndim == 1 and values.size != n):
            raise ValueError(f"field {label} must be a number or {n} per-site values, got {strength!r}")
        values = np.broadcast_to(values, (n,))
        terms.extend((label, [i], float(v)) for i, v in enumerate(values) if v)
    if not terms:
        return SparsePauliOp("I" * n, coeffs=[0.0])
    return SparsePauliOp.from_sparse_list(terms, num_qubits=n).simplify()


def _bonds(n: int, periodic: bool, edges: Graph | None) -> Graph:
    """The chain (closed if ``periodic``) or the given graph; both at once is refused."""
    if edges is None:
        return chain_edges(n, periodic=periodic)
    if periodic:
        raise ValueError("periodic closes the default chain; with edges= give the closing bond in the graph itself")
    return edges


def transverse_field_ising(
    n: int, *, J: float = 1.0, g: float = 1.0, h: float = 0.0, periodic: bool = False, edges: Graph | None = None
) -> SparsePauliOp:
    """Transverse-field Ising model H = −J Σ_{(i,j)} Z_i Z_j − g Σ X_i − h Σ Z_i.

    Args:
        n: number of sites.
        J, g, h: the bond coupling, the transverse and the longitudinal field.
        periodic: close the default chain (a ring).
        edges: the bonds instead of the chain: pairs, weighted triples (``from_edges``) or a Qiskit
            ``CouplingMap`` of n qubits.
    """
    n = _check_num_qubits(n)
    J, g, h = check_real("J", J), check_real("g", g), check_real("h", h)
    return from_edges(n, _bonds(n, periodic, edges), couplings={"ZZ": -J}, fields={"X": -g, "Z": -h})


def heisenberg(
    n: int,
    *,
    J: float = 1.0,
    anisotropy: float = 1.0,
    field: float | Sequence[float | Sequence[float]] | None = None,
    periodic: bool = False,
    edges: Graph | None = None,
) -> SparsePauliOp:
    """Heisenberg/XXZ model H = J Σ_{(i,j)} (X_iX_j + Y_iY_j + Δ Z_iZ_j) + Σ_i h_i·σ_i (a chain by default).

    Args:
        n: number of sites.
        J: exchange coupling.
        anisotropy: Δ (1 is the isotropic Heisenberg model).
        field: ``None``, a float (uniform field along Z) or ``(h_x, h_y, h_z)``, each component a
            number or a per-site sequence of length n (e.g. a staggered field).
        periodic: close the default chain.
        edges: the bonds instead of the chain: pairs, weighted triples (``from_edges``) or a Qiskit
            ``CouplingMap`` of n qubits.
    """
    n = _check_num_qubits(n)
    J, anisotropy = check_real("J", J), check_real("anisotropy", anisotropy)
    if field is None:
        fields = None
    elif isinstance(field, bool | str):
        raise TypeError(f"field must be a number or (h_x, h_y, h_z), got {field!r}")
    elif isinstance(field, (int, float, np.number)):
        fields = {"Z": float(field)}
    else:
        if len(field) != 3:
            raise ValueError(f"field must be a number or (h_x, h_y, h_z), got {field!r}")
        fields = dict(zip("XYZ", field))
    return from_edges(
        n,
        _bonds(n, periodic, edges),
        couplings={"XX": J, "YY": J, "ZZ": J * anisotropy},
        fields=fields,
    )


def random_two_local(n: int, *, seed: int, edges: Graph | None = None) -> SparsePauliOp:
    """Random 2-local Hamiltonian: all 9 two-site Paulis on each edge and all 3 fields, N(0,1).

    Args:
        n: number of sites.
        seed: seed of the NumPy generator (required: every random choice is reproducible).
        edges: interaction graph (pairs, or a Qiskit ``CouplingMap`` of n qubits), default the open chain.
    """
    n = _check_num_qubits(n)
    seed = check_integer("seed", seed)
    rng = np.random.default_rng(seed)
    edges = chain_edges(n) if edges is None else _graph(n, edges)
    terms = []
    for edge in edges:
        i, j = int(edge[0]), int(edge[1])
        for p in "XYZ":
            for q in "XYZ":
                terms.append((p + q, [i, j], rng.normal()))
    for i in range(n):
        for p in "XYZ":
            terms.append((p, [i], rng.normal()))
    return SparsePauliOp.from_sparse_list(terms, num_qubits=n).simplify()


def single_site_couplings(
    n: int, paulis: str = "XYZ", *, sites: Iterable[int] | None = None
) -> list[SparsePauliOp]:
    """Coupling operators A_k: each Pauli of ``paulis`` on each site (norm 1, Hermitian)."""
    n = _check_num_qubits(n)
    if not paulis or any(p not in "XYZ" for p in paulis):
        raise ValueError(f"paulis must be a non-empty string over X, Y, Z, got {paulis!r}")
    sites = list(range(n)) if sites is None else [int(s) for s in sites]
    for s in sites:
        if not 0 <= s < n:
            raise ValueError(f"site {s} is out of range({n})")
    return [SparsePauliOp.from_sparse_list([(p, [s], 1.0)], num_qubits=n) for s in sites for p in paulis]
