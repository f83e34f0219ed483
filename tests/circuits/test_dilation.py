import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import DensityMatrix, Operator, SparsePauliOp, partial_trace
from scipy.linalg import expm

from kmsgibbs.circuits import (
    commutator_step, dilation_pass, dilation_step, dilation_sweep, exact_evolution, one_way_commutator_step,
    shared_dilation_step, shared_dilation_sweep, signed_commutator_step,
)
from kmsgibbs.circuits.dense import ancilla_channel, circuit_unitary

# Qiskit's PauliEvolutionGate.to_matrix (used by the one-directional reference sweep) runs a sparse expm
pytestmark = pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")
SP = np.array([[0, 0], [1, 0]])  # σ⁺ = |1⟩⟨0| on the ancilla (qubit n = the high factor)


def channel(circuit, rho: np.ndarray, n: int) -> np.ndarray:
    full = DensityMatrix(np.kron(np.diag([1.0, 0.0]), rho)).evolve(circuit)
    return partial_trace(full, [n]).data


def lindblad_step(jump: np.ndarray, tau: float, rho: np.ndarray) -> np.ndarray:
    d = rho.shape[0]
    eye = np.eye(d)
    jj = jump.conj().T @ jump
    sup = np.kron(jump.conj(), jump) - 0.5 * (np.kron(eye, jj) + np.kron(jj.T, eye))
    return (expm(tau * sup) @ rho.reshape(-1, order="F")).reshape(d, d, order="F")


def one_directional(toy, tau):
    """The forbidden sweep: each G_l once with the full angle, forward only."""
    from qiskit import QuantumCircuit

    from kmsgibbs.circuits import pauli_rotation

    c = QuantumCircuit(3)
    ev = lambda s: exact_evolution(toy.H, s)  # noqa: E731
    c.compose(ev(toy.times[0]), [0, 1], inplace=True)
    for l, (t, w) in enumerate(zip(toy.times, toy.weights)):
        if l:
            c.compose(ev(t - toy.times[l - 1]), [0, 1], inplace=True)
        c.rz(-np.angle(w), 2)
        c.append(pauli_rotation("XIX", np.sqrt(tau) * abs(w)), [0, 1, 2])
        c.rz(np.angle(w), 2)
    c.compose(ev(-toy.times[-1]), [0, 1], inplace=True)
    c.reset(2)
    return c


def test_sweep_is_the_exponential_of_the_dilated_operator_to_third_order(toy):
    k = np.kron(SP, toy.jump) + np.kron(SP.T, toy.jump.conj().T)
    ev = lambda s: exact_evolution(toy.H, s)  # noqa: E731
    errs = [
        np.abs(Operator(dilation_sweep(toy.A, toy.times, toy.weights, angle=a, evolve=ev)).data - expm(-1j * a * k)).max()
        for a in (0.2, 0.1)
    ]
    assert 6.5 < errs[0] / errs[1] < 9.5, errs


def test_step_is_a_lindblad_step_with_quadratic_local_error_and_catches_wrong_sweeps(toy, random_state):
    rho = random_state(4, seed=3)
    ev = lambda s: exact_evolution(toy.H, s)  # noqa: E731
    errs, wrong_dir, wrong_sign = [], [], []
    for tau in (0.04, 0.02):
        ref = lindblad_step(toy.jump, tau, rho)
        errs.append(np.abs(channel(dilation_step(toy.A, toy.times, toy.weights, tau=tau, evolve=ev), rho, 2) - ref).max())
        wrong_dir.append(np.abs(channel(one_directional(toy, tau), rho, 2) - ref).max())
        flipped = dilation_step(toy.A, toy.times, toy.weights.conj(), tau=tau, evolve=ev)  # rz order swapped ⇔ w → w̄
        wrong_sign.append(np.abs(channel(flipped, rho, 2) - ref).max())
    assert 3.3 < errs[0] / errs[1] < 4.7, errs  # O(τ²) local error
    assert wrong_dir[0] / wrong_dir[1] < 2.5 and wrong_dir[1] > 10 * errs[1], wrong_dir  # O(τ): detectably wrong
    assert wrong_sign[1] > 10 * errs[1], wrong_sign


@pytest.mark.parametrize("theta", [0.08, -0.08])
def test_commutator_step_gives_exp_of_jump_squared(toy, theta, random_state):
    rho = random_state(4, seed=5)
    ev = lambda s: exact_evolution(toy.H, s)  # noqa: E731
    errs = []
    for th in (theta, theta / 2):
        u = expm(-1j * th * toy.jump.conj().T @ toy.jump)
        got = channel(commutator_step(toy.A, toy.times, toy.weights, theta=th, evolve=ev), rho, 2)
        errs.append(np.abs(got - u @ rho @ u.conj().T).max())
    assert 3.0 < errs[0] / errs[1] < 5.0, errs  # O(θ²)
    assert errs[0] < 2e-3


def test_bad_input(toy):
    ev = lambda s: exact_evolution(toy.H, s)  # noqa: E731
    with pytest.raises(ValueError, match="tau"):
        dilation_step(toy.A, toy.times, toy.weights, tau=0.0, evolve=ev)
    with pytest.raises(ValueError, match="strictly increasing"):
        dilation_step(toy.A, toy.times[::-1], toy.weights, tau=0.1, evolve=ev)
    with pytest.raises(ValueError, match="equal-length"):
        dilation_step(toy.A, toy.times, toy.weights[:2], tau=0.1, evolve=ev)
    with pytest.raises(ValueError, match="single Pauli"):
        dilation_step(SparsePauliOp(["IX", "ZI"]), toy.times, toy.weights, tau=0.1, evolve=ev)
    with pytest.raises(ValueError, match="theta"):
        commutator_step(toy.A, toy.times, toy.weights, theta=float("inf"), evolve=ev)


def lindblad_superop(jump: np.ndarray) -> np.ndarray:
    """D[L] column-stacked."""
    eye = np.eye(jump.shape[0])
    jj = jump.conj().T @ jump
    return np.kron(jump.conj(), jump) - 0.5 * (np.kron(eye, jj) + np.kron(jj.T, eye))


@pytest.fixture
def shared_toy(toy):
    """Three couplings on the toy's H and grid (two that anticommute on one qubit), their jumps L_k."""
    rng = np.random.default_rng(7)
    couplings = [SparsePauliOp("IX"), SparsePauliOp("IY", [-0.5]), SparsePauliOp("ZI")]
    weights = [0.3 * (rng.normal(size=toy.times.size) + 1j * rng.normal(size=toy.times.size)) for _ in couplings]
    jumps = [
        sum(w * toy.heisenberg(a.to_matrix(), t) for w, t in zip(ws, toy.times)) for a, ws in zip(couplings, weights)
    ]
    return couplings, weights, jumps


def test_shared_sweep_is_the_product_of_the_dissipators_to_second_order(toy, shared_toy):
    """Ancillas traced, the shared sweep (one frame set, one ancilla per operator) is Π_k e^{τD[L_k]} with
    an O(τ²) error, and not e^{τD[Σ_k L_k]} (the coherent sum one shared ancilla would give)."""
    couplings, weights, jumps = shared_toy
    ev = lambda s: exact_evolution(toy.H, s)  # noqa: E731
    errs, wrong = [], []
    for tau in (0.04, 0.02, 0.01):
        u = circuit_unitary(shared_dilation_sweep(couplings, toy.times, weights, angle=np.sqrt(tau), evolve=ev))
        got = ancilla_channel(u, 4)  # 2^3 Kraus operators ⟨e|U|000⟩
        product = np.eye(16)
        for jump in jumps:
            product = expm(tau * lindblad_superop(jump)) @ product
        errs.append(np.abs(got - product).max())
        wrong.append(np.abs(got - expm(tau * lindblad_superop(sum(jumps)))).max())
    assert 3.3 < errs[0] / errs[1] < 4.7 and 3.3 < errs[1] / errs[2] < 4.7, errs  # O(τ²) local error
    assert wrong[2] > 30 * errs[2] and 1.6 < wrong[1] / wrong[2] < 2.4, wrong  # the coherent sum: O(τ) off


def test_shared_sweep_of_one_operator_is_the_single_sweep_and_resets_every_ancilla(toy, shared_toy):
    couplings, weights, _ = shared_toy
    ev = lambda s: exact_evolution(toy.H, s)  # noqa: E731
    single = dilation_sweep(couplings[1], toy.times, weights[1], angle=0.3, evolve=ev)
    assert single == shared_dilation_sweep(couplings[1:2], toy.times, weights[1:2], angle=0.3, evolve=ev)
    step = shared_dilation_step(couplings, toy.times, weights, tau=0.01, evolve=ev)
    assert step.num_qubits == 5
    assert [step.find_bit(i.qubits[0]).index for i in step.data if i.operation.name == "reset"] == [2, 3, 4]
    with pytest.raises(ValueError, match="one weight sequence per coupling"):
        shared_dilation_sweep(couplings, toy.times, weights[:2], angle=0.3, evolve=ev)
    with pytest.raises(ValueError, match="same number of qubits"):
        shared_dilation_sweep([couplings[0], SparsePauliOp("X")], toy.times, weights[:2], angle=0.3, evolve=ev)
    with pytest.raises(ValueError, match="tau"):
        shared_dilation_step(couplings, toy.times, weights, tau=-1.0, evolve=ev)


@pytest.mark.parametrize("sign_phase, sign", [(0.0, 1), (np.pi / 2, -1)])
def test_one_way_commutator_is_the_group_commutator_at_half_the_frames(toy, sign_phase, sign):
    """Four one-way passes give Ad e^{∓iθJ^†J} with an O(θ²) channel error, as accurate as four palindromic
    sweeps (the passes' second-order terms cancel); four passes all forward do not (their C adds up)."""
    ev = lambda s: exact_evolution(toy.H, s)  # noqa: E731
    start = toy.times - toy.times[0]  # no outer frames: the grid from its first node
    jump = sum(w * toy.heisenberg(toy.A.to_matrix(), t) for w, t in zip(toy.weights, start))
    errs, sweeps, forward = [], [], []
    for theta in (0.02, 0.01):
        u = expm(-1j * sign * theta * jump.conj().T @ jump)
        target = np.kron(u.conj(), u)
        options = dict(magnitude=theta, sign_phase=sign_phase, evolve=ev)
        errs.append(np.abs(ancilla_channel(circuit_unitary(one_way_commutator_step(toy.A, toy.times, toy.weights, **options)), 4) - target).max())
        sweeps.append(np.abs(ancilla_channel(circuit_unitary(signed_commutator_step(toy.A, toy.times, toy.weights, **options)), 4) - target).max())
        # the wrong folding: every pass forward, each then closed by its own frame back (C does not cancel)
        a = np.sqrt(theta / 2)
        wrong = QuantumCircuit(3)
        for s, phase in ((-1, np.pi / 2 - sign_phase), (-1, sign_phase), (1, np.pi / 2 - sign_phase), (1, sign_phase)):
            wrong.rz(-phase, 2)
            wrong.compose(dilation_pass([toy.A], toy.times, [toy.weights], angle=s * a, evolve=ev, forward=True), inplace=True)
            wrong.compose(ev(start[0] - start[-1]), [0, 1], inplace=True)
            wrong.rz(phase, 2)
        forward.append(np.abs(ancilla_channel(circuit_unitary(wrong), 4) - target).max())
    assert 3.3 < errs[0] / errs[1] < 4.7, errs  # O(θ²)
    assert errs[1] < 1.1 * sweeps[1], (errs, sweeps)
    assert forward[1] > 10 * errs[1] and forward[0] / forward[1] < 2.5, forward  # O(θ): detectably wrong
    one_way = one_way_commutator_step(toy.A, toy.times, toy.weights, magnitude=0.02, sign_phase=sign_phase, evolve=ev)
    palindromic = signed_commutator_step(toy.A, toy.times, toy.weights, magnitude=0.02, sign_phase=sign_phase, evolve=ev)
    frames = lambda c: c.count_ops()["unitary"]  # noqa: E731  (exact_evolution's frame segments)
    assert 2 * frames(one_way) == frames(palindromic) == 4 * 2 * (toy.times.size - 1)  # 4 sweeps of 2 passes


def test_one_way_passes_turned_round_are_the_dissipators_to_second_order(toy, shared_toy):
    """One pass at the full angle (no palindrome) is O(τ) off Π_k e^{τD[L_k]} (its spurious Hamiltonian);
    a forward then a backward pass is Π_k e^{2τD[L_k]} + O(τ²): the spurious terms have opposite signs."""
    couplings, weights, jumps = shared_toy
    ev = lambda s: exact_evolution(toy.H, s)  # noqa: E731
    t0, tm = toy.times[0], toy.times[-1]

    def channel_of(forward: bool, tau: float) -> np.ndarray:
        c = QuantumCircuit(5)
        c.compose(ev(t0 if forward else tm), [0, 1], inplace=True)
        c.compose(dilation_pass(couplings, toy.times, weights, angle=np.sqrt(tau), evolve=ev, forward=forward), inplace=True)
        c.compose(ev(-(tm if forward else t0)), [0, 1], inplace=True)
        return ancilla_channel(circuit_unitary(c), 4)

    single, pair = [], []
    for tau in (0.02, 0.01):
        target = expm(tau * sum(lindblad_superop(j) for j in jumps))
        single.append(np.abs(channel_of(True, tau) - target).max())
        pair.append(np.abs(channel_of(False, tau) @ channel_of(True, tau) - target @ target).max())
    assert 1.6 < single[0] / single[1] < 2.4, single  # O(τ): one pass alone is wrong
    assert 3.3 < pair[0] / pair[1] < 4.7 and pair[1] < 0.2 * single[1], pair
