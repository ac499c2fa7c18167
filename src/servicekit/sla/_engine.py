"""The SLA engine's entry points: :func:`evaluate` (one case) and :func:`evaluate_many`.

Both run the same phases: the fold over each case's events (:mod:`servicekit.sla._fold`),
business time in batches and the columns (:mod:`servicekit.sla._batch`), and the report
objects over those columns (:mod:`servicekit.sla._report`); so the two agree by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from servicekit.calendar import to_epoch_us
from servicekit.errors import InvalidInputError
from servicekit.events import Event
from servicekit.sla._batch import _Columns, _finish
from servicekit.sla._fold import _Fold, _fold, _prepare
from servicekit.sla._policy import SlaPolicy
from servicekit.sla._report import SlaBatch, SlaReport, _report_of


def evaluate(policy: SlaPolicy, events: Iterable[Event], now: datetime) -> SlaReport:
    """The SLA report of one ticket's (or case's) events at ``now`` (events after ``now`` are
    ignored)."""
    if not isinstance(policy, SlaPolicy):
        raise InvalidInputError(f"policy: expected an SlaPolicy, got {type(policy).__name__}")
    now_us = to_epoch_us(now, "now")
    prepared = _prepare(events, now_us)
    ticket_id = prepared[0][1].stream_id if prepared else ""  # as known at now
    fold = _fold(policy, prepared, ticket_id, now_us)
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
    ticket; the batch also gives all results as columns (:meth:`SlaBatch.columns`).
    """
    if not isinstance(policy, SlaPolicy):
        raise InvalidInputError(f"policy: expected an SlaPolicy, got {type(policy).__name__}")
    now_us = to_epoch_us(now, "now")
    result: _Columns | None = None
    folds: list[_Fold] = []
    pending_events = 0
    for ticket_id, events in events_by_ticket.items():
        prepared = _prepare(events, now_us)
        folds.append(_fold(policy, prepared, ticket_id, now_us))
        pending_events += len(prepared) + 1
        if pending_events >= _CHUNK_EVENTS:
            result = _merge(result, _finish(policy, folds))
            folds, pending_events = [], 0
    if folds or result is None:
        result = _merge(result, _finish(policy, folds))
    assert result is not None
    return SlaBatch(result, events_by_ticket)
