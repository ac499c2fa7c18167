"""A repository of event-sourced aggregates, generic over the aggregate (Cosmic Python style).

``Repository(store, replay)`` keeps aggregates in an :class:`~servicekit.eventstore.EventStore`:
one stream per aggregate, the aggregate's version is the stream's version. ``replay`` turns a
stream's events back into the aggregate (``Ticket.replay``, or
``lambda events: Case.replay(events, process=p)``); aggregates expose ``stream_id``,
``version`` and ``history``. The domain knows no storage: the repository is the only place the
two meet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar, runtime_checkable

from servicekit.errors import ConcurrencyConflict, InvalidInputError, NotFoundError
from servicekit.events import Event
from servicekit.eventstore import EventStore

__all__ = ["EventSourcedAggregate", "Repository"]


@runtime_checkable
class EventSourcedAggregate(Protocol):
    """What a repository needs of an aggregate."""

    @property
    def stream_id(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def history(self) -> Sequence[Event]: ...


A = TypeVar("A", bound=EventSourcedAggregate)


class Repository(Generic[A]):
    """Aggregates in an event store: ``add`` a new one, ``get`` it back, ``save`` its new events.

    ``save(aggregate, expected_version)`` appends the events the aggregate has beyond
    ``expected_version`` (the version it was loaded at). ``update(stream_id, change)`` does
    load, change and save in one call; with ``retries`` it reloads and re-applies the change
    when another writer got there first. ``aggregate_type``, if given, is checked on ``add``
    and ``save``.
    """

    #: what the repository holds, named in messages
    noun = "aggregate"

    def __init__(self, store: EventStore, replay: Callable[[tuple[Event, ...]], A], *,
                 aggregate_type: type[A] | None = None) -> None:
        if not isinstance(store, EventStore):
            raise InvalidInputError(
                f"store must have append() and load() (got {type(store).__name__})"
            )
        if not callable(replay):
            raise InvalidInputError(f"replay must be callable (got {type(replay).__name__})")
        self.store = store
        self._replay = replay
        self._type = aggregate_type

    def _check(self, aggregate: object) -> A:
        expected = self._type
        if expected is not None:
            if not isinstance(aggregate, expected):
                raise InvalidInputError(
                    f"expected a {expected.__name__} (got {type(aggregate).__name__})"
                )
        elif not isinstance(aggregate, EventSourcedAggregate):
            raise InvalidInputError(
                f"expected an aggregate with stream_id, version and history "
                f"(got {type(aggregate).__name__})"
            )
        return aggregate  # type: ignore[return-value]

    def add(self, aggregate: A) -> A:
        """Store a new aggregate; ``ConcurrencyConflict`` if its id is taken."""
        self._check(aggregate)
        self.store.append(aggregate.stream_id, tuple(aggregate.history), 0)
        return aggregate

    def get(self, stream_id: str) -> A:
        """The aggregate rebuilt from its stream; ``NotFoundError`` if there is none."""
        if not isinstance(stream_id, str) or not stream_id:
            raise InvalidInputError(
                f"{self.noun}_id must be a non-empty string (got {type(stream_id).__name__})"
            )
        events = self.store.load(stream_id)
        if not events:
            raise NotFoundError(f"no {self.noun} with that id")
        return self._replay(events)

    def save(self, aggregate: A, expected_version: int) -> A:
        """Append the aggregate's events after ``expected_version`` (the version it was loaded
        at); ``ConcurrencyConflict`` if the stream moved on meanwhile, or if the stored events
        are not the first ``expected_version`` events of the aggregate's history (another
        aggregate under the same id, or one built on another version: issue 10, item 6)."""
        self._check(aggregate)
        if isinstance(expected_version, bool) or not isinstance(expected_version, int) or not (
            0 < expected_version <= aggregate.version
        ):
            raise InvalidInputError(f"expected_version must be an int between 1 and the "
                                    f"{self.noun}'s version")
        history = self._proved(aggregate)
        self._prove_prefix(aggregate.stream_id, self.store.load(aggregate.stream_id), history,
                           expected_version)
        return self._append(aggregate, history, expected_version)

    def _proved(self, aggregate: A) -> tuple[Event, ...]:
        """The aggregate's history, once replay has shown the process could have produced
        it and that it is this aggregate's (an aggregate copied with a forged history, or
        another stream's events, is refused before anything is written)."""
        history = tuple(aggregate.history)
        rebuilt = self._replay(history)
        if rebuilt != aggregate:
            raise InvalidInputError(f"the {self.noun}'s values are not those its history "
                                    "gives")
        return history

    def _append(self, aggregate: A, history: tuple[Event, ...], expected_version: int) -> A:
        new = history[expected_version:]
        if new:
            # the store refuses the append if anyone appended since the stored events were read
            self.store.append(aggregate.stream_id, new, expected_version)
        return aggregate

    @staticmethod
    def _prove_prefix(stream_id: str, stored: Sequence[Event], history: tuple[Event, ...],
                      expected_version: int) -> None:
        """``ConcurrencyConflict`` unless ``stored`` is exactly ``history[:expected_version]``.

        The store is append-only and checks the version on append, so a prefix proved here
        stays proved until the append (or the append fails)."""
        if len(stored) != expected_version:
            # a stream that only moved on is the classic conflict; one whose first events
            # differ says where
            diverged = next((i for i, (a, b) in enumerate(zip(stored[:expected_version],
                                                               history, strict=False))
                             if not _same(a, b)), None)
            raise ConcurrencyConflict(stream_id, expected=expected_version, actual=len(stored),
                                      diverged_at=diverged)
        for i in range(expected_version):
            if not _same(history[i], stored[i]):
                raise ConcurrencyConflict(stream_id, expected=expected_version,
                                          actual=len(stored), diverged_at=i)

    def update(self, stream_id: str, change: Callable[[A], A], *, retries: int = 0) -> A:
        """Load, ``change`` and save; on a conflict reload and retry up to ``retries`` times,
        then raise the last ``ConcurrencyConflict``. Errors from ``change`` (a rejected
        command) propagate and nothing is saved."""
        attempt = 0
        while True:
            current = self.get(stream_id)
            changed = change(current)
            self._check(changed)
            history = self._proved(changed)
            try:
                # the prefix is proved against the events just loaded (no second read)
                self._prove_prefix(stream_id, current.history, history, current.version)
                return self._append(changed, history, current.version)
            except ConcurrencyConflict:
                if attempt >= retries:
                    raise
                attempt += 1


def _same(a: Event, b: Event) -> bool:
    """One event: the same object, or equal as values and as JSON (``==`` alone takes
    ``True`` for ``1`` and ``0.0`` for ``-0.0``)."""
    return a is b or (a == b and a.model_dump_json() == b.model_dump_json())
