"""Customers (R-01 … R-09): RFM tables from transactions, on any data frame or on records.

``rfm_table`` aggregates transactions per customer on the frame's own engine (pandas, polars,
pyarrow, DuckDB, Dask, PySpark, through narwhals) or, for an iterable of records, in Python.
``rfm_scores`` scores the table (quantile cut points, the R ``rfm`` package's, or fixed
ones: ``rfm_thresholds`` shows them). See ``docs/customers.md``.
"""

from servicekit.customers._rfm_table import RFM_COLUMNS, CustomerRfm, rfm_table
from servicekit.customers._scores import CustomerScores, rfm_scores, rfm_thresholds
from servicekit.customers._segments import (
    OTHERS,
    R_RFM_SEGMENTS,
    Segment,
    SegmentedCustomer,
    SegmentSummary,
    rfm_segments,
    segment_summary,
)
from servicekit.customers._thresholds import RfmThresholds
from servicekit.customers._tiers import (
    Entitlements,
    Tier,
    TierChange,
    TierDecision,
    TieredCustomer,
    TierLadder,
    assign_tiers,
    tier_changes,
)
from servicekit.customers._value import clv, clv_factor, months_before, reactivation_due

__all__ = [
    "OTHERS",
    "RFM_COLUMNS",
    "R_RFM_SEGMENTS",
    "CustomerRfm",
    "CustomerScores",
    "Entitlements",
    "RfmThresholds",
    "Segment",
    "SegmentSummary",
    "SegmentedCustomer",
    "Tier",
    "TierChange",
    "TierDecision",
    "TierLadder",
    "TieredCustomer",
    "assign_tiers",
    "clv",
    "clv_factor",
    "months_before",
    "reactivation_due",
    "rfm_scores",
    "rfm_segments",
    "rfm_table",
    "rfm_thresholds",
    "segment_summary",
    "tier_changes",
]
