"""The complaint aggregate: P-03's loop with the handbook's numbers, on the case engine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Self

from pydantic import AwareDatetime, Field, JsonValue, computed_field

from servicekit._payload import frozen_dict
from servicekit.complaint_policy import ComplaintPolicy
from servicekit.complaints._checks import (
    check_choice,
    check_satisfaction,
    default_complaint_policy,
    default_complaint_process,
    setup,
)
from servicekit.complaints._commitments import Commitments, owed
from servicekit.complaints._kind import (
    COMPLAINT,
    P03_FIELDS,
    ComplaintRemedy,
    ReturnVisit,
    entered_stages,
)
from servicekit.engine import (
    Actor,
    Aggregate,
    AggregateKind,
    check_actor,
    check_fields,
    check_optional_text,
    check_text,
    check_time,
    created_state,
    execute,
    fold,
    later,
    may_start,
)
from servicekit.errors import InvalidInputError, PermissionDenied
from servicekit.events import CaseStarted, Event, time_ordered_id
from servicekit.processes import ProcessDefinition
from servicekit.sla import SlaReport, evaluate

__all__ = ["Complaint"]

_set = object.__setattr__
_OUTCOMES = ("satisfied", "unsatisfied", "unreachable")
#: the scheduled visit a return visit in a stage completes (elsewhere: a follow-up)
_VISIT_OF = {"handling": "feedback", "awaiting_feedback": "second_visit",
             "closed": "effectiveness_check"}


class Complaint(Aggregate):
    """A customer's complaint, from receipt to the effectiveness check (P-03, P-04).

    Build one with :meth:`receive` (or :meth:`replay`); change it only through its commands,
    each of which returns a new complaint. A rejected command raises a
    :class:`~servicekit.errors.ServiceKitError` and changes nothing.
    """

    kind: ClassVar[AggregateKind] = COMPLAINT
    _derived: ClassVar[frozenset[str]] = frozenset({"status", "ended_at"}) | set(P03_FIELDS)
    _json_derived: ClassVar[tuple[str, ...]] = ("status", "ended_at")

    complaint_id: str
    customer_id: str = Field(description="the complainant (P-03)")
    channel: str
    content: str = Field(description="what the complaint is about (P-03)")
    cause: str = Field(description="why the customer complains (P-03)")
    remedy_sought: str | None = Field(default=None, description="what the customer asks for "
                                                                "(ISO 10002)")
    customer_tier: str | None = None
    phase: str | None = Field(default=None, description="K-05: pre_sale, in_sale, after_sale")
    fields: dict[str, JsonValue] = Field(default_factory=dict,
                                         description="the host's own data, given at receipt")
    stage: str = Field(description="the process stage: received, acknowledged, analysing …")
    stage_since: AwareDatetime
    received_at: AwareDatetime = Field(description="the complaint time (P-03)")
    updated_at: AwareDatetime = Field(description="instant of the last event")
    acknowledged_at: AwareDatetime | None = None
    solution_proposed_at: AwareDatetime | None = None
    feedback_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None
    closed_unreachable: bool = Field(default=False, description="closed without feedback: "
                                                                "the customer was unreachable")
    nature: str | None = None
    severity: int | None = Field(default=None, description="K-03 scale, 1-6")
    scope: str | None = None
    urgency: str | None = None
    severity_band: str | None = Field(default=None, description="K-03: minor, medium, severe")
    priority: str | None = Field(default=None, description="K-02: P1-P4, from the analysis")
    major: bool | None = Field(default=None, description="K-02: a major problem (P1, P2)")
    priority_rule: str | None = None
    escalation_level: int = 0
    solution_summary: str | None = None
    actions: tuple[str, ...] = ()
    satisfaction: float | None = Field(default=None, description="the latest, on 0-1")
    satisfied: bool | None = Field(default=None, description="M-05: the latest satisfaction "
                                                             "at least the threshold")
    unreachable: bool = Field(default=False, description="the policy's attempts could not "
                                                         "reach the customer")
    unreachable_attempts: int = 0
    return_visits: tuple[ReturnVisit, ...] = ()
    remedies: tuple[ComplaintRemedy, ...] = ()
    owed_metrics: tuple[str, ...] = Field(default=(), description="missed commitments "
                                                                  "(S-01, S-02) owing remedies")
    reopens: int = 0
    withdrawn_reason: str | None = None

    @classmethod
    def default_process(cls) -> ProcessDefinition:
        return default_complaint_process()

    # -- queries ----------------------------------------------------------------------------

    @property
    def status(self) -> str:
        """The stage (the name tickets use)."""
        return self.stage

    @computed_field  # type: ignore[prop-decorator]
    @property
    def stages_entered(self) -> dict[str, datetime]:
        """When the complaint first entered each stage, in the order it entered them (read
        from the history: a read-only mapping)."""
        return frozen_dict(entered_stages(self.history)[0])

    @property
    def ended_at(self) -> datetime | None:
        """When the complaint reached a final stage (the loop closed, or withdrawn)."""
        return self.stage_since if self.is_final else None

    @property
    def policy(self) -> ComplaintPolicy:
        """The complaint policy this complaint runs by."""
        private = self.__pydantic_private__
        found = private.get("_policy") if private else None
        return found if found is not None else default_complaint_policy()

    @property
    def pending_visits(self) -> tuple[ReturnVisit, ...]:
        """The return visits scheduled and not yet done, earliest due first."""
        return tuple(sorted((v for v in self.return_visits if v.status == "scheduled"),
                            key=lambda v: (v.due_at is None, v.due_at or self.updated_at)))

    @property
    def remedies_owed(self) -> tuple[ComplaintRemedy, ...]:
        """The remedies owed for missed public commitments (K-06), with their rule ids."""
        return tuple(r for r in self.remedies if r.source == "owed")

    def clocks(self, now: datetime) -> SlaReport:
        """The complaint's SLA clocks at ``now`` under its policy's SLA policy (S-01, S-02)."""
        return evaluate(self.policy.sla, self.history, now)

    # -- creation ----------------------------------------------------------------------------

    @classmethod
    def receive(cls, *, complaint_id: str, customer_id: str, channel: str, content: str,
                cause: str, at: datetime, by: Actor, remedy_sought: str | None = None,
                customer_tier: str | None = None, phase: str | None = None,
                fields: Mapping[str, Any] | None = None,
                policy: ComplaintPolicy | None = None,
                process: ProcessDefinition | None = None) -> Complaint:
        """Receive a complaint (受理): the P-03 record of its time (``at``), complainant,
        content and cause, the channel (K-04, one of the policy's), the remedy the customer
        seeks (ISO 10002), the customer's tier (R-07) and the service phase (K-05:
        pre-sale, in-sale, after-sale).

        Staff receive complaints; a customer only their own. The S-01 and S-02 clocks start.
        """
        definition, chosen, commitments = setup("receive", policy, process)
        for name, value in (("complaint_id", complaint_id), ("customer_id", customer_id),
                            ("content", content), ("cause", cause)):
            check_text("receive", name, value)
        check_choice("receive", "channel", channel, chosen.channels)
        if phase is not None:
            check_choice("receive", "phase", phase, chosen.phases)
        check_optional_text("receive", "remedy_sought", remedy_sought)
        check_optional_text("receive", "customer_tier", customer_tier)
        check_actor("receive", by)
        at = check_time("receive", at, None)
        extra = check_fields("receive", fields, cls._reserved)
        if not may_start(by, customer_id, definition):
            raise PermissionDenied("receive", "(none)",
                                   "a customer files complaints only for themself")
        data: dict[str, Any] = {"channel": channel, "content": content, "cause": cause}
        if remedy_sought is not None:
            data["remedy_sought"] = remedy_sought
        if customer_tier is not None:
            data["customer_tier"] = customer_tier
        if phase is not None:
            data["phase"] = phase
        data.update(extra)
        # every value is checked above (the texts, the instant settled, the host's data
        # frozen JSON), as the engine checks a command's: built without validating again
        event = CaseStarted._trusted(
            event_id=time_ordered_id(at), stream_id=complaint_id, at=at, by=by.id,
            roles=by.roles, fields=frozen_dict(data), process=definition.name,
            state=definition.table.initial, customer_id=customer_id)
        state = created_state(COMPLAINT, event, definition)
        return cls._with(state, process, policy, commitments)

    @classmethod
    def replay(cls, history: Iterable[Event], *, policy: ComplaintPolicy | None = None,
               process: ProcessDefinition | None = None) -> Complaint:
        """Rebuild a complaint from its events, checking each against the process.

        The policy is not needed to read the history (its decisions are on the events); it
        is the one later commands run by. Raises
        :class:`~servicekit.errors.InvalidInputError` naming the first event the process could
        not have produced.
        """
        definition, _, commitments = setup("replay", policy, process)
        if type(history) is tuple:  # the common case (a complaint's own history)
            events: tuple[Event, ...] = history
        elif isinstance(history, (str, bytes, Mapping)) or not isinstance(history, Iterable):
            raise InvalidInputError(
                f"replay: history must be an iterable of events (got {type(history).__name__})"
            )
        else:
            events = tuple(history)
        built = cls.__new__(cls)  # as _build, with the complaint's private values at once
        state = fold(COMPLAINT, events, definition)
        _set(built, "__dict__", state)
        _set(built, "__pydantic_fields_set__", cls._fields_set)
        _set(built, "__pydantic_extra__", None)
        _set(built, "__pydantic_private__", {"_process": process, "_policy": policy,
                                             "_commitments": commitments})
        return built

    @classmethod
    def _with(cls, state: dict[str, Any], process: ProcessDefinition | None,
              policy: ComplaintPolicy | None, commitments: Commitments) -> Complaint:
        built = cls._build(state, process)
        private = built.__pydantic_private__
        assert private is not None
        private["_policy"] = policy
        private["_commitments"] = commitments
        return built

    # -- the command path ----------------------------------------------------------------------

    def _run(self, command: str, at: datetime, by: Actor, arguments: dict[str, Any],
             host: dict[str, Any], *, provided: Mapping[str, Any] | None = None) -> Self:
        private = self.__pydantic_private__
        assert private is not None
        process = private["_process"]
        state = execute(COMPLAINT, self.__dict__, process or default_complaint_process(),
                        command, at=at, by=by, arguments=arguments, host=host,
                        provided=provided)
        cls = type(self)
        new = cls.__new__(cls)  # as _build, with the same private values
        _set(new, "__dict__", state)
        _set(new, "__pydantic_fields_set__", cls._fields_set)
        _set(new, "__pydantic_extra__", None)
        _set(new, "__pydantic_private__", private)  # shared: never changed after creation
        commitments: Commitments = private["_commitments"]
        shortest = commitments.shortest
        if command == "owe_remedy" or (
                # no clock has run long enough on the wall to be late (the common case)
                not commitments.exact and (shortest is None or state["updated_at"]
                                           - state["received_at"] <= shortest)):
            return new
        if not commitments.missed(state, self.__dict__["version"],
                                  state["updated_at"]):
            return new
        return new._owe(state["updated_at"])

    def _settle(self, at: datetime) -> Self:
        """Record the remedies owed for the commitments whose clocks ran past their
        deadline by ``at`` (K-06)."""
        private = self.__pydantic_private__
        assert private is not None
        if not private["_commitments"].missed(self.__dict__, None, at):
            return self
        return self._owe(at)

    def _owe(self, at: datetime) -> Self:
        """Ask the SLA engine what the missed commitments owe at ``at``, and record it: each
        at its breach (or the last event, if later), owing what the engine owes at that
        instant (K-06: a repeated breach counts the breaches up to it, not those after, so
        a late check records what a timely one would have)."""
        private = self.__pydantic_private__
        assert private is not None
        commitments = private["_commitments"]
        report = evaluate(self.policy.sla, self.history, at)
        new = self
        system = Actor.system()
        for metric, rule, now_names, now_rules, breached_at in owed(report, commitments,
                                                                     self.owed_metrics):
            when = max(breached_at, new.updated_at)
            names, rules = now_names, now_rules
            if when < at:  # decided on the history and the breaches as they stood then
                then = evaluate(self.policy.sla, new.history, when)
                names, rules = next(((n, r) for m, _, n, r, _ in owed(then, commitments, ())
                                     if m == metric), (names, rules))
            new = new._run("owe_remedy", when, system,
                           {"metric": metric, "rule": rule, "remedies": names,
                            "decided_by": rules, "breached_at": breached_at}, {})
        return new

    def apply_timeouts(self, now: datetime) -> Self:
        """Record what is due by ``now``: the process's timeouts, and the remedies owed for the
        commitments (S-01, S-02) whose clocks ran past their deadline (K-06), by the system
        actor at the breach (or the last event, if later)."""
        now = check_time("apply_timeouts", now, None)
        new = super().apply_timeouts(now)
        if now < new.updated_at:
            return new
        return new._settle(now)

    # -- commands ---------------------------------------------------------------------------

    def acknowledge(self, *, at: datetime, by: Actor) -> Complaint:
        """The first response to the complainant (S-01: within 4 h; ISO 10002 7.2)."""
        return self._run("acknowledge", at, by, {}, {})

    def analyse(self, *, nature: str, severity: int, scope: str, urgency: str, at: datetime,
                by: Actor) -> Complaint:
        """The assessment (P-03 分析): nature, severity on the K-03 scale, scope of impact and
        urgency. The policy gives the severity band (K-03) and the priority (K-02, by the rule
        engine); a complaint in the escalating band (severe) escalates automatically."""
        policy = self.policy
        check_text("analyse", "nature", nature)
        low, high = policy.severities
        if isinstance(severity, bool) or not isinstance(severity, int):
            raise InvalidInputError(f"analyse: severity must be an int from {low} to {high} "
                                    f"(K-03; got {type(severity).__name__})")
        if not low <= severity <= high:
            raise InvalidInputError(f"analyse: severity is outside the policy's scale, {low} "
                                    f"to {high} (K-03)")
        check_choice("analyse", "scope", scope, policy.scopes)
        check_choice("analyse", "urgency", urgency, policy.urgencies)
        band = policy.band(severity)
        state = self.__dict__
        priority, major, rule = policy.assessed((severity, scope, urgency, nature, band,
                                                 state["channel"], state["customer_tier"]))
        new = self._run("analyse", at, by, {
            "nature": nature, "severity": severity, "scope": scope, "urgency": urgency,
            "severity_band": band, "priority": priority, "major": major,
            "priority_rule": rule}, {})
        level = policy.escalate_to
        if band == policy.escalate_band and new.escalation_level < level:
            new = new._run("escalate", new.updated_at, Actor.system(),
                           {"level": level, "reason": f"K-03: a {band} complaint escalates "
                                                      f"to level {level}"}, {})
        return new

    def propose_solution(self, *, remedies: Sequence[str], summary: str, at: datetime,
                         by: Actor) -> Complaint:
        """A preliminary solution (S-02: within 24 h) offering K-06 remedies from the policy's
        list (apology, compensation, service improvement)."""
        if type(remedies) not in (list, tuple) and (
                isinstance(remedies, (str, bytes)) or not isinstance(remedies, Sequence)):
            raise InvalidInputError(f"propose_solution: remedies must be a list of remedy "
                                    f"names (got {type(remedies).__name__})")
        offered = self.policy.offered_remedies
        names = []
        for i, name in enumerate(remedies):
            if not isinstance(name, str) or name not in offered:
                raise InvalidInputError(
                    f"propose_solution: remedies[{i}] is not a remedy of the policy (K-06: "
                    f"{', '.join(offered)})")
            if name not in names:
                names.append(name)
        if not names:
            raise InvalidInputError("propose_solution: remedies must name at least one remedy")
        check_text("propose_solution", "summary", summary)
        return self._run("propose_solution", at, by,
                         {"remedies": tuple(names), "summary": summary}, {})

    def handle(self, *, actions: str, at: datetime, by: Actor) -> Complaint:
        """The solution carried out (P-03 處理); called again for further actions."""
        check_text("handle", "actions", actions)
        return self._run("handle", at, by, {"actions": actions}, {})

    def feedback(self, *, satisfaction: float, at: datetime, by: Actor,
                 comment: str | None = None) -> Complaint:
        """The complainant told the result and asked their satisfaction (P-03 反饋), on 0-1.

        Below the policy's threshold (M-05: 80 %) a second return visit is scheduled, due on
        the business calendar; the complaint cannot close until a visit finds the customer
        satisfied (or cannot reach them).
        """
        value = check_satisfaction("feedback", satisfaction)
        assert value is not None
        check_optional_text("feedback", "comment", comment)
        moment = check_time("feedback", at, self.updated_at, "complaint")
        policy = self.policy
        satisfied = value >= policy.second_visit_below
        due = None if satisfied else policy.sla.calendar.add(moment, policy.second_visit_within)
        return self._run("feedback", moment, by, {
            "satisfaction": value, "comment": comment, "satisfied": satisfied,
            "second_visit_due_at": due,
            "effectiveness_check_due_at": self._effectiveness_due(moment) if satisfied
            else None}, {})

    def _effectiveness_scheduled(self) -> bool:
        """Whether an effectiveness check (P-04) is scheduled."""
        for v in self.__dict__["return_visits"]:
            if v[0] == "effectiveness_check" and v[3] == "scheduled":  # kind, status
                return True
        return False

    def _effectiveness_due(self, moment: datetime) -> datetime | None:
        """When a satisfied result made at ``moment`` has the effectiveness check fall due
        (P-04), unless one is already scheduled."""
        if self._effectiveness_scheduled():
            return None
        return later(moment, self.policy.effectiveness_check_after)

    def record_return_visit(self, *, outcome: str, at: datetime, by: Actor,
                            satisfaction: float | None = None) -> Complaint:
        """A return visit (回访): the one scheduled (a second visit, M-05; the effectiveness
        check, P-04), or, during handling, a try to reach the customer for their feedback.

        ``outcome`` is ``"satisfied"``, ``"unsatisfied"`` or ``"unreachable"``; a
        ``satisfaction`` given must agree with it (M-05's threshold). After the policy's
        number of unreachable tries (default 3) the customer counts as unreachable: the
        complaint may close without feedback, which the close records.
        """
        if outcome not in _OUTCOMES:
            raise InvalidInputError(
                f"record_return_visit: outcome must be one of {', '.join(_OUTCOMES)} "
                f"(got {type(outcome).__name__})")
        value = check_satisfaction("record_return_visit", satisfaction, optional=True)
        policy = self.policy
        threshold = policy.second_visit_below
        if value is not None and (outcome == "unreachable"
                                  or (outcome == "satisfied") != (value >= threshold)):
            raise InvalidInputError(
                "record_return_visit: the satisfaction contradicts the outcome (M-05: "
                "satisfied is at least the policy's threshold; an unreachable customer "
                "gives none)")
        moment = check_time("record_return_visit", at, self.updated_at, "complaint")
        wanted = _VISIT_OF.get(self.stage, "follow_up")
        pending = next((v for v in self.return_visits
                        if v.kind == wanted and v.status == "scheduled"), None)
        kind = wanted if pending is not None or wanted == "feedback" else "follow_up"
        attempt = (pending.attempts if pending is not None else 0) + 1
        exhausted = (outcome == "unreachable" and kind != "follow_up"
                     and attempt >= policy.unreachable_attempts)
        next_due = None
        if outcome == "unreachable" and not exhausted and kind != "follow_up":
            next_due = policy.sla.calendar.add(moment, policy.second_visit_within)
        effectiveness = None
        if outcome == "satisfied" and kind != "effectiveness_check":
            effectiveness = self._effectiveness_due(moment)
        new = self._run("record_return_visit", moment, by, {
            "visit": kind, "outcome": outcome, "satisfaction": value,
            "satisfied": None if outcome == "unreachable" else outcome == "satisfied",
            "attempt": attempt, "exhausted": exhausted, "next_due_at": next_due,
            "effectiveness_check_due_at": effectiveness}, {})
        if kind == "effectiveness_check" and (outcome == "satisfied" or exhausted):
            # P-04: the fix worked (or the customer cannot be reached): the loop is closed
            new = new._run("close_loop", new.updated_at, Actor.system(), {}, {})
        return new

    def close(self, *, at: datetime, by: Actor) -> Complaint:
        """Close the complaint (结案): with the customer satisfied, or unreachable after the
        policy's attempts (recorded). The effectiveness check (P-04: default 30 days later) is
        scheduled by the satisfied result, or here when there was none."""
        due = None
        if not self._effectiveness_scheduled():  # dated here only when there was none
            at = check_time("close", at, self.updated_at, "complaint")
            due = later(at, self.policy.effectiveness_check_after)
        return self._run("close", at, by, {
            "unreachable": bool(self.unreachable and not self.satisfied),
            "effectiveness_check_due_at": due}, {})

    def escalate(self, *, level: int, at: datetime, by: Actor,
                 reason: str | None = None) -> Complaint:
        """Escalate to ``level`` (higher than the current one; S-11). Leads (or higher)."""
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise InvalidInputError(
                f"escalate: level must be an int of at least 1 (got {type(level).__name__})"
            )
        check_optional_text("escalate", "reason", reason)
        return self._run("escalate", at, by, {"level": level, "reason": reason}, {})

    def reopen(self, *, at: datetime, by: Actor | None = None,
               reason: str | None = None) -> Complaint:
        """Back to handling: the customer is not satisfied after all (staff, or the complainant,
        the default ``by``). Scheduled visits are cancelled."""
        check_optional_text("reopen", "reason", reason)
        actor = by if by is not None else Actor.customer(self.customer_id)
        return self._run("reopen", at, actor, {"reason": reason}, {})

    def withdraw(self, *, reason: str, at: datetime, by: Actor | None = None) -> Complaint:
        """The complainant withdraws (the default ``by``), or a lead finds it is no complaint."""
        check_text("withdraw", "reason", reason)
        actor = by if by is not None else Actor.customer(self.customer_id)
        return self._run("withdraw", at, actor, {"reason": reason}, {})
