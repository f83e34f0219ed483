"""Scalable rigorous bound on ‖Φ_dt − e^{dt L̃}‖_◇ for a kmsgibbs CompiledSampler (prototype).

Default (exact_norms=False) uses only norms, no 2^n matrices: Pauli 1-norms of the couplings and of
H, grid 1-norms Σ_l|w_l|, α², v_m, c_j, dt, the factor order and the light-cone windows (factors on
disjoint windows act on disjoint qubits and commute exactly).

  ‖Π_i Φ_i − e^{dt Σ_i X_i}‖_◇ ≤ Σ_i ‖Φ_i − e^{dt X_i}‖_◇                     (per factor; all maps CPTP)
                               + (dt²/2) Σ_i ‖[X_i, Σ_{j>i} X_j]‖_◇             (Lie splitting)
  Σ_i ‖[X_i, Σ_{j>i} X_j]‖ ≤ Σ over overlapping pairs of the comm_* bounds below (dissipator pairs
  unordered and bucketed by window; coherent factors in time order, with an optional group bound).

Per factor: Γ = α√v Σ_l|w_l| ‖A‖₁ ≥ ‖J‖ (LCU 1-norm), λ = ‖J‖² ≤ Γ². With exact_norms=True, ‖J‖
(one dense ‖B_k‖ per coupling window) and the spread of each coupling's coherent part H_k replace
the 1-norm estimates (dense on the window only, 2^|W|). Derivations: docs/step_error_bound/README.md. Prototype, not part of the package (issue #3 item 5).
"""

from __future__ import annotations

import math

import numpy as np


# ----------------------------------------------------------------------------------------------
# per-factor errors
# ----------------------------------------------------------------------------------------------


def _cosh_rem(x: float) -> float:
    """cosh x − 1 − x²/2 (= Σ_{p≥4 even} x^p/p!), stable for small x."""
    if x < 1e-2:
        return x**4 / 24 * (1 + x * x / 30)
    return math.cosh(x) - 1 - x * x / 2


def _sinh_rem(x: float) -> float:
    """sinh x − x (= Σ_{p≥3 odd} x^p/p!), stable for small x."""
    if x < 1e-2:
        return x**3 / 6 * (1 + x * x / 20)
    return math.sinh(x) - x


def dissipator_factor_error(gamma: float, dt: float, jnorm: float | None = None) -> float:
    """‖Φ_J − e^{dt D[J]}‖_◇ for the palindromic single-ancilla dilation of a jump with ‖J‖ ≤ Γ.

    U = Π_r e^{−i b_r G_r} (2(M+1) rotations, Σ_r |b_r|‖G_r‖ ≤ x := √dt·Γ, each G_r ancilla-off-diagonal).
    Power series in a = √dt: U = I − iaK − a²K²/2 + Σ_{p≥3} a^p U_p (palindromic ⇒ the a² term is exact),
    ‖a^p U_p‖ ≤ x^p/p! (majorant of the product of exponential series); odd p are off-diagonal.
    K_0 = ⟨0|U|0⟩ = I − (dt/2)J†J + R_0, ‖R_0‖ ≤ cosh x − 1 − x²/2;
    K_1 = ⟨1|U|0⟩ = −i√dt J + R_1, ‖R_1‖ ≤ sinh x − x.
    ‖Φ − id − dtD‖ ≤ 2‖R_0‖ + (dtλ)²/4 + ‖R_1‖(‖K_1‖ + √dt‖J‖),   ‖K_1‖ ≤ min(1, x + ‖R_1‖);
    ‖e^{dtD} − id − dtD‖ ≤ (dt²/2)‖D‖² ≤ 2(dtλ)².
    """
    x = math.sqrt(dt) * gamma
    xj = x if jnorm is None else math.sqrt(dt) * min(jnorm, gamma)  # √dt‖J‖
    lam_dt = xj * xj  # dt‖J‖²
    r0, r1 = _cosh_rem(x), _sinh_rem(x)
    if lam_dt > 4:  # ‖I − dtX/2‖ ≤ 1 used below needs dt λ ≤ 4
        return 2.0
    dilation = 2 * r0 + lam_dt**2 / 4 + r1 * (min(1.0, xj + r1) + xj)
    semigroup = 2 * lam_dt**2
    return min(2.0, dilation + semigroup)


def coherent_factor_error(gamma: float, theta: float, ynorm: float | None = None) -> float:
    """‖Φ_c − e^{−iθ[J†J, ·]}‖_◇ for the 4-sweep group commutator (a = √(|θ|/2)), ‖J‖ ≤ Γ.

    W = S_K S_K′ S_K⁻¹ S_K′⁻¹ (palindromic S(−a) = S(a)⁻¹), a product of exponentials with
    Σ|b_r|‖G_r‖ ≤ y := 4aΓ. W = I − a²[K, K′] + Σ_{p≥3} a^p W_p, ⟨0|−a²[K,K′]|0⟩ = −iθJ†J;
    K_0 = e^{−iθY} + E, ‖E‖ ≤ (cosh y − 1 − y²/2) + (θ‖Y‖)²/2; ‖K_1‖ ≤ sinh y − y.
    ‖Φ − U·U†‖_◇ ≤ 2‖E‖ + ‖K_1‖².
    """
    if theta == 0:
        return 0.0
    a = math.sqrt(abs(theta) / 2)
    y = 4 * a * gamma
    ny = gamma**2 if ynorm is None else min(ynorm, gamma**2)
    e0 = _cosh_rem(y) + (abs(theta) * ny) ** 2 / 2
    k1 = min(1.0, _sinh_rem(y))
    return min(2.0, 2 * e0 + k1 * k1)


# ----------------------------------------------------------------------------------------------
# commutator bounds of generators (diamond norm)
# ----------------------------------------------------------------------------------------------


def comm_diss_diss(g1: float, g2: float) -> float:
    """‖[D[J1], D[J2]]‖_◇ ≤ 2λ1λ2 + λ1λ2 + λ1λ2 + λ1λ2/4 = 4.25 λ1λ2 (λ = Γ²).

    D = Ψ − Q, Ψ = J·J†, Q = ½{J†J, ·}:
      [Ψ1, Ψ2] = Ψ_{J1J2} − Ψ_{J2J1} (difference of CP maps) ≤ ‖J1J2‖² + ‖J2J1‖² ≤ 2λ1λ2;
      [Ψ1, Q2] = ½(L_{[J1,X2]}R_{J1†} + L_{J1}R_{[X2,J1†]}) ≤ ‖J1‖‖[J1,X2]‖ ≤ λ1λ2
        (‖[J, X]‖ = ‖[J, X − λ/2]‖ ≤ 2‖J‖·λ/2 for 0 ≤ X ≤ λ);
      [Q1, Q2] = ¼(L − R)_{[X1,X2]} ≤ ½‖[X1,X2]‖ ≤ ½·2(λ1/2)(λ2/2).
    """
    l1, l2 = g1 * g1, g2 * g2
    return 4.25 * l1 * l2


def comm_coh_diss(c: float, gy: float, g: float) -> float:
    """‖[−ic ad_Y, D[J]]‖_◇ ≤ |c|(2‖J‖‖[Y,J]‖ + ‖[Y,X]‖) ≤ |c|(2‖Y‖λ + ‖Y‖λ/2) = 2.5|c|‖Y‖λ.

    ad_Y = L_Y − R_Y is a derivation: [ad_Y, Ψ] = L_{[Y,J]}R_{J†} − L_J R_{[J†,Y]},
    [ad_Y, Q] = ½(L_{[Y,X]} + R_{[Y,X]}); for Y, X ≥ 0: ‖[Y,J]‖ ≤ 2‖Y − ‖Y‖/2‖‖J‖ ≤ ‖Y‖‖J‖,
    ‖[Y,X]‖ ≤ 2(‖Y‖/2)(λ/2). For a Hermitian Y of spread ρ (= (y_max − y_min)/2): 5ρλ.
    (Used inline in scalable_step_bound; ‖Y‖ ≤ Γ_Y².)
    """
    ny, lam = gy * gy, g * g
    return abs(c) * (2 * ny * lam + 0.5 * ny * lam)


def comm_coh_coh(c1: float, gy1: float, c2: float, gy2: float) -> float:
    """‖[−ic1 ad_Y1, −ic2 ad_Y2]‖_◇ = |c1c2|‖ad_{[Y1,Y2]}‖ ≤ 2|c1c2|‖[Y1,Y2]‖ ≤ |c1c2|‖Y1‖‖Y2‖."""
    return abs(c1 * c2) * (gy1 * gy1) * (gy2 * gy2)


def comm_ham_diss(hj: float, g: float) -> float:
    """‖[ad_H, D[J]]‖_◇ ≤ 2‖J‖‖[H,J]‖ + ‖[H,J†J]‖ ≤ 4‖J‖‖[H,J]‖ (hj ≥ ‖[H,J]‖)."""
    return 4 * g * hj


def comm_ham_coh(c: float, hj: float, g: float) -> float:
    """‖[ad_H, c ad_Y]‖_◇ = |c|‖ad_{[H,Y]}‖ ≤ 2|c|‖[H,J†J]‖ ≤ 4|c|‖J‖‖[H,J]‖."""
    return abs(c) * 4 * g * hj


# ----------------------------------------------------------------------------------------------
# factor list from a sampler (in the sampler's time order)
# ----------------------------------------------------------------------------------------------


def _pauli_one_norm(op) -> float:
    return float(np.sum(np.abs(op.coeffs)))


def _ham_commutator_norm(hamiltonian, coupling, window) -> float:
    """‖[H, A_W(t)]‖ ≤ ‖[H_W, A]‖ + ‖[H − H_W, A_W(t)]‖ for A_W(t) evolved with H_W (window W).

    ‖[H_W, A]‖ ≤ Σ over anticommuting pairs (h, a) of Pauli terms 2|c_h||c_a|; terms touching W but
    not inside it give ≤ 2‖A‖₁ Σ|c_h|; terms outside W commute with A_W(t).
    """
    hz, hx = hamiltonian.paulis.z, hamiltonian.paulis.x
    inside = np.zeros(hamiltonian.num_qubits, dtype=bool)
    inside[list(window)] = True
    hs = hz | hx
    term_in = ~(hs[:, ~inside].any(axis=1))
    term_touch = hs[:, inside].any(axis=1)
    hc = np.abs(hamiltonian.coeffs)
    total = 0.0
    for az, ax, ac in zip(coupling.paulis.z, coupling.paulis.x, np.abs(coupling.coeffs)):
        anti = ((hz & ax).sum(axis=1) + (hx & az).sum(axis=1)) % 2 == 1
        total += 2 * ac * float(np.sum(hc[anti & term_in]))
    total += 2 * _pauli_one_norm(coupling) * float(np.sum(hc[term_touch & ~term_in]))
    return total


class _WindowNorms:
    """Exact operator norms on a coupling's window (dense 2^|W|; optional, for small windows)."""

    def __init__(self, sampler, max_qubits: int):
        from kmsgibbs.compiler.sampler import restrict

        self.s, self.max_qubits, self.restrict = sampler, max_qubits, restrict
        self.cache = {}

    def _local(self, k):
        w = self.s.windows()[k]
        if len(w) > self.max_qubits:
            return None
        key = ("local", k)
        if key not in self.cache:
            h, a = self.s.form.hamiltonian, self.s.form.couplings[k]
            if len(w) < self.s.num_system:
                h, a = self.restrict(h, w), self.restrict(a, w)
            self.cache[key] = (h.to_matrix(), a.to_matrix())
        return self.cache[key]

    def jump(self, k, grid) -> float | None:
        """‖Σ_l w_l A_k(t_l)‖ (invariant under shifting the grid: unitary conjugation)."""
        loc = self._local(k)
        if loc is None:
            return None
        key = ("jump", k, np.round(grid.times - grid.times[0], 9).tobytes(), np.round(grid.weights, 14).tobytes())
        if key not in self.cache:
            self.cache[key] = float(np.linalg.norm(grid.operator(*loc), 2))
        return self.cache[key]

    def coherent_spread(self, k) -> float | None:
        """(λ_max − λ_min)/2 of H_k = α² Σ_j c_j Σ_v′ v′ B′_k(t_j)†B′_k(t_j) (coupling k's part of H̃_⊥)."""
        loc = self._local(k)
        form = self.s.form
        if loc is None or form.coherent is None:
            return None
        key = ("coh", k)
        if key not in self.cache:
            hk = 0
            for t, c in zip(form.coherent.times, form.coherent.weights.real):
                for v, grid in form.coherent_jumps:
                    b = grid.shifted(t).operator(*loc)
                    hk = hk + form.rate * v * c * (b.conj().T @ b)
            e = np.linalg.eigvalsh(0.5 * (hk + hk.conj().T))
            self.cache[key] = float(e[-1] - e[0]) / 2
        return self.cache[key]


def factor_list(sampler, norms: _WindowNorms | None = None) -> list[dict]:
    """Nontrivial factors in the sampler's time order (first applied first), as in ``_pieces``.

    Each record: kind, k (coupling), mask (window), gamma (LCU 1-norm ≥ ‖J‖), jn (‖J‖ bound),
    and for coherent factors c, theta = dt·c, yn (‖J†J‖ bound).
    """
    form = sampler.form
    alpha = math.sqrt(form.rate)
    n = sampler.num_system
    windows = sampler.windows()
    masks = []
    for w in windows:
        m = np.zeros(n, dtype=bool)
        m[list(w)] = True
        masks.append(m)
    anorm = [_pauli_one_norm(a) for a in form.couplings]
    hcomm = None
    if sampler.include_system_hamiltonian:
        hcomm = [_ham_commutator_norm(form.hamiltonian, a, w) for a, w in zip(form.couplings, windows)]

    def diss(k, v, grid):
        g1 = alpha * math.sqrt(v) * grid.one_norm
        gamma = g1 * anorm[k]
        exact = None if norms is None else norms.jump(k, grid)
        jn = gamma if exact is None else min(gamma, alpha * math.sqrt(v) * exact)
        return dict(kind="dissipator", k=k, mask=masks[k], gamma=gamma, jn=jn, hj=None if hcomm is None else g1 * hcomm[k])

    def coh(k, t, c):
        out = []
        for v, grid in form.coherent_jumps:
            g1 = alpha * math.sqrt(v) * grid.one_norm
            gamma = g1 * anorm[k]
            exact = None if norms is None else norms.jump(k, grid)
            jn = gamma if exact is None else min(gamma, alpha * math.sqrt(v) * exact)
            out.append(dict(kind="coherent", k=k, mask=masks[k], gamma=gamma, jn=jn, yn=jn * jn, c=float(c),
                            theta=sampler.dt * float(c), hj=None if hcomm is None else g1 * hcomm[k]))
        return out

    nodes = [] if form.coherent is None else [(t, c) for t, c in zip(form.coherent.times, form.coherent.weights.real) if c != 0]
    K = len(form.couplings)
    out = []
    if sampler.light_cone is None:
        for v, grid in form.jumps:
            for k in range(K):
                out.append(diss(k, v, grid))
        for t, c in nodes:
            for k in range(K):
                out.extend(coh(k, t, c))
    else:
        for k in range(K):
            for v, grid in form.jumps:
                out.append(diss(k, v, grid))
            for t, c in nodes:
                out.extend(coh(k, t, c))
    return out


def scalable_step_bound(sampler, *, exact_norms: bool = False, max_window_qubits: int = 10) -> dict[str, float]:
    """Rigorous upper bound on ‖Φ_dt − e^{dt L̃}‖_◇ as a sum of named terms.

    Args:
        sampler: a CompiledSampler (uses form, dt, windows(), light_cone, include_system_hamiltonian).
        exact_norms: replace Γ by exact ‖B_k‖ per coupling window, and bound the dissipator–coherent
            splitting through the exact spread of H_k (coupling k's coherent part), both dense on the
            window (2^|W|, only for |W| ≤ max_window_qubits). False: Pauli/grid 1-norms only.

    Returns (all diamond-norm bounds for one step):
        "dilation": Σ over dissipator factors of ‖Φ_J − e^{dtD[J]}‖;
        "coherent": Σ over coherent factors of ‖Φ_c − e^{−iθ ad_Y}‖;
        "splitting_diss": (dt²/2) Σ over unordered overlapping dissipator pairs of 4.25 λλ′;
        "splitting_coh": (dt²/2) × (dissipator–coherent and coherent–coherent commutators);
        "splitting_ham": (dt²/2) × commutators with −i[H,·] (include_system_hamiltonian);
        "total" = min(2, sum); "sum_lambda" = Σ_i ‖J_i‖² bound over dissipators; "pairs": #overlapping
        support-bucket pairs.
    """
    dt = sampler.dt
    norms = _WindowNorms(sampler, max_window_qubits) if exact_norms else None
    fac = factor_list(sampler, norms)
    terms = dict(dilation=0.0, coherent=0.0, splitting_diss=0.0, splitting_coh=0.0, splitting_ham=0.0)
    for f in fac:
        if f["kind"] == "dissipator":
            terms["dilation"] += dissipator_factor_error(f["gamma"], dt, f["jn"])
        else:
            terms["coherent"] += coherent_factor_error(f["gamma"], f["theta"], f["yn"])

    # --- dissipator–dissipator pairs: order-free, bucketed by window (disjoint windows commute)
    buckets: dict[bytes, dict] = {}
    for f in fac:
        if f["kind"] != "dissipator":
            continue
        b = buckets.setdefault(f["mask"].tobytes(), dict(mask=f["mask"], lam=0.0, lam2=0.0))
        lam = f["jn"] ** 2
        b["lam"] += lam
        b["lam2"] += lam * lam
    keys = list(buckets)
    sd, pairs = 0.0, 0
    for i, ki in enumerate(keys):
        bi = buckets[ki]
        sd += (bi["lam"] ** 2 - bi["lam2"]) / 2
        for kj in keys[i + 1 :]:
            bj = buckets[kj]
            if (bi["mask"] & bj["mask"]).any():
                sd += bi["lam"] * bj["lam"]
                pairs += 1
    terms["splitting_diss"] = dt * dt / 2 * 4.25 * sd

    # --- pairs involving coherent factors, in time order (nested bound Σ_i ‖[X_i, Σ_{j>i} X_j]‖)
    coh_idx = [i for i, f in enumerate(fac) if f["kind"] == "coherent"]
    sc = 0.0
    if coh_idx:
        groups: dict[int, list[int]] = {}
        for i in coh_idx:
            groups.setdefault(fac[i]["k"], []).append(i)
        gstats = {}
        for k, idx in groups.items():
            cy = np.array([abs(fac[i]["c"]) * fac[i]["yn"] for i in idx])
            spread = None if norms is None else norms.coherent_spread(k)
            gstats[k] = dict(first=idx[0], last=idx[-1], idx=np.array(idx), cy=cy, cum=np.cumsum(cy[::-1])[::-1],
                             total=float(cy.sum()), spread=spread, mask=fac[idx[0]]["mask"])
        overlap_all = np.array([f["mask"] for f in fac], dtype=np.int64)
        # pair weights with a later factor j: 2.5 λ_j (dissipator, comm_coh_diss) or |c_j|‖Y_j‖ (comm_coh_coh)
        weight_all = np.array([2.5 * f["jn"] ** 2 if f["kind"] == "dissipator" else abs(f["c"]) * f["yn"] for f in fac])
        for i, f in enumerate(fac):
            if f["kind"] == "dissipator":
                lam = f["jn"] ** 2
                for k, g in gstats.items():
                    if not (g["mask"] & f["mask"]).any() or g["last"] < i:
                        continue
                    if g["first"] > i:  # the whole group is later: [D_i, Σ_j X_j] = [D_i, −i ad_{H_k}]
                        pair = 2.5 * lam * g["total"]
                        group = 5.0 * lam * g["spread"] if g["spread"] is not None else math.inf
                        sc += min(pair, group)
                    else:  # partly later: pairwise over the later members
                        pos = np.searchsorted(g["idx"], i, side="right")
                        sc += 2.5 * lam * (float(g["cum"][pos]) if pos < len(g["idx"]) else 0.0)
            else:  # coherent i against every later overlapping factor, pairwise
                later = overlap_all[i + 1 :] @ f["mask"] > 0
                sc += abs(f["c"]) * f["yn"] * float(np.sum(weight_all[i + 1 :][later]))
    terms["splitting_coh"] = dt * dt / 2 * sc

    # --- the Hamiltonian factor (applied last) against everything before it
    if sampler.include_system_hamiltonian:
        sh = 0.0
        for f in fac:
            if f["kind"] == "dissipator":
                sh += comm_ham_diss(f["hj"], f["jn"])
            else:
                sh += comm_ham_coh(f["c"], f["hj"], f["jn"])
        terms["splitting_ham"] = dt * dt / 2 * sh

    total = sum(terms.values())
    terms["total"] = min(2.0, total)
    terms["sum_lambda"] = float(sum(f["jn"] ** 2 for f in fac if f["kind"] == "dissipator"))
    terms["window_bucket_pairs"] = float(pairs)  # overlapping pairs of distinct windows
    return terms


def error_bound_step(sampler, time: float, **kw) -> float:
    """½(t/dt)·‖Φ_dt − e^{dtL̃}‖_◇ bound: the dt-dependent part of ½‖ρ_circ(t) − e^{tL̃}ρ₀‖₁."""
    return 0.5 * sampler.num_steps(time) * scalable_step_bound(sampler, **kw)["total"]
