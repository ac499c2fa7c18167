"""Phase 1 of the SLA engine: a pure fold over one case's events, in integer microseconds.

The fold walks the events once, in order: it opens, pauses, resumes, stops and cancels clocks
and records, per clock, the intervals in which it counted. No calendar arithmetic happens here
(that is phase 2, :mod:`servicekit.sla._batch`).

The status after each event is the status the event implies (:attr:`Event.implied_status
<servicekit.events.Event.implied_status>`), else the one before: the fold knows no state ids.
The built-in ticket clocks (first response, next response, periodic update, resolution) are
driven by the ticket events' classes; custom metrics by selectors, where
``StatusChanged:<state>`` means *entering* ``<state>``: any event that moves the status there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from servicekit.calendar import from_epoch_us
from servicekit.events import (
    AgentReplied,
    CaseStarted,
    CustomerReplied,
    Event,
    PriorityChanged,
    TicketCancelled,
    TicketClosed,
    TicketCreated,
    TicketReopened,
    TicketResolved,
)
from servicekit.rules import format_hours
from servicekit.sla._history import ONE_US, _TwoCreations
from servicekit.sla._policy import Metric, SlaPolicy

CYCLIC = ("next_response", "periodic_update")
#: the qualified selector of entering a state: ``StatusChanged:<state>``
ENTERING = "StatusChanged:"


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
    """What the fold of one case's events produced."""

    ticket_id: str
    events: tuple[tuple[int, Event], ...]  # (instant, event), in order
    now: int
    clocks: dict[str, _Clock] = field(default_factory=dict)  # current or last clock per metric
    closed_cycles: dict[str, list[_Clock]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    trace: list[str] | None = None


def _facts_of(created: TicketCreated) -> dict[str, Any]:
    return {
        **created.attributes,
        "priority": created.priority,
        "channel": created.channel,
        "category": created.category,
        "customer_tier": created.customer_tier,
    }


def _case_facts(started: CaseStarted) -> dict[str, Any]:
    return {**started.fields, "process": started.process, "customer_id": started.customer_id}


#: the most target sets memoised per policy: a ticket's four facts are free text, so many
#: distinct tickets could otherwise grow the memo without bound (it starts again when full)
_MEMO_LIMIT = 4096


def _targets(policy: SlaPolicy, facts: dict[str, Any], memo: bool) -> dict[str, int]:
    """Targets in microseconds, memoised on the facts that choose them (when those are all).

    ``memo`` is false for facts other than a ticket's four (a case's fields): with a target
    table they may all matter, so nothing is memoised (a case's free text would fill the memo).
    """
    if policy.target_table is not None and (not memo or len(facts) > 4):
        chosen = policy.select(facts)  # attributes may matter to the table: no memo
        return {metric: td // ONE_US for metric, td in chosen.items()}
    key = (facts.get("priority"), facts.get("channel"), facts.get("category"),
           facts.get("customer_tier"))
    cache = policy.__pydantic_private__["_targets_us"]  # type: ignore[index]
    found: dict[str, int] | None = cache.get(key)
    if found is None:
        chosen = policy.select(facts)
        if len(cache) >= _MEMO_LIMIT:
            cache.clear()
        found = cache[key] = {metric: td // ONE_US for metric, td in chosen.items()}
    return found


class _Watch:
    """A custom metric as the fold matches it: its selectors as sets."""

    __slots__ = ("cancel", "name", "pausable", "start", "stop")

    def __init__(self, metric: Metric) -> None:
        self.name = metric.name
        self.pausable = metric.pausable
        self.start = frozenset(metric.start_on)
        self.stop = frozenset(metric.stop_on)
        self.cancel = frozenset(metric.cancel_on)


def _reads_status(kind: type[Event]) -> bool:
    """Whether events of this class say themselves which status they imply (a property)."""
    return kind.implied_status is not Event.implied_status


class _Implied(dict[type[Event], str | None]):
    """Per event class: the status its events imply when the class declares it (``implies``),
    ``""`` when they imply none, ``None`` when each event says (``implied_status``). A class
    lookup is cheaper than a property call on every event."""

    def __missing__(self, kind: type[Event]) -> str | None:
        found = None if _reads_status(kind) else (kind.implies or "")
        self[kind] = found
        return found


_IMPLIED = _Implied()


RouteKey = type[Event] | tuple[type[Event], str | None]
"""An event class, or for a class whose events each say their status, (class, state entered)."""


class _Routes(dict[RouteKey, tuple[_Watch, ...]]):
    """The custom metrics an event can start, stop or cancel, by its class and the state it
    enters: those that name its type, and those whose entering selectors name that state.

    Filled in as classes are met, so an event class registered after the policy was made (a
    host's own) is routed too. Keyed by class where the class declares its status (the state
    entered is that one or none), else by (class, state entered): a ``StatusChanged`` reaches
    only the metrics watching the state it enters.
    """

    def __init__(self, metrics: Iterable[Metric]) -> None:
        super().__init__()
        self.watches: list[tuple[_Watch, frozenset[str], frozenset[str]]] = []
        for metric in metrics:
            types, states = set(), set()
            for sel in (*metric.start_on, *metric.stop_on, *metric.cancel_on):
                if sel.startswith(ENTERING):
                    states.add(sel[len(ENTERING):])
                else:
                    types.add(sel.partition(":")[0])
            self.watches.append((_Watch(metric), frozenset(types), frozenset(states)))

    def __missing__(self, key: RouteKey) -> tuple[_Watch, ...]:
        if isinstance(key, tuple):
            kind, state = key
        else:
            kind, state = key, key.implies
        name = kind.event_type
        found = tuple(watch for watch, types, states in self.watches
                      if name in types or (state is not None and state in states))
        self[key] = found
        return found


Handler = Callable[["_Folder", int, Event], None]
Plan = tuple[Handler | None, str | None, tuple[_Watch, ...]]
"""What the fold does with an event of a class: its handler, the status the class implies
(``""``: none; ``None``: each event says, and its metrics depend on the state it enters) and
the custom metrics it reaches (when they do not depend on the state entered)."""


class _Plans(dict[type[Event], Plan]):
    """Per event class, its :data:`Plan` under one policy: one lookup per event."""

    def __init__(self, routes: _Routes) -> None:
        super().__init__()
        self.routes = routes

    def __missing__(self, kind: type[Event]) -> Plan:
        implied = _IMPLIED[kind]
        handler = _HANDLERS.get(kind)
        if handler is None and kind.sets_facts:
            handler = _Folder.facts_changed
        plan = (handler, implied, () if implied is None else self.routes[kind])
        self[kind] = plan
        return plan


def _plans(policy: SlaPolicy) -> _Plans:
    found = policy.__pydantic_private__["_routes"]  # type: ignore[index]
    if found is None:
        found = _Plans(_Routes(policy.metrics))
        policy.__pydantic_private__["_routes"] = found  # type: ignore[index]
    return found  # type: ignore[no-any-return]


class _Folder:
    """Folds one case's events into clocks. One method per kind of event."""

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
        self.plans = _plans(policy)
        self.targets: dict[str, int] = {}
        self.memo = True  # the facts are a ticket's (see _targets)
        self.status = ""
        self.paused = False
        self.replied = False  # a public agent reply happened
        self.finished = False  # resolved, closed or cancelled
        self.began = False  # a creation event was folded

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
            self.note(t, f"{metric}: started, " + (
                f"target {format_hours(ONE_US * target)}" if target >= 0 else "no target yet"))

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
        plans = self.plans
        routes = plans.routes
        pause_statuses = self.policy.pause_statuses
        tracing = self.trace is not None
        for t, ev in events:
            kind = type(ev)
            if tracing:
                self.note(t, ev.selector)
            handler, implied, custom = plans[kind]
            entered = None  # the state this event moves the status into
            if implied is None:  # each event of this class says its status
                implied = ev.implied_status
                if implied is not None and implied != self.status:
                    entered = self.status = implied
                custom = routes[kind, entered]
            elif implied and implied != self.status:
                entered = self.status = implied
            if handler is not None:
                handler(self, t, ev)
            if custom:
                self.custom(t, ev, kind, custom, entered)
            if (self.status in pause_statuses) != self.paused or kind is TicketReopened:
                self.follow_status(t, kind)

    def begin(self, facts: dict[str, Any], *, memo: bool) -> None:
        """A creation event: the facts targets are chosen by, in the status it implies.

        A history has one: a second would restart the clocks (the engine reports it with the
        positions of both)."""
        if self.began:
            raise _TwoCreations
        self.began = True
        self.out.facts = facts
        self.memo = memo
        self.targets = _targets(self.policy, facts, memo)
        self.paused = self.status in self.policy.pause_statuses

    def created(self, t: int, ev: Event) -> None:
        assert isinstance(ev, TicketCreated)
        self.begin(_facts_of(ev), memo=True)
        self.start("first_response", t, pausable=False)
        self.start("resolution", t, pausable=True)

    def case_started(self, t: int, ev: Event) -> None:
        """A case of a process: its fields are the facts; no ticket clock starts (custom
        metrics that select ``CaseStarted`` start in :meth:`custom`)."""
        assert isinstance(ev, CaseStarted)
        self.begin(_case_facts(ev), memo=False)

    def facts_changed(self, t: int, ev: Event) -> None:
        """An event that sets facts (``sets_facts``: a ``PriorityChanged``'s priority, a
        complaint's assessment): the facts change, and so may the running clocks' targets."""
        facts = self.out.facts
        for name in type(ev).sets_facts:
            facts[name] = getattr(ev, name)
        self.targets = targets = _targets(self.policy, self.out.facts, self.memo)
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

    def finish(self, t: int, ev: Event) -> None:
        """Resolved, closed or cancelled: reply clocks end, resolution stops (or cancels)."""
        cancel = isinstance(ev, TicketCancelled)
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

    def custom(self, t: int, ev: Event, cls: type[Event], watches: tuple[_Watch, ...],
               entered: str | None) -> None:
        """Custom metrics this event can start, stop or cancel.

        An event matches a selector by its type, by its own qualified selector, and, when it
        moves the status into a state, by ``StatusChanged:<state>``. A ``StatusChanged``'s own
        qualified selector is that entering selector, so a status change to the status it
        already is matches only the bare ``StatusChanged``.
        """
        kind = cls.event_type
        own = ev.selector
        if own.startswith(ENTERING):
            own = kind
        # (with no state entered, the type again: one test fewer in the loop below)
        entering = kind if entered is None else ENTERING + entered
        clocks = self.clocks
        for watch in watches:
            name = watch.name
            clock = clocks.get(name)
            if clock is None:
                start = watch.start
                if name in self.untracked or not (kind in start or own in start
                                                  or entering in start):
                    continue
                if name in self.targets or self.track_all or name in self.keep:
                    self.start(name, t, pausable=watch.pausable)
                else:
                    self.untracked.add(name)  # as start() would, without the call
                    if self.trace is not None:
                        self.note(t, f"{name}: no target for this ticket, not tracked")
            elif clock.stopped is None:
                cancel = watch.cancel
                stop = watch.stop
                if kind in cancel or own in cancel or entering in cancel:
                    clock.cancel(t)
                    self.note(t, f"{name}: cancelled")
                elif kind in stop or own in stop or entering in stop:
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


_HANDLERS: dict[type[Event], Handler] = {
    TicketCreated: _Folder.created,
    CaseStarted: _Folder.case_started,
    PriorityChanged: _Folder.facts_changed,
    AgentReplied: _Folder.agent_replied,
    CustomerReplied: _Folder.customer_replied,
    TicketResolved: _Folder.finish,
    TicketClosed: _Folder.finish,
    TicketCancelled: _Folder.finish,
    TicketReopened: _Folder.reopened,
}
"""The built-in ticket clocks' handlers, by the exact event class (creation events included)."""


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
    return from_epoch_us(t, zone).isoformat()
