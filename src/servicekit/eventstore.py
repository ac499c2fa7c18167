"""The event store port: what servicekit needs from a host's storage, and an in-memory store.

* :class:`EventStore` is a ``typing.Protocol``: ``append(stream_id, events, expected_version)``
  appends only if the stream is still at ``expected_version`` (optimistic concurrency; otherwise
  :class:`~servicekit.errors.ConcurrencyConflict` and nothing is written) and ``load(stream_id)``
  returns the events in order. Any class with these methods is an event store; no base class.
* :class:`InMemoryEventStore` implements it for tests and demos (thread-safe).
* :func:`check_append` and :func:`check_stream_id` validate arguments the same way in every
  adapter.

This module sits low (it needs only the events), so a storage adapter such as
:mod:`servicekit.adapters.sqlite` imports neither the aggregates nor the SLA engine (nor numpy).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from servicekit.errors import ConcurrencyConflict, InvalidInputError
from servicekit.events import Event

__all__ = ["EventStore", "InMemoryEventStore", "check_append", "check_stream_id"]


@runtime_checkable
class EventStore(Protocol):
    """An append-only store of event streams with expected-version appends."""

    def append(self, stream_id: str, events: Sequence[Event], expected_version: int) -> int:
        """Append ``events`` if the stream has exactly ``expected_version`` events (0: a new
        stream); return the new version. Raise ``ConcurrencyConflict`` otherwise, writing
        nothing. All the events are written, or none."""
        ...

    def load(self, stream_id: str) -> tuple[Event, ...]:
        """The stream's events in order (empty for an unknown stream)."""
        ...


def check_stream_id(stream_id: object) -> str:
    """Validate a stream id (for adapters): a non-empty string."""
    if not isinstance(stream_id, str) or not stream_id:
        raise InvalidInputError(
            f"stream_id must be a non-empty string (got {type(stream_id).__name__})"
        )
    return stream_id


def check_append(stream_id: object, events: object, expected_version: object) -> list[Event]:
    """Validate ``append``'s arguments (for adapters): a typed error before any write."""
    check_stream_id(stream_id)
    if isinstance(expected_version, bool) or not isinstance(expected_version, int) or (
        expected_version < 0
    ):
        raise InvalidInputError(
            f"expected_version must be an int >= 0 (got {type(expected_version).__name__})"
        )
    if isinstance(events, (str, bytes)) or not isinstance(events, Sequence):
        raise InvalidInputError(f"events must be a sequence (got {type(events).__name__})")
    checked = list(events)
    for i, ev in enumerate(checked):
        if not isinstance(ev, Event):
            raise InvalidInputError(f"events[{i}] must be an Event (got {type(ev).__name__})")
        if ev.stream_id != stream_id:  # a stream holds its own events only
            raise InvalidInputError(f"events[{i}] belongs to another stream")
    return checked


class InMemoryEventStore:
    """An :class:`EventStore` in a dict, guarded by a lock (safe across threads)."""

    def __init__(self) -> None:
        self._streams: dict[str, list[Event]] = {}
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def append(self, stream_id: str, events: Sequence[Event], expected_version: int) -> int:
        checked = check_append(stream_id, events, expected_version)
        with self._lock:
            stream = self._streams.get(stream_id, [])
            if len(stream) != expected_version:
                raise ConcurrencyConflict(stream_id, expected=expected_version,
                                          actual=len(stream))
            ids = [ev.event_id for ev in checked]
            if len(set(ids)) != len(ids) or not self._ids.isdisjoint(ids):
                raise InvalidInputError("an event id is already stored")
            if checked:
                self._streams[stream_id] = [*stream, *checked]
                self._ids.update(ids)
            return expected_version + len(checked)

    def load(self, stream_id: str) -> tuple[Event, ...]:
        check_stream_id(stream_id)
        with self._lock:
            return tuple(self._streams.get(stream_id, ()))

    def stream_ids(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._streams)
