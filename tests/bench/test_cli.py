"""``guardpost bench``: the arguments declared in bench/arguments.py match the benchmarks they run."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import bench
from bench.arguments import BENCHMARKS, CHECKIN_READERS

NOT_BENCHMARKS = {"arguments", "cli", "table", "databases"}


def _docstring(name: str) -> str:
    folder = Path(bench.__file__).parent
    source = folder / f"{name}.py" if (folder / f"{name}.py").is_file() else folder / name / "__init__.py"
    docstring = ast.get_docstring(ast.parse(source.read_text(encoding="utf-8")))
    assert docstring is not None
    return docstring


def test_every_benchmark_module_is_offered() -> None:
    modules = {m.name for m in pkgutil.iter_modules(bench.__path__)} - NOT_BENCHMARKS
    assert set(BENCHMARKS) == modules


def test_each_help_is_the_first_line_of_the_benchmarks_docstring() -> None:
    for name, (helptext, _) in BENCHMARKS.items():
        assert helptext == _docstring(name).splitlines()[0], name


def test_checkin_offers_the_families_it_can_tap() -> None:
    from bench.checkin import _UIDS

    assert set(_UIDS) == set(CHECKIN_READERS)
