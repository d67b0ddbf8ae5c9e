"""`nas dashboard` serves the store and its artifacts over optuna-dashboard's HTTP API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import yaml

from tests.conftest import ROOT, SPACES


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _get(url: str, deadline: float):
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def _serve(*args):
    return subprocess.Popen([sys.executable, "-c", "from nas.cli import main; main()", "dashboard", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env=os.environ.copy())


def finished_study(tmp_path, name: str, n_trials: int) -> str:
    """Run a small random search on the tiny space into tmp_path; return the storage URL."""
    from nas.study import load_recipe, run_search

    storage = f"sqlite:///{tmp_path / 'store.db'}"
    recipe = tmp_path / "r.yaml"
    recipe.write_text(yaml.safe_dump({"study": name, "space": str(SPACES / "tiny.yaml"),
                                      "sampler": "random", "pruner": "none",
                                      "n_trials": n_trials, "storage": storage}))
    run_search(load_recipe(recipe))
    return storage


def test_dashboard_serves_studies_notes_and_artifacts(tmp_path):
    storage = finished_study(tmp_path, "dash", n_trials=1)
    port = _free_port()
    server = _serve("--storage", storage, "--port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"
        studies = _get(f"{base}/api/studies", time.time() + 60)["study_summaries"]
        assert [s["study_name"] for s in studies] == ["dash"]
        detail = _get(f"{base}/api/studies/{studies[0]['study_id']}?after=0", time.time() + 30)
        trial = detail["trials"][0]
        assert trial["note"]["body"].startswith("### Trial 0:")
        assert sorted(a["filename"] for a in trial["artifacts"]) == [
            "trial-0-architecture.png", "trial-0-weights.safetensors"]
        png = next(a for a in trial["artifacts"] if a["filename"].endswith(".png"))
        url = f"{base}/artifacts/{studies[0]['study_id']}/{trial['trial_id']}/{png['artifact_id']}"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read(8) == b"\x89PNG\r\n\x1a\n"
    finally:
        server.terminate()
        server.communicate(timeout=30)


def test_a_non_local_host_gets_a_warning(tmp_path):
    port = _free_port("127.0.0.2")  # loopback, but not the default: treated as exposed
    import optuna

    optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")  # dashboard only reads stores
    server = _serve("--storage", f"sqlite:///{tmp_path / 's.db'}", "--host", "127.0.0.2", "--port", str(port))
    try:
        _get(f"http://127.0.0.2:{port}/api/studies", time.time() + 60)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "warning: optuna-dashboard has no authentication" in err
