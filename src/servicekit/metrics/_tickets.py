"""Metrics from ticket histories: FCR four ways (M-02), reopen rate, AFRT (M-06), backlog age.

A ticket here is anything with ``ticket_id``, ``customer_id``, ``category``, ``opened_at`` and
``history`` (its events, oldest first): a :class:`servicekit.tickets.Ticket` qualifies, and so
does a host's own record built from a help-desk export. Everything is read from the events
(:mod:`servicekit.events`), so this module needs neither the ticket aggregate nor its process:
a resolution is a ``TicketResolved``, a reopen a ``TicketReopened``, a public agent reply an
``AgentReplied`` with ``public=True``, a customer reply a ``CustomerReplied``, and the status
at an instant is the one the last event up to it implies (``Event.implied_status``).

Tickets are checked all at once: every bad position is reported (its index and field, and the
type found, never a value).

>>> from datetime import UTC, datetime, timedelta
>>> from servicekit.tickets import Actor, Ticket
>>> agent = Actor(id="a-1", roles=frozenset({"agent"}))
>>> t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
>>> t = Ticket.open(ticket_id="T-1", customer_id="c-1", channel="email", category="billing",
...                 priority="P3", subject="refund", at=t0, by=agent)
>>> t = t.reply(at=t0 + timedelta(minutes=30), by=agent)
>>> t = t.resolve(at=t0 + timedelta(hours=1), by=agent, resolution="refunded")
>>> fcr_from_tickets([t]).successes, afrt_from_tickets([t]).value
(1, 1800.0)
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from servicekit.calendar import BusinessCalendar, require_aware
from servicekit.errors import InvalidInputError, Problem, ServiceKitError
from servicekit.events import AgentReplied, CustomerReplied, Event, TicketReopened, TicketResolved
from servicekit.metrics._mean import mean_result
from servicekit.metrics._results import Mean, Proportion
from servicekit.metrics._scales import _items, _report
from servicekit.metrics._survey import proportion

__all__ = ["FCR_DEFINITIONS", "BacklogAge", "afrt", "afrt_from_tickets", "backlog_age",
           "fcr_from_tickets", "first_contact_resolution", "reopen_rate"]

#: the FCR definitions :func:`fcr_from_tickets` knows: the handbook's M-02 and three vendors'
FCR_DEFINITIONS: tuple[str, ...] = ("handbook", "one-touch", "no-customer-reply",
                                    "one-public-reply")
#: the statuses a ticket is no longer waiting in (the backlog leaves them out)
_DONE = frozenset({"resolved", "closed", "cancelled"})
#: the statuses a vendor counts as solved
_SOLVED = frozenset({"resolved", "closed"})
_FIELDS = ("ticket_id", "customer_id", "category", "opened_at", "history")
_US = timedelta(microseconds=1)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def first_contact_resolution(replies_at_first_resolution: int | None,
                             reopens: int) -> bool | None:
    """M-02, the handbook's rule for one ticket: resolved with exactly one public agent reply
    and never reopened.

    ``replies_at_first_resolution`` is the number of public agent replies when the ticket was
    first resolved (``None``: not resolved yet, and then the answer is ``None`` too: a ticket
    cancelled unresolved was not solved at all); ``reopens`` how often it was reopened. A
    resolution without any public reply is not first-contact resolution (nobody answered the
    customer), and a reopen loses it for good. :attr:`servicekit.tickets.Ticket.
    first_contact_resolution` is this rule.

    >>> first_contact_resolution(1, 0), first_contact_resolution(2, 0)
    (True, False)
    >>> first_contact_resolution(1, 1), first_contact_resolution(None, 0)
    (False, None)
    """
    if replies_at_first_resolution is not None and not _is_count(replies_at_first_resolution):
        raise InvalidInputError("first_contact_resolution: replies_at_first_resolution must be "
                                "a whole number ≥ 0 or None (got "
                                f"{type(replies_at_first_resolution).__name__})")
    if not _is_count(reopens):
        raise InvalidInputError("first_contact_resolution: reopens must be a whole number ≥ 0 "
                                f"(got {type(reopens).__name__})")
    if replies_at_first_resolution is None:
        return None
    return replies_at_first_resolution == 1 and reopens == 0


# -- reading tickets ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the metrics read of one ticket's history."""

    ticket_id: str
    customer_id: str | None
    category: str | None
    opened_at: datetime
    first_resolved_at: datetime | None
    replies_at_first_resolution: int | None
    public_replies: int
    customer_contacts: int  # customer replies after the description, and reopens by them
    reopens: int
    status: str | None  # at the end of the history (or at ``now``)
    first_public_reply_at: datetime | None


def _text(value: object, optional: bool) -> bool:
    if value is None:
        return optional
    return isinstance(value, str) and (optional or value != "")


def _read_one(i: int, ticket: object, now: datetime | None,
              problems: list[Problem]) -> _Facts | None:
    absent = [name for name in _FIELDS if not hasattr(ticket, name)]
    if absent:
        problems.append(Problem((i,), "not_a_ticket", "expected a ticket with ticket_id, "
                                "customer_id, category, opened_at and history (missing "
                                f"{', '.join(absent)}; got {type(ticket).__name__})"))
        return None
    found = len(problems)
    values: dict[str, Any] = {name: getattr(ticket, name) for name in _FIELDS}
    for name, optional in (("ticket_id", False), ("customer_id", True), ("category", True)):
        if not _text(values[name], optional):
            kind = "a string or None" if optional else "a non-empty string"
            problems.append(Problem((i, name), "invalid_field",
                                    f"expected {kind} (got {type(values[name]).__name__})"))
    opened_at: datetime | None = None
    try:
        opened_at = require_aware(values["opened_at"], "opened_at")
    except ServiceKitError as exc:  # the calendar's text: the type or "naive", never the value
        problem = exc.problems[0]
        problems.append(Problem((i, "opened_at"), problem.type,
                                problem.msg.removeprefix("opened_at: ")))
    history = values["history"]
    if isinstance(history, (str, bytes)) or not isinstance(history, Iterable):
        problems.append(Problem((i, "history"), "invalid_history",
                                f"expected an iterable of events (got {type(history).__name__})"))
        return None
    first_resolved_at: datetime | None = None
    first_reply_at: datetime | None = None
    replies_at_first: int | None = None
    replies = contacts = reopens = 0
    status: str | None = None
    last: datetime | None = None
    for j, event in enumerate(history):
        if not isinstance(event, Event):
            problems.append(Problem((i, "history", j), "invalid_event",
                                    f"expected an Event (got {type(event).__name__})"))
            continue
        at = event.at
        if last is not None and at < last:
            problems.append(Problem((i, "history", j), "out_of_order",
                                    "the event is earlier than the one before it"))
        last = at
        if now is not None and at > now:
            continue  # after the instant asked about: not yet happened
        if isinstance(event, AgentReplied):
            if event.public:
                replies += 1
                if first_reply_at is None:
                    first_reply_at = at
        elif isinstance(event, CustomerReplied):
            contacts += 1
        elif isinstance(event, TicketResolved):
            if first_resolved_at is None:
                first_resolved_at, replies_at_first = at, replies
        elif isinstance(event, TicketReopened):
            reopens += 1
            if event.roles is not None and "customer" in event.roles:
                contacts += 1
        implied = event.implied_status
        if implied is not None:
            status = implied
    if len(problems) > found or opened_at is None:
        return None
    return _Facts(values["ticket_id"], values["customer_id"], values["category"], opened_at,
                  first_resolved_at, replies_at_first, replies, contacts, reopens, status,
                  first_reply_at)


def _read_tickets(tickets: object, command: str, now: datetime | None = None) -> list[_Facts]:
    """The facts of every ticket; every bad position reported at once, and a ticket id given
    twice refused (the same ticket counted twice would weigh double)."""
    problems: list[Problem] = []
    facts: list[_Facts] = []
    seen: dict[str, int] = {}
    for i, ticket in enumerate(_items(tickets, command, "tickets")):
        read = _read_one(i, ticket, now, problems)
        if read is None:
            continue
        first = seen.setdefault(read.ticket_id, i)
        if first != i:
            problems.append(Problem((i, "ticket_id"), "duplicate_ticket",
                                    f"the same ticket_id as position {first}"))
            continue
        facts.append(read)
    if problems:
        raise _report(command, "tickets", problems)
    return facts


# -- FCR ----------------------------------------------------------------------------------------


def _judge(f: _Facts, definition: str) -> bool:
    """Whether one resolved ticket counts as solved at the first contact, before the repeat
    rule."""
    if definition == "handbook":
        return first_contact_resolution(f.replies_at_first_resolution, f.reopens) is True
    solved = f.status in _SOLVED
    if definition == "one-touch":
        return solved and f.public_replies < 2
    if definition == "no-customer-reply":
        return solved and f.customer_contacts == 0
    return solved and f.public_replies == 1  # one-public-reply


def _repeated(facts: list[_Facts], window: timedelta) -> set[str]:
    """The ids of the resolved tickets whose customer opened another ticket of the same
    category at or after the first resolution and at most ``window`` later."""
    groups: dict[tuple[str, str | None], list[datetime]] = defaultdict(list)
    for f in facts:
        if f.customer_id:
            groups[f.customer_id, f.category].append(f.opened_at)
    for opened in groups.values():
        opened.sort()
    found: set[str] = set()
    for f in facts:
        if not f.customer_id or f.first_resolved_at is None:
            continue
        opened = groups[f.customer_id, f.category]
        start, end = f.first_resolved_at, f.first_resolved_at + window
        inside = bisect_right(opened, end) - bisect_left(opened, start)
        if start <= f.opened_at <= end:
            inside -= 1  # the ticket itself (opened and resolved at one instant)
        if inside > 0:
            found.add(f.ticket_id)
    return found


def _check_window(window: object, command: str) -> timedelta | None:
    if window is None:
        return None
    if not isinstance(window, timedelta) or window < timedelta(0):
        raise InvalidInputError(f"{command}: repeat_window must be a duration ≥ 0 or None "
                                f"(got {type(window).__name__})")
    return window


def fcr_from_tickets(tickets: Iterable[object], *, definition: str = "handbook",
                     repeat_window: timedelta | None = timedelta(days=7),
                     method: str = "wilson", confidence: float = 0.95) -> Proportion:
    """M-02 FCR from ticket histories: the share of resolved tickets solved at the first
    contact, by one of four definitions, with its interval (metric ``"fcr"``).

    ``n`` counts the tickets resolved at least once (a ``TicketResolved`` in the history);
    a ticket never resolved (still open, or cancelled unresolved) is not counted in ``n`` but
    in ``missing``: it was not solved at the first contact, nor yet known not to be. The
    definitions (``definition=``):

    * ``"handbook"`` (default, M-02, H4 §1.1.1, formula H3 §4.1.2 「一次性解決客戶問題的次數 /
      總受理問題次數」): resolved with exactly one public agent reply before the first
      resolution, and never reopened (:func:`first_contact_resolution`, the rule the ticket
      records);
    * ``"one-touch"`` (Zendesk Explore's "One-touch tickets": ``Agent replies < 2`` and status
      Solved or Closed): solved at the end of the history with fewer than two public agent
      replies in all of it, none counting (an agent who solves without a public reply still
      touched it once); a reopen alone does not lose it, a second reply does;
    * ``"no-customer-reply"`` (Freshservice's FCR %: "the customer interaction must be 0 for
      resolved tickets, irrespective of the number of responses sent by the agent; the
      initial description is not considered a customer's response"): solved at the end of
      the history with no ``CustomerReplied`` after the ticket was opened and no reopen by
      the customer (a customer reopens by writing back);
    * ``"one-public-reply"`` (Zoho Desk, as issue 13 cites it: exactly one public agent
      response): solved at the end of the history with exactly one public agent reply in all
      of it.

    "Solved at the end of the history" is the vendors' status test (resolved or closed): a
    ticket reopened and not resolved again fails those three. A vendor would leave such a
    ticket out of its denominator until it is solved again; here every definition shares one
    denominator (resolved at least once), so the four rates are comparable.

    Every definition also fails a ticket when the same customer opened another ticket of the
    same category at or after this ticket's first resolution and at most ``repeat_window``
    later (both ends included; the customer came back about the same problem). Only the
    tickets given are searched, so pass the whole period plus the window; tickets without a
    customer id are never repeats; ``repeat_window=None`` turns the rule off.

    Order does not matter; a ``ticket_id`` given twice is refused.
    """
    command = "fcr_from_tickets"
    if definition not in FCR_DEFINITIONS:
        raise InvalidInputError(f"{command}: unknown definition (expected one of "
                                f"{', '.join(map(repr, FCR_DEFINITIONS))})")
    window = _check_window(repeat_window, command)
    facts = _read_tickets(tickets, command)
    resolved = [f for f in facts if f.first_resolved_at is not None]
    repeats = _repeated(facts, window) if window is not None else set()
    successes = sum(1 for f in resolved
                    if f.ticket_id not in repeats and _judge(f, definition))
    return proportion(successes, len(resolved), metric="fcr",
                      missing=len(facts) - len(resolved), method=method, confidence=confidence)


def reopen_rate(tickets: Iterable[object], *, method: str = "wilson",
                confidence: float = 0.95) -> Proportion:
    """The share of tickets resolved at least once that were reopened at least once (metric
    ``"reopen_rate"``); tickets never resolved are ``missing``.

    >>> reopen_rate([]).n
    0
    """
    facts = _read_tickets(tickets, "reopen_rate")
    resolved = [f for f in facts if f.first_resolved_at is not None]
    return proportion(sum(1 for f in resolved if f.reopens), len(resolved),
                      metric="reopen_rate", missing=len(facts) - len(resolved), method=method,
                      confidence=confidence)


# -- AFRT ---------------------------------------------------------------------------------------


def afrt(first_response_times: Iterable[object], *, confidence: float = 0.95) -> Mean:
    """M-06 AFRT: Σ first response time / n, in seconds, with Student's t interval (metric
    ``"afrt"``, unit ``"seconds"``; the handbook's target ≤ 2 h is ``meets(7200,
    at_most=True)``).

    ``first_response_times`` are durations (``timedelta``); ``None`` is missing (no response
    yet), excluded and counted. A negative duration or anything that is not a duration is
    refused, every bad position at once.

    >>> from datetime import timedelta
    >>> r = afrt([timedelta(minutes=30), timedelta(hours=1), None])
    >>> r.value, r.n, r.missing, r.unit
    (2700.0, 2, 1, 'seconds')
    """
    seconds: list[float] = []
    missing = 0
    problems: list[Problem] = []
    for i, value in enumerate(_items(first_response_times, "afrt", "durations")):
        if value is None:
            missing += 1
        elif not isinstance(value, timedelta):
            problems.append(Problem((i,), "invalid_duration",
                                    f"expected a timedelta (got {type(value).__name__})"))
        elif value < timedelta(0):
            problems.append(Problem((i,), "negative_duration", "a response time cannot be "
                                    "negative"))
        else:
            seconds.append(value.total_seconds())
    if problems:
        raise _report("afrt", "durations", problems)
    return mean_result(seconds, metric="afrt", missing=missing, confidence=confidence,
                       unit="seconds")


def afrt_from_tickets(tickets: Iterable[object], *, calendar: BusinessCalendar | None = None,
                      confidence: float = 0.95) -> Mean:
    """M-06 AFRT from ticket histories: the first public agent reply − ``opened_at``, in
    business time when a :class:`~servicekit.calendar.BusinessCalendar` is given
    (:meth:`~servicekit.calendar.BusinessCalendar.elapsed`: only the open hours count),
    wall-clock time otherwise. Tickets without a public agent reply (internal notes do not
    answer the customer) are ``missing``.
    """
    command = "afrt_from_tickets"
    if calendar is not None and not isinstance(calendar, BusinessCalendar):
        raise InvalidInputError(f"{command}: calendar must be a BusinessCalendar or None "
                                f"(got {type(calendar).__name__})")
    facts = _read_tickets(tickets, command)
    durations: list[timedelta | None] = []
    problems: list[Problem] = []
    for i, f in enumerate(facts):
        reply = f.first_public_reply_at
        if reply is None:
            durations.append(None)
            continue
        if reply < f.opened_at:
            problems.append(Problem((i, "history"), "reply_before_opening",
                                    "the first public agent reply is before opened_at"))
            continue
        durations.append(reply - f.opened_at if calendar is None
                         else calendar.elapsed(f.opened_at, reply))
    if problems:
        raise _report(command, "tickets", problems)
    return afrt(durations, confidence=confidence)


# -- backlog ------------------------------------------------------------------------------------


class BacklogAge(BaseModel):
    """How long the open tickets have waited at ``now``: their number and ages (``None`` for
    every age when no ticket is open)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    now: AwareDatetime
    open: int = Field(description="tickets open at now (opened, not resolved/closed/cancelled)")
    mean: timedelta | None = None
    median: timedelta | None = None
    p90: timedelta | None = Field(default=None, description="90th percentile (linear, R type 7)")
    oldest: timedelta | None = None


def _round_div(a: int, b: int) -> int:
    """``a / b`` rounded to the nearest integer, ties to even (exact for any size)."""
    return round(Fraction(a, b))


def _quantile(ordered: list[int], q: Fraction) -> int:
    """The ``q`` quantile by linear interpolation between order statistics (numpy's default,
    R's type 7), exact, rounded to the microsecond."""
    h = (len(ordered) - 1) * q
    low = int(h)
    if low + 1 >= len(ordered):
        return ordered[-1]
    return round(ordered[low] + (ordered[low + 1] - ordered[low]) * (h - low))


def backlog_age(tickets: Iterable[object], now: datetime) -> BacklogAge:
    """The backlog at ``now``: the tickets opened by ``now`` and not resolved, closed or
    cancelled at ``now`` (the status the last event up to ``now`` implies), with the mean,
    median, 90th percentile (linear interpolation, numpy's default) and oldest of their ages
    ``now − opened_at``, exact to the microsecond. Events after ``now`` are ignored, so a past
    backlog can be recomputed. ``now`` is an aware datetime (a naive one raises
    :class:`~servicekit.errors.NaiveDatetimeError`).
    """
    now = require_aware(now, "now")
    facts = _read_tickets(tickets, "backlog_age", now)
    ages = sorted((now - f.opened_at) // _US for f in facts
                  if f.opened_at <= now and f.status not in _DONE)
    if not ages:
        return BacklogAge(now=now, open=0)

    def us(value: int) -> timedelta:
        return timedelta(microseconds=value)

    return BacklogAge(now=now, open=len(ages), mean=us(_round_div(sum(ages), len(ages))),
                      median=us(_quantile(ages, Fraction(1, 2))),
                      p90=us(_quantile(ages, Fraction(9, 10))), oldest=us(ages[-1]))
