"""``method="r-rfm"`` against the R ``rfm`` package on its own data set (issue 12).

``rfm_data_orders`` (4,906 orders of 995 customers, shipped with rfm 0.3.0; see
``data/README.md``), scored as the package's README does: ``rfm_table_order(rfm_data_orders,
customer_id, order_date, revenue, analysis_date = as.Date("2006-12-31"))``, then
``rfm_segment`` with its ten segments. The README prints five customers' rows; the package's
tests check that the transaction counts sum to 4,906. Run once per backend.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from frame_rows import rows
from servicekit.customers import rfm_scores, rfm_segments, rfm_table

DATA = Path(__file__).parent / "data" / "rfm_data_orders.rda"
ANALYSIS_DATE = datetime(2006, 12, 31, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: the rows rfm's README prints: recency_days, transaction_count, amount, rfm_score, segment
README = {
    "Abbey O'Reilly": (205, 6, 472.0, "343", "Potential Loyalist"),
    "Add Senger": (140, 3, 340.0, "412", "New Customers"),
    "Aden Lesch": (194, 4, 405.0, "323", "Loyal Customers"),
    "Aden Murphy": (98, 7, 596.0, "544", "Potential Loyalist"),
    "Admiral Senger": (132, 5, 448.0, "433", "Potential Loyalist"),
}


@cache
def orders() -> dict[str, list[Any]]:
    import rdata

    with warnings.catch_warnings():  # rdata has no constructor for R's Date: days since 1970
        warnings.simplefilter("ignore", UserWarning)
        frame = rdata.conversion.convert(rdata.parser.parse_file(DATA))["rfm_data_orders"]
    return {"customer_id": [str(c) for c in frame["customer_id"]],
            "ts": [EPOCH + timedelta(days=float(d)) for d in frame["order_date"]],
            "amount": [float(v) for v in frame["revenue"]]}


def test_the_r_packages_scores_and_segments_on_its_own_data(constructor: Any) -> None:
    table = rfm_table(constructor(orders()), as_of=ANALYSIS_DATE, window=None)
    segmented = rows(rfm_segments(rfm_scores(table, bins=5, method="r-rfm")))
    assert len(segmented) == 995
    assert sum(r["frequency"] for r in segmented) == 4906  # rfm's test-rfm-table.R
    got = {r["customer_id"]: (r["recency_days"], r["frequency"], r["monetary"], r["rfm_code"],
                              r["segment"]) for r in segmented if r["customer_id"] in README}
    assert got == README
