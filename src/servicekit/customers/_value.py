"""Customer value over time (issue 12): R-09's lifetime value and R-05's reactivation list.

**R-09** (H3 §2.2): ``CLV = sum over t = 1 … T of R_t (1 - δ)^t / (1 + i)^t``, with ``R_t`` the
profit of year ``t``, ``δ`` the yearly churn rate and ``i`` the discount rate. Year 1 is the
first year ahead (discounted once), as the handbook writes it.

**R-05** (H4 §1.3.2): a D-tier customer with no interaction for three consecutive calendar
months is due a reactivation plan: their last interaction is on or before ``as_of`` moved back
three calendar months (the day clamped to the month's length: 31 May goes back to 28 or 29
February).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from servicekit._frames import as_frame, field_of, records_of
from servicekit.calendar import require_aware
from servicekit.errors import InvalidInputError

__all__ = ["clv", "clv_factor", "months_before", "reactivation_due"]


def _rate(name: str, value: object, *, below_one: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value) or value < 0 or (below_one and value >= 1):
        bound = "from 0 to below 1" if below_one else "0 or more"
        raise InvalidInputError(f"clv: {name} must be a number {bound} "
                                f"(got {type(value).__name__})")
    return float(value)


def clv_factor(*, churn: float, discount: float, years: int) -> float:
    """``sum over t = 1 … years of (1 - churn)^t / (1 + discount)^t``: the lifetime value of
    one unit of yearly profit (R-09)."""
    d = _rate("churn", churn, below_one=True)
    i = _rate("discount", discount, below_one=False)
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 1000:
        raise InvalidInputError(f"clv: years must be an integer from 1 to 1000 "
                                f"(got {type(years).__name__})")
    keep = (1 - d) / (1 + i)
    return math.fsum(keep**t for t in range(1, years + 1))


def clv(profit: Any, *, churn: float, discount: float, years: int = 5,
        column: str = "annual_profit") -> Any:
    """R-09's customer lifetime value.

    ``profit`` is a number (the same profit every year), a sequence of yearly profits
    (``R_1 … R_T``; ``years`` is then its length), or a frame of any backend with a
    ``column`` of yearly profits, which gets a ``clv`` column (computed on its engine).
    """
    if isinstance(profit, (int, float)) and not isinstance(profit, bool):
        if not math.isfinite(profit):
            raise InvalidInputError("clv: profit must be a finite number")
        return float(profit) * clv_factor(churn=churn, discount=discount, years=years)
    if isinstance(profit, Sequence) and not isinstance(profit, (str, bytes)):
        if not profit or not all(isinstance(p, (int, float)) and not isinstance(p, bool)
                                 and math.isfinite(p) for p in profit):
            raise InvalidInputError("clv: yearly profits must be a non-empty list of numbers")
        d = _rate("churn", churn, below_one=True)
        i = _rate("discount", discount, below_one=False)
        keep = (1 - d) / (1 + i)
        return math.fsum(p * keep**t for t, p in enumerate(profit, start=1))
    frame = as_frame(profit, "clv")
    if frame is None:
        raise InvalidInputError(f"clv: profit must be a number, a list of yearly profits or a "
                                f"frame (got {type(profit).__name__})")
    import narwhals as nw

    schema = frame.collect_schema()
    if column not in schema or not schema[column].is_numeric():
        raise InvalidInputError(f"clv: the frame needs a numeric column {column!r}")
    factor = clv_factor(churn=churn, discount=discount, years=years)
    return frame.with_columns((nw.col(column).cast(nw.Float64) * factor).alias("clv")
                              ).to_native()


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` moved back ``months`` calendar months on its own wall clock, the day clamped
    to the month's length (a time that does not exist there resolves as zoneinfo resolves it)."""
    month0 = moment.month - 1 - months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def reactivation_due(customers: Any, *, as_of: datetime, tier: str = "D", months: int = 3,
                     column: str = "last_interaction_at") -> Any:
    """R-05: the customers of ``tier`` whose last interaction (``column``, an aware timestamp)
    is on or before ``as_of`` moved back ``months`` calendar months (three by default), or who
    never had one (a null). ``customers`` is :func:`assign_tiers`' result with that column
    added, a frame of any backend or records (mappings or objects); a frame comes back
    filtered, records as the list of those due."""
    moment = require_aware(as_of, "reactivation_due: as_of")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise InvalidInputError("reactivation_due: months must be a positive integer")
    cutoff = months_before(moment, months)
    frame = as_frame(customers, "reactivation_due")
    if frame is None:
        due = []
        for i, c in enumerate(records_of(customers, "reactivation_due")):
            if field_of(c, "tier") != tier:
                continue
            last = field_of(c, column)
            if last is not None and require_aware(last, f"reactivation_due: row {i}: "
                                                  f"{column}") > cutoff:
                continue
            due.append(c)
        return due
    import narwhals as nw

    schema = frame.collect_schema()
    problems = [f"no column {c!r}" for c in ("tier", column) if c not in schema]
    if problems:
        raise InvalidInputError("reactivation_due: " + "; ".join(problems))
    dtype = schema[column]
    if not isinstance(dtype, nw.Datetime) or dtype.time_zone is None:
        raise InvalidInputError(f"reactivation_due: column {column!r} must hold aware "
                                f"timestamps (got {dtype})")
    local = cutoff.astimezone(ZoneInfo(dtype.time_zone))
    last = nw.col(column)
    return frame.filter((nw.col("tier") == tier) & (last.is_null() | (last <= nw.lit(local)))
                        ).to_native()
