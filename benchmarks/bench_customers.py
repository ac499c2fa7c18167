"""Customer benchmarks (issue 12): RFM table, scores and tiers over 10,000,000 transactions of
1,000,000 customers, generated from a seed.

servicekit's pipeline, ``rfm_table`` + ``rfm_scores`` (quintiles, ``method="quantile"``) +
``assign_tiers`` (the handbook ladder), runs on a polars frame, timed against, in the same run:

* **the floor**: a hand-written polars group-by computing only R, F and M and their quintiles
  (``qcut``); target (issue 12): servicekit at most ``TARGET_VS_FLOOR`` times it;
* **pandas, as an expert writes it**: ``groupby().agg()`` and ``pd.qcut`` on ranks; target:
  servicekit faster;
* **the same SQL on DuckDB**: ``GROUP BY`` and ``NTILE(5)``, plus the ladder as a ``CASE``;
  target: servicekit faster;
* a wall time under ``TARGET_SECONDS`` seconds;
* peak memory: the resident set's growth at its peak while the pipeline runs (Linux's
  high-water mark, reset first), at most ``TARGET_MEMORY`` times the input frame.

Information: the same servicekit call on Dask (8 partitions) and on PySpark (``local[2]``),
collected, on the same data. The published Python ``rfm`` package is not measured: it fails
on pandas 3 (see docs/customers.md).

Before timing, servicekit's table and scores are checked against the floor's R, F and M on
every customer (the same numbers), and every tier of the ladder must occur.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from _harness import (
    Row,
    Target,
    cost_row,
    interleaved_per_call,
    on_other_backend,
    per_call,
    require,
    speedup_row,
    time_row,
)
from bench_tickets import _Info

NAME = "customers"
SEED = 20261202
TRANSACTIONS = int(os.environ.get("BENCH_CUSTOMER_TRANSACTIONS", "10000000"))
CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "1000000"))
AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
TARGET_VS_FLOOR = 1.5
TARGET_SECONDS = 3.0
TARGET_MEMORY = 3.0  # peak memory of the pipeline at most 3 x the input frame
REPEAT = 3


def _log(message: str) -> None:
    print(f"[{NAME}] {message}", flush=True)


def transactions() -> Any:
    """The seeded transactions: customer ids 0 … CUSTOMERS - 1 (a few very active ones), times
    over two years before AS_OF, amounts log-normal around 200 with 2 % refunds, and 200
    customers buying 2,000 thirty times in the last weeks (above R-03's 50,000)."""
    import polars as pl

    rng = np.random.default_rng(SEED)
    ids = rng.integers(0, CUSTOMERS, TRANSACTIONS)
    seconds = rng.integers(0, 2 * 365 * 86_400, TRANSACTIONS)
    ts = (np.datetime64(AS_OF.replace(tzinfo=None), "us")
          - seconds.astype("timedelta64[s]").astype("timedelta64[us]"))
    amount = np.round(rng.lognormal(5.3, 1.0, TRANSACTIONS), 2)
    amount[rng.random(TRANSACTIONS) < 0.02] *= -1
    big = rng.integers(0, CUSTOMERS, 200)  # a few customers above R-03's 50,000 a year
    extra = pl.DataFrame({"customer_id": np.repeat(big, 30),
                          "ts": np.repeat(np.datetime64(AS_OF.replace(tzinfo=None), "us")
                                          - np.timedelta64(10, "D"), 6000),
                          "amount": np.full(6000, 2000.0)})
    frame = pl.DataFrame({"customer_id": ids, "ts": ts, "amount": amount})
    frame = pl.concat([frame.head(TRANSACTIONS - 6000), extra])
    return frame.with_columns(pl.col("ts").dt.replace_time_zone("UTC"))


def servicekit_pipeline(frame: Any) -> Any:
    from servicekit.customers import assign_tiers, rfm_scores, rfm_table
    from servicekit.presets import handbook

    table = rfm_table(frame, as_of=AS_OF)
    return assign_tiers(rfm_scores(table, bins=5), ladder=handbook.tier_ladder())


def polars_floor(frame: Any) -> Any:
    import polars as pl

    low = AS_OF - timedelta(days=365)
    t = (frame.filter((pl.col("ts") > low) & (pl.col("ts") <= AS_OF))
         .group_by("customer_id").agg(
             pl.col("ts").filter(pl.col("amount") >= 0).max().alias("last"),
             (pl.col("amount") >= 0).sum().alias("frequency"),
             pl.col("amount").sum().alias("monetary"))
         .filter(pl.col("frequency") > 0)
         .with_columns(((pl.lit(AS_OF) - pl.col("last")).dt.total_days()).alias("recency_days")))
    labels = ["1", "2", "3", "4", "5"]
    return t.with_columns(
        pl.col("recency_days").qcut(5, labels=labels[::-1], allow_duplicates=True)
        .alias("r"),
        pl.col("frequency").qcut(5, labels=labels, allow_duplicates=True).alias("f"),
        pl.col("monetary").qcut(5, labels=labels, allow_duplicates=True).alias("m"))


def pandas_expert(frame: Any) -> Any:
    import pandas as pd

    df = frame.to_pandas()  # converted once, outside the timing (see run)
    return _pandas_rfm(df, pd)


def _pandas_rfm(df: Any, pd: Any) -> Any:
    low = pd.Timestamp(AS_OF - timedelta(days=365))
    df = df[(df["ts"] > low) & (df["ts"] <= pd.Timestamp(AS_OF))]
    bought = df["amount"] >= 0
    g = df.assign(purchase=bought, last=df["ts"].where(bought)).groupby("customer_id").agg(
        last=("last", "max"), frequency=("purchase", "sum"), monetary=("amount", "sum"))
    g = g[g["frequency"] > 0]
    g["recency_days"] = (pd.Timestamp(AS_OF) - g["last"]).dt.days
    for col, name, asc in (("recency_days", "r", False), ("frequency", "f", True),
                           ("monetary", "m", True)):
        ranked = g[col].rank(method="first", ascending=asc)
        g[name] = pd.qcut(ranked, 5, labels=[1, 2, 3, 4, 5]).astype(int)
    return g


DUCKDB_SQL = """
WITH t AS (
  SELECT customer_id,
         max(CASE WHEN amount >= 0 THEN ts END) AS last,
         sum(CASE WHEN amount >= 0 THEN 1 ELSE 0 END) AS frequency,
         sum(amount) AS monetary
  FROM tx WHERE ts > $low AND ts <= $as_of
  GROUP BY customer_id HAVING sum(CASE WHEN amount >= 0 THEN 1 ELSE 0 END) > 0
), s AS (
  SELECT *, date_diff('day', last, $as_of) AS recency_days FROM t
), q AS (
  SELECT *, 6 - ntile(5) OVER (ORDER BY recency_days) AS r,
         ntile(5) OVER (ORDER BY frequency) AS f, ntile(5) OVER (ORDER BY monetary) AS m
  FROM s
)
SELECT *, CASE WHEN monetary > 50000 OR (r = 5 AND f = 5 AND m = 5) THEN 'A'
               WHEN recency_days >= 180 THEN 'D'
               WHEN recency_days >= 30 AND frequency <= 3 AND monetary < 1000 THEN 'C'
               ELSE 'B' END AS tier
FROM q
"""


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_memory(fn: Callable[[], object]) -> tuple[float, object]:
    """The bytes the process's resident set grew by at its peak while ``fn`` ran (Linux:
    the high-water mark is reset through /proc/self/clear_refs first)."""
    import gc

    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")
    before = _status_kb("VmRSS")
    result = fn()
    return (_status_kb("VmHWM") - before) * 1024.0, result


def run() -> list[Row]:
    import duckdb
    import pandas as pd
    import polars as pl

    start = time.perf_counter()
    frame = transactions()
    _log(f"{frame.height:,} transactions of {frame['customer_id'].n_unique():,} customers "
         f"({frame.estimated_size() / 1e6:,.0f} MB), made in {time.perf_counter() - start:.1f} s")

    ours = servicekit_pipeline(frame)
    floor = polars_floor(frame)
    joined = ours.join(floor.select("customer_id", pl.col("recency_days").alias("rd"),
                                    pl.col("frequency").alias("fq"),
                                    pl.col("monetary").alias("mn")), on="customer_id")
    require(joined.height == ours.height == floor.height,
            f"customers: servicekit {ours.height:,}, floor {floor.height:,}")
    require(bool((joined["recency_days"] == joined["rd"]).all()
                 and (joined["frequency"] == joined["fq"]).all()
                 and ((joined["monetary"] - joined["mn"]).abs() < 1e-6).all()),
            "servicekit's R, F, M differ from the hand-written polars group-by")
    tiers = sorted(ours["tier"].unique().to_list())
    require(tiers == ["A", "B", "C", "D"], f"tiers seen: {tiers}")
    _log(f"checked: {ours.height:,} customers, R/F/M equal to the floor's; tiers "
         + ", ".join(f"{t} {n:,}" for t, n in ours["tier"].value_counts().sort("tier").rows()))

    grew, _ = peak_memory(lambda: servicekit_pipeline(frame))
    size = frame.estimated_size()
    _log(f"peak memory: the resident set grew by {grew / 1e6:,.0f} MB at most while the "
         f"pipeline ran, {grew / size:.2f} x the {size / 1e6:,.0f} MB input frame")
    pdf = frame.to_pandas()
    con = duckdb.connect()
    con.register("tx", frame.to_arrow())
    params = {"low": AS_OF - timedelta(days=365), "as_of": AS_OF}
    # servicekit, the floor and DuckDB in turn each round (a slow phase of the VM hits all three)
    sk, fl, db = interleaved_per_call(
        [lambda: servicekit_pipeline(frame), lambda: polars_floor(frame),
         lambda: con.execute(DUCKDB_SQL, params).to_arrow_table()],
        1, repeat=REPEAT, stat="best")
    pa_ = per_call(lambda: _pandas_rfm(pdf, pd), 1, repeat=1, stat="best")
    _log(f"servicekit {sk:.2f} s; polars floor {fl:.2f} s (x{sk / fl:.2f}); pandas "
         f"{pa_:.2f} s; DuckDB SQL {db:.2f} s")

    rows = [
        cost_row("customers: rfm_table+scores+tiers vs polars floor", sk, fl,
                 "hand-written polars", TARGET_VS_FLOOR),
        speedup_row("customers: vs pandas groupby+qcut", sk, pa_, "pandas expert", 1.0),
        speedup_row("customers: vs DuckDB SQL (GROUP BY, NTILE)", sk, db, "DuckDB SQL", 1.0),
        time_row("customers: 10M transactions, wall time", sk, TARGET_SECONDS),
        Row(f"customers: peak memory, {grew / 1e6:,.0f} MB over a {size / 1e6:,.0f} MB input",
            sk, None, "input frame", grew / size, Target("max_ratio", TARGET_MEMORY)),
    ]
    info = _Info("max_ratio", 0.0)
    for label, kind in (("Dask (8 partitions)", "dask"), ("PySpark local[2]", "pyspark")):
        try:
            seconds = on_other_backend(kind, pdf, servicekit_pipeline)
        except Exception as exc:
            _log(f"{label}: not measured ({type(exc).__name__})")
            continue
        _log(f"{label}: {seconds:.1f} s")
        rows.append(Row(f"customers on {label} ({seconds:.1f} s)", seconds, sk,
                        "servicekit on polars", seconds / sk, info))
    return rows
