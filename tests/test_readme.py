"""Every Python block of README.md runs as written, top to bottom, in one namespace, within 60 s each."""

import re
import time
from pathlib import Path

import matplotlib
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
SECONDS_PER_BLOCK = 60.0


def blocks() -> list[str]:
    return BLOCK.findall(README.read_text())


def test_readme_has_blocks():
    assert len(blocks()) >= 4


def test_every_readme_block_runs_in_order(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    pytest.importorskip("qiskit_ibm_runtime.fake_provider")  # the hardware block needs the [ibm] extra
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    namespace: dict = {"__name__": "__readme__"}
    for number, source in enumerate(blocks(), start=1):
        start = time.perf_counter()
        exec(compile(source, f"README.md block {number}", "exec"), namespace)
        seconds = time.perf_counter() - start
        assert seconds < SECONDS_PER_BLOCK, f"README block {number} took {seconds:.0f} s"


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_docs_links_stay_inside_the_repository():
    """Every relative link of README.md and docs/ names a file of the checkout (nothing outside it)."""
    root = README.parent
    pages = [README, *sorted((root / "docs").rglob("*.md"))]
    assert len(pages) >= 5
    for page in pages:
        text = page.read_text()
        assert "shared/spec" not in text, page
        for target in LINK.findall(text):
            if "://" in target:
                continue
            resolved = (page.parent / target).resolve()
            assert resolved.is_relative_to(root) and resolved.exists(), f"{page.name}: broken link {target}"
