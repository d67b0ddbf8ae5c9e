"""The retrying study store: transient faults are waited out, progress writes queue,
permanent faults and outages past the window are one StorageError."""

from __future__ import annotations

import logging
import sqlite3

import pytest
import sqlalchemy.exc

from nas.base import StorageError
from nas.study._resilient import (
    ResilientStorage,
    is_transient,
    open_through_outage,
    permanent_fault,
)

URL = "postgresql+psycopg://nas:s3cret@db.example/nas"


def operational(message: str) -> sqlalchemy.exc.OperationalError:
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))


class Flaky:
    """A backend whose calls fail with ``fault`` ``failures`` times, then work."""

    def __init__(self, failures: int, fault: Exception) -> None:
        self.failures, self.fault = failures, fault
        self.calls: list[tuple] = []

    def _maybe_fail(self) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise self.fault

    def get_trial(self, trial_id):
        self._maybe_fail()
        self.calls.append(("get_trial", trial_id))
        return trial_id

    def set_trial_intermediate_value(self, trial_id, step, value):
        self._maybe_fail()
        self.calls.append(("report", step))

    def set_trial_user_attr(self, trial_id, key, value):
        self._maybe_fail()
        self.calls.append(("attr", key))


class Clock:
    """A fake clock: sleeping advances ``monotonic``."""

    def __init__(self, monkeypatch) -> None:
        self.now = 0.0
        monkeypatch.setattr("nas.study._resilient.time.monotonic", lambda: self.now)

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize(
    "message",
    ["connection refused", "server closed the connection unexpectedly", "database is locked",
     "disk I/O error", "the database system is starting up"],
)  # fmt: skip
def test_connection_faults_are_transient(message):
    assert is_transient(operational(message))
    assert is_transient(ConnectionResetError(104, "Connection reset by peer"))


@pytest.mark.parametrize(
    ("message", "what"),
    [("attempt to write a readonly database", "read-only"),
     ("database or disk is full", "disk is full")],
)  # fmt: skip
def test_read_only_and_full_stores_are_permanent(message, what):
    assert not is_transient(operational(message))
    assert what in permanent_fault(operational(message))


def test_programming_errors_are_not_transient():
    assert not is_transient(ValueError("bad value"))
    assert not is_transient(sqlalchemy.exc.IntegrityError("INSERT", {}, Exception("dup")))


def test_a_transient_fault_is_waited_out_with_one_line_per_outage(monkeypatch, caplog):
    clock = Clock(monkeypatch)
    backend = Flaky(4, operational("connection refused"))
    storage = ResilientStorage(backend, URL, retry_s=60, sleep=clock.sleep)
    with caplog.at_level(logging.WARNING, logger="nas.study"):
        assert storage.get_trial(7) == 7
        assert storage.get_trial(8) == 8
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert "unreachable (connection refused); retrying for up to 60 s" in lines[0]
    assert "is back after" in lines[1]
    assert "s3cret" not in " ".join(lines) and "***" in lines[0]
    assert 0 < clock.now < 60  # backed off, within the window


def test_progress_writes_queue_during_an_outage_and_land_in_order(monkeypatch):
    clock = Clock(monkeypatch)
    backend = Flaky(2, operational("connection refused"))
    storage = ResilientStorage(backend, URL, retry_s=60, sleep=clock.sleep)
    storage.set_trial_intermediate_value(1, 0, 0.5)  # fails: queued, returns at once
    storage.set_trial_user_attr(1, "metrics", {})  # fails: queued behind it
    assert storage.pending_writes == 2 and clock.now == 0  # training was not held up
    storage.set_trial_intermediate_value(1, 1, 0.6)  # the store is back: all three land
    assert storage.pending_writes == 0
    assert backend.calls == [("report", 0), ("attr", "metrics"), ("report", 1)]


def test_an_outage_past_the_window_is_one_storage_error(monkeypatch):
    clock = Clock(monkeypatch)
    storage = ResilientStorage(
        Flaky(10**6, operational("connection refused")), URL, retry_s=30, sleep=clock.sleep
    )
    with pytest.raises(
        StorageError, match=r"lost the study store .*\*\*\*@db.example/nas for 30 s"
    ) as info:
        storage.get_trial(1)
    assert "run the same command again to resume" in str(info.value)
    assert "s3cret" not in str(info.value)
    assert 30 <= clock.now < 30 + 2 * 15


def test_a_read_only_store_fails_at_once(monkeypatch):
    clock = Clock(monkeypatch)
    storage = ResilientStorage(
        Flaky(1, operational("attempt to write a readonly database")), URL, 300, sleep=clock.sleep
    )
    with pytest.raises(StorageError, match="the store is read-only"):
        storage.get_trial(1)
    assert clock.now == 0


def test_other_errors_pass_through_unchanged(monkeypatch):
    storage = ResilientStorage(Flaky(1, KeyError("x")), URL, retry_s=60)
    with pytest.raises(KeyError):
        storage.get_trial(1)


def failed_open(message: str) -> StorageError:
    """The StorageError ``open_storage`` raises, with the driver's error as its context."""
    try:
        raise operational(message)
    except sqlalchemy.exc.OperationalError:
        try:
            raise StorageError(f"cannot open storage {URL}: {message}") from None
        except StorageError as exc:
            return exc


class Opener:
    """Opens a store that is down for ``failures`` attempts (``message``), then up."""

    def __init__(self, failures: int, message: str = "connection refused") -> None:
        self.failures, self.message, self.attempts = failures, message, 0

    def __call__(self) -> str:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise failed_open(self.message)
        return "store"


def test_a_worker_opening_a_store_that_is_down_waits_for_it(monkeypatch, caplog):
    clock = Clock(monkeypatch)
    opener = Opener(failures=3)
    with caplog.at_level(logging.WARNING, logger="nas.study"):
        assert open_through_outage(opener, URL, 60, sleep=clock.sleep) == "store"
    assert opener.attempts == 4 and 0 < clock.now < 60
    lines = [r.getMessage() for r in caplog.records]
    assert "unreachable (connection refused); retrying for up to 60 s" in lines[0], lines
    assert "is back after" in lines[-1], lines


def test_opening_gives_up_after_the_window_and_at_once_on_a_bad_password(monkeypatch):
    clock = Clock(monkeypatch)
    with pytest.raises(StorageError, match="lost the study store .* for 30 s"):
        open_through_outage(Opener(failures=10**6), URL, 30, sleep=clock.sleep)
    assert 30 <= clock.now < 30 + 2 * 15
    clock.now = 0.0
    refused = Opener(failures=1, message='password authentication failed for user "nas"')
    with pytest.raises(StorageError, match="cannot open storage .*password authentication"):
        open_through_outage(refused, URL, 30, sleep=clock.sleep)
    assert refused.attempts == 1 and clock.now == 0  # the original error, not a wait
