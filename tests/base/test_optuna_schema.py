"""The SQL reader of Optuna's RDB schema (``nas status``/``nas best``) against Optuna's own
API on the same stores: SQLite (read-only sqlite3) and PostgreSQL (SQLAlchemy Core)."""

from __future__ import annotations

import math

import optuna
import pytest

from nas.base.optuna_schema import Reader

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _fill(url: str) -> optuna.Study:
    """A study with every state, three distributions, constraints, NaN/inf reports."""
    import uuid

    name = f"schema-{uuid.uuid4().hex[:8]}"  # a shared server may hold other tests' studies
    study = optuna.create_study(storage=url, study_name=name, direction="maximize")
    study.set_metric_names(["val_acc"])
    study.set_user_attr("recipe", {"seed": 3})
    for i in range(6):
        trial = study.ask()
        x = trial.suggest_float("x", 1e-3, 1.0, log=True)
        trial.suggest_int("n", 1, 4)
        trial.suggest_categorical("cell", ["gru", "lstm"])
        trial.set_user_attr("metrics", {"val_loss": 1.0 - x, "val_acc": x})
        study._storage.set_trial_system_attr(trial._trial_id, "constraints", [i - 3.5])
        trial.report(x, 0)
        trial.report(float("nan") if i == 1 else float("inf"), 1)
        state = ["COMPLETE", "PRUNED", "FAIL", "COMPLETE", "COMPLETE", "RUNNING"][i]
        if state == "COMPLETE":
            study.tell(trial, x)
        elif state != "RUNNING":
            study.tell(trial, state=optuna.trial.TrialState[state])
    return study


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 's.db'}"
    return request.getfixturevalue("postgres_url")


def test_the_reader_sees_what_optuna_sees(store):
    study = _fill(store)
    reader = Reader(store)
    (row,) = [s for s in reader.studies() if s.name == study.study_name]
    assert (row.directions, row.metric_names) == (("maximize",), ("val_acc",))
    assert reader.study(row).user_attrs == {"recipe": {"seed": 3}}
    rows = reader.trials(row.study_id, user_attrs=("metrics",))
    trials = study.get_trials()
    assert [r.number for r in rows] == [t.number for t in trials]
    assert [r.state for r in rows] == [t.state.name for t in trials]
    assert [r.values for r in rows] == [tuple(t.values) if t.values else None for t in trials]
    assert [r.feasible for r in rows] == [all(c <= 0 for c in t.system_attrs["constraints"]) for t in trials]
    assert [r.attrs for r in rows] == [{"metrics": t.user_attrs["metrics"]} for t in trials]
    for r, t in zip(rows, trials, strict=True):
        expected = t.duration.total_seconds() if t.duration else None
        assert r.seconds == pytest.approx(expected, abs=1e-3) if expected is not None else r.seconds is None
        frozen = reader.frozen_trial(r.trial_id)
        assert frozen.params == t.params and frozen.distributions == t.distributions
        assert frozen.values == t.values and frozen.state == t.state
        assert frozen.user_attrs == t.user_attrs and frozen.system_attrs == t.system_attrs
        assert frozen.intermediate_values.keys() == t.intermediate_values.keys()
        for step, value in t.intermediate_values.items():
            got = frozen.intermediate_values[step]
            assert (math.isnan(got) and math.isnan(value)) or got == value


def test_the_reader_opens_sqlite_read_only(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    _fill(url)
    before = (tmp_path / "s.db").read_bytes()
    import sqlite3

    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        Reader(url).rows("DELETE FROM trials")
    assert (tmp_path / "s.db").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db"]  # no -wal/-shm left
