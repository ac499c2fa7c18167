"""What a metric returns: its value with n, what was missing, and its interval.

A result never states more than its data: ``meets(target)`` answers ``None`` (not enough data)
while the interval still contains the target, so a dashboard cannot report 91 % of 12 answers
as "CSAT target met".
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from servicekit.errors import InvalidInputError

__all__ = ["Comparison", "Mean", "NpsResult", "Proportion", "verdict"]


def verdict(low: float | None, high: float | None, target: float, *,
            at_most: bool = False) -> bool | None:
    """Met (``True``), missed (``False``) or not enough data (``None``) for an interval
    ``[low, high]`` against ``target``: met when the whole interval is on the target's good
    side (``≥ target``, or ``≤ target`` with ``at_most``), missed when the whole interval is on
    the other side, ``None`` when it straddles the target or there is no data."""
    if isinstance(target, bool) or not isinstance(target, (int, float)) or math.isnan(target):
        raise InvalidInputError("meets: the target must be a number")
    if low is None or high is None:
        return None
    if at_most:
        return True if high <= target else False if low > target else None
    return True if low >= target else False if high < target else None


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    n: int = Field(description="answers counted (missing ones excluded)")
    missing: int = Field(default=0, description="missing answers (None, NaN), not counted")
    ci_low: float | None = Field(default=None, description="lower bound of the interval")
    ci_high: float | None = Field(default=None, description="upper bound of the interval")
    confidence: float = 0.95
    method: str


class Proportion(_Result):
    """A share of answers (CSAT's satisfied, FCR's solved first time …) with its interval.

    ``value`` is ``successes / n`` (``None`` when n is 0); ``mean`` the mean score on the
    original scale, where there is one.
    """

    metric: str = "proportion"
    value: float | None
    successes: int
    mean: float | None = None
    scale: str | None = None

    def meets(self, target: float, *, at_most: bool = False) -> bool | None:
        """Whether the share meets ``target`` (0–1), by the interval (see :func:`verdict`).

        >>> from servicekit.metrics import csat
        >>> csat([5] * 380 + [2] * 20).meets(0.90)  # 95 % of 400: the interval is above 90 %
        True
        >>> csat([5] * 80 + [2] * 20).meets(0.90)   # 80 % of 100: below
        False
        >>> print(csat([5, 5, 4]).meets(0.90))      # 100 % of 3: not enough data
        None
        """
        if not 0 <= target <= 1:
            raise InvalidInputError("meets: a share's target is between 0 and 1 (90 % is 0.90)")
        return verdict(self.ci_low, self.ci_high, target, at_most=at_most)

    def __str__(self) -> str:
        level = f"{100 * self.confidence:g} %"
        return (f"{self.metric.upper()} {_percent(self.value)} (n = {self.n}, {level} CI "
                f"{_percent(self.ci_low)} to {_percent(self.ci_high)}, {self.method})")


class NpsResult(_Result):
    """A Net Promoter Score (M-03): % promoters (9–10) − % detractors (0–6), −100 … 100.

    ``margin_of_error`` is the Wald half-width, z·√((p_P + p_D − (p_P − p_D)²)/n)·100, whatever
    ``method`` the interval ``ci_low`` … ``ci_high`` follows.
    """

    metric: str = "nps"
    value: float | None
    promoters: int
    passives: int
    detractors: int
    margin_of_error: float | None = None

    def meets(self, target: float, *, at_most: bool = False) -> bool | None:
        """Whether the score meets ``target`` (−100 … 100), by the interval."""
        if not -100 <= target <= 100:
            raise InvalidInputError("meets: an NPS target is between -100 and 100")
        return verdict(self.ci_low, self.ci_high, target, at_most=at_most)

    def __str__(self) -> str:
        def points(v: float | None) -> str:
            return "n/a" if v is None else f"{v:+.1f}"

        level = f"{100 * self.confidence:g} %"
        return (f"NPS {points(self.value)} (n = {self.n}, {level} CI {points(self.ci_low)} to "
                f"{points(self.ci_high)}, {self.method})")


class Comparison(BaseModel):
    """Two results of one metric compared (``compare(a, b)``): ``difference`` is a − b."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    metric: str
    a: float
    b: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    confidence: float
    test: str = Field(description="how the p-value and the interval were computed")

    @property
    def significant(self) -> bool:
        """The p-value is below 1 − confidence."""
        return self.p_value < 1 - self.confidence

    def _show(self, value: float, *, change: bool = False) -> str:
        if self.metric == "nps":
            return f"{value:+.1f} points" if change else f"{value:+.1f}"
        return f"{100 * value:+.1f} pp" if change else f"{100 * value:.1f} %"

    def __str__(self) -> str:
        """The verdict in words, then the numbers."""
        level = f"{100 * (1 - self.confidence):g} %"
        numbers = (f"{self._show(self.a)} vs {self._show(self.b)}, difference "
                   f"{self._show(self.difference, change=True)} ({100 * self.confidence:g} % CI "
                   f"{self._show(self.ci_low, change=True)} to "
                   f"{self._show(self.ci_high, change=True)}), p = {self.p_value:.3g}")
        name = self.metric.upper()
        if self.significant:
            way = "higher" if self.difference > 0 else "lower"
            return (f"{name}: the first is significantly {way} than the second at the {level} "
                    f"level: {numbers}")
        return f"{name}: no significant difference at the {level} level: {numbers}"


class Mean(_Result):
    """A mean (a touchpoint score M-04, the first response time M-06 …) with its interval.

    The interval is Student's t on ``n - 1`` degrees of freedom (``method="t"``); ``std`` the
    sample standard deviation; ``unit`` what the values are in (``"seconds"`` for durations).
    """

    metric: str = "mean"
    value: float | None
    std: float | None = None
    unit: str | None = None
    method: str = "t"

    def meets(self, target: float, *, at_most: bool = False) -> bool | None:
        """Whether the mean meets ``target`` (in ``unit``), by the interval."""
        return verdict(self.ci_low, self.ci_high, target, at_most=at_most)

    def __str__(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        if self.value is None:
            return f"{self.metric.upper()} n/a (n = 0)"
        interval = ("" if self.ci_low is None or self.ci_high is None else
                    f", {100 * self.confidence:g} % CI {self.ci_low:.4g} to {self.ci_high:.4g}")
        return f"{self.metric.upper()} {self.value:.4g}{unit} (n = {self.n}{interval})"
