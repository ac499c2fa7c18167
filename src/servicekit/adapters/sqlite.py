"""An :class:`~servicekit.eventstore.EventStore` on SQLite (stdlib ``sqlite3``): the worked example
of plugging storage into servicekit.

One table holds every stream: ``(stream_id, version)`` is the primary key, so two writers can
never store the same version twice even if they race past the version check; the append runs
in a ``BEGIN IMMEDIATE`` transaction that reads the stream's version, compares it with the
expected one and inserts the events, all or nothing. Events are stored as their JSON
(``Event.to_dict``) and rebuilt with ``Event.from_dict``: that is the only serialisation.

Each thread gets its own connection (SQLite connections are not shared across threads), closed
when the thread object goes away or on ``close()``; use a file path, not ``":memory:"``, when
several threads write.

Errors:

* Database failures (the file cannot be opened, a lock held past ``timeout``, a closed store)
  raise :class:`~servicekit.errors.StorageError`, naming the kind of failure only.
* ``close()`` is safe while other threads use the store: it refuses new calls at once
  (``StorageError``), waits for the calls already running to finish (each is bounded by
  ``timeout`` when it waits for the lock), and only then closes the connections. Every call on
  a closed store (``append``, ``load``, ``stream_ids``) raises ``StorageError``.
* A stored row that does not rebuild into an event (not text, not UTF-8, invalid JSON, JSON
  nested too deep, not an object, no or an unknown ``type`` tag, a payload that does not
  validate, a gap in the stream's versions) raises ``StorageError`` naming the version in the
  stream and the kind of problem (its problem's type is ``"corrupt_row"``). Messages never
  repeat stored content, the stream id or the row's keys and tags (they may be personal data),
  and the exceptions carry no ``__cause__`` or ``__context__`` (a ``JSONDecodeError`` holds the
  whole row, a ``UnicodeError`` the text, pydantic's
  ``ValidationError`` the input values).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from servicekit.errors import (
    ConcurrencyConflict,
    InvalidInputError,
    Problem,
    ServiceKitError,
    StorageError,
)
from servicekit.events import Event, event_class
from servicekit.eventstore import check_append, check_stream_id

__all__ = ["SqliteEventStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    stream_id TEXT NOT NULL,
    version   INTEGER NOT NULL,
    event_id  TEXT NOT NULL UNIQUE,
    type      TEXT NOT NULL,
    at        TEXT NOT NULL,
    data      TEXT NOT NULL,
    PRIMARY KEY (stream_id, version)
) WITHOUT ROWID
"""

#: The longest lock wait SQLite can take: its busy timeout is a C ``int`` of milliseconds, and
#: ``sqlite3`` silently turns anything longer (or negative, NaN, infinite) into 0, no waiting.
MAX_TIMEOUT = 2_147_483.0

_CLOSED = "the SQLite event store is closed"


class SqliteEventStore:
    """Event streams in one SQLite database file.

    ``path`` is a file (created if missing) or ``":memory:"`` (one thread only).
    ``timeout`` is how long a writer waits for the database lock, in seconds (a number from 0
    to :data:`MAX_TIMEOUT`).
    """

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        if not isinstance(path, (str, Path)) or str(path) == "":
            raise InvalidInputError(
                f"path must be a non-empty str or Path (got {type(path).__name__})"
            )
        text = str(path)
        if "\0" in text:
            raise InvalidInputError("path must not contain a NUL character")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            unencodable = True
        else:
            unencodable = False
        if unencodable:
            raise InvalidInputError("path must be encodable as UTF-8 (it has a lone surrogate)")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise InvalidInputError(
                f"timeout must be a number of seconds (got {type(timeout).__name__})"
            )
        if not 0 <= timeout <= MAX_TIMEOUT:  # NaN compares false; a huge int is no float
            raise InvalidInputError(
                f"timeout must be a finite number of seconds from 0 to {MAX_TIMEOUT:.0f}"
            )
        self.path = text
        self.timeout = float(timeout)
        self._local = threading.local()
        self._open: set[sqlite3.Connection] = set()
        # re-entrant locks: a GC finalizer or a signal handler may run in a thread holding one
        self._lock = threading.RLock()  # guards _open
        self._gate = threading.Condition(threading.RLock())  # guards _closed and _calls
        self._closed = False
        self._calls: dict[int, int] = {}  # thread id -> calls in flight in that thread
        self._enter()
        try:
            failure = _run(self._connection(), _SCHEMA)
        finally:
            self._leave()
        if failure is not None:
            self.close()
            raise failure

    # -- calls in flight -----------------------------------------------------------------------

    def _enter(self) -> None:
        """Count a call in; refuse it once the store is closed (or closing)."""
        me = threading.get_ident()
        with self._gate:
            if self._closed:
                raise StorageError(_CLOSED)
            self._calls[me] = self._calls.get(me, 0) + 1

    def _leave(self) -> None:
        me = threading.get_ident()
        with self._gate:
            left = self._calls.get(me, 1) - 1
            if left:
                self._calls[me] = left
            else:
                self._calls.pop(me, None)
            if self._closed:
                self._gate.notify_all()

    def _others_running(self) -> bool:
        me = threading.get_ident()
        return any(thread != me for thread in self._calls)

    # -- connections ---------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (only between ``_enter`` and
        ``_leave``, so ``close`` never closes a connection in use)."""
        if self._closed:  # closed by this very thread (a signal handler) during this call
            raise StorageError(_CLOSED)
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        failure: str | None = None
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            failure = type(exc).__name__
        if failure is not None or conn is None:
            if conn is not None:
                with suppress(sqlite3.Error):
                    conn.close()
            raise StorageError(f"SQLite could not open the database file ({failure})")
        self._local.conn = conn
        with self._lock:
            self._open.add(conn)
        # a thread's connection is closed when the thread object is collected (the thread has
        # ended by then, so nobody is using it); not at exit, when daemon threads may still run
        weakref.finalize(threading.current_thread(), self._release, conn).atexit = False
        return conn

    def _release(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if conn not in self._open:
                return
            self._open.discard(conn)
        with suppress(sqlite3.Error):
            conn.close()

    def _discard(self, conn: sqlite3.Connection) -> None:
        """Drop this thread's connection (it is stuck in a transaction it cannot end)."""
        self._local.conn = None
        self._release(conn)

    def _rollback(self, conn: sqlite3.Connection) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            stuck = conn.in_transaction
        except sqlite3.Error:  # ProgrammingError too: closed under a call by its own thread
            stuck = True
        if stuck:
            self._discard(conn)

    # -- the port ------------------------------------------------------------------------------

    def append(self, stream_id: str, events: Sequence[Event], expected_version: int) -> int:
        self._enter()
        try:
            return self._append(stream_id, events, expected_version)
        finally:
            self._leave()

    def _append(self, stream_id: str, events: Sequence[Event], expected_version: int) -> int:
        checked = check_append(stream_id, events, expected_version)
        rows = [_row(stream_id, expected_version + i + 1, i, ev) for i, ev in enumerate(checked)]
        conn = self._connection()
        failure: ServiceKitError | None = None
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                (actual,) = conn.execute(
                    "SELECT COUNT(*) FROM events WHERE stream_id = ?", (stream_id,)
                ).fetchone()
                if actual == expected_version:
                    conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", rows)
                    conn.execute("COMMIT")
            except BaseException:
                self._rollback(conn)
                raise
        except sqlite3.IntegrityError:  # only event_id can clash: the version was checked
            failure = InvalidInputError("an event id is already stored")
        except UnicodeEncodeError:
            failure = _unencodable()
        except sqlite3.Error as exc:
            failure = _storage_error(exc)
        # raised here, outside the handlers: no sqlite3 or codec error (which may hold the
        # row's text) is left on __context__
        if failure is not None:
            raise failure
        if actual != expected_version:
            self._rollback(conn)
            raise ConcurrencyConflict(stream_id, expected=expected_version, actual=actual)
        return expected_version + len(rows)

    def load(self, stream_id: str) -> tuple[Event, ...]:
        self._enter()
        try:
            check_stream_id(stream_id)
            conn = self._connection()
            args = (stream_id,)
            rows, failure = _fetch(
                conn, "SELECT version, data FROM events WHERE stream_id = ? ORDER BY version",
                args)
            if isinstance(failure, StorageError):
                failure = _undecodable(conn, failure, "the event at version {} of the stream",
                                       "SELECT typeof(data), CAST(data AS BLOB) FROM events"
                                       " WHERE stream_id = ? ORDER BY version", args)
        finally:
            self._leave()
        if failure is not None:
            raise failure
        return tuple(_event(position, version, data)
                     for position, (version, data) in enumerate(rows, start=1))

    def stream_ids(self) -> tuple[str, ...]:
        self._enter()
        try:
            conn = self._connection()
            rows, failure = _fetch(
                conn, "SELECT DISTINCT stream_id FROM events ORDER BY stream_id")
            if failure is not None:
                failure = _undecodable(
                    conn, failure, "stored stream id number {}",
                    "SELECT DISTINCT typeof(stream_id), CAST(stream_id AS BLOB) AS id"
                    " FROM events ORDER BY id")  # UTF-8 bytes sort as the text (BINARY)
        finally:
            self._leave()
        if failure is not None:
            raise failure
        for position, (stream_id,) in enumerate(rows, start=1):
            if type(stream_id) is not str or not stream_id:
                raise _corrupt(f"stored stream id number {position} is not a non-empty text "
                               f"(got {_stored_type(stream_id)})")
        return tuple(stream_id for (stream_id,) in rows)

    def close(self) -> None:
        """Refuse new calls, wait for the calls in flight in other threads and close every
        connection this store opened; the store is unusable afterwards (``StorageError``).
        Closing twice is harmless.

        A call of the closing thread itself (``close`` from a signal handler or a callback
        during that call) is not waited for, which would never end: it is not inside SQLite
        at that moment, and it fails with ``StorageError`` when it resumes."""
        with self._gate:
            self._closed = True
            while self._others_running():
                self._gate.wait()
        with self._lock:
            connections, self._open = self._open, set()
        for conn in connections:
            with suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()


def _run(conn: sqlite3.Connection, sql: str) -> StorageError | None:
    try:
        conn.execute(sql)
    except sqlite3.Error as exc:
        return _storage_error(exc)
    return None


def _fetch(conn: sqlite3.Connection, sql: str,
           args: tuple[object, ...] = ()) -> tuple[list[Any], ServiceKitError | None]:
    """The rows, or the typed error to raise (built here, raised by the caller outside any
    handler: a text that does not decode is quoted in sqlite3's own message)."""
    try:
        return conn.execute(sql, args).fetchall(), None
    except UnicodeEncodeError:
        return [], _unencodable()
    except sqlite3.Error as exc:
        return [], _storage_error(exc)


def _row(stream_id: str, version: int, index: int,
         event: Event) -> tuple[str, int, str, str, str, str]:
    failure: str | None = None
    try:
        data = event.to_dict()
        text = json.dumps(data, ensure_ascii=False)
    except ServiceKitError:
        raise
    except (TypeError, ValueError, RecursionError) as exc:
        failure = type(exc).__name__
    if failure is not None:
        raise InvalidInputError(f"events[{index}] cannot be stored as JSON ({failure})")
    return (stream_id, version, event.event_id, str(data.get("type", event.event_type)),
            event.at.isoformat(), text)


def _corrupt(message: str) -> StorageError:
    text = f"the SQLite event store holds a corrupt or tampered row: {message}"
    return StorageError(text, problems=[Problem((), "corrupt_row", text)])


def _undecodable(conn: sqlite3.Connection, failure: ServiceKitError, where: str, sql: str,
                 args: tuple[object, ...] = ()) -> ServiceKitError:
    """After a query failed: if a stored text is not UTF-8 (sqlite3 fails the whole query then,
    quoting the text in its message), the error naming its position; else ``failure``."""
    if not isinstance(failure, StorageError):
        return failure
    rows, again = _fetch(conn, sql, args)
    if again is not None:
        return failure
    for position, (kind, raw) in enumerate(rows, start=1):
        if kind != "text" or not isinstance(raw, bytes):
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:  # its .object holds the stored bytes: not kept
            bad = True
        else:
            bad = False
        if bad:
            return _corrupt(where.format(position) + " is text that is not valid UTF-8")
    return failure


def _stored_type(value: object) -> str:
    """The SQLite storage class of a value read back (never the value)."""
    names = {bytes: "blob", int: "integer", float: "real", type(None): "null", str: "text"}
    return names.get(type(value), "another type")


def _event(position: int, version: object, data: object) -> Event:
    """Rebuild the stream's event at ``position`` (1-based) from its stored row; a row that
    does not rebuild is a ``StorageError`` naming the version and the kind of problem (worked
    out only then: the common path is ``json.loads`` and ``Event.from_dict``)."""
    if version != position or isinstance(version, bool):
        raise _corrupt(f"the stream's versions are not numbered 1, 2, 3, ... "
                       f"(at its row {position})")
    failure: str | None = None
    if type(data) is not str:
        failure = f"is not stored as text (got {_stored_type(data)})"
    else:
        try:
            decoded = json.loads(data)
        except RecursionError:
            failure = "is JSON nested too deep"
        except ValueError:  # JSONDecodeError, and numbers longer than int() accepts
            failure = "is not valid JSON"
    if failure is None:
        codes: list[str] = []
        try:
            return Event.from_dict(decoded)
        except ServiceKitError as exc:
            codes = list(dict.fromkeys(p.type for p in exc.problems))
        except RecursionError:
            failure = "is nested too deep to validate as an event"
        except Exception as exc:  # a host's event class may raise anything while validating
            failure = f"does not validate as its event type ({type(exc).__name__})"
        if failure is None:
            failure = _not_an_event(decoded, codes)
    raise _corrupt(f"the event at version {position} of the stream {failure}")


def _not_an_event(decoded: object, codes: list[str]) -> str:
    """Why JSON that ``Event.from_dict`` refused is not an event, without its keys or tags."""
    if not isinstance(decoded, dict):
        return f"is not a JSON object (got {type(decoded).__name__})"
    kind = decoded.get("type")
    if not isinstance(kind, str):
        return f"has no event type tag (got {type(kind).__name__})"
    known = True
    try:
        event_class(kind)
    except InvalidInputError:
        known = False
    if not known:
        return "has an unknown event type tag"
    # pydantic's and servicekit's problem codes ("missing", "extra_forbidden"...): fixed
    # words, never the row's keys or values
    shown = ", ".join(codes[:3]) + (", ..." if len(codes) > 3 else "")
    return "does not validate as its event type" + (f" ({shown})" if shown else "")


def _unencodable() -> InvalidInputError:
    return InvalidInputError("text SQLite cannot store as UTF-8 (a lone surrogate)")


def _storage_error(exc: sqlite3.Error) -> StorageError:
    # sqlite3's messages may quote stored text ("Could not decode to UTF-8 column 'data' with
    # text ..."); keep the class name only
    return StorageError(f"SQLite could not complete the operation ({type(exc).__name__})")
