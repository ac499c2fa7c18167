"""SLA engine benchmark: bulk evaluation of realistic ticket histories.

Target (issue: SLA engine): ``evaluate_many`` at least 200,000 events per second on this
machine. No library does what the engine does, so the reference in the same run is servicekit's
own one-ticket path (``evaluate`` in a loop): the bulk path must agree with it exactly (checked
first) and be faster. Case histories of the preset processes (the handbook's stage clocks,
S-01 … S-07) are measured too, for information.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from _harness import Row, Target, require
from servicekit.events import (
    AgentReplied,
    CaseStarted,
    CustomerReplied,
    Event,
    PriorityChanged,
    StageReached,
    StatusChanged,
    TicketCreated,
    TicketReopened,
    TicketResolved,
)
from servicekit.presets import handbook
from servicekit.presets.processes import all_processes
from servicekit.sla import Metric, SlaPolicy, evaluate, evaluate_many

SHANGHAI = ZoneInfo("Asia/Shanghai")
TICKETS = 20_000
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=SHANGHAI)


def histories(seed: int = 2026) -> dict[str, list[Event]]:
    """Seeded ticket histories over 2026: ~10 events each, the mix of a busy help desk."""
    rng = random.Random(seed)
    out: dict[str, list[Event]] = {}
    start = datetime(2026, 1, 5, tzinfo=SHANGHAI)
    for i in range(TICKETS):
        tid = f"T-{i}"
        t = start + timedelta(minutes=rng.randrange(0, 280 * 24 * 60))
        events: list[Event] = [TicketCreated(
            ticket_id=tid, at=t, priority=rng.choices(["P1", "P2", "P3", "P4"], [1, 3, 4, 2])[0],
            channel=rng.choice(["phone", "chat", "email", "web", "social_media"]),
            category=rng.choice(["complaint", "consultation", "fault", "repair", "billing"]),
            customer_tier=rng.choice(["A", "B", "C", "D"]),
        )]
        for _ in range(rng.randrange(6, 14)):
            t += timedelta(minutes=rng.randrange(1, 900))
            roll = rng.random()
            if roll < 0.32:
                events.append(AgentReplied(ticket_id=tid, at=t, public=rng.random() < 0.9))
            elif roll < 0.55:
                events.append(CustomerReplied(ticket_id=tid, at=t))
            elif roll < 0.72:
                status = rng.choice(["pending_customer", "pending_third_party", "open"])
                events.append(StatusChanged(ticket_id=tid, at=t, status=status))
            elif roll < 0.82:
                stage = rng.choice(["solution_proposed", "triaged", "answered", "accepted"])
                events.append(StageReached(ticket_id=tid, at=t, stage=stage))
            elif roll < 0.90:
                events.append(PriorityChanged(ticket_id=tid, at=t,
                                              priority=rng.choice(["P1", "P2", "P3"])))
            elif roll < 0.96:
                events.append(TicketResolved(ticket_id=tid, at=t))
            else:
                events.append(TicketReopened(ticket_id=tid, at=t))
        out[tid] = events
    return out


def case_histories(seed: int = 2026, cases: int = 10_000) -> dict[str, list[Event]]:
    """Seeded cases of the processes with stage deadlines: a ``CaseStarted``, then a random
    walk through the transitions (an action that keeps the state records it again), as a
    ``Case`` records them; about 8 events each."""
    rng = random.Random(seed)
    processes = [p for p in all_processes().values() if p.deadlines()]
    out: dict[str, list[Event]] = {}
    start = datetime(2026, 1, 5, tzinfo=SHANGHAI)
    for i in range(cases):
        cid = f"C-{i}"
        process = rng.choice(processes)
        t = start + timedelta(minutes=rng.randrange(0, 280 * 24 * 60))
        state = process.initial.id
        events: list[Event] = [CaseStarted(stream_id=cid, at=t, by="agent", process=process.name,
                                           state=state, fields={"severity": rng.randrange(1, 7)})]
        for _ in range(rng.randrange(3, 12)):
            t += timedelta(minutes=rng.randrange(1, 900))
            moves = [m for m in process.transitions if state in m.sources]
            if not moves:
                break
            move = rng.choice(moves)
            state = move.target or state
            events.append(StatusChanged(stream_id=cid, at=t, status=state, event=move.event))
        out[cid] = events
    return out


def standard_policy() -> SlaPolicy:
    """The issue's example policy, with targets for every priority and both reply metrics."""
    hours = {"P1": 1, "P2": 4, "P3": 8, "P4": 24}
    return SlaPolicy(
        name="standard",
        calendar=handbook.sla_policy().calendar,
        targets={
            "first_response": {p: timedelta(hours=h) for p, h in hours.items()},
            "next_response": {p: timedelta(hours=h) for p, h in hours.items()},
            "periodic_update": {p: timedelta(hours=2 * h) for p, h in hours.items()},
            "resolution": {p: timedelta(hours=8 * h) for p, h in hours.items()},
            "preliminary_solution": {p: timedelta(hours=24) for p in hours},
        },
        pause_statuses={"pending_customer", "pending_third_party"},
        warn_at=(0.75, 0.9),
        metrics=[Metric(name="preliminary_solution", start_on="TicketCreated",
                        stop_on="StageReached:solution_proposed", pausable=False)],
    )


def _best(fn: object, repeats: int = 3) -> float:
    assert callable(fn)
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


class _Info(Target):
    """A row reported for information: always passes."""

    def check(self, measured: float) -> bool:
        return True

    def __str__(self) -> str:
        return "info"


def run() -> list[Row]:
    began = time.perf_counter()
    tickets = histories()
    events = sum(len(v) for v in tickets.values())
    print(f"[sla] {len(tickets):,} tickets, {events:,} events built in "
          f"{time.perf_counter() - began:.1f} s (not timed)", flush=True)
    rows: list[Row] = []
    sample = list(tickets)[:: len(tickets) // 400]
    for name, policy in (("handbook", handbook.sla_policy()), ("standard", standard_policy())):
        batch = evaluate_many(policy, tickets, NOW)
        # exact agreement with the one-ticket path before any timing counts
        for tid in sample:
            require(batch[tid] == evaluate(policy, tickets[tid], NOW),
                    f"{name}: evaluate_many and evaluate disagree on {tid}")
        clocks = len(batch.columns()["metric"])
        bulk = _best(lambda policy=policy: evaluate_many(policy, tickets, NOW))
        per_event = bulk / events
        sample_events = sum(len(tickets[t]) for t in sample)
        scalar = _best(lambda policy=policy: [evaluate(policy, tickets[t], NOW) for t in sample])
        scalar_per_event = scalar / sample_events
        print(f"[sla] {name}: {events / bulk:,.0f} events/s in bulk ({bulk:.3f} s, "
              f"{clocks:,} clocks); evaluate() loop {1 / scalar_per_event:,.0f} events/s",
              flush=True)
        rows.append(Row(f"sla {name}: evaluate_many, per event ({events / bulk:,.0f}/s; "
                        "200k/s)", per_event, None, "", per_event,
                        Target("max_seconds", 1 / 200_000)))
        rows.append(Row(f"sla {name}: evaluate_many vs evaluate() per ticket", per_event,
                        scalar_per_event, "servicekit evaluate() loop",
                        scalar_per_event / per_event, Target("min_ratio", 1.0)))
        columns = _best(lambda batch=batch: batch.columns())
        rows.append(Row(f"sla {name}: columns() for {clocks:,} clocks", columns, None, "",
                        columns, _Info("max_seconds", float("inf"))))
    cases = case_histories()
    case_events = sum(len(v) for v in cases.values())
    policy = handbook.sla_policy()
    batch = evaluate_many(policy, cases, NOW)
    for cid in list(cases)[:: len(cases) // 200]:
        require(batch[cid] == evaluate(policy, cases[cid], NOW),
                f"cases: evaluate_many and evaluate disagree on {cid}")
    bulk = _best(lambda: evaluate_many(policy, cases, NOW))
    print(f"[sla] handbook on {len(cases):,} cases: {case_events / bulk:,.0f} events/s in bulk "
          f"({bulk:.3f} s, {len(batch.columns()['metric']):,} stage clocks)", flush=True)
    rows.append(Row(f"sla handbook: evaluate_many on cases, per event "
                    f"({case_events / bulk:,.0f}/s)", bulk / case_events, None, "",
                    bulk / case_events, _Info("max_seconds", float("inf"))))
    return rows
