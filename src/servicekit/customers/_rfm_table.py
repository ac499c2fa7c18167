"""R-01: recency, frequency and monetary value per customer, from their transactions.

One definition, two paths: a frame is aggregated on its own engine through narwhals (a lazy
frame stays lazy), an iterable of records in Python. Both follow the same rules:

* the window is ``(as_of - window, as_of]``: a transaction at ``as_of`` counts, one after it
  does not (``window=None``: everything up to ``as_of``);
* a **purchase** is a transaction with an amount of zero or more; a **refund** (a negative
  amount) counts in ``monetary`` but not in ``frequency``, and is not a purchase for recency;
* ``frequency`` is the purchases in the window, ``monetary`` the sum of every amount in it;
* ``recency_days`` is the whole days of 24 hours from the last purchase in the window to
  ``as_of`` (rounded down: a purchase 23 hours before ``as_of`` is 0 days ago);
* a customer with no purchase in the window (refunds only, or nothing) is not in the table.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import Field

from servicekit._frames import (
    as_frame,
    check_columns,
    epoch_us,
    field_of,
    records_of,
)
from servicekit._model import ValueModel
from servicekit.calendar import require_aware
from servicekit.errors import InvalidInputError, NaiveDatetimeError

__all__ = ["RFM_COLUMNS", "CustomerRfm", "rfm_table"]

#: the columns of an RFM table, in order (the first is named after the customer column)
RFM_COLUMNS = ("customer_id", "recency_days", "frequency", "monetary", "first_purchase_at",
               "last_purchase_at")
_DAY_SECONDS = 86_400
_ONE_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
#: zone names of UTC itself (DuckDB's columns are in the connection's, Etc/UTC, and cannot be
#: converted to another name)
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu",
                        "GMT", "Etc/GMT", "+00:00", "Z"})


class CustomerRfm(ValueModel):
    """One customer's row of the RFM table (R-01): what :func:`rfm_table` returns per
    customer for an iterable of records."""

    customer_id: str | int
    recency_days: int = Field(ge=0, description="whole days from the last purchase to as_of")
    frequency: int = Field(ge=1, description="purchases in the window (refunds not counted)")
    monetary: float = Field(description="the sum of the amounts in the window, refunds included")
    first_purchase_at: datetime
    last_purchase_at: datetime


class _Spec(NamedTuple):
    """The columns to read and the window to read them in."""

    customer: str
    at: str
    amount: str
    as_of: datetime
    window: timedelta | None


def _check_window(as_of: object, window: object) -> tuple[datetime, timedelta | None]:
    moment = require_aware(as_of, "rfm_table: as_of")
    if window is not None and (not isinstance(window, timedelta) or window <= timedelta(0)):
        raise InvalidInputError("rfm_table: window must be a positive timedelta or None "
                                f"(got {type(window).__name__})")
    return moment, window


def _check_names(**names: object) -> None:
    for arg, value in names.items():
        if not isinstance(value, str) or not value:
            raise InvalidInputError(f"rfm_table: {arg} must be a column name "
                                    f"(got {type(value).__name__})")


def rfm_table(transactions: Any, *, customer: str = "customer_id", at: str = "ts",
              amount: str = "amount", as_of: datetime,
              window: timedelta | None = timedelta(days=365),
              check_rows: bool = True) -> Any:
    """R-01: one row per customer with ``recency_days``, ``frequency``, ``monetary``,
    ``first_purchase_at`` and ``last_purchase_at`` (see the module's rules).

    ``transactions`` is a frame of any backend narwhals supports (the result is a frame of
    the same kind; a lazy one stays lazy) or an iterable of records (mappings or objects;
    the result is a list of :class:`CustomerRfm`, ordered by customer). A frame's rows come in
    no particular order. The customer column keeps its name.

    Bad input is an :class:`~servicekit.errors.InvalidInputError` naming the column: a
    missing column, amounts that are not numbers, timestamps without a time zone
    (:class:`~servicekit.errors.NaiveDatetimeError`), null customer ids, amounts or
    timestamps, no transactions at all. On a frame the null and empty checks read the rows
    once (for a lazy frame, one small query at the call); ``check_rows=False`` skips them
    (rows with nulls then fall out of the aggregates as the engine drops them).
    """
    _check_names(customer=customer, at=at, amount=amount)
    moment, span = _check_window(as_of, window)
    spec = _Spec(customer, at, amount, moment, span)
    frame = as_frame(transactions, "rfm_table")
    if frame is None:
        return _records_table(records_of(transactions, "rfm_table"), spec)
    return _frame_table(frame, spec, check_rows=check_rows)


def _frame_table(frame: Any, spec: _Spec, *, check_rows: bool) -> Any:
    import narwhals as nw

    customer, at, amount, as_of, window = spec
    check_columns("rfm_table", frame, ids=customer, instants=at, numbers=(amount,))
    if check_rows:
        _check_frame_rows(frame, customer, at, amount)
    zone = frame.collect_schema()[at].time_zone
    # an eager polars frame runs the steps as one optimised lazy query (one pass, no copies
    # between steps); other eager backends run step by step, as narwhals hands them
    fused = isinstance(frame, nw.DataFrame) and frame.implementation.is_polars()
    if fused:
        frame = frame.lazy()
    try:
        local = as_of.astimezone(ZoneInfo(zone))
    except (ValueError, KeyError):  # a zone name zoneinfo does not know: compare in UTC
        frame = frame.with_columns(nw.col(at).dt.convert_time_zone("UTC"))
        local = as_of.astimezone(ZoneInfo("UTC"))
    when = nw.col(at)
    inside = when <= nw.lit(local)
    if window is not None:
        inside = inside & (when > nw.lit(local - window))
    bought = nw.col(amount) >= 0
    rows = frame.filter(inside).with_columns(
        nw.when(bought).then(when).alias("__purchase_at"),
        bought.cast(nw.Int64).alias("__purchase"))
    table = rows.group_by(customer).agg(
        nw.col("__purchase").sum().alias("frequency"),
        nw.col(amount).sum().alias("monetary"),
        nw.col("__purchase_at").min().alias("first_purchase_at"),
        nw.col("__purchase_at").max().alias("last_purchase_at"),
    ).filter(nw.col("frequency") > 0)
    as_of_us = (as_of - _EPOCH) // _ONE_US
    last = nw.col("last_purchase_at")
    last_us = epoch_us(last if local.utcoffset() == timedelta(0) and zone in _UTC_NAMES
                       else last.dt.convert_time_zone("UTC"))
    days = (nw.lit(as_of_us) - last_us) // (_DAY_SECONDS * 1_000_000)
    table = table.select(
        nw.col(customer),
        days.cast(nw.Int64).alias("recency_days"),
        nw.col("frequency").cast(nw.Int64),
        nw.col("monetary").cast(nw.Float64),
        nw.col("first_purchase_at"),
        nw.col("last_purchase_at"),
    )
    return (table.collect() if fused else table).to_native()


def _check_frame_rows(frame: Any, customer: str, at: str, amount: str) -> None:
    import narwhals as nw

    counts = frame.select(
        nw.len().alias("rows"),
        *(nw.col(c).null_count().alias(c) for c in dict.fromkeys((customer, at, amount))))
    if isinstance(counts, nw.LazyFrame):
        counts = counts.collect()
    found = counts.row(0)
    if int(found[0]) == 0:
        raise InvalidInputError("rfm_table: no transactions (the frame has no rows)")
    nulls = [f"{int(n)} null values in column {c!r}" for c, n in zip(
        list(dict.fromkeys((customer, at, amount))), found[1:], strict=True) if n]
    if nulls:
        raise InvalidInputError("rfm_table: " + "; ".join(nulls))


def _records_table(records: list[object], spec: _Spec) -> list[CustomerRfm]:
    customer, at, amount, as_of, window = spec
    if not records:
        raise InvalidInputError("rfm_table: no transactions (the iterable is empty)")
    low = None if window is None else as_of - window
    found: dict[str | int, list[Any]] = {}  # id -> [frequency, monetary, first, last]
    problems: list[str] = []
    naive = 0
    for i, record in enumerate(records):
        who, when = field_of(record, customer), field_of(record, at)
        value = field_of(record, amount)
        if who is None or not isinstance(who, (str, int)) or isinstance(who, bool):
            problems.append(f"row {i}: {customer!r} must be a string or an integer id "
                            f"(got {type(who).__name__})")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
                value):
            problems.append(f"row {i}: {amount!r} must be a finite number "
                            f"(got {type(value).__name__})")
            continue
        try:
            moment = require_aware(when, f"row {i}: {at!r}")
        except NaiveDatetimeError:
            problems.append(f"row {i}: {at!r} is a naive datetime (no time zone)")
            naive += 1
            continue
        except InvalidInputError:
            problems.append(f"row {i}: {at!r} must be a timezone-aware datetime "
                            f"(got {type(when).__name__})")
            continue
        if moment > as_of or (low is not None and moment <= low):
            continue
        entry = found.setdefault(who, [0, 0.0, None, None])
        entry[1] += value
        if value >= 0:
            entry[0] += 1
            if entry[2] is None or moment < entry[2]:
                entry[2] = moment
            if entry[3] is None or moment > entry[3]:
                entry[3] = moment
    if problems:
        shown = problems[:10]
        more = f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        error = NaiveDatetimeError if naive == len(problems) else InvalidInputError
        raise error("rfm_table: " + "; ".join(shown) + more)
    out = []
    for who in sorted(found, key=lambda k: (isinstance(k, str), k)):
        frequency, monetary, first, last = found[who]
        if frequency == 0:
            continue
        # whole days by exact integer arithmetic (a float of seconds loses microseconds
        # past 2**34 s, about 544 years, and would round up)
        out.append(CustomerRfm(customer_id=who, recency_days=(as_of - last) // _ONE_DAY,
                               frequency=frequency, monetary=float(monetary),
                               first_purchase_at=first, last_purchase_at=last))
    return out


