"""House rules checked on the source: no import cycles in the core, no source file over 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "semantic-conventions-ai" / "src" / "opentelemetry" / "semconv_ai"
PACKAGE = "opentelemetry.semconv_ai"
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(CORE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def _imports(path: Path) -> set[str]:
    """Every core module `path` imports, anywhere in it (TYPE_CHECKING blocks and functions included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(max(node.level - 1, 0)):
                base = base.rsplit(".", 1)[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {t for t in found if t.startswith(PACKAGE + ".")}


def test_no_import_cycles_in_the_core() -> None:
    modules = {_module_name(p): p for p in CORE.rglob("*.py")}
    graph = {
        name: {t for t in _imports(path) if t in modules and t != name} for name, path in modules.items()
    }
    # A package's __init__ re-exporting its modules is not a cycle of theirs.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target] if target in path else [node, target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_no_source_file_over_400_lines() -> None:
    sources = [p for p in ROOT.glob("**/src/**/*.py") if ".venv" not in p.parts and ".bench" not in p.parts]
    sources += list((ROOT / "sample-app").rglob("*.py")) if (ROOT / "sample-app").exists() else []
    long = {}
    for path in sources:
        lines = sum(1 for line in path.read_text().splitlines() if line.strip())
        if lines > MAX_LINES:
            long[str(path.relative_to(ROOT))] = lines
    assert long == {}
