"""The package layers run one way (DESIGN.md): a module may import only from its own
layer or a lower one, and the packages never import each other in a cycle. Lazy imports
inside functions count too: they run sooner or later."""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# repository folder -> the package name it installs as
SOURCES = {"forensics": "forensics", "reports": "forensics.reports", "migrations": "forensics.migrations"}

# Lowest first. Top-level modules of ``forensics`` count as packages of their own.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"forensics", "errors", "canonical", "pinned"}),  # foundation: version, errors, hashing
    frozenset({"model"}),
    frozenset({"storage"}),
    frozenset({"audit", "evidence", "migrations"}),
    frozenset({"media", "nets"}),
    frozenset({"detectors"}),
    frozenset({"pipeline", "distributed", "intake", "verify", "validation", "training", "keys",
               "settings"}),
    frozenset({"reports"}),
    frozenset({"cli"}),
)
LAYER_OF = {package: level for level, members in enumerate(LAYERS) for package in members}


def _modules() -> Iterator[tuple[str, Path]]:
    for folder, package in SOURCES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join((package, *parts)), path


def package_of(module: str) -> str | None:
    """The layer unit of a ``forensics`` module: its sub-package or top-level module."""
    parts = module.split(".")
    if parts[0] != "forensics":
        return None
    return parts[1] if len(parts) > 1 else "forensics"


def _imports(module: str, path: Path) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield ".".join([*base, node.module] if node.module else base)
            elif node.module:
                yield node.module


def import_graph() -> dict[str, set[str]]:
    """package -> the other packages it imports."""
    graph: dict[str, set[str]] = {}
    for module, path in _modules():
        source = package_of(module)
        assert source is not None
        targets = graph.setdefault(source, set())
        for name in _imports(module, path):
            target = package_of(name)
            if target is not None and target != source:
                targets.add(target)
    return graph


def test_every_package_has_a_layer() -> None:
    missing = sorted(set(import_graph()) - set(LAYER_OF))
    assert not missing, f"packages without a layer in LAYERS: {missing}"


def test_imports_never_go_up_a_layer() -> None:
    upward = [
        f"{source} (layer {LAYER_OF[source]}) imports {target} (layer {LAYER_OF[target]})"
        for source, targets in import_graph().items()
        for target in sorted(targets)
        if LAYER_OF[target] > LAYER_OF[source]
    ]
    assert not upward, "imports that run against the layers:\n" + "\n".join(upward)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_package_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "package import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above would be empty if find_cycle never found anything."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_reports_and_migrations_are_not_top_level_names(tmp_path: Path) -> None:
    """They install as forensics.reports and forensics.migrations only."""
    code = ("import importlib.util as u, forensics.reports, forensics.migrations; "
            "print(u.find_spec('reports'), u.find_spec('migrations'))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["None", "None"]


HEAVY = ("torch", "scipy", "mediapipe", "av", "cv2", "onnxruntime", "onnx")


@pytest.mark.parametrize("module", ["forensics.cli", "forensics.detectors.registry"])
def test_importing_loads_no_heavy_library(module: str, tmp_path: Path) -> None:
    """Commands that do not analyse start fast: none of torch, SciPy, MediaPipe, PyAV."""
    code = (f"import sys, {module}; "
            + ("forensics.detectors.registry.available(); " if "registry" in module else "")
            + f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == []


def test_the_heavy_check_sees_a_heavy_import() -> None:
    """The check above can fail: importing the CNN's network loads torch."""
    code = "import sys, forensics.nets.meso; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "True"
    assert importlib.util.find_spec("torch") is not None
