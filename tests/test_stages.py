"""Dependencies point one way (ARCHITECTURE.md): a module never imports a later stage.

`cli/commands → runtime → (discover | pipeline → (identify | library | announce)) → store →
errors/config`. Read with `ast`, so an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import clearmedia

PACKAGE = Path(clearmedia.__file__).parent

#: Each stage and the stages it may import (itself included). A module not listed is a low one.
LOW = {"errors", "config", "files", "http", "envfile", "__init__", "__main__", "version"}
ALLOWED = {
    "low": {"low"},
    "store": {"store", "low"},
    "identify": {"identify", "store", "low"},
    "library": {"library", "store", "low"},
    "announce": {"announce", "store", "low"},
    "pipeline": {"pipeline", "identify", "library", "announce", "store", "low"},
    "discover": {"discover", "store", "low"},
    "runtime": {"runtime", "discover", "pipeline", "identify", "library", "announce", "store", "low"},
    "commands": {
        "commands",
        "cli",
        "runtime",
        "discover",
        "pipeline",
        "identify",
        "library",
        "announce",
        "store",
        "low",
    },
    "cli": {
        "cli",
        "commands",
        "runtime",
        "discover",
        "pipeline",
        "identify",
        "library",
        "announce",
        "store",
        "low",
    },
}


#: Plain data types one sibling stage may read from another (no behaviour, no cycle).
SHARED_TYPES = {("identify", "types")}


def stage_of(parts: tuple[str, ...]) -> str:
    """The stage of a module given its dotted name below `clearmedia` (("store", "queue") → store)."""
    if not parts:
        return "low"
    head = parts[0]
    if head == "__main__":
        return "cli"
    if head in ALLOWED:
        return head
    return "low" if head in LOW or head not in {"store", "identify", "library", "announce"} else head


def imports_of(path: Path) -> list[tuple[int, tuple[str, ...]]]:
    """(line, module parts below clearmedia) of every clearmedia import in one file."""
    module = path.relative_to(PACKAGE).with_suffix("").parts
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing package
                base = list(module[: len(module) - node.level])
                names = [".".join(["clearmedia", *base, *(node.module or "").split(".")]).rstrip(".")]
            else:
                names = [node.module or ""]
                if node.module == "clearmedia":
                    names = [f"clearmedia.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("clearmedia."):
                found.append((node.lineno, tuple(name.split(".")[1:])))
    return found


def test_no_module_imports_a_later_stage():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).with_suffix("").parts
        stage = stage_of(module)
        for line, target in imports_of(path):
            if stage_of(target) not in ALLOWED[stage] and target[:2] not in SHARED_TYPES:
                wrong.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line} ({stage}) imports clearmedia.{'.'.join(target)}"
                )
    assert not wrong, "imports against the flow of ARCHITECTURE.md:\n" + "\n".join(wrong)


def test_the_check_sees_a_wrong_import(tmp_path):
    """The walk itself works: a store module importing the pipeline is caught."""
    assert stage_of(("store", "queue")) == "store"
    assert stage_of(("pipeline",)) == "pipeline"
    assert "pipeline" not in ALLOWED["store"]
    assert "discover" not in ALLOWED["store"] and "pipeline" not in ALLOWED["discover"]
