"""What the SLA engine accepts as a history, checked once at the boundary.

A history is one stream's events (a ticket's or a case's), in any order. The engine reads the
caller's iterable exactly once: :func:`_materialise` turns a generator, a ``map`` or any other
iterable into a tuple (a list or a tuple is read as it is), and what later passes read again
(the fold, a batch's ``explain`` and ``remedies``) is that sequence or the batch's own copy
of it, so a one-shot iterator gives the same report as a list.

:func:`_prepare` checks what the fold relies on, as it orders the events:

* every item is an event, and of the one stream (the first event's, or the ``evaluate_many``
  key it is filed under), events after ``now`` included: a history of two streams is not a
  history at any instant;
* the copies of one event (the same ``event_id``) known at ``now`` are the same event, and
  count once; two different events under one id are refused, so the result never depends on
  which copy comes first (an event after ``now`` is not known yet, and claims no id);
* no instant before the years business time is computed for (``EPOCH_US_MIN``);
* the first event known at ``now`` (by instant; at equal instants, by list order) is the
  history's creation, a ``TicketCreated`` or ``CaseStarted``: a reply or a resolution before
  the ticket exists is not a history (events after ``now`` are not known yet and do not count;
  a history with no event known at ``now`` is an empty report, as a ticket not opened yet).

The fold adds the last rule (:class:`_TwoCreations`): a history starts once, with one
``TicketCreated`` or ``CaseStarted`` known at ``now``; a second would restart the clocks.

Errors are :class:`~servicekit.errors.InvalidInputError` (or its subclass
:class:`~servicekit.errors.CalendarError` for instants) naming positions in the history
(``events[3]``) and types, never an id or any other value, and are raised outside any
``except`` block, so nothing of the input hangs on their ``__context__``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from servicekit.calendar import EPOCH_US_MIN, to_epoch_us
from servicekit.errors import CalendarError, InvalidInputError, Problem
from servicekit.events import CaseStarted, Event, TicketCreated

ONE_US = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: the event classes that start a history (the fold's creation handlers)
CREATIONS = (TicketCreated, CaseStarted)

History = Sequence[Event]
Prepared = tuple[tuple[int, Event], ...]


class _TwoCreations(Exception):
    """Raised by the fold at a second creation event; the engine turns it into an error that
    names the positions (:func:`_second_creation`)."""


def _refuse(entry: int | None, index: int | None, kind: str, message: str,
            error: type[InvalidInputError] = InvalidInputError, *,
            field: str = "") -> InvalidInputError:
    """An error about ``events[index]`` (or the whole history; ``field``: one of its fields)
    of the ``entry``-th history of :func:`~servicekit.sla.evaluate_many` (None: the history
    of :func:`~servicekit.sla.evaluate`)."""
    where = "" if entry is None else f"events_by_ticket entry {entry}: "
    loc: tuple[str | int, ...] = ("events",) if index is None else ("events", index)
    place = "events" if index is None else f"events[{index}]"
    if field:
        loc += (field,)
        place += f".{field}"
    return error(f"{where}{place}: {message}", problems=(Problem(loc, kind, where + message),))


def _materialise(events: object, entry: int | None = None) -> History:
    """``events`` as a sequence the engine can read again: a list or a tuple as it is (each
    pass reads it once, and the batch keeps a copy), anything else read once into a tuple."""
    kind = type(events)
    if kind is list or kind is tuple:
        return events  # type: ignore[return-value]
    if isinstance(events, str | bytes | bytearray | Mapping) or not isinstance(events, Iterable):
        raise _refuse(entry, None, "not_iterable",
                      f"expected an iterable of events, got {kind.__name__}")
    return tuple(events)


def _prepare(history: History, now: int, stream: str | None = None,
             entry: int | None = None) -> Prepared:
    """The events known at ``now`` as (epoch microseconds, event), ordered by time (stable),
    each event once; the checks of the module docstring. ``stream`` is the stream every event
    must belong to (default: the first event's)."""
    seen: dict[str, int] = {}  # event id -> position of its first copy known at now
    keep: list[tuple[int, Event]] = []
    ordered = True
    last = EPOCH_US_MIN
    problem = ""
    index = 0
    keyed = stream is not None  # filed under a key (evaluate_many), else events[0]'s stream
    try:
        if stream is None and history:
            stream = getattr(history[0], "stream_id", None)
        for index, ev in enumerate(history):
            if not isinstance(ev, Event):
                problem = "type"
                break
            if ev.stream_id != stream:
                problem = "stream"
                break
            at = (ev.at - EPOCH) // ONE_US  # a naive or missing instant: TypeError
            if at > now:
                continue  # not known yet: it neither counts nor claims its id
            first = seen.setdefault(ev.event_id, index)
            if first != index:
                if _same(history[first], ev):
                    continue  # a copy of an event already kept
                problem = "duplicate"
                break
            if at < last:
                ordered = False
            last = at
            keep.append((at, ev))
    except (AttributeError, TypeError):  # only events built without validation get here
        problem = "malformed"
    if problem:
        raise _invalid(problem, history, index, seen, entry, keyed=keyed)
    if not ordered:
        keep.sort(key=_by_instant)  # stable: equal instants keep their input order
        if keep[0][0] < EPOCH_US_MIN:
            raise _too_early(history, entry)
    if keep and type(keep[0][1]) not in CREATIONS:
        raise _before_creation(history, keep, entry)
    return tuple(keep)


def _by_instant(item: tuple[int, Event]) -> int:
    return item[0]


def _same(a: Event, b: Event) -> bool:
    """Whether two events are copies of one: equal, and equal as JSON (which tells ``True``
    from ``1`` and ``-0.0`` from ``0.0``, and an instant's zone, where ``==`` does not).
    Anything less is two events under one id."""
    if a is b:
        return True
    if a != b:
        return False
    try:
        return a.model_dump_json() == b.model_dump_json()
    except ValueError:  # a value pydantic cannot write (an event built without validation)
        return False


def _invalid(problem: str, history: History, index: int, seen: dict[str, int],
             entry: int | None, *, keyed: bool) -> InvalidInputError:
    ev = history[index]
    if problem == "type":
        return _refuse(entry, index, "not_an_event",
                       f"expected a servicekit event, got {type(ev).__name__}")
    if problem == "stream":
        other = "the key it is filed under" if keyed else "events[0]"
        return _refuse(entry, index, "foreign_stream",
                       f"belongs to another stream than {other}; a history is one "
                       "stream's events")
    if problem == "duplicate":
        first = seen[ev.event_id]
        return _refuse(entry, index, "conflicting_duplicate",
                       f"has the event id of events[{first}] but is a different event; "
                       "copies of an event must be equal")
    at = getattr(ev, "at", None)
    if not isinstance(at, datetime) or at.utcoffset() is None:
        found: InvalidInputError | None = None
        try:
            to_epoch_us(at, "at")  # type: ignore[arg-type]
        except InvalidInputError as exc:  # the type of the instant, in our words
            found = exc
        if found is not None:
            return _refuse(entry, index, found.problem_type, str(found).removeprefix("at: "),
                           type(found), field="at")
    return _refuse(entry, index, "malformed_event",
                   f"a {type(ev).__name__} whose fields do not validate")


def _too_early(history: History, entry: int | None) -> CalendarError:
    index = next((i for i, ev in enumerate(history)
                  if (ev.at - EPOCH) // ONE_US < EPOCH_US_MIN), 0)  # the caller found one
    error = _refuse(entry, index, "calendar",
                    "instant before the years 2 to 9998 business time is computed for",
                    CalendarError, field="at")
    assert isinstance(error, CalendarError)
    return error


def _before_creation(history: History, keep: list[tuple[int, Event]],
                     entry: int | None) -> InvalidInputError:
    """The error for a history whose first event known at now (by instant, then by list
    order) is not its creation: it names that event, and the creation if one is known."""
    first = keep[0][1]
    index = next(i for i, ev in enumerate(history) if ev is first)
    creation = next((ev for _, ev in keep if type(ev) in CREATIONS), None)
    if creation is None:
        return _refuse(entry, index, "no_creation",
                       "the history has no creation event known at now (a TicketCreated "
                       "or CaseStarted); a history starts with its creation")
    at = next(i for i, ev in enumerate(history) if ev is creation)
    return _refuse(entry, index, "before_creation",
                   f"comes before the creation event (events[{at}]); a history starts "
                   "with its creation")


def _second_creation(history: History, now: int, entry: int | None) -> InvalidInputError:
    """The error for a history the fold found two creations in (known at ``now``)."""
    found: list[int] = []
    ids: set[str] = set()
    for index, ev in enumerate(history):
        if type(ev) in CREATIONS and (ev.at - EPOCH) // ONE_US <= now and (
                ev.event_id not in ids):
            ids.add(ev.event_id)
            found.append(index)
    first, second = found[0], found[1]  # the fold met two
    return _refuse(entry, second, "second_creation",
                   f"a second creation event (events[{first}] started this history); a "
                   "history has one TicketCreated or CaseStarted")
