"""Edges of FCR from ticket histories found by the mutation run of issue 13: every customer
contact counts against Freshservice's definition, and a duplicate ticket does not hide the
problems of the tickets after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_tickets_fcr import record

from servicekit.errors import InvalidInputError
from servicekit.metrics import backlog_age, fcr_from_tickets
from servicekit.tickets import Actor, Ticket

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def opened(tid: str) -> Ticket:
    return Ticket.open(ticket_id=tid, customer_id=f"cust-{tid}", channel="email",
                       category="billing", priority="P3", subject="Invoice", at=T0, by=AGENT)


def no_customer_reply(t: Ticket) -> bool:
    r = fcr_from_tickets([t], definition="no-customer-reply")
    assert (r.n, r.missing) == (1, 0)
    return r.successes == 1


def test_m02_freshservice_a_reply_and_a_reopen_by_the_customer_are_two_contacts() -> None:
    """"no-customer-reply": solved at the end with no customer reply after the description,
    a reopen by the customer being one. A ticket the customer wrote to and reopened fails, as
    one with either alone does: each contact counts, none cancels another."""
    replied = opened("T-1").reply(at=T0 + H, by=AGENT).customer_reply(at=T0 + 2 * H)
    solved = replied.resolve(at=T0 + 3 * H, by=AGENT, resolution="refunded")
    both = (solved.reopen(at=T0 + 4 * H).reply(at=T0 + 5 * H, by=AGENT)
            .resolve(at=T0 + 6 * H, by=AGENT, resolution="refunded"))
    reopened_only = (opened("T-2").reply(at=T0 + H, by=AGENT)
                     .resolve(at=T0 + 3 * H, by=AGENT, resolution="refunded")
                     .reopen(at=T0 + 4 * H)
                     .resolve(at=T0 + 6 * H, by=AGENT, resolution="refunded"))
    clean = (opened("T-3").reply(at=T0 + H, by=AGENT)
             .resolve(at=T0 + 3 * H, by=AGENT, resolution="refunded"))
    assert no_customer_reply(clean) is True
    assert no_customer_reply(solved) is False
    assert no_customer_reply(reopened_only) is False
    assert no_customer_reply(both) is False


def test_a_duplicate_ticket_does_not_hide_the_problems_after_it() -> None:
    """Every bad position is reported at once: the tickets after a duplicate id are still
    read and their problems listed."""
    good = opened("T-1").reply(at=T0 + H, by=AGENT)
    with pytest.raises(InvalidInputError) as caught:
        fcr_from_tickets([good, good, bad("not a ticket"), good])
    assert [(p.loc, p.type) for p in caught.value.problems] == [
        ((1, "ticket_id"), "duplicate_ticket"), ((2,), "not_a_ticket"),
        ((3, "ticket_id"), "duplicate_ticket")]


def test_a_host_record_without_customer_or_category_is_read() -> None:
    """customer_id and category are "a string or None": a host's record without them is a
    ticket (it simply cannot be a repeat), ticket_id is required."""
    solved = (opened("T-1").reply(at=T0 + H, by=AGENT)
              .resolve(at=T0 + 2 * H, by=AGENT, resolution="refunded"))
    for changes in ({"category": None}, {"customer_id": None},
                    {"customer_id": None, "category": None}):
        r = fcr_from_tickets([record(solved, **changes)])
        assert (r.successes, r.n, r.missing) == (1, 1, 0)
    with pytest.raises(InvalidInputError):
        fcr_from_tickets([record(solved, ticket_id=None)])


def test_the_backlog_at_now_includes_what_happened_at_now() -> None:
    """backlog_age: the status the last event *up to* now implies: a ticket resolved at
    exactly now is no longer open; one microsecond before, it still is."""
    t = opened("T-1").reply(at=T0 + H, by=AGENT).resolve(at=T0 + 2 * H, by=AGENT,
                                                          resolution="refunded")
    assert backlog_age([t], T0 + 2 * H).open == 0
    before = backlog_age([t], T0 + 2 * H - timedelta(microseconds=1))
    assert (before.open, before.oldest) == (1, 2 * H - timedelta(microseconds=1))


def test_events_after_now_are_ignored_but_still_checked() -> None:
    """A past backlog ignores later events, not their problems: an out-of-order event after
    now is reported as it is without now."""
    t = opened("T-1").reply(at=T0 + H, by=AGENT).reply(at=T0 + 2 * H, by=AGENT)
    *start, second = t.history                  # created, replied and pending at 10:00
    swapped = record(t, history=(start[0], second, *start[1:]))
    for now in (T0 + 90 * timedelta(minutes=1), T0 + 3 * H):
        with pytest.raises(InvalidInputError) as caught:
            backlog_age([swapped], now)
        assert [(p.loc, p.type) for p in caught.value.problems] == [
            ((0, "history", 2), "out_of_order")]


def test_a_backlog_cannot_be_changed_after_it_is_measured() -> None:
    t = opened("T-1").reply(at=T0 + H, by=AGENT)
    backlog = backlog_age([t], T0 + 3 * H)
    assert (backlog.open, backlog.oldest) == (1, 3 * H)
    with pytest.raises(ValueError, match="frozen"):
        backlog.open = 0
