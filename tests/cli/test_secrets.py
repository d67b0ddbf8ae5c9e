"""No password appears in any output or file, in every URL form SQLAlchemy accepts:
``user:pw@host``, a ``password=`` query parameter, and an empty user name (``:pw@host``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from nas.study import mask_password
from tests.conftest import ROOT, SPACES


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://nas:pw1@h/db", "postgresql+psycopg://nas:***@h/db"),
        ("postgresql+psycopg://:pw1@h/db", "postgresql+psycopg://:***@h/db"),
        ("postgresql+psycopg://nas@h/db?password=pw1&sslmode=x",
         "postgresql+psycopg://nas@h/db?password=***&sslmode=x"),
        ("postgresql://h/db?sslmode=require&PASSWORD=pw1", "postgresql://h/db?sslmode=require&PASSWORD=***"),
        ("mysql+pymysql://u:p%40ss@h:3306/d", "mysql+pymysql://u:***@h:3306/d"),
        ("sqlite:////tmp/a:b@c/x.db", "sqlite:////tmp/a:b@c/x.db"),  # a path, no password
    ],
)  # fmt: skip
def test_every_url_form_is_masked(url, masked):
    assert mask_password(url) == masked
    message = f"cannot open storage {url} (refused)"
    assert mask_password(message) == f"cannot open storage {masked} (refused)"


def nas(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nas", *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, timeout=300,
    )  # fmt: skip


def forms(url: str) -> dict[str, tuple[str, str]]:
    """The server's URL written three ways (name -> (url, password)), and a wrong
    password in each."""
    head, tail = url.split("://", 1)
    userinfo, host = tail.split("@", 1)
    user, password = userinfo.split(":", 1)
    return {
        "userinfo": (url, password),
        "query": (f"{head}://{user}@{host}?password={password}", password),
    }


def test_no_password_in_any_output_or_file(postgres_url, tmp_path):
    for name, (url, password) in forms(postgres_url).items():
        study = f"secrets-{name}"
        recipe = tmp_path / f"{name}.yaml"
        recipe.write_text(yaml.safe_dump({
            "study": study, "space": str(SPACES / "tiny.yaml"), "sampler": "random",
            "pruner": "none", "n_trials": 1, "workers": 1,
            "artifacts": {"dir": str(tmp_path / "artifacts")},
        }))  # fmt: skip
        out = tmp_path / f"bundle-{name}"
        runs = [
            nas("search", str(recipe), "--storage", url),
            nas("worker", str(recipe), "--n-trials", "1", env={"NAS_STORAGE": url}),
            nas("status", "--storage", url),
            nas("best", "--storage", url, "--study", study),
            nas("export", "--storage", url, "--study", study, "--out", str(out),
                "--formats", "python"),
        ]  # fmt: skip
        for run in runs:
            assert run.returncode == 0, [*run.args[3:5], run.stdout, run.stderr]
            assert password not in run.stdout + run.stderr, run.args[3]
        assert "***" in runs[0].stdout  # the store is named, masked
        files = [p for p in out.rglob("*") if p.is_file()]
        assert {p.name for p in files} >= {"bundle.json", "README.md"}
        for path in files:
            assert password.encode() not in path.read_bytes(), path
        assert "***" in (out / "bundle.json").read_text()


def test_failed_connections_name_the_store_without_its_password(postgres_url):
    url, _ = forms(postgres_url)["userinfo"]
    head, tail = url.split("://", 1)
    host = tail.split("@", 1)[1]
    wrong = "wrong-pw-123"
    for bad in (f"{head}://nas:{wrong}@{host}", f"{head}://nas@{host}?password={wrong}",
                f"{head}://:{wrong}@{host}"):  # fmt: skip
        run = nas("status", "--storage", bad)
        assert run.returncode != 0
        assert run.stderr.startswith("error: cannot open storage"), run.stderr
        assert wrong not in run.stdout + run.stderr
        assert "Traceback" not in run.stderr
