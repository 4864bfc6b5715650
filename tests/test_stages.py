"""Dependencies point one way (ARCHITECTURE.md): a module never imports a later stage, and no
module imports itself back through others.

`cli/commands → runtime → (discover | pipeline → (identify | library | announce)) → store →
errors/config`, with the low modules in an order of their own. Read with `ast`, so an import
inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import clearmedia

PACKAGE = Path(clearmedia.__file__).parent

#: The stage of every top-level name of the package (a module, or a folder of modules). A new
#: module has to be placed here: `test_every_module_has_a_stage` fails until it is.
STAGE = {
    "__main__": "cli",
    "cli": "cli",
    "commands": "commands",
    "runtime": "runtime",
    "discover": "discover",
    "pipeline": "pipeline",
    "identify": "identify",
    "library": "library",
    "announce": "announce",
    "store": "store",
    "config": "config",
    "config_values": "config_values",
    "envfile": "envfile",
    "errors": "errors",
    "template": "template",
    "files": "files",
    "http": "http",
    "__init__": "version",  # clearmedia/__init__.py: the version only
}

#: The lowest modules, imported by any stage: errors, plain helpers, the settings.
LOW = {"config", "config_values", "envfile", "errors", "template", "files", "http", "version"}
#: What each stage may import besides itself.
MAY_IMPORT = {
    "cli": {"commands", "runtime", "discover", "pipeline", "identify", "library", "announce", "store"} | LOW,
    "commands": {"runtime", "discover", "pipeline", "identify", "library", "announce", "store"} | LOW,
    "runtime": {"discover", "pipeline", "identify", "library", "announce", "store"} | LOW,
    "discover": {"store"} | LOW,
    "pipeline": {"identify", "library", "announce", "store"} | LOW,
    "identify": {"store"} | LOW,
    "library": {"store"} | LOW,
    "announce": {"store"} | LOW,
    "store": LOW,
    "config": {"config_values", "envfile", "errors", "template", "version"},
    "config_values": {"errors", "template"},
    "envfile": {"errors"},
    "errors": set(),
    "template": set(),
    "files": set(),
    "http": set(),
    "version": set(),
}

#: Plain data types a sibling stage may read (no behaviour, no cycle): `identify.types` for
#: `library/naming.py` (a Match names the file).
SHARED_TYPES = {("identify", "types")}

#: Cycles known and being removed (a lazy import inside identify/, owned by its engineer). The
#: test fails when a new cycle appears and when this one is gone, so the entry goes with it.
KNOWN_CYCLES = {frozenset({"identify.llm", "identify.llm_batch"})}


def modules() -> dict[tuple[str, ...], Path]:
    """Every module by its dotted parts below `clearmedia` (a package by its folder's parts)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[parts] = path
    return found


def stage_of(parts: tuple[str, ...]) -> str:
    """The stage of a module given its dotted parts below `clearmedia` (("store", "queue") → store)."""
    return STAGE[parts[0]] if parts else "version"


def imports_of(path: Path, known: dict[tuple[str, ...], Path]) -> list[tuple[int, tuple[str, ...]]]:
    """(line, module parts below clearmedia) of every clearmedia import in one file; `from
    clearmedia.x import y` names the module y when it is one, else x."""

    def module(name: str) -> tuple[str, ...]:
        parts = tuple(name.split(".")[1:])
        while parts and parts not in known:
            parts = parts[:-1]
        return parts

    own = path.relative_to(PACKAGE).with_suffix("").parts
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                base = ".".join(["clearmedia", *own[: len(own) - node.level], *base.split(".")]).rstrip(".")
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("clearmedia.") or name == "clearmedia":
                found.append((node.lineno, module(name)))
    return found


def graph() -> dict[str, set[str]]:
    """Module → the package modules it imports (itself left out)."""
    known = modules()
    edges = {}
    for parts, path in known.items():
        targets = {".".join(target) for _, target in imports_of(path, known)}
        edges[".".join(parts)] = targets - {".".join(parts), ""}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(frozenset(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_stage():
    unplaced = sorted({parts[0] for parts in modules() if parts and parts[0] not in STAGE})
    assert not unplaced, f"place these in STAGE (and in ARCHITECTURE.md): {unplaced}"
    assert set(MAY_IMPORT) == set(STAGE.values())
    for low in ("files.py", "http.py", "template.py", "config_values.py", "envfile.py"):
        assert (PACKAGE / low).is_file(), low


def test_no_module_imports_a_later_stage():
    known = modules()
    wrong = []
    for parts, path in known.items():
        stage = stage_of(parts)
        for line, target in imports_of(path, known):
            other = stage_of(target)
            if other != stage and other not in MAY_IMPORT[stage] and target[:2] not in SHARED_TYPES:
                wrong.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line} ({stage}) imports clearmedia.{'.'.join(target)} ({other})"
                )
    assert not wrong, "imports against the flow of ARCHITECTURE.md:\n" + "\n".join(wrong)


def test_no_import_cycle():
    found = set(cycles(graph()))
    assert found - KNOWN_CYCLES == set(), f"import cycles: {[sorted(c) for c in found - KNOWN_CYCLES]}"
    assert found >= KNOWN_CYCLES, "a known cycle is gone: remove it from KNOWN_CYCLES"


def test_the_checks_see_a_wrong_import_and_a_cycle(tmp_path):
    """The walk itself works: imports are read (relative ones too), stages and cycles are found."""
    known = modules()
    assert stage_of(("store", "queue")) == "store" and stage_of(("pipeline",)) == "pipeline"
    assert "pipeline" not in MAY_IMPORT["store"] and "pipeline" not in MAY_IMPORT["discover"]
    assert "identify" not in MAY_IMPORT["library"] and "config" not in MAY_IMPORT["errors"]
    queue_imports = {target for _, target in imports_of(PACKAGE / "store" / "queue.py", known)}
    assert ("store", "models") in queue_imports
    assert {"runtime.readahead", "store.db", "commands.output"} <= graph()["commands.scan"]  # lazy ones too
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [frozenset({"a", "b", "c"})]
    assert cycles({"a": {"b"}, "b": set()}) == []
