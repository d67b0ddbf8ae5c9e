"""The import structure: layers that go one way, no cycles, no reaching into private modules.

The contracts live in pyproject.toml ([tool.importlinter]); these tests run them on the real
tree, and on a copy with a deliberate back-import to show that they bite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import grimp
import pytest

from tests.conftest import ROOT


def _lint_imports(cwd, package_root):
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         "--no-cache"],
        cwd=cwd, capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


def test_layering_and_acyclic_contracts_hold():
    run = _lint_imports(ROOT, ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


@pytest.mark.parametrize(
    ("module", "back_import", "broken"),
    [
        ("blocks/_conv.py", "import nas.study  # back-import\n", "nas layers"),
        ("builder/_init.py", "from nas.training import train_architecture  # back-import\n", "nas layers"),
        ("study/_sections.py", "from nas.study._search import run_search  # cycle\n", "no import cycles"),
    ],
)  # fmt: skip
def test_a_deliberate_back_import_breaks_the_contract(tmp_path, module, back_import, broken):
    shutil.copytree(ROOT / "nas", tmp_path / "nas", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "nas" / module
    target.write_text(back_import + target.read_text())
    run = _lint_imports(tmp_path, tmp_path)
    assert run.returncode != 0
    assert f"{broken}" in run.stdout and "BROKEN" in run.stdout, run.stdout


def _private_imports_across_packages() -> list[str]:
    graph = grimp.build_graph("nas")
    offenders = []
    for imported in sorted(graph.modules):
        parts = imported.split(".")
        private = [i for i, p in enumerate(parts) if p.startswith("_") and not p.startswith("__")]
        if not private:
            continue
        owner = ".".join(parts[: private[0]])  # the package whose private module this is
        for importer in sorted(graph.find_modules_that_directly_import(imported)):
            if importer != owner and not importer.startswith(owner + "."):
                offenders.append(f"{importer} imports {imported}")
    return offenders


def test_no_package_imports_another_packages_private_module():
    assert _private_imports_across_packages() == []
