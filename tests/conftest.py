"""Shared fixtures. Generated data is cached in a per-session temp dir, not in ~/.cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPACES = ROOT / "search_spaces"
PAPER_CNN = SPACES / "architectures" / "mnist1d_cnn.json"


POSTGRES_ENV = "NAS_TEST_POSTGRES"  # a server's URL; .ci/run starts one and sets it
NOT_INSTALLED = 3  # .ci/postgres's exit code when PostgreSQL is missing


@pytest.fixture(scope="session")
def postgres_server():
    """(URL, cluster folder) of a PostgreSQL server for the multi-worker tests.

    ``$NAS_TEST_POSTGRES`` and ``$NAS_TEST_POSTGRES_DIR`` if set (CI starts a cluster and
    sets them); else a throwaway cluster started by .ci/postgres in a temp dir. The folder
    lets a test restart the server (``.ci/postgres restart DIR``). Without PostgreSQL
    installed the tests skip locally, and fail in CI (CI=true), where they must run.
    """
    if os.environ.get(POSTGRES_ENV):
        cluster = os.environ.get(f"{POSTGRES_ENV}_DIR")
        yield os.environ[POSTGRES_ENV], Path(cluster) if cluster else None
        return
    parent = Path(tempfile.mkdtemp(prefix="nas-postgres-"))  # in /tmp: the server's user reaches it
    directory = parent / "cluster"
    script = ROOT / ".ci" / "postgres"
    started = subprocess.run([script, "start", directory], capture_output=True, text=True)
    if started.returncode == NOT_INSTALLED:
        reason = "PostgreSQL is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the PostgreSQL tests must run in CI: {reason}")
        pytest.skip(f"{reason} (apt-get install postgresql to run these tests)")
    assert started.returncode == 0, f"{script} start failed:\n{started.stderr}"
    try:
        yield started.stdout.strip(), directory
    finally:
        subprocess.run([script, "stop", directory], capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server):
    """URL of the PostgreSQL server of :func:`postgres_server`."""
    return postgres_server[0]


os.environ.setdefault("NAS_CACHE_DIR", tempfile.mkdtemp(prefix="nas-test-cache-"))

try:  # Hypothesis keeps nothing in the checkout (.hypothesis/): no database, a temp home
    from hypothesis import settings
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tempfile.mkdtemp(prefix="nas-test-hypothesis-"))
    settings.register_profile("nas", database=None)
    settings.load_profile("nas")
except ImportError:  # the reader fuzz tests skip without it
    pass


@pytest.fixture(scope="session")
def mnist1d():
    from nas.data import load_dataset

    return load_dataset("mnist1d")


@pytest.fixture(scope="session")
def digits():
    from nas.data import load_dataset

    return load_dataset("digits")


def random_architectures(space_file: Path, n: int, seed: int = 0):
    """``n`` architectures drawn from a space by Optuna's RandomSampler, with their params."""
    import optuna

    from nas.space import load_space

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = load_space(space_file)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    out = []
    for _ in range(n):
        trial = study.ask()
        out.append((space.sample(trial), trial.params))
        study.tell(trial, 0.0)
    return space, out


def _untracked_and_changed() -> set[str]:
    """``git status --porcelain`` of the checkout, ignored files included (a test must not
    leave a store or artifacts in the repository either), as a set of lines."""
    import subprocess

    run = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if run.returncode != 0:  # not a git checkout (e.g. an sdist): nothing to compare
        return set()
    caches = (
        "__pycache__",
        ".pytest_cache",
        ".ruff_cache",
        ".egg-info",
        ".import_linter_cache",
        ".grimp_cache",
    )
    return {line for line in run.stdout.splitlines() if not any(c in line for c in caches)}


@pytest.fixture(scope="session", autouse=True)
def checkout_stays_clean():
    """The suite runs in temporary folders: the checkout's ``git status`` (ignored files
    included) is the same after it as before it."""
    before = _untracked_and_changed()
    yield
    left = sorted(_untracked_and_changed() - before)
    assert not left, f"the test suite left files in the checkout: {left[:10]}"
