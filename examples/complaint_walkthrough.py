"""A complaint's whole loop across National Day 2026: a late preliminary solution, the remedy it
owes, an unsatisfied first feedback, a second return visit, the close and the effectiveness check.

A customer phones on Wednesday 2026-09-30 at 16:30 (Asia/Shanghai), the last working afternoon
before the holiday (China's calendar: 1-7 October off, Saturday 10 October a make-up working
day). The handbook's rules run it, every number from the handbook's policies:

* S-01: the acknowledgement is due 4 business hours after receipt, Thu 10-08 11:30; it is in time;
* K-02 / K-03: severity 4 (medium), affecting a group, urgent: P2, a major problem;
* S-02: the preliminary solution is due 24 business hours after receipt, Sat 10-10 16:30 (the
  make-up working day); it comes on Monday, late, so the complaint records the remedy owed, as
  the K-06 remedy table decides (an apology, and compensation for a major problem);
* M-05: the first feedback (0.6) is below 80 %, so a second return visit is scheduled, due 24
  business hours later, and the complaint cannot close until it finds the customer satisfied;
* P-04: the satisfied result schedules the effectiveness check 30 days later; the complaint
  closes, and the check, finding the fix worked, closes the loop.

Every clock is the SLA engine's, read from the complaint's history
(``evaluate(handbook.sla_policy(), c.history, now)``); the history replays to the same complaint.

Run: python examples/complaint_walkthrough.py
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from servicekit.complaints import Actor, Complaint
from servicekit.errors import TransitionRejected
from servicekit.events import Event
from servicekit.presets import handbook
from servicekit.sla import evaluate

SH = ZoneInfo("Asia/Shanghai")
AGENT = Actor(id="agent-7", roles=frozenset({"agent"}))
SPECIALIST = Actor(id="specialist-3", roles=frozenset({"specialist"}))


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def when(t: datetime | None) -> str:
    """An instant as the account prints it (seconds only where they are not zero)."""
    if t is None:
        return "-"
    text = f"{t:%a %Y-%m-%d %H:%M}"
    if t.second or t.microsecond:
        text += f":{t:%S.%f}"
    return text


def clocks(c: Complaint, now: datetime) -> list[str]:
    """The complaint's SLA clocks at ``now``, as the SLA engine folds them from its history."""
    report = evaluate(handbook.sla_policy(), c.history, now)
    assert dict(report.items()) == dict(c.clocks(now).items())  # the same engine, the same fold
    rules = c.process.deadlines()
    lines = []
    for metric, s in report.items():
        line = (f"    {rules[metric][1]} {metric}: {s.state}, due {when(s.due_at)}")
        if s.breached_at is not None:
            line += f", breached {when(s.breached_at)}"
        lines.append(line)
    return lines


def step(before: Complaint | None, after: Complaint, *notes: str) -> list[str]:
    """The events a command recorded, the stage it left the complaint in, and notes."""
    new: list[Event] = list(after.history[before.version if before else 0:])
    lines = []
    for ev in new:
        lines.append(f"  {when(ev.at)}  {type(ev).__name__} by {ev.by}")
    lines.append(f"    stage: {after.stage} ({after.status_label_zh})")
    lines.extend(f"    {note}" for note in notes)
    return lines


def remedies(c: Complaint) -> list[str]:
    return [f"{r.remedy} owed (rule {r.rule}, clock {r.metric}, decided by {r.decided_by}, "
            f"recorded {when(r.at)})" for r in c.remedies_owed]


def visits(c: Complaint) -> list[str]:
    out = []
    for v in c.return_visits:
        line = f"return visit {v.kind} ({v.rule}): {v.status}, due {when(v.due_at)}"
        if v.status == "done":
            line += f", {v.outcome} ({v.satisfaction}) on {when(v.done_at)}"
        out.append(line)
    return out


def main() -> Complaint:
    out: list[str] = []
    cal = handbook.sla_policy().calendar  # the calendar of every complaint clock
    out.append(f"Complaint CP-0930-1 on the handbook's calendar: {cal.tz}, weekdays "
               f"{cal.hours.mon}, China's holidays and make-up working days")
    out.append(f"  open on Mon 10-05 (National Day): {cal.is_open(at(10, 5, 10))}; on Sat "
               f"10-10 (a make-up working day): {cal.is_open(at(10, 10, 10))}")

    out.append("\n1. Received (受理, P-03): time, complainant, content, cause")
    c = Complaint.receive(complaint_id="CP-0930-1", customer_id="C-1024", channel="phone",
                          content="the water purifier leaks", cause="a faulty batch of filters",
                          remedy_sought="replacement", at=at(9, 30, 16, 30), by=AGENT)
    out += step(None, c, f"remedy sought: {c.remedy_sought}")
    out += clocks(c, c.updated_at)

    out.append("\n2. Acknowledged (S-01: 4 business hours), after the holiday")
    prev, c = c, c.acknowledge(at=at(10, 8, 9, 40), by=AGENT)
    out += step(prev, c)
    out += clocks(c, c.updated_at)

    out.append("\n3. Analysed (分析, K-02 / K-03)")
    prev, c = c, c.analyse(nature="product_quality", severity=4, scope="group", urgency="high",
                           at=at(10, 8, 15, 0), by=SPECIALIST)
    out += step(prev, c, f"severity {c.severity} ({c.severity_band}, K-03), scope {c.scope}, "
                         f"urgency {c.urgency} -> {c.priority}, major: {c.major} "
                         f"({c.priority_rule})",
                f"escalation level {c.escalation_level} (only a severe complaint escalates by "
                f"itself)")

    out.append("\n4. Preliminary solution (S-02: 24 business hours), late")
    sweep = c.apply_timeouts(at(10, 11, 9, 0))  # what a host's Sunday sweep would record
    prev, c = c, c.propose_solution(remedies=["compensation", "service_improvement"],
                                    summary="replace the filter, refund a month's rental",
                                    at=at(10, 12, 10, 0), by=SPECIALIST)
    out += step(prev, c, "offered: " + ", ".join(r.remedy for r in c.remedies
                                                  if r.source == "proposed"))
    out += [f"    {line}" for line in remedies(c)]
    out += clocks(c, c.updated_at)
    assert [(r.remedy, r.rule, r.decided_by) for r in sweep.remedies_owed] == [
        (r.remedy, r.rule, r.decided_by) for r in c.remedies_owed]
    out.append(f"    (a sweep on {when(sweep.updated_at)}, apply_timeouts(now), owes the same "
               f"without a command: {', '.join(r.remedy for r in sweep.remedies_owed)})")

    out.append("\n5. Handled (处理)")
    prev, c = c, c.handle(actions="filters replaced, refund paid", at=at(10, 13, 10, 0),
                          by=SPECIALIST)
    out += step(prev, c)

    out.append("\n6. Feedback (反馈): below M-05's 80 %")
    prev, c = c, c.feedback(satisfaction=0.6, comment="took too long", at=at(10, 14, 10, 0),
                            by=AGENT)
    out += step(prev, c, *visits(c))
    try:
        c.close(at=at(10, 14, 11, 0), by=SPECIALIST)
    except TransitionRejected as refused:
        out.append(f"    close refused: {refused.reason}")

    out.append("\n7. Second return visit (回访, M-05): satisfied")
    prev, c = c, c.record_return_visit(outcome="satisfied", satisfaction=0.9,
                                       at=at(10, 16, 14, 0), by=AGENT)
    out += step(prev, c, *visits(c))

    out.append("\n8. Closed (结案)")
    prev, c = c, c.close(at=at(10, 16, 15, 0), by=SPECIALIST)
    out += step(prev, c, f"satisfied: {c.satisfied}, closed unreachable: "
                         f"{c.closed_unreachable}", *visits(c))

    out.append("\n9. Effectiveness check (P-04: close the loop and track)")
    prev, c = c, c.record_return_visit(outcome="satisfied", satisfaction=1.0,
                                       at=at(11, 16, 10, 0), by=AGENT)
    out += step(prev, c, *visits(c))
    out += clocks(c, c.updated_at)
    out.append("    remedies: " + "; ".join(
        f"{r.remedy} {r.source}" + (f" ({r.rule})" if r.rule else "") for r in c.remedies))

    out.append(f"\nThe record (P-08): {c.version} events")
    out += [f"  {when(ev.at)}  {type(ev).__name__:21} by {ev.by} "
            f"({', '.join(sorted(ev.roles or ()))})" for ev in c.history]
    replayed = Complaint.replay(c.history)
    assert replayed == c
    out.append(f"Complaint.replay(c.history) == c: {replayed == c}")
    print("\n".join(out))
    return c


if __name__ == "__main__":
    main()
