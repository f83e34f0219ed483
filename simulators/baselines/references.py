"""Gibbs-state references beyond exact diagonalisation: the free-fermion transverse-field chain.

The transverse-field Ising chain of :func:`kmsgibbs.compiler.physics.models.transverse_field_ising`,

    H = −Σ_b J_b Z_i Z_{i+1} − Σ_i g_i X_i        (h = 0),

is a free-fermion model. With the Jordan–Wigner string built from the *field* Pauli X,

    a_{2i} = (Π_{j<i} X_j) Z_i,    a_{2i+1} = (Π_{j<i} X_j) Y_i,

the two terms are Majorana bilinears, X_i = i a_{2i} a_{2i+1} and Z_i Z_{i+1} = i a_{2i+1} a_{2i+2},
so H = (i/4) Σ_{pq} A_{pq} a_p a_q with a real antisymmetric 2n × 2n matrix A. Every term pairs an
even Majorana with an odd one, so A is fixed by its n × n block B_{ij} = A_{2i,2j+1}, and the SVD
B = U diag(ε) Wᵀ gives the normal modes b_{2k} = Σ_i U_{ik} a_{2i}, b_{2k+1} = Σ_i W_{ik} a_{2i+1}
(Lieb–Schultz–Mattis' Φ_k, Ψ_k) with H = Σ_k (ε_k/2) τ_k, commuting τ_k = i b_{2k} b_{2k+1} = ±1:

    Z = Π_k 2 cosh(β ε_k / 2),    ⟨i a_{2i} a_{2j+1}⟩ = −[U diag(tanh(β ε_k/2)) Wᵀ]_{ij},

which is the Majorana covariance M = i tanh(iβA/2). Every observable is O(n³) linear algebra.

Open chain: the map above is exact on the whole 2ⁿ-dimensional Hilbert space (no boundary
term, so no string is left over), H is quadratic there and e^{−βH}/Z is a Gaussian state of both
fermion parities at once: nothing is projected. The sectors matter only when a boundary term's
sign depends on the parity, which is the periodic chain. ⟨Z_i⟩ = 0 exactly, because Z_i
anticommutes with the parity P = Π_j X_j, which commutes with H.

Periodic chain: the closing bond is Z_{n−1} Z_0 = −P · i a_{2n−1} a_0, so H restricted to parity
P = s is the quadratic H_s with the closing bond's sign set by s (antiperiodic fermions in the even
sector, periodic in the odd one), and e^{−βH} = Σ_s ½(1 + sP) e^{−βH_s}. Both sectors are kept
exactly. With P = Π_j X_j = det(O) Π_k τ_k for the orthogonal b = Oᵀa (det O = det U · det W),
Z = ½ Σ_s [Π_k 2cosh(βε_k^s/2) + s det(O_s) Π_k (−2 sinh(βε_k^s/2))] (2103.16322); it is evaluated
as a sum over the mode occupations of the allowed parity, whose terms are all positive, because
the bracket cancels to all digits at low temperature. Keeping only the even sector, the common
approximation, errs near the critical point at low temperature.

References:
    E. Lieb, T. Schultz, D. Mattis, Ann. Phys. 16, 407 (1961); P. Pfeuty, Ann. Phys. 57, 79 (1970);
    M. Białończyk, F. J. Gómez-Ruiz, A. del Campo, arXiv:2103.16322 (both parity sectors).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qiskit.quantum_info import SparsePauliOp

from kmsgibbs.compiler._checks import check_hermitian_pauli, check_integer, check_positive, check_real
from kmsgibbs.compiler.memory import require_memory
from kmsgibbs.compiler.finite import require_finite

__all__ = ["GibbsObservables", "tfim_gibbs", "free_fermion_gibbs", "exact_gibbs", "chain_bonds"]


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare fields
class GibbsObservables:
    """Observables of the Gibbs state e^{−βH}/Z of an n-site chain.

    Attributes:
        energy_per_site: Tr(ρH)/n (the identity part of H included).
        zz_nearest: mean over the chain's bonds of ⟨Z_i Z_j⟩ (0 for n = 1, which has no bond).
        x_mean: mean over sites of ⟨X_i⟩.
        z_mean: mean over sites of ⟨Z_i⟩ (exactly 0 for the transverse-field chain with h = 0).
        zz_bonds: ⟨Z_i Z_j⟩ per bond, in the order of :func:`chain_bonds`.
        x_sites: ⟨X_i⟩ per site.
        z_sites: ⟨Z_i⟩ per site.
        beta: inverse temperature.
        n: number of sites.
        periodic: whether the bonds include the closing bond (n − 1, 0).
        log_partition: log Tr e^{−βH}, or ``None`` where the method does not give it.
        method: ``"free_fermion"``, ``"exact"`` or ``"purification"``.
    """

    energy_per_site: float
    zz_nearest: float
    x_mean: float
    z_mean: float
    zz_bonds: np.ndarray
    x_sites: np.ndarray
    z_sites: np.ndarray
    beta: float
    n: int
    periodic: bool
    log_partition: float | None
    method: str

    def as_dict(self) -> dict[str, float]:
        """The four reported observables by name (the names the CLI's JSON uses)."""
        return {
            "energy_per_site": self.energy_per_site,
            "zz_nearest": self.zz_nearest,
            "x_mean": self.x_mean,
            "z_mean": self.z_mean,
        }


def chain_bonds(n: int, *, periodic: bool = False) -> list[tuple[int, int]]:
    """Bonds (i, i + 1), then (n − 1, 0) if periodic and n > 2 (as ``models.chain_edges``)."""
    n = check_integer("n", n, minimum=1)
    return [(i, i + 1) for i in range(n - 1)] + ([(n - 1, 0)] if periodic and n > 2 else [])


def _observables(
    n: int, beta: float, periodic: bool, energy: float, zz: np.ndarray, x: np.ndarray,
    z: np.ndarray, log_partition: float | None, method: str,
) -> GibbsObservables:
    zz, x, z = (np.asarray(v, dtype=float) for v in (zz, x, z))
    for what, value in (("energy", energy), ("⟨ZZ⟩", zz), ("⟨X⟩", x), ("⟨Z⟩", z)):
        require_finite(f"{method} Gibbs {what} (n = {n}, β = {beta})", value)
    for v in (zz, x, z):
        v.setflags(write=False)  # the dataclass is frozen; so are its arrays
    return GibbsObservables(
        energy_per_site=float(energy) / n,
        zz_nearest=float(zz.mean()) if zz.size else 0.0,
        x_mean=float(x.mean()),
        z_mean=float(z.mean()),
        zz_bonds=zz,
        x_sites=x,
        z_sites=z,
        beta=beta,
        n=n,
        periodic=periodic,
        log_partition=log_partition,
        method=method,
    )


# ---------------------------------------------------------------- free fermions


def _per_item(name: str, value: float | Sequence[float], size: int) -> np.ndarray:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number or {size} numbers, got {value!r}")
    if np.ndim(value) == 0:
        return np.full(size, check_real(name, value))
    items = [check_real(f"{name}[{k}]", v) for k, v in enumerate(value)]
    if len(items) != size:
        raise ValueError(f"{name} must be a number or {size} numbers, got {len(items)}")
    return np.array(items, dtype=float)


def _normal_modes(B: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """U, ε, W and det(O) of the normal modes, from the SVD B = U diag(ε) Wᵀ.

    Every term of the chain pairs an even Majorana with an odd one, so A = [[0, B], [−Bᵀ, 0]] in
    (even, odd) order and b_{2k} = Σ_i U_{ik} a_{2i}, b_{2k+1} = Σ_i W_{ik} a_{2i+1} (Lieb–Schultz–
    Mattis' Φ_k, Ψ_k): O interleaves U and W, so det(O) = det(U) det(W). ε_k ≥ 0, and zero modes
    (critical periodic chains) need no special case.
    """
    U, eps, Wh = np.linalg.svd(B)
    det = np.sign(np.linalg.det(U)) * np.sign(np.linalg.det(Wh))
    return U, eps, Wh.T, int(det)


def _log_2cosh(x: np.ndarray) -> np.ndarray:
    return x + np.log1p(np.exp(-2.0 * x))


def _open_sector(B: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray, float]:
    """U, W·diag(⟨τ_k⟩) and log Z of the unprojected Gaussian state: ⟨τ_k⟩ = −tanh(βε_k/2)."""
    U, eps, W, _ = _normal_modes(B)
    x = beta * eps / 2.0
    return U, W * -np.tanh(x), float(_log_2cosh(x).sum())


def _parity_sums(log_q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log Σ_{S ⊆ modes, |S| even/odd} Π_{l∈S} q_l, over the modes before k (prefix) and after k.

    Returns (prefix, suffix), each of shape (m + 1, 2): row k holds the (even, odd) sums of the
    first k modes, resp. of the modes from k on. All terms are positive: no cancellation.
    """
    m = log_q.size
    prefix = np.full((m + 1, 2), -np.inf)
    suffix = np.full((m + 1, 2), -np.inf)
    prefix[0, 0] = suffix[m, 0] = 0.0  # the empty set is even
    for k in range(m):
        even, odd = prefix[k]
        prefix[k + 1] = np.logaddexp(even, log_q[k] + odd), np.logaddexp(odd, log_q[k] + even)
        even, odd = suffix[m - k]
        j = m - 1 - k
        suffix[j] = np.logaddexp(even, log_q[j] + odd), np.logaddexp(odd, log_q[j] + even)
    return prefix, suffix


def _parity_sector(B: np.ndarray, beta: float, parity: int) -> tuple[np.ndarray, np.ndarray, float]:
    """U, W·diag(T_k) and log Z_s for e^{−βH_s} restricted to P = ``parity`` (not normalised).

    With x_k = βε_k/2 and τ_k = ±1, P = det(O) Π_k τ_k and e^{−βH_s} = Π_k e^{−x_k τ_k}. Factor
    out e^{Σx}: a mode with τ_k = +1 weighs q_k = e^{−2x_k} ≤ 1, one with τ_k = −1 weighs 1, and
    P = parity fixes the parity of the set S of modes with τ_k = +1: (−1)^{m−|S|} det(O) = parity.
    Then Z_s = e^{Σx} E_p(q) and
    T_k = Tr(½(1 + sP) e^{−βH_s} τ_k) = e^{Σx} [q_k E_{1−p}^{(−k)} − E_p^{(−k)}],
    with E_p the sum over sets of parity p (of all modes, resp. of all but k). Unlike the twisted
    form ½[Π 2cosh x_k ± det(O) Π (−2 sinh x_k)], nothing cancels at low temperature; zero modes
    (q_k = 1) need no special case. Both are returned in units of e^{Σx}, with log Z_s.
    """
    U, eps, W, det = _normal_modes(B)
    x = beta * eps / 2.0
    m = eps.size
    p = 0 if parity * det * (-1) ** m == 1 else 1
    log_q = -2.0 * x
    prefix, suffix = _parity_sums(log_q)
    log_z = float(x.sum() + prefix[m, p])
    # leave-one-out parity sums: E_even^{(−k)} = pre_e suf_e + pre_o suf_o, E_odd^{(−k)} crossed
    pre, suf = prefix[:m], suffix[1:]
    left_out = np.stack(
        [np.logaddexp(pre[:, 0] + suf[:, 0], pre[:, 1] + suf[:, 1]),
         np.logaddexp(pre[:, 0] + suf[:, 1], pre[:, 1] + suf[:, 0])], axis=1)
    # T_k / Z_s, each term at most 1: a covariance without overflow
    tau = np.exp(log_q + left_out[:, 1 - p] - prefix[m, p]) - np.exp(left_out[:, p] - prefix[m, p])
    return U, W * tau, log_z


def _even_odd_matrix(J: np.ndarray, g: np.ndarray, closing: float) -> np.ndarray:
    """B_{ij} = A_{2i, 2j+1} of H = (i/4) aᵀ A a, where κ · i a_p a_q ↔ A_pq = 2κ = −A_qp.

    −g_i X_i = −g_i · i a_{2i} a_{2i+1}; −J_i Z_i Z_{i+1} = −J_i · i a_{2i+1} a_{2i+2};
    ``closing`` is κ of the closing bond's κ · i a_{2n−1} a_0.
    """
    n = g.size
    B = np.diag(-2.0 * g)
    B[np.arange(1, n), np.arange(n - 1)] = 2.0 * J[: n - 1]
    B[0, n - 1] += -2.0 * closing
    return B


def _bilinears(U: np.ndarray, Wt: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, float]:
    """⟨X_i⟩ = G_ii, ⟨Z_i Z_{i+1}⟩ = −G_{i+1,i}, ⟨i a_{2n−1} a_0⟩ = −G_{0,n−1}; G = U Wtᵀ, O(n²)."""
    x = np.einsum("ik,ik->i", U, Wt)
    zz = -np.einsum("ik,ik->i", U[1:], Wt[:-1])
    return x, zz, -float(U[0] @ Wt[n - 1])


def tfim_gibbs(
    n: int,
    beta: float,
    *,
    J: float | Sequence[float] = 1.0,
    g: float | Sequence[float] = 1.0,
    h: float = 0.0,
    periodic: bool = False,
    constant: float = 0.0,
) -> GibbsObservables:
    """Exact Gibbs observables of the transverse-field Ising chain at any n, from free fermions.

    H = −Σ_b J_b Z_i Z_j − Σ_i g_i X_i + constant over :func:`chain_bonds` ``(n, periodic=...)``,
    the convention of ``models.transverse_field_ising`` (which is the uniform case). With Majorana
    covariance M = i tanh(iβA/2) (module docstring): ⟨X_i⟩ = M_{2i,2i+1},
    ⟨Z_i Z_{i+1}⟩ = M_{2i+1,2i+2}, ⟨Z_i⟩ = 0, log Z = Σ_k log 2cosh(βε_k/2) − β·constant. The open
    chain needs no parity projection; the periodic one is projected exactly onto both sectors.
    Cost O(n³) time and O(n²) memory.

    Args:
        n: number of sites (≥ 1).
        beta: inverse temperature (> 0, finite).
        J: bond couplings, one number or one per bond (n − 1 open, n periodic for n > 2).
        g: transverse fields, one number or one per site.
        h: longitudinal field; anything but 0 makes the chain interacting and is refused.
        periodic: add the closing bond (n − 1, 0) (only for n > 2, as ``models.chain_edges``).
        constant: identity part of H (shifts the energy and log Z only).

    Returns:
        The observables, ``method="free_fermion"``, ``log_partition`` set.

    Raises:
        ValueError: h ≠ 0, β ≤ 0, n < 1, or a coupling list of the wrong length.
        TypeError: a non-numeric argument (``True`` included).

    References:
        arXiv:2103.16322; Lieb–Schultz–Mattis, Ann. Phys. 16, 407 (1961);
        Pfeuty, Ann. Phys. 57, 79 (1970).
    """
    n = check_integer("n", n, minimum=1)
    beta = check_positive("beta", beta)
    if check_real("h", h) != 0.0:
        raise ValueError(
            f"a longitudinal field h = {h!r} (−h Σ Z_i) is not free: after Jordan–Wigner "
            "Z_i carries the string Π_{j<i} X_j, so the chain is interacting; use "
            "purification_gibbs or exact_gibbs"
        )
    if not isinstance(periodic, bool):
        raise TypeError(f"periodic must be a bool, got {periodic!r}")
    constant = check_real("constant", constant)
    closed = periodic and n > 2
    J = _per_item("J", J, n if closed else n - 1)
    g = _per_item("g", g, n)
    # B, U, Wᵀ and the SVD's workspace: a handful of n × n float arrays (two sectors, one at a time)
    require_memory(f"free-fermion modes of {n} sites", 6 * 8 * n * n,
                   alternative="a smaller chain (the cost is O(n³) time, O(n²) memory)")

    if closed:
        x, zz, log_z = _projected(J, g, beta)
    else:
        U, Wt, log_z = _open_sector(_even_odd_matrix(J, g, 0.0), beta)
        x, zz, _ = _bilinears(U, Wt, n)
    energy = -float(J @ zz) - float(g @ x) + constant
    log_z -= beta * constant
    return _observables(n, beta, closed, energy, zz, x, np.zeros(n), log_z, "free_fermion")


def _projected(J: np.ndarray, g: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Periodic chain, both parity sectors exactly: ⟨X_i⟩, ⟨Z_i Z_j⟩ per bond and log Z.

    e^{−βH} = Σ_s ½(1 + sP) e^{−βH_s}; each sector is a sum over the normal-mode occupations of
    one parity (:func:`_parity_sector`), weighted by Z_s/Z. In sector s the closing bond
    Z_{n−1} Z_0 = −P · i a_{2n−1} a_0 is −s · i a_{2n−1} a_0.
    """
    n = g.size
    # inside sector s the closing bond −J_w Z_{n−1} Z_0 = J_w s · i a_{2n−1} a_0
    sectors = {s: _parity_sector(_even_odd_matrix(J, g, s * J[-1]), beta, s) for s in (1, -1)}
    log_z = float(np.logaddexp(*(log_zs for _, _, log_zs in sectors.values())))
    x, zz, closing = np.zeros(n), np.zeros(n - 1), 0.0
    for s, (U, Wt, log_zs) in sectors.items():
        weight = np.exp(log_zs - log_z)
        x_s, zz_s, c_s = _bilinears(U, Wt, n)
        x += weight * x_s
        zz += weight * zz_s
        closing -= weight * s * c_s
    return x, np.append(zz, closing), log_z


def free_fermion_gibbs(hamiltonian: SparsePauliOp, beta: float) -> GibbsObservables:
    """Free-fermion Gibbs observables of a SparsePauliOp recognised as a transverse-field chain.

    Accepted terms: the identity, X_i and Z_i Z_{i+1}, each with any real coefficient (an
    inhomogeneous chain is still free), and for n > 2 the closing bond Z_{n−1} Z_0, whose presence
    makes the chain periodic. A missing term is a zero coupling. Then as :func:`tfim_gibbs`
    with J_b = −(coefficient of Z_i Z_j), g_i = −(coefficient of X_i).

    Args:
        hamiltonian: Hermitian ``SparsePauliOp``, e.g. ``models.transverse_field_ising(n, ...)``.
        beta: inverse temperature (> 0, finite).

    Returns:
        As :func:`tfim_gibbs`.

    Raises:
        ValueError: a term outside that form, named with the reason it is not free (a longitudinal
            field Z_i, a Y or XX term, a longer-range ZZ), or a non-Hermitian operator.

    References:
        arXiv:2103.16322; Lieb–Schultz–Mattis (1961); Pfeuty (1970).
    """
    op = check_hermitian_pauli("hamiltonian", hamiltonian)
    n = op.num_qubits
    J, g, constant, closing = np.zeros(max(n - 1, 0)), np.zeros(n), 0.0, None
    for label, coeff in op.to_list():
        c = float(np.real(coeff))
        sites = [n - 1 - k for k, p in enumerate(label) if p != "I"]  # little-endian
        paulis = "".join(label[n - 1 - q] for q in sites)
        if not sites:
            constant += c
        elif paulis == "X":
            g[sites[0]] -= c
        elif paulis == "ZZ" and sites[0] - sites[1] == 1:
            J[sites[1]] -= c
        elif paulis == "ZZ" and n > 2 and sorted(sites) == [0, n - 1]:
            closing = -c
        elif paulis == "Z":
            raise ValueError(
                f"term {label} ({c:+g}) is a longitudinal field on qubit {sites[0]}: not free "
                "(Z_i carries a Jordan–Wigner string); use purification_gibbs or exact_gibbs"
            )
        else:
            raise ValueError(
                f"term {label} ({c:+g}) is not of the free transverse-field Ising form "
                "−J Z_i Z_(i+1) − g X_i on a chain (Pauli order of models.transverse_field_ising); "
                "use purification_gibbs or exact_gibbs"
            )
    if closing is not None:
        J = np.append(J, closing)
    return tfim_gibbs(n, beta, J=J, g=g, periodic=closing is not None, constant=constant)


# ---------------------------------------------------------------- dense reference


def exact_gibbs(
    hamiltonian: SparsePauliOp,
    beta: float,
    *,
    periodic: bool = False,
    max_dense_bytes: int | None = None,
) -> GibbsObservables:
    """Gibbs observables of any Hamiltonian by dense diagonalisation (n ≲ 13).

    ρ = V e^{−β(E − E_0)} V† / Σ e^{−β(E − E_0)}; ⟨P⟩ = Tr(ρP) for each Pauli P, the bonds those of
    :func:`chain_bonds` ``(n, periodic=periodic)``.
    """
    op = check_hermitian_pauli("hamiltonian", hamiltonian)
    beta = check_positive("beta", beta)
    n = op.num_qubits
    dim = 2**n
    require_memory(f"dense Gibbs state of {n} qubits", 4 * 16 * dim * dim, limit=max_dense_bytes,
                   alternative="tfim_gibbs (free fermions) or purification_gibbs (tensor network)")
    matrix = op.to_matrix()
    if not np.any(matrix.imag):  # Y-free (or Y-even) models: real symmetric eigh is ~4× cheaper
        matrix = matrix.real
    energies, vectors = np.linalg.eigh(matrix)
    del matrix
    weights = np.exp(-beta * (energies - energies[0]))
    log_z = float(np.log(weights.sum())) - beta * float(energies[0])
    weights /= weights.sum()
    rho = (vectors * weights) @ vectors.conj().T
    del vectors

    def expect(label: str, sites: Sequence[int]) -> float:
        # Tr(ρP) touches one entry of ρ per row, as P is a signed permutation
        pauli = SparsePauliOp.from_sparse_list([(label, list(sites), 1.0)], num_qubits=n)
        return float(np.real(pauli.to_matrix(sparse=True).multiply(rho.T).sum()))

    bonds = chain_bonds(n, periodic=periodic)
    zz = np.array([expect("ZZ", b) for b in bonds])
    x = np.array([expect("X", [i]) for i in range(n)])
    z = np.array([expect("Z", [i]) for i in range(n)])
    energy = float(np.dot(weights, energies))
    return _observables(n, beta, periodic and n > 2, energy, zz, x, z, log_z, "exact")
