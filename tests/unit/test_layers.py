"""Dependencies point one way: api -> service -> runtime -> engine -> language (DEVELOPERS.md,
"Layers"), with no import cycle among the modules of asl_engine/ (its API in asl_engine/api/).

The import graph is read from the source (every import statement, those under `TYPE_CHECKING`
and inside functions included), so a cycle that only a type checker follows still counts. The
pure modules are also imported in a fresh interpreter, since this test process has imported
everything already, to see that no asyncio, SQLite or HTTP library comes with them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("asl_engine",)

PURE = [
    "asl_engine.errors", "asl_engine.paths", "asl_engine.payload", "asl_engine.intrinsics",
    "asl_engine.choice", "asl_engine.model", "asl_engine.compile", "asl_engine.dataflow",
    "asl_engine.engine.decisions", "asl_engine.query", "asl_engine.jsonata", "asl_engine.engine.step",
    "asl_engine.engine.map_fields",
]
FORBIDDEN = ["asyncio", "sqlite3", "aiosqlite", "http.client", "httpx", "fastapi", "starlette", "uvicorn"]

# The package's public surface (asl_engine/__init__.py, names loaded on first use) and the entry
# points that start a server or run one in process sit above every layer.
ENTRY_POINTS = ("asl_engine.__main__", "asl_engine.run_command", "asl_engine.pytest_plugin", "asl_engine.testing")
# Who may import each upper layer; any other module doing so points a dependency the wrong way.
# The store is the service's (the runtime hands its events to an EventSink); the API reads its records.
LAYERS = {
    "asl_engine.api": ("asl_engine.api",),
    "asl_engine.service": ("asl_engine.api", "asl_engine.service"),
    "asl_engine.runtime": ("asl_engine.service", "asl_engine.runtime"),
    "asl_engine.store": ("asl_engine.api", "asl_engine.service", "asl_engine.store"),
}

def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of `known` that `module` imports, wherever the import statement stands."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = module.split(".")
                if path.name != "__init__.py":
                    base.pop()
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, target] if target else base)
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in known:
                    found.add(submodule)
                elif target in known:
                    found.add(target)
    found.discard(module)
    return found


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: _imports(module, path, known) for module, path in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _above_all(module: str) -> bool:
    return module == "asl_engine" or any(_within(module, entry) for entry in ENTRY_POINTS)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_dependencies_point_one_way() -> None:
    wrong = sorted(
        f"{module} imports {imported}"
        for module, imports in _graph().items()
        for imported in imports
        for layer, users in LAYERS.items()
        if _within(imported, layer) and not _above_all(module) and not any(_within(module, user) for user in users)
    )
    assert wrong == []


def _engine_modules() -> list[str]:
    """The pure core's modules (asl_engine/engine/), whatever they are named."""
    return sorted(module for module in _modules() if _within(module, "asl_engine.engine"))


def test_pure_modules_import_no_io_libraries() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in [*PURE, *_engine_modules()])
        + f"print(','.join(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert found == ""
