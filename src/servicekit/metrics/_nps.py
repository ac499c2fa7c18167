"""The Net Promoter Score's arithmetic (M-03), once for floats and frame expressions alike.

* ``wald`` (default): NPS = (P − D)/n·100; margin z·√((p_P + p_D − (p_P − p_D)²)/n)·100, the
  variance of a promoter (+1), passive (0), detractor (−1) answer;
* ``adjusted-wald`` (MeasuringU, Sauro & Lewis): add 3 to n and ¾ to promoters and to
  detractors, then the Wald interval around the adjusted score (better coverage at small n and
  near ±100);
* ``bootstrap``: the percentile interval of seeded multinomial resamples of the counts.

``margin_of_error`` is always the Wald half-width; the interval follows ``method`` and is
clipped to −100 … 100.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NPS_METHODS", "bootstrap_interval", "nps_closed_form"]

NPS_METHODS: tuple[str, ...] = ("wald", "adjusted-wald", "bootstrap")


def nps_closed_form(method: str, promoters: Any, detractors: Any, n: Any, z: float, *,
                    sqrt: Callable[[Any], Any]) -> tuple[Any, Any, Any, Any]:
    """``(value, margin_of_error, low, high)``, unclipped, all on the −100 … 100 scale."""
    p_p = promoters / n
    p_d = detractors / n
    score = p_p - p_d
    margin = z * sqrt((p_p + p_d - score * score) / n) * 100
    value = score * 100
    if method == "adjusted-wald":
        n_a = n + 3
        a_p = (promoters + 0.75) / n_a
        a_d = (detractors + 0.75) / n_a
        adjusted = a_p - a_d
        half = z * sqrt((a_p + a_d - adjusted * adjusted) / n_a)
        return value, margin, (adjusted - half) * 100, (adjusted + half) * 100
    return value, margin, value - margin, value + margin


def bootstrap_interval(promoters: int, passives: int, detractors: int, confidence: float, *,
                       resamples: int, seed: int) -> tuple[float, float]:
    """The percentile interval of ``resamples`` multinomial redraws of the answers."""
    n = promoters + passives + detractors
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, [promoters / n, passives / n, detractors / n], size=resamples)
    scores = (draws[:, 0] - draws[:, 2]) / n * 100
    tail = (1 - confidence) / 2
    low, high = np.quantile(scores, [tail, 1 - tail])
    return float(low), float(high)
