"""Customer tiers from a year of transactions: the analyst's job on a polars frame (issue 12).

Builds 200,000 seeded transactions of 20,000 customers, then: the RFM table (R-01), quintile
scores, the R ``rfm`` package's segments with their summary, the handbook's tier ladder
(A R-03, D R-07, C R-02, B), who moved tier since the last quarter, the D-tier customers due a
reactivation plan (R-05), and the lifetime value of an A-tier customer (R-09).

Run: python examples/customer_tiers.py
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from servicekit.customers import (
    assign_tiers,
    clv,
    reactivation_due,
    rfm_scores,
    rfm_segments,
    rfm_table,
    rfm_thresholds,
    segment_summary,
    tier_changes,
)
from servicekit.presets import handbook

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


def transactions(n: int = 200_000, customers: int = 20_000, seed: int = 2026) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, 500 * 86_400, n)
    ts = np.datetime64("2026-11-01T00:00:00", "us") - seconds.astype("timedelta64[s]")
    amount = np.round(rng.lognormal(5.3, 1.0, n), 2)
    amount[rng.random(n) < 0.02] *= -1  # refunds
    return pl.DataFrame({"customer_id": rng.integers(0, customers, n), "ts": ts,
                         "amount": amount}).with_columns(
        pl.col("ts").dt.replace_time_zone("UTC"))


def main() -> dict[str, int]:
    tx = transactions()
    ladder = handbook.tier_ladder()
    table = rfm_table(tx, as_of=AS_OF)
    scored = rfm_scores(table, bins=5)
    print("cut points:", rfm_thresholds(table, bins=5).model_dump(exclude={"method", "bins"}))
    segments = rfm_segments(scored)
    print(segment_summary(segments).head(5))
    tiered = assign_tiers(segments, ladder=ladder)
    counts = dict(tiered["tier"].value_counts().sort("tier").rows())
    print("tiers:", counts)

    earlier = rfm_table(tx, as_of=AS_OF - timedelta(days=91))
    before = assign_tiers(rfm_scores(earlier, bins=5), ladder=ladder)
    moves = tier_changes(before, tiered, ladder=ladder)
    print("since the last quarter:", dict(moves["change"].value_counts().sort("change").rows()))

    # interactions are the host's data: here, the last purchase stands in for the last contact
    contacts = tiered.with_columns(pl.col("last_purchase_at").alias("last_interaction_at"))
    due = reactivation_due(contacts, as_of=AS_OF)
    print(f"reactivation plans due (R-05): {due.height:,}")
    print(f"lifetime value of 10,000 a year over 5 years (R-09): "
          f"{clv(10_000, churn=0.15, discount=0.08, years=5):,.0f}")
    return {**counts, "due": due.height, "moves": moves.height}


if __name__ == "__main__":
    main()
