"""Hardening of the SQLite event store (issue 10, item 1 and the SQLite parts of items 13 and 15).

* ``close()`` while other threads append used to close their connections under them and kill
  the process (a segfault): a closed store answers every call with ``StorageError``, and close
  waits for the calls in flight. The stress test runs in a subprocess so a crash fails it.
* Every failure is a typed error: the database file cannot be opened (in the constructor or in
  a thread's first call), bad constructor arguments, rows tampered with in the database file.
* No message, ``repr``, problem or exception on the ``__cause__``/``__context__`` chain carries
  stored content: a row may hold a customer's text, and a tampered row's ``type`` tag and keys
  are stored content too.
"""

from __future__ import annotations

import math
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from servicekit.adapters.sqlite import MAX_TIMEOUT, SqliteEventStore
from servicekit.errors import InvalidInputError, ServiceKitError, StorageError
from servicekit.errors import exception_chain as chain
from servicekit.events import AgentReplied, Event, TicketCreated

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
PII = "PII-zhang-13800138000"  # planted in stored rows; no error may repeat it


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value




def carries_nothing(exc: BaseException, *private: str) -> None:
    """No cause or context at all, and no private text in the message, repr or problems."""
    assert exc.__cause__ is None, [*chain(exc)]
    assert exc.__context__ is None, [*chain(exc)]
    texts = [str(exc), repr(exc), *(str(a) for a in exc.args)]
    if isinstance(exc, ServiceKitError):
        texts += [repr(p) for p in exc.problems]
    for secret in (PII, *private):
        assert not any(secret in text for text in texts), (secret, texts)


def history(stream_id: str = "T-1", n: int = 3) -> list[Event]:
    first: Event = TicketCreated(ticket_id=stream_id, at=T0, priority="P3", subject=PII)
    return [first, *(AgentReplied(ticket_id=stream_id, at=T0 + i * S, fields={"note": PII})
                     for i in range(1, n))]


# -- item 1: close while other threads append ---------------------------------------------------

STRESS = textwrap.dedent(
    """
    import os, sys, tempfile, threading, time
    from datetime import UTC, datetime, timedelta
    from servicekit.adapters.sqlite import SqliteEventStore
    from servicekit.errors import StorageError
    from servicekit.events import AgentReplied

    T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    ROUNDS, THREADS = 20, 6
    problems, refused = [], 0

    def work(store, k, go, closing, closed):
        global refused
        go.wait()
        version = 0
        for i in range(1_000_000):
            after_close = closed.is_set()  # close() had returned before this call began
            try:
                if i % 3 == 2:
                    store.load(f"T-{k}")
                elif i % 7 == 6:
                    store.stream_ids()
                else:
                    event = AgentReplied(ticket_id=f"T-{k}", at=T0 + timedelta(seconds=i))
                    version = store.append(f"T-{k}", [event], version)
            except StorageError:
                if not closing.is_set():
                    problems.append("StorageError before close")
                break
            except BaseException as exc:
                problems.append(type(exc).__name__)
                break
            if after_close:
                problems.append("a call after close() succeeded")
                break
        # once closed, every public call is refused
        for call in (lambda: store.load(f"T-{k}"), lambda: store.stream_ids(),
                     lambda: store.append(f"T-{k}", [], version),
                     lambda: store.append(f"T-{k}", "not events", -1)):
            if not closed.wait(5):
                problems.append("close() did not return")
            try:
                call()
            except StorageError:
                refused += 1
            except BaseException as exc:
                problems.append("after close: " + type(exc).__name__)
            else:
                problems.append("after close: a call succeeded")

    with tempfile.TemporaryDirectory() as directory:
        for r in range(ROUNDS):
            store = SqliteEventStore(os.path.join(directory, f"round-{r}.sqlite3"))
            go = threading.Barrier(THREADS + 1)
            closing, closed = threading.Event(), threading.Event()
            threads = [threading.Thread(target=work, args=(store, k, go, closing, closed))
                       for k in range(THREADS)]
            for t in threads:
                t.start()
            go.wait()
            time.sleep(0.01 + 0.002 * (r % 5))  # close at different points of the appends
            closing.set()
            store.close()
            closed.set()
            for t in threads:
                t.join()
    print(len(problems), refused, problems[:5])
    sys.exit(1 if problems else 0)
    """
)


def test_close_while_appending_does_not_crash_and_refuses_every_later_call() -> None:
    """20 rounds of 6 threads appending, loading and listing streams while the main thread
    closes the store (the old close() crashed the process in most runs: returncode -11)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", STRESS], check=False, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    problems, refused, _ = done.stdout.split(" ", 2)
    assert problems == "0"
    assert int(refused) == 20 * 6 * 4  # every call after close() raised StorageError
    assert time.monotonic() - started < 60  # about 1-2 s; generous for a shared machine


def test_a_closed_store_answers_every_call_with_storage_error(tmp_path: Path) -> None:
    store = SqliteEventStore(tmp_path / "events.sqlite3")
    store.append("T-1", history(), 0)
    store.close()
    calls: list[Callable[[], object]] = [
        lambda: store.load("T-1"),
        lambda: store.load(bad(None)),  # even bad arguments: the store is closed
        store.stream_ids,
        lambda: store.append("T-1", history("T-1", 1), 3),
        lambda: store.append(bad(3), bad("x"), bad(-1)),
    ]
    for call in calls:
        with pytest.raises(StorageError, match="closed") as info:
            call()
        carries_nothing(info.value, "T-1")
    store.close()  # closing twice is harmless


def test_close_waits_for_a_call_in_flight(tmp_path: Path) -> None:
    """An append waiting for the write lock is in flight: close() waits for it (it never
    closes the connection under it), and the append completes."""
    path = tmp_path / "events.sqlite3"
    store = SqliteEventStore(path, timeout=20)
    blocker = sqlite3.connect(path, isolation_level=None)
    results: list[object] = []
    try:
        blocker.execute("BEGIN IMMEDIATE")

        def append() -> None:
            try:
                results.append(store.append("T-1", history(), 0))
            except BaseException as exc:
                results.append(exc)

        writer = threading.Thread(target=append)
        writer.start()
        for _ in range(2000):  # until the append is inside the store
            if store._calls:
                break
            time.sleep(0.005)
        closer = threading.Thread(target=store.close)
        closer.start()
        closer.join(0.3)
        assert closer.is_alive()  # still waiting for the append
        with pytest.raises(StorageError, match="closed"):  # new calls are refused meanwhile
            store.load("T-1")
        blocker.execute("ROLLBACK")
        writer.join(20)
        closer.join(20)
        assert not closer.is_alive()
        assert results == [3]
    finally:
        blocker.close()
        store.close()
    again = SqliteEventStore(path)
    try:
        assert len(again.load("T-1")) == 3
    finally:
        again.close()


class SqliteHardeningClosing(Event):
    """A host's event whose serialisation closes the store: a stand-in for a signal handler
    (or any callback) that closes the store while its own thread is inside a call."""

    def to_dict(self) -> dict[str, Any]:
        CLOSING[0].close()
        return super().to_dict()


CLOSING: list[SqliteEventStore] = []


def test_close_from_inside_a_call_of_its_own_thread_does_not_deadlock(tmp_path: Path) -> None:
    """close() waits for the calls of other threads only: waiting for its own thread's call,
    suspended under it, would never end (a counter of calls in flight deadlocked here)."""
    store = SqliteEventStore(tmp_path / "events.sqlite3")
    CLOSING[:] = [store]
    caught: list[BaseException] = []

    def append() -> None:
        try:
            store.append("T-1", [SqliteHardeningClosing(stream_id="T-1", at=T0)], 0)
        except BaseException as exc:
            caught.append(exc)

    try:
        worker = threading.Thread(target=append, daemon=True)
        worker.start()
        worker.join(20)
        assert not worker.is_alive()
        assert [type(exc) for exc in caught] == [StorageError]
        carries_nothing(caught[0], "T-1")
        assert not store._open  # no connection was opened after close
        with pytest.raises(StorageError, match="closed"):
            store.load("T-1")
    finally:
        CLOSING.clear()
        store.close()
    again = SqliteEventStore(tmp_path / "events.sqlite3")
    try:
        assert again.load("T-1") == ()  # nothing was written
    finally:
        again.close()


# -- item 13: a database that cannot be opened ---------------------------------------------------


@pytest.mark.parametrize("where", ["missing directory", "a directory", "not a database"])
def test_a_database_file_that_cannot_be_opened_is_a_storage_error(tmp_path: Path,
                                                                  where: str) -> None:
    if where == "missing directory":
        path = tmp_path / "nowhere" / "events.sqlite3"
    elif where == "a directory":
        path = tmp_path
    else:
        path = tmp_path / "events.sqlite3"
        path.write_bytes(b"PII-zhang-13800138000 " * 200)
    with pytest.raises(StorageError) as info:
        SqliteEventStore(path)
    carries_nothing(info.value, str(path))


def test_a_threads_first_connection_failing_is_a_storage_error(tmp_path: Path) -> None:
    """A thread opens its connection on its first call; if the file is gone by then (its
    directory removed), the call raises StorageError, not sqlite3.OperationalError."""
    directory = tmp_path / "db"
    directory.mkdir()
    store = SqliteEventStore(directory / "events.sqlite3")
    shutil.rmtree(directory)
    caught: list[BaseException] = []

    def call(method: str) -> None:
        try:
            if method == "append":
                store.append("T-1", history(), 0)
            elif method == "load":
                store.load("T-1")
            else:
                store.stream_ids()
        except BaseException as exc:
            caught.append(exc)

    try:
        for method in ("append", "load", "stream_ids"):
            worker = threading.Thread(target=call, args=(method,))
            worker.start()
            worker.join()
        assert [type(exc) for exc in caught] == [StorageError] * 3
        for exc in caught:
            carries_nothing(exc, str(directory))
    finally:
        store.close()


# -- item 13: bad constructor arguments ----------------------------------------------------------


@pytest.mark.parametrize(
    "timeout",
    ["x", None, True, [1], -1, -0.5, math.nan, math.inf, -math.inf, MAX_TIMEOUT + 1, 1e300,
     10**400],
    ids=["str", "None", "bool", "list", "negative-int", "negative", "nan", "inf", "-inf",
         "past-max", "huge", "huge-int"],
)
def test_a_bad_timeout_is_invalid_input(tmp_path: Path, timeout: object) -> None:
    """A non-number used to leak TypeError; negative, NaN, infinite and too long timeouts were
    accepted and silently meant 0 (no waiting for the lock at all)."""
    with pytest.raises(InvalidInputError, match="timeout") as info:
        SqliteEventStore(tmp_path / "events.sqlite3", timeout=bad(timeout))
    carries_nothing(info.value)
    assert not (tmp_path / "events.sqlite3").exists()  # rejected input changes nothing


@pytest.mark.parametrize("timeout", [0, 0.05, 30, MAX_TIMEOUT])
def test_timeouts_from_zero_to_the_maximum_are_accepted(tmp_path: Path, timeout: float) -> None:
    store = SqliteEventStore(tmp_path / "events.sqlite3", timeout=timeout)
    store.close()


@pytest.mark.parametrize("path", [f"{PII}\0.sqlite3", f"{PII}\ud800.sqlite3"],
                         ids=["NUL", "lone-surrogate"])
def test_a_path_sqlite_cannot_take_is_invalid_input(tmp_path: Path, path: str) -> None:
    """A NUL used to leak ValueError, a lone surrogate UnicodeEncodeError (holding the path)."""
    with pytest.raises(InvalidInputError, match="path") as info:
        SqliteEventStore(str(tmp_path / path))
    carries_nothing(info.value)


# -- item 13 and 15: tampered rows ---------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


def _good_row() -> dict[str, Any]:
    return AgentReplied(ticket_id="T-1", at=T0 + 5 * S, fields={"note": PII}).to_dict()


TAMPERED: dict[str, Any] = {
    "invalid JSON": '{"note": "PII-zhang-13800138000", ',
    "JSON nested too deep": '{"fields": ' + DEEP + "}",
    "a number too long for int()": '{"n": ' + "7" * 5000 + "}",
    "not an object": '["PII-zhang-13800138000"]',
    "no type tag": '{"PII-zhang-13800138000": 1}',
    "an unknown type tag": '{"type": "PII-zhang-13800138000"}',
    "an unknown key": None,
    "a payload that does not validate": None,
    "a payload nested deep": None,
    "bytes": b'{"type": "AgentReplied"}',
    "a number": 12,
    "invalid UTF-8": None,
}


def _tamper(kind: str, good: dict[str, Any]) -> tuple[str, Any]:
    """(SQL expression, parameter) storing the tampered ``data``."""
    import json

    if kind == "an unknown key":
        return "?", json.dumps({**good, PII: "x"})
    if kind == "a payload that does not validate":
        return "?", json.dumps({**good, "at": PII, "by": {"PII": PII}})
    if kind == "a payload nested deep":
        return "?", json.dumps({**good, "fields": {PII: json.loads("[" * 500 + "]" * 500)}})
    if kind == "invalid UTF-8":  # sqlite3 quotes such text in its own error message
        return "CAST(? AS TEXT)", b'{"type": "AgentReplied", "note": "\xff PII-zhang-13800138000"}'
    return "?", TAMPERED[kind]


@pytest.mark.parametrize("kind", list(TAMPERED))
def test_a_tampered_row_is_a_storage_error_naming_its_version_not_its_content(
        tmp_path: Path, kind: str) -> None:
    """Each used to leak JSONDecodeError (holding the whole row as ``.doc``), RecursionError,
    ValueError, TypeError, sqlite3.OperationalError quoting the text, or InvalidInputError with
    pydantic's ValidationError (and its ``input_value``) on ``__context__``."""
    path = tmp_path / "events.sqlite3"
    store = SqliteEventStore(path)
    try:
        store.append("T-1", history(n=3), 0)
        expression, value = _tamper(kind, _good_row())
        raw = sqlite3.connect(path, isolation_level=None)
        try:
            raw.execute(f"UPDATE events SET data = {expression} WHERE version = 2", (value,))
        finally:
            raw.close()
        started = time.monotonic()
        with pytest.raises(StorageError) as info:
            store.load("T-1")
        assert time.monotonic() - started < 5
        message = str(info.value)
        assert "version 2" in message, message
        assert "tampered" in message
        carries_nothing(info.value, "T-1", "AgentReplied")
        assert info.value.problems[0].type == "corrupt_row"
        assert store.load("T-2") == ()  # the store still works
    finally:
        store.close()


@pytest.mark.parametrize("change", ["gap", "text version"])
def test_a_gap_in_the_stored_versions_is_a_storage_error(tmp_path: Path, change: str) -> None:
    """A row renumbered behind the store's back: the stream no longer replays, and its next
    append would clash with the row; load says so instead of returning a stream with a hole."""
    path = tmp_path / "events.sqlite3"
    store = SqliteEventStore(path)
    try:
        store.append("T-1", history(n=3), 0)
        raw = sqlite3.connect(path, isolation_level=None)
        try:
            new = 7 if change == "gap" else PII
            raw.execute("UPDATE events SET version = ? WHERE version = 2", (new,))
        finally:
            raw.close()
        with pytest.raises(StorageError) as info:
            store.load("T-1")
        assert "row 2" in str(info.value)
        carries_nothing(info.value, "T-1")
    finally:
        store.close()


@pytest.mark.parametrize("stored", [b"T-1", "", "\udcff"], ids=["bytes", "empty", "bad-utf8"])
def test_a_tampered_stream_id_is_a_storage_error(tmp_path: Path, stored: object) -> None:
    path = tmp_path / "events.sqlite3"
    store = SqliteEventStore(path)
    try:
        store.append("T-1", history(n=1), 0)
        raw = sqlite3.connect(path, isolation_level=None)
        try:
            if stored == "\udcff":
                raw.execute("UPDATE events SET stream_id = CAST(? AS TEXT)",
                            (b"\xff" + PII.encode(),))
            else:
                raw.execute("UPDATE events SET stream_id = ?", (stored,))
        finally:
            raw.close()
        with pytest.raises(StorageError) as info:
            store.stream_ids()
        carries_nothing(info.value)
    finally:
        store.close()


# -- item 15: nothing on the exception chain -----------------------------------------------------


def test_text_sqlite_cannot_store_leaves_nothing_on_the_chain(tmp_path: Path) -> None:
    """A lone surrogate in an event's text: InvalidInputError, and no UnicodeEncodeError (whose
    ``.object`` is the whole row, the customer's text included) on ``__context__``."""
    store = SqliteEventStore(tmp_path / "events.sqlite3")
    try:
        event = AgentReplied(ticket_id="T-1", at=T0, fields={"note": PII + "\ud800"})
        with pytest.raises(InvalidInputError) as info:
            store.append("T-1", [event], 0)
        carries_nothing(info.value)
        with pytest.raises(InvalidInputError) as info:
            store.load("T-1\ud800")
        carries_nothing(info.value)
        assert store.load("T-1") == ()
    finally:
        store.close()


def test_a_lock_timeout_leaves_nothing_on_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    store = SqliteEventStore(path, timeout=0.05)
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(StorageError) as info:
            store.append("T-1", history(), 0)
        carries_nothing(info.value, "T-1")
        blocker.execute("ROLLBACK")
        assert store.append("T-1", history(), 0) == 3  # the connection is usable again
    finally:
        blocker.close()
        store.close()


def test_an_event_that_cannot_serialise_is_invalid_input_and_writes_nothing(
        tmp_path: Path) -> None:
    """An event built without validation, holding a non-JSON value: the adapter used to leak
    pydantic's PydanticSerializationError (which names the value's type and repr)."""
    store = SqliteEventStore(tmp_path / "events.sqlite3")
    try:
        good = AgentReplied(ticket_id="T-1", at=T0)
        broken = AgentReplied.model_construct(event_id="e-2", stream_id="T-1", at=T0 + S,
                                              by=None, fields={PII: bad(object())}, public=True)
        with pytest.raises(InvalidInputError, match=r"events\[1\]") as info:
            store.append("T-1", [good, broken], 0)
        carries_nothing(info.value)
        assert store.load("T-1") == ()
    finally:
        store.close()


class SqliteHardeningNote(Event):
    """A host's event with no ``type`` field of its own (its class name is its type)."""

    note: str = ""


def test_a_host_event_without_a_type_field_is_stored(tmp_path: Path) -> None:
    """The adapter read ``event.type``, which only the built-in events have (AttributeError);
    the type comes from ``to_dict``, the one serialisation."""
    store = SqliteEventStore(tmp_path / "events.sqlite3")
    try:
        event = SqliteHardeningNote(stream_id="T-1", at=T0, note="hello")
        assert store.append("T-1", [event], 0) == 1
        assert store.load("T-1") == (event,)
    finally:
        store.close()
