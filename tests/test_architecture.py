"""Imports run one way: the layers of central, the tiers of the project, frozen migrations, no cycles.

Read from the source with ``ast`` (every import, also those inside functions,
and ``importlib.import_module`` / ``__import__`` with a literal name), so that
a lazy import cannot hide a forbidden dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests import ROOT

PACKAGES = ("protocol", "shared", "edge", "central", "firmware_mocks", "bench", "guardpost")

# Central, top to bottom: a module may import its own layer's package or any below it, never one above.
CENTRAL_LAYERS = (
    "central.cli",
    "central.demo",
    "central.app",
    "central.web",
    "central.api",
    "central.schema",
    "central.reports",
    "central.compliance",
    "central.cases",
    "central.rosters",
    "central.attendance",
    "central.checkins",
    "central.alerts",
    "central.watchlist",
    "central.registry",
    "central.access",
    "central.config",
    "central.faces",
    "central.paging",
    "central.spreadsheets",
    "central.db",
    "central.errors",
)

# Project packages each may not import (the wire contract and the shared engine sit under both tiers).
FORBIDDEN = {
    "protocol": {"shared", "edge", "central", "firmware_mocks", "bench", "guardpost"},
    "shared": {"edge", "central", "firmware_mocks", "bench", "guardpost"},
    "edge": {"central", "firmware_mocks", "bench", "guardpost"},
    "central": {"edge", "firmware_mocks", "bench", "guardpost"},
    "firmware_mocks": {"shared", "edge", "central", "bench", "guardpost"},  # the other side of the wire
    "bench": {"guardpost"},
    "guardpost": set(),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[module_name(path)] = path
    return found


def _literal_import(node: ast.Call) -> str | None:
    func = node.func
    named = (isinstance(func, ast.Name) and func.id == "__import__") or (
        isinstance(func, ast.Attribute) and func.attr == "import_module"
    )
    if named and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def imported(path: Path) -> Iterator[str]:
    """Every module name ``path`` imports, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)  # a submodule, if it is one
        elif isinstance(node, ast.Call) and (name := _literal_import(node)):
            yield name


def project_imports(name: str) -> set[str]:
    """The project modules ``name`` imports (a package's ``__init__`` counts as the package)."""
    known = modules()
    return {target for target in imported(known[name]) if target in known and target != name}


def layer_of(name: str) -> int | None:
    for index, layer in enumerate(CENTRAL_LAYERS):
        if name == layer or name.startswith(layer + "."):
            return index
    return None


def test_central_layers_import_downwards_only() -> None:
    wrong = []
    for name in sorted(modules()):
        own = layer_of(name)
        if own is None:
            continue
        for target in sorted(project_imports(name)):
            theirs = layer_of(target)
            if theirs is not None and theirs < own:
                wrong.append(f"{name} imports {target} ({CENTRAL_LAYERS[own]} is below {CENTRAL_LAYERS[theirs]})")
    assert not wrong, "\n".join(wrong)


def test_every_central_module_is_in_a_layer() -> None:
    loose = [n for n in modules() if n.startswith("central.") and layer_of(n) is None]
    assert not loose, f"add to CENTRAL_LAYERS: {loose}"


def test_tiers_import_only_what_they_may() -> None:
    wrong = []
    for name in sorted(modules()):
        top = name.split(".")[0]
        for target in sorted(project_imports(name)):
            if target.split(".")[0] in FORBIDDEN[top]:
                wrong.append(f"{name} imports {target}")
    assert not wrong, "\n".join(wrong)


# Who writes the audit log: the delivery layer, which knows who asked, from where, and what for.
AUDIT_WRITERS = ("central.api", "central.web", "central.app", "central.cli")


def test_the_audit_log_is_written_from_the_delivery_layer_only() -> None:
    writers = {n for n in modules() if "central.access.audit" in project_imports(n)}
    assert writers, "nothing writes the audit log"
    assert {n for n in writers if not n.startswith(AUDIT_WRITERS)} == set()


def test_no_import_cycles() -> None:
    assert _cycle({name: project_imports(name) for name in modules()}) == []


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (its modules in order), or [] when there is none."""
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        return list(exc.args[1])
    return []


REVISIONS = sorted((ROOT / "central/db/migrations/versions").glob("*.py"))


@pytest.mark.parametrize("revision", REVISIONS, ids=lambda p: p.name)
def test_migrations_import_nothing_of_central_but_the_column_types(revision: Path) -> None:
    central = {name for name in imported(revision) if name.split(".")[0] == "central"}
    assert central <= {"central.db.types"} | {f"central.db.types.{n}" for n in _names_in_types()}


def _names_in_types() -> set[str]:
    tree = ast.parse((ROOT / "central/db/types.py").read_text(encoding="utf-8"))
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    return names | {"IdCipher", "cipher_for", "is_sealed"}


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    source = tmp_path / "probe.py"
    source.write_text("def later():\n    import importlib\n    importlib.import_module('guardpost.cli')\n")
    assert "guardpost.cli" in set(imported(source))
    assert set(_cycle({"a": {"b"}, "b": {"a"}, "c": set()})) == {"a", "b"}
    assert _cycle({"a": {"b"}, "b": set()}) == []
