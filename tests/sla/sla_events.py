"""What the SLA edge tests share: units, a start instant, events with unique ids, and a policy
on the always-open calendar whose targets each test file chooses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from servicekit.calendar import BusinessCalendar
from servicekit.events import Event
from servicekit.sla import SlaPolicy

H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
_ids = count()


def ev(kind: type[Event], at: datetime, stream: str = "T", **fields: Any) -> Event:
    """An event of ``kind`` in ``stream`` with an id no other event of the run has."""
    return kind(event_id=f"e{next(_ids)}", stream_id=stream, at=at, **fields)


def always_policy(name: str, **fields: Any) -> SlaPolicy:
    """A policy on the always-open calendar, so business time is wall time."""
    return SlaPolicy(name=name, **{"calendar": BusinessCalendar.always(), **fields})
