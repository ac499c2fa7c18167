"""Confidence intervals of a proportion, as statsmodels' ``proportion_confint`` computes them.

One definition serves a single metric (Python floats) and a frame's groups: the closed-form
intervals (Wilson, Agresti–Coull, Wald) are written once over anything with arithmetic and a
square root, so a narwhals expression computes them on the frame's engine with the same
operations in the same order, and the scalar and frame results agree exactly. The Jeffreys and
Clopper–Pearson intervals are beta quantiles (``_beta``), computed with numpy.

Every interval is clipped to 0–1. The rules, with statsmodels' names:

* ``wilson`` (default): the score interval, exactly 0 at k = 0 and 1 at k = n (the formula
  leaves a rounding error there);
* ``agresti-coull`` (``agresti_coull``): Wald on ``z²/2`` added successes and failures;
* ``jeffreys``: the beta(k + ½, n − k + ½) quantiles, as statsmodels leaves them (no special
  case at k = 0 or k = n);
* ``clopper-pearson`` (``beta``): the exact interval, 0 at k = 0 and 1 at k = n;
* ``wald`` (``normal``): p ± z·√(p(1 − p)/n), offered to reproduce other tools' numbers only.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import NormalDist
from typing import Any, Literal, TypeVar

import numpy as np

from servicekit.errors import InvalidInputError
from servicekit.metrics._beta import beta_ppf

__all__ = ["METHODS", "Method", "closed_form", "interval", "intervals", "z_value"]

Method = Literal["wilson", "agresti-coull", "jeffreys", "clopper-pearson", "wald"]
METHODS: tuple[str, ...] = ("wilson", "agresti-coull", "jeffreys", "clopper-pearson", "wald")
CLOSED_FORM = frozenset({"wilson", "agresti-coull", "wald"})

N = TypeVar("N")


def z_value(confidence: object, command: str) -> float:
    """The two-sided normal critical value of ``confidence`` (0.95 → 1.959963…)."""
    if (isinstance(confidence, bool) or not isinstance(confidence, (int, float))
            or not 0 < confidence < 1):
        raise InvalidInputError(f"{command}: confidence must be a number between 0 and 1 "
                                "(exclusive), e.g. 0.95")
    return NormalDist().inv_cdf(1 - (1 - float(confidence)) / 2)


def check_method(method: object, command: str, allowed: tuple[str, ...] = METHODS) -> str:
    if method not in allowed:
        raise InvalidInputError(f"{command}: unknown method (expected one of "
                                f"{', '.join(map(repr, allowed))})")
    return str(method)


def closed_form(method: str, k: Any, n: Any, z: float,
                sqrt: Callable[[Any], Any]) -> tuple[Any, Any]:
    """The unclipped bounds of a closed-form interval, for floats or expressions alike."""
    z2 = z * z
    if method == "wilson":
        p = k / n
        denominator = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denominator
        half = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
        return centre - half, centre + half
    if method == "agresti-coull":
        n_c = n + z2
        p_c = (k + z2 / 2) / n_c
        half = z * sqrt(p_c * (1 - p_c) / n_c)
        return p_c - half, p_c + half
    p = k / n  # wald
    half = z * sqrt(p * (1 - p) / n)
    return p - half, p + half


def _clip(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def intervals(method: str, k: np.ndarray[Any, Any], n: np.ndarray[Any, Any],
              z: float, confidence: float) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The clipped bounds for arrays of successes and trials (every n > 0)."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if method in CLOSED_FORM:
        low, high = closed_form(method, k, n, z, np.sqrt)
        if method == "wilson":  # exactly 0 and 1 at the ends, as statsmodels has them
            low, high = np.where(k == 0, 0.0, low), np.where(k == n, 1.0, high)
    else:
        tail = (1 - confidence) / 2
        if method == "jeffreys":
            low = beta_ppf(np.full(k.shape, tail), k + 0.5, n - k + 0.5)
            high = beta_ppf(np.full(k.shape, 1 - tail), k + 0.5, n - k + 0.5)
        else:  # clopper-pearson
            low = np.where(k > 0, beta_ppf(np.full(k.shape, tail), np.maximum(k, 1e-300),
                                           n - k + 1), 0.0)
            high = np.where(k < n, beta_ppf(np.full(k.shape, 1 - tail), k + 1,
                                            np.maximum(n - k, 1e-300)), 1.0)
    return np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def interval(method: str, k: int, n: int, z: float,
             confidence: float) -> tuple[float | None, float | None]:
    """The clipped bounds for ``k`` successes in ``n`` trials (``None`` when n is 0)."""
    if n == 0:
        return None, None
    if method in CLOSED_FORM:
        import math

        low, high = closed_form(method, float(k), float(n), z, math.sqrt)
        if method == "wilson":  # exactly 0 and 1 at the ends, as statsmodels has them
            low, high = (0.0 if k == 0 else low), (1.0 if k == n else high)
        return _clip(low), _clip(high)
    lows, highs = intervals(method, np.array([k]), np.array([n]), z, confidence)
    return float(lows[0]), float(highs[0])
