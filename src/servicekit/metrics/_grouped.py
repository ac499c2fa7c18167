"""The engine under the metrics per group (``_by``): one group-by on the frame's own engine.

A metric is a :class:`Part`: what to count per group (boolean expressions), which statistics
of values to take (sum, mean, standard deviation), the closed-form columns computed from
those, and what numpy adds after collecting (beta bounds, the bootstrap, t quantiles).
:func:`run` checks the frame, aggregates every part of a call in one group-by (an eager
polars frame runs as one fused lazy query), derives ``n`` and ``invalid`` from the group's
rows where that saves an aggregation, and returns the native frame of the input's kind.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from servicekit._frames import as_frame
from servicekit.errors import InvalidInputError
from servicekit.metrics._scales import Scale

__all__ = ["Arrays", "Flags", "Keys", "Part", "col", "float_col", "keys_of", "nonzero", "run",
           "safe", "sqrt"]

Keys = str | Sequence[str] | None
Arrays = dict[str, np.ndarray[Any, Any]]


@dataclass
class Part:
    """One metric of a grouped table: what to count (boolean expressions) and sum per group,
    the closed-form columns computed from those, the columns numpy adds after collecting
    (beta bounds, bootstrap), and the output columns in order. Names carry ``prefix``."""

    prefix: str
    column: str
    flags: Flags
    counts: dict[str, Any]
    #: name -> (expression, "sum" | "mean" | "std"): per-group statistics of values
    stats: dict[str, tuple[Any, str]] = field(default_factory=dict)
    #: columns computed first (the counts as floats, n never 0), which ``columns`` refer to
    #: by name: an engine without common-subexpression elimination (Spark) then compiles a
    #: small projection instead of every formula's copies of the same subexpressions
    inputs: list[Any] = field(default_factory=list)
    columns: list[Any] = field(default_factory=list)
    post: Callable[[Arrays], dict[str, list[Any]]] | None = None
    order: tuple[str, ...] = ()


def keys_of(by: Keys, command: str) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by or [])
    if not all(isinstance(k, str) and k for k in keys) or len(set(keys)) != len(keys):
        raise InvalidInputError(f"{command}: by must be column names (distinct, non-empty)")
    return keys


def frame_of(data: object, command: str, values: list[str], keys: list[str]) -> Any:
    frame = as_frame(data, command)
    if frame is None:
        raise InvalidInputError(f"{command}: expected a data frame (for one set of answers "
                                "call the scalar function)")
    schema = frame.collect_schema()
    absent = [name for name in (*keys, *values) if name not in schema]
    if absent:
        raise InvalidInputError(f"{command}: " + "; ".join(f"no column {n!r}" for n in absent)
                                + f" (the columns are {', '.join(map(repr, schema))})")
    if set(values) & set(keys):
        raise InvalidInputError(f"{command}: a value column cannot be a group column")
    return frame


def col(name: str) -> Any:
    import narwhals as nw

    return nw.col(name)


def float_col(name: str) -> Any:
    import narwhals as nw

    return nw.col(name).cast(nw.Float64)


def literal(bound: float) -> float | int:
    return int(bound) if float(bound).is_integer() else bound


class Flags:
    """Boolean expressions over one answer column, cheap on every engine: comparisons on the
    column as it is (no cast), null where the answer is null (a sum skips it)."""

    def __init__(self, schema: Any, command: str, name: str, scale: Scale | None, *,
                 numbers: bool = False) -> None:
        import narwhals as nw

        dtype = schema[name]
        boolean = dtype == nw.Boolean
        self.column = nw.col(name)
        self.float = dtype.is_float()
        if numbers:  # any number (a mean's values): only null and NaN are missing
            if boolean or not dtype.is_numeric():
                raise InvalidInputError(f"{command}: column {name!r} must be numeric "
                                        f"(got {dtype})")
            self.low, self.high, self.whole = -math.inf, math.inf, False
        elif scale is None:  # a yes/no answer: a boolean, or 0/1
            if not boolean and not dtype.is_numeric():
                raise InvalidInputError(f"{command}: column {name!r} must hold booleans "
                                        f"(got {dtype})")
            self.low, self.high, self.whole = 0.0, 1.0, True
        else:
            if (not dtype.is_numeric() or boolean) and not (boolean and scale.name == "binary"):
                raise InvalidInputError(f"{command}: column {name!r} must be numeric "
                                        f"(got {dtype})")
            self.low, self.high, self.whole = scale.low, scale.high, scale.whole
        self.boolean = boolean
        # a boolean column compares as 0/1 (a missing answer is never counted as a value, and a
        # nullable boolean with a null in it will not cast on Dask)
        self.value = self.column.fill_null(False).cast(nw.Int8) if boolean else self.column

    def between(self, low: float, high: float) -> Any:
        """The answer is on the scale and between ``low`` and ``high`` (inclusive)."""
        low, high = max(low, self.low), min(high, self.high)
        if self.boolean:  # 0 or 1: a fractional bound is the whole number inside it
            low, high = math.ceil(low), math.floor(high)
            return self.column if low == high == 1 else (
                ~self.column if low == high == 0 else ~self.column.is_null())
        if self.whole and self.float and high - low <= 100:
            # one membership test instead of two comparisons and a whole-number check
            values = range(math.ceil(low), math.floor(high) + 1)
            # pyarrow's membership test tells −0.0 from 0.0; adding 0.0 makes it 0.0
            column = self.column + 0.0 if 0 in values else self.column
            return column.is_in([float(v) for v in values])
        # whole bounds as ints: an integer column compared with 1.0 is cast row by row
        inside = self.value.is_between(literal(low), literal(high), closed="both")
        if self.whole and self.float:
            inside = inside & (self.value.round(0) == self.value)
        return inside

    @property
    def valid(self) -> Any:
        return self.between(self.low, self.high)

    @property
    def missing(self) -> Any:
        """Null, or NaN in a float column (a flag per row)."""
        return self.column.is_null() | self.column.is_nan() if self.float else (
            self.column.is_null())

    def missing_count(self, spark: bool) -> Any:
        """The count of missing answers as one aggregation (nulls from the column's validity,
        NaNs counted only in a float column)."""
        import narwhals as nw

        if self.float:  # one flag for both (two aggregations cost more)
            flag = self.missing
            return (flag.cast(nw.Int64) if spark else flag).sum()
        return self.column.null_count()


def safe(n: Any, value: Any) -> Any:
    """``value`` where the group has answers, null otherwise."""
    import narwhals as nw

    return nw.when(n > 0).then(value)


def nonzero(n: Any) -> Any:
    """``n``, or 1 where it is 0 (that row's results are nulled by :func:`safe`)."""
    import narwhals as nw

    return nw.when(n > 0).then(n).otherwise(1.0)


def sqrt(expr: Any) -> Any:
    return expr.sqrt()


def finish(table: Any, kind: Any, session: Any, lazy: bool,
            posts: list[Callable[[Arrays], dict[str, list[Any]]]]) -> Any:
    """Collect the grouped table (one row per group), add numpy-computed columns, and hand it
    back in the input's backend (lazy for a lazy input)."""
    import narwhals as nw

    # a collected Dask frame keeps its partitions' index: reset it so new columns align by row
    eager = table if isinstance(table, nw.DataFrame) else nw.maybe_reset_index(table.collect())
    arrays = {name: eager[name].to_numpy() for name in eager.columns}
    backend = eager.implementation
    for post in posts:
        for name, values in post(arrays).items():
            eager = eager.with_columns(nw.new_series(name, values, nw.Float64, backend=backend))
    if not lazy:
        return eager
    if kind is nw.Implementation.PYSPARK:
        return eager.lazy(backend=kind, session=session)
    return eager.lazy(backend=kind)


def statistic(expr: Any, how: str) -> Any:
    return expr.std(ddof=1) if how == "std" else getattr(expr, how)()


def elementary() -> frozenset[Any]:
    import narwhals as nw

    i = nw.Implementation
    return frozenset({i.PANDAS, i.MODIN, i.CUDF, i.PYARROW, i.DASK})


def run(data: object, command: str, keys: list[str], values: list[str],
         build: Callable[[Any], list[Part]]) -> Any:
    """Check the frame, aggregate every part in one group-by, add the columns, and return
    the native frame of the input's kind."""
    import narwhals as nw

    frame = frame_of(data, command, values, keys)
    parts = build(frame.collect_schema())
    lazy = isinstance(frame, nw.LazyFrame)
    kind = frame.implementation
    session = frame.to_native().sparkSession if kind is nw.Implementation.PYSPARK else None
    work = frame if lazy else frame.lazy()  # eager polars: one fused query
    spark = kind is nw.Implementation.PYSPARK
    if not spark:  # Spark's grouped counts are collected: checked there, a job less
        probe = work.select(nw.len().alias("rows")).collect()
        if probe["rows"].to_list()[0] == 0:
            raise InvalidInputError(f"{command}: no rows")
    counts = {name: flag for part in parts for name, flag in part.counts.items()}
    stats = {name: stat for part in parts for name, stat in part.stats.items()}
    rows = nw.len().alias("__rows")
    missing = [f"{part.prefix}missing" for part in parts]
    if kind in elementary():
        counts |= {f"{part.prefix}missing": part.flags.missing for part in parts}
        # pandas, pyarrow and Dask group only by plain aggregations: the flags become
        # columns first, then each is summed
        flagged = work.select(*keys, *(flag.fill_null(False).alias(name)
                                       for name, flag in counts.items()),
                              *(value.alias(name) for name, (value, _) in stats.items()))
        aggregations = [rows, *(nw.col(name).sum() for name in counts),
                        *(statistic(nw.col(name), how).alias(name)
                          for name, (_, how) in stats.items())]
    else:  # polars, DuckDB, Spark: one aggregation per flag, fused into the group-by
        flagged = work
        # polars and DuckDB sum booleans as they are (a cast costs polars half its time);
        # Spark's sum takes numbers only
        aggregations = [rows, *((flag.cast(nw.Int64) if spark else flag).sum().alias(name)
                                for name, flag in counts.items()),
                        *(part.flags.missing_count(spark).alias(f"{part.prefix}missing")
                          for part in parts),
                        *(statistic(value, how).alias(name)
                          for name, (value, how) in stats.items())]
    grouped = (flagged.group_by(keys).agg(*aggregations).sort(keys) if keys
               else flagged.select(*aggregations))
    # a sum over nulls only is null on SQL engines; DuckDB sums integers into HUGEINT
    table = grouped.with_columns(*(nw.col(name).fill_null(0).cast(nw.Int64)
                                   for name in dict.fromkeys([*counts, *missing])))
    derived = [(nw.col("__rows") - nw.col(f"{part.prefix}missing")).cast(nw.Int64)
               .alias(f"{part.prefix}n") for part in parts if f"{part.prefix}n" not in counts]
    if derived:
        table = table.with_columns(*derived)
    # what is neither counted nor missing is off the scale
    table = table.with_columns(*(
        (nw.col("__rows") - nw.col(f"{part.prefix}n") - nw.col(f"{part.prefix}missing"))
        .cast(nw.Int64).alias(f"{part.prefix}invalid") for part in parts))
    if spark:
        # Spark's code generator cannot compile the formulas: narwhals guards every division
        # against zero with a CASE that repeats its operands, which grows a Wilson bound past
        # Java's 64 KB method limit, and Spark re-inlines staged columns (its analysis of the
        # plan alone took longer than the aggregation). The formulas run on the grouped counts
        # instead, one row per group, collected; the same expressions, on an eager frame.
        table = table.collect()
        if table["__rows"].sum() == 0:  # no groups, or the one row of no group columns
            raise InvalidInputError(f"{command}: no rows")
    for stage in ([c for part in parts for c in part.inputs],
                  [c for part in parts for c in part.columns]):
        if stage:
            table = table.with_columns(*stage)
    order = [*keys, *(c for part in parts for c in part.order)]
    posts = [part.post for part in parts if part.post is not None]
    if posts or spark:  # the interval columns of these parts come from numpy, after collecting
        pending = {f"{part.prefix}{c}" for part in parts if part.post is not None
                   for c in ("ci_low", "ci_high")}
        ready = table.select(*(c for c in order if c not in pending))
        return finish(ready, kind, session, lazy, posts).select(*order).to_native()
    table = table.select(*order)
    return (table if lazy else table.collect(backend=kind)).to_native()


