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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from servicekit.calendar import BusinessCalendar
from servicekit.calendar._convert import instant_us
from servicekit.calendar._timeline import from_us
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
from servicekit.rules import Decision, format_duration
from servicekit.sla._policy import Metric, SlaPolicy

State = Literal["running", "paused", "met", "breached", "cancelled"]
ONE_US = timedelta(microseconds=1)
_TD_US = 1_000_000

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
    keep: list[tuple[int, int, Event]] = []
    for index, ev in enumerate(events):
        if not isinstance(ev, Event):
            raise InvalidInputError(
                f"events[{index}]: expected a servicekit event, got {type(ev).__name__}"
            )
        if ev.event_id in seen:
            continue
        seen.add(ev.event_id)
        at = instant_us(ev.at, f"events[{index}].at")
        if at <= now:
            keep.append((at, index, ev))
    keep.sort(key=lambda item: (item[0], item[1]))
    return tuple((at, ev) for at, _, ev in keep)


def _facts_of(created: TicketCreated) -> dict[str, Any]:
    return {
        **created.attributes,
        "priority": created.priority,
        "channel": created.channel,
        "category": created.category,
        "customer_tier": created.customer_tier,
    }


def _targets(policy: SlaPolicy, facts: dict[str, Any]) -> dict[str, int]:
    key: tuple[Any, ...] | None = (
        facts.get("priority"), facts.get("channel"), facts.get("category"),
        facts.get("customer_tier"),
    )
    if len(facts) > 4 and policy.target_table is not None:
        key = None  # attributes may matter to the table: no memo
    chosen = policy.select(facts) if key is None else policy.select_cached(key, facts)
    return {metric: td // ONE_US for metric, td in chosen.items()}


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

    def __init__(self, policy: SlaPolicy, out: _Fold) -> None:
        self.policy = policy
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
            if self.trace is not None:
                self.note(t, f"{metric}: no target for this ticket, not tracked")
            return
        clock = _Clock(metric, target, pausable, t)
        if not (pausable and self.paused):
            clock.bounds.append(t)
        self.clocks[metric] = clock
        if self.trace is not None:
            self.note(t, f"{metric}: started, target {_hours(ONE_US * target)}")

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
        for t, ev in events:
            kind = type(ev)
            if self.trace is not None:
                self.note(t, ev.selector)
            handler = handlers.get(kind)
            if handler is not None:
                handler(t, ev)
            custom = self.routes.get(kind)
            if custom:
                self.custom(t, ev, custom)
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
        for clock in self.clocks.values():
            if clock.stopped is None and clock.metric in targets:
                clock.target = targets[clock.metric]  # retroactive: from the clock's start
                if self.trace is not None:
                    self.note(t, f"{clock.metric}: re-targeted to "
                                 f"{_hours(ONE_US * clock.target)} from its start")

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
        for metric in metrics:
            name = metric.name
            clock = self.clocks.get(name)
            if clock is None:
                if name in self.targets and (kind_name in metric.start_on
                                             or selector in metric.start_on):
                    self.start(name, t, pausable=metric.pausable)
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
    _Folder(policy, out).run(events)
    return out


def _iso(t: int, zone: ZoneInfo) -> str:
    return from_us(t, zone).isoformat()


def _hours(value: timedelta) -> str:
    """A duration for people: hours rather than days (24 business hours are not a day)."""
    sign = "-" if value < timedelta(0) else ""
    hours, rest = divmod(abs(value), timedelta(hours=1))
    text = (f"{hours}h" if hours else "") + (format_duration(rest) if rest else "")
    return sign + (text or "0s")


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
        """Whether the clock is counting now (a breached clock may still be running)."""
        return self.state == "running" or (self.state == "breached" and self.stopped_us is None
                                           and self.due_us is not None)

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
    pairs: list[tuple[int, int]]
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

    def interval(self, cal: int, start: int, end: int) -> int:
        self.a[cal].append(start)
        self.b[cal].append(end)
        return len(self.a[cal]) - 1

    def query(self, cal: int, start: int, amount: int) -> int:
        self.qs[cal].append(start)
        self.qd[cal].append(amount)
        return len(self.qs[cal]) - 1

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

    def __call__(self, metric: str, target: int) -> list[int]:
        key = (metric, target)
        found = self.cache.get(key)
        if found is None:
            found = [_ratio_threshold(target, r) for r in self.warn] + [target, target + 1]
            for metrics, ratio in self.levels:
                if not metrics or metric in metrics:
                    found.append(target + 1 if ratio is None else _ratio_threshold(target, ratio))
            self.cache[key] = found
        return found


def _finish(policy: SlaPolicy, folds: Sequence[_Fold]) -> list[SlaReport]:
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

    # 1. every interval of every clock, closed cycles too
    pending: list[_Pending] = []
    # closed cycles: (pending index, calendar, first interval, intervals, the cycle's target)
    cycle_checks: list[tuple[int, int, int, int, int]] = []
    for fi, fold in enumerate(folds):
        now = fold.now
        for metric, clock in fold.clocks.items():
            cal = metric_cal[metric]
            pairs = _intervals(clock, now)
            first = len(batch.a[cal])
            for s, e in pairs:
                batch.interval(cal, s, e)
            closed = fold.closed_cycles.get(metric, ())
            count = len(closed) + (0 if closed and closed[-1] is clock else 1)
            p = _Pending(fi, clock, cal, pairs, first, [], [], count, 0)
            pending.append(p)
            for cycle in closed:
                if cycle is clock:
                    continue
                cfirst = len(batch.a[cal])
                cpairs = _intervals(cycle, now)
                for s, e in cpairs:
                    batch.interval(cal, s, e)
                cycle_checks.append((len(pending) - 1, cal, cfirst, len(cpairs), cycle.target))
    batch.run_elapsed()

    # 2. which instants each clock needs, located in its intervals
    amounts_of = _Amounts(policy)
    elapsed_of: list[int] = []
    for p in pending:
        clock = p.clock
        pairs = p.pairs
        values = batch.elapsed[p.calendar][p.first_interval:p.first_interval + len(pairs)]
        elapsed_of.append(sum(values))
        p.amounts = amounts = amounts_of(clock.metric, clock.target)
        projectable = bool(pairs) and not clock.cancelled and (
            clock.running or clock.stopped is not None
        )
        seen: dict[int, int] = {}
        queries = p.queries
        for amount in amounts:
            q = seen.get(amount)
            if q is None:
                q = -1
                cum = 0
                last = len(pairs) - 1
                for i, (s, _e) in enumerate(pairs):
                    value = values[i]
                    # reached inside this interval, or beyond the last one (projected)
                    if cum + value >= amount or (i == last and projectable):
                        q = batch.query(p.calendar, s, amount - cum)
                        break
                    cum += value
                seen[amount] = q
            queries.append(q)
    for pi, cal, first, count, target in cycle_checks:
        if sum(batch.elapsed[cal][first:first + count]) > target:  # under its own target
            pending[pi].breached_cycles += 1
    batch.run_add()

    # 3. statuses and reports
    n_warn = len(policy.warn_at)
    warn_at = policy.warn_at
    zones = [c.zone for c in batch.calendars]
    by_fold: list[list[tuple[_Pending, int]]] = [[] for _ in folds]
    for p, elapsed in zip(pending, elapsed_of, strict=True):
        by_fold[p.fold_index].append((p, elapsed))
    reports: list[SlaReport] = []
    for fi, fold in enumerate(folds):
        statuses: dict[str, MetricStatus] = {}
        instants: dict[str, list[int | None]] = {}
        next_check: int | None = None
        for p, elapsed in by_fold[fi]:
            clock = p.clock
            found = batch.instants[p.calendar]
            got: list[int | None] = [None if q < 0 else found[q] for q in p.queries]
            instants[clock.metric] = got
            target = clock.target
            running = clock.running
            if clock.cancelled:
                state: State = "cancelled"
            elif elapsed > target:
                state = "breached"
            elif clock.stopped is not None:
                state = "met"
            elif running:
                state = "running"
            else:
                state = "paused"
            amounts = p.amounts
            warnings = tuple(warn_at[i] for i in range(n_warn) if elapsed >= amounts[i])
            statuses[clock.metric] = MetricStatus(
                clock.metric, state, ONE_US * target, ONE_US * elapsed, warnings, p.cycles,
                p.breached_cycles + (state == "breached"), clock.started, got[n_warn],
                got[n_warn + 1] if state == "breached" else None, clock.stopped,
                zones[p.calendar],
            )
            if running and not clock.cancelled:
                # the next change: a warning to cross, or the breach (reaching the target
                # itself changes nothing: a clock at its target is still within it)
                for i in (*range(n_warn), n_warn + 1):
                    instant = got[i]
                    if instant is not None and elapsed < amounts[i] and (
                        next_check is None or instant < next_check
                    ):
                        next_check = instant
        reports.append(SlaReport(policy, fold, statuses, instants, next_check))
    return reports


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

    __slots__ = ("_fold", "_instants", "_next", "_policy", "_statuses")

    def __init__(self, policy: SlaPolicy, fold: _Fold, statuses: dict[str, MetricStatus],
                 instants: dict[str, list[int | None]], next_check: int | None) -> None:
        self._policy = policy
        self._fold = fold
        self._statuses = statuses
        self._instants = instants
        self._next = next_check

    def __getitem__(self, metric: str) -> MetricStatus:
        return self._statuses[metric]

    def __iter__(self) -> Iterator[str]:
        return iter(self._statuses)

    def __len__(self) -> int:
        return len(self._statuses)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SlaReport):
            return NotImplemented
        return (self._statuses == other._statuses and self._next == other._next
                and self._fold.now == other._fold.now)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}: {v.state}" for k, v in self._statuses.items())
        return f"SlaReport({self._fold.ticket_id!r}, {{{inner}}})"

    @property
    def ticket_id(self) -> str:
        return self._fold.ticket_id

    @property
    def now(self) -> datetime:
        return from_us(self._fold.now, self._policy.calendar.zone)

    @property
    def next_check_at(self) -> datetime | None:
        return None if self._next is None else from_us(self._next, self._policy.calendar.zone)

    def escalations(self, now: datetime | None = None) -> Escalations:
        """Escalation levels reached by ``now`` (default: the report's), and the next one."""
        ladder = self._policy.escalation
        if ladder is None:
            return Escalations((), None)
        at = self._fold.now if now is None else instant_us(now, "now")
        n_warn = len(self._policy.warn_at)
        zone = self._policy.calendar.zone
        reached: list[EscalationStep] = []
        upcoming: list[EscalationStep] = []
        for metric, status in self._statuses.items():
            got = self._instants[metric][n_warn + 2:]
            levels = [lv for lv in ladder.levels if not lv.metrics or metric in lv.metrics]
            for lv, instant in zip(levels, got, strict=True):
                if instant is None:
                    continue
                if status.state == "cancelled" or (status.stopped_us is not None
                                                   and instant > status.stopped_us):
                    continue  # a stopped clock reaches no further levels
                step = EscalationStep(lv.level, lv.notify, metric, from_us(instant, zone), lv.at)
                (reached if instant <= at else upcoming).append(step)
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
        facts = self._fold.facts
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
        _fold(self._policy, self._fold.events, self._fold.ticket_id, self._fold.now, trace)
        lines = [f"SLA policy {self._policy.name!r}, ticket {self._fold.ticket_id!r}, "
                 f"at {self.now.isoformat()}", "events:"]
        lines += [f"  {line}" for line in trace]
        lines.append("clocks:")
        for metric, s in self._statuses.items():
            cal = self._policy.calendar_for(metric)
            lines.append(
                f"  {metric}: {s.state}; elapsed {_hours(s.elapsed)} of "
                f"{_hours(s.target)} on the {cal.tz} calendar"
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
    ticket_id = prepared[0][1].ticket_id if prepared else ""
    return _finish(policy, [_fold(policy, prepared, ticket_id, now_us)])[0]


def evaluate_many(
    policy: SlaPolicy, events_by_ticket: Mapping[str, Iterable[Event]], now: datetime
) -> dict[str, SlaReport]:
    """:func:`evaluate` for many tickets at once, with the calendar arithmetic vectorised."""
    if not isinstance(policy, SlaPolicy):
        raise InvalidInputError(f"policy: expected an SlaPolicy, got {type(policy).__name__}")
    now_us = instant_us(now, "now")
    folds = [
        _fold(policy, _prepare(events, now_us), ticket_id, now_us)
        for ticket_id, events in events_by_ticket.items()
    ]
    reports = _finish(policy, folds)
    return {fold.ticket_id: report for fold, report in zip(folds, reports, strict=True)}
