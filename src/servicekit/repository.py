"""A repository of event-sourced aggregates, generic over the aggregate (Cosmic Python style).

``Repository(store, replay)`` keeps aggregates in an :class:`~servicekit.eventstore.EventStore`:
one stream per aggregate, the aggregate's version is the stream's version. ``replay`` turns a
stream's events back into the aggregate (``Ticket.replay``, or
``lambda events: Case.replay(events, process=p)``); aggregates expose ``stream_id``,
``version`` and ``history``. The domain knows no storage: the repository is the only place the
two meet.

``update(stream_id, change, retries=…)`` re-runs ``change`` on the reloaded aggregate after a
conflict, so the instant a command records belongs inside ``change`` (read the clock there),
or is given by ``clock=``: an ``at`` fixed before the first try is earlier than the other
writer's event on the retry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, overload, runtime_checkable

from servicekit.errors import ConcurrencyConflict, InvalidInputError, NotFoundError
from servicekit.events import Event
from servicekit.eventstore import EventStore

__all__ = ["EventSourcedAggregate", "Repository"]

#: the problem type of a command dated before the aggregate's last event (the engine's
#: ``OUT_OF_ORDER``; the engine is a sibling layer, so the code is repeated, and a test ties
#: the two)
_OUT_OF_ORDER = "out_of_order"


def _out_of_order(exc: InvalidInputError) -> bool:
    return any(p.type == _OUT_OF_ORDER for p in exc.problems)


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
    when another writer got there first (with ``clock=``, at a fresh instant per attempt).
    ``aggregate_type``, if given, is checked on ``add`` and ``save``.
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

    @overload
    def update(self, stream_id: str, change: Callable[[A], A], *, retries: int = 0,
               clock: None = None) -> A: ...

    @overload
    def update(self, stream_id: str, change: Callable[[A, datetime], A], *, retries: int = 0,
               clock: Callable[[], datetime]) -> A: ...

    def update(self, stream_id: str, change: Callable[..., A], *, retries: int = 0,
               clock: Callable[[], datetime] | None = None) -> A:
        """Load, ``change`` and save; on a conflict reload and retry up to ``retries`` times,
        then raise the last ``ConcurrencyConflict``. Errors from ``change`` (a rejected
        command) propagate and nothing is saved.

        Every attempt calls ``change`` with the aggregate just loaded, which includes what the
        other writer appended. The instant the command records (``at``) therefore belongs
        *inside* ``change``: read the clock there, or pass ``clock``, and ``change`` is called
        as ``change(current, clock())``, with a fresh instant per attempt, read after the
        reload::

            repo.update(ticket_id, lambda t, at: t.reply(at=at, by=agent), retries=3,
                        clock=lambda: datetime.now(UTC))

        An ``at`` fixed before the first try is earlier than the other writer's event when
        that event is later, and the retry cannot be recorded (a history is in time order):
        ``update`` then raises a ``ConcurrencyConflict`` saying so, whose ``__cause__`` is
        the command's ``InvalidInputError`` (its problem of type ``"out_of_order"``), rather
        than retrying in vain. (The same happens with a ``clock`` behind the other
        writer's.) An ``at`` already earlier than the last event on the first try is the
        command's own ``InvalidInputError``, as outside a repository.
        """
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidInputError(
                f"retries must be an int >= 0 (got {type(retries).__name__})"
            )
        if not callable(change):
            raise InvalidInputError(f"change must be callable (got {type(change).__name__})")
        if clock is not None and not callable(clock):
            raise InvalidInputError(
                f"clock must be callable, returning a datetime (got {type(clock).__name__})"
            )
        attempt = 0
        conflict: ConcurrencyConflict | None = None
        while True:
            current = self.get(stream_id)
            stale: InvalidInputError | None = None
            try:
                changed = change(current) if clock is None else change(current, clock())
            except InvalidInputError as exc:
                if conflict is None or not _out_of_order(exc):  # the command's own error
                    raise
                stale = exc
            if stale is not None:
                assert conflict is not None
                raise self._stale(conflict, current, clock) from stale
            self._check(changed)
            history = self._proved(changed)
            try:
                # the prefix is proved against the events just loaded (no second read)
                self._prove_prefix(stream_id, current.history, history, current.version)
                return self._append(changed, history, current.version)
            except ConcurrencyConflict as exc:
                if attempt >= retries:
                    raise
                conflict = exc
                attempt += 1

    def _stale(self, conflict: ConcurrencyConflict, current: A,
               clock: Callable[[], Any] | None) -> ConcurrencyConflict:
        """The conflict a retry ends in when its change is dated before the other writer's
        event (the versions: the attempt that conflicted, and the stream it reloaded)."""
        why = ("the clock's instant for the retry is earlier than the event another writer "
               "appended meanwhile (clocks out of step)" if clock is not None else
               "the change, re-run on the reloaded " + self.noun + ", is dated before the event "
               "another writer appended meanwhile (an at fixed before the first try): read the "
               "clock inside change, or pass clock=")
        return ConcurrencyConflict(conflict.stream_id, expected=conflict.expected,
                                   actual=current.version, reason=why)

def _same(a: Event, b: Event) -> bool:
    """One event: the same object, or equal as values and as JSON (``==`` alone takes
    ``True`` for ``1`` and ``0.0`` for ``-0.0``)."""
    return a is b or (a == b and a.model_dump_json() == b.model_dump_json())
