"""The metrics per group of a data frame: ``csat_by``, ``nps_by``, ``fcr_by``,
``proportion_by``, and ``survey_by`` for all three in one pass.

Any frame narwhals supports (pandas, polars, pyarrow, DuckDB, Dask, PySpark); the same kind of
frame comes back, one row per group, sorted by the group columns. The counts are aggregated
on the frame's own engine in one group-by (an eager polars frame runs as one fused lazy
query); the closed-form intervals (Wilson, Agresti–Coull, Wald for shares; Wald and adjusted
Wald for NPS) are the scalar path's formulas (``_intervals.closed_form``,
``_nps.nps_closed_form``) written as expressions, so a lazy frame stays lazy and every row
equals the scalar result of its group exactly. The Jeffreys and Clopper–Pearson bounds (beta
quantiles) and the NPS bootstrap are computed by numpy on the grouped counts (one row per
group, collected), and the table is handed back as a frame of the input's backend (lazy for a
lazy input).

A frame job reports bad rows, it does not die: a null (or NaN) score is counted in
``missing``, a score off the scale (or not a whole number on a point scale, or not a boolean
answer) in ``invalid``; neither is in ``n``. A missing column, a column of the wrong type, or
no rows at all raise :class:`~servicekit.errors.InvalidInputError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from servicekit._frames import as_frame
from servicekit.errors import InvalidInputError
from servicekit.metrics._intervals import (
    CLOSED_FORM,
    check_method,
    closed_form,
    intervals,
    z_value,
)
from servicekit.metrics._nps import NPS_METHODS, bootstrap_interval, nps_closed_form
from servicekit.metrics._scales import Scale, scale_of

__all__ = ["csat_by", "fcr_by", "nps_by", "proportion_by", "survey_by"]

Keys = str | Sequence[str] | None
Arrays = dict[str, np.ndarray[Any, Any]]
PROPORTION_COLUMNS = ("n", "successes", "missing", "invalid", "value", "ci_low", "ci_high")
CSAT_COLUMNS = ("n", "successes", "missing", "invalid", "value", "mean", "ci_low", "ci_high")
NPS_COLUMNS = ("n", "promoters", "passives", "detractors", "missing", "invalid", "value",
               "margin_of_error", "ci_low", "ci_high")


@dataclass
class _Part:
    """One metric of a grouped table: what to count (boolean expressions) and sum per group,
    the closed-form columns computed from those, the columns numpy adds after collecting
    (beta bounds, bootstrap), and the output columns in order. Names carry ``prefix``."""

    prefix: str
    column: str
    flags: _Flags
    counts: dict[str, Any]
    sums: dict[str, Any] = field(default_factory=dict)
    columns: list[Any] = field(default_factory=list)
    post: Callable[[Arrays], dict[str, list[Any]]] | None = None
    order: tuple[str, ...] = ()


def _keys(by: Keys, command: str) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by or [])
    if not all(isinstance(k, str) and k for k in keys) or len(set(keys)) != len(keys):
        raise InvalidInputError(f"{command}: by must be column names (distinct, non-empty)")
    return keys


def _frame(data: object, command: str, values: list[str], keys: list[str]) -> Any:
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


def _col(name: str) -> Any:
    import narwhals as nw

    return nw.col(name)


def _float(name: str) -> Any:
    import narwhals as nw

    return nw.col(name).cast(nw.Float64)


def _is_missing(column: Any, dtype: Any) -> Any:
    missing = column.is_null()
    return missing | column.is_nan() if dtype.is_float() else missing


def _literal(bound: float) -> float | int:
    return int(bound) if float(bound).is_integer() else bound


class _Flags:
    """Boolean expressions over one answer column, cheap on every engine: comparisons on the
    column as it is (no cast), null where the answer is null (a sum skips it)."""

    def __init__(self, schema: Any, command: str, name: str, scale: Scale | None) -> None:
        import narwhals as nw

        dtype = schema[name]
        boolean = dtype == nw.Boolean
        self.column = nw.col(name)
        self.float = dtype.is_float()
        if scale is None:  # a yes/no answer: a boolean, or 0/1
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
        # a boolean column compares as 0/1
        self.value = self.column.cast(nw.Int8) if boolean else self.column

    def between(self, low: float, high: float) -> Any:
        """The answer is on the scale and between ``low`` and ``high`` (inclusive)."""
        low, high = max(low, self.low), min(high, self.high)
        if self.boolean:
            return self.column if low == high == 1 else (
                ~self.column if low == high == 0 else ~self.column.is_null())
        if self.whole and self.float and high - low <= 100:
            # one membership test instead of two comparisons and a whole-number check
            values = range(math.ceil(low), math.floor(high) + 1)
            return self.column.is_in([float(v) for v in values])
        # whole bounds as ints: an integer column compared with 1.0 is cast row by row
        inside = self.value.is_between(_literal(low), _literal(high), closed="both")
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


def _safe(n: Any, value: Any) -> Any:
    """``value`` where the group has answers, null otherwise."""
    import narwhals as nw

    return nw.when(n > 0).then(value)


def _nonzero(n: Any) -> Any:
    """``n``, or 1 where it is 0 (that row's results are nulled by :func:`_safe`)."""
    import narwhals as nw

    return nw.when(n > 0).then(n).otherwise(1.0)


def _sqrt(expr: Any) -> Any:
    return expr.sqrt()


def _beta_post(prefix: str, method: str, z: float, confidence: float
               ) -> Callable[[Arrays], dict[str, list[Any]]]:
    def compute(arrays: Arrays) -> dict[str, list[Any]]:
        k = arrays[f"{prefix}successes"].astype(float)
        n = arrays[f"{prefix}n"].astype(float)
        some = n > 0
        low = np.full(n.shape, np.nan)
        high = np.full(n.shape, np.nan)
        if some.any():
            low[some], high[some] = intervals(method, k[some], n[some], z, confidence)
        return {f"{prefix}ci_low": [float(v) if s else None for s, v in zip(some, low,
                                                                             strict=True)],
                f"{prefix}ci_high": [float(v) if s else None for s, v in zip(some, high,
                                                                              strict=True)]}

    return compute


def _share_columns(part: _Part, method: str, z: float, confidence: float) -> None:
    """The value and interval columns of a share, closed-form or (beta) after collecting."""
    p = part.prefix
    n = _col(f"{p}n")
    k, n_f = _float(f"{p}successes"), _float(f"{p}n")
    part.columns.append(_safe(n, k / _nonzero(n_f)).alias(f"{p}value"))
    if method in CLOSED_FORM:
        low, high = closed_form(method, k, _nonzero(n_f), z, _sqrt)
        part.columns += [_safe(n, low.clip(0.0, 1.0)).alias(f"{p}ci_low"),
                         _safe(n, high.clip(0.0, 1.0)).alias(f"{p}ci_high")]
    else:
        part.post = _beta_post(p, method, z, confidence)


def _csat_part(schema: Any, command: str, column: str, prefix: str, *, scale: object,
               satisfied: float | None, method: str, confidence: float) -> _Part:
    z = z_value(confidence, command)
    method = check_method(method, command)
    chosen = scale_of(scale, command)
    threshold = chosen.satisfied if satisfied is None else satisfied
    if (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
            or not chosen.low <= threshold <= chosen.high):
        raise InvalidInputError(f"{command}: satisfied must be a score on {chosen.describe()}")
    flags = _Flags(schema, command, column, chosen)
    import narwhals as nw

    p = prefix
    part = _Part(prefix=p, column=column, flags=flags,
                 counts={f"{p}n": flags.valid,
                         f"{p}successes": flags.between(threshold, chosen.high)},
                 sums={f"{p}total": nw.when(flags.valid).then(flags.value.cast(nw.Float64))},
                 order=tuple(p + c for c in CSAT_COLUMNS))
    _share_columns(part, method, z, confidence)
    n = _col(f"{p}n")
    part.columns.append(_safe(n, _col(f"{p}total") / _nonzero(_float(f"{p}n")))
                        .alias(f"{p}mean"))
    return part


def _proportion_part(schema: Any, command: str, column: str, prefix: str, *, method: str,
                     confidence: float) -> _Part:
    z = z_value(confidence, command)
    method = check_method(method, command)
    flags = _Flags(schema, command, column, None)
    p = prefix
    # a boolean answer is valid whenever it is present: n is the rows less the missing ones
    counts = {f"{p}successes": flags.between(1, 1)}
    if not flags.boolean:
        counts = {f"{p}n": flags.valid, **counts}
    part = _Part(prefix=p, column=column, flags=flags, counts=counts,
                 order=tuple(p + c for c in PROPORTION_COLUMNS))
    _share_columns(part, method, z, confidence)
    return part


def _nps_part(schema: Any, command: str, column: str, prefix: str, *, method: str,
              confidence: float, resamples: int, seed: int) -> _Part:
    z = z_value(confidence, command)
    method = check_method(method, command, NPS_METHODS)
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 100:
        raise InvalidInputError(f"{command}: resamples must be a whole number ≥ 100")
    flags = _Flags(schema, command, column, scale_of("nps"))
    p = prefix
    part = _Part(prefix=p, column=column, flags=flags,
                 counts={f"{p}n": flags.valid, f"{p}promoters": flags.between(9, 10),
                         f"{p}detractors": flags.between(0, 6)},
                 order=tuple(p + c for c in NPS_COLUMNS))
    n = _col(f"{p}n")
    closed = "wald" if method == "bootstrap" else method
    value, margin, low, high = nps_closed_form(
        closed, _float(f"{p}promoters"), _float(f"{p}detractors"), _nonzero(_float(f"{p}n")),
        z, sqrt=_sqrt)
    part.columns += [(n - _col(f"{p}promoters") - _col(f"{p}detractors")).alias(f"{p}passives"),
                     _safe(n, value).alias(f"{p}value"),
                     _safe(n, margin).alias(f"{p}margin_of_error")]
    if method != "bootstrap":
        part.columns += [_safe(n, low.clip(-100.0, 100.0)).alias(f"{p}ci_low"),
                         _safe(n, high.clip(-100.0, 100.0)).alias(f"{p}ci_high")]
        return part

    def redraw(arrays: Arrays) -> dict[str, list[Any]]:
        lows: list[Any] = []
        highs: list[Any] = []
        for pr, pa, de in zip(arrays[f"{p}promoters"], arrays[f"{p}passives"],
                              arrays[f"{p}detractors"], strict=True):
            if pr + pa + de == 0:
                lows.append(None)
                highs.append(None)
                continue
            lo, hi = bootstrap_interval(int(pr), int(pa), int(de), confidence,
                                        resamples=resamples, seed=seed)
            lows.append(max(lo, -100.0))
            highs.append(min(hi, 100.0))
        return {f"{p}ci_low": lows, f"{p}ci_high": highs}

    part.post = redraw
    return part


def _finish(table: Any, kind: Any, session: Any, lazy: bool,
            posts: list[Callable[[Arrays], dict[str, list[Any]]]]) -> Any:
    """Collect the grouped table (one row per group), add numpy-computed columns, and hand it
    back in the input's backend (lazy for a lazy input)."""
    import narwhals as nw

    # a collected Dask frame keeps its partitions' index: reset it so new columns align by row
    eager = nw.maybe_reset_index(table.collect())
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


def _elementary() -> frozenset[Any]:
    import narwhals as nw

    i = nw.Implementation
    return frozenset({i.PANDAS, i.MODIN, i.CUDF, i.PYARROW, i.DASK})


def _run(data: object, command: str, keys: list[str], values: list[str],
         build: Callable[[Any], list[_Part]]) -> Any:
    """Check the frame, aggregate every part in one group-by, add the columns, and return
    the native frame of the input's kind."""
    import narwhals as nw

    frame = _frame(data, command, values, keys)
    parts = build(frame.collect_schema())
    lazy = isinstance(frame, nw.LazyFrame)
    kind = frame.implementation
    session = frame.to_native().sparkSession if kind is nw.Implementation.PYSPARK else None
    work = frame if lazy else frame.lazy()  # eager polars: one fused query
    probe = work.select(nw.len().alias("rows")).collect()
    if probe["rows"].to_list()[0] == 0:
        raise InvalidInputError(f"{command}: no rows")
    counts = {name: flag for part in parts for name, flag in part.counts.items()}
    sums = {name: value for part in parts for name, value in part.sums.items()}
    rows = nw.len().alias("__rows")
    missing = [f"{part.prefix}missing" for part in parts]
    spark = kind is nw.Implementation.PYSPARK
    if kind in _elementary():
        counts |= {f"{part.prefix}missing": part.flags.missing for part in parts}
        # pandas, pyarrow and Dask group only by plain aggregations: the flags become
        # columns first, then each is summed
        flagged = work.select(*keys, *(flag.fill_null(False).cast(nw.Int64).alias(name)
                                       for name, flag in counts.items()),
                              *(value.alias(name) for name, value in sums.items()))
        aggregations = [rows, *(nw.col(name).sum() for name in (*counts, *sums))]
    else:  # polars, DuckDB, Spark: one aggregation per flag, fused into the group-by
        flagged = work
        # polars and DuckDB sum booleans as they are (a cast costs polars half its time);
        # Spark's sum takes numbers only
        aggregations = [rows, *((flag.cast(nw.Int64) if spark else flag).sum().alias(name)
                                for name, flag in counts.items()),
                        *(part.flags.missing_count(spark).alias(f"{part.prefix}missing")
                          for part in parts),
                        *(value.sum().alias(name) for name, value in sums.items())]
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
    table = table.with_columns(*(c for part in parts for c in part.columns))
    order = [*keys, *(c for part in parts for c in part.order)]
    posts = [part.post for part in parts if part.post is not None]
    if posts:  # the interval columns of these parts come from numpy, after collecting
        pending = {f"{part.prefix}{c}" for part in parts if part.post is not None
                   for c in ("ci_low", "ci_high")}
        ready = table.select(*(c for c in order if c not in pending))
        return _finish(ready, kind, session, lazy, posts).select(*order).to_native()
    table = table.select(*order)
    return (table if lazy else table.collect(backend=kind)).to_native()


def csat_by(frame: object, score: str = "score", by: Keys = None, *, scale: object = 5,
            satisfied: float | None = None, method: str = "wilson",
            confidence: float = 0.95) -> Any:
    """M-01 CSAT per group: columns ``*by, n, successes, missing, invalid, value, mean,
    ci_low, ci_high`` (``value`` the satisfied share, ``mean`` the mean score)."""
    command = "csat_by"
    keys = _keys(by, command)
    return _run(frame, command, keys, [score], lambda schema: [_csat_part(
        schema, command, score, "", scale=scale, satisfied=satisfied, method=method,
        confidence=confidence)])


def proportion_by(frame: object, success: str, by: Keys = None, *, method: str = "wilson",
                  confidence: float = 0.95, command: str = "proportion_by") -> Any:
    """A share per group from a yes/no column (booleans, or 0/1): columns ``*by, n,
    successes, missing, invalid, value, ci_low, ci_high``; M-07's rates, M-11's share …"""
    keys = _keys(by, command)
    return _run(frame, command, keys, [success], lambda schema: [_proportion_part(
        schema, command, success, "", method=method, confidence=confidence)])


def fcr_by(frame: object, resolved: str = "fcr", by: Keys = None, *, method: str = "wilson",
           confidence: float = 0.95) -> Any:
    """M-02 FCR per group from a yes/no column (solved at the first contact)."""
    return proportion_by(frame, resolved, by, method=method, confidence=confidence,
                         command="fcr_by")


def nps_by(frame: object, score: str = "score", by: Keys = None, *, method: str = "wald",
           confidence: float = 0.95, resamples: int = 10_000, seed: int = 0) -> Any:
    """M-03 NPS per group on 0–10 answers: columns ``*by, n, promoters, passives,
    detractors, missing, invalid, value, margin_of_error, ci_low, ci_high``; the bootstrap
    redraws each group with the same seed as the scalar ``nps`` would."""
    command = "nps_by"
    keys = _keys(by, command)
    return _run(frame, command, keys, [score], lambda schema: [_nps_part(
        schema, command, score, "", method=method, confidence=confidence,
        resamples=resamples, seed=seed)])


def survey_by(frame: object, by: Keys = None, *, csat: str | None = None,
              nps: str | None = None, fcr: str | None = None, scale: object = 5,
              satisfied: float | None = None, method: str = "wilson",
              nps_method: str = "wald", confidence: float = 0.95, resamples: int = 10_000,
              seed: int = 0) -> Any:
    """CSAT, NPS and FCR per group in one pass over the frame: the columns of ``csat_by``,
    ``nps_by`` and ``fcr_by``, prefixed ``csat_``, ``nps_`` and ``fcr_`` (give at least one
    of the three column names)."""
    command = "survey_by"
    keys = _keys(by, command)
    if csat is None and nps is None and fcr is None:
        raise InvalidInputError(f"{command}: name at least one column (csat=, nps=, fcr=)")

    def build(schema: Any) -> list[_Part]:
        parts = []
        if csat is not None:
            parts.append(_csat_part(schema, command, csat, "csat_", scale=scale,
                                    satisfied=satisfied, method=method,
                                    confidence=confidence))
        if nps is not None:
            parts.append(_nps_part(schema, command, nps, "nps_", method=nps_method,
                                   confidence=confidence, resamples=resamples, seed=seed))
        if fcr is not None:
            parts.append(_proportion_part(schema, command, fcr, "fcr_", method=method,
                                          confidence=confidence))
        return parts

    values = [c for c in (csat, nps, fcr) if c is not None]
    if len(set(values)) != len(values):
        raise InvalidInputError(f"{command}: each metric needs its own column")
    return _run(frame, command, keys, values, build)
