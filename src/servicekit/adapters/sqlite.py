"""An :class:`~servicekit.eventstore.EventStore` on SQLite (stdlib ``sqlite3``): the worked example
of plugging storage into servicekit.

One table holds every stream: ``(stream_id, version)`` is the primary key, so two writers can
never store the same version twice even if they race past the version check; the append runs
in a ``BEGIN IMMEDIATE`` transaction that reads the stream's version, compares it with the
expected one and inserts the events, all or nothing. Events are stored as their JSON
(``Event.to_dict``) and rebuilt with ``Event.from_dict``.

Each thread gets its own connection (SQLite connections are not shared across threads), closed
when the thread object goes away or on ``close()``; use a file path, not ``":memory:"``, when
several threads write. Database failures (a lock held past ``timeout``, a closed store) raise
:class:`~servicekit.errors.StorageError`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path

from servicekit.errors import ConcurrencyConflict, InvalidInputError, StorageError
from servicekit.events import Event
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


class SqliteEventStore:
    """Event streams in one SQLite database file.

    ``path`` is a file (created if missing) or ``":memory:"`` (one thread only).
    ``timeout`` is how long a writer waits for the database lock, in seconds.
    """

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        if not isinstance(path, (str, Path)) or str(path) == "":
            raise InvalidInputError(f"path must be a str or Path (got {type(path).__name__})")
        self.path = str(path)
        self.timeout = timeout
        self._local = threading.local()
        self._open: set[sqlite3.Connection] = set()
        self._lock = threading.Lock()
        self._closed = False
        try:
            self._connection().execute(_SCHEMA)
        except sqlite3.Error as exc:
            raise _storage_error(exc) from None

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError("the SQLite event store is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._open.add(conn)
            # a thread's connection is closed when the thread object is collected
            weakref.finalize(threading.current_thread(), self._release, conn)
        return conn

    def _release(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            if conn not in self._open:
                return
            self._open.discard(conn)
        conn.close()

    def append(self, stream_id: str, events: Sequence[Event], expected_version: int) -> int:
        checked = check_append(stream_id, events, expected_version)
        rows = [
            (stream_id, expected_version + i + 1, ev.event_id, ev.type,  # type: ignore[attr-defined]
             ev.at.isoformat(), json.dumps(ev.to_dict(), ensure_ascii=False))
            for i, ev in enumerate(checked)
        ]
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _storage_error(exc) from None
        try:
            (actual,) = conn.execute(
                "SELECT COUNT(*) FROM events WHERE stream_id = ?", (stream_id,)
            ).fetchone()
            if actual != expected_version:
                raise ConcurrencyConflict(stream_id, expected=expected_version, actual=actual)
            conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        except sqlite3.IntegrityError:  # only event_id can clash: the version was checked
            conn.execute("ROLLBACK")
            raise InvalidInputError("an event id is already stored") from None
        except UnicodeEncodeError:
            conn.execute("ROLLBACK")
            raise _unencodable() from None
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _storage_error(exc) from None
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return expected_version + len(rows)

    def load(self, stream_id: str) -> tuple[Event, ...]:
        check_stream_id(stream_id)
        try:
            rows = self._connection().execute(
                "SELECT data FROM events WHERE stream_id = ? ORDER BY version", (stream_id,)
            ).fetchall()
        except UnicodeEncodeError:
            raise _unencodable() from None
        except sqlite3.Error as exc:
            raise _storage_error(exc) from None
        return tuple(Event.from_dict(json.loads(data)) for (data,) in rows)

    def stream_ids(self) -> tuple[str, ...]:
        try:
            rows = self._connection().execute(
                "SELECT DISTINCT stream_id FROM events ORDER BY stream_id"
            ).fetchall()
        except sqlite3.Error as exc:
            raise _storage_error(exc) from None
        return tuple(r[0] for r in rows)

    def close(self) -> None:
        """Close every connection this store opened (in any thread); the store is unusable
        afterwards (``StorageError``)."""
        with self._lock:
            self._closed = True
            connections = list(self._open)
            self._open.clear()
        for conn in connections:
            conn.close()
        self._local = threading.local()


def _unencodable() -> InvalidInputError:
    return InvalidInputError("text SQLite cannot store as UTF-8 (a lone surrogate)")


def _storage_error(exc: sqlite3.Error) -> StorageError:
    # sqlite3's messages name tables and states, never stored data; keep the class name only
    return StorageError(f"SQLite could not complete the operation ({type(exc).__name__})")
