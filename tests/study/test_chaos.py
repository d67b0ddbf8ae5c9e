"""The chaos test: one search on PostgreSQL with 3 workers, two of them SIGKILLed, one
paused past the grace period, and the server restarted mid-search. The study must end with
exactly the trials asked for, none RUNNING or WAITING, every killed trial failed with its
reason and retried, and no traceback. The scenario is benchmarks/faults.py's."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest

from tests.conftest import ROOT


def load_scenario(monkeypatch):
    folder = ROOT / "benchmarks"
    monkeypatch.syspath_prepend(str(folder))  # its helpers (_load.py) sit beside it
    spec = importlib.util.spec_from_file_location("faults", folder / "faults.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "faults", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_search_survives_kills_a_pause_and_a_server_restart(
    postgres_server, tmp_path, monkeypatch
):
    url, cluster = postgres_server
    if cluster is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must set $NAS_TEST_POSTGRES_DIR so that the server can restart")
        pytest.skip("the server at $NAS_TEST_POSTGRES cannot be restarted from here")
    faults = load_scenario(monkeypatch)
    chaos = faults.Chaos(kills=2, pause_s=7, outage_s=4)
    result = faults.run(url, cluster, tmp_path, n_trials=12, workers=3, trial_timeout=3,
                        chaos=chaos, study="chaos-ci")  # fmt: skip
    assert result["exit"] == 0, result["stderr"]
    assert result["tracebacks"] == 0, result["stderr"]
    assert result["finished"] == 12, result
    assert result["complete_or_pruned"] == 12, (result["failed_unreplaced"], result["stderr"])
    assert result["running_left"] == 0 and result["waiting_left"] == 0, result["states"]
    kills, pause, restart = result["faults"][:2], result["faults"][2], result["faults"][3]
    hits = [fault for fault in kills if fault["trial"] is not None]  # not between two trials
    assert hits, kills
    for fault in hits:
        assert fault["state"] == "FAIL", fault
        assert fault["fail_reason"].endswith("died (killed by SIGKILL)"), fault
        assert fault["retry_state"] in ("COMPLETE", "PRUNED"), fault
    assert pause["state"] == "FAIL" and "stopped heartbeating" in pause["fail_reason"], pause
    assert pause["retry_state"] in ("COMPLETE", "PRUNED"), pause
    assert restart["fault"].startswith("server restart")
    assert any("is unreachable" in line for line in result["stderr"]), result["stderr"]
    assert any("dropping this worker's copy" in line for line in result["stderr"]), result["stderr"]
