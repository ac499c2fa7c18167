"""The edges of tier ladders, tier moves, CLV and reactivation (issue 12; R-05, R-06, R-09;
survivors of the mutation run).

What the tests did not reach: R-06's share of resources at its bound, a tier the ladder does
not have, a move between two tiers it does not rank, tables without the columns a move needs;
R-09's rates and years at their bounds and its default horizon, profits that are neither a
number, a list nor a frame; calendar months back by more than a year, R-05 after one month,
and a frame without an aware interaction column.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frame_rows import rows
from servicekit.customers import (
    Entitlements,
    clv,
    clv_factor,
    months_before,
    reactivation_due,
    tier_changes,
)
from servicekit.errors import InvalidInputError, ServiceKitError
from servicekit.presets import handbook

LADDER = handbook.tier_ladder()
AS_OF = datetime(2026, 11, 1, 12, tzinfo=UTC)
US = timedelta(microseconds=1)


# -- tiers --------------------------------------------------------------------------------------


def test_r06_a_resource_share_is_at_most_the_whole() -> None:
    assert Entitlements(resource_share=1.0).resource_share == 1.0
    assert Entitlements(resource_share=0.0).resource_share == 0.0
    for share in (1.01, 2.0, -0.1):
        with pytest.raises(ServiceKitError, match="resource_share"):
            Entitlements(resource_share=share)


def test_a_tier_the_ladder_does_not_have_is_refused() -> None:
    assert LADDER.tier("C").rule == "R-02"
    with pytest.raises(InvalidInputError, match="no such tier"):
        LADDER.tier("Z")


def test_a_move_between_two_tiers_the_ladder_does_not_rank_is_no_upgrade(
        constructor: Any) -> None:
    """Both rank after every tier of the ladder, alike: only a move to a better-ranked tier
    is an upgrade."""
    before = constructor({"customer_id": ["a", "b"], "tier": ["X", "Y"]})
    after = constructor({"customer_id": ["a", "b"], "tier": ["Y", "A"]})
    got = [(r["customer_id"], r["change"]) for r in rows(tier_changes(before, after,
                                                                      ladder=LADDER))]
    assert got == [("a", "downgrade"), ("b", "upgrade")]


def test_tables_without_the_columns_of_a_move_are_refused() -> None:
    import polars as pl

    good = pl.DataFrame({"customer_id": ["a"], "tier": ["A"]})
    for bad in (good.drop("tier"), good.rename({"customer_id": "member"})):
        with pytest.raises(InvalidInputError, match="need columns 'customer_id' and 'tier'"):
            tier_changes(good, bad, ladder=LADDER)
    assert rows(tier_changes(good.rename({"customer_id": "member"}),
                             good.rename({"customer_id": "member"}).with_columns(
                                 pl.lit("B").alias("tier")),
                             ladder=LADDER, customer="member")) == [
        {"member": "a", "tier_before": "A", "tier_after": "B", "change": "downgrade"}]


# -- CLV ----------------------------------------------------------------------------------


def test_r09_rates_are_refused_with_their_bounds() -> None:
    with pytest.raises(InvalidInputError, match="churn must be a number from 0 to below 1"):
        clv(100, churn=1.0, discount=0.1)
    with pytest.raises(InvalidInputError, match="discount must be a number 0 or more"):
        clv(100, churn=0.1, discount=-0.1)


def test_r09_yearly_profits_take_the_same_rates() -> None:
    """Churn below 1, discount 0 or more (a 150 % rate is a rate), for a list of yearly profits
    as for one profit."""
    assert clv([100, 100], churn=0.0, discount=1.5) == pytest.approx(100 / 2.5 + 100 / 2.5**2)
    assert clv([100, 100], churn=0.0, discount=1.5) == pytest.approx(
        clv(100, churn=0.0, discount=1.5, years=2), rel=1e-15)
    for churn in (1.0, 1.5):
        with pytest.raises(InvalidInputError, match="churn"):
            clv([100, 100], churn=churn, discount=0.1)
    with pytest.raises(InvalidInputError, match="discount"):
        clv([100, 100], churn=0.1, discount=-0.5)


def test_r09_five_years_by_default_and_at_most_a_thousand() -> None:
    assert clv(1000, churn=0.0, discount=0.0) == 5000.0
    assert clv_factor(churn=0.0, discount=0.0, years=1000) == 1000.0
    assert clv_factor(churn=0.0, discount=0.0, years=1) == 1.0
    with pytest.raises(InvalidInputError, match="years must be an integer from 1 to 1000"):
        clv_factor(churn=0.0, discount=0.0, years=1001)


def test_r09_profits_that_are_neither_a_number_a_list_nor_a_frame_are_refused() -> None:
    for profit in ({100, 200}, (p for p in (100, 200)), range(0)):
        with pytest.raises(InvalidInputError, match="profit"):
            clv(profit, churn=0.1, discount=0.1)


def test_r09_a_frame_needs_a_numeric_profit_column() -> None:
    import polars as pl

    with pytest.raises(InvalidInputError, match="numeric column 'annual_profit'"):
        clv(pl.DataFrame({"profit": [1.0]}), churn=0.1, discount=0.1)
    with pytest.raises(InvalidInputError, match="numeric column 'annual_profit'"):
        clv(pl.DataFrame({"annual_profit": ["secret"]}), churn=0.1, discount=0.1)
    out = clv(pl.DataFrame({"profit": [1000.0]}), churn=0.2, discount=0.1, column="profit")
    assert out["clv"].to_list() == pytest.approx([clv(1000, churn=0.2, discount=0.1)])


# -- calendar months back, reactivation ---------------------------------------------------


@given(moment=st.datetimes(min_value=datetime(100, 1, 1), max_value=datetime(9999, 12, 31),
                           timezones=st.just(UTC)), years=st.integers(1, 99))
def test_whole_years_back_are_the_same_day_of_an_earlier_year(moment: datetime,
                                                             years: int) -> None:
    """12 k calendar months back: the same wall-clock time k years earlier (29 February
    clamped to the 28th in a common year)."""
    back = months_before(moment, 12 * years)
    assert back.year == moment.year - years
    assert (back.month, back.time(), back.tzinfo) == (moment.month, moment.time(), UTC)
    assert back.day == moment.day or (moment.month, moment.day, back.day) == (2, 29, 28)


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (datetime(2026, 1, 31, tzinfo=UTC), 13, datetime(2024, 12, 31, tzinfo=UTC)),
    (datetime(2026, 3, 15, tzinfo=UTC), 15, datetime(2024, 12, 15, tzinfo=UTC)),
    (datetime(2026, 3, 31, tzinfo=UTC), 25, datetime(2024, 2, 29, tzinfo=UTC)),
    (datetime(2026, 12, 1, tzinfo=UTC), 11, datetime(2026, 1, 1, tzinfo=UTC)),
    (datetime(2026, 12, 1, tzinfo=UTC), 12, datetime(2025, 12, 1, tzinfo=UTC)),
])
def test_months_back_across_years(moment: datetime, months: int, expected: datetime) -> None:
    assert months_before(moment, months) == expected


def test_r05_after_one_month_when_the_rule_says_one() -> None:
    cutoff = datetime(2026, 10, 1, 12, tzinfo=UTC)
    customers = [{"customer_id": "at", "tier": "D", "last_interaction_at": cutoff},
                 {"customer_id": "after", "tier": "D", "last_interaction_at": cutoff + US}]
    due = reactivation_due(customers, as_of=AS_OF, months=1)
    assert [c["customer_id"] for c in due] == ["at"]


def test_r05_a_frame_needs_the_tier_and_an_aware_interaction_column() -> None:
    import polars as pl

    aware = pl.DataFrame({"customer_id": ["a"], "tier": ["D"],
                          "last_interaction_at": [datetime(2026, 1, 1, tzinfo=UTC)]})
    assert rows(reactivation_due(aware, as_of=AS_OF))[0]["customer_id"] == "a"
    with pytest.raises(InvalidInputError, match="no column 'tier'"):
        reactivation_due(aware.drop("tier"), as_of=AS_OF)
    with pytest.raises(InvalidInputError, match="no column 'last_interaction_at'"):
        reactivation_due(aware.drop("last_interaction_at"), as_of=AS_OF)
    naive = aware.with_columns(pl.col("last_interaction_at").dt.replace_time_zone(None))
    text = aware.with_columns(pl.lit("secret").alias("last_interaction_at"))
    for bad in (naive, text):
        with pytest.raises(InvalidInputError, match="must hold aware timestamps") as caught:
            reactivation_due(bad, as_of=AS_OF)
        assert "secret" not in str(caught.value)
