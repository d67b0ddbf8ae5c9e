"""Optuna's RDB schema, read with plain SQL: the fast, strictly read-only path of ``nas
status`` and ``nas best``.

Optuna's own API loads every trial with all its attributes before it can count them or
find the best (about 3 s for 1000 nas trials, whose records carry histories and
architectures). Inspection needs a few columns: states, values, durations, constraints and
one user attribute. This module reads them with SQL against the tables Optuna's
``RDBStorage`` creates (``studies``, ``trials``, ``trial_values``, ...), through
``sqlite3`` with ``query_only`` for SQLite files (no statement can write, and SQLAlchemy
is not even imported) and SQLAlchemy Core for server URLs. It is the second seam with
Optuna's internals next to ``optuna_compat``; ``tests/base/test_optuna_compat.py`` checks
every query against what Optuna's API returns for the same study. It imports no optuna.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SQLITE_PREFIX = "sqlite:///"
INF = {"INF_POS": math.inf, "INF_NEG": -math.inf}  # TrialValueModel.TrialValueType names
NAN = "NAN"  # TrialIntermediateValueModel's type for a NaN report


@dataclass(frozen=True)
class StudyRow:
    """One study: its id, name, directions ("maximize"/"minimize") and metric names."""

    study_id: int
    name: str
    directions: tuple[str, ...]
    metric_names: tuple[str, ...] | None


@dataclass(frozen=True)
class TrialRow:
    """The columns of one trial that inspection needs."""

    trial_id: int
    number: int
    state: str  # COMPLETE, PRUNED, FAIL, RUNNING, WAITING
    values: tuple[float, ...] | None  # COMPLETE trials only
    seconds: float | None  # None while running
    feasible: bool  # every constraint <= 0 (no constraints: feasible)
    attrs: dict[str, Any] = field(default_factory=dict)  # user attributes asked for, parsed


@dataclass(frozen=True)
class StoredStudy:
    """The parts of an ``optuna.Study`` that records and printed commands read."""

    study_id: int
    study_name: str
    directions: tuple[str, ...]
    metric_names: list[str] | None
    user_attrs: dict[str, Any]


class Reader:
    """Runs read-only queries on one store URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sqlite = url[len(SQLITE_PREFIX) :] if url.startswith(SQLITE_PREFIX) else None
        self._engine: Any = None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """``sql`` with ``?`` placeholders, run read-only."""
        if self._sqlite is not None:
            import sqlite3

            # mode=rw never creates a file; query_only refuses every write. Not mode=ro: a
            # read-only connection to a WAL store leaves its -wal and -shm files behind,
            # where the last ordinary connection to close removes them.
            uri = f"{Path(self._sqlite).resolve().as_uri()}?mode=rw"
            connection = sqlite3.connect(uri, uri=True)
            try:
                connection.execute("PRAGMA query_only = ON")
                return connection.execute(sql, tuple(params)).fetchall()
            finally:
                connection.close()
        import sqlalchemy

        if self._engine is None:
            self._engine = sqlalchemy.create_engine(self.url)
        names = [f"p{i}" for i in range(len(params))]
        for name in names:
            sql = sql.replace("?", f":{name}", 1)
        with self._engine.connect() as connection:
            result = connection.execute(sqlalchemy.text(sql), dict(zip(names, params, strict=True)))
            return [tuple(row) for row in result]

    def _clock_shift(self) -> timedelta:
        """How far the database's clock (heartbeats: UTC on SQLite, the session's time zone
        on a server) is ahead of Python's local time (trial start and end), to the quarter
        hour."""
        now = "CURRENT_TIMESTAMP" if self._sqlite is not None else "LOCALTIMESTAMP"
        database = _datetime(self.rows(f"SELECT {now}")[0][0])
        seconds = (database - datetime.now()).total_seconds()
        return timedelta(minutes=15 * round(seconds / 900))

    def studies(self) -> list[StudyRow]:
        """Every study in the store, in creation order."""
        names = self.rows("SELECT study_id, study_name FROM studies ORDER BY study_id")
        directions: dict[int, list[tuple[int, str]]] = {}
        for study_id, objective, direction in self.rows(
            "SELECT study_id, objective, direction FROM study_directions"
        ):
            directions.setdefault(study_id, []).append((objective, str(direction)))
        metric_names = {
            study_id: tuple(json.loads(value))
            for study_id, value in self.rows(
                "SELECT study_id, value_json FROM study_system_attributes WHERE key = ?",
                ("study:metric_names",),
            )
        }
        return [
            StudyRow(
                study_id,
                name,
                tuple(_direction(d) for _, d in sorted(directions.get(study_id, []))),
                metric_names.get(study_id),
            )
            for study_id, name in names
        ]

    def trials(self, study_id: int, user_attrs: Sequence[str] = ()) -> list[TrialRow]:
        """Every trial of the study in number order, with those of ``user_attrs`` it has
        (parsed from JSON)."""
        trials = self.rows(
            "SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials "
            "WHERE study_id = ? ORDER BY number",
            (study_id,),
        )
        values: dict[int, list[tuple[int, float]]] = {}
        for trial_id, objective, value, value_type in self.rows(
            "SELECT v.trial_id, v.objective, v.value, v.value_type FROM trial_values v "
            "JOIN trials t ON t.trial_id = v.trial_id WHERE t.study_id = ?",
            (study_id,),
        ):
            stored = INF.get(_name(value_type), value)
            values.setdefault(trial_id, []).append((objective, float(stored)))
        infeasible = {
            trial_id
            for trial_id, value in self._trial_attrs(
                "trial_system_attributes", study_id, "constraints"
            )
            if any(c > 0 for c in json.loads(value))
        }
        attrs: dict[int, dict[str, Any]] = {}
        for key in user_attrs:
            for trial_id, value in self._trial_attrs("trial_user_attributes", study_id, key):
                attrs.setdefault(trial_id, {})[key] = json.loads(value)
        # a failed trial's worker may have died long before the failure was noticed: its
        # time ends at its last heartbeat, not when another worker found it stale
        beats = self.rows(
            "SELECT h.trial_id, h.heartbeat FROM trial_heartbeats h JOIN trials t "
            "ON t.trial_id = h.trial_id WHERE t.study_id = ? AND t.state = ?",
            (study_id, "FAIL"),
        )
        shift = self._clock_shift() if beats else timedelta(0)
        last_beat = {trial_id: _datetime(beat) - shift for trial_id, beat in beats}
        return [
            TrialRow(
                trial_id=trial_id,
                number=number,
                state=_name(state),
                values=(
                    tuple(v for _, v in sorted(values[trial_id]))
                    if _name(state) == "COMPLETE" and trial_id in values
                    else None
                ),
                seconds=_seconds(start, _earlier(complete, last_beat.get(trial_id))),
                feasible=trial_id not in infeasible,
                attrs=attrs.get(trial_id, {}),
            )
            for trial_id, number, state, start, complete in trials
        ]

    def study(self, row: StudyRow) -> StoredStudy:
        """The study's user attributes with its names and directions."""
        attrs = self.rows(
            "SELECT key, value_json FROM study_user_attributes WHERE study_id = ?",
            (row.study_id,),
        )
        names = list(row.metric_names) if row.metric_names else None
        return StoredStudy(row.study_id, row.name, row.directions, names,
                           {k: json.loads(v) for k, v in attrs})  # fmt: skip

    def frozen_trial(self, trial_id: int) -> Any:
        """One trial as Optuna's ``FrozenTrial`` (params, values, attributes, reports)."""
        from optuna.distributions import json_to_distribution
        from optuna.trial import FrozenTrial, TrialState

        ((number, state, start, complete),) = self.rows(
            "SELECT number, state, datetime_start, datetime_complete FROM trials "
            "WHERE trial_id = ?",
            (trial_id,),
        )
        params, distributions = {}, {}
        for name, value, distribution in self.rows(
            "SELECT param_name, param_value, distribution_json FROM trial_params "
            "WHERE trial_id = ?",
            (trial_id,),
        ):
            distributions[name] = json_to_distribution(distribution)
            params[name] = distributions[name].to_external_repr(value)
        values = [
            float(INF.get(_name(kind), value))
            for _, value, kind in sorted(self.rows(
                "SELECT objective, value, value_type FROM trial_values WHERE trial_id = ?",
                (trial_id,),
            ))
        ]  # fmt: skip
        reports = {
            step: math.nan if _name(kind) == NAN else float(INF.get(_name(kind), value))
            for step, value, kind in self.rows(
                "SELECT step, intermediate_value, intermediate_value_type "
                "FROM trial_intermediate_values WHERE trial_id = ?",
                (trial_id,),
            )
        }
        user, system = ({k: json.loads(v) for k, v in self.rows(
            f"SELECT key, value_json FROM {table} WHERE trial_id = ?", (trial_id,))}
            for table in ("trial_user_attributes", "trial_system_attributes"))  # fmt: skip
        return FrozenTrial(
            number=number,
            state=TrialState[_name(state)],
            value=None,
            datetime_start=_datetime(start) if start is not None else None,
            datetime_complete=_datetime(complete) if complete is not None else None,
            params=params,
            distributions=distributions,
            user_attrs=user,
            system_attrs=system,
            intermediate_values=reports,
            trial_id=trial_id,
            values=values or None,
        )

    def _trial_attrs(self, table: str, study_id: int, key: str) -> list[tuple[int, str]]:
        return self.rows(
            f"SELECT a.trial_id, a.value_json FROM {table} a JOIN trials t "
            "ON t.trial_id = a.trial_id WHERE t.study_id = ? AND a.key = ?",
            (study_id, key),
        )


def _name(value: Any) -> str:
    """An enum column's stored name (SQLite gives the string, some drivers the enum)."""
    return str(getattr(value, "name", value))


def _direction(value: str) -> str:
    return _name(value).lower()


def _earlier(complete: Any, heartbeat: Any) -> Any:
    if complete is None or heartbeat is None:
        return complete
    return min(_datetime(complete), _datetime(heartbeat))


def _seconds(start: Any, complete: Any) -> float | None:
    if start is None or complete is None:
        return None
    return (_datetime(complete) - _datetime(start)).total_seconds()


def _datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
