"""What only the SQLite adapter has (the contract itself is in ``test_event_store_contract.py``,
run on every backend): a file that outlives the store object, several store objects (or
processes) on one file, ``close``, and its constructor's checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from servicekit.adapters.sqlite import SqliteEventStore
from servicekit.errors import ConcurrencyConflict, InvalidInputError, StorageError
from servicekit.events import AgentReplied, Event, TicketCreated
from servicekit.storage import EventStore

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def bad(value: object) -> Any:
    return value


def events(n: int, stream_id: str = "T-1") -> list[Event]:
    first: list[Event] = [TicketCreated(ticket_id=stream_id, at=T0, priority="P3")]
    return (first + [AgentReplied(ticket_id=stream_id, at=T0 + i * S) for i in range(1, n)])[:n]


def test_events_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    written = events(3)
    store = SqliteEventStore(path)
    store.append("T-1", written, 0)
    store.close()
    reopened = SqliteEventStore(str(path))
    try:
        assert isinstance(reopened, EventStore)
        assert reopened.load("T-1") == tuple(written)
        with pytest.raises(ConcurrencyConflict):
            reopened.append("T-1", events(1), 0)
        assert reopened.append("T-1", [AgentReplied(ticket_id="T-1", at=T0 + 9 * S)], 3) == 4
        assert reopened.stream_ids() == ("T-1",)
    finally:
        reopened.close()


def test_a_closed_store_refuses_work_and_a_new_one_sees_the_data(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    store = SqliteEventStore(path)
    store.append("T-1", events(2), 0)
    store.close()
    with pytest.raises(StorageError):
        store.load("T-1")
    with pytest.raises(StorageError):
        store.append("T-1", [AgentReplied(ticket_id="T-1", at=T0 + 5 * S)], 2)
    store.close()  # closing twice is harmless
    again = SqliteEventStore(path)
    try:
        assert len(again.load("T-1")) == 2
        assert again.append("T-1", [AgentReplied(ticket_id="T-1", at=T0 + 5 * S)], 2) == 3
    finally:
        again.close()


def test_a_lock_held_past_the_timeout_is_a_storage_error(tmp_path: Path) -> None:
    """Another process holding the write lock: a typed error, nothing written."""
    import sqlite3

    path = tmp_path / "events.sqlite3"
    store = SqliteEventStore(path, timeout=0.05)
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageError) as info:
            store.append("T-1", events(1), 0)
        assert "T-1" not in str(info.value)
        blocker.execute("ROLLBACK")
        assert store.load("T-1") == ()
    finally:
        blocker.close()
        store.close()


def test_each_threads_connection_is_closed_when_the_thread_goes_away(tmp_path: Path) -> None:
    import gc
    import threading

    store = SqliteEventStore(tmp_path / "events.sqlite3")
    try:
        for i in range(20):
            worker = threading.Thread(target=store.load, args=(f"T-{i}",))
            worker.start()
            worker.join()
            del worker
        gc.collect()
        assert len(store._open) <= 2  # the main thread's, perhaps one not yet collected
    finally:
        store.close()


def test_two_stores_on_one_file_share_streams_and_versions(tmp_path: Path) -> None:
    """Two store objects stand for two processes of a host: each sees the other's appends and
    a stale expected version is a conflict across them."""
    path = tmp_path / "events.sqlite3"
    one, two = SqliteEventStore(path), SqliteEventStore(path)
    try:
        first = events(2)
        assert one.append("T-1", first, 0) == 2
        assert two.load("T-1") == tuple(first)
        theirs = [AgentReplied(ticket_id="T-1", at=T0 + 5 * S)]
        assert two.append("T-1", theirs, 2) == 3
        with pytest.raises(ConcurrencyConflict) as info:
            one.append("T-1", [AgentReplied(ticket_id="T-1", at=T0 + 6 * S)], 2)
        assert (info.value.expected, info.value.actual) == (2, 3)
        with pytest.raises(InvalidInputError):  # ids are unique across store objects too
            one.append("T-2", [theirs[0].model_copy(update={"ticket_id": "T-2"})], 0)
        assert one.load("T-1") == (*first, *theirs)
        assert one.load("T-2") == ()
    finally:
        one.close()
        two.close()


@pytest.mark.parametrize("path", [None, 3, b"events.db", ""], ids=["None", "int", "bytes", "empty"])
def test_a_bad_path_is_invalid_input(path: object) -> None:
    with pytest.raises(InvalidInputError):
        SqliteEventStore(bad(path))
