"""Phases 2 and 3 of the SLA engine: business time for many clocks at once, then columns.

Phase 2 turns the intervals the fold recorded (:mod:`servicekit.sla._fold`) into business
time: one vectorised ``elapsed`` over every interval of every clock, per calendar, then one
vectorised ``add`` over every instant a report needs (due, breach, warning and escalation
instants), both on integer microseconds through
:meth:`BusinessCalendar.elapsed_many_us <servicekit.calendar.BusinessCalendar.elapsed_many_us>`
and :meth:`~servicekit.calendar.BusinessCalendar.add_many_us`. Phase 3 gathers the states and
the next check instants as flat columns (:class:`_Columns`), from which the report objects
(:mod:`servicekit.sla._report`) are built when asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from servicekit.calendar import BusinessCalendar
from servicekit.sla._fold import _Clock, _Fold
from servicekit.sla._policy import SlaPolicy

State = Literal["running", "paused", "met", "breached", "cancelled"]
_STATES: tuple[State, ...] = ("running", "paused", "met", "breached", "cancelled")

#: "no instant" in the columns: numpy's NaT as an int64, below every instant the calendar
#: computes (those of year 1969 are negative: -1 is 1969-12-31T23:59:59.999999 UTC)
_NONE = int(np.iinfo(np.int64).min)


@dataclass(slots=True)
class _Pending:
    """A clock waiting for phase 2, and the instants asked of it."""

    fold_index: int
    clock: _Clock
    calendar: int
    pairs: list[tuple[int, int]] | None  # None: a single interval, starting at ``start``
    start: int
    first_interval: int  # index into the calendar's interval batch
    amounts: list[int]
    queries: list[int | None]  # index into the calendar's add batch, None: not asked
    cycles: int
    breached_cycles: int


class _Batch:
    """Intervals and instant queries of many clocks, per calendar."""

    def __init__(self, calendars: list[BusinessCalendar]) -> None:
        self.calendars = calendars
        self.a: list[list[int]] = [[] for _ in calendars]
        self.b: list[list[int]] = [[] for _ in calendars]
        self.qs: list[list[int]] = [[] for _ in calendars]
        self.qd: list[list[int]] = [[] for _ in calendars]
        self.elapsed: list[list[int]] = []
        self.instants: list[list[int]] = []

    def run_elapsed(self) -> None:
        self.elapsed = [
            cal.elapsed_many_us(np.asarray(a, dtype=np.int64),
                                np.asarray(b, dtype=np.int64)).tolist()
            for cal, a, b in zip(self.calendars, self.a, self.b, strict=True)
        ]

    def run_add(self) -> None:
        self.instants = [
            cal.add_many_us(np.asarray(s, dtype=np.int64),
                            np.asarray(d, dtype=np.int64)).tolist()
            for cal, s, d in zip(self.calendars, self.qs, self.qd, strict=True)
        ]


def _intervals(clock: _Clock, now: int) -> list[tuple[int, int]]:
    b = clock.bounds
    pairs = [(b[i], b[i + 1]) for i in range(0, len(b) - 1, 2)]
    if len(b) % 2:
        pairs.append((b[-1], now))
    return pairs


def _ratio_threshold(target: int, ratio: tuple[int, int]) -> int:
    """``target * fraction`` in microseconds, rounded half to even as timedelta does."""
    n, d = ratio
    q, r = divmod(target * n, d)
    if 2 * r > d or (2 * r == d and q % 2):
        q += 1
    return q


class _Amounts:
    """The business-time amounts a report needs per clock: warnings, due, breach, levels."""

    def __init__(self, policy: SlaPolicy) -> None:
        self.warn = [w.as_integer_ratio() for w in policy.warn_at]
        self.levels: list[tuple[tuple[str, ...], tuple[int, int] | None]] = [
            (lv.metrics, None if lv.at == "breach" else float(lv.at).as_integer_ratio())
            for lv in (policy.escalation.levels if policy.escalation else ())
        ]
        self.cache: dict[tuple[str, int], list[int]] = {}
        self.same: dict[tuple[str, int], list[int | None]] = {}

    def first_equal(self, metric: str, target: int) -> list[int | None]:
        """For each amount, the index of an earlier equal amount (None: none)."""
        key = (metric, target)
        found = self.same.get(key)
        if found is None:
            amounts = self(metric, target)
            found = [next((j for j in range(i) if amounts[j] == a), None)
                     for i, a in enumerate(amounts)]
            self.same[key] = found
        return found

    def __call__(self, metric: str, target: int) -> list[int]:
        key = (metric, target)
        found = self.cache.get(key)
        if found is None:
            found = [_ratio_threshold(target, r) for r in self.warn] + [target, target + 1]
            for metrics, ratio in self.levels:
                if metrics and metric not in metrics:
                    found.append(-1)  # this level does not watch this metric
                else:
                    found.append(target + 1 if ratio is None else _ratio_threshold(target, ratio))
            self.cache[key] = found
        return found


def _finish(policy: SlaPolicy, folds: Sequence[_Fold]) -> _Columns:
    calendars: list[BusinessCalendar] = []
    metric_cal: dict[str, int] = {}
    for metric in policy.metric_names:
        calendar = policy.calendar_for(metric)
        position = next((i for i, c in enumerate(calendars) if c is calendar), None)
        if position is None:
            position = len(calendars)
            calendars.append(calendar)
        metric_cal[metric] = position
    batch = _Batch(calendars)
    pending, cycle_checks = _gather(folds, metric_cal, batch)
    batch.run_elapsed()
    elapsed_of = _locate(policy, pending, batch)
    _count_breached_cycles(pending, cycle_checks, batch)
    batch.run_add()
    return _columns(policy, folds, pending, elapsed_of, batch)


CycleCheck = tuple[int, int, int, int, int]
"""A closed cycle: (pending index, calendar, first interval, intervals, the cycle's target)."""


def _gather(folds: Sequence[_Fold], metric_cal: dict[str, int],
            batch: _Batch) -> tuple[list[_Pending], list[CycleCheck]]:
    """Phase 2a: every interval of every clock (closed cycles too) into the batch."""
    pending: list[_Pending] = []
    cycle_checks: list[CycleCheck] = []
    for fi, fold in enumerate(folds):
        now = fold.now
        for metric, clock in fold.clocks.items():
            if clock.target < 0:
                continue  # kept in case a priority change gave it a target; none came
            cal = metric_cal[metric]
            a, b = batch.a[cal], batch.b[cal]
            first = len(a)
            bounds = clock.bounds
            pairs: list[tuple[int, int]] | None = None
            if len(bounds) == 1:
                a.append(bounds[0])
                b.append(now)
            elif len(bounds) == 2:
                a.append(bounds[0])
                b.append(bounds[1])
            else:
                pairs = _intervals(clock, now)
                for s, e in pairs:
                    a.append(s)
                    b.append(e)
            start = bounds[0] if bounds else clock.started  # (never read: it never ran)
            closed = [c for c in fold.closed_cycles.get(metric, ()) if c.target >= 0]
            count = len(closed) + (0 if closed and closed[-1] is clock else 1)
            pending.append(_Pending(fi, clock, cal, pairs, start, first, [], [], count, 0))
            for cycle in closed:
                if cycle is clock:
                    continue
                cfirst = len(a)
                cpairs = _intervals(cycle, now)
                for s, e in cpairs:
                    a.append(s)
                    b.append(e)
                cycle_checks.append((len(pending) - 1, cal, cfirst, len(cpairs), cycle.target))
    return pending, cycle_checks


def _locate(policy: SlaPolicy, pending: list[_Pending], batch: _Batch) -> list[int]:
    """Phase 2b: each clock's elapsed time, and where each instant it needs lies.

    Only the instants a report uses are asked for: a warning's while it is still ahead of a
    running clock (for ``next_check_at``), the due instant, the breach instant once breached or
    while still ahead, and escalation levels (for ``escalations``).
    """
    amounts_of = _Amounts(policy)
    n_warn = len(policy.warn_at)
    elapsed_of: list[int] = []
    for p in pending:
        clock = p.clock
        bounds = clock.bounds
        p.amounts = amounts = amounts_of(clock.metric, clock.target)
        queries = p.queries
        if not bounds:  # started while paused, never ran
            elapsed_of.append(0)
            queries.extend([None] * len(amounts))
            continue
        pairs = p.pairs
        el = batch.elapsed[p.calendar]
        if pairs is None:
            values = [el[p.first_interval]]
            starts = [p.start]
        else:
            values = el[p.first_interval:p.first_interval + len(pairs)]
            starts = [s for s, _e in pairs]
        elapsed = sum(values)
        elapsed_of.append(elapsed)
        running = len(bounds) % 2 == 1
        cancelled = clock.cancelled
        projectable = not cancelled and (running or clock.stopped is not None)
        target = clock.target
        qs, qd = batch.qs[p.calendar], batch.qd[p.calendar]
        last = len(values) - 1
        same = amounts_of.first_equal(clock.metric, target)
        for index, amount in enumerate(amounts):
            earlier = same[index]
            if earlier is not None and queries[earlier] is not None:
                queries.append(queries[earlier])  # the same amount: the same instant
                continue
            if index < n_warn:
                needed = running and elapsed < amount
            elif index == n_warn + 1:
                needed = elapsed > target or (running and not cancelled)
            else:
                needed = amount >= 0
            q = None
            if needed:
                cum = 0
                for i, value in enumerate(values):
                    # reached inside this interval, or beyond the last one (projected)
                    if cum + value >= amount or (i == last and projectable):
                        q = len(qs)
                        qs.append(starts[i])
                        qd.append(amount - cum)
                        break
                    cum += value
            queries.append(q)
    return elapsed_of


def _count_breached_cycles(pending: list[_Pending], cycle_checks: list[CycleCheck],
                           batch: _Batch) -> None:
    for pi, cal, first, count, target in cycle_checks:
        if sum(batch.elapsed[cal][first:first + count]) > target:  # under its own target
            pending[pi].breached_cycles += 1


class _Columns:
    """Computed statuses of many cases as flat lists: few objects, whatever the count.

    One row per clock; ``ticket_rows[i]`` is the first row of the i-th case (plus a final
    end marker); ``instants`` holds each row's ``n_amounts`` instants (``_NONE``: never
    reached).
    """

    def __init__(self, policy: SlaPolicy, calendars: list[BusinessCalendar],
                 n_amounts: int) -> None:
        self.policy = policy
        self.zones = [c.zone for c in calendars]
        self.n_amounts = n_amounts
        self.ticket_ids: list[str] = []
        self.now: list[int] = []
        self.next_check: list[int] = []  # _NONE: none
        self.ticket_rows: list[int] = [0]
        self.metric: list[str] = []
        self.state: list[int] = []
        self.target: list[int] = []
        self.elapsed: list[int] = []
        self.warnings: list[int] = []  # bit i: warn_at[i] crossed
        self.cycles: list[int] = []
        self.breached_cycles: list[int] = []
        self.started: list[int] = []
        self.stopped: list[int] = []  # _NONE: not stopped
        self.calendar: list[int] = []
        self.running: list[bool] = []  # counting at now
        self.instants: list[int] = []

    def extend(self, other: _Columns) -> None:
        rows = len(self.metric)
        for name in ("ticket_ids", "now", "next_check", "metric", "state", "target", "elapsed",
                     "warnings", "cycles", "breached_cycles", "started", "stopped", "calendar",
                     "running", "instants"):
            getattr(self, name).extend(getattr(other, name))
        self.ticket_rows.extend(rows + r for r in other.ticket_rows[1:])
        assert self.n_amounts == other.n_amounts  # columns of one policy


def _columns(policy: SlaPolicy, folds: Sequence[_Fold], pending: list[_Pending],
             elapsed_of: list[int], batch: _Batch) -> _Columns:
    """Phase 3: statuses and next check instants, as columns."""
    n_warn = len(policy.warn_at)
    k = n_warn + 2 + (len(policy.escalation.levels) if policy.escalation else 0)
    out = _Columns(policy, batch.calendars, k)
    by_fold: list[list[tuple[_Pending, int]]] = [[] for _ in folds]
    for p, elapsed in zip(pending, elapsed_of, strict=True):
        by_fold[p.fold_index].append((p, elapsed))
    instants_out = out.instants
    checks = (*range(n_warn), n_warn + 1)  # the instants at which a running clock changes
    for fi, fold in enumerate(folds):
        next_check = _NONE
        for p, elapsed in by_fold[fi]:
            clock = p.clock
            found = batch.instants[p.calendar]
            base = len(instants_out)
            instants_out.extend([_NONE if q is None else found[q] for q in p.queries])
            target = clock.target
            running = len(clock.bounds) % 2 == 1
            if clock.cancelled:
                state = 4
            elif elapsed > target:
                state = 3
            elif clock.stopped is not None:
                state = 2
            elif running:
                state = 0
            else:
                state = 1
            amounts = p.amounts
            bits = 0
            for i in range(n_warn):
                if elapsed >= amounts[i]:
                    bits |= 1 << i
            out.metric.append(clock.metric)
            out.state.append(state)
            out.target.append(target)
            out.elapsed.append(elapsed)
            out.warnings.append(bits)
            out.cycles.append(p.cycles)
            out.breached_cycles.append(p.breached_cycles + (state == 3))
            out.started.append(clock.started)
            out.stopped.append(_NONE if clock.stopped is None else clock.stopped)
            out.calendar.append(p.calendar)
            counting = running and not clock.cancelled
            out.running.append(counting)
            if counting:
                # the next change: a warning to cross, or the breach (reaching the target
                # itself changes nothing: a clock at its target is still within it)
                for i in checks:
                    instant = instants_out[base + i]
                    if instant != _NONE and elapsed < amounts[i] and (
                        next_check == _NONE or instant < next_check
                    ):
                        next_check = instant
        out.ticket_ids.append(fold.ticket_id)
        out.now.append(fold.now)
        out.next_check.append(next_check)
        out.ticket_rows.append(len(out.metric))
    return out
