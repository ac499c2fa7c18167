"""The SLA engine: a pure fold over a ticket's events, then calendar arithmetic in batches.

Phase 1 (``_fold``) walks the events once, in order, with integer microseconds: it opens,
pauses, resumes, stops and cancels clocks and records, per clock, the intervals in which it
counted. No calendar arithmetic happens here.

Phase 2 (``_finish``) turns intervals into business time for many clocks at once: one
vectorised ``elapsed`` over every interval, then one vectorised ``add`` over every instant a
report needs (due, breach, warning and escalation instants). ``evaluate`` runs both phases on
one ticket, ``evaluate_many`` on many, so the two agree by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from servicekit.calendar import BusinessCalendar
from servicekit.calendar._convert import instant_us
from servicekit.calendar._timeline import EPOCH, from_us
from servicekit.errors import InvalidInputError
from servicekit.events import (
    AgentReplied,
    CustomerReplied,
    Event,
    PriorityChanged,
    StatusChanged,
    TicketCancelled,
    TicketClosed,
    TicketCreated,
    TicketReopened,
    TicketResolved,
)
from servicekit.rules import Decision, format_hours
from servicekit.sla._policy import Metric, SlaPolicy

State = Literal["running", "paused", "met", "breached", "cancelled"]
ONE_US = timedelta(microseconds=1)

CYCLIC = ("next_response", "periodic_update")


# -- phase 1: the fold ---------------------------------------------------------------------


@dataclass(slots=True)
class _Clock:
    metric: str
    target: int
    pausable: bool
    started: int
    bounds: list[int] = field(default_factory=list)  # flat [s0, e0, s1, e1, ...]; odd: open
    stopped: int | None = None
    cancelled: bool = False

    @property
    def running(self) -> bool:
        return len(self.bounds) % 2 == 1

    def pause(self, t: int) -> None:
        if self.running:
            self.bounds.append(t)

    def resume(self, t: int) -> None:
        if not self.running and self.stopped is None and not self.cancelled:
            self.bounds.append(t)

    def stop(self, t: int) -> None:
        if self.stopped is None and not self.cancelled:
            self.pause(t)
            self.stopped = t

    def cancel(self, t: int) -> None:
        if self.stopped is None and not self.cancelled:
            self.pause(t)
            self.cancelled = True
            self.stopped = t


@dataclass(slots=True)
class _Fold:
    """What the fold of one ticket's events produced."""

    ticket_id: str
    events: tuple[tuple[int, Event], ...]  # (instant, event), in order
    now: int
    clocks: dict[str, _Clock] = field(default_factory=dict)  # current or last clock per metric
    closed_cycles: dict[str, list[_Clock]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    trace: list[str] | None = None


def _prepare(events: Iterable[Event], now: int) -> tuple[tuple[int, Event], ...]:
    """Order by time (stable), drop repeated ids and events after ``now``."""
    seen: set[str] = set()
    keep: list[tuple[int, Event]] = []
    ordered = True
    last = None
    for index, ev in enumerate(events):
        if not isinstance(ev, Event):
            raise InvalidInputError(
                f"events[{index}]: expected a servicekit event, got {type(ev).__name__}"
            )
        at = _event_us(ev, index)
        if at > now:
            continue  # not known yet: it neither counts nor claims its id
        event_id = ev.event_id
        if event_id in seen:
            continue
        seen.add(event_id)
        if last is not None and at < last:
            ordered = False
        last = at
        keep.append((at, ev))
    if not ordered:
        keep.sort(key=_by_instant)  # stable: equal instants keep their input order
    return tuple(keep)


def _by_instant(item: tuple[int, Event]) -> int:
    return item[0]


def _event_us(ev: Event, index: int) -> int:
    at = ev.at
    if at.tzinfo is None:  # validated events are aware; only model_construct gets here
        return instant_us(at, f"events[{index}].at")
    return (at - EPOCH) // ONE_US


def _facts_of(created: TicketCreated) -> dict[str, Any]:
    return {
        **created.attributes,
        "priority": created.priority,
        "channel": created.channel,
        "category": created.category,
        "customer_tier": created.customer_tier,
    }


def _targets(policy: SlaPolicy, facts: dict[str, Any]) -> dict[str, int]:
    """Targets in microseconds, memoised on the facts that choose them (when those are all)."""
    if len(facts) > 4 and policy.target_table is not None:
        chosen = policy.select(facts)  # attributes may matter to the table: no memo
        return {metric: td // ONE_US for metric, td in chosen.items()}
    key = (facts.get("priority"), facts.get("channel"), facts.get("category"),
           facts.get("customer_tier"))
    cache = policy.__pydantic_private__["_targets_us"]  # type: ignore[index]
    found: dict[str, int] | None = cache.get(key)
    if found is None:
        chosen = policy.select(facts)
        found = cache[key] = {metric: td // ONE_US for metric, td in chosen.items()}
    return found


def _routes(policy: SlaPolicy) -> dict[type[Event], tuple[Metric, ...]]:
    """For each event class, the custom metrics whose selectors mention it."""
    found = policy.__pydantic_private__["_routes"]  # type: ignore[index]
    if found is None:
        found = {}
        for metric in policy.metrics:
            kinds = {sel.partition(":")[0] for sel in
                     (*metric.start_on, *metric.stop_on, *metric.cancel_on)}
            for cls in Event.__subclasses__():
                if cls.__name__ in kinds:
                    found[cls] = (*found.get(cls, ()), metric)
        policy.__pydantic_private__["_routes"] = found  # type: ignore[index]
    return found  # type: ignore[no-any-return]


class _Folder:
    """Folds one ticket's events into clocks. One method per kind of event."""

    def __init__(self, policy: SlaPolicy, out: _Fold, *, track_all: bool = False) -> None:
        self.policy = policy
        # track_all: clocks without a target are kept too (target -1), so that a priority
        # change that gives them one can count them from their real start
        self.track_all = track_all
        self.untracked: set[str] = set()  # started without a target
        self.needs_all = False  # a priority change gave one of those a target
        # metrics with targets per priority: an upgrade may give them one, so they are always
        # kept (without a target, target -1) rather than refolded for
        self.keep = policy.targets.keys()
        self.out = out
        self.clocks = out.clocks
        self.trace = out.trace
        self.routes = _routes(policy)
        self.targets: dict[str, int] = {}
        self.status = ""
        self.paused = False
        self.replied = False  # a public agent reply happened
        self.finished = False  # resolved, closed or cancelled

    def note(self, t: int, text: str) -> None:
        if self.trace is not None:
            self.trace.append(f"{_iso(t, self.policy.calendar.zone)}  {text}")

    def start(self, metric: str, t: int, *, pausable: bool) -> None:
        target = self.targets.get(metric)
        if target is None:
            if not self.track_all and metric not in self.keep:
                self.untracked.add(metric)
                if self.trace is not None:
                    self.note(t, f"{metric}: no target for this ticket, not tracked")
                return
            target = -1
        clock = _Clock(metric, target, pausable, t)
        if not (pausable and self.paused):
            clock.bounds.append(t)
        self.clocks[metric] = clock
        if self.trace is not None:
            self.note(t, f"{metric}: started, target {format_hours(ONE_US * target)}")

    def close_cycle(self, metric: str, t: int, *, cancel: bool) -> None:
        clock = self.clocks.get(metric)
        if clock is None or clock.stopped is not None:
            return
        if cancel:
            clock.cancel(t)
            self.note(t, f"{metric}: cycle cancelled")
        else:
            clock.stop(t)
            self.out.closed_cycles.setdefault(metric, []).append(clock)
            self.note(t, f"{metric}: cycle closed")

    def run(self, events: tuple[tuple[int, Event], ...]) -> None:
        handlers = {
            TicketCreated: self.created,
            PriorityChanged: self.priority_changed,
            AgentReplied: self.agent_replied,
            CustomerReplied: self.customer_replied,
            StatusChanged: self.status_changed,
            TicketResolved: self.finish,
            TicketClosed: self.finish,
            TicketCancelled: self.finish,
            TicketReopened: self.reopened,
        }
        routes = self.routes
        pause_statuses = self.policy.pause_statuses
        tracing = self.trace is not None
        for t, ev in events:
            kind = type(ev)
            if tracing:
                self.note(t, ev.selector)
            handler = handlers.get(kind)
            if handler is not None:
                handler(t, ev)
            custom = routes.get(kind)
            if custom:
                self.custom(t, ev, custom)
            if (self.status in pause_statuses) != self.paused or kind is TicketReopened:
                self.follow_status(t, kind)

    def created(self, t: int, ev: Event) -> None:
        assert isinstance(ev, TicketCreated)
        self.out.facts = _facts_of(ev)
        self.targets = _targets(self.policy, self.out.facts)
        self.status = "new"
        self.paused = "new" in self.policy.pause_statuses
        self.start("first_response", t, pausable=False)
        self.start("resolution", t, pausable=True)

    def priority_changed(self, t: int, ev: Event) -> None:
        assert isinstance(ev, PriorityChanged)
        self.out.facts["priority"] = ev.priority
        self.targets = targets = _targets(self.policy, self.out.facts)
        if not self.track_all and any(m in targets for m in self.untracked):
            self.needs_all = True  # fold again, tracking every clock from its start
        for clock in self.clocks.values():
            if clock.stopped is None and clock.metric in targets:
                clock.target = targets[clock.metric]  # retroactive: from the clock's start
                if self.trace is not None:
                    self.note(t, f"{clock.metric}: re-targeted to "
                                 f"{format_hours(ONE_US * clock.target)} from its start")

    def agent_replied(self, t: int, ev: Event) -> None:
        assert isinstance(ev, AgentReplied)
        if not ev.public:
            return
        first = self.clocks.get("first_response")
        if first is not None and first.stopped is None:
            first.stop(t)
            self.note(t, "first_response: stopped")
        self.close_cycle("next_response", t, cancel=False)
        if not self.finished:
            self.close_cycle("periodic_update", t, cancel=False)
            self.start("periodic_update", t, pausable=False)
        self.replied = True

    def customer_replied(self, t: int, ev: Event) -> None:
        current = self.clocks.get("next_response")
        if self.replied and not self.finished and (current is None
                                                   or current.stopped is not None):
            self.start("next_response", t, pausable=False)

    def status_changed(self, t: int, ev: Event) -> None:
        assert isinstance(ev, StatusChanged)
        self.status = ev.status

    def finish(self, t: int, ev: Event) -> None:
        """Resolved, closed or cancelled: reply clocks end, resolution stops (or cancels)."""
        cancel = isinstance(ev, TicketCancelled)
        self.status = ("cancelled" if cancel
                       else "resolved" if isinstance(ev, TicketResolved) else "closed")
        first = self.clocks.get("first_response")
        if first is not None and first.stopped is None:
            first.cancel(t)
            self.note(t, "first_response: cancelled (no public agent reply)")
        for metric in CYCLIC:
            self.close_cycle(metric, t, cancel=True)
        resolution = self.clocks.get("resolution")
        if resolution is not None and resolution.stopped is None:
            if cancel:
                resolution.cancel(t)
                self.note(t, "resolution: cancelled")
            else:
                resolution.stop(t)
                self.note(t, "resolution: stopped")
        self.finished = True

    def reopened(self, t: int, ev: Event) -> None:
        self.status = "open"
        self.finished = False
        resolution = self.clocks.get("resolution")
        if resolution is not None and resolution.stopped is not None and (
            not resolution.cancelled
        ):
            resolution.stopped = None
            resolution.target = self.targets.get("resolution", resolution.target)
            self.note(t, "resolution: resumed with its elapsed time")
        if self.replied:
            self.start("periodic_update", t, pausable=False)

    def custom(self, t: int, ev: Event, metrics: tuple[Metric, ...]) -> None:
        """Custom metrics this event can start, stop or cancel."""
        kind_name = type(ev).__name__
        selector = ev.selector
        clocks = self.clocks
        for metric in metrics:
            name = metric.name
            clock = clocks.get(name)
            if clock is None:
                if name in self.untracked or not (kind_name in metric.start_on
                                                  or selector in metric.start_on):
                    continue
                if name in self.targets or self.track_all or name in self.keep:
                    self.start(name, t, pausable=metric.pausable)
                else:
                    self.untracked.add(name)  # as start() would, without the call
                    if self.trace is not None:
                        self.note(t, f"{name}: no target for this ticket, not tracked")
            elif clock.stopped is None:
                if kind_name in metric.cancel_on or selector in metric.cancel_on:
                    clock.cancel(t)
                    self.note(t, f"{name}: cancelled")
                elif kind_name in metric.stop_on or selector in metric.stop_on:
                    clock.stop(t)
                    self.note(t, f"{name}: stopped")

    def follow_status(self, t: int, kind: type[Event]) -> None:
        """Pausable clocks pause while the status is a pause status, and resume after."""
        paused = self.status in self.policy.pause_statuses
        if paused != self.paused:
            self.paused = paused
            for clock in self.clocks.values():
                if clock.pausable and clock.stopped is None:
                    if paused:
                        clock.pause(t)
                    else:
                        clock.resume(t)
            if self.trace is not None:
                self.note(t, f"status {self.status!r}: pausable clocks "
                             f"{'paused' if paused else 'resumed'}")
        elif kind is TicketReopened and not paused:
            resolution = self.clocks.get("resolution")
            if resolution is not None:
                resolution.resume(t)


def _fold(policy: SlaPolicy, events: tuple[tuple[int, Event], ...], ticket_id: str, now: int,
          trace: list[str] | None = None) -> _Fold:
    out = _Fold(ticket_id, events, now, trace=trace)
    folder = _Folder(policy, out)
    folder.run(events)
    if folder.needs_all:  # rare: an upgrade gave a target to a clock that had none
        out = _Fold(ticket_id, events, now, trace=None if trace is None else [])
        _Folder(policy, out, track_all=True).run(events)
        if trace is not None:
            trace[:] = out.trace or []
        for metric in [m for m, c in out.clocks.items() if c.target < 0]:
            del out.clocks[metric]  # still without a target: not tracked
    return out


def _iso(t: int, zone: ZoneInfo) -> str:
    return from_us(t, zone).isoformat()


# -- phase 2: business time in batches ---------------------------------------------------------


class MetricStatus(NamedTuple):
    """Where one clock stands at the report's ``now`` (an immutable value).

    ``state`` is ``running``, ``paused``, ``met``, ``breached`` or ``cancelled``; ``elapsed`` is
    business time on the metric's calendar, ``remaining == target - elapsed`` (negative once
    breached). ``due_at`` is when ``elapsed`` reaches the target (for a paused clock that has
    not reached it: unknown, ``None``; for a stopped clock: when it would have been due had it
    kept running); ``breached_at`` is the first instant ``elapsed`` exceeded the target. For
    ``next_response`` and ``periodic_update`` the status is the current (or last) cycle's, and
    ``cycles`` / ``breached_cycles`` count all of them.
    """

    metric: str
    state: State
    target: timedelta
    elapsed: timedelta
    warnings: tuple[float, ...]
    cycles: int
    breached_cycles: int
    started_us: int
    due_us: int | None
    breached_us: int | None
    stopped_us: int | None
    zone: ZoneInfo
    counting: bool

    @property
    def remaining(self) -> timedelta:
        return self.target - self.elapsed

    @property
    def started_at(self) -> datetime:
        return from_us(self.started_us, self.zone)

    @property
    def due_at(self) -> datetime | None:
        return None if self.due_us is None else from_us(self.due_us, self.zone)

    @property
    def breached_at(self) -> datetime | None:
        return None if self.breached_us is None else from_us(self.breached_us, self.zone)

    @property
    def stopped_at(self) -> datetime | None:
        return None if self.stopped_us is None else from_us(self.stopped_us, self.zone)

    @property
    def running(self) -> bool:
        """Whether the clock is counting now (a breached clock may still be; a paused one not)."""
        return self.counting

    def __repr__(self) -> str:
        return (
            f"MetricStatus({self.metric!r}, state={self.state!r}, target={self.target}, "
            f"elapsed={self.elapsed}, due_at={self.due_at})"
        )


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
    queries: list[int]  # index into the calendar's add batch, -1 when never reached
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
            cal._timeline.elapsed_many_us(np.asarray(a, dtype=np.int64),
                                          np.asarray(b, dtype=np.int64)).tolist()
            for cal, a, b in zip(self.calendars, self.a, self.b, strict=True)
        ]

    def run_add(self) -> None:
        self.instants = [
            cal._timeline.add_many_us(np.asarray(s, dtype=np.int64),
                                      np.asarray(d, dtype=np.int64)).tolist()
            for cal, s, d in zip(self.calendars, self.qs, self.qd, strict=True)
        ]


def _intervals(clock: _Clock, now: int) -> list[tuple[int, int]]:
    b = clock.bounds
    n = len(b)
    if n == 1:
        return [(b[0], now)]
    if n == 2:
        return [(b[0], b[1])]
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
        self.same: dict[tuple[str, int], list[int]] = {}

    def first_equal(self, metric: str, target: int) -> list[int]:
        """For each amount, the index of an earlier equal amount (-1: none)."""
        key = (metric, target)
        found = self.same.get(key)
        if found is None:
            amounts = self(metric, target)
            found = [next((j for j in range(i) if amounts[j] == a), -1)
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
            start = bounds[0] if bounds else 0
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
            queries.extend([-1] * len(amounts))
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
            if earlier >= 0 and queries[earlier] >= 0:
                queries.append(queries[earlier])  # the same amount: the same instant
                continue
            if index < n_warn:
                needed = running and elapsed < amount
            elif index == n_warn + 1:
                needed = elapsed > target or (running and not cancelled)
            else:
                needed = amount >= 0
            q = -1
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


_STATES: tuple[State, ...] = ("running", "paused", "met", "breached", "cancelled")


class _Columns:
    """Computed statuses of many tickets as flat lists: few objects, whatever the count.

    One row per clock; ``ticket_rows[i]`` is the first row of the i-th ticket (plus a final
    end marker); ``instants`` holds each row's ``n_amounts`` instants (-1: never reached).
    """

    def __init__(self, policy: SlaPolicy, calendars: list[BusinessCalendar]) -> None:
        self.policy = policy
        self.zones = [c.zone for c in calendars]
        self.n_amounts = 0
        self.ticket_ids: list[str] = []
        self.now: list[int] = []
        self.next_check: list[int] = []  # -1: none
        self.ticket_rows: list[int] = [0]
        self.metric: list[str] = []
        self.state: list[int] = []
        self.target: list[int] = []
        self.elapsed: list[int] = []
        self.warnings: list[int] = []  # bit i: warn_at[i] crossed
        self.cycles: list[int] = []
        self.breached_cycles: list[int] = []
        self.started: list[int] = []
        self.stopped: list[int] = []  # -1: not stopped
        self.calendar: list[int] = []
        self.running: list[int] = []  # 1: counting at now
        self.instants: list[int] = []

    def extend(self, other: _Columns) -> None:
        rows = len(self.metric)
        for name in ("ticket_ids", "now", "next_check", "metric", "state", "target", "elapsed",
                     "warnings", "cycles", "breached_cycles", "started", "stopped", "calendar",
                     "running", "instants"):
            getattr(self, name).extend(getattr(other, name))
        self.ticket_rows.extend(rows + r for r in other.ticket_rows[1:])
        self.n_amounts = max(self.n_amounts, other.n_amounts)

    def status(self, row: int) -> MetricStatus:
        policy = self.policy
        n_warn = len(policy.warn_at)
        base = row * self.n_amounts
        state = _STATES[self.state[row]]
        due = self.instants[base + n_warn]
        breach = self.instants[base + n_warn + 1]
        stopped = self.stopped[row]
        bits = self.warnings[row]
        return MetricStatus(
            self.metric[row], state, ONE_US * self.target[row], ONE_US * self.elapsed[row],
            tuple(w for i, w in enumerate(policy.warn_at) if bits >> i & 1),
            self.cycles[row], self.breached_cycles[row], self.started[row],
            None if due < 0 else due, breach if state == "breached" and breach >= 0 else None,
            None if stopped < 0 else stopped, self.zones[self.calendar[row]],
            bool(self.running[row]),
        )

    def report(self, index: int, source: _Fold | Callable[[], _Fold]) -> SlaReport:
        statuses: dict[str, MetricStatus] = {}
        instants: dict[str, list[int | None]] = {}
        k = self.n_amounts
        for row in range(self.ticket_rows[index], self.ticket_rows[index + 1]):
            status = self.status(row)
            statuses[status.metric] = status
            instants[status.metric] = [
                None if v < 0 else v for v in self.instants[row * k:(row + 1) * k]
            ]
        nxt = self.next_check[index]
        return SlaReport(self.policy, self.ticket_ids[index], self.now[index], source, statuses,
                         instants, None if nxt < 0 else nxt)


def _columns(policy: SlaPolicy, folds: Sequence[_Fold], pending: list[_Pending],
             elapsed_of: list[int], batch: _Batch) -> _Columns:
    """Phase 3: statuses and next check instants, as columns."""
    out = _Columns(policy, batch.calendars)
    n_warn = len(policy.warn_at)
    out.n_amounts = k = n_warn + 2 + (len(policy.escalation.levels) if policy.escalation else 0)
    by_fold: list[list[tuple[_Pending, int]]] = [[] for _ in folds]
    for p, elapsed in zip(pending, elapsed_of, strict=True):
        by_fold[p.fold_index].append((p, elapsed))
    instants_out = out.instants
    checks = (*range(n_warn), n_warn + 1)  # the instants at which a running clock changes
    for fi, fold in enumerate(folds):
        next_check = -1
        for p, elapsed in by_fold[fi]:
            clock = p.clock
            found = batch.instants[p.calendar]
            base = len(instants_out)
            instants_out.extend([-1 if q < 0 else found[q] for q in p.queries])
            if len(p.queries) < k:
                instants_out.extend([-1] * (k - len(p.queries)))  # levels out of scope
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
            out.stopped.append(-1 if clock.stopped is None else clock.stopped)
            out.calendar.append(p.calendar)
            out.running.append(1 if running and not clock.cancelled else 0)
            if running and not clock.cancelled:
                # the next change: a warning to cross, or the breach (reaching the target
                # itself changes nothing: a clock at its target is still within it)
                for i in checks:
                    instant = instants_out[base + i]
                    if instant >= 0 and elapsed < amounts[i] and (
                        next_check < 0 or instant < next_check
                    ):
                        next_check = instant
        out.ticket_ids.append(fold.ticket_id)
        out.now.append(fold.now)
        out.next_check.append(next_check)
        out.ticket_rows.append(len(out.metric))
    return out


# -- the report --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """An escalation level reached (or due next) for a metric, and when."""

    level: int
    notify: str
    metric: str
    at: datetime
    trigger: float | str


@dataclass(frozen=True, slots=True)
class Escalations:
    reached: tuple[EscalationStep, ...]
    next: EscalationStep | None


@dataclass(frozen=True, slots=True)
class Remedy:
    """What a breached public commitment owes the customer (K-06), from the remedy table."""

    metric: str
    remedies: tuple[Mapping[str, Any], ...]
    decision: Decision


class SlaReport(Mapping[str, MetricStatus]):
    """A read-only mapping from metric name to :class:`MetricStatus`, at ``now``.

    Only the metrics tracked on the ticket are present (a metric needs a target, and a cycle
    metric a first cycle). ``next_check_at`` is the earliest future instant at which a state or
    a warning changes if nothing else happens: call back then, no timer needed.
    """

    __slots__ = ("_instants", "_next", "_now", "_policy", "_source", "_statuses", "_ticket_id")

    def __init__(  # noqa: PLR0917 - internal: built by the engine only
        self, policy: SlaPolicy, ticket_id: str, now: int,
        source: _Fold | Callable[[], _Fold], statuses: dict[str, MetricStatus],
        instants: dict[str, list[int | None]], next_check: int | None,
    ) -> None:
        self._policy = policy
        self._ticket_id = ticket_id
        self._now = now
        self._source = source  # the fold, or how to redo it (for explain and remedies)
        self._statuses = statuses
        self._instants = instants
        self._next = next_check

    def _folded(self) -> _Fold:
        if not isinstance(self._source, _Fold):
            self._source = self._source()
        return self._source

    def __getitem__(self, metric: str) -> MetricStatus:
        return self._statuses[metric]

    def __iter__(self) -> Iterator[str]:
        return iter(self._statuses)

    def __len__(self) -> int:
        return len(self._statuses)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SlaReport):
            return NotImplemented
        # the clocks, the next check and the instant: a report's value (how the ticket is
        # called is the host's business, and an empty history has no id to give)
        return (self._statuses == other._statuses and self._next == other._next
                and self._now == other._now)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}: {v.state}" for k, v in self._statuses.items())
        return f"SlaReport({self._ticket_id!r}, {{{inner}}})"

    @property
    def ticket_id(self) -> str:
        return self._ticket_id

    @property
    def now(self) -> datetime:
        return from_us(self._now, self._policy.calendar.zone)

    @property
    def provisional(self) -> bool:
        """Whether an instant of this report depends on holiday data that is not authoritative.

        True when a clock's start, stop, due, breach or the next check falls on a date its
        calendar does not :meth:`cover <servicekit.calendar.BusinessCalendar.covers>` (a China
        calendar with ``beyond_coverage="statutory"``, past the years chinesecalendar knows).
        Such instants may move once the year's schedule is announced.
        """
        for metric, status in self._statuses.items():
            calendar = self._policy.calendar_for(metric)
            instants = [status.started_us, status.due_us, status.breached_us, status.stopped_us,
                        self._next]
            for us in instants:
                if us is not None and not calendar.covers(from_us(us, calendar.zone)):
                    return True
        return False

    @property
    def next_check_at(self) -> datetime | None:
        return None if self._next is None else from_us(self._next, self._policy.calendar.zone)

    def escalations(self, now: datetime | None = None) -> Escalations:
        """Escalation levels reached by ``now`` (default: the report's), and the next one.

        A level is reached when a clock in its scope got that far: its fraction of the target
        (or the breach). For a later ``now``, running clocks are projected as if nothing else
        happens; paused, stopped and cancelled clocks reach no further level.
        """
        policy = self._policy
        ladder = policy.escalation
        if ladder is None:
            return Escalations((), None)
        at = self._now if now is None else instant_us(now, "now")
        first_level = len(policy.warn_at) + 2
        amounts_of = _Amounts(policy)
        zone = policy.calendar.zone
        reached: list[EscalationStep] = []
        upcoming: list[EscalationStep] = []
        for metric, status in self._statuses.items():
            if status.state == "cancelled":
                continue
            got = self._instants[metric]
            elapsed = status.elapsed // ONE_US
            amounts = amounts_of(metric, status.target // ONE_US)
            for i, level in enumerate(ladder.levels):
                amount, instant = amounts[first_level + i], got[first_level + i]
                if amount < 0 or instant is None:
                    continue
                if amount > elapsed and not status.counting:
                    continue  # not reached, and this clock is not counting towards it
                step = EscalationStep(level.level, level.notify, metric, from_us(instant, zone),
                                      level.at)
                (reached if amount <= elapsed or instant <= at else upcoming).append(step)
        reached.sort(key=lambda s: (s.level, s.at))
        upcoming.sort(key=lambda s: (s.at, s.level))
        reached_levels = {s.level for s in reached}
        nxt = next((s for s in upcoming if s.level not in reached_levels), None)
        return Escalations(tuple(reached), nxt)

    def remedies(self) -> list[Remedy]:
        """Remedies owed for breached public commitments (K-06), via the remedy table."""
        policy = self._policy
        if policy.remedy_table is None:
            return []
        facts = self._folded().facts
        breaches = sum(  # breached public commitments on this ticket (cycles included)
            s.breached_cycles for m, s in self._statuses.items() if m in policy.public_commitments
        )
        out = []
        for metric in sorted(policy.public_commitments):
            status = self._statuses.get(metric)
            if status is None or status.breached_cycles == 0:
                continue
            decision = policy.remedy_table.decide({
                "commitment_missed": True,
                "metric": metric,
                "priority": facts.get("priority"),
                "channel": facts.get("channel"),
                "customer": {"tier": facts.get("customer_tier")},
                "repeat_breaches": breaches,
            })
            value = decision.value
            remedies = value if isinstance(value, tuple) else (() if value is None else (value,))
            out.append(Remedy(metric, remedies, decision))
        return out

    def explain(self) -> str:
        """Why each clock is where it is, event by event."""
        trace: list[str] = []
        fold = self._folded()
        _fold(self._policy, fold.events, fold.ticket_id, fold.now, trace)
        lines = [f"SLA policy {self._policy.name!r}, ticket {self._ticket_id!r}, "
                 f"at {self.now.isoformat()}", "events:"]
        lines += [f"  {line}" for line in trace]
        lines.append("clocks:")
        for metric, s in self._statuses.items():
            cal = self._policy.calendar_for(metric)
            lines.append(
                f"  {metric}: {s.state}; elapsed {format_hours(s.elapsed)} of "
                f"{format_hours(s.target)} on the {cal.tz} calendar"
                + (f"; due {s.due_at.isoformat()}" if s.due_at else "")
                + (f"; breached {s.breached_at.isoformat()}" if s.breached_at else "")
                + (f"; warnings {list(s.warnings)}" if s.warnings else "")
                + (f"; {s.breached_cycles} of {s.cycles} cycles breached"
                   if metric in CYCLIC else "")
            )
        if self.next_check_at is not None:
            lines.append(f"next check: {self.next_check_at.isoformat()}")
        return "\n".join(lines)


# -- entry points ------------------------------------------------------------------------------


def evaluate(policy: SlaPolicy, events: Iterable[Event], now: datetime) -> SlaReport:
    """The SLA report of one ticket's events at ``now`` (events after ``now`` are ignored)."""
    if not isinstance(policy, SlaPolicy):
        raise InvalidInputError(f"policy: expected an SlaPolicy, got {type(policy).__name__}")
    now_us = instant_us(now, "now")
    prepared = _prepare(events, now_us)
    ticket_id = prepared[0][1].ticket_id if prepared else ""  # as known at now
    fold = _fold(policy, prepared, ticket_id, now_us)
    return _finish(policy, [fold]).report(0, fold)


class SlaBatch(Mapping[str, SlaReport]):
    """The result of :func:`evaluate_many`: a mapping from ticket id to :class:`SlaReport`.

    Every ticket's business time is computed when the batch is made; the report objects are
    built only when asked for (``batch["T-1"]``), and :meth:`columns` gives everything as
    flat columns for a data frame, without building any.
    """

    __slots__ = ("_columns", "_events", "_index")

    def __init__(self, columns: _Columns, events: Mapping[str, Iterable[Event]]) -> None:
        self._columns = columns
        self._events = events
        self._index = {tid: i for i, tid in enumerate(columns.ticket_ids)}

    def __getitem__(self, ticket_id: str) -> SlaReport:
        index = self._index[ticket_id]
        cols = self._columns
        policy, now = cols.policy, cols.now[index]
        events = self._events[ticket_id]

        def refold() -> _Fold:
            return _fold(policy, _prepare(events, now), ticket_id, now)

        return cols.report(index, refold)

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"SlaBatch({len(self)} tickets, {len(self._columns.metric)} clocks)"

    def columns(self) -> dict[str, Any]:
        """One row per (ticket, metric): numpy arrays ready for a data frame.

        ``ticket_id``, ``metric``, ``state`` (strings); ``target``, ``elapsed``, ``remaining``
        (``timedelta64[us]``); ``started_at``, ``due_at``, ``breached_at``, ``stopped_at``
        (``datetime64[us]`` UTC, NaT when none); ``warnings`` (a bit per ``warn_at`` threshold
        crossed); ``cycles``, ``breached_cycles`` (int64).
        """
        cols = self._columns
        n_warn = len(cols.policy.warn_at)
        k = cols.n_amounts
        rows = len(cols.metric)
        instants = np.asarray(cols.instants, dtype=np.int64).reshape(rows, k) if rows else (
            np.zeros((0, max(k, 2)), dtype=np.int64))
        per_ticket = np.diff(np.asarray(cols.ticket_rows, dtype=np.int64))
        state = np.asarray(_STATES, dtype=object)[np.asarray(cols.state, dtype=np.int64)]

        def stamp(values: Any, mask: Any = None) -> Any:
            arr = np.asarray(values, dtype=np.int64)
            bad = arr < 0 if mask is None else (arr < 0) | mask
            return np.where(bad, np.iinfo(np.int64).min, arr).view("datetime64[us]")

        target = np.asarray(cols.target, dtype=np.int64)
        elapsed = np.asarray(cols.elapsed, dtype=np.int64)
        return {
            "ticket_id": np.repeat(np.asarray(cols.ticket_ids, dtype=object),
                                   per_ticket.astype(np.int64)),
            "metric": np.asarray(cols.metric, dtype=object),
            "state": state,
            "target": target.view("timedelta64[us]"),
            "elapsed": elapsed.view("timedelta64[us]"),
            "remaining": (target - elapsed).view("timedelta64[us]"),
            "started_at": stamp(cols.started),
            "due_at": stamp(instants[:, n_warn]),
            "breached_at": stamp(instants[:, n_warn + 1], state != "breached"),
            "stopped_at": stamp(cols.stopped),
            "warnings": np.asarray(cols.warnings, dtype=np.int64),
            "cycles": np.asarray(cols.cycles, dtype=np.int64),
            "breached_cycles": np.asarray(cols.breached_cycles, dtype=np.int64),
        }


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
    """:func:`evaluate` for many tickets at once, with the calendar arithmetic vectorised.

    ``batch[ticket_id] == evaluate(policy, events_by_ticket[ticket_id], now)`` for every
    ticket; the batch also gives all results as columns (:meth:`SlaBatch.columns`).
    """
    if not isinstance(policy, SlaPolicy):
        raise InvalidInputError(f"policy: expected an SlaPolicy, got {type(policy).__name__}")
    now_us = instant_us(now, "now")
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
