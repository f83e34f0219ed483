"""The layout's promises: data flows one way, compiler/ runs no simulator, modules stay small, tests use public API."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"compiler": "kmsgibbs.compiler", "circuits": "kmsgibbs.circuits", "simulators": "kmsgibbs.simulators"}


def modules(folder: str) -> dict[str, Path]:
    """Dotted module name → file, for one mapped subpackage."""
    out = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([PACKAGES[folder], *parts])] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Package modules imported anywhere in the file (lazy imports in functions included)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from pkg import sub` imports the submodule when there is one, else pkg itself
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        out.update(t for t in targets if t in known and t != name)
    return out


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_importing_the_compiler_loads_no_simulator():
    code = "import sys, kmsgibbs.compiler; print(sorted(m for m in sys.modules if m.startswith('qiskit_aer')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.parametrize("folder", ["compiler", "circuits"])
def test_no_module_of_the_lower_packages_imports_aer(folder):
    for name, path in modules(folder).items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.startswith("qiskit_aer") for n in names), name


def test_the_import_graph_has_no_cycle_and_flows_down():
    table = {**modules("compiler"), **modules("circuits"), **modules("simulators")}
    known = set(table)
    graph = {name: imports(name, path, known) for name, path in table.items()}
    assert find_cycle(graph) is None, find_cycle(graph)
    for name, targets in graph.items():
        if name.startswith("kmsgibbs.circuits"):
            assert not {t for t in targets if not t.startswith("kmsgibbs.circuits")}, (name, targets)
        if name.startswith("kmsgibbs.compiler"):
            assert not {t for t in targets if t.startswith("kmsgibbs.simulators")}, (name, targets)
    # the groups of compiler/ are layered: schemes → analysis → target, lowering → physics
    order = ["physics", "lowering", "target", "analysis", "schemes"]
    for name, targets in graph.items():
        parts = name.split(".")
        if len(parts) < 4 or parts[2] not in order:
            continue
        for t in targets:
            tp = t.split(".")
            if t.startswith("kmsgibbs.compiler.") and len(tp) >= 4 and tp[2] in order:
                assert order.index(tp[2]) <= order.index(parts[2]), f"{name} imports {t} (upwards)"


def test_compiler_modules_are_short_and_classes_small():
    for name, path in modules("compiler").items():
        assert len(path.read_text().splitlines()) <= 400, name
    for folder in PACKAGES:
        for name, path in modules(folder).items():
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    methods = [
                        f.name
                        for f in node.body
                        if isinstance(f, ast.FunctionDef)
                        and not f.name.startswith("_")
                        and not any(getattr(d, "id", getattr(d, "attr", "")) in ("property", "cached_property") for d in f.decorator_list)
                    ]
                    assert len(methods) <= 15, (name, node.name, methods)


def test_tests_use_public_names_only():
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                # ``peer`` is another project's published code (the reset scheme's thermal_prep.py), which
                # the cost-table tests check our re-implementation against: its names are not our API
                if isinstance(node.value, ast.Name) and node.value.id == "peer":
                    continue
                offenders.append(f"{path.name}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kmsgibbs"):
                hidden = [p for p in node.module.split(".") if p.startswith("_")]
                hidden += [a.name for a in node.names if a.name.startswith("_")]
                if hidden:
                    offenders.append(f"{path.name}:{node.lineno} {hidden}")
    assert not offenders, offenders
