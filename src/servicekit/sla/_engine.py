"""The SLA engine's entry points: :func:`evaluate` (one case) and :func:`evaluate_many`.

Both run the same phases: the fold over each case's events (:mod:`servicekit.sla._fold`),
business time in batches and the columns (:mod:`servicekit.sla._batch`), and the report
objects over those columns (:mod:`servicekit.sla._report`); so the two agree by construction.
Both read each history once, at the boundary, and check it (:mod:`servicekit.sla._history`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from servicekit.calendar import to_epoch_us
from servicekit.errors import InvalidInputError
from servicekit.events import Event
from servicekit.sla._batch import _Columns, _finish
from servicekit.sla._fold import _Fold, _fold
from servicekit.sla._history import (
    History,
    Prepared,
    _materialise,
    _prepare,
    _second_creation,
    _TwoCreations,
)
from servicekit.sla._policy import SlaPolicy
from servicekit.sla._report import SlaBatch, SlaReport, _report_of


def _check_policy(policy: object) -> None:
    if not isinstance(policy, SlaPolicy):
        raise InvalidInputError(f"policy: expected an SlaPolicy, got {type(policy).__name__}")


def _checked_fold(policy: SlaPolicy, history: History, prepared: Prepared, *, ticket_id: str,
                  now: int, entry: int | None) -> _Fold:
    try:
        return _fold(policy, prepared, ticket_id, now)
    except _TwoCreations:
        pass
    raise _second_creation(history, now, entry)  # outside the handler: no __context__


def evaluate(policy: SlaPolicy, events: Iterable[Event], now: datetime) -> SlaReport:
    """The SLA report of one ticket's (or case's) events at ``now`` (events after ``now`` are
    ignored).

    ``events`` is any iterable of one stream's events (read once); a history of two streams,
    with two creation events, or with two different events under one id is refused with an
    :class:`~servicekit.errors.InvalidInputError` naming their positions.
    """
    _check_policy(policy)
    now_us = to_epoch_us(now, "now")
    history = _materialise(events)
    prepared = _prepare(history, now_us)
    ticket_id = prepared[0][1].stream_id if prepared else ""  # as known at now
    fold = _checked_fold(policy, history, prepared, ticket_id=ticket_id, now=now_us,
                         entry=None)
    return _report_of(_finish(policy, [fold]), 0, fold)


# Events folded and finished together (whole tickets, about this many events). Small chunks
# keep the intermediate objects so short-lived that they are freed before Python's garbage
# collector is triggered (its counter is allocations minus deallocations): with chunks of
# 20,000 events, collections of everything the host holds in memory cost a third of the time;
# with a few hundred, numpy's per-call overhead is still negligible and the collector hardly
# runs. (Counting events, not tickets, keeps this true for long histories too.)
_CHUNK_EVENTS = 512


def _merge(result: _Columns | None, columns: _Columns) -> _Columns:
    if result is None:
        return columns
    result.extend(columns)
    return result


def evaluate_many(
    policy: SlaPolicy, events_by_ticket: Mapping[str, Iterable[Event]], now: datetime
) -> SlaBatch:
    """:func:`evaluate` for many tickets (or cases) at once, with the calendar arithmetic
    vectorised.

    ``batch[ticket_id] == evaluate(policy, events_by_ticket[ticket_id], now)`` for every
    ticket; the batch also gives all results as columns (:meth:`SlaBatch.columns`). Each
    history is read once (any iterable will do) and must be the events of the stream it is
    filed under; errors name the entry by its position in the mapping, never by its key.
    """
    _check_policy(policy)
    now_us = to_epoch_us(now, "now")
    if not isinstance(events_by_ticket, Mapping):
        raise InvalidInputError(
            "events_by_ticket: expected a mapping of ticket ids to events, got "
            f"{type(events_by_ticket).__name__}"
        )
    result: _Columns | None = None
    folds: list[_Fold] = []
    # the batch's copy of every history, end to end in one list (offsets[i]: where the i-th
    # begins): two objects for the collector to track, however many tickets
    flat: list[Event] = []
    offsets = [0]
    ids: set[str] = set()
    pending_events = 0
    for entry, (ticket_id, events) in enumerate(events_by_ticket.items()):
        if not isinstance(ticket_id, str) or ticket_id in ids:
            where = f"events_by_ticket entry {entry}: "
            raise InvalidInputError(
                f"{where}expected a ticket id (str), got {type(ticket_id).__name__}"
                if not isinstance(ticket_id, str) else f"{where}a ticket id given twice"
            )
        ids.add(ticket_id)
        history = _materialise(events, entry)
        prepared = _prepare(history, now_us, ticket_id, entry)
        folds.append(_checked_fold(policy, history, prepared, ticket_id=ticket_id,
                                   now=now_us, entry=entry))
        flat += history
        offsets.append(len(flat))
        pending_events += len(prepared) + 1
        if pending_events >= _CHUNK_EVENTS:
            result = _merge(result, _finish(policy, folds))
            folds, pending_events = [], 0
    if folds or result is None:
        result = _merge(result, _finish(policy, folds))
    assert result is not None
    return SlaBatch(result, flat, offsets)
