"""Random commands on a complaint (issue 11, "Tests": a Hypothesis state machine).

Each run draws an SLA policy for the complaint's clocks (the handbook's, or one of the variants
of ``commitment_variants``: S-02 paused while analysing, S-01 and S-02 targets from the target
table by K-02 priority, S-02 restarted by a reopening, S-01 stopped by an escalation, a private
clock beside them), receives one complaint on an instant near a weekend or a holiday of the
China calendar (the eve of National Day 2026, the Friday before the make-up Sunday of 20
September, a New Year's Eve whose next year the calendar only knows by the statutory rules …)
and fires random commands (every command, with good and bad arguments) by random actors (an
agent, a complaint specialist, a lead, the complaint's customer, another customer, the system)
at instants that jump minutes to weeks ahead (across nights, weekends and holidays), now and
then go back, and come in Shanghai or UTC; now and then it asks for the timeouts instead.

Invariants, after every step:

* the stage is a declared stage of the process; ``version == len(history)``;
* a rejected command raises a ``ServiceKitError`` and leaves the complaint equal to before
  (``==``, the same values) with the very same history tuple;
* an accepted command is one the contract below allows (stage and roles, written out here
  from the issue, independently of the preset), appends its event by the actor (with the
  actor's roles) and nothing but the system's own events after it, keeping the old history
  as a prefix;
* ``Complaint.replay(c.history) == c`` (and after a JSON round trip, at teardown);
* the SLA engine agrees with the complaint (``evaluate(sla, c.history, c.updated_at)``, the
  run's SLA policy): every public commitment breached by the last event is owed, and nothing
  else is, but a clock the SLA engine reports cancelled (a withdrawal after the remedy was
  owed) or met on a target made longer since (a reanalysis lowered the K-02 priority); each
  ``RemedyOwed`` is what the SLA engine said at its own instant, on the history
  before it: the clock breached at ``breached_at``, the remedies and the rules that owed them
  those of ``report.remedies()``;
* after ``c.apply_timeouts(now)`` the same holds at ``now``;
* no visit is pending in a final stage; the escalation level never goes down.

COMPLAINT_EXAMPLES=500 for a deeper run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from commitment_variants import VARIANTS, variant
from complaint_world import (
    AGENT,
    CAUSE,
    CONTENT,
    CUSTOMER,
    CUSTOMER_ID,
    LEAD,
    OTHER_CUSTOMER,
    SPECIALIST,
    SYSTEM,
    US,
    D,
    H,
    M,
    sh,
)
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from servicekit.complaints import (
    Actor,
    Complaint,
    RemedyOwed,
    default_complaint_policy,
    default_complaint_process,
)
from servicekit.errors import ServiceKitError
from servicekit.events import Event
from servicekit.presets import handbook
from servicekit.sla import SlaReport, evaluate

EXAMPLES = int(os.environ.get("COMPLAINT_EXAMPLES", "100"))

HB = handbook.sla_policy()
POLICY = default_complaint_policy()
#: the complaint policy of each SLA variant (built once: a complaint checks a pair once)
POLICIES = {name: handbook.complaint_policy(variant(name)) for name in VARIANTS}
PROCESS = default_complaint_process()
STAGES = frozenset({"received", "acknowledged", "analysing", "solution_proposed", "handling",
                    "awaiting_feedback", "closed", "loop_closed", "withdrawn"})
FINALS = frozenset({"loop_closed", "withdrawn"})
RULES = {"complaint_acknowledged": "S-01", "complaint_solution_proposed": "S-02"}

# -- the contract, from the issue (not from the preset) ---------------------------------------

SPECIALISTS = frozenset({"specialist", "lead", "manager"})
STAFF = SPECIALISTS | {"agent"}
OPEN = STAGES - FINALS


@dataclass(frozen=True)
class Move:
    sources: frozenset[str]
    target: str | None  # None: the stage stays
    roles: frozenset[str]
    customer: bool = False  # the complaint's own customer may


def mv(sources: str | frozenset[str], target: str | None, roles: frozenset[str], *,
       customer: bool = False) -> Move:
    found = frozenset(sources.split()) if isinstance(sources, str) else sources
    return Move(found, target, roles, customer)


CONTRACT = {
    "acknowledge": mv("received", "acknowledged", STAFF),
    "analyse": mv("acknowledged analysing", "analysing", SPECIALISTS),
    "propose_solution": mv("analysing", "solution_proposed", SPECIALISTS),
    "handle": mv("solution_proposed handling", "handling", SPECIALISTS),
    "feedback": mv("handling", "awaiting_feedback", STAFF),
    "record_return_visit": mv("handling awaiting_feedback closed", None, STAFF),
    "close": mv("handling awaiting_feedback", "closed", SPECIALISTS),
    "reopen": mv("awaiting_feedback closed", "handling", STAFF, customer=True),
    "escalate": mv(OPEN, None, frozenset({"lead", "manager", "system"})),
    "withdraw": mv(OPEN - {"closed"}, "withdrawn", frozenset({"lead", "manager"}),
                   customer=True),
}

#: the commands that move a complaint on from each stage (drawn half the time)
FORWARD = {
    "received": ("acknowledge",), "acknowledged": ("analyse",),
    "analysing": ("propose_solution",), "solution_proposed": ("handle",),
    "handling": ("feedback",), "awaiting_feedback": ("close", "record_return_visit"),
    "closed": ("record_return_visit",),
}

# -- actors, instants and arguments ------------------------------------------------------------

ACTORS = (AGENT, SPECIALIST, LEAD, CUSTOMER, OTHER_CUSTOMER, SYSTEM)
STARTS = (
    sh(9, 30, 16, 30),  # the eve of National Day (1-7 October)
    sh(9, 18, 17, 30),  # Friday before the make-up working Sunday, 20 September
    sh(10, 9, 17),  # Friday before the make-up working Saturday, 10 October
    sh(10, 12, 11, 59),  # an ordinary Monday, just before lunch
    sh(12, 31, 17),  # New Year's Eve: 2027 on the statutory fallback
)
small_jumps = st.sampled_from([timedelta(0), US, M, 10 * M, 30 * M, H, 2 * H, 4 * H])
jumps = st.one_of(
    small_jumps, small_jumps,
    st.sampled_from([8 * H, 15 * H, D, 3 * D, 8 * D, 31 * D]),
    st.timedeltas(min_value=timedelta(0), max_value=10 * D),
)
SATISFIED = (0.8, 0.95, 1.0, 1)
UNSATISFIED = (0.0, 0.5, 0.79)


def draw_arguments(data: st.DataObject, command: str) -> dict[str, Any]:
    """Good arguments for ``command`` (any of them), now and then a bad one."""
    good = data.draw(st.integers(0, 9), label="good") < 8

    def pick(values: tuple[Any, ...], bad: tuple[Any, ...] = ()) -> Any:
        return data.draw(st.sampled_from(values if good or not bad else bad), label=command)

    if command == "analyse":
        return {"nature": pick(("billing", "delivery"), ("", None)),
                "severity": pick((1, 2, 3, 4, 5, 6), (0, 7, True, 5.0)),
                "scope": pick(POLICY.scopes, ("galaxy",)),
                "urgency": pick(POLICY.urgencies, ("urgent", ""))}
    if command == "propose_solution":
        return {"remedies": pick((["apology"], ["apology", "compensation"],
                                  ["service_improvement", "apology"]), ([], ["refund"], "x")),
                "summary": pick(("refund",), ("",))}
    if command == "handle":
        return {"actions": pick(("refunded", "called the courier"), ("", None))}
    if command == "feedback":
        return {"satisfaction": pick(SATISFIED + UNSATISFIED, (-0.1, 1.5, float("nan"), True)),
                "comment": pick((None, "ok"), (3,))}
    if command == "record_return_visit":
        outcome = pick(("satisfied", "unsatisfied", "unreachable", "unreachable"),
                       ("maybe", None))
        values = {"satisfied": (None, *SATISFIED), "unsatisfied": (None, *UNSATISFIED)}
        return {"outcome": outcome,
                "satisfaction": pick(values.get(outcome, (None,)), (0.79, 0.8, 1.5))}
    if command == "escalate":
        return {"level": pick((1, 2, 3, 4), (0, True)), "reason": pick((None, "VIP"), (5,))}
    if command == "reopen":
        return {"reason": pick(("not satisfied", None), (5,))}
    if command == "withdraw":
        return {"reason": pick(("solved elsewhere",), ("", None))}
    return {}


def fits(move: Move, actor: Actor) -> bool:
    """Whether the contract lets ``actor`` make ``move`` (on the complaint of CUSTOMER)."""
    if actor.id == CUSTOMER_ID and move.customer:
        return True
    return bool(actor.roles & move.roles) and actor.roles != {"customer"}


def breached(report: SlaReport) -> set[str]:
    return {m for m, s in report.items() if m in HB.public_commitments
            and (s.state == "breached" or s.breached_cycles > 0)}


def cancelled(report: SlaReport) -> set[str]:
    return {m for m, s in report.items() if s.state == "cancelled"}


class ComplaintMachine(RuleBasedStateMachine):
    """One complaint, random commands; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.complaint: Complaint | None = None
        self.level = 0
        self.brisk = False
        self.steps = self.moves = 0
        self.checked: set[str] = set()  # the RemedyOwed events already held to the SLA
        self.policy = POLICY

    @property
    def c(self) -> Complaint:
        assert self.complaint is not None
        return self.complaint

    @initialize(start=st.sampled_from(STARTS), by=st.sampled_from([AGENT, SPECIALIST, CUSTOMER]),
                tier=st.sampled_from([None, "A", "B"]), brisk=st.booleans(),
                sla=st.sampled_from(VARIANTS))
    def receive(self, start: datetime, by: Actor, tier: str | None, brisk: bool,
                sla: str) -> None:
        self.brisk = brisk  # commands minutes to hours apart (timeouts may still jump)
        self.policy = POLICIES[sla]
        event(f"sla {sla}")
        self.complaint = Complaint.receive(
            complaint_id="CP-1", customer_id=CUSTOMER_ID, channel="phone", content=CONTENT,
            cause=CAUSE, at=start, by=by, customer_tier=tier, policy=self.policy)
        assert self.c.stage == "received"

    # -- rules -------------------------------------------------------------------------------

    @rule(data=st.data(), back=st.integers(0, 19), utc=st.booleans())
    def step(self, data: st.DataObject, back: int, utc: bool) -> None:
        """Mostly a command; one step in ten, a look at what is due instead."""
        self.steps += 1
        if data.draw(st.integers(0, 9), label="timeouts") == 0:
            self.timeouts(data.draw(jumps, label="jump"))
        else:
            self.command(data, back, utc)

    def command(self, data: st.DataObject, back: int, utc: bool) -> None:
        before = self.c
        jump = data.draw(small_jumps if self.brisk else jumps, label="jump")
        at = before.updated_at + jump if back else before.updated_at - US
        if utc:
            at = at.astimezone(UTC)
        # mostly a command the stage has; a withdrawal only now and then (it ends the run),
        # more often while a visit is due (which it must cancel)
        here = [name for name, move in CONTRACT.items()
                if before.stage in move.sources and name != "withdraw"]
        what = data.draw(st.integers(0, 79), label="what")
        name = data.draw(st.sampled_from(FORWARD[before.stage])
                         if before.stage in FORWARD and what < 36 else
                         st.sampled_from(here) if here and what < 72 else
                         st.just("withdraw") if what < 73 + 3 * bool(before.pending_visits) else
                         st.sampled_from(sorted(set(CONTRACT) - {"withdraw"})), label="command")
        fit = [a for a in ACTORS if fits(CONTRACT[name], a)]
        by = data.draw(st.sampled_from(fit) if fit and data.draw(st.integers(0, 9)) < 7
                       else st.sampled_from(ACTORS), label="by")
        arguments = draw_arguments(data, name)
        values, history = dict(before.__dict__), before.history
        try:
            after = getattr(before, name)(at=at, by=by, **arguments)
        except ServiceKitError:  # anything else fails the test
            assert before == self.c
            assert before.__dict__ == values
            assert before.history is history
            return
        self.accepted(before, after, name, by, at)

    def timeouts(self, jump: timedelta) -> None:
        """The host's scheduler asks what is due: the remedies owed for the clocks that ran
        past their deadline, by the system at the breach; the SLA engine agrees at ``now``."""
        before = self.c
        now = before.updated_at + jump
        after = before.apply_timeouts(now)
        added = after.history[len(before.history):]
        assert after.history[:len(before.history)] == before.history
        assert all(isinstance(e, RemedyOwed) and e.by == "system" for e in added)
        for e in added:
            assert isinstance(e, RemedyOwed)
            assert e.at == max(e.breached_at, before.updated_at)
            assert e.at <= now
        if not added:
            assert after is before
        self.complaint = after
        if not after.is_final:
            report = evaluate(self.policy.sla, after.history, now)
            assert breached(report) <= set(after.owed_metrics), (breached(report),
                                                                 after.owed_metrics)

    def accepted(self, before: Complaint, after: Complaint, name: str, by: Actor,
                 at: datetime) -> None:
        move = CONTRACT[name]
        self.moves += 1
        assert before.stage in move.sources, (name, before.stage)
        assert fits(move, by), (name, by.id)
        if move.target is not None:
            assert after.stage == move.target, (name, after.stage)
        elif name == "record_return_visit" and after.stage != before.stage:
            assert (before.stage, after.stage) == ("closed", "loop_closed")
        else:
            assert after.stage == before.stage
        assert after.history[:len(before.history)] == before.history
        first, *rest = after.history[len(before.history):]
        assert (first.by, first.roles) == (by.id, by.roles)
        assert first.at == at
        assert all(e.by == "system" and e.roles == {"system"} for e in rest)
        self.complaint = after

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def the_stage_is_declared(self) -> None:
        if self.complaint is None:
            return
        c = self.c
        assert c.stage in STAGES
        assert c.stage in {s.id for s in PROCESS.states}
        assert c.is_final == (c.stage in FINALS)
        assert c.version == len(c.history)
        assert c.updated_at == c.history[-1].at

    @invariant()
    def replay_equals_the_live_complaint(self) -> None:
        if self.complaint is not None:
            assert Complaint.replay(self.c.history, policy=self.policy) == self.c

    @invariant()
    def the_sla_engine_agrees_on_what_is_owed(self) -> None:
        if self.complaint is None:
            return
        c = self.c
        owed = c.owed_metrics
        assert len(set(owed)) == len(owed)
        report = evaluate(self.policy.sla, c.history, c.updated_at)
        assert breached(report) <= set(owed), (breached(report), owed)  # every breach owed
        # none invented: a remedy owed stays owed, though the SLA engine now reports the clock
        # cancelled (a withdrawal after the breach) or met on a longer target (a reanalysis
        # lowered the priority the target table reads)
        for metric in set(owed) - breached(report) - cancelled(report):
            (index,) = [i for i, e in enumerate(c.history)
                        if isinstance(e, RemedyOwed) and e.metric == metric]
            then = evaluate(self.policy.sla, c.history[:index], c.history[index].at)
            assert report[metric].target > then[metric].target, (metric, owed)
        events = [e for e in c.history if isinstance(e, RemedyOwed)]
        assert tuple(e.metric for e in events) == owed
        rows = [(name, e.metric, e.rule, rule_id) for e in events
                for name, rule_id in zip(e.remedies, e.decided_by, strict=True)]
        assert [(r.remedy, r.metric, r.rule, r.decided_by) for r in c.remedies_owed] == rows
        for index, e in enumerate(c.history):
            if not isinstance(e, RemedyOwed) or e.event_id in self.checked:
                continue
            self.checked.add(e.event_id)
            assert (e.by, e.roles, e.rule) == ("system", {"system"}, RULES[e.metric])
            then = evaluate(self.policy.sla, c.history[:index], e.at)
            status = then[e.metric]
            assert e.metric in breached(then), (e.metric, status)
            assert status.breached_at == e.breached_at
            (remedy,) = [r for r in then.remedies() if r.metric == e.metric]
            assert tuple(r["remedy"] for r in remedy.remedies) == e.remedies
            assert remedy.decision.rule_ids == e.decided_by

    @invariant()
    def no_visit_is_pending_in_a_final_stage(self) -> None:
        if self.complaint is not None and self.c.is_final:
            assert self.c.pending_visits == ()

    @invariant()
    def the_escalation_level_never_goes_down(self) -> None:
        if self.complaint is None:
            return
        assert self.c.escalation_level >= self.level
        self.level = self.c.escalation_level

    def teardown(self) -> None:
        if self.complaint is not None:
            event(f"ended {self.c.stage}")
            event(f"owed {len(self.c.owed_metrics)}")
            event(f"steps {self.steps // 10 * 10}+, accepted {self.moves // 5 * 5}+")
            text = json.dumps([e.to_dict() for e in self.c.history])
            stored = [Event.from_dict(d) for d in json.loads(text)]
            assert stored == list(self.c.history)
            assert Complaint.replay(stored, policy=self.policy) == self.c


ComplaintMachine.TestCase.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=30, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestComplaintMachine = ComplaintMachine.TestCase
