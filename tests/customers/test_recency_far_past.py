"""R-01 recency far in the past: records and frames agree to the microsecond (the records path
once took whole days from a float of seconds, which past 2**34 s, about 544 years, no longer
holds every microsecond and rounded a purchase one microsecond short of N days up to N)."""

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from servicekit.customers import rfm_table

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize("days", [198_842, 300_000, 700_000])
def test_records_and_frames_agree_on_recency_far_in_the_past(days: int) -> None:
    last = AS_OF - timedelta(days=days) + timedelta(microseconds=1)
    data = [{"customer_id": "a", "ts": last, "amount": 1.0}]
    exact = (AS_OF - last) // timedelta(days=1)
    assert exact == days - 1
    frame = rfm_table(pl.DataFrame(data), as_of=AS_OF, window=None)["recency_days"].to_list()
    assert frame == [exact]
    assert rfm_table(data, as_of=AS_OF, window=None)[0].recency_days == exact
