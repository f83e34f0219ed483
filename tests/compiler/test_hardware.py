"""ISA circuits on hardware targets, the named gates, and the OpenQASM 3 round trip (issue #5)."""

import math

import numpy as np
import pytest
from qiskit import QuantumCircuit, qasm3
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.transpiler import CouplingMap, Target
from qiskit_aer import AerSimulator

from kmsgibbs.compiler import baths, compile_sampler, models, scandi_alhambra
from kmsgibbs.compiler.hardware import PRE_INIT, chain_layout, dump_qasm3, to_isa, to_qasm3


def cheap_sampler(n: int, couplings: str = "X"):
    """A coarse (ε = 0.1) TFIM sampler: the hardware path does not depend on the grid accuracy."""
    H = models.transverse_field_ising(n)
    L = scandi_alhambra(H, models.single_site_couplings(n, couplings), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5)
    return compile_sampler(L, dt=0.05, epsilon=1e-1)


def heron():
    """FakeFez with the [ibm] extra, else a heavy-hex GenericBackendV2 with dynamic circuits."""
    try:
        from qiskit_ibm_runtime.fake_provider import FakeFez
    except ImportError:
        return GenericBackendV2(19, basis_gates=["cz", "rz", "sx", "x", "id"], coupling_map=CouplingMap.from_heavy_hex(3), control_flow=True, seed=7)
    return FakeFez()


@pytest.fixture(scope="module")
def s4():
    return cheap_sampler(4)


def system_state(circuit: QuantumCircuit, positions) -> np.ndarray:
    """Reduced density matrix of the qubits at ``positions`` (logical order) after an Aer DM run."""
    run = circuit.copy()
    run.save_density_matrix(qubits=list(positions), label="rho")
    run = PRE_INIT.run(run)  # the named gates, for the logical circuit; ISA circuits run as they are
    result = AerSimulator(method="density_matrix").run(run).result()
    return np.asarray(result.data(0)["rho"])


def test_step_counts_read_as_the_algorithm(s4):
    ops = s4.step_circuit().count_ops()
    kinds = [f.kind for f in s4.plan.factors]
    assert ops["dilation_step"] == kinds.count("dissipator") > 0
    assert ops["coherent_step"] == kinds.count("coherent") > 0
    assert ops["reset"] == kinds.count("dissipator") + kinds.count("coherent")
    assert set(ops) <= {"dilation_step", "coherent_step", "frame", "reset"}
    lowered = PRE_INIT.run(s4.step_circuit())
    assert not set(lowered.count_ops()) & {"dilation_step", "coherent_step", "frame"}


def test_block_encoding_is_a_named_gate(s4):
    from kmsgibbs.circuits import lcu_block_encoding
    from kmsgibbs.circuits.product_formula import trotter_evolution
    from qiskit.quantum_info import SparsePauliOp

    H = models.transverse_field_ising(2)
    be = lcu_block_encoding(SparsePauliOp("IX"), [0.0, 0.5], [0.3, 0.4j], evolve=lambda s, c: trotter_evolution(H, s, order=2, steps=1, controlled=c))
    circuit = QuantumCircuit(be.circuit.num_qubits)
    circuit.append(be.gate, circuit.qubits)
    assert circuit.count_ops() == {"block_encoding": 1}


def test_chain_layout_is_a_line_with_the_ancilla_beside_the_middle():
    target = heron().target
    layout = chain_layout(8, target)
    edges = set(target.build_coupling_map().graph.to_undirected().edge_list())
    coupled = lambda a, b: (a, b) in edges or (b, a) in edges  # noqa: E731
    assert len(set(layout)) == 9
    assert all(coupled(layout[i], layout[i + 1]) for i in range(7))
    assert coupled(layout[4], layout[8])


def test_isa_circuit_is_in_the_target_and_is_the_same_channel(s4):
    """TFIM n = 4 on a heavy-hex Heron target: only target instructions, resets kept, same state."""
    backend = heron()
    target = backend.target
    isa = to_isa(s4, backend, time=0.05, initial_state="0110", seed=11)
    ops = isa.count_ops()
    assert ops.get("reset", 0) == s4.step_circuit().count_ops()["reset"]
    for instruction in isa.data:
        qargs = tuple(isa.find_bit(q).index for q in instruction.qubits)
        assert target.instruction_supported(instruction.operation.name, qargs), (instruction.operation.name, qargs)
    assert not {"for_loop", "while_loop", "switch_case"} & set(ops)
    # the chain sits on a line, the ancilla beside the middle site
    initial = isa.layout.initial_index_layout()[:5]
    assert initial == chain_layout(4, target)
    logical = system_state(s4.circuit(0.05, initial_state="0110"), range(4))
    physical = system_state(isa, isa.layout.final_index_layout()[:4])
    assert np.abs(physical - logical).max() <= 1e-6


def test_bad_targets_are_refused(s4):
    with pytest.raises(ValueError, match="the target has 3 qubits; the circuit needs 5"):
        to_isa(s4, GenericBackendV2(3, seed=1))
    no_reset = Target.from_configuration(["cx", "rz", "sx", "x"], num_qubits=8, coupling_map=CouplingMap.from_line(8))
    with pytest.raises(ValueError, match="does not support 'reset'"):
        to_isa(s4, no_reset)
    with pytest.raises(ValueError, match="expected a BackendV2 or a Target"):
        to_isa(s4, "ibm_fez")


def test_qasm3_round_trip_is_the_same_channel(s4, tmp_path):
    path = dump_qasm3(s4, tmp_path / "step.qasm", time=0.05, initial_state="1001")
    text = path.read_text()
    assert text == to_qasm3(s4, time=0.05, initial_state="1001") and "reset" in text
    assert not list(tmp_path.glob(".*.tmp"))
    loaded = qasm3.loads(text)
    reference = system_state(s4.circuit(0.05, initial_state="1001"), range(4))
    assert np.abs(system_state(loaded, range(4)) - reference).max() <= 1e-8
    # and the state is not trivially the initial one: the check would see a dropped step
    rho0 = np.zeros((16, 16))
    rho0[9, 9] = 1.0
    assert np.abs(reference - rho0).max() > 1e-3


def _fractional_backend():
    return GenericBackendV2(5, basis_gates=["cz", "rz", "sx", "x", "rzz", "rx", "reset", "measure"], seed=7)


def test_to_isa_keeps_fractional_gates_out_of_dynamic_and_parametric_circuits():
    """IBM: fractional gates cannot run in dynamic circuits, parameterised rzz fails outside [0, π/2]."""
    from qiskit.circuit import Parameter

    backend = _fractional_backend()
    lind = scandi_alhambra(models.transverse_field_ising(2), models.single_site_couplings(2, "Z"),
                           baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5)
    sampler = compile_sampler(lind, dt=0.05, epsilon=1e-2, scheme="randomized")
    isa = to_isa(sampler, backend, time=sampler.dt, seed=1)  # parametric and with resets
    ops = isa.count_ops()
    assert "reset" in ops and not {"rzz", "rx"} & set(ops)
    theta = Parameter("θ")
    parametric = QuantumCircuit(2)
    parametric.rzz(theta, 0, 1)
    assert "rzz" not in to_isa(parametric, backend, seed=1).count_ops()


@pytest.mark.parametrize("angle, native", [(0.4, True), (-0.4, False), (2.5, False)])
def test_to_isa_uses_rzz_only_inside_its_calibrated_range(angle, native):
    from qiskit.quantum_info import Operator

    circuit = QuantumCircuit(2)
    circuit.rzz(angle, 0, 1)
    isa = to_isa(circuit, _fractional_backend(), seed=1)
    rzz = [inst.operation.params[0] for inst in isa.data if inst.operation.name == "rzz"]
    assert bool(rzz) == native
    assert all(0.0 <= float(a) <= math.pi / 2 for a in rzz)
    idle = Operator(np.eye(2 ** (isa.num_qubits - 2)))  # the backend's other qubits, after the layout's
    assert Operator.from_circuit(isa).equiv(idle.tensor(Operator(circuit)))  # the same unitary

def test_a_randomized_sampler_with_shared_sweeps_maps_every_ancilla():
    """Shared sweeps use several ancillas: the one-ancilla chain layout is not used, Qiskit places all
    n + K qubits, and the layout tells where every logical qubit went."""
    H = models.transverse_field_ising(2)
    L = scandi_alhambra(H, models.single_site_couplings(2, "X"), baths.GaussianBath(1.0, width=2.0), coarse_graining_time=1.0, coupling=0.5)
    s = compile_sampler(L, dt=0.05, epsilon=1e-1, scheme="randomized", sweep_ancillas=2)
    assert s.num_ancillas == 2
    circuit = s.circuit(0.05).assign_parameters(s.parameter_values(0.05, 1, seed=1)[0])
    isa = to_isa(circuit, heron(), seed=3)
    assert isa.count_ops()["reset"] == circuit.count_ops()["reset"]
    positions = isa.layout.initial_index_layout(filter_ancillas=True)
    assert len(positions) == 4 and len(set(positions)) == 4
    sampler_isa = to_isa(s, heron(), time=0.05, seed=3)
    assert len(sampler_isa.layout.initial_index_layout(filter_ancillas=True)) == 4
