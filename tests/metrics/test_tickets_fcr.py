"""Metrics from ticket histories (issue 13): FCR four ways (M-02), the repeat rule, reopen
rate, AFRT (M-06) and backlog age, on tickets built with the Ticket API.

One set of tickets is judged by each FCR definition (handbook M-02, Zendesk one-touch,
Freshservice no-customer-reply, Zoho one-public-reply): any two definitions disagree on one of
them. The repeat rule is pinned at the window's edges. Hypothesis builds random ticket lives
and checks what must hold whatever happened: the handbook definition is the ticket's own
``first_contact_resolution``, order does not matter, a rate stays in [0, 1], rejected input
changes nothing, and no error repeats a value.

Times are UTC from Monday 2026-03-02 09:00 unless a calendar says otherwise.
"""

from __future__ import annotations

import contextlib
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicekit.calendar import BusinessCalendar
from servicekit.errors import InvalidInputError, NaiveDatetimeError, ServiceKitError
from servicekit.errors import exception_chain as chain
from servicekit.events import AgentReplied, CustomerReplied, Event, TicketCreated
from servicekit.metrics import (
    FCR_DEFINITIONS,
    BacklogAge,
    afrt,
    afrt_from_tickets,
    backlog_age,
    fcr_from_tickets,
    first_contact_resolution,
    reopen_rate,
)
from servicekit.tickets import Actor, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
WEEK = timedelta(days=7)

# Personal data, which no error message may repeat.
CUSTOMER_ID = "cust-zhang-13800138000"
OTHER_ID = "cust-wu-13700000000"
SUBJECT = "Charged twice, call me on 13912345678"
RESOLUTION = "Refunded to card 6222 0000 1111 2222"
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))
SYSTEM = Actor.system()
PRIVATE = (CUSTOMER_ID, OTHER_ID, SUBJECT, RESOLUTION, AGENT.id, LEAD.id, "13800138000",
           "13912345678", "6222")


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def clean(exc: ServiceKitError, *private: str) -> None:
    """The error and its chain repeat none of the personal data (nor ``private``)."""
    for e in chain(exc):
        texts = [str(e), repr(e), *map(repr, e.args)]
        if isinstance(e, ServiceKitError):
            texts += [str(p) for p in e.problems]
        for text in texts:
            for value in (*PRIVATE, *private):
                assert value not in text


# -- building tickets ---------------------------------------------------------------------------


def opened(tid: str = "T-1", *, customer: str = CUSTOMER_ID, category: str = "billing",
           at: datetime = T0, channel: str = "email") -> Ticket:
    return Ticket.open(ticket_id=tid, customer_id=customer, channel=channel, category=category,
                       priority="P3", subject=SUBJECT, at=at, by=AGENT)


def resolved_once(tid: str = "T-1", *, customer: str = CUSTOMER_ID, category: str = "billing",
                  at: datetime = T0) -> Ticket:
    """One public reply after 20 minutes, resolved at ``at`` + 2 h: M-02 in every sense."""
    return (opened(tid, customer=customer, category=category, at=at)
            .reply(at=at + 20 * M, by=AGENT)
            .resolve(at=at + 2 * H, by=AGENT, resolution=RESOLUTION))


def life(name: str, tid: str) -> Ticket:
    """The lives the four FCR definitions are told apart by (see ``VERDICTS``)."""
    t = opened(tid, customer=f"cust-{tid}")
    if name == "one reply":
        t = t.reply(at=T0 + H, by=AGENT)
    elif name == "no reply":
        t = t.assign(AGENT.id, at=T0 + H, by=LEAD)
    elif name == "customer wrote again":
        t = t.reply(at=T0 + H, by=AGENT).customer_reply(at=T0 + 90 * M)
    elif name == "two replies":
        t = t.reply(at=T0 + H, by=AGENT).reply(at=T0 + 90 * M, by=AGENT)
    elif name in {"reopened, solved again", "reopened, still open"}:
        t = (t.reply(at=T0 + H, by=AGENT)
             .resolve(at=T0 + 2 * H, by=AGENT, resolution=RESOLUTION)
             .reopen(at=T0 + 3 * H))
        if name == "reopened, still open":
            return t
    elif name == "a private note only":
        t = t.assign(AGENT.id, at=T0 + H, by=LEAD).reply(at=T0 + 90 * M, by=AGENT, public=False)
    elif name == "never resolved":
        return t.reply(at=T0 + H, by=AGENT)
    elif name == "cancelled unresolved":
        return t.cancel(at=T0 + H, by=LEAD, reason="a duplicate")
    t = t.resolve(at=T0 + 4 * H, by=AGENT, resolution=RESOLUTION)
    return t.close(at=T0 + D, by=SYSTEM) if name == "one reply" else t


#: each life's verdict by definition: handbook, one-touch, no-customer-reply, one-public-reply
VERDICTS: dict[str, tuple[bool, bool, bool, bool]] = {
    "one reply": (True, True, True, True),
    "no reply": (False, True, True, False),
    "customer wrote again": (True, True, False, True),
    "two replies": (False, False, True, False),
    "reopened, solved again": (False, True, False, True),
    "reopened, still open": (False, False, False, False),
    "a private note only": (False, True, True, False),
}
UNRESOLVED = ("never resolved", "cancelled unresolved")


def judged(t: Ticket, definition: str, **kw: Any) -> bool:
    r = fcr_from_tickets([t], definition=definition, **kw)
    assert (r.n, r.missing) == (1, 0)
    return r.successes == 1


@dataclass(frozen=True)
class Record:
    """A host's own ticket record: only the five attributes the metrics read."""

    ticket_id: Any
    customer_id: Any
    category: Any
    opened_at: Any
    history: Any


def record(t: Ticket, **changes: Any) -> Record:
    return replace(Record(t.ticket_id, t.customer_id, t.category, t.opened_at, t.history),
                   **changes)


# -- M-02: the handbook rule for one ticket ------------------------------------------------------


@pytest.mark.parametrize(("replies", "reopens", "expected"), [
    (None, 0, None), (0, 0, False), (1, 0, True), (2, 0, False), (1, 1, False), (1, 3, False),
    (None, 2, None),
])
def test_m02_first_contact_resolution_is_one_public_reply_and_no_reopen(
        replies: int | None, reopens: int, expected: bool | None) -> None:
    assert first_contact_resolution(replies, reopens) is expected


@pytest.mark.parametrize(("replies", "reopens", "field", "kind"), [
    (True, 0, "replies_at_first_resolution", "bool"), (-1, 0, "replies_at_first_resolution",
                                                        "int"),
    (1.0, 0, "replies_at_first_resolution", "float"), (1, None, "reopens", "NoneType"),
    (1, -2, "reopens", "int"), (1, "13800138000", "reopens", "str"),
])
def test_m02_first_contact_resolution_refuses_what_is_not_a_count(
        replies: object, reopens: object, field: str, kind: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        first_contact_resolution(bad(replies), bad(reopens))
    assert field in str(caught.value)
    assert kind in str(caught.value)
    clean(caught.value)


def test_m02_the_ticket_records_the_rule_from_metrics() -> None:
    """The rule moved to metrics; the ticket (live and replayed) still answers with it."""
    from servicekit import tickets

    assert tickets.first_contact_resolution is first_contact_resolution
    for name in (*VERDICTS, *UNRESOLVED):
        t = life(name, "T-1")
        expected = first_contact_resolution(t.replies_at_first_resolution, t.reopens)
        assert t.first_contact_resolution is expected
        assert Ticket.replay(t.history).first_contact_resolution is expected


# -- the four FCR definitions ---------------------------------------------------------------------


@pytest.mark.parametrize("name", VERDICTS)
@pytest.mark.parametrize("definition", FCR_DEFINITIONS)
def test_m02_each_definition_judges_each_life(name: str, definition: str) -> None:
    expected = VERDICTS[name][FCR_DEFINITIONS.index(definition)]
    assert judged(life(name, "T-1"), definition) is expected


def test_m02_any_two_definitions_disagree_on_one_of_the_lives() -> None:
    columns = list(zip(*VERDICTS.values(), strict=True))
    for a in range(4):
        for b in range(a + 1, 4):
            assert columns[a] != columns[b], (FCR_DEFINITIONS[a], FCR_DEFINITIONS[b])


def test_m02_the_handbook_definition_is_the_tickets_own_record() -> None:
    for name in VERDICTS:
        t = life(name, "T-1")
        assert judged(t, "handbook") is t.first_contact_resolution


def test_m02_the_whole_set_by_each_definition() -> None:
    tickets = [life(name, f"T-{i}") for i, name in enumerate((*VERDICTS, *UNRESOLVED))]
    for k, definition in enumerate(FCR_DEFINITIONS):
        r = fcr_from_tickets(tickets, definition=definition)
        assert r.metric == "fcr"
        assert (r.n, r.missing) == (len(VERDICTS), len(UNRESOLVED))
        assert r.successes == sum(v[k] for v in VERDICTS.values())
        assert r.value == r.successes / r.n
    # handbook 2 of 7, one-touch 5, no-customer-reply 4, one-public-reply 3
    assert [fcr_from_tickets(tickets, definition=d).successes for d in FCR_DEFINITIONS] == [
        2, 5, 4, 3]


@pytest.mark.parametrize("name", UNRESOLVED)
@pytest.mark.parametrize("definition", FCR_DEFINITIONS)
def test_m02_a_ticket_never_resolved_is_missing_not_a_failure(name: str,
                                                              definition: str) -> None:
    r = fcr_from_tickets([life(name, "T-1")], definition=definition)
    assert (r.n, r.successes, r.missing, r.value, r.ci_low) == (0, 0, 1, None, None)
    assert r.meets(0.85) is None


def test_m02_no_tickets_is_no_data() -> None:
    r = fcr_from_tickets([])
    assert (r.n, r.missing, r.value) == (0, 0, None)


def test_m02_the_interval_is_wilson_by_default_and_follows_method() -> None:
    tickets = [life(name, f"T-{i}") for i, name in enumerate(VERDICTS)]
    wilson = fcr_from_tickets(tickets)
    assert wilson.method == "wilson"
    assert wilson.ci_low is not None
    assert wilson.ci_low < 2 / 7 < wilson.ci_high  # type: ignore[operator]
    exact = fcr_from_tickets(tickets, method="clopper-pearson", confidence=0.9)
    assert (exact.method, exact.confidence, exact.successes) == ("clopper-pearson", 0.9, 2)


# -- the repeat rule -----------------------------------------------------------------------------

RESOLVED_AT = T0 + 2 * H  # resolved_once's resolution


@pytest.mark.parametrize(("offset", "repeat"), [
    (-US, False),            # opened while the first was still open: a parallel ticket
    (timedelta(0), True),    # at the resolution: the window includes its start
    (D, True),
    (WEEK, True),            # the window includes its end
    (WEEK + US, False),      # just after it
])
@pytest.mark.parametrize("definition", FCR_DEFINITIONS)
def test_m02_a_repeat_within_the_window_fails_every_definition(
        offset: timedelta, repeat: bool, definition: str) -> None:
    first = resolved_once("T-1")
    again = opened("T-2", at=RESOLVED_AT + offset)
    r = fcr_from_tickets([first, again], definition=definition)
    assert (r.n, r.missing) == (1, 1)
    assert r.successes == (0 if repeat else 1)


def test_m02_the_window_is_the_callers() -> None:
    first = resolved_once("T-1")
    again = opened("T-2", at=RESOLVED_AT + 3 * D)
    assert fcr_from_tickets([first, again], repeat_window=2 * D).successes == 1
    assert fcr_from_tickets([first, again], repeat_window=3 * D).successes == 0
    assert fcr_from_tickets([first, again], repeat_window=None).successes == 1
    at_once = opened("T-3", at=RESOLVED_AT)
    assert fcr_from_tickets([first, at_once], repeat_window=timedelta(0)).successes == 0


@pytest.mark.parametrize("other", [
    {"customer": OTHER_ID},         # another customer
    {"category": "delivery"},       # another problem
])
def test_m02_only_the_same_customer_and_category_repeat(other: dict[str, str]) -> None:
    first = resolved_once("T-1")
    again = opened("T-2", at=RESOLVED_AT + H, **other)
    assert fcr_from_tickets([first, again]).successes == 1


def test_m02_the_window_counts_from_the_first_resolution() -> None:
    """Resolved, reopened, resolved again 5 days later: a ticket 3 days after the second
    resolution is 8 days after the first, outside the window (the handbook fails the reopen
    anyway; the one-touch definition keeps it)."""
    first = (resolved_once("T-1").reopen(at=RESOLVED_AT + D)
             .resolve(at=RESOLVED_AT + 5 * D, by=AGENT, resolution=RESOLUTION))
    again = opened("T-2", at=RESOLVED_AT + 8 * D)
    assert fcr_from_tickets([first], definition="one-touch").successes == 1
    assert fcr_from_tickets([first, again], definition="one-touch").successes == 1
    sooner = opened("T-3", at=RESOLVED_AT + 6 * D)
    assert fcr_from_tickets([first, sooner], definition="one-touch").successes == 0


def test_m02_a_ticket_resolved_as_it_opened_is_not_its_own_repeat() -> None:
    t = (opened("T-1").reply(at=T0, by=AGENT).resolve(at=T0, by=AGENT, resolution=RESOLUTION))
    assert fcr_from_tickets([t]).successes == 1
    assert fcr_from_tickets([t, opened("T-2", at=T0)]).successes == 0


def test_m02_both_tickets_of_a_chain_are_judged() -> None:
    """The second ticket is resolved too, and fails for a third one; the third stands."""
    first = resolved_once("T-1")
    second = resolved_once("T-2", at=T0 + D)
    third = resolved_once("T-3", at=T0 + 2 * D)
    r = fcr_from_tickets([first, second, third])
    assert (r.n, r.successes) == (3, 1)


def test_m02_tickets_without_a_customer_never_repeat() -> None:
    first, again = resolved_once("T-1"), opened("T-2", at=RESOLVED_AT + H)
    anonymous = [record(first, customer_id=None), record(again, customer_id=None)]
    assert fcr_from_tickets(anonymous).successes == 1
    assert fcr_from_tickets([record(first, customer_id=""), record(again, customer_id="")]
                            ).successes == 1


# -- duck-typed tickets --------------------------------------------------------------------------


def test_a_hosts_own_records_are_read_like_tickets() -> None:
    tickets = [life(name, f"T-{i}") for i, name in enumerate((*VERDICTS, *UNRESOLVED))]
    records = [record(t) for t in tickets]
    lists = [record(t, history=list(t.history)) for t in tickets]
    for definition in FCR_DEFINITIONS:
        expected = fcr_from_tickets(tickets, definition=definition)
        assert fcr_from_tickets(records, definition=definition) == expected
        assert fcr_from_tickets(iter(lists), definition=definition) == expected
    assert reopen_rate(records) == reopen_rate(tickets)
    assert afrt_from_tickets(records) == afrt_from_tickets(tickets)


def test_every_bad_ticket_is_reported_at_once_by_position_and_field() -> None:
    good = resolved_once("T-1")
    naive = record(resolved_once("T-2"), opened_at=datetime(2026, 3, 2, 9))
    not_events = record(resolved_once("T-3"), history=(good.history[0], {"type": SUBJECT}))
    backwards = record(resolved_once("T-4"), history=tuple(reversed(good.history)))
    bad_fields = record(resolved_once("T-5"), ticket_id="", customer_id=13800138000,
                        category=[SUBJECT], history=SUBJECT)
    twice = record(good)
    with pytest.raises(InvalidInputError) as caught:
        fcr_from_tickets([good, bad(SUBJECT), naive, not_events, backwards, bad_fields, twice])
    locs = [p.loc for p in caught.value.problems]
    # backwards: 2 h, 20 min, 20 min (a tie is in order), 0
    assert locs == [(1,), (2, "opened_at"), (3, "history", 1), (4, "history", 1),
                    (4, "history", 3), (5, "ticket_id"), (5, "customer_id"), (5, "category"),
                    (5, "history"), (6, "ticket_id")]
    types = {p.loc: p.type for p in caught.value.problems}
    assert types[2, "opened_at"] == "naive_datetime"
    assert types[3, "history", 1] == "invalid_event"
    assert types[4, "history", 1] == "out_of_order"
    assert types[6, "ticket_id"] == "duplicate_ticket"
    assert "10 invalid tickets" in str(caught.value)
    assert "dict" in str(caught.value)  # the type found
    clean(caught.value, "T-1", "T-2", "T-3", "T-4", "T-5")


@pytest.mark.parametrize("call", [
    lambda: fcr_from_tickets(bad(5)),
    lambda: fcr_from_tickets(bad(SUBJECT)),
    lambda: fcr_from_tickets([], definition="zendesk"),
    lambda: fcr_from_tickets([], definition=bad(SUBJECT)),
    lambda: fcr_from_tickets([], repeat_window=-US),
    lambda: fcr_from_tickets([], repeat_window=bad(7)),
    lambda: fcr_from_tickets([], method="normal-ish"),
    lambda: fcr_from_tickets([], confidence=1.5),
    lambda: reopen_rate(bad(None)),
    lambda: afrt_from_tickets([], calendar=bad(SUBJECT)),
    lambda: backlog_age(bad(3), T0),
])
def test_bad_arguments_are_refused_cleanly(call: Callable[[], object]) -> None:
    with pytest.raises(InvalidInputError) as caught:
        call()
    clean(caught.value)


# -- reopen rate ----------------------------------------------------------------------------------


def test_reopen_rate_is_the_share_of_resolved_tickets_reopened() -> None:
    tickets = [life(name, f"T-{i}") for i, name in enumerate((*VERDICTS, *UNRESOLVED))]
    r = reopen_rate(tickets)
    assert r.metric == "reopen_rate"
    assert (r.successes, r.n, r.missing) == (2, 7, 2)
    twice = (resolved_once("T-9").reopen(at=T0 + 3 * H).resolve(at=T0 + 4 * H, by=AGENT,
                                                                    resolution=RESOLUTION)
             .reopen(at=T0 + 5 * H))
    assert reopen_rate([twice]).successes == 1  # a ticket, not a reopen, is counted


# -- M-06 AFRT ------------------------------------------------------------------------------------


def test_m06_afrt_is_the_mean_first_response_with_students_interval() -> None:
    from scipy import stats

    times = [timedelta(minutes=30), timedelta(hours=1), timedelta(minutes=90), None]
    r = afrt(times)
    assert (r.metric, r.unit, r.n, r.missing) == ("afrt", "seconds", 3, 1)
    assert r.value == 3600.0
    seconds = [1800.0, 3600.0, 5400.0]
    low, high = stats.t.interval(0.95, 2, loc=3600.0, scale=stats.sem(seconds))
    assert r.ci_low == pytest.approx(low, rel=1e-9)
    assert r.ci_high == pytest.approx(high, rel=1e-9)
    assert r.std == pytest.approx(statistics.stdev(seconds), rel=1e-12)


def test_m06_the_two_hour_target() -> None:
    fast = afrt([timedelta(minutes=m) for m in (20, 30, 40, 25, 35) * 4])
    slow = afrt([timedelta(hours=h) for h in (3, 4, 3.5, 3.2, 3.8) * 4])
    assert fast.meets(7200, at_most=True) is True
    assert slow.meets(7200, at_most=True) is False
    assert afrt([timedelta(hours=1)]).meets(7200, at_most=True) is None  # one answer: no CI


def test_m06_afrt_of_nothing_is_no_data() -> None:
    r = afrt([None, None])
    assert (r.n, r.missing, r.value) == (0, 2, None)


def test_m06_afrt_refuses_every_bad_position_at_once_never_the_value() -> None:
    with pytest.raises(InvalidInputError) as caught:
        afrt([timedelta(-1), bad("13800138000"), None, bad(5.0), timedelta(1), bad(True)])
    assert [p.loc for p in caught.value.problems] == [(0,), (1,), (3,), (5,)]
    assert [p.type for p in caught.value.problems] == [
        "negative_duration", "invalid_duration", "invalid_duration", "invalid_duration"]
    assert "str" in str(caught.value)
    clean(caught.value)


def test_m06_afrt_from_tickets_reads_the_first_public_reply() -> None:
    a = opened("T-1").reply(at=T0 + 10 * M, by=AGENT, public=False).reply(at=T0 + 30 * M,
                                                                           by=AGENT)
    a = a.reply(at=T0 + 50 * M, by=AGENT)
    b = opened("T-2", at=T0 + H).reply(at=T0 + 2 * H, by=AGENT)
    only_notes = opened("T-3").assign(AGENT.id, at=T0, by=LEAD).reply(at=T0 + M, by=AGENT,
                                                                        public=False)
    silent = opened("T-4").cancel(at=T0 + H, by=LEAD, reason="spam")
    r = afrt_from_tickets([a, b, only_notes, silent])
    assert (r.value, r.n, r.missing) == (2700.0, 2, 2)
    assert r == afrt([timedelta(minutes=30), timedelta(hours=1), None, None])


def test_m06_afrt_in_business_time_on_a_calendar() -> None:
    """Opened Friday 17:00 in Shanghai, answered Monday 10:00: 65 hours on the clock, 2 hours
    of the desk's (09:00-12:00, 13:00-18:00)."""
    shanghai = ZoneInfo("Asia/Shanghai")
    cal = BusinessCalendar(tz="Asia/Shanghai", hours="09:00-12:00,13:00-18:00")
    friday = datetime(2026, 3, 6, 17, 0, tzinfo=shanghai)
    t = opened(at=friday).reply(at=datetime(2026, 3, 9, 10, 0, tzinfo=shanghai), by=AGENT)
    assert afrt_from_tickets([t]).value == 65 * 3600
    business = afrt_from_tickets([t], calendar=cal)
    assert business.value == 2 * 3600
    assert business.value == cal.elapsed(t.opened_at, t.history[1].at).total_seconds()


def test_m06_a_reply_before_the_opening_is_refused() -> None:
    t = resolved_once("T-1")
    early = record(t, opened_at=T0 + H)
    with pytest.raises(InvalidInputError) as caught:
        afrt_from_tickets([resolved_once("T-0"), early])
    assert [p.loc for p in caught.value.problems] == [(1, "history")]
    clean(caught.value)


# -- backlog age ---------------------------------------------------------------------------------


def test_backlog_age_of_the_open_tickets_at_now() -> None:
    now = T0 + 10 * H
    ages = {"T-1": 10 * H, "T-2": 9 * H, "T-3": 7 * H, "T-4": 6 * H, "T-5": 30 * M}
    waiting = [opened(tid, at=now - age) for tid, age in ages.items()]
    waiting[1] = waiting[1].reply(at=now - 8 * H, by=AGENT).wait_on_customer(
        at=now - 8 * H, by=AGENT)  # pending the customer: still in the backlog
    waiting[2] = waiting[2].reply(at=now - 6 * H, by=AGENT).resolve(
        at=now - 5 * H, by=AGENT, resolution=RESOLUTION).reopen(at=now - 4 * H)  # back again
    done = [resolved_once("T-6"), resolved_once("T-7").close(at=T0 + 3 * H, by=AGENT),
            opened("T-8").cancel(at=T0 + H, by=LEAD, reason="spam")]
    later = opened("T-9", at=now + US)  # not opened yet
    resolved_later = opened("T-10", at=T0).reply(at=T0 + H, by=AGENT).resolve(
        at=now + H, by=AGENT, resolution=RESOLUTION)  # still open at now
    b = backlog_age([*waiting, *done, later, resolved_later], now)
    assert isinstance(b, BacklogAge)
    everything = sorted([*ages.values(), 10 * H])
    seconds = [a.total_seconds() for a in everything]
    assert b.now == now
    assert b.open == 6
    assert b.oldest == 10 * H
    assert b.mean == sum(everything, timedelta(0)) / 6
    assert b.median == timedelta(seconds=statistics.median(seconds))
    assert b.p90 == timedelta(seconds=float(np.percentile(seconds, 90)))
    assert b.p90 == timedelta(
        seconds=statistics.quantiles(seconds, n=10, method="inclusive")[8])


def test_backlog_age_of_an_empty_backlog_is_none() -> None:
    b = backlog_age([resolved_once("T-1")], T0 + D)
    assert (b.open, b.mean, b.median, b.p90, b.oldest) == (0, None, None, None, None)
    assert backlog_age([], T0).open == 0


def test_backlog_age_one_ticket() -> None:
    b = backlog_age([opened()], T0 + H)
    assert (b.open, b.mean, b.median, b.p90, b.oldest) == (1, H, H, H, H)


def test_backlog_age_is_exact_to_the_microsecond() -> None:
    tickets = [opened("T-1", at=T0), opened("T-2", at=T0 + US)]
    b = backlog_age(tickets, T0 + 2 * US)
    assert b.mean == b.median == 2 * US  # 1.5 µs rounds to even
    assert b.p90 == 2 * US  # 1.9 µs


def test_backlog_age_refuses_a_naive_now() -> None:
    with pytest.raises(NaiveDatetimeError) as caught:
        backlog_age([opened()], datetime(2026, 3, 2, 12))
    assert "now" in str(caught.value)
    with pytest.raises(InvalidInputError):
        backlog_age([opened()], bad("2026-03-02"))


# -- properties over random ticket lives -----------------------------------------------------------

COMMANDS = ("reply", "note", "customer_reply", "assign", "wait", "resume", "resolve", "reopen",
            "close", "cancel")


def run(t: Ticket, command: str, at: datetime) -> Ticket:
    if command == "reply":
        return t.reply(at=at, by=AGENT)
    if command == "note":
        return t.reply(at=at, by=AGENT, public=False)
    if command == "customer_reply":
        return t.customer_reply(at=at)
    if command == "assign":
        return t.assign(AGENT.id, at=at, by=LEAD)
    if command == "wait":
        return t.wait_on_customer(at=at, by=AGENT)
    if command == "resume":
        return t.resume(at=at, by=AGENT)
    if command == "resolve":
        return t.resolve(at=at, by=AGENT, resolution=RESOLUTION)
    if command == "reopen":
        return t.reopen(at=at, by=LEAD if at.minute % 2 else None)
    if command == "close":
        return t.close(at=at, by=SYSTEM)
    return t.cancel(at=at, by=LEAD, reason="spam")


@st.composite
def ticket_lists(draw: st.DrawFn, max_size: int = 6) -> list[Ticket]:
    """Tickets of two customers in two categories, opened over three weeks, each living up to
    eight random commands a few minutes to three days apart (refused ones are skipped)."""
    out = []
    for k in range(draw(st.integers(0, max_size))):
        at = T0 + draw(st.integers(0, 21 * 24 * 60)) * M
        t = opened(f"T-{k}", customer=draw(st.sampled_from([CUSTOMER_ID, OTHER_ID])),
                   category=draw(st.sampled_from(["billing", "delivery"])), at=at)
        steps = draw(st.lists(st.tuples(st.sampled_from(COMMANDS),
                                        st.integers(0, 3 * 24 * 60)), max_size=8))
        for command, minutes in steps:
            at += minutes * M
            with contextlib.suppress(ServiceKitError):  # a command the state refuses
                t = run(t, command, at)
        out.append(t)
    return out


definitions = st.sampled_from(FCR_DEFINITIONS)
windows = st.one_of(st.none(), st.integers(0, 10 * 24 * 60).map(lambda m: m * M))


@settings(max_examples=60, deadline=None)
@given(ticket_lists(), definitions, windows, st.randoms(use_true_random=False))
def test_property_order_does_not_matter(tickets: list[Ticket], definition: str,
                                        window: timedelta | None, rnd: Any) -> None:
    shuffled = list(tickets)
    rnd.shuffle(shuffled)
    kw: dict[str, Any] = {"definition": definition, "repeat_window": window}
    assert fcr_from_tickets(shuffled, **kw) == fcr_from_tickets(tickets, **kw)
    assert reopen_rate(shuffled) == reopen_rate(tickets)
    a, b = afrt_from_tickets(shuffled), afrt_from_tickets(tickets)
    assert (a.n, a.missing) == (b.n, b.missing)
    if b.value is not None:  # a sum in another order: equal to the last bits
        assert a.value == pytest.approx(b.value, rel=1e-12)
    now = T0 + 12 * D
    assert backlog_age(shuffled, now) == backlog_age(tickets, now)


@settings(max_examples=60, deadline=None)
@given(ticket_lists(), definitions, windows)
def test_property_a_rate_stays_in_0_1_with_its_point_inside_the_interval(
        tickets: list[Ticket], definition: str, window: timedelta | None) -> None:
    for r in (fcr_from_tickets(tickets, definition=definition, repeat_window=window),
              reopen_rate(tickets)):
        assert r.n + r.missing == len(tickets)
        assert 0 <= r.successes <= r.n
        if r.n:
            assert r.value is not None
            assert r.ci_low is not None
            assert r.ci_high is not None
            assert 0 <= r.ci_low <= r.value <= r.ci_high <= 1
        else:
            assert r.value is None


@settings(max_examples=60, deadline=None)
@given(ticket_lists())
def test_property_the_handbook_definition_is_the_tickets_own_fcr(tickets: list[Ticket]) -> None:
    r = fcr_from_tickets(tickets, repeat_window=None)
    known = [t.first_contact_resolution for t in tickets
             if t.first_contact_resolution is not None]
    assert (r.successes, r.n) == (sum(known), len(known))
    for t in tickets:  # one by one, and for the vendors: what each judges implies the other
        if t.first_contact_resolution is None:
            continue
        verdict = {d: judged(t, d, repeat_window=None) for d in FCR_DEFINITIONS}
        assert verdict["handbook"] is t.first_contact_resolution
        if verdict["one-public-reply"]:
            assert verdict["one-touch"]
        if verdict["handbook"]:  # the default process takes no reply after a resolution
            assert verdict["one-public-reply"]


@settings(max_examples=60, deadline=None)
@given(ticket_lists(), definitions, st.integers(0, 10 * 24 * 60))
def test_property_the_repeat_rule_only_fails_tickets_and_more_so_as_the_window_grows(
        tickets: list[Ticket], definition: str, minutes: int) -> None:
    off = fcr_from_tickets(tickets, definition=definition, repeat_window=None)
    short = fcr_from_tickets(tickets, definition=definition, repeat_window=minutes * M)
    long = fcr_from_tickets(tickets, definition=definition, repeat_window=minutes * M + D)
    assert off.successes >= short.successes >= long.successes
    assert off.n == short.n == long.n


@settings(max_examples=60, deadline=None)
@given(ticket_lists(), st.integers(0, 30 * 24 * 60))
def test_property_backlog_age_matches_a_direct_count(tickets: list[Ticket],
                                                     minutes: int) -> None:
    now = T0 + minutes * M
    replayed = []
    for t in tickets:  # the ticket as it stood at now: its events up to now, replayed
        events = [e for e in t.history if e.at <= now]
        if events:
            replayed.append(Ticket.replay(events))
    ages = sorted(now - t.opened_at for t in replayed
                  if t.status not in {"resolved", "closed", "cancelled"})
    b = backlog_age(tickets, now)
    assert b.open == len(ages)
    if ages:
        seconds = [a.total_seconds() for a in ages]
        assert b.oldest == ages[-1]
        assert b.median is not None
        assert b.p90 is not None
        assert b.mean is not None
        assert abs(b.median.total_seconds() - statistics.median(seconds)) <= 1e-6
        assert abs(b.p90.total_seconds() - float(np.percentile(seconds, 90))) <= 1e-6
        assert abs(b.mean.total_seconds() - statistics.fmean(seconds)) <= 1e-6
        assert ages[0] <= b.median <= b.p90 <= b.oldest


@settings(max_examples=40, deadline=None)
@given(ticket_lists(max_size=4), st.sampled_from([SUBJECT, 13800138000, None, {"k": SUBJECT}]),
       st.integers(0, 4))
def test_property_rejected_input_changes_nothing(tickets: list[Ticket], junk: object,
                                                 where: int) -> None:
    before = fcr_from_tickets(tickets), reopen_rate(tickets), backlog_age(tickets, T0 + 30 * D)
    copies = [t.model_copy() for t in tickets]
    histories = [t.history for t in tickets]
    with_junk = list(tickets)
    with_junk.insert(min(where, len(with_junk)), bad(junk))
    for call in (fcr_from_tickets, reopen_rate, afrt_from_tickets,
                 lambda ts: backlog_age(ts, T0 + 30 * D)):
        with pytest.raises(InvalidInputError) as caught:
            call(with_junk)
        assert [p.loc for p in caught.value.problems] == [(min(where, len(tickets)),)]
        clean(caught.value, SUBJECT, "13800138000")
    assert tickets == copies
    assert [t.history for t in tickets] == histories
    assert (fcr_from_tickets(tickets), reopen_rate(tickets),
            backlog_age(tickets, T0 + 30 * D)) == before


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 10**9).map(lambda s: s * US)), max_size=30))
def test_property_afrt_is_the_mean_of_the_durations_present(
        times: list[timedelta | None]) -> None:
    r = afrt(times)
    present = [t.total_seconds() for t in times if t is not None]
    assert (r.n, r.missing) == (len(present), len(times) - len(present))
    if present:
        assert r.value is not None
        assert math.isclose(r.value, statistics.fmean(present), rel_tol=1e-12, abs_tol=1e-9)
        assert min(present) - 1e-9 <= r.value <= max(present) + 1e-9
    if len(present) > 1:
        assert r.ci_low is not None
        assert r.ci_high is not None
        assert r.ci_low <= r.value <= r.ci_high  # type: ignore[operator]


def test_host_events_in_a_history_are_read_by_their_kind() -> None:
    """A record built from a help-desk export: events made directly, not by commands."""
    history: list[Event] = [
        TicketCreated(stream_id="X-1", at=T0, priority="P3", customer_id=CUSTOMER_ID),
        CustomerReplied(stream_id="X-1", at=T0 + M),
        AgentReplied(stream_id="X-1", at=T0 + 5 * M),
    ]
    r = afrt_from_tickets([Record("X-1", CUSTOMER_ID, "billing", T0, history)])
    assert r.value == 300.0
    assert backlog_age([Record("X-1", CUSTOMER_ID, "billing", T0, history)], T0 + H).open == 1
    assert fcr_from_tickets([Record("X-1", CUSTOMER_ID, "billing", T0, history)]).missing == 1
