"""``design_sampler``: from (H, couplings, β, a target distance D) to the cheapest circuits that reach D.

The free parameters of the master equation and of its circuits (the bath's width, dt, the grids'
accuracy ε, the initial state) are chosen here to minimise the two-qubit gates of one instance of the
whole run, subject to the promise that the mean over instances is within D of e^{−βH}/Z.

References:
    Scandi & Alhambra, arXiv:2505.20064 (the exactly-KMS generator); docs/schemes.md (the randomized
    scheme); docs/master_equations.md (``GaussianBath.for_beta``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp

from .._checks import check_couplings, check_integer, check_open_unit_interval, check_positive
from ..physics.baths import Bath, GaussianBath
from ..physics.master_equations import scandi_alhambra
from .compile import compile_sampler, dilation_dt_limit
from .design_search import COUNT_BASIS, METHODS, count_cx, search
from .randomized import RandomizedSampler

__all__ = ["DesignFrontier", "SamplerDesign", "design_frontier", "design_sampler", "EXACT_MAX_QUBITS", "COUNT_BASIS"]

#: The "exact" method iterates the exact averaged channel (dimension 4^n): up to this many system qubits.
EXACT_MAX_QUBITS = 5
#: Above this β the bath is ``GaussianBath.for_beta`` (rates bounded at every β); at or below it the
#: fixed width 2, which reaches D as cheaply there (benchmarks/lowtemp_table.py).
LOW_TEMPERATURE_BETA = 1.0
#: Coarse-graining times compared: a longer T narrows the jumps' filters (slower, more selective
#: transitions) and lengthens their time grids; TFIM n = 3 to 0.02 costs 1.2e5 / 9.1e4 / 4.5e4 / 5.0e4 CX
#: at T = 0.5 / 1 / 2 / 4 (β = 1), and 1.1e5 / 1.2e5 at T = 1 / 2 (β = 4).
COARSE_GRAINING_TIMES = (1.0, 2.0)
#: Runs of at most this many steps are lowered whole for ``two_qubit_gates``; longer runs report the sum
#: of their lowered cycles (the ranking's count, a few gates above the whole run's).
WHOLE_RUN_MAX_STEPS = 100
#: Dissipator sweeps compared: palindromic, and one-way with directions alternating step to step.
ONE_WAY_SWEEPS = (False, True)


@dataclass(frozen=True)
class SamplerDesign:
    """The chosen sampler and run, with what it costs and what it promises.

    Attributes:
        sampler: the compiled randomized sampler.
        time: the evolution time of the run (``steps`` × dt).
        steps: the number of steps.
        initial_state: ``"zero"`` (|0…0⟩), ``"plus"`` (|+…+⟩, a Hadamard on every system qubit) or
            ``"mixed"`` (uniformly random bit strings, whose mean is the maximally mixed state); none
            costs a two-qubit gate.
        two_qubit_gates: CX of one instance of the whole run (state preparation included): the whole
            run lowered at once up to ``WHOLE_RUN_MAX_STEPS`` steps, else its lowered cycles added up.
        predicted_distance: the promise: ½‖E[ρ_circuit] − e^{−βH}/Z‖₁ of the mean over instances.
        floor: the smallest D this design's method can promise: the distance of the averaged channel's
            fixed point (``"exact"``), or the certificate's bound on it (``"certified"``).
        method: ``"exact"``: the promise is the exact averaged channel of the circuits iterated on the
            initial state (n ≤ 5), exact to floating point for the mean over infinitely many instances;
            ``"certified"``: the promise is the Gibbs certificate ``sampler.gibbs_bound(time,
            rho0=start)``, an upper bound on that distance (docs/certificate.md).
        candidates: every (settings, CX to D or None) the search compared, cheapest first (CX added up
            from lowered cycles: within a few gates of lowering the whole run, which
            ``two_qubit_gates`` does for the chosen one).
    """

    sampler: RandomizedSampler
    time: float
    steps: int
    initial_state: str
    two_qubit_gates: int
    predicted_distance: float
    floor: float
    method: str
    candidates: tuple[tuple[str, int | None], ...]

    @property
    def system_qubits(self) -> tuple[int, ...]:
        """Where the prepared state is: qubits 0..n−1 of ``circuit()`` (the ancillas follow)."""
        return tuple(range(self.sampler.num_system))

    def circuit(self) -> QuantumCircuit:
        """The parametric circuit of the whole run, state preparation included.

        With the ``"mixed"`` start, the preparation is rx(π·init[q]) on every system qubit, init[q] ∈
        {0, 1} sampled per instance (``parameter_values``); its mean is I/2^n.
        """
        n = self.sampler.num_system
        run = self.sampler.circuit(self.time)
        circuit = QuantumCircuit(run.num_qubits, name=f"kms_design_t{self.time:g}")
        if self.initial_state == "plus":
            circuit.h(range(n))
        elif self.initial_state == "mixed":
            bits = ParameterVector("init", n)
            for q in range(n):
                circuit.rx(math.pi * bits[q], q)
        circuit.compose(run, inplace=True, copy=False)
        return circuit

    def parameter_values(self, samples: int, *, seed: int) -> np.ndarray:
        """``samples`` instances as rows in ``circuit().parameters`` order: every sampled quantity of every
        step, and the initial bits of the ``"mixed"`` start (drawn from an independent stream of ``seed``)."""
        samples = check_integer("samples", samples, minimum=1)
        seed = check_integer("seed", seed, minimum=0)
        rows = self.sampler.parameter_values(self.time, samples, seed=seed)
        columns = {key: j for j, key in enumerate(self.sampler.parameter_layout(self.time))}
        if self.initial_state != "mixed":
            return rows
        bits = np.random.default_rng([seed, 0x1B175]).integers(0, 2, size=(samples, self.sampler.num_system))
        layout = [(p.vector.name, p.index) for p in self.circuit().parameters]
        return np.column_stack(
            [bits[:, i] if name == "init" else rows[:, columns[(name, i)]] for name, i in layout]
        ).astype(float)


def design_sampler(
    hamiltonian: SparsePauliOp,
    couplings: list[SparsePauliOp] | tuple[SparsePauliOp, ...],
    beta: float,
    distance: float,
    *,
    bath: Bath | None = None,
    scheme: str | None = None,
    coarse_graining_time: float | None = None,
    epsilon: float | None = None,
    max_ancillas: int | None = None,
    method: str = "exact",
) -> SamplerDesign:
    """The cheapest randomized circuits (two-qubit gates of one instance) whose mean reaches ``distance``.

    The search, for the exactly-KMS Scandi–Alhambra generator of ``bath`` at coarse-graining time T:

    * bath: the given one, else ``GaussianBath(β, width=2)`` for β ≤ 1 and ``GaussianBath.for_beta(β)``
      above (rates bounded by 1 at every β: at fixed width the peak rate e^{β²s²/8} sets dt, while the
      far smaller rates at the cooling Bohr frequencies set the mixing). A uniform rescaling of the
      rates moves no fixed point, and at a fixed dt·rate the circuits are the same, so the coupling α
      is fixed (0.5) and dt carries the choice;
    * the coarse-graining time T: ``coarse_graining_time``, else the cheaper of T = 1 and 2;
    * ε (the jump grids and frames): ``epsilon``, else min(10⁻², D/2);
    * dt ∈ {1, ¾, ½, ¼, ⅛} × the dilation's largest step (dt·α²Σ‖w‖₁² = 1/4): larger steps cost fewer
      steps but raise the averaged channel's floor (its splitting and randomization errors are O(dt));
      the search stops halving dt one step past the first dt that reaches D;
    * the initial state: |0…0⟩, |+…+⟩ or the maximally mixed state (random bit strings): product
      states without a two-qubit gate, whose distance to D each candidate's exact iteration measures;
    * the frames: every dissipator of a step swept through one set of frame evolutions with one
      ancilla each (``sweep_ancillas``: Π_k e^{dt D[B_k]} + O(dt²)), the coherent commutators from
      one-way passes (``one_way_commutators``, the same error constant), every frame a product
      formula over layers of commuting terms of H (``layered_frames``), and the dissipator sweeps
      either palindromic or one-way with alternating directions (``one_way_sweeps``: cheaper, a
      slightly higher floor) — both compared.

    ``method="exact"`` (n ≤ 5): each candidate's exact averaged channels are iterated on its initial
    state, the first step within D is taken, and its distance is the promise (exact for the mean over
    instances; a finite sample adds its statistical error). ``method="certified"`` (n ≤ 5): the first
    step whose Gibbs certificate ``gibbs_bound`` is within D, the certificate being the promise (an
    upper bound: transient plus each step's error damped by the ideal semigroup; the randomized
    scheme's averaged-channel quadrature enters as a stated estimate); it costs more gates than
    "exact" for the same D — the price of a bound. The CX count is that of the parametric circuit
    lowered to cx/rz/sx/x (all-to-all, optimization level 1): one lowering per candidate cycle, since
    a step's gates do not depend on dt. Beyond 5 qubits both methods are dense and larger systems are
    refused.

    Args:
        hamiltonian: H, Hermitian, on n ≤ 5 qubits.
        couplings: the coupling operators (at least one).
        beta: inverse temperature, > 0.
        distance: the target D ∈ (0, 1).
        bath: the bath (default: chosen from β as above).
        scheme: ``None`` or ``"randomized"`` (the only scheme designed so far).
        coarse_graining_time: T of the Scandi–Alhambra generator (default: the cheaper of T = 1, 2).
        epsilon: the grids' accuracy (default min(10⁻², D/2)).
        max_ancillas: at most this many dissipators share one sweep, each with its own ancilla
            (default: every coupling operator; 1 gives the single-ancilla circuits).
        method: ``"exact"`` or ``"certified"``: how the promise is computed (above).

    Returns:
        The chosen :class:`SamplerDesign`.

    Raises:
        ValueError: D outside (0, 1), β ≤ 0, no couplings, n > 5, another scheme, or a D that no
            candidate reaches (the message names the smallest floor and why).

    References:
        Scandi & Alhambra, arXiv:2505.20064, Thm 14; docs/schemes.md.
    """
    distance = check_open_unit_interval("distance", distance)
    frontier = design_frontier(
        hamiltonian, couplings, beta, [distance], bath=bath, scheme=scheme,
        coarse_graining_time=coarse_graining_time, epsilon=epsilon, max_ancillas=max_ancillas, method=method,
    )
    if distance not in frontier.designs:
        raise ValueError(
            f"distance={distance:g} is not reachable: the smallest floor of the candidates is {frontier.floor:.3g} "
            f"({'a bound on ' if method == 'certified' else ''}the averaged channel's fixed point: grid accuracy "
            f"ε={frontier.epsilons[distance]:g} and the O(dt) randomization error set it); ask for a larger distance "
            "or a smaller epsilon"
        )
    return frontier.designs[distance]


@dataclass(frozen=True)
class DesignFrontier:
    """The cheapest design for each of several target distances (the cost-to-Gibbs Pareto frontier).

    Attributes:
        designs: D → the :class:`SamplerDesign` of ``design_sampler(..., distance=D)`` (the same search),
            for every D some candidate reaches.
        epsilons: D → the grid accuracy searched for it.
        floor: the smallest fixed-point distance of all candidates: no D below it is reachable.
    """

    designs: Mapping[float, SamplerDesign]
    epsilons: Mapping[float, float]
    floor: float

    @property
    def unreachable(self) -> tuple[float, ...]:
        """The requested distances no candidate reaches (at or below the candidates' floors)."""
        return tuple(D for D in self.epsilons if D not in self.designs)


def design_frontier(
    hamiltonian: SparsePauliOp,
    couplings: list[SparsePauliOp] | tuple[SparsePauliOp, ...],
    beta: float,
    distances: Sequence[float],
    *,
    bath: Bath | None = None,
    scheme: str | None = None,
    coarse_graining_time: float | None = None,
    epsilon: float | None = None,
    max_ancillas: int | None = None,
    method: str = "exact",
) -> DesignFrontier:
    """:func:`design_sampler` for several distances at once: one search per grid accuracy ε serves every D.

    Each candidate's exact averaged channels are iterated once, and the first step within each D is read
    off that one trajectory, so a whole row of targets costs little more than its smallest D. The
    arguments are those of :func:`design_sampler`; ``epsilon=None`` searches ε = min(10⁻², D/2) per D
    (distances that share an ε share a search). Unreachable distances are left out of ``designs`` and
    listed by :attr:`DesignFrontier.unreachable` rather than raised, so a table can show the floor.

    Raises:
        ValueError: an empty ``distances``, any D outside (0, 1), β ≤ 0, no couplings, n > 5, or
            another scheme.

    References:
        Scandi & Alhambra, arXiv:2505.20064, Thm 14; docs/schemes.md.
    """
    if isinstance(distances, (str, bytes)) or not isinstance(distances, Sequence) or not distances:
        raise ValueError(f"distances must be a non-empty sequence of floats in (0, 1), got {distances!r}")
    distances = sorted({check_open_unit_interval("distance", D) for D in distances}, reverse=True)
    beta = check_positive("beta", beta)
    if coarse_graining_time is not None:
        coarse_graining_time = check_positive("coarse_graining_time", coarse_graining_time)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if scheme not in (None, "randomized"):
        raise ValueError(f"scheme: design_sampler designs the randomized scheme only so far, got {scheme!r}")
    if not isinstance(hamiltonian, SparsePauliOp):
        raise TypeError(f"hamiltonian must be a SparsePauliOp, got {type(hamiltonian).__name__}")
    n = hamiltonian.num_qubits
    couplings = check_couplings(couplings, n)
    if n > EXACT_MAX_QUBITS:
        raise ValueError(
            f"design_sampler: n={n} > {EXACT_MAX_QUBITS}; the exact method iterates 4^n-dimensional channels and "
            "no certified bound on the distance to the Gibbs state exists yet for larger systems"
        )
    if epsilon is not None:
        epsilon = check_open_unit_interval("epsilon", epsilon)
    epsilons = {D: min(1e-2, D / 2) if epsilon is None else epsilon for D in distances}
    if bath is None:
        bath = GaussianBath(beta, width=2.0) if beta <= LOW_TEMPERATURE_BETA else GaussianBath.for_beta(beta)
    times = COARSE_GRAINING_TIMES if coarse_graining_time is None else (coarse_graining_time,)
    ancillas = len(couplings) if max_ancillas is None else check_integer("max_ancillas", max_ancillas, minimum=1)
    found: dict[float, list[tuple[int | None, str, dict]]] = {D: [] for D in distances}
    floors: list[float] = []
    for T in times:
        lind = scandi_alhambra(hamiltonian, couplings, bath, coarse_graining_time=T, coupling=0.5)
        sigma = lind.gibbs_state()
        for eps in sorted(set(epsilons.values()), reverse=True):
            group = [D for D in distances if epsilons[D] == eps]
            options = {"epsilon": eps, "scheme": "randomized", "sweep_ancillas": ancillas, "one_way_commutators": True,
                       "layered_frames": True}
            limit = dilation_dt_limit(compile_sampler(lind, dt=1e-6, **options).form)
            for one_way in ONE_WAY_SWEEPS:
                search(lind, sigma, limit, group, {**options, "one_way_sweeps": one_way}, floors, found, f"T={T:g}", method)
    designs: dict[float, SamplerDesign] = {}
    for D in distances:
        ranked = sorted(found[D], key=lambda item: (item[0] is None, item[0] or 0))
        if ranked[0][0] is None:
            continue
        info = ranked[0][2]
        sampler = info["sampler"]
        design = SamplerDesign(
            sampler=sampler,
            time=info["steps"] * sampler.dt,
            steps=info["steps"],
            initial_state=info["start"],
            two_qubit_gates=0,
            predicted_distance=info["reached"],
            floor=info["floor"],
            method=method,
            candidates=tuple((label, c) for c, label, _ in ranked),
        )
        # the ranking adds up lowered cycles; the optimiser also cancels a few gates across step
        # boundaries, so a run of up to WHOLE_RUN_MAX_STEPS is lowered whole for the count it reports
        # (a longer one would be built whole only to be counted: gigabytes for hundreds of large steps)
        whole = design.steps <= WHOLE_RUN_MAX_STEPS
        designs[D] = replace(design, two_qubit_gates=count_cx(design.circuit()) if whole else ranked[0][0])
    return DesignFrontier(designs=designs, epsilons=epsilons, floor=min(floors))
