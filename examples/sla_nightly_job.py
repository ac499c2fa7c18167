"""A nightly job: the SLA state of every open ticket, as a table, and who to call back when.

The host exports its tickets' events (here: generated), evaluates them all at once with the
handbook's SLA policy, writes the per-ticket, per-metric columns (the shape of a data frame)
and lists the tickets whose clocks change soonest, so a scheduler can look at them again
exactly then instead of polling.

Run: python examples/sla_nightly_job.py
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from servicekit.events import AgentReplied, CustomerReplied, Event, StatusChanged, TicketCreated
from servicekit.presets import handbook
from servicekit.sla import evaluate_many

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 10, 9, 22, 0, tzinfo=SH)


def export(count: int = 2_000) -> dict[str, list[Event]]:
    """Stand-in for the host's export: a few days of tickets before NOW."""
    rng = random.Random(9)
    tickets: dict[str, list[Event]] = {}
    for i in range(count):
        tid = f"T-{i:05d}"
        t = NOW - timedelta(minutes=rng.randrange(60, 6 * 24 * 60))
        events: list[Event] = [TicketCreated(
            ticket_id=tid, at=t, priority=rng.choice(["P1", "P2", "P3"]),
            channel=rng.choice(["phone", "chat", "email", "social_media"]),
            category=rng.choice(["complaint", "consultation", "fault", "billing"]))]
        for _ in range(rng.randrange(0, 5)):
            t += timedelta(minutes=rng.randrange(2, 300))
            if t >= NOW:
                break
            kind = rng.random()
            if kind < 0.5:
                events.append(AgentReplied(ticket_id=tid, at=t))
            elif kind < 0.8:
                events.append(CustomerReplied(ticket_id=tid, at=t))
            else:
                events.append(StatusChanged(ticket_id=tid, at=t, status="pending_customer"))
        tickets[tid] = events
    return tickets


def main() -> dict[str, int]:
    batch = evaluate_many(handbook.sla_policy(), export(), NOW)
    columns = batch.columns()
    by_state = Counter(zip(columns["metric"], columns["state"], strict=True))
    for (metric, state), n in sorted(by_state.items()):
        print(f"{metric:22} {state:9} {n:6,}")
    upcoming = sorted(
        (report.next_check_at, tid) for tid, report in batch.items() if report.next_check_at
    )
    print("\nlook again first at:")
    for when, tid in upcoming[:5]:
        print(f"  {tid} at {when:%Y-%m-%d %H:%M:%S}")
    return {f"{m}:{s}": n for (m, s), n in by_state.items()}


if __name__ == "__main__":
    main()
