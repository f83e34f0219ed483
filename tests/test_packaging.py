"""What a user installs: the wheel holds every module of the four source folders, the version is printed."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import kmsgibbs

ROOT = Path(__file__).resolve().parent.parent
#: source folder → its import package inside the wheel
FOLDERS = {"kmsgibbs": "kmsgibbs", "compiler": "kmsgibbs/compiler", "circuits": "kmsgibbs/circuits",
           "simulators": "kmsgibbs/simulators"}


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = out.glob("kmsgibbs-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_holds_every_module_of_every_source_folder(wheel_names):
    expected = {
        f"{package}/{path.relative_to(ROOT / folder).as_posix()}"
        for folder, package in FOLDERS.items()
        for path in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert len(expected) > 60  # the four folders were found, not an empty glob
    assert expected - wheel_names == set()


def test_wheel_is_typed_and_licensed(wheel_names):
    assert "kmsgibbs/py.typed" in wheel_names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in wheel_names)
    assert "Apache License" in (ROOT / "LICENSE").read_text().splitlines()[0]


def test_version_is_printed():
    proc = subprocess.run([sys.executable, "-m", "kmsgibbs", "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"kmsgibbs {kmsgibbs.__version__}"
    assert kmsgibbs.__version__ != "0.0.0"  # read from the installed metadata
