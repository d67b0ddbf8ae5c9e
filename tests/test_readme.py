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


def test_the_python_api_example_runs(tmp_path):
    """The README's "From Python: a whole search" block, as written (2 trials, not 10)."""
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text()
    section = text.split("## From Python: a whole search", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "n_trials=10" in code
    (tmp_path / "search_spaces").symlink_to(ROOT / "search_spaces")
    run = subprocess.run([sys.executable, "-c", code.replace("n_trials=10", "n_trials=2")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    number, value, summary = run.stdout.split(" ", 2)
    assert int(number) in (0, 1) and 0 < float(value) <= 1 and "|" in summary
    assert (tmp_path / "best" / "model.onnx").is_file()
