"""The report objects of the SLA engine, built from the columns of phase 3 when asked for.

:class:`SlaReport` is one case's clocks at ``now`` (a read-only mapping of
:class:`MetricStatus`), with escalations, remedies and an explanation; :class:`SlaBatch` is the
result of :func:`~servicekit.sla.evaluate_many`, a mapping of reports built lazily over the
columns, which it also gives as numpy arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from servicekit.calendar import from_epoch_us, to_epoch_us
from servicekit.events import Event
from servicekit.rules import Decision, format_hours
from servicekit.rules._json import (
    INSTANT,
    SECONDS,
    document,
    embedded,
    instant,
    json_ready,
    nullable,
    obj,
    seconds,
)
from servicekit.sla._batch import _NONE, _STATES, State, _Amounts, _Columns
from servicekit.sla._fold import CYCLIC, _Fold, _fold
from servicekit.sla._history import ONE_US, _prepare
from servicekit.sla._policy import SlaPolicy

#: :attr:`SlaReport.untracked`: the ticket's priority is not among the metric's per-priority
#: ``targets`` (and no table gave it a target)
UNTRACKED_UNKNOWN_PRIORITY: Final = "unknown priority"
#: :attr:`SlaReport.untracked`: the ``target_table`` has rules giving the metric a target, and
#: none of them matched the ticket's facts
UNTRACKED_NO_RULE_MATCHED: Final = "no rule matched"
#: :attr:`SlaReport.untracked`: nothing in the policy gives the metric a target (no fixed
#: target, no per-priority targets, no table rule)
UNTRACKED_NO_TARGET: Final = "no target"
#: every reason :attr:`SlaReport.untracked` gives
UNTRACKED_REASONS: Final = (UNTRACKED_UNKNOWN_PRIORITY, UNTRACKED_NO_RULE_MATCHED,
                            UNTRACKED_NO_TARGET)

_TRIGGER: dict[str, Any] = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                                      {"const": "breach"}],
                            "description": "the fraction of the target, or the breach"}


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
        return from_epoch_us(self.started_us, self.zone)

    @property
    def due_at(self) -> datetime | None:
        return None if self.due_us is None else from_epoch_us(self.due_us, self.zone)

    @property
    def breached_at(self) -> datetime | None:
        return None if self.breached_us is None else from_epoch_us(self.breached_us, self.zone)

    @property
    def stopped_at(self) -> datetime | None:
        return None if self.stopped_us is None else from_epoch_us(self.stopped_us, self.zone)

    @property
    def running(self) -> bool:
        """Whether the clock is counting now (a breached clock may still be; a paused one not)."""
        return self.counting

    def __repr__(self) -> str:
        return (
            f"MetricStatus({self.metric!r}, state={self.state!r}, target={self.target}, "
            f"elapsed={self.elapsed}, due_at={self.due_at})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: durations in seconds, instants ISO 8601 with their offset (in the
        metric's calendar zone); see :meth:`json_schema`."""
        due, breached, stopped = self.due_at, self.breached_at, self.stopped_at
        return {
            "metric": self.metric,
            "state": self.state,
            "target": seconds(self.target),
            "elapsed": seconds(self.elapsed),
            "remaining": seconds(self.remaining),
            "warnings": [float(w) for w in self.warnings],
            "cycles": self.cycles,
            "breached_cycles": self.breached_cycles,
            "started_at": instant(self.started_at),
            "due_at": None if due is None else instant(due),
            "breached_at": None if breached is None else instant(breached),
            "stopped_at": None if stopped is None else instant(stopped),
            "running": self.counting,
        }

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of :meth:`to_dict`."""
        return document(obj({
            "metric": {"type": "string"},
            "state": {"enum": list(_STATES)},
            "target": SECONDS,
            "elapsed": SECONDS,
            "remaining": {**SECONDS, "description": "target - elapsed, in seconds (negative "
                                                    "once breached)"},
            "warnings": {"type": "array", "items": {"type": "number"},
                         "description": "the warning thresholds crossed"},
            "cycles": {"type": "integer", "minimum": 0},
            "breached_cycles": {"type": "integer", "minimum": 0},
            "started_at": INSTANT,
            "due_at": nullable(INSTANT),
            "breached_at": nullable(INSTANT),
            "stopped_at": nullable(INSTANT),
            "running": {"type": "boolean", "description": "whether the clock counts now"},
        }, title="MetricStatus", description="where one SLA clock stands"))


@dataclass(frozen=True, slots=True)
class EscalationStep:
    """An escalation level reached (or due next) for a metric, and when."""

    level: int
    notify: str
    metric: str
    at: datetime
    trigger: float | str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``at`` ISO 8601 with its offset; ``trigger`` the fraction of the
        target, or ``"breach"``)."""
        return {"level": self.level, "notify": self.notify, "metric": self.metric,
                "at": instant(self.at), "trigger": self.trigger}

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of :meth:`to_dict`."""
        return document(obj({
            "level": {"type": "integer", "minimum": 1},
            "notify": {"type": "string"},
            "metric": {"type": "string"},
            "at": INSTANT,
            "trigger": _TRIGGER,
        }, title="EscalationStep", description="an escalation level reached (or due next) "
                                               "for a metric, and when"))


@dataclass(frozen=True, slots=True)
class Escalations:
    """The escalation steps reached (ordered by level, then instant) and the next one: the
    earliest step still ahead for any metric (ties: the lowest level), or ``None``."""

    reached: tuple[EscalationStep, ...]
    next: EscalationStep | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``reached`` a list of steps, ``next`` a step or ``None``."""
        return {"reached": [step.to_dict() for step in self.reached],
                "next": None if self.next is None else self.next.to_dict()}

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of :meth:`to_dict`."""
        step = embedded(EscalationStep.json_schema())
        return document(obj({"reached": {"type": "array", "items": step},
                             "next": nullable(step)}, title="Escalations"))


@dataclass(frozen=True, slots=True, eq=False)
class Remedy:
    """What a breached public commitment owes the customer (K-06), from the remedy table.

    A value: two remedies are equal when they owe the same for the same metric by the same
    decision (the same table, facts, output and rules matched), so ``report.remedies()``
    compares equal across calls and reports. (:class:`~servicekit.rules.Decision` itself
    compares by identity; its parts are compared here.) Hashable on the metric and the rules
    matched (the remedies are read-only mappings, which do not hash).
    """

    metric: str
    remedies: tuple[Mapping[str, Any], ...]
    decision: Decision

    def _key(self) -> tuple[Any, ...]:
        d = self.decision
        return (self.metric, self.remedies, d.rule_ids, d.rule_id, d.defaulted, d.value,
                d.table, d.facts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Remedy):
            return NotImplemented
        return self is other or self._key() == other._key()

    def __hash__(self) -> int:
        d = self.decision
        return hash((self.metric, d.rule_ids, d.rule_id, d.defaulted))

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the remedies as plain objects, the decision without its facts (they
        hold the ticket's attributes: see :meth:`~servicekit.rules.Decision.to_dict`)."""
        return {"metric": self.metric,
                "remedies": [json_ready(r, "remedies") for r in self.remedies],
                "decision": self.decision.to_dict()}

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of :meth:`to_dict`."""
        return document(obj({
            "metric": {"type": "string"},
            "remedies": {"type": "array", "items": {"type": "object"}},
            "decision": embedded(Decision.json_schema()),
        }, title="Remedy", description="what a breached public commitment owes (K-06)"))


def _status_of(cols: _Columns, row: int) -> MetricStatus:
    policy = cols.policy
    n_warn = len(policy.warn_at)
    base = row * cols.n_amounts
    state = _STATES[cols.state[row]]
    due = cols.instants[base + n_warn]
    breach = cols.instants[base + n_warn + 1]
    stopped = cols.stopped[row]
    bits = cols.warnings[row]
    return MetricStatus(
        cols.metric[row], state, ONE_US * cols.target[row], ONE_US * cols.elapsed[row],
        tuple(w for i, w in enumerate(policy.warn_at) if bits >> i & 1),
        cols.cycles[row], cols.breached_cycles[row], cols.started[row],
        None if due == _NONE else due,
        breach if state == "breached" and breach != _NONE else None,
        None if stopped == _NONE else stopped, cols.zones[cols.calendar[row]],
        bool(cols.running[row]),
    )


def _report_of(cols: _Columns, index: int, source: _Fold | Callable[[], _Fold]) -> SlaReport:
    """The report of the ``index``-th case of the columns."""
    statuses: dict[str, MetricStatus] = {}
    instants: dict[str, list[int | None]] = {}
    k = cols.n_amounts
    for row in range(cols.ticket_rows[index], cols.ticket_rows[index + 1]):
        status = _status_of(cols, row)
        statuses[status.metric] = status
        instants[status.metric] = [
            None if v == _NONE else v for v in cols.instants[row * k:(row + 1) * k]
        ]
    nxt = cols.next_check[index]
    return SlaReport(cols.policy, cols.ticket_ids[index], cols.now[index], source, statuses,
                     instants, None if nxt == _NONE else nxt)


class SlaReport(Mapping[str, MetricStatus]):
    """A read-only mapping from metric name to :class:`MetricStatus`, at ``now``.

    Only the metrics tracked on the ticket (or case) are present (a metric needs a target, and
    a cycle metric a first cycle). ``next_check_at`` is the earliest future instant at which a
    state or a warning changes if nothing else happens: call back then, no timer needed.
    """

    __slots__ = ("_instants", "_next", "_now", "_policy", "_source", "_statuses", "_ticket_id",
                 "_untracked")

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
        self._untracked: Mapping[str, str] | None = None

    def _folded(self) -> _Fold:
        if not isinstance(self._source, _Fold):
            self._source = self._source()
        return self._source

    def __getitem__(self, metric: str) -> MetricStatus:
        found = self._statuses.get(metric)
        if found is None:  # a KeyError without the key: names are the caller's text
            raise KeyError("no such metric tracked in this report")
        return found

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
        """The stream id of the events (a ticket's id, or a case's)."""
        return self._ticket_id

    @property
    def now(self) -> datetime:
        return from_epoch_us(self._now, self._policy.calendar.zone)

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
                if us is not None and not calendar.covers(from_epoch_us(us, calendar.zone)):
                    return True
        return False

    @property
    def next_check_at(self) -> datetime | None:
        if self._next is None:
            return None
        return from_epoch_us(self._next, self._policy.calendar.zone)

    @property
    def untracked(self) -> Mapping[str, str]:
        """Each metric of the policy that has no target for this ticket (or case), and why.

        A read-only mapping from metric name to one of the :data:`UNTRACKED_REASONS`:
        ``"unknown priority"`` (:data:`UNTRACKED_UNKNOWN_PRIORITY`) when the metric has
        per-priority ``targets`` and the ticket's priority is not among them; else ``"no rule
        matched"`` (:data:`UNTRACKED_NO_RULE_MATCHED`) when the ``target_table`` has rules
        giving the metric a target and none matched; else ``"no target"``
        (:data:`UNTRACKED_NO_TARGET`). Targets are chosen by the facts as they stand at
        ``now`` (a priority change re-targets). A metric that has a target is not here, even
        when its clock has not started (a reply cycle not opened, a stage clock on a
        ticket); an empty history has no metric here.
        """
        if self._untracked is None:
            fold = self._folded()
            found = {} if not fold.events else _untracked(self._policy, fold.facts,
                                                          self._statuses)
            self._untracked = MappingProxyType(found)
        return self._untracked

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the report: ``ticket_id``, ``policy`` (its name), ``now``,
        ``provisional``, ``next_check_at``, ``metrics`` (name to
        :meth:`MetricStatus.to_dict`), ``escalations`` (at ``now``), ``remedies`` and
        ``untracked``. Instants are ISO 8601 with their offset, durations seconds; see
        :meth:`json_schema`."""
        nxt = self.next_check_at
        return {
            "ticket_id": self._ticket_id,
            "policy": self._policy.name,
            "now": instant(self.now),
            "provisional": self.provisional,
            "next_check_at": None if nxt is None else instant(nxt),
            "metrics": {name: status.to_dict() for name, status in self._statuses.items()},
            "escalations": self.escalations().to_dict(),
            "remedies": [remedy.to_dict() for remedy in self.remedies()],
            "untracked": dict(self.untracked),
        }

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of :meth:`to_dict`."""
        return document(obj({
            "ticket_id": {"type": "string", "description": "the stream id of the events"},
            "policy": {"type": "string", "description": "the SLA policy's name"},
            "now": INSTANT,
            "provisional": {"type": "boolean"},
            "next_check_at": nullable(INSTANT),
            "metrics": {"type": "object",
                        "additionalProperties": embedded(MetricStatus.json_schema())},
            "escalations": embedded(Escalations.json_schema()),
            "remedies": {"type": "array", "items": embedded(Remedy.json_schema())},
            "untracked": {"type": "object",
                          "additionalProperties": {"enum": list(UNTRACKED_REASONS)}},
        }, title="SlaReport", description="a ticket's (or case's) SLA clocks at now"))

    def escalations(self, now: datetime | None = None) -> Escalations:
        """Escalation levels reached by ``now`` (default: the report's), and the next one.

        A level is reached when a clock in its scope got that far: its fraction of the target
        (or the breach). For a later ``now``, running clocks are projected as if nothing else
        happens; paused, stopped and cancelled clocks reach no further level. ``next`` is the
        earliest step still ahead, whichever metric reaches it (a level another metric
        reached already is still ahead for this one; ties: the lowest level).
        """
        at = self._now if now is None else to_epoch_us(now, "now")
        policy = self._policy
        ladder = policy.escalation
        if ladder is None:
            return Escalations((), None)
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
                if instant is None:  # out of its scope (amount -1), or never reached
                    continue
                if amount > elapsed and not status.counting:
                    continue  # not reached, and this clock is not counting towards it
                step = EscalationStep(level.level, level.notify, metric,
                                      from_epoch_us(instant, zone), level.at)
                (reached if amount <= elapsed or instant <= at else upcoming).append(step)
        reached.sort(key=lambda s: (s.level, s.at))
        # the earliest step still ahead, whichever metric reaches it (ties: the lowest level);
        # a level another metric reached already is still a step ahead for this one
        nxt = min(upcoming, key=lambda s: (s.at, s.level), default=None)
        return Escalations(tuple(reached), nxt)

    def remedies(self) -> list[Remedy]:
        """Remedies owed for breached public commitments (K-06), via the remedy table.

        The table reads the flat facts the target table reads (a ticket's ``priority``,
        ``channel``, ``category``, ``customer_tier`` and attributes; a case's fields,
        ``process`` and ``customer_id``), with ``commitment_missed``, the ``metric`` and
        ``repeat_breaches`` (breached public commitments on this ticket, cycles included).
        """
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
                **facts,
                "commitment_missed": True,
                "metric": metric,
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


def _table_metrics(policy: SlaPolicy) -> set[str]:
    """The metrics some rule (or the default) of the policy's target table gives a target."""
    table = policy.target_table
    if table is None:
        return set()
    found = {metric for rule in table.rules for metric in rule.then}
    return found | set(table.default or ())


def _untracked(policy: SlaPolicy, facts: Mapping[str, Any],
               tracked: Mapping[str, MetricStatus]) -> dict[str, str]:
    """Each metric with no target for these facts, and why (see :attr:`SlaReport.untracked`)."""
    chosen = policy.select(facts)
    by_table = _table_metrics(policy)
    out: dict[str, str] = {}
    for metric in policy.metric_names:
        if metric in tracked or metric in chosen:
            continue
        if metric in policy.targets:
            out[metric] = UNTRACKED_UNKNOWN_PRIORITY
        elif metric in by_table:
            out[metric] = UNTRACKED_NO_RULE_MATCHED
        else:
            out[metric] = UNTRACKED_NO_TARGET
    return out


class SlaBatch(Mapping[str, SlaReport]):
    """The result of :func:`evaluate_many`: a mapping from ticket id to :class:`SlaReport`.

    Every ticket's business time is computed when the batch is made; the report objects are
    built only when asked for (``batch["T-1"]``), and :meth:`columns` gives everything as
    flat columns for a data frame, without building any.
    """

    __slots__ = ("_columns", "_events", "_index", "_offsets")

    def __init__(self, columns: _Columns, events: list[Event], offsets: list[int]) -> None:
        self._columns = columns
        # the histories, copied at the boundary, end to end: the i-th ticket's are
        # events[offsets[i]:offsets[i + 1]] (explain() and remedies() fold them again)
        self._events = events
        self._offsets = offsets
        self._index = {tid: i for i, tid in enumerate(columns.ticket_ids)}

    def __getitem__(self, ticket_id: str) -> SlaReport:
        index = self._index.get(ticket_id)
        if index is None:  # a KeyError without the key: ids may be personal data
            raise KeyError("no such ticket in this batch")
        cols = self._columns
        policy, now = cols.policy, cols.now[index]
        history = self._events[self._offsets[index]:self._offsets[index + 1]]

        def refold() -> _Fold:
            return _fold(policy, _prepare(history, now, ticket_id), ticket_id, now)

        return _report_of(cols, index, refold)

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
        instants = np.asarray(cols.instants, dtype=np.int64).reshape(rows, k)
        per_ticket = np.diff(np.asarray(cols.ticket_rows, dtype=np.int64))
        state = np.asarray(_STATES, dtype=object)[np.asarray(cols.state, dtype=np.int64)]

        def stamp(values: Any, mask: Any = None) -> Any:
            arr = np.asarray(values, dtype=np.int64)  # _NONE is NaT
            return (arr if mask is None else np.where(mask, _NONE, arr)).view("datetime64[us]")

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
