"""Metric benchmarks (issue 13): CSAT, NPS and FCR with their intervals over 10,000,000 survey
answers of 1,000 agents × 12 months, generated from a seed.

servicekit's ``survey_by`` (CSAT's top-2-box share with its Wilson interval and the mean
score, NPS with its Wald margin and interval, FCR with its Wilson interval, per agent and
month) runs on a polars frame, timed against, in the same run:

* **the floor**: a hand-written polars aggregation computing only the three point values (and
  the mean score), written lazily as an expert does; target: servicekit at most
  ``TARGET_VS_FLOOR`` times it;
* **pandas, as an expert writes it**: the answers' flags as columns, then
  ``groupby().agg()`` of their means (point values only); target: servicekit faster;
* a wall time under ``TARGET_SECONDS`` seconds.

Information: ``csat_by`` + ``nps_by`` + ``fcr_by`` as three calls; the same ``survey_by`` on
Dask (8 partitions) and on PySpark (``local[2]``), collected, on the same data, each against
the same point values written by hand for that engine.

Before timing, servicekit's values are checked against the floor's on every group, and a
sample of groups against the scalar ``csat``/``nps``/``fcr`` of their answers.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from _harness import (
    Row,
    cost_row,
    interleaved_per_call,
    on_other_backend_each,
    per_call,
    require,
    speedup_row,
    time_row,
)
from bench_tickets import _Info

NAME = "metrics"
SEED = 20261213
ROWS = int(os.environ.get("BENCH_SURVEY_ROWS", "10000000"))
AGENTS = 1000
MONTHS = 12
TARGET_VS_FLOOR = 1.5
TARGET_SECONDS = 2.0
REPEAT = 5
BY = ["agent", "month"]


def _log(message: str) -> None:
    print(f"[{NAME}] {message}", flush=True)


def survey() -> Any:
    """The seeded answers: agent ids 0 … 999, months 1 … 12, CSAT 1–5 (1 % unanswered),
    NPS 0–10 (skewed to promoters), FCR yes for 80 %."""
    import polars as pl

    rng = np.random.default_rng(SEED)
    csat = rng.choice(np.arange(1, 6), ROWS, p=[0.05, 0.07, 0.13, 0.35, 0.40]).astype(float)
    csat[rng.random(ROWS) < 0.01] = np.nan
    return pl.DataFrame({
        "agent": rng.integers(0, AGENTS, ROWS),
        "month": rng.integers(1, MONTHS + 1, ROWS).astype(np.int8),
        "csat": csat,
        "nps": rng.choice(np.arange(11), ROWS,
                          p=[.02, .02, .02, .03, .03, .05, .08, .1, .15, .2, .3]).astype(np.int8),
        "fcr": rng.random(ROWS) < 0.8,
    }).with_columns(pl.col("csat").fill_nan(None))


def servicekit_survey(frame: Any) -> Any:
    from servicekit.metrics import survey_by

    return survey_by(frame, by=BY, csat="csat", nps="nps", fcr="fcr")


def servicekit_three(frame: Any) -> Any:
    from servicekit.metrics import csat_by, fcr_by, nps_by

    return (csat_by(frame, "csat", by=BY), nps_by(frame, "nps", by=BY),
            fcr_by(frame, "fcr", by=BY))


def polars_floor(frame: Any) -> Any:
    import polars as pl

    c = pl.col
    return (frame.lazy().group_by(BY).agg(
        (c("csat") >= 4).mean().alias("csat"), c("csat").mean().alias("mean"),
        ((c("nps") >= 9).mean() - (c("nps") <= 6).mean()).alias("nps"),
        c("fcr").mean().alias("fcr")).collect())


def pandas_expert(pdf: Any) -> Any:
    answered = pdf["csat"].notna()
    flags = pdf.assign(satisfied=(pdf["csat"] >= 4).where(answered),
                       promoter=pdf["nps"] >= 9, detractor=pdf["nps"] <= 6)
    g = flags.groupby(BY).agg(csat=("satisfied", "mean"), mean=("csat", "mean"),
                              promoters=("promoter", "mean"),
                              detractors=("detractor", "mean"), fcr=("fcr", "mean"))
    g["nps"] = (g["promoters"] - g["detractors"]) * 100
    return g


def _check(ours: Any, floor: Any, frame: Any) -> None:
    import polars as pl

    from servicekit.metrics import csat, fcr, nps

    joined = ours.join(floor, on=BY)
    require(joined.height == ours.height == floor.height == AGENTS * MONTHS,
            f"groups: servicekit {ours.height:,}, floor {floor.height:,}")
    for mine, theirs, scale in (("csat_value", "csat", 1), ("csat_mean", "mean", 1),
                                ("nps_value", "nps", 100), ("fcr_value", "fcr", 1)):
        worst = (joined[mine] - joined[theirs] * scale).abs().max()
        require(worst is not None and float(worst) < 1e-9,  # type: ignore[arg-type]
                f"{mine} differs from the floor by {worst}")
    for agent, month in ((0, 1), (517, 6), (999, 12)):
        group = frame.filter((pl.col("agent") == agent) & (pl.col("month") == month))
        row = ours.filter((pl.col("agent") == agent) & (pl.col("month") == month)).row(
            0, named=True)
        c, n, f = (csat(group["csat"].to_list()), nps(group["nps"].to_list()),
                   fcr(group["fcr"].to_list()))
        require((row["csat_ci_low"], row["csat_ci_high"], row["nps_ci_low"], row["fcr_ci_high"])
                == (c.ci_low, c.ci_high, n.ci_low, f.ci_high),
                f"group {agent}/{month}: the frame's intervals differ from the scalar path's")


def run() -> list[Row]:
    import pandas as pd  # noqa: F401  (the expert's frame)

    start = time.perf_counter()
    frame = survey()
    _log(f"{frame.height:,} answers of {AGENTS:,} agents x {MONTHS} months "
         f"({frame.estimated_size() / 1e6:,.0f} MB), made in {time.perf_counter() - start:.1f} s")
    ours = servicekit_survey(frame)
    _check(ours, polars_floor(frame), frame)
    _log(f"checked: {ours.height:,} groups, values equal to the floor's, intervals to the "
         "scalar path's")
    pdf = frame.to_pandas()
    sk, fl, three = interleaved_per_call(
        [lambda: servicekit_survey(frame), lambda: polars_floor(frame),
         lambda: servicekit_three(frame)], 1, repeat=REPEAT, stat="best")
    pa_ = per_call(lambda: pandas_expert(pdf), 1, repeat=2, stat="best")
    _log(f"servicekit survey_by {sk:.3f} s; polars floor {fl:.3f} s (x{sk / fl:.2f}); "
         f"three calls {three:.3f} s; pandas {pa_:.3f} s")
    rows = [
        cost_row("metrics: survey_by CSAT+NPS+FCR with intervals vs polars floor", sk, fl,
                 "hand-written polars", TARGET_VS_FLOOR),
        speedup_row("metrics: vs pandas groupby().agg()", sk, pa_, "pandas expert", 1.0),
        time_row("metrics: 10M answers, 12,000 groups, wall time", sk, TARGET_SECONDS),
        Row(f"metrics: csat_by+nps_by+fcr_by, three calls ({three:.2f} s)", three, sk,
            "survey_by", three / sk, _Info("max_ratio", 0.0)),
    ]
    for label, kind, floor in (("Dask (8 partitions)", "dask", dask_floor),
                               ("PySpark local[2]", "pyspark", spark_floor)):
        try:
            seconds, theirs = on_other_backend_each(kind, pdf, [servicekit_survey, floor])
        except Exception as exc:
            _log(f"{label}: not measured ({type(exc).__name__})")
            continue
        _log(f"{label}: {seconds:.1f} s; hand-written point values {theirs:.1f} s")
        rows.append(Row(f"metrics on {label} ({seconds:.1f} s) vs hand-written", seconds,
                        theirs, f"{label} point values", seconds / theirs,
                        _Info("max_ratio", 0.0)))
    return rows


def dask_floor(ddf: Any) -> Any:
    """The pandas expert's aggregation on Dask (point values only)."""
    answered = ~ddf["csat"].isna()
    flags = ddf.assign(satisfied=(ddf["csat"] >= 4).astype(float).where(answered),
                       promoter=ddf["nps"] >= 9, detractor=ddf["nps"] <= 6)
    return flags.groupby(BY).agg({"satisfied": "mean", "csat": "mean", "promoter": "mean",
                                  "detractor": "mean", "fcr": "mean"})


def spark_floor(sdf: Any) -> Any:
    """A hand-written PySpark aggregation of the point values (what the floor computes)."""
    from pyspark.sql import functions as F

    c = F.col
    return sdf.groupBy(*BY).agg(
        F.avg((c("csat") >= 4).cast("int")).alias("csat"), F.avg("csat").alias("mean"),
        (F.avg((c("nps") >= 9).cast("int")) - F.avg((c("nps") <= 6).cast("int"))).alias("nps"),
        F.avg(c("fcr").cast("int")).alias("fcr"))
