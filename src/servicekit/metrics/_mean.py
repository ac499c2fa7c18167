"""The mean of numbers with Student's t interval (M-04 touchpoint scores, M-06 AFRT …).

Student's t quantile comes from the beta quantile (``_beta``): for ``p < ½``,
``x = I⁻¹_{2p}(ν/2, ½)`` and ``t = −√(ν(1 − x)/x)``; no SciPy needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from servicekit.metrics._beta import beta_ppf
from servicekit.metrics._intervals import z_value
from servicekit.metrics._results import Mean

__all__ = ["mean_result", "t_quantile", "t_quantiles"]


def _t_from_beta(tail: np.ndarray[Any, Any], df: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """|t| whose two tails hold ``2·tail``: x = I⁻¹_{2·tail}(ν/2, ½) and t = √(ν(1 − x)/x);
    near the median 1 − x is taken from its own quantile, I⁻¹_{1−2·tail}(½, ν/2), so its
    digits are not lost to x ≈ 1."""
    x = beta_ppf(2 * tail, df / 2, np.full(df.shape, 0.5))
    y = beta_ppf(1 - 2 * tail, np.full(df.shape, 0.5), df / 2)
    near = x > 0.5
    out: np.ndarray[Any, Any] = np.where(near, np.sqrt(df * y / np.where(near, 1 - y, 1.0)),
                                         np.sqrt(df * (1 - x) / np.where(near, 1.0, x)))
    return out


def t_quantile(p: float, df: float) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom."""
    if p == 0.5:
        return 0.0
    t = float(_t_from_beta(np.array([min(p, 1 - p)]), np.array([float(df)]))[0])
    return -t if p < 0.5 else t


def t_quantiles(p: float, df: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The ``p`` quantile (p > ½) of Student's t for each of the degrees of freedom ``df``."""
    return _t_from_beta(np.full(df.shape, 1 - p), np.asarray(df, dtype=float))


def mean_result(values: Sequence[float], *, metric: str, missing: int = 0,
                confidence: float = 0.95, unit: str | None = None) -> Mean:
    """The :class:`Mean` of ``values`` (already checked), with Student's t interval; one
    value has a mean but no interval, none has neither."""
    z_value(confidence, metric)  # checks the level
    n = len(values)
    if n == 0:
        return Mean(metric=metric, value=None, n=0, missing=missing, confidence=confidence,
                    unit=unit)
    mean = math.fsum(values) / n
    if n == 1:
        return Mean(metric=metric, value=mean, n=1, missing=missing, confidence=confidence,
                    unit=unit)
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile(1 - (1 - confidence) / 2, n - 1) * std / math.sqrt(n)
    return Mean(metric=metric, value=mean, n=n, missing=missing, std=std, ci_low=mean - half,
                ci_high=mean + half, confidence=confidence, unit=unit)
