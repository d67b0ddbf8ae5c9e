"""The README's two set-up commands exist, and CI runs the test command verbatim."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README must open with a bash block of set-up commands"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_opens_with_exactly_two_setup_commands():
    main, tests = _setup_commands()
    assert main.startswith("pip install") and "nas " in main
    assert tests.startswith("pip install") and "pytest" in tests


def test_ci_runs_the_readme_test_command():
    _, tests = _setup_commands()
    assert tests in (ROOT / ".ci" / "run").read_text().splitlines()
