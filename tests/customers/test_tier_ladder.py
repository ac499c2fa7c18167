"""Tier ladders (issue 12; R-02, R-03, R-04, R-06, R-07): the handbook's ladder, first match
wins in the order A, D, C, B, each decision naming its rule and explaining itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicekit.customers import CustomerScores, Tier, TierLadder
from servicekit.errors import InvalidInputError, ServiceKitError
from servicekit.presets import handbook

LADDER = handbook.tier_ladder()
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def tier(**facts: Any) -> tuple[str, str]:
    d = LADDER.classify(facts)
    return d.tier, d.rule


def test_r02_c_tier_exactly_at_its_bounds() -> None:
    """R-02: R >= 30 days and F <= 3 and M < 1,000 (each bound tested on both sides)."""
    assert tier(recency_days=30, frequency=3, monetary=999.99) == ("C", "R-02")
    assert tier(recency_days=29, frequency=3, monetary=999.99) == ("B", "R-07")
    assert tier(recency_days=30, frequency=4, monetary=999.99) == ("B", "R-07")
    assert tier(recency_days=30, frequency=3, monetary=1000) == ("B", "R-07")


def test_r03_a_tier_above_50000_strictly_or_the_top_box() -> None:
    assert tier(recency_days=1, frequency=9, monetary=50_000.01) == ("A", "R-03")
    assert tier(recency_days=1, frequency=9, monetary=50_000) == ("B", "R-07")
    assert tier(recency_days=1, frequency=9, monetary=10, r_score=5, f_score=5,
                m_score=5) == ("A", "R-03")
    assert tier(recency_days=1, frequency=9, monetary=10, r_score=5, f_score=5,
                m_score=4) == ("B", "R-07")


def test_r07_d_tier_after_180_days_and_the_ladders_order() -> None:
    """D at 180 days or more; A is checked first (a lapsed big spender stays A), D before C
    (a lapsed small customer is D, not C)."""
    assert tier(recency_days=180, frequency=5, monetary=5000) == ("D", "R-07")
    assert tier(recency_days=179, frequency=5, monetary=5000) == ("B", "R-07")
    assert tier(recency_days=400, frequency=1, monetary=60_000) == ("A", "R-03")
    assert tier(recency_days=200, frequency=1, monetary=10) == ("D", "R-07")


@given(recency=st.integers(0, 1000), frequency=st.integers(1, 50),
       monetary=st.floats(-1000, 100_000, allow_nan=False))
def test_every_customer_gets_exactly_the_first_tier_whose_condition_holds(
        recency: int, frequency: int, monetary: float) -> None:
    facts = {"recency_days": recency, "frequency": frequency, "monetary": monetary}
    expected = ("A" if monetary > 50_000 else "D" if recency >= 180
                else "C" if recency >= 30 and frequency <= 3 and monetary < 1000 else "B")
    assert LADDER.classify(facts).tier == expected


def test_entitlements_and_labels_r04_r06() -> None:
    a, b, c, d = (LADDER.tier(n) for n in "ABCD")
    assert a.entitlements.dedicated_owner is True
    assert [t.entitlements.resource_share for t in (a, b, c)] == [0.3, 0.5, 0.2]
    assert (a.label_zh, b.label_zh, c.label_zh) == ("优先级", "核心级", "潜力级")
    assert d.entitlements.dedicated_owner is False


def test_a_decision_explains_itself_and_takes_a_scored_row() -> None:
    row = CustomerScores(customer_id="C-1", recency_days=40, frequency=2, monetary=300.0,
                         first_purchase_at=AS_OF - timedelta(days=90),
                         last_purchase_at=AS_OF - timedelta(days=40), r_score=2, f_score=1,
                         m_score=1, rfm_code="211")
    decision = LADDER.classify(row)
    assert (decision.tier, decision.rule, decision.label) == ("C", "R-02", "Low value")
    assert "rule R-02" in decision.explanation
    assert "recency_days = 40 -> true" in decision.explanation
    assert LADDER.classify(row, recency_days=200).tier == "D"  # facts added or overridden


def test_a_ladder_is_checked() -> None:
    with pytest.raises(ServiceKitError, match="last tier"):
        TierLadder(name="x", tiers=(Tier(name="A"), Tier(name="B", when="frequency > 1")))
    with pytest.raises(ServiceKitError, match="needs a condition"):
        TierLadder(name="x", tiers=(Tier(name="A"), Tier(name="B")))
    with pytest.raises(ServiceKitError, match="unique"):
        TierLadder(name="x", tiers=(Tier(name="A", when="frequency > 1"), Tier(name="A")))
    with pytest.raises(InvalidInputError, match="classify"):
        LADDER.classify(42)


def test_the_ladder_lives_in_the_policy_document() -> None:
    """Every threshold is policy: the handbook document carries the ladder, and a ladder read
    back from JSON (or edited there) decides as the one written."""
    from servicekit.policy import Policy

    document = handbook.policy()
    assert document.tiers["handbook"] == LADDER
    again = Policy.from_json(document.to_json())
    assert again.tiers["handbook"] == LADDER
    facts = {"recency_days": 30, "frequency": 3, "monetary": 999.99}
    assert again.tiers["handbook"].classify(facts) == LADDER.classify(facts)
    import json

    data = json.loads(document.to_json())
    c_tier = data["tiers"]["handbook"]["tiers"][2]
    assert c_tier["when"]["all"][2] == {"field": "monetary", "op": "<", "value": 1000}
    c_tier["when"]["all"][2]["value"] = 500  # R-02's M threshold, edited in the document
    assert Policy.from_json(json.dumps(data)).tiers["handbook"].classify(facts).tier == "B"
