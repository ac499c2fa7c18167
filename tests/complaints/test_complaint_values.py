"""The values and edges of the :class:`Complaint` aggregate (issue 11, issue 20): what a freshly
received complaint holds, its queries (``status``, ``stages_entered``, ``pending_visits``), and
the edges of its commands (the ``remedies`` a solution takes, K-06; the automatic escalation
of K-03 at the level it goes to; ``apply_timeouts`` at the last event's instant, S-01 / S-02;
the close of a customer who could not be reached after saying they were satisfied, M-05).

Import shared pieces by basename (``complaint_world``).
"""

from __future__ import annotations

from collections import UserList, namedtuple
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from complaint_world import (
    AGENT,
    LEAD,
    SPECIALIST,
    SYSTEM,
    T0,
    US,
    D,
    H,
    M,
    acknowledged,
    analysed,
    awaiting_feedback,
    bad,
    closed,
    handling,
    proposed,
    received,
    refused,
)

from servicekit.complaints import (
    Complaint,
    ComplaintAnalysed,
    ComplaintEscalated,
    FeedbackRecorded,
    RemedyOwed,
    default_complaint_process,
)
from servicekit.errors import InvalidInputError
from servicekit.presets import handbook
from servicekit.processes import ProcessDefinition
from servicekit.sla import SlaPolicy

_STAGES = ("received", "acknowledged", "analysing", "solution_proposed", "handling",
           "awaiting_feedback", "closed")


def _feedback_twice() -> ProcessDefinition:
    """A host's complaint process: the preset, where a customer may give feedback again while
    the complaint awaits it (a second opinion before the close)."""
    p = default_complaint_process()
    transitions = tuple(
        t.model_copy(update={"sources": ("handling", "awaiting_feedback")})
        if t.event == "feedback" else t for t in p.transitions)
    return ProcessDefinition(**{**{k: getattr(p, k) for k in ProcessDefinition.model_fields},
                                "name": "host_complaint", "transitions": transitions})


# -- a freshly received complaint ------------------------------------------------------------------


def test_the_schema_defaults_are_the_values_of_a_freshly_received_complaint() -> None:
    """A host's API shows the model's JSON schema: each default it declares (not closed as
    unreachable, reachable, no unreachable tries, no reopens, escalation level 0, nothing
    analysed or owed …) is what ``receive`` starts with."""
    schema = Complaint.model_json_schema(mode="serialization")["properties"]
    defaults = {name: prop["default"] for name, prop in schema.items() if "default" in prop}
    assert {name: defaults[name] for name in ("closed_unreachable", "unreachable",
                                              "unreachable_attempts", "reopens",
                                              "escalation_level")} == {
        "closed_unreachable": False, "unreachable": False, "unreachable_attempts": 0,
        "reopens": 0, "escalation_level": 0}
    c = received()
    dumped = c.model_dump(mode="json")
    assert {name: dumped[name] for name in defaults} == defaults
    assert (c.closed_unreachable, c.unreachable, c.unreachable_attempts, c.reopens,
            c.escalation_level) == (False, False, 0, 0, 0)
    assert c.closed_unreachable is False
    assert c.unreachable is False


# -- the queries -----------------------------------------------------------------------------------


def test_status_is_the_stage_at_every_stage() -> None:
    """``status`` (the name tickets use) is the stage, at each stage of the loop and after a
    reopen and a withdrawal."""
    built = [received(), acknowledged(), analysed(), proposed(), handling(),
             awaiting_feedback(), closed()]
    assert [c.stage for c in built] == list(_STAGES)
    for c in built:
        assert c.status == c.stage
        assert isinstance(c.status, str)
    again = closed().reopen(at=T0 + 7 * H)
    assert again.status == again.stage == "handling"
    gone = handling().withdraw(reason="solved elsewhere", at=T0 + 5 * H)
    assert gone.status == gone.stage == "withdrawn"


def test_stages_entered_are_the_first_entries_in_order_read_only() -> None:
    """``stages_entered``: when the complaint first entered each stage, in the order it entered
    them (one step an hour from T0); a reopen enters handling again, which keeps its first
    instant. The mapping is read-only and is in the complaint's JSON."""
    c = closed()
    assert list(c.stages_entered.items()) == [
        (stage, T0 + i * H) for i, stage in enumerate(_STAGES)]
    again = c.reopen(at=T0 + 7 * H)
    assert again.stages_entered == c.stages_entered
    assert list(again.stages_entered)[-1] == "closed"
    with pytest.raises(TypeError):
        again.stages_entered["closed"] = T0
    assert received().stages_entered == {"received": T0}
    assert (received().model_dump(mode="json")["stages_entered"]
            == {"received": T0.isoformat()})


def test_pending_visits_are_ordered_by_due_date() -> None:
    """M-05 / P-04: a customer satisfied (the effectiveness check due in 30 days) who then
    gives a second, unsatisfied feedback (a host's process allows it) has two visits
    scheduled; ``pending_visits`` lists the second visit (due in 24 business hours) first,
    though it was scheduled last."""
    c = handling(process=_feedback_twice())
    c = c.feedback(satisfaction=0.9, at=T0 + 5 * H, by=AGENT)
    c = c.feedback(satisfaction=0.5, at=T0 + 6 * H, by=AGENT)
    scheduled = [v for v in c.return_visits if v.status == "scheduled"]
    assert [v.kind for v in scheduled] == ["effectiveness_check", "second_visit"]
    assert [v.kind for v in c.pending_visits] == ["second_visit", "effectiveness_check"]
    dues = [v.due_at for v in c.pending_visits]
    assert all(d is not None for d in dues)
    assert dues == sorted(d for d in dues if d is not None)


def test_a_pending_visit_without_a_due_date_comes_last() -> None:
    """``ReturnVisit.due_at`` is optional: a history written elsewhere (a host's tool) whose
    unsatisfied feedback scheduled its second visit with no date, beside an effectiveness
    check due the next day, replays with the dated visit first and the undated one last."""
    c = handling()
    fed = c.feedback(satisfaction=0.5, at=T0 + 5 * H, by=AGENT)
    last = fed.history[-1]
    assert isinstance(last, FeedbackRecorded)
    written = last.model_copy(update={"second_visit_due_at": None,
                                      "effectiveness_check_due_at": T0 + D})
    r = Complaint.replay((*fed.history[:-1], written))
    assert [(v.kind, v.due_at) for v in r.return_visits] == [
        ("second_visit", None), ("effectiveness_check", T0 + D)]
    assert [(v.kind, v.due_at) for v in r.pending_visits] == [
        ("effectiveness_check", T0 + D), ("second_visit", None)]


# -- K-06: the remedies a solution takes -------------------------------------------------------


class _Remedies(Sequence[str]):
    """A host's own sequence type (neither a list nor a tuple)."""

    def __init__(self, *names: str) -> None:
        self._names = names

    def __getitem__(self, index: Any) -> Any:
        return self._names[index]

    def __len__(self) -> int:
        return len(self._names)


class _Names(list[str]):
    pass


class _Text(str):
    pass


_Pair = namedtuple("_Pair", ["first", "second"])


def _generator() -> Iterator[str]:
    yield "apology"


@pytest.mark.parametrize("remedies", [
    ["apology", "compensation"], ("apology", "compensation"), _Names(["apology", "compensation"]),
    UserList(["apology", "compensation"]), _Remedies("apology", "compensation"),
    _Pair("apology", "compensation"),
], ids=["list", "tuple", "list-subclass", "UserList", "Sequence", "namedtuple"])
def test_k06_a_solution_takes_any_sequence_of_remedy_names(remedies: Sequence[str]) -> None:
    """K-06: ``remedies`` is a sequence of the policy's remedy names: a list or tuple, or any
    other ``Sequence`` that is not text (a subclass, ``UserList``, a named tuple, a host's
    own), recorded as a tuple in the order given."""
    c = analysed().propose_solution(remedies=remedies, summary="refund", at=T0 + 3 * H,
                                    by=SPECIALIST)
    assert [(r.remedy, r.source) for r in c.remedies] == [
        ("apology", "proposed"), ("compensation", "proposed")]
    assert c.history[-1].remedies == ("apology", "compensation")  # type: ignore[attr-defined]


@pytest.mark.parametrize("remedies", [
    {"apology"}, frozenset({"apology"}), {"apology": True}, {"apology": True}.keys(),
    _generator(), iter(["apology"]), _Text("apology"), b"apology", "apology", None, 3,
], ids=["set", "frozenset", "dict", "dict-keys", "generator", "iterator", "str-subclass",
        "bytes", "str", "None", "int"])
def test_k06_remedies_that_are_no_sequence_of_names_are_refused_by_type(
        remedies: object) -> None:
    """K-06: a set, a mapping, an iterator or generator (no order, or used up once read) and
    text (a ``str`` is a sequence of letters) are refused as ``InvalidInputError`` naming
    the type, never the value; nothing changes."""
    c = analysed()
    error = refused(c, lambda c: c.propose_solution(remedies=bad(remedies), summary="x",
                                                    at=T0 + 3 * H, by=SPECIALIST),
                    InvalidInputError)
    assert f"got {type(remedies).__name__}" in str(error)


def test_k06_text_is_refused_even_when_each_letter_is_a_remedy() -> None:
    """K-06: with a policy whose remedies are single letters (``a``, ``b``), the text ``"ab"``
    is still no list of remedies (not ``a`` and ``b``)."""
    letters = handbook.complaint_policy().model_copy(update={"remedies": ("a", "b")})
    c = analysed(policy=letters)
    ok = c.propose_solution(remedies=["a", "b"], summary="x", at=T0 + 3 * H, by=SPECIALIST)
    assert [r.remedy for r in ok.remedies] == ["a", "b"]
    for text in ("ab", _Text("ab")):
        def propose(c: Complaint, text: str = text) -> Complaint:
            return c.propose_solution(remedies=bad(text), summary="x", at=T0 + 3 * H,
                                      by=SPECIALIST)

        error = refused(c, propose, InvalidInputError)
        assert "must be a list of remedy names" in str(error)


# -- K-03 / S-11: the automatic escalation -------------------------------------------------------


@pytest.mark.parametrize("level", [2, 3])
def test_k03_a_severe_complaint_already_at_the_policys_level_is_not_escalated_again(
        level: int) -> None:
    """K-03 / S-11: a severe complaint escalates to the policy's level (2) by itself; one a
    lead already escalated to that level (or above) stays there: the analysis records no
    second ``ComplaintEscalated``."""
    c = acknowledged().escalate(level=level, at=T0 + H + 30 * M, by=LEAD)
    done = c.analyse(nature="outage", severity=6, scope="widespread", urgency="high",
                     at=T0 + 2 * H, by=SPECIALIST)
    assert (done.severity_band, done.escalation_level) == ("severe", level)
    assert isinstance(done.history[-1], ComplaintAnalysed)
    escalations = [e for e in done.history if isinstance(e, ComplaintEscalated)]
    assert [(e.level, e.by) for e in escalations] == [(level, LEAD.id)]


def test_k03_a_severe_complaint_below_the_policys_level_escalates_to_it() -> None:
    """K-03 / S-11: at level 1 (a lead's) a severe analysis still escalates, by the system, to
    the policy's level 2."""
    c = acknowledged().escalate(level=1, at=T0 + H + 30 * M, by=LEAD)
    done = c.analyse(nature="outage", severity=5, scope="group", urgency="high",
                     at=T0 + 2 * H, by=SPECIALIST)
    last = done.history[-1]
    assert isinstance(last, ComplaintEscalated)
    assert (last.level, last.by, done.escalation_level) == (2, SYSTEM.id, 2)


# -- S-01 / S-02: apply_timeouts at the last event ------------------------------------------------


def _without_commitments() -> SlaPolicy:
    hb = handbook.sla_policy()
    return SlaPolicy(**({f: getattr(hb, f) for f in SlaPolicy.model_fields}
                        | {"public_commitments": ()}))


def test_s02_apply_timeouts_at_the_last_events_instant_records_what_is_owed() -> None:
    """S-02 / K-06: a complaint run by a policy with no public commitments, analysed four days
    after receipt (S-02 ran past its 24 business hours on the Thursday), replayed under the
    handbook's policy: ``apply_timeouts`` at exactly the last event's instant records the
    remedy owed there, as a check a microsecond later does; a check before it owes nothing."""
    c = received(policy=handbook.complaint_policy(_without_commitments()))
    c = c.acknowledge(at=T0 + H, by=AGENT).analyse(
        nature="billing", severity=3, scope="group", urgency="medium", at=T0 + 4 * D,
        by=SPECIALIST)
    assert c.remedies_owed == ()
    r = Complaint.replay(c.history)
    at_last = r.apply_timeouts(r.updated_at)
    assert [(o.remedy, o.rule, o.at) for o in at_last.remedies_owed] == [
        ("apology", "S-02", r.updated_at)]
    assert at_last.version == r.version + 1
    assert isinstance(at_last.history[-1], RemedyOwed)
    assert r.apply_timeouts(r.updated_at + US).remedies_owed == at_last.remedies_owed
    assert r.apply_timeouts(r.updated_at - US) == r


def test_s01_and_s02_missed_by_one_command_are_each_owed_once() -> None:
    """S-01 / S-02 / K-06: an acknowledgement four days late ends S-01 late while S-02 runs
    past its deadline: one command owes both, each once, at the command."""
    c = received().acknowledge(at=T0 + 4 * D, by=AGENT)
    owed = [e for e in c.history if isinstance(e, RemedyOwed)]
    assert [(e.rule, e.at) for e in owed] == [("S-01", T0 + 4 * D), ("S-02", T0 + 4 * D)]
    assert len(set(c.owed_metrics)) == len(c.owed_metrics) == 2
    assert Complaint.replay(c.history) == c


# -- M-05: the close of a customer who could not be reached ----------------------------------------


def _tries(c: Complaint, n: int) -> Complaint:
    for _ in range(n):
        c = c.record_return_visit(outcome="unreachable", at=c.updated_at + H, by=AGENT)
    return c


def test_m05_a_customer_never_reached_closes_as_unreachable() -> None:
    """M-05: three feedback tries that could not reach the customer allow the close, which
    records it (``closed_unreachable``); a satisfied customer's close does not."""
    gone = _tries(handling(), 3)
    assert (gone.unreachable, gone.satisfied) == (True, None)
    done = gone.close(at=gone.updated_at + H, by=SPECIALIST)
    assert done.closed_unreachable is True
    assert done.history[-1].unreachable is True  # type: ignore[attr-defined]
    assert closed().closed_unreachable is False


def test_m05_a_customer_who_said_they_were_satisfied_is_not_closed_as_unreachable() -> None:
    """M-05: in a host's process taking a second feedback, a customer first unsatisfied (a
    second visit due), then satisfied, whom the second visit then cannot reach three times,
    may close (unreachable), but gave their satisfaction: the close is not recorded as
    closed without feedback."""
    c = handling(process=_feedback_twice())
    c = c.feedback(satisfaction=0.5, at=T0 + 5 * H, by=AGENT)
    c = _tries(c, 1).feedback(satisfaction=0.9, at=T0 + 7 * H, by=AGENT)
    assert (c.satisfied, c.unreachable) == (True, False)
    assert [v.kind for v in c.pending_visits] == ["second_visit", "effectiveness_check"]
    c = _tries(c, 2)
    assert (c.satisfied, c.unreachable, c.unreachable_attempts) == (True, True, 3)
    done = c.close(at=c.updated_at + H, by=SPECIALIST)
    assert done.stage == "closed"
    assert done.closed_unreachable is False
    assert done.history[-1].unreachable is False  # type: ignore[attr-defined]
