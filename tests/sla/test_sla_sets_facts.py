"""Events that set facts (``Event.sets_facts``): the SLA engine reads them (issue 11).

A ``PriorityChanged`` sets ``priority``; a complaint's ``ComplaintAnalysed`` sets its
assessment (priority, severity, scope …). The engine copies the declared attributes into the
facts the target table and the remedy table read, and re-targets the running clocks, exactly
as it always did for a priority change.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from sla_events import T0, H, always_policy, ev

from servicekit.events import CaseStarted, ComplaintAnalysed, Event, PriorityChanged, StatusChanged
from servicekit.rules import DecisionTable, Rule
from servicekit.sla import Metric, SlaPolicy, evaluate


class Reassessed(Event):
    """A host's event that changes a fact the target table reads."""

    sets_facts: ClassVar[tuple[str, ...]] = ("severity",)

    type: Literal["TestReassessed"] = "TestReassessed"
    severity: int


def _policy() -> SlaPolicy:
    return always_policy(
        "by-severity",
        metrics=[Metric(name="fix", start_on="CaseStarted", stop_on="StatusChanged:fixed",
                        pausable=False, target=8 * H)],
        target_table=DecisionTable(name="t", hit_policy="first", rules=[
            Rule(id="severe", when="severity >= 5", then={"fix": "2h"})]),
        public_commitments=frozenset({"fix"}),
        remedy_table=DecisionTable(name="r", hit_policy="collect", rules=[
            Rule(id="K-06:apology", when="commitment_missed", then={"remedy": "apology"}),
            Rule(id="K-06:compensation", when='commitment_missed and priority == "P1"',
                 then={"remedy": "compensation"})]),
    )


def _started(**fields: object) -> Event:
    return ev(CaseStarted, T0, process="p", state="new", fields=fields)


def test_an_event_that_sets_a_fact_retargets_the_running_clock() -> None:
    policy = _policy()
    history = [_started(severity=1), ev(Reassessed, T0 + H, severity=5)]
    report = evaluate(policy, history, T0 + 3 * H)
    assert report["fix"].target == 2 * H  # from the clock's start, as a priority change does
    assert report["fix"].state == "breached"
    # without the event, the fixed target stands
    assert evaluate(policy, history[:1], T0 + 3 * H)["fix"].target == 8 * H


def test_an_event_without_sets_facts_changes_nothing() -> None:
    policy = _policy()
    history = [_started(severity=1), ev(StatusChanged, T0 + H, status="new", event="note",
                                        fields={"severity": 6})]
    assert evaluate(policy, history, T0 + 3 * H)["fix"].target == 8 * H


def test_a_complaint_assessment_reaches_the_remedy_table_k06() -> None:
    """K-06: compensation for a P1 complaint, seen because the analysis set the priority."""
    policy = _policy()
    analysed = ev(ComplaintAnalysed, T0 + H, nature="n", severity=2, scope="group",
                  urgency="high", severity_band="minor", priority="P1", major=True)
    report = evaluate(policy, [_started(), analysed], T0 + 9 * H)
    (remedy,) = report.remedies()
    assert [r["remedy"] for r in remedy.remedies] == ["apology", "compensation"]
    assert remedy.decision.facts["priority"] == "P1"
    assert remedy.decision.facts["major"] is True


def test_a_priority_change_still_sets_the_priority() -> None:
    policy = _policy()
    history = [_started(), ev(PriorityChanged, T0 + H, priority="P1")]
    report = evaluate(policy, history, T0 + 9 * H)
    (remedy,) = report.remedies()
    assert remedy.decision.rule_ids == ("K-06:apology", "K-06:compensation")


class Noted(Event):
    """A host's event the SLA engine has no use for: it sets no fact."""

    type: Literal["TestNoted"] = "TestNoted"


def test_an_event_the_engine_does_not_read_retargets_nothing() -> None:
    """Only an event that sets facts re-targets the running clocks: the explanation of a
    history with an event the engine does not read says nothing of targets."""
    policy = _policy()
    report = evaluate(policy, [_started(severity=1), ev(Noted, T0 + H)], T0 + 3 * H)
    assert report["fix"].target == 8 * H
    assert "re-targeted" not in report.explain()
    retargeted = evaluate(policy, [_started(severity=1), ev(Reassessed, T0 + H, severity=1)],
                          T0 + 3 * H)
    assert "fix: re-targeted to 8h from its start" in retargeted.explain()
