"""The edges of :class:`ComplaintPolicy` and :class:`SeverityBand` (issue 11, issue 20): the K-03
bands at their ends, the K-02 table's outputs, and the K-06 remedies a policy offers.

Each test pins a boundary the complaint tests did not reach (a one-severity band, the severity
just past the scale, ``True`` as a severity, a priority row that says nothing of ``major``, a
remedy table naming a remedy twice). Import shared pieces by basename (``complaint_world``).
"""

from __future__ import annotations

from typing import Any

import pytest
from complaint_world import AGENT, SPECIALIST, T0, H, analysed, bad, received, refused
from hypothesis import given, settings
from hypothesis import strategies as st

from servicekit.complaint_policy import MAX_SEVERITY, ComplaintPolicy, SeverityBand
from servicekit.errors import InvalidInputError, PolicyError, ServiceKitError
from servicekit.presets import handbook
from servicekit.rules import DecisionTable, Rule
from servicekit.sla import SlaPolicy

HANDBOOK = handbook.complaint_policy()


def _policy(**changes: Any) -> ComplaintPolicy:
    """The handbook's complaint policy with ``changes`` (validated)."""
    return ComplaintPolicy(**({f: getattr(HANDBOOK, f) for f in ComplaintPolicy.model_fields}
                              | changes))


def _sla(**changes: Any) -> SlaPolicy:
    """The handbook's SLA policy with ``changes`` (validated)."""
    hb = handbook.sla_policy()
    return SlaPolicy(**({f: getattr(hb, f) for f in SlaPolicy.model_fields} | changes))


# -- K-03: the bands -------------------------------------------------------------------------------


def test_k03_a_band_of_one_severity_is_a_band() -> None:
    """K-03: a band's ends are inclusive, so ``low == high`` is one severity wide (a host's
    scale minor 1-2, medium 3, severe 4-6): accepted, and that severity is in it."""
    one = SeverityBand(name="medium", low=3, high=3)
    assert (one.low, one.high) == (3, 3)
    policy = _policy(severity_bands=(SeverityBand(name="minor", low=1, high=2),
                                     SeverityBand(name="medium", low=3, high=3),
                                     SeverityBand(name="severe", low=4, high=6)))
    assert [policy.band(n) for n in range(1, 7)] == [
        "minor", "minor", "medium", "severe", "severe", "severe"]
    c = analysed(policy=policy, severity=3)
    assert (c.severity, c.severity_band, c.escalation_level) == (3, "medium", 0)


@pytest.mark.parametrize(("low", "high"), [(4, 3), (1, 0), (MAX_SEVERITY, 0)])
def test_k03_a_band_whose_low_end_is_above_its_high_end_is_a_policy_error(
        low: int, high: int) -> None:
    """K-03: ``low > high`` is an empty band, refused with a ``PolicyError`` that names the
    rule broken, not the numbers; inside a policy document too."""
    with pytest.raises(PolicyError, match="low end is at most its high end") as caught:
        SeverityBand(name="medium", low=low, high=high)
    assert isinstance(caught.value, ServiceKitError)
    with pytest.raises(PolicyError, match="low end"):
        _policy(severity_bands=({"name": "all", "low": low, "high": high},))


def test_k03_the_top_band_covers_its_top_severity_and_nothing_above() -> None:
    """K-03: severe is 5-6: ``band(6)`` is severe, ``band(7)`` (one past the scale) and
    ``band(0)`` (one below) are outside it, a ``PolicyError``."""
    assert [HANDBOOK.band(n) for n in (1, 2, 3, 4, 5, 6)] == [
        "minor", "minor", "medium", "medium", "severe", "severe"]
    for outside in (0, 7, -1, MAX_SEVERITY):
        with pytest.raises(PolicyError, match="outside the policy's severity scale"):
            HANDBOOK.band(outside)


@pytest.mark.parametrize("flag", [True, False])
def test_k03_a_bool_is_no_severity(flag: bool) -> None:
    """K-03: ``True`` hashes as 1 (minor) and ``False`` as 0, but neither is a severity."""
    with pytest.raises(PolicyError, match="severity"):
        HANDBOOK.band(bad(flag))


@settings(max_examples=40, deadline=None)
@given(low=st.integers(0, 10), widths=st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_k03_band_is_the_band_holding_the_severity_and_nothing_outside_the_scale(
        low: int, widths: list[int]) -> None:
    """K-03 as a property: on any contiguous scale, ``band(n)`` is the band with
    ``low <= n <= high``; one below the lowest and one above the highest are refused."""
    bands, start = [], low
    for i, width in enumerate(widths):
        bands.append(SeverityBand(name=f"b{i}", low=start, high=start + width - 1))
        start += width
    policy = _policy(severity_bands=tuple(bands), escalate_band=None)
    assert policy.severities == (bands[0].low, bands[-1].high)
    for b in bands:
        for n in range(b.low, b.high + 1):
            assert policy.band(n) == b.name
    for outside in (bands[0].low - 1, bands[-1].high + 1):
        with pytest.raises(PolicyError):
            policy.band(outside)


# -- K-02: the priority table ----------------------------------------------------------------------


def _priority_table() -> DecisionTable:
    """K-02 for a host: P1 (major) for a severe problem, else the default P4, which says
    nothing about ``major``."""
    return DecisionTable(name="host_priority", hit_policy="first", default={"priority": "P4"},
                         rules=[Rule(id="K-02:host-severe", when="severity >= 5",
                                     then={"priority": "P1", "major": True}),
                                Rule(id="K-02:host-medium", when="severity >= 3",
                                     then={"priority": "P3"})])


def test_k02_a_priority_row_that_gives_no_major_is_not_major() -> None:
    """K-02: ``major`` is what the table's output says, and an output without it is not a
    major problem (the rule id, or ``None`` for the default, says which row decided)."""
    policy = _policy(priority_table=_priority_table())
    assert policy.priority({"severity": 6}) == ("P1", True, "K-02:host-severe")
    assert policy.priority({"severity": 3}) == ("P3", False, "K-02:host-medium")
    assert policy.priority({"severity": 1}) == ("P4", False, None)
    for severity, expected in ((3, ("P3", False, "K-02:host-medium")),
                               (1, ("P4", False, None))):
        c = analysed(policy=policy, severity=severity)
        assert (c.priority, c.major, c.priority_rule) == expected
        assert c.major is False


def test_k02_assessed_and_priority_agree_and_repeat() -> None:
    """K-02: ``assessed`` (the analysis's facts in order) decides as ``priority`` does on the
    same facts, and asking twice gives the same answer (the memo changes nothing)."""
    policy = _policy(priority_table=_priority_table())
    key = (5, "group", "high", "billing", "severe", "phone", None)
    facts = dict(zip(("severity", "scope", "urgency", "nature", "severity_band", "channel",
                      "customer_tier"), key, strict=True))
    first = policy.assessed(key)
    assert first == policy.assessed(key) == policy.priority(facts) == policy.priority(facts)
    assert first == ("P1", True, "K-02:host-severe")
    # a fact that does not hash is decided afresh, the same way
    assert policy.priority({**facts, "nature": ["billing"]}) == first


# -- K-06: the remedies offered --------------------------------------------------------------------


def _remedy_table() -> DecisionTable:
    """K-06 for a host: two rules owe an apology, one only notifies (no ``remedy``), the
    default a compensation."""
    owed = {"notify_customer": True}
    return DecisionTable(name="remedy", hit_policy="collect", default={"remedy": "compensation"},
                         rules=[Rule(id="K-06:apology", when="commitment_missed",
                                     then={"remedy": "apology", **owed}),
                                Rule(id="K-06:notify", when="commitment_missed", then=owed),
                                Rule(id="K-06:apology-again", when="repeat_breaches >= 2",
                                     then={"remedy": "apology"})])


def test_k06_the_remedies_offered_are_the_tables_names_once_each_in_table_order() -> None:
    """K-06: with no ``remedies`` of its own a policy offers the remedy names its SLA
    policy's remedy table can owe: each once, in table order (the default last), and an
    output naming no remedy adds none."""
    policy = _policy(sla=_sla(remedy_table=_remedy_table()))
    assert policy.offered_remedies == ("apology", "compensation")
    c = analysed(policy=policy)
    refused(c, lambda c: c.propose_solution(remedies=["service_improvement"], summary="x",
                                            at=c.updated_at + H, by=SPECIALIST),
            InvalidInputError)
    done = c.propose_solution(remedies=["compensation", "apology"], summary="refund",
                              at=c.updated_at + H, by=SPECIALIST)
    assert [r.remedy for r in done.remedies] == ["compensation", "apology"]


def test_k06_a_copy_without_remedies_over_an_sla_policy_without_a_remedy_table_offers_none(
        ) -> None:
    """K-06: ``model_copy`` rebuilds what a policy offers from the copy's own tables: a policy
    whose SLA policy has no public commitments and no remedy table, copied with
    ``remedies=None``, offers no remedy (an empty tuple), and a solution proposing any is
    refused as ``InvalidInputError``, not a crash."""
    quiet = _sla(public_commitments=(), remedy_table=None)
    own = _policy(sla=quiet, remedies=("apology",))
    assert own.offered_remedies == ("apology",)
    copy = own.model_copy(update={"remedies": None})
    assert copy.offered_remedies == ()
    c = received(policy=copy).acknowledge(at=T0 + H, by=AGENT).analyse(
        nature="billing", severity=3, scope="group", urgency="medium", at=T0 + 2 * H,
        by=SPECIALIST)
    refused(c, lambda c: c.propose_solution(remedies=["apology"], summary="x",
                                            at=c.updated_at + H, by=SPECIALIST),
            InvalidInputError)
    with pytest.raises(PolicyError, match="remedies"):  # validated, the same is refused
        _policy(sla=quiet, remedies=None)


# -- the smallest numbers and names a policy may give ---------------------------------------------


def test_k03_a_scale_may_reach_0_to_100_and_no_further() -> None:
    """K-03: a band's ends lie on 0..100 (``MAX_SEVERITY``): a 0-100 scale is a policy, a
    band reaching 101 or starting below 0 is a ``PolicyError``."""
    assert MAX_SEVERITY == 100
    policy = _policy(severity_bands=(SeverityBand(name="low", low=0, high=49),
                                     SeverityBand(name="high", low=50, high=100)),
                     escalate_band="high")
    assert policy.severities == (0, 100)
    assert (policy.band(0), policy.band(49), policy.band(50), policy.band(100)) == (
        "low", "low", "high", "high")
    for low, high in ((0, 101), (-1, 3), (101, 101)):
        with pytest.raises(PolicyError):
            SeverityBand(name="x", low=low, high=high)


def test_one_letter_names_are_names() -> None:
    """A band and a policy need a name, and one letter is one; an empty name is refused."""
    assert SeverityBand(name="a", low=1, high=6).name == "a"
    assert _policy(name="k", severity_bands=(SeverityBand(name="a", low=1, high=6),),
                   escalate_band="a").name == "k"
    with pytest.raises(PolicyError):
        SeverityBand(name="", low=1, high=6)
    with pytest.raises(PolicyError):
        _policy(name="")


def test_k03_a_policy_may_escalate_severe_complaints_to_level_1() -> None:
    """K-03 / S-11: ``escalate_to`` is at least 1: a policy escalating severe complaints to
    level 1 (the first line's lead) is accepted and followed; 0 is refused."""
    policy = _policy(escalate_to=1)
    c = analysed(policy=policy, severity=5)
    assert (c.severity_band, c.escalation_level) == ("severe", 1)
    with pytest.raises(PolicyError):
        _policy(escalate_to=0)


def test_m05_one_unreachable_try_may_be_the_policys_limit() -> None:
    """M-05: ``unreachable_attempts`` is at least 1: with 1, the first try that cannot reach
    the customer makes them unreachable (the complaint may close); 0 is refused."""
    policy = _policy(unreachable_attempts=1)
    c = analysed(policy=policy).propose_solution(
        remedies=["apology"], summary="x", at=T0 + 3 * H, by=SPECIALIST).handle(
        actions="refunded", at=T0 + 4 * H, by=SPECIALIST)
    tried = c.record_return_visit(outcome="unreachable", at=T0 + 5 * H, by=AGENT)
    assert (tried.unreachable, tried.unreachable_attempts) == (True, 1)
    assert tried.close(at=T0 + 6 * H, by=SPECIALIST).closed_unreachable is True
    with pytest.raises(PolicyError):
        _policy(unreachable_attempts=0)


def test_k02_assessed_refuses_a_key_that_is_not_the_seven_facts() -> None:
    """``assessed`` takes the analysis's seven facts as a tuple: anything else is a typed
    error naming the type, not a bare ``ValueError`` or ``TypeError``."""
    policy = _policy(priority_table=_priority_table())
    key = (5, "group", "high", "billing", "severe", "phone", None)
    for bad_key in (key[:6], (*key, "extra"), list(key), None):
        with pytest.raises(InvalidInputError, match="assessed: key must be a tuple"):
            policy.assessed(bad_key)  # type: ignore[arg-type]
    assert policy.assessed(key) == ("P1", True, "K-02:host-severe")
