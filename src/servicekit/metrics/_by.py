"""The metrics per group of a data frame: ``csat_by``, ``nps_by``, ``fcr_by``,
``proportion_by``, and ``survey_by`` for all three in one pass.

Any frame narwhals supports (pandas, polars, pyarrow, DuckDB, Dask, PySpark); the same kind of
frame comes back, one row per group, sorted by the group columns. The counts are aggregated
on the frame's own engine in one group-by (an eager polars frame runs as one fused lazy
query); the closed-form intervals (Wilson, Agresti–Coull, Wald for shares; Wald and adjusted
Wald for NPS) are the scalar path's formulas (``_intervals.closed_form``,
``_nps.nps_closed_form``) written as expressions, so a lazy frame stays lazy and every row
equals the scalar result of its group exactly (on PySpark they run on the collected counts:
Spark cannot compile them, see ``_grouped.run``). The Jeffreys and Clopper–Pearson bounds (beta
quantiles) and the NPS bootstrap are computed by numpy on the grouped counts (one row per
group, collected), and the table is handed back as a frame of the input's backend (lazy for a
lazy input).

A frame job reports bad rows, it does not die: a null (or NaN) score is counted in
``missing``, a score off the scale (or not a whole number on a point scale, or not a boolean
answer) in ``invalid``; neither is in ``n``. A missing column, a column of the wrong type, or
no rows at all raise :class:`~servicekit.errors.InvalidInputError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from servicekit.errors import InvalidInputError
from servicekit.metrics._grouped import (
    Arrays,
    Flags,
    Keys,
    Part,
    col,
    float_col,
    keys_of,
    nonzero,
    run,
    safe,
    sqrt,
)
from servicekit.metrics._intervals import (
    CLOSED_FORM,
    check_method,
    closed_form,
    intervals,
    z_value,
)
from servicekit.metrics._mean import t_quantiles
from servicekit.metrics._nps import NPS_METHODS, bootstrap_interval, nps_closed_form
from servicekit.metrics._scales import scale_of
from servicekit.metrics._survey import check_seed

__all__ = ["csat_by", "fcr_by", "mean_by", "nps_by", "proportion_by", "survey_by"]

PROPORTION_COLUMNS = ("n", "successes", "missing", "invalid", "value", "ci_low", "ci_high")
CSAT_COLUMNS = ("n", "successes", "missing", "invalid", "value", "mean", "ci_low", "ci_high")
NPS_COLUMNS = ("n", "promoters", "passives", "detractors", "missing", "invalid", "value",
               "margin_of_error", "ci_low", "ci_high")


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


def _share_columns(part: Part, method: str, z: float, confidence: float) -> None:
    """The value and interval columns of a share, closed-form or (beta) after collecting."""
    p = part.prefix
    n = col(f"{p}n")
    part.inputs += [float_col(f"{p}successes").alias(f"{p}__k"),
                    nonzero(float_col(f"{p}n")).alias(f"{p}__n")]
    k, n_f = col(f"{p}__k"), col(f"{p}__n")
    part.columns.append(safe(n, k / n_f).alias(f"{p}value"))
    if method in CLOSED_FORM:
        low, high = closed_form(method, k, n_f, z, sqrt)
        if method == "wilson":  # exactly 0 and 1 at the ends, as the scalar path has them
            import narwhals as nw

            low = nw.when(k == 0.0).then(0.0).otherwise(low)
            high = nw.when(k == n_f).then(1.0).otherwise(high)
        part.columns += [safe(n, low.clip(0.0, 1.0)).alias(f"{p}ci_low"),
                         safe(n, high.clip(0.0, 1.0)).alias(f"{p}ci_high")]
    else:
        part.post = _beta_post(p, method, z, confidence)


def _csat_part(schema: Any, command: str, column: str, prefix: str, *, scale: object,
               satisfied: float | None, method: str, confidence: float) -> Part:
    z = z_value(confidence, command)
    method = check_method(method, command)
    chosen = scale_of(scale, command)
    threshold = chosen.satisfied if satisfied is None else satisfied
    if (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
            or not chosen.low <= threshold <= chosen.high):
        raise InvalidInputError(f"{command}: satisfied must be a score on {chosen.describe()}")
    flags = Flags(schema, command, column, chosen)
    import narwhals as nw

    p = prefix
    part = Part(prefix=p, column=column, flags=flags,
                 counts={f"{p}n": flags.valid,
                         f"{p}successes": flags.between(threshold, chosen.high)},
                 stats={f"{p}total": (nw.when(flags.valid).then(flags.value.cast(nw.Float64)),
                                      "sum")},
                 order=tuple(p + c for c in CSAT_COLUMNS))
    _share_columns(part, method, z, confidence)
    n = col(f"{p}n")
    part.columns.append(safe(n, col(f"{p}total") / col(f"{p}__n"))
                        .alias(f"{p}mean"))
    return part


def _proportion_part(schema: Any, command: str, column: str, prefix: str, *, method: str,
                     confidence: float) -> Part:
    z = z_value(confidence, command)
    method = check_method(method, command)
    flags = Flags(schema, command, column, None)
    p = prefix
    # a boolean answer is valid whenever it is present: n is the rows less the missing ones
    counts = {f"{p}successes": flags.between(1, 1)}
    if not flags.boolean:
        counts = {f"{p}n": flags.valid, **counts}
    part = Part(prefix=p, column=column, flags=flags, counts=counts,
                 order=tuple(p + c for c in PROPORTION_COLUMNS))
    _share_columns(part, method, z, confidence)
    return part


def _nps_part(schema: Any, command: str, column: str, prefix: str, *, method: str,
              confidence: float, resamples: int, seed: int) -> Part:
    z = z_value(confidence, command)
    method = check_method(method, command, NPS_METHODS)
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 100:
        raise InvalidInputError(f"{command}: resamples must be a whole number ≥ 100")
    check_seed(seed, command)
    flags = Flags(schema, command, column, scale_of("nps"))
    p = prefix
    part = Part(prefix=p, column=column, flags=flags,
                 counts={f"{p}n": flags.valid, f"{p}promoters": flags.between(9, 10),
                         f"{p}detractors": flags.between(0, 6)},
                 order=tuple(p + c for c in NPS_COLUMNS))
    n = col(f"{p}n")
    closed = "wald" if method == "bootstrap" else method
    part.inputs += [float_col(f"{p}promoters").alias(f"{p}__p"),
                    float_col(f"{p}detractors").alias(f"{p}__d"),
                    nonzero(float_col(f"{p}n")).alias(f"{p}__n")]
    value, margin, low, high = nps_closed_form(
        closed, col(f"{p}__p"), col(f"{p}__d"), col(f"{p}__n"), z, sqrt=sqrt)
    part.columns += [(n - col(f"{p}promoters") - col(f"{p}detractors")).alias(f"{p}passives"),
                     safe(n, value).alias(f"{p}value"),
                     safe(n, margin).alias(f"{p}margin_of_error")]
    if method != "bootstrap":
        part.columns += [safe(n, low.clip(-100.0, 100.0)).alias(f"{p}ci_low"),
                         safe(n, high.clip(-100.0, 100.0)).alias(f"{p}ci_high")]
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


def csat_by(frame: object, score: str = "score", by: Keys = None, *, scale: object = 5,
            satisfied: float | None = None, method: str = "wilson",
            confidence: float = 0.95) -> Any:
    """M-01 CSAT per group: columns ``*by, n, successes, missing, invalid, value, mean,
    ci_low, ci_high`` (``value`` the satisfied share, ``mean`` the mean score)."""
    command = "csat_by"
    keys = keys_of(by, command)
    return run(frame, command, keys, [score], lambda schema: [_csat_part(
        schema, command, score, "", scale=scale, satisfied=satisfied, method=method,
        confidence=confidence)])


def proportion_by(frame: object, success: str, by: Keys = None, *, method: str = "wilson",
                  confidence: float = 0.95, command: str = "proportion_by") -> Any:
    """A share per group from a yes/no column (booleans, or 0/1): columns ``*by, n,
    successes, missing, invalid, value, ci_low, ci_high``; M-07's rates, M-11's share …"""
    keys = keys_of(by, command)
    return run(frame, command, keys, [success], lambda schema: [_proportion_part(
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
    keys = keys_of(by, command)
    return run(frame, command, keys, [score], lambda schema: [_nps_part(
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
    keys = keys_of(by, command)
    if csat is None and nps is None and fcr is None:
        raise InvalidInputError(f"{command}: name at least one column (csat=, nps=, fcr=)")

    def build(schema: Any) -> list[Part]:
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
    return run(frame, command, keys, values, build)


MEAN_COLUMNS = ("n", "missing", "value", "std", "ci_low", "ci_high")


def _mean_part(schema: Any, command: str, column: str, prefix: str, *,
               confidence: float) -> Part:
    z_value(confidence, command)
    flags = Flags(schema, command, column, None, numbers=True)
    import narwhals as nw

    p = prefix
    value = nw.when(~flags.missing).then(flags.column.cast(nw.Float64))
    part = Part(prefix=p, column=column, flags=flags, counts={},
                stats={f"{p}value": (value, "mean"), f"{p}std": (value, "std")},
                order=tuple(p + c for c in MEAN_COLUMNS))

    def t_interval(arrays: Arrays) -> dict[str, list[Any]]:
        n = arrays[f"{p}n"].astype(float)
        mean = arrays[f"{p}value"].astype(float)
        std = arrays[f"{p}std"].astype(float)
        some = n > 1
        half = np.full(n.shape, np.nan)
        if some.any():
            quantile = t_quantiles(1 - (1 - confidence) / 2, n[some] - 1)
            half[some] = quantile * std[some] / np.sqrt(n[some])
        return {f"{p}ci_low": [float(m - h) if s else None
                               for s, m, h in zip(some, mean, half, strict=True)],
                f"{p}ci_high": [float(m + h) if s else None
                                for s, m, h in zip(some, mean, half, strict=True)]}

    part.post = t_interval
    return part


def mean_by(frame: object, value: str, by: Keys = None, *, confidence: float = 0.95) -> Any:
    """The mean of a numeric column per group with Student's t interval (M-04's touchpoint
    score, M-06's first response time in seconds …): columns ``*by, n, missing, value, std,
    ci_low, ci_high``. The mean and standard deviation are the engine's own (equal to the
    scalar ``mean_result`` to rounding, not bit for bit: engines add in their own order)."""
    command = "mean_by"
    keys = keys_of(by, command)
    return run(frame, command, keys, [value], lambda schema: [_mean_part(
        schema, command, value, "", confidence=confidence)])
