"""Complaint benchmarks (issue 11): bulk replay, and a complaint's commands beside a ticket's.

1. **Bulk replay**: ``HISTORIES`` seeded complaint lives written with the commands, mixed the
   way a complaints desk sees them: received at any hour of 2026 (mostly in office hours) on
   China's working calendar (Asia/Shanghai, the handbook's ``complaint_policy()``: S-01 4 h and
   S-02 24 h in business time), acknowledged on time or late; analysed with severities 1-6 (the
   severe band escalates automatically); manual escalations by a lead; preliminary solutions on
   time or days late (a missed S-01 / S-02 records the remedies the SLA engine says are owed,
   K-06); one or more handling steps; satisfied and unsatisfied feedback (M-05: a second return
   visit, satisfied, unsatisfied or unreachable); tries to reach a customer during handling (up
   to 3, then closed as unreachable); reopens by the customer; the effectiveness check (P-04)
   30 days after the satisfied result, closing the loop; withdrawals; complaints left in
   progress, some of them swept by ``apply_timeouts`` as a nightly job would. Instants are
   minutes to days apart. Each history is rebuilt with ``Complaint.replay`` (every event
   checked against the compiled transition table, its roles and the complaint's own rules),
   best of ``REPEAT``. "Events" are all the events of the histories (``CaseStarted``, the
   system's ``ComplaintEscalated``, ``RemedyOwed`` and ``ComplaintLoopClosed``, and any
   companion ``StatusChanged`` of a move an event does not imply, all included). Target (issue
   11): at least ``TARGET_REPLAY`` events per second. Beside it, as information,
   ``Ticket.replay`` of the first ``HISTORIES`` histories of ``bench_tickets``' mix, timed
   interleaved with the complaints (each round replays both; best of ``REPEAT``).
2. **Commands**: a full complaint life of 7 commands (``receive`` -> ``acknowledge`` ->
   ``analyse`` -> ``propose_solution`` -> ``handle`` -> ``feedback`` (satisfied) -> ``close``),
   by an agent and a specialist, at aware instants prepared beforehand, every command
   validated (actor, time, transition, roles, fields, the complaint's rules, the K-02 priority
   table, the S-01 / S-02 commitment check) and returning a new immutable complaint. Beside it,
   in the same run, the ticket's typical life of 7 commands from ``bench_tickets`` (its own
   instants and actors). The main life's commands are minutes apart (a complaint dealt with
   within the morning: no clock has run long enough on the wall to be late, so the commitment
   check costs a comparison). Two more lives are information, so that the cost of the
   commitment checks is shown, not hidden:

   * **hours/days apart**: received late in a working day, acknowledged the next working
     morning within S-01, the solution proposed within S-02 two working days or more later
     (2 to 12 days on the wall, over weekends and holidays), feedback and close days after:
     the acknowledgement and the proposal end their clocks after more wall time than the
     target, so the check asks the business calendar;
   * **late proposal**: like the main life but the solution proposed after the S-02 deadline:
     the command asks the SLA engine what is owed and records ``RemedyOwed`` (8 events for the
     7 commands).

   The four lives are timed interleaved (``_harness.interleaved_per_call``: each round runs
   every batch in turn, ``ROUNDS`` rounds, the median per batch), so that a slow phase of the
   shared 2-core VM hits them alike. Target (issue 11): a complaint command at most as costly
   as a ticket command (ratio complaint / ticket at most ``TARGET_VS_TICKET``).

Before anything is timed, every replayed history must equal the live complaint (``==``), the
mix must contain what this docstring promises (every event type, both owed commitments,
closes as unreachable, reopens, loops closed, withdrawals, complaints in progress), and each
timed life must end as designed (closed at the expected version, remedies owed only in the
late life). The module fails otherwise.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from _harness import Row, Target, cost_row, interleaved_per_call, require
from bench_tickets import LIFE_COMMANDS, _Info, life_moments, mixed_tickets, sk_life
from servicekit.calendar import BusinessCalendar
from servicekit.complaints import (
    COMPLAINT_EVENT_TYPES,
    Actor,
    Complaint,
    ReturnVisit,
    default_complaint_policy,
)
from servicekit.tickets import Ticket

NAME = "complaints"
SEED = 20261202
SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_DAY = datetime(2026, 1, 5, tzinfo=SHANGHAI)
RECEIPT_DAYS = 295  # receipts from 2026-01-05 to late October
LAST = datetime(2026, 12, 20, tzinfo=SHANGHAI)  # no command after this (the calendar ends 2026)

HISTORIES = 4_000
REPEAT = 15  # best of, for replay (a batch is ~0.1 s)
LIVES = 1_000  # lives per command batch (x 7 commands)
ROUNDS = 21  # interleaved rounds of the four command batches; the median of each
TARGET_REPLAY = 500_000  # events per second (issue 11)
TARGET_VS_TICKET = 1.0  # a complaint command at most as costly as a ticket command (issue 11)
HOUR, DAY = 60, 24 * 60  # in minutes

AGENTS = tuple(Actor(id=f"agent-{i}", roles=frozenset({"agent"})) for i in range(1, 13))
SPECIALISTS = tuple(Actor(id=f"sp-{i}", roles=frozenset({"specialist"})) for i in range(1, 7))
LEADS = tuple(Actor(id=f"lead-{i}", roles=frozenset({"lead"})) for i in range(1, 4))
CHANNELS = ("phone", "web_form", "email", "chat", "social_media", "app")  # K-04
NATURES = ("product_quality", "delivery", "billing", "service_attitude", "network", "repair")
SCOPES = (("single_customer", "group", "widespread"), (80, 15, 5))
URGENCIES = (("low", "medium", "high"), (30, 45, 25))
SEVERITIES = ((1, 2, 3, 4, 5, 6), (15, 20, 25, 20, 12, 8))
REMEDY_SETS = (("apology",), ("apology", "compensation"), ("apology", "service_improvement"),
               ("compensation",), ("apology", "compensation", "service_improvement"))


def _log(message: str) -> None:
    print(f"[{NAME}] {message}", flush=True)


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    """A whole number of minutes from ``low`` to ``high`` (both in minutes)."""
    return timedelta(minutes=rng.randrange(int(low), int(high) + 1))


# -- 1. bulk replay ---------------------------------------------------------------------------

def _receipt(rng: random.Random) -> datetime:
    """A receipt instant in 2026: three in four in office hours, the rest at any hour."""
    day = FIRST_DAY + timedelta(days=rng.randrange(RECEIPT_DAYS))
    if rng.random() < 0.75:
        return day + timedelta(minutes=rng.randrange(8 * HOUR + 30, 18 * HOUR + 30))
    return day + timedelta(minutes=rng.randrange(DAY))


def _pending(c: Complaint, kind: str) -> ReturnVisit | None:
    """The scheduled return visit of ``kind``, if there is one."""
    return next((v for v in c.pending_visits if v.kind == kind), None)


def _in_handling(c: Complaint, rng: random.Random, at: datetime, agent: Actor,
                 specialist: Actor) -> Complaint:
    if c.unreachable:  # three tries could not reach the customer: close as unreachable
        return c.close(at=at + _minutes(rng, 10, 4 * HOUR), by=specialist)
    weights = (10, 35, 55) if c.unreachable_attempts else (20, 62, 18)  # tries come in runs
    move = rng.choices(("handle", "feedback", "unreachable"), weights)[0]
    if move == "handle":
        return c.handle(actions="further action", at=at + _minutes(rng, 2 * HOUR, 2 * DAY),
                        by=specialist)
    if move == "unreachable":
        return c.record_return_visit(outcome="unreachable",
                                     at=at + _minutes(rng, 2 * HOUR, DAY), by=agent)
    satisfied = rng.random() < 0.65
    value = rng.choice((0.8, 0.85, 0.9, 1.0)) if satisfied else rng.choice((0.2, 0.4, 0.6, 0.7))
    return c.feedback(satisfaction=value, at=at + _minutes(rng, HOUR, 2 * DAY), by=agent,
                      comment=None if rng.random() < 0.6 else "customer's words")


def _awaiting(c: Complaint, rng: random.Random, at: datetime, agent: Actor,
              specialist: Actor) -> Complaint:
    second_visit = _pending(c, "second_visit")
    if c.unreachable or (c.satisfied and second_visit is None):
        if rng.random() < 0.9:
            return c.close(at=at + _minutes(rng, 10, DAY), by=specialist)
        return c.reopen(at=at + _minutes(rng, HOUR, 2 * DAY))
    if second_visit is not None:  # the M-05 second visit
        outcome = rng.choices(("satisfied", "unsatisfied", "unreachable"), (55, 15, 30))[0]
        value = {"satisfied": 0.9, "unsatisfied": 0.5}.get(outcome) if rng.random() < 0.7 else None
        return c.record_return_visit(outcome=outcome, satisfaction=value,
                                     at=at + _minutes(rng, 3 * HOUR, 3 * DAY), by=agent)
    return c.reopen(at=at + _minutes(rng, HOUR, 2 * DAY))  # not satisfied after the visit


def _closed(c: Complaint, rng: random.Random, at: datetime, agent: Actor) -> Complaint:
    check = _pending(c, "effectiveness_check")
    if check is not None and rng.random() < 0.92:  # the P-04 check, when it falls due
        due = check.due_at or at
        when = max(due, at) + _minutes(rng, 0, 3 * DAY)
        outcome = rng.choices(("satisfied", "unsatisfied", "unreachable"), (75, 8, 17))[0]
        return c.record_return_visit(outcome=outcome, at=when, by=agent)
    return c.reopen(at=at + _minutes(rng, HOUR, 20 * DAY),
                    reason=None if rng.random() < 0.5 else "the problem came back")


def mixed_life(rng: random.Random, i: int) -> Complaint:
    """One seeded complaint life through the commands (it may still be in progress)."""
    at = _receipt(rng)
    agent, specialist, lead = rng.choice(AGENTS), rng.choice(SPECIALISTS), rng.choice(LEADS)
    customer = f"C-{rng.randrange(5_000)}"
    c = Complaint.receive(
        complaint_id=f"CP-{i:05d}", customer_id=customer, channel=rng.choice(CHANNELS),
        content="what the customer says happened", cause=rng.choice(NATURES),
        remedy_sought=rng.choice((None, None, "refund", "replacement", "apology")),
        customer_tier=rng.choice((None, "A", "B", "C", "D")), at=at, by=agent)
    for _ in range(rng.randrange(5, 20)):
        if c.is_final or at > LAST:
            break
        at = c.updated_at
        stage = c.stage
        roll = rng.random()
        if roll < 0.015 and stage != "closed":  # the complainant withdraws, or a lead finds
            c = c.withdraw(reason="settled elsewhere", at=at + _minutes(rng, HOUR, 3 * DAY),
                           by=None if rng.random() < 0.7 else lead)
        elif roll < 0.055:  # a manual escalation (S-11), always upwards
            c = c.escalate(level=c.escalation_level + 1, at=at + _minutes(rng, 10, DAY),
                           by=lead, reason=rng.choice((None, "customer insists", "overdue")))
        elif roll < 0.095:
            break  # still in progress: this one waits
        elif stage == "received":
            late = rng.random() < 0.2
            gap = _minutes(rng, 5 * HOUR, 3 * DAY) if late else _minutes(rng, 5, 3 * HOUR)
            c = c.acknowledge(at=at + gap, by=agent)
        elif stage in ("acknowledged", "analysing"):
            if stage == "analysing" and rng.random() < 0.9:
                late = rng.random() < 0.3
                gap = _minutes(rng, 2 * DAY, 8 * DAY) if late else _minutes(rng, HOUR, 36 * HOUR)
                c = c.propose_solution(remedies=rng.choice(REMEDY_SETS),
                                       summary="what we will do", at=at + gap, by=specialist)
            else:  # the first analysis, or a revised one
                c = c.analyse(nature=rng.choice(NATURES), severity=rng.choices(*SEVERITIES)[0],
                              scope=rng.choices(*SCOPES)[0], urgency=rng.choices(*URGENCIES)[0],
                              at=at + _minutes(rng, 30, 8 * HOUR), by=specialist)
        elif stage == "solution_proposed":
            c = c.handle(actions="the remedy carried out", at=at + _minutes(rng, HOUR, 3 * DAY),
                         by=specialist)
        elif stage == "handling":
            c = _in_handling(c, rng, at, agent, specialist)
        elif stage == "awaiting_feedback":
            c = _awaiting(c, rng, at, agent, specialist)
        else:
            require(stage == "closed", f"an unexpected stage {stage}")
            c = _closed(c, rng, at, agent)
    if not c.is_final and rng.random() < 0.5:  # the nightly job sweeps what is overdue
        now = min(c.updated_at + _minutes(rng, HOUR, 4 * DAY), LAST + timedelta(days=3))
        c = c.apply_timeouts(max(now, c.updated_at))
    return c


def mixed_complaints(count: int) -> list[Complaint]:
    rng = random.Random(SEED)
    return [mixed_life(rng, i) for i in range(count)]


def _check_mix(live: Sequence[Complaint], kinds: dict[str, int], ends: dict[str, int]) -> None:
    """The mix holds what the module's docstring says it does."""
    expected = {"CaseStarted", *COMPLAINT_EVENT_TYPES}  # every event a complaint records
    require(expected <= set(kinds), f"event types missing from the mix: {expected - set(kinds)}")
    rules = {r.rule for c in live for r in c.remedies_owed}
    require({"S-01", "S-02"} <= rules, f"owed remedies only for {rules}")
    require(any(c.closed_unreachable for c in live), "no complaint closed as unreachable")
    require(any(c.reopens for c in live), "no complaint reopened")
    require(any(c.escalation_level > 2 for c in live), "no manual escalation above level 2")
    require(any(ev.by == "system" for c in live for ev in c.history
                if type(ev).__name__ == "ComplaintEscalated"), "no automatic escalation (K-03)")
    for stage in ("loop_closed", "withdrawn", "closed", "handling", "received", "analysing"):
        require(ends.get(stage, 0) > 0, f"no complaint ends in {stage}")


def bench_replay() -> list[Row]:
    began = time.perf_counter()
    live = mixed_complaints(HISTORIES)
    histories = [c.history for c in live]
    events = sum(len(h) for h in histories)
    kinds: dict[str, int] = {}
    for h in histories:
        for ev in h:
            kinds[type(ev).__name__] = kinds.get(type(ev).__name__, 0) + 1
    ends: dict[str, int] = {}
    for c in live:
        ends[c.stage] = ends.get(c.stage, 0) + 1
    owed: dict[str, int] = {}
    for c in live:
        for r in {r.rule for r in c.remedies_owed}:
            owed[r] = owed.get(r, 0) + 1
    _log(f"{len(histories):,} histories, {events:,} events (mean {events / len(histories):.1f}, "
         f"longest {max(len(h) for h in histories)}) written with the commands in "
         f"{time.perf_counter() - began:.1f} s (not timed); final stages "
         f"{dict(sorted(ends.items()))}; complaints owing remedies {dict(sorted(owed.items()))}; "
         f"closed unreachable {sum(c.closed_unreachable for c in live)}; "
         f"reopened {sum(1 for c in live if c.reopens)}; events {dict(sorted(kinds.items()))}")
    _check_mix(live, kinds, ends)

    # -- the gate: replay equals the live complaint, every one --
    wrong = [c.complaint_id for c, h in zip(live, histories, strict=True)
             if Complaint.replay(h) != c]
    require(not wrong, f"replay differs from the live complaint for {len(wrong)}: {wrong[:5]}")
    _log(f"gate: Complaint.replay(history) == the live complaint for all {len(live):,}")

    live_tickets = mixed_tickets(HISTORIES)  # the ticket bench's own mix, its first histories
    tickets = [t.history for t in live_tickets]
    ticket_events = sum(len(h) for h in tickets)
    require(all(Ticket.replay(t.history) == t for t in live_tickets), "ticket replay != live")

    def batch() -> None:
        for h in histories:
            Complaint.replay(h)

    def ticket_batch() -> None:
        for h in tickets:
            Ticket.replay(h)

    complaint_s, ticket_s = interleaved_per_call([batch, ticket_batch], 1, repeat=REPEAT,
                                                 stat="best")
    per_event, ticket_per_event = complaint_s / events, ticket_s / ticket_events
    _log(f"replay: {1 / per_event:,.0f} events/s ({events:,} events, best of {REPEAT}); "
         f"tickets, interleaved with it: {1 / ticket_per_event:,.0f} events/s "
         f"({len(tickets):,} histories of bench_tickets' mix, {ticket_events:,} events)")
    return [
        Row(f"complaints replay: per event ({1 / per_event:,.0f}/s; "
            f"{TARGET_REPLAY // 1000}k/s)", per_event, None, "", per_event,
            Target("max_seconds", 1 / TARGET_REPLAY)),
        Row(f"complaints replay vs tickets ({1 / ticket_per_event:,.0f}/s)", per_event,
            ticket_per_event, "Ticket.replay, same run", per_event / ticket_per_event,
            _Info("max_ratio", 0.0)),
    ]


# -- 2. commands: a complaint's life beside a ticket's ----------------------------------------

Moments = tuple[datetime, ...]
AGENT, SPECIALIST = AGENTS[0], SPECIALISTS[0]


def complaint_life(cid: str, at: Moments) -> Complaint:
    """The full complaint life of 7 commands (the customer satisfied at the first feedback)."""
    c = Complaint.receive(complaint_id=cid, customer_id="C-9", channel="phone",
                          content="The parcel arrived broken", cause="delivery", at=at[0],
                          by=AGENT)
    c = c.acknowledge(at=at[1], by=AGENT)
    c = c.analyse(nature="delivery", severity=3, scope="single_customer", urgency="medium",
                  at=at[2], by=SPECIALIST)
    c = c.propose_solution(remedies=["apology", "compensation"], summary="a replacement parcel",
                           at=at[3], by=SPECIALIST)
    c = c.handle(actions="replacement sent", at=at[4], by=SPECIALIST)
    c = c.feedback(satisfaction=0.9, at=at[5], by=AGENT)
    return c.close(at=at[6], by=SPECIALIST)


def quick_moments(lives: int, rng: random.Random) -> list[tuple[str, Moments]]:
    """Commands 1 to 40 minutes apart: the whole life within four hours of the receipt."""
    out = []
    for i in range(lives):
        at = _receipt(rng)
        moments = [at]
        for _ in range(LIFE_COMMANDS - 1):
            at += _minutes(rng, 1, 40)
            moments.append(at)
        out.append((f"CQ-{i:05d}", tuple(moments)))
    return out


def spread_moments(lives: int, rng: random.Random,
                   cal: BusinessCalendar) -> list[tuple[str, Moments]]:
    """Hours and days apart, on time: received in the working day's last two hours,
    acknowledged the next working morning (within S-01's 4 business hours), the solution
    within S-02's 24 (two or three days later), handled, feedback and close days after."""
    out = []
    for i in range(lives):
        day = FIRST_DAY + timedelta(days=rng.randrange(RECEIPT_DAYS), hours=8)
        opened = cal.next_open(day)
        into = _minutes(rng, 6 * HOUR, 7 * HOUR + 50)  # of the working day's 8 hours
        received = cal.add(opened, into)
        left = timedelta(hours=8) - into
        ack = cal.add(received, left + _minutes(rng, 10, 4 * HOUR - 5 - left.seconds // 60))
        analysed = ack + _minutes(rng, 30, 3 * HOUR)
        proposed = cal.add(received, _minutes(rng, 16 * HOUR, 23 * HOUR))
        proposed = max(proposed, analysed + timedelta(minutes=10))
        handled = proposed + _minutes(rng, 2 * HOUR, DAY)
        fed_back = handled + _minutes(rng, DAY, 3 * DAY)
        closed = fed_back + _minutes(rng, HOUR, DAY)
        out.append((f"CS-{i:05d}",
                    (received, ack, analysed, proposed, handled, fed_back, closed)))
    return out


def late_moments(lives: int, rng: random.Random,
                 cal: BusinessCalendar) -> list[tuple[str, Moments]]:
    """Like the quick life, but the solution proposed 26 to 40 business hours after the
    receipt: past S-02's deadline, so the proposal owes a remedy."""
    out = []
    for i, (_, at) in enumerate(quick_moments(lives, rng)):
        proposed = cal.add(at[0], _minutes(rng, 26 * HOUR, 40 * HOUR))
        rest = [proposed + (t - at[3]) for t in at[3:]]
        out.append((f"CL-{i:05d}", (*at[:3], *rest)))
    return out


def _batch(life: Callable[[str, Moments], Ticket | Complaint],
           lives: Sequence[tuple[str, Moments]], out: list[str]) -> Callable[[], None]:
    """A timed batch: every life, keeping only its final status (as ``bench_tickets`` does)."""
    def batch() -> None:
        out.extend(life(cid, at).status for cid, at in lives)

    return batch


def bench_commands() -> list[Row]:
    rng = random.Random(f"{SEED}-commands")
    cal = default_complaint_policy().sla.calendar
    tickets = life_moments(LIVES)  # the ticket bench's own lives (seeded there)
    quick = quick_moments(LIVES, rng)
    spread = spread_moments(LIVES, rng, cal)
    late = late_moments(LIVES, rng, cal)

    # -- every life ends as designed (and a warm-up) --
    t = sk_life(*tickets[0])
    require(t.status == "closed" and t.version == 8, f"ticket life ends {t.status}")
    for label, lives, version, owed in (("quick", quick, 7, ()), ("spread", spread, 7, ()),
                                        ("late", late, 8, ("S-02",))):
        for cid, at in lives:
            c = complaint_life(cid, at)
            rules = tuple(r.rule for r in c.remedies_owed)
            require(c.stage == "closed" and c.version == version
                    and tuple(dict.fromkeys(rules)) == owed,
                    f"{label} life {cid}: ends {c.stage} at version {c.version}, owing {rules}")
            require(Complaint.replay(c.history) == c, f"{label} life {cid}: replay != live")
    walls = [at[3] - at[0] for _, at in spread]
    _log(f"lives: quick (receipt to close {max(at[6] - at[0] for _, at in quick)} at most), "
         f"spread (receipt to proposal {min(walls)} to {max(walls)} on the wall), late "
         f"(proposal past S-02: one RemedyOwed each); all end closed, replay == live")

    ends: list[str] = []
    batches = [_batch(sk_life, tickets, ends), _batch(complaint_life, quick, ends),
               _batch(complaint_life, spread, ends), _batch(complaint_life, late, ends)]
    calls = LIVES * LIFE_COMMANDS
    ticket, quick_s, spread_s, late_s = interleaved_per_call(batches, calls, repeat=ROUNDS)
    require(len(ends) == ROUNDS * 4 * LIVES and set(ends) == {"closed"},
            f"a timed life did not end closed: {set(ends)}")
    _log(f"per command (median of {ROUNDS} interleaved rounds, {LIVES:,} lives x "
         f"{LIFE_COMMANDS} commands each): ticket {1 / ticket:,.0f}/s; complaint "
         f"{1 / quick_s:,.0f}/s (x{quick_s / ticket:.2f}); hours/days apart "
         f"{1 / spread_s:,.0f}/s (x{spread_s / ticket:.2f}); late proposal "
         f"{1 / late_s:,.0f}/s (x{late_s / ticket:.2f})")
    versus = "ticket life, same run"
    info = _Info("max_ratio", 0.0)
    return [
        cost_row(f"complaints life: per command vs ticket ({1 / quick_s:,.0f}/s)", quick_s,
                 ticket, versus, TARGET_VS_TICKET),
        Row(f"complaints life, hours/days apart ({1 / spread_s:,.0f}/s)", spread_s, ticket,
            versus, spread_s / ticket, info),
        Row(f"complaints life, late proposal ({1 / late_s:,.0f}/s)", late_s, ticket, versus,
            late_s / ticket, info),
    ]


def run() -> list[Row]:
    return bench_replay() + bench_commands()
