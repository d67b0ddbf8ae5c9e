"""Every extension point is one Registry: the same listing, lookup errors and `nas list`.

Cases come from the CLI's table of registries, so a new registry is covered by adding it
there (and `nas list` shows it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nas.base import Registry
from nas.cli._list import REGISTRIES, registry
from tests.conftest import ROOT

KINDS = sorted(REGISTRIES)


@pytest.mark.parametrize("kind", KINDS)
def test_every_registry_lists_its_builtins_and_names_them_in_lookup_errors(kind):
    reg = registry(kind)
    assert isinstance(reg, Registry)
    names = reg.names()
    assert names and len(set(names)) == len(names)
    for name in names:
        assert name in reg
        reg.get(name)  # an entry (None for the "default" init: PyTorch's own)
    with pytest.raises(ValueError, match=f"unknown {reg.kind} 'nope'; registered: {', '.join(names)}$"):
        reg.get("nope")
    with pytest.raises(ValueError, match="already registered"):
        reg.add(names[0], reg.get(names[0]))


def test_a_registry_imports_its_builtins_when_first_read(tmp_path, monkeypatch):
    module = tmp_path / "late_entries.py"
    module.write_text("from tests.base.test_registry import LATE\nLATE.add('x', 1)\nLATE.add('y', 2)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "late_entries" not in sys.modules
    assert LATE.names() == ["x", "y"] and LATE.get("y") == 2


LATE: Registry[int] = Registry("late entry", builtins=("late_entries",))


def test_nas_list_shows_every_registry_without_importing_torch():
    probe = (
        "import sys\nfrom nas.cli import main\nsys.argv = ['nas', 'list']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('HEAVY=' + ','.join(m for m in ('torch', 'lightning', 'optuna') if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    for kind in KINDS:
        assert f"{kind}: {', '.join(registry(kind).names())}" in run.stdout
    assert run.stdout.rstrip().endswith("HEAVY=")
