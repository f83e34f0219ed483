"""The user guide's code runs: every Python block of a page in one namespace, every command line parses."""

import re
import shlex
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ["first_run.md", "own_model.md", "hardware.md", "scale_out.md"]
PYTHON = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
SHELL = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", GUIDE)
def test_every_python_block_of_the_guide_runs(page, monkeypatch):
    matplotlib.use("Agg")
    if page == "hardware.md":
        pytest.importorskip("qiskit_ibm_runtime.fake_provider")  # FakeFez: the [ibm] extra
    monkeypatch.chdir(ROOT)  # the pages name docs/models/... from the repository root
    namespace: dict = {"__name__": "__docs__"}
    for number, source in enumerate(PYTHON.findall((ROOT / "docs" / page).read_text()), start=1):
        exec(compile(source, f"docs/{page} block {number}", "exec"), namespace)


def command_lines() -> list[tuple[str, list[str]]]:
    out = []
    for page in ["install.md", *GUIDE]:
        for block in SHELL.findall((ROOT / "docs" / page).read_text()):
            for line in block.splitlines():
                words = shlex.split(line, comments=True)
                if words[:1] == ["kmsgibbs"] and words[1:2] != ["--version"]:
                    out.append((page, words[1:]))
    return out


@pytest.mark.parametrize("page, argv", command_lines())
def test_every_command_line_of_the_guide_parses(page, argv, monkeypatch):
    """Each option exists and each family, bath and scheme combination is accepted (the runs themselves
    take minutes; they were run when the pages were written)."""
    from kmsgibbs.cli import parse_args

    monkeypatch.chdir(ROOT / "docs" / "models")  # --model-file xxz_ring.json, as a user beside the file
    args = parse_args(argv)
    assert args.command == argv[0]
