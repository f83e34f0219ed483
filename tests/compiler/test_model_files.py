"""A model of one's own from a JSON file: the same operators as the built-ins, every bad field named."""

import json

import pytest

from kmsgibbs.compiler import ModelFileError, load_model, models
from kmsgibbs.compiler.physics.model_files import parse_model


def tfim_file(n: int) -> dict:
    return {
        "num_qubits": n,
        "hamiltonian": [["ZZ", [i, i + 1], -1.0] for i in range(n - 1)] + [["X", [i], -1.0] for i in range(n)],
        "couplings": [[[p, [i], 1.0]] for i in range(n) for p in "XZ"],
    }


def test_a_file_gives_the_builtin_operators(tmp_path):
    path = tmp_path / "tfim.json"
    path.write_text(json.dumps(tfim_file(3)))
    model = load_model(path)
    assert model.num_qubits == 3 and model.source == str(path)
    assert model.hamiltonian.equiv(models.transverse_field_ising(3))
    builtin = models.single_site_couplings(3, "XZ")
    assert len(model.couplings) == len(builtin)
    assert all(a.equiv(b) for a, b in zip(model.couplings, builtin))


def test_little_endian_indices():
    model = parse_model({"num_qubits": 2, "hamiltonian": [["Z", [1], 1.0]], "couplings": [[["X", [0], 1.0]]]})
    assert model.hamiltonian.paulis.to_labels() == ["ZI"]  # qubit 1 is the left letter
    assert model.couplings[0].paulis.to_labels() == ["IX"]


def edit(**changes):
    data = tfim_file(2)
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "data, fragment",
    [
        ([1, 2], "expected a JSON object"),
        ({"hamiltonian": [], "couplings": []}, "missing field 'num_qubits'"),
        (edit(extra=1), "unknown field 'extra'"),
        (edit(num_qubits=0), "num_qubits must be an integer in 1..1000, got 0"),
        (edit(num_qubits=True), "num_qubits must be an integer"),
        (edit(num_qubits=2.5), "num_qubits must be an integer"),
        (edit(hamiltonian=[]), "hamiltonian: expected a non-empty list"),
        (edit(hamiltonian=[["ZZ", [0, 1]]]), "hamiltonian[0]: expected [paulis, qubits, coefficient]"),
        (edit(hamiltonian=[["ZQ", [0, 1], 1.0]]), "hamiltonian[0][0]: expected a string of Pauli letters"),
        (edit(hamiltonian=[["ZZ", [0], 1.0]]), "hamiltonian[0][1]: expected 2 qubit indices"),
        (edit(hamiltonian=[["ZZ", [0, 2], 1.0]]), "hamiltonian[0][1]: qubit 2 is not an index in 0..1"),
        (edit(hamiltonian=[["ZZ", [1, 1], 1.0]]), "hamiltonian[0][1]: repeated qubit"),
        (edit(hamiltonian=[["ZZ", [0, 1], "1"]]), "hamiltonian[0][2]: the coefficient must be a finite real number"),
        (edit(hamiltonian=[["ZZ", [0, 1], float("nan")]]), "hamiltonian[0][2]"),
        (edit(couplings=[]), "couplings must be a non-empty list"),
        (edit(couplings=[[["X", [5], 1.0]]]), "couplings[0][0][1]: qubit 5 is not an index"),
    ],
)
def test_bad_fields_are_named(data, fragment):
    with pytest.raises(ModelFileError) as info:
        parse_model(data)
    assert fragment in str(info.value)


def test_unreadable_and_malformed_files_are_named(tmp_path):
    with pytest.raises(ModelFileError, match="cannot be read"):
        load_model(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"num_qubits": 2,\n "hamiltonian": [}')
    with pytest.raises(ModelFileError, match=r"broken.json: not JSON: .* line 2"):
        load_model(broken)
