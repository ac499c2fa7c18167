"""R-09's lifetime value and R-05's reactivation list (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frame_rows import rows
from servicekit.customers import clv, clv_factor, months_before, reactivation_due
from servicekit.errors import InvalidInputError, NaiveDatetimeError

AS_OF = datetime(2026, 11, 1, 12, tzinfo=UTC)
US = timedelta(microseconds=1)


def test_r09_clv_is_the_handbooks_discounted_sum() -> None:
    """CLV = sum_t R_t (1 - churn)^t / (1 + i)^t, t = 1 … T: 1,000 a year, churn 20 %,
    discount 10 %, three years."""
    exact = sum(Fraction(1000) * Fraction(8, 11) ** t for t in range(1, 4))
    assert clv(1000, churn=0.2, discount=0.1, years=3) == pytest.approx(float(exact), rel=1e-15)
    yearly = [1000, 1200, 900]
    exact_yearly = sum(Fraction(p) * Fraction(8, 11) ** t for t, p in enumerate(yearly, 1))
    assert clv(yearly, churn=0.2, discount=0.1) == pytest.approx(float(exact_yearly),
                                                                rel=1e-15)
    assert clv(1000, churn=0.0, discount=0.0, years=5) == 5000.0  # nothing lost, no discount


@given(churn=st.floats(0, 0.99), discount=st.floats(0, 1), years=st.integers(1, 40))
def test_r09_clv_grows_with_the_years_and_falls_with_churn_and_discount(
        churn: float, discount: float, years: int) -> None:
    f = clv_factor(churn=churn, discount=discount, years=years)
    assert clv_factor(churn=churn, discount=discount, years=years + 1) >= f
    assert clv_factor(churn=min(churn + 0.005, 0.999), discount=discount, years=years) <= f
    assert clv_factor(churn=churn, discount=discount + 0.01, years=years) <= f
    assert 0 <= f <= years


def test_r09_clv_column_on_every_backend(constructor: Any) -> None:
    if constructor.backend == "records":  # records are yearly profits, numbers only
        with pytest.raises(InvalidInputError, match="list of numbers"):
            clv(constructor({"annual_profit": [1.0]}), churn=0.1, discount=0.1)
        return
    data = constructor({"customer_id": ["a", "b"], "annual_profit": [1000.0, 0.0]})
    got = {r["customer_id"]: r["clv"] for r in rows(clv(data, churn=0.2, discount=0.1,
                                                        years=3))}
    assert got == pytest.approx({"a": clv(1000, churn=0.2, discount=0.1, years=3), "b": 0.0})


def test_clv_refuses_bad_rates() -> None:
    for kw in ({"churn": 1.0}, {"churn": -0.1}, {"discount": -0.01}, {"churn": True},
               {"discount": float("nan")}, {"years": 0}, {"years": 2.0}):
        args = {"churn": 0.1, "discount": 0.1, "years": 3} | kw
        with pytest.raises(InvalidInputError):
            clv(100, **args)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        clv([], churn=0.1, discount=0.1)
    with pytest.raises(InvalidInputError):
        clv(float("inf"), churn=0.1, discount=0.1)


@pytest.mark.parametrize(("moment", "expected"), [
    (datetime(2026, 5, 31, 9, tzinfo=UTC), datetime(2026, 2, 28, 9, tzinfo=UTC)),
    (datetime(2024, 5, 31, tzinfo=UTC), datetime(2024, 2, 29, tzinfo=UTC)),
    (datetime(2026, 1, 15, tzinfo=UTC), datetime(2025, 10, 15, tzinfo=UTC)),
    (datetime(2026, 11, 1, 12, tzinfo=UTC), datetime(2026, 8, 1, 12, tzinfo=UTC)),
])
def test_three_calendar_months_back(moment: datetime, expected: datetime) -> None:
    assert months_before(moment, 3) == expected


def test_months_back_on_the_wall_clock_of_the_zone() -> None:
    shanghai = datetime(2026, 11, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # 31 Oct UTC
    assert months_before(shanghai, 3) == datetime(2026, 8, 1, 0, 30,
                                                  tzinfo=ZoneInfo("Asia/Shanghai"))


def test_r05_d_tier_customers_three_months_without_contact(constructor: Any) -> None:
    cutoff = datetime(2026, 8, 1, 12, tzinfo=UTC)
    data = {"customer_id": ["at-cutoff", "just-after", "never", "b-tier", "long-ago"],
            "tier": ["D", "D", "D", "B", "D"],
            "last_interaction_at": [cutoff, cutoff + US, None, cutoff - timedelta(days=90),
                                    cutoff - timedelta(days=400)]}
    if constructor.backend == "pyarrow":  # a null in a timestamp column needs its type
        import pyarrow as pa

        native: Any = pa.table({k: v for k, v in data.items() if k != "last_interaction_at"})
        native = native.append_column("last_interaction_at", pa.array(
            data["last_interaction_at"], type=pa.timestamp("us", tz="UTC")))
    else:
        native = constructor(data)
    due = reactivation_due(native, as_of=AS_OF)
    got = sorted(r["customer_id"] if isinstance(r, dict) else r.customer_id
                 for r in (due if isinstance(due, list) else rows(due)))
    assert got == ["at-cutoff", "long-ago", "never"]


def test_reactivation_due_is_checked() -> None:
    with pytest.raises(NaiveDatetimeError):
        reactivation_due([], as_of=datetime(2026, 11, 1))
    with pytest.raises(InvalidInputError, match="months"):
        reactivation_due([], as_of=AS_OF, months=0)
