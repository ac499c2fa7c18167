"""The ``python -m servicekit demo`` walk-through, on the built-in defaults.

It shows the business-time engine on China's 2026 working calendar: opening hours with a lunch
break, the National Day week and its make-up working days (调休), the handbook's complaint
deadlines S-01 (first response within 4 h) and S-02 (preliminary solution within 24 h) counted
in business hours, the coverage edge at the end of the announced year, and the vectorised path.
Then the rule engine on the handbook preset: a complaint's priority (K-02/K-03), its routing
(K-01) and the remedies owed when a commitment is missed (K-06), with an explanation. Then the
SLA engine: the complaint's clocks (S-01, S-02, S-04, S-08) hour by hour, the escalation
ladder (S-11), the remedies owed, and bulk evaluation. Then a ticket's life on the process
engine (P-01, P-08): roles, a rejected command, the reopen window, first-contact resolution
(M-02), replay, and storage in SQLite with a concurrency conflict. Fixed instants and seeded
data only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from servicekit.calendar import BusinessCalendar
from servicekit.errors import CalendarCoverageError

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = "09:00-12:00,13:00-18:00"


def _fmt(t: datetime) -> str:
    return t.astimezone(SHANGHAI).strftime("%a %Y-%m-%d %H:%M")


def _hours(td: timedelta) -> str:
    return f"{td.total_seconds() / 3600:g} h"


Echo = Callable[[str], None]


def run(echo: Echo = print) -> None:
    """Print the walk-through through ``echo`` (one call per line)."""
    cal = BusinessCalendar.china(hours=HOURS, tz="Asia/Shanghai")
    echo("servicekit demo: business time on China's 2026 working calendar")
    echo(f"  calendar: BusinessCalendar.china(hours={HOURS!r}, tz='Asia/Shanghai')")
    for section in (_national_day, _complaint, _spring_festival, _coverage_edge, _vectorised):
        echo("")
        section(cal, echo)
    echo("")
    _rules(echo)
    echo("")
    _sla(echo)
    echo("")
    _tickets(echo)
    echo("")
    _cases(echo)


def _national_day(cal: BusinessCalendar, echo: Echo) -> None:
    echo("1. National Day week: holidays and make-up working days (调休), from chinesecalendar")
    for offset in range(0, 16):
        day = date(2026, 9, 27) + timedelta(days=offset)
        hours = cal.hours_on(day) or "closed"
        note = ""
        if day.weekday() >= 5 and hours != "closed":
            note = "  <- weekend made a working day"
        elif day.weekday() < 5 and hours == "closed":
            note = "  <- statutory holiday"
        echo(f"   {day:%a %Y-%m-%d}  {hours}{note}")


def _complaint(cal: BusinessCalendar, echo: Echo) -> None:
    received = datetime(2026, 9, 30, 16, 30, tzinfo=SHANGHAI)
    echo(f"2. A complaint is received {_fmt(received)} (Asia/Shanghai)")
    first_response = cal.add(received, timedelta(hours=4))
    preliminary = cal.add(received, timedelta(hours=24))
    echo(f"   S-01 first response within 4 business hours      -> due {_fmt(first_response)}")
    echo(f"   S-02 preliminary solution within 24 business hours -> due {_fmt(preliminary)}")
    wall = preliminary - received
    echo(f"   (24 business hours span {wall.days} calendar days {wall.seconds // 3600} h)")
    answered = datetime(2026, 10, 9, 11, 15, tzinfo=SHANGHAI)
    used = cal.elapsed(received, answered)
    echo(f"   answered {_fmt(answered)}: {_hours(used)} of business time used")


def _spring_festival(cal: BusinessCalendar, echo: Echo) -> None:
    echo("3. Spring Festival 2026: Saturday 2026-02-14 is a working day, 02-16..02-23 closed")
    t = datetime(2026, 2, 13, 17, 0, tzinfo=SHANGHAI)
    echo(f"   {_fmt(t)} + 8 business hours -> {_fmt(cal.add(t, timedelta(hours=8)))}")
    t = datetime(2026, 2, 15, 10, 0, tzinfo=SHANGHAI)
    echo(f"   next opening after {_fmt(t)}   -> {_fmt(cal.next_open(t))}")


def _coverage_edge(cal: BusinessCalendar, echo: Echo) -> None:
    echo("4. The end of the announced schedule (the State Council publishes each year in November)")
    late = datetime(2026, 12, 30, 17, 0, tzinfo=SHANGHAI)
    try:
        cal.add(late, timedelta(hours=24))
    except CalendarCoverageError as exc:
        echo(f"   default: CalendarCoverageError for {exc.year}: no silent guess")
    provisional = BusinessCalendar.china(hours=HOURS, beyond_coverage="statutory")
    due = provisional.add(late, timedelta(hours=24))
    echo(
        f"   beyond_coverage='statutory': due {_fmt(due)}, provisional="
        f"{provisional.provisional(late, due)}"
    )


def _vectorised(cal: BusinessCalendar, echo: Echo) -> None:
    echo("5. Vectorised: elapsed_many over 1,000,000 random (start, end) pairs in 2026")
    rng = np.random.default_rng(7)
    lo = np.datetime64("2026-01-01T00:00:00", "us").astype(np.int64)
    span = 300 * 86_400 * 1_000_000
    starts = (lo + rng.integers(0, span, 1_000_000)).astype("datetime64[us]")
    ends = starts + rng.integers(0, 60 * 86_400 * 1_000_000, 1_000_000).astype("timedelta64[us]")
    cal.elapsed_many(starts[:10], ends[:10])  # build the year's intervals once
    began = time.perf_counter()
    seconds = cal.elapsed_many(starts, ends)
    took = time.perf_counter() - began
    check = cal.elapsed(starts[0].item().replace(tzinfo=ZoneInfo("UTC")),
                        ends[0].item().replace(tzinfo=ZoneInfo("UTC")))
    echo(f"   {seconds.size:,} results in {took:.2f} s; mean {seconds.mean() / 3600:.1f} "
         f"business hours; first pair agrees with the scalar path: "
         f"{check.total_seconds() == seconds[0]}")


def _rules(echo: Echo) -> None:
    from servicekit.presets import handbook

    policy = handbook.policy()
    echo(f"6. Rules from the handbook preset (policy {policy.version!r})")
    complaint = {"category": "complaint", "severity": 4, "scope": "group", "urgency": "high"}
    echo(f"   facts: {complaint}")
    route = policy.tables["feedback_routing"].decide(complaint)
    echo(f"   K-01 routing  -> process {route.value['process']!r}, team {route.value['team']!r}"
         f" (rule {route.rule_id})")
    priority = policy.tables["complaint_priority"].decide(complaint)
    echo(f"   K-02 priority -> {priority.value['priority']}, major={priority.value['major']}"
         f" (rule {priority.rule_id})")
    missed = {"commitment_missed": True, "priority": priority.value["priority"],
              "customer_tier": "B", "repeat_breaches": 2}
    remedies = policy.tables["remedy"].decide(missed)
    owed = ", ".join(r["remedy"] for r in remedies.value)
    echo(f"   K-06 remedies owed when the 24 h promise is missed -> {owed}")
    echo("   why P2? the decision explains itself:")
    for line in priority.explain().splitlines():
        echo(f"     {line}")


def _sla(echo: Echo) -> None:
    from servicekit.events import AgentReplied, Event, StageReached, TicketCreated
    from servicekit.presets import handbook
    from servicekit.rules import format_hours
    from servicekit.sla import evaluate, evaluate_many

    policy = handbook.sla_policy()
    received = datetime(2026, 9, 30, 16, 30, tzinfo=SHANGHAI)
    echo("7. SLA clocks on the handbook preset (S-01 … S-11), no timers: the report says when "
         "to look again")
    echo(f"   a phone complaint, P2, received {_fmt(received)}; a public reply 3 min later;")
    echo("   the preliminary solution is proposed on 2026-10-12 09:00")
    events = [
        TicketCreated(ticket_id="C-7", at=received, priority="P2", channel="phone",
                      category="complaint", customer_tier="B"),
        AgentReplied(ticket_id="C-7", at=received + timedelta(minutes=3)),
        StageReached(ticket_id="C-7", at=datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI),
                     stage="solution_proposed"),
    ]
    for now in (datetime(2026, 10, 9, 12, 0, tzinfo=SHANGHAI),
                datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)):
        report = evaluate(policy, events, now)
        echo(f"   at {_fmt(now)}:")
        for name, s in report.items():
            due = f", due {_fmt(s.due_at)}" if s.due_at else ""
            echo(f"     {name:21} {s.state:9} {format_hours(s.elapsed):>6} of "
                 f"{format_hours(s.target)}{due}")
        nxt = report.next_check_at
        echo(f"     next check: {_fmt(nxt) if nxt else 'none (nothing can change)'}")
    echo("   S-11 escalations reached:")
    for step in report.escalations().reached:
        echo(f"     level {step.level} -> {step.notify}: {step.metric} at {_fmt(step.at)}")
    for remedy in report.remedies():
        owed = ", ".join(r["remedy"] for r in remedy.remedies)
        echo(f"   K-06 {remedy.metric} was a public commitment: owed {owed}")

    import random

    rng = random.Random(7)
    tickets: dict[str, list[Event]] = {}
    for i in range(5_000):
        tid = f"T-{i}"
        t = datetime(2026, 3, 2, tzinfo=SHANGHAI) + timedelta(minutes=rng.randrange(200_000))
        history: list[Event] = [TicketCreated(
            ticket_id=tid, at=t, priority=rng.choice(["P1", "P2", "P3"]),
            channel=rng.choice(["phone", "chat", "email"]),
            category=rng.choice(["complaint", "consultation", "fault"]))]
        for _ in range(9):
            t += timedelta(minutes=rng.randrange(5, 600))
            history.append(AgentReplied(ticket_id=tid, at=t))
        tickets[tid] = history
    began = time.perf_counter()
    batch = evaluate_many(policy, tickets, datetime(2026, 10, 1, tzinfo=SHANGHAI))
    took = time.perf_counter() - began
    states = batch.columns()["state"]
    breached = int((states == "breached").sum())
    echo(f"   evaluate_many: 5,000 tickets, 50,000 events in {took:.2f} s; "
         f"{breached:,} of {len(states):,} clocks breached")


def _tickets(echo: Echo) -> None:
    from servicekit.adapters.sqlite import SqliteEventStore
    from servicekit.errors import ConcurrencyConflict, PermissionDenied, TransitionRejected
    from servicekit.presets import handbook
    from servicekit.storage import TicketRepository
    from servicekit.tickets import Actor, Ticket

    agent = Actor(id="u-7", roles=frozenset({"agent"}))
    lead = Actor(id="u-1", roles=frozenset({"lead"}))
    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)

    def at(minutes: int) -> datetime:
        return t0 + timedelta(minutes=minutes)

    echo("8. A ticket on the process engine (P-01): every command checked against the ticket "
         "process, every step an event (P-08)")
    t = Ticket.open(ticket_id="T-100", customer_id="C-9", channel="email", category="complaint",
                    priority="P2", subject="invoice twice", at=t0, by=agent)
    t = t.assign(to="u-7", at=at(10), by=lead)
    t = t.reply(at=at(25), by=agent)
    t = t.wait_on_customer(at=at(26), by=agent)
    t = t.customer_reply(at=at(24 * 60))
    echo(f"   after open, assign, reply, wait, customer reply: {t.status} "
         f"({t.status_label_zh}), version {t.version}")
    attempts: tuple[tuple[str, Callable[[], Ticket]], ...] = (
        ("an agent escalating", lambda: t.escalate(level=1, at=at(1500), by=agent)),
        ("closing an open ticket", lambda: t.close(at=at(1500), by=agent)),
    )
    for attempt, command in attempts:
        try:
            command()
        except (PermissionDenied, TransitionRejected) as exc:
            echo(f"   {attempt}: {type(exc).__name__}: {exc}")
    t = t.resolve(at=at(1530), by=agent, resolution="refund issued")
    echo(f"   resolved; first-contact resolution (M-02): {t.first_contact_resolution}; "
         f"closes automatically at {_fmt(t.auto_close_due_at or t0)}")
    late = t.resolved_at + timedelta(days=8) if t.resolved_at else t0
    try:
        t.reopen(at=late)
    except TransitionRejected as exc:
        echo(f"   the customer reopening 8 days later: {exc}")
    report = t.sla(handbook.sla_policy(), at(1600))
    echo("   its SLA report: " + ", ".join(f"{name} {s.state}" for name, s in report.items()))
    echo(f"   Ticket.replay(t.history) == t: {Ticket.replay(t.history) == t}")

    store = SqliteEventStore(":memory:")
    repo = TicketRepository(store)
    repo.add(t)
    first = repo.get("T-100")
    second = repo.get("T-100")
    repo.save(first.close(at=at(1700), by=agent), first.version)
    try:
        repo.save(second.apply_timeouts(late), second.version)
    except ConcurrencyConflict as exc:
        echo(f"   two writers on one ticket in SQLite: the second gets {exc}")
    stored = repo.get("T-100")
    echo(f"   stored: {stored.status}, {stored.version} events, "
         + " -> ".join(type(e).__name__ for e in stored.history))
    store.close()


def _cases(echo: Echo) -> None:
    from servicekit.cases import Actor, Case
    from servicekit.presets import handbook
    from servicekit.presets.processes import complaint_process, repair_process

    echo("9. The other handbook flows as cases on the same engine (P-03 complaint, P-06 repair),"
         " with stage clocks from the process deadlines (S-01, S-02, S-05, S-06)")
    agent = Actor(id="agent-7", roles=frozenset({"agent"}))
    specialist = Actor(id="specialist-3", roles=frozenset({"specialist"}))
    t0 = datetime(2026, 9, 30, 16, 30, tzinfo=SHANGHAI)

    def at(days: int, hhmm: int) -> datetime:
        return (t0 + timedelta(days=days)).replace(hour=hhmm // 100, minute=hhmm % 100)

    c = Case.start(process=complaint_process(), case_id="CMP-7", customer_id="C-9", at=t0,
                   by=agent)
    c = c.fire("acknowledge", at=at(0, 1700), by=agent)
    c = c.fire("analyse", at=at(8, 1000), by=specialist,
               fields={"nature": "logistics", "severity": 3, "scope": "single_customer"})
    report = c.sla(handbook.sla_policy(), at(8, 1100))
    for name in ("complaint_acknowledged", "complaint_solution_proposed"):
        s = report[name]
        echo(f"   {name}: {s.state}, due {_fmt(s.due_at) if s.due_at else '-'}")
    echo(f"   complaint CMP-7 is {c.state} ({c.status_label_zh}) at version {c.version}; "
         f"Case.replay(...) == c: {Case.replay(c.history, process=complaint_process()) == c}")
    r = Case.start(process=repair_process(), case_id="REP-7", customer_id="C-9", at=t0,
                   by=agent)
    r = r.fire("triage", at=t0 + timedelta(minutes=3), by=agent)
    r = r.fire("confirm", at=t0 + timedelta(minutes=20), by=agent,
               fields={"symptom": "no spin", "environment": "home"})
    r = r.fire("diagnose", at=t0 + timedelta(minutes=50), by=agent,
               fields={"diagnosis": "belt, fixed remotely"})
    report = r.sla(handbook.sla_policy(), t0 + timedelta(hours=1))
    echo("   repair REP-7 diagnosed remotely: "
         + ", ".join(f"{name} {report[name].state}"
                     for name in ("repair_triaged", "repair_visit_arranged", "repair_completed")))
