"""Shared pieces of the complaint tests (issue 11): actors, instants in Shanghai, personal data,
complaints built to each stage, and the check that a rejected command changes nothing.

Import it by basename (``from complaint_world import …``): the tests have no packages, and
pytest puts a test file's directory on ``sys.path``.

Instants are in ``Asia/Shanghai`` on the handbook's China calendar (09:00-12:00 and
13:00-18:00, Monday to Friday, with the statutory holidays and make-up working days: in 2026
National Day is 1-7 October, and Sunday 20 September and Saturday 10 October are working
days). :data:`T0` is an ordinary Monday, 2026-10-12 09:00.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from servicekit.complaints import Actor, Complaint
from servicekit.errors import ServiceKitError, exception_chain

__all__ = [
    "AGENT",
    "CAUSE",
    "CONTENT",
    "CUSTOMER",
    "CUSTOMER_ID",
    "LEAD",
    "MANAGER",
    "OTHER_CUSTOMER",
    "PRIVATE",
    "SHANGHAI",
    "SPECIALIST",
    "SYSTEM",
    "T0",
    "US",
    "D",
    "H",
    "M",
    "acknowledged",
    "analysed",
    "awaiting_feedback",
    "bad",
    "closed",
    "handling",
    "private_free",
    "proposed",
    "received",
    "refused",
    "sh",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
US = timedelta(microseconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


def sh(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime:
    """An instant on the wall clock of Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


T0 = sh(10, 12)  # Monday 2026-10-12 09:00, an ordinary working week

# Personal data, which no error message may repeat.
CUSTOMER_ID = "cust-zhang-13800138000"
CONTENT = "Charged twice for order A-17, call me on 13912345678"
CAUSE = "billing error, wang.fang@example.com knows"
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
SPECIALIST = Actor(id="specialist-sun-0311", roles=frozenset({"specialist"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))
MANAGER = Actor(id="manager-zhou-1209", roles=frozenset({"manager"}))
CUSTOMER = Actor.customer(CUSTOMER_ID)
OTHER_CUSTOMER = Actor.customer("cust-wu-13700000000")
SYSTEM = Actor.system()
PRIVATE = (CUSTOMER_ID, CONTENT, CAUSE, "13800138000", "13912345678", "13700000000",
           "wang.fang", AGENT.id, SPECIALIST.id, LEAD.id, MANAGER.id)


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def private_free(exc: BaseException) -> None:
    """The error and every exception on its chain repeat no personal data."""
    for link in exception_chain(exc):
        for text in (str(link), repr(link)):
            leaked = [s for s in PRIVATE if s in text]
            assert not leaked, f"{type(link).__name__} repeats {leaked}: {text!r}"


def refused(complaint: Complaint, command: Callable[[Complaint], object],
            error: type[ServiceKitError]) -> ServiceKitError:
    """``command(complaint)`` raises exactly ``error`` (a ``ServiceKitError``), repeats no
    personal data and leaves the complaint as it was: equal values, the very same history."""
    values, history = dict(complaint.__dict__), complaint.history
    with pytest.raises(ServiceKitError) as caught:
        command(complaint)
    assert type(caught.value) is error, (type(caught.value), caught.value)
    private_free(caught.value)
    assert complaint.__dict__ == values
    assert complaint.history is history
    return caught.value


# -- complaints at each stage, from T0, one step an hour (all met: no remedy owed) --------------


def received(*, at: datetime = T0, by: Actor = AGENT, channel: str = "phone",
             **kw: Any) -> Complaint:
    return Complaint.receive(complaint_id="CP-1", customer_id=CUSTOMER_ID, channel=channel,
                             content=CONTENT, cause=CAUSE, at=at, by=by, **kw)


def acknowledged(at: datetime = T0, **kw: Any) -> Complaint:
    return received(at=at, **kw).acknowledge(at=at + H, by=AGENT)


def analysed(at: datetime = T0, *, severity: int = 3, scope: str = "group",
             urgency: str = "medium", **kw: Any) -> Complaint:
    """Medium (K-03), P3 (K-02): no automatic escalation."""
    return acknowledged(at, **kw).analyse(nature="billing", severity=severity, scope=scope,
                                          urgency=urgency, at=at + 2 * H, by=SPECIALIST)


def proposed(at: datetime = T0, **kw: Any) -> Complaint:
    return analysed(at, **kw).propose_solution(remedies=["apology", "compensation"],
                                               summary="refund the second charge",
                                               at=at + 3 * H, by=SPECIALIST)


def handling(at: datetime = T0, **kw: Any) -> Complaint:
    return proposed(at, **kw).handle(actions="refunded", at=at + 4 * H, by=SPECIALIST)


def awaiting_feedback(at: datetime = T0, *, satisfaction: float = 0.9,
                      **kw: Any) -> Complaint:
    return handling(at, **kw).feedback(satisfaction=satisfaction, comment="ok",
                                       at=at + 5 * H, by=AGENT)


def closed(at: datetime = T0, **kw: Any) -> Complaint:
    """Satisfied (0.9) and closed at ``at + 6 h``: the effectiveness check is due 30 days on."""
    return awaiting_feedback(at, **kw).close(at=at + 6 * H, by=SPECIALIST)
