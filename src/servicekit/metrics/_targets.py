"""Targets and the scorecard: met, missed, or not enough data (M-01 … M-14).

A :class:`Target` bounds one metric (``at_least`` or ``at_most``, in the metric's own unit: a
share 0–1, an NPS −100 … 100, seconds, a count), optionally with the fewest answers a verdict
needs (``min_n``, M-12's 500 per quarterly review). :func:`scorecard` judges results against
targets by their intervals (:func:`~servicekit.metrics.verdict`): *met* when the whole interval
is on the good side, *missed* when it is wholly on the other, *not enough data* when it
straddles the target or n is under ``min_n``; a plain number (a count, days since the last
knowledge-base update) has no interval and is met or missed outright. Targets are policy: they
live in the ``Policy`` document (``targets``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from servicekit._model import ValueModel
from servicekit.errors import InvalidInputError, PolicyError, ServiceKitError
from servicekit.metrics._results import Mean, NpsResult, Proportion, verdict

__all__ = ["Scorecard", "ScorecardRow", "Status", "Target", "Targets", "scorecard"]

Status = Literal["met", "missed", "not enough data", "no data"]
Unit = Literal["share", "points", "score", "seconds", "days", "count"]
Result = Proportion | NpsResult | Mean | int | float


class Target(ValueModel):
    """A bound on one metric: ``at_least`` or ``at_most`` (exactly one), in ``unit``."""

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    metric: str = Field(min_length=1, description="the result's name in the scorecard")
    rule: str = Field(default="", description="the catalog id, e.g. M-01")
    at_least: float | None = None
    at_most: float | None = None
    unit: Unit = "share"
    min_n: int | None = Field(default=None, ge=1,
                              description="fewer answers than this: not enough data")
    description: str = ""

    @model_validator(mode="after")
    def _one_bound(self) -> Target:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("a target has exactly one of at_least and at_most")
        if not math.isfinite(self.bound):
            raise ValueError("a target's bound must be a finite number")
        if self.unit in ("seconds", "days", "count") and self.bound < 0:
            raise ValueError("a duration or a count cannot be negative")
        if self.unit == "share" and not 0 <= self.bound <= 1:
            raise ValueError("a share's target is between 0 and 1 (90 % is 0.90)")
        if self.unit == "points" and not -100 <= self.bound <= 100:
            raise ValueError("an NPS target is between -100 and 100")
        return self

    @property
    def bound(self) -> float:
        value = self.at_least if self.at_least is not None else self.at_most
        assert value is not None
        return value

    def describe(self) -> str:
        """The bound as people read it: ``≥ 90 %``, ``≤ 2 h``."""
        sign = "≥" if self.at_least is not None else "≤"
        return f"{sign} {_show(self.bound, self.unit)}"


def _show(value: float, unit: str, spec: str = "g") -> str:
    """``value`` in ``unit`` as people read it (``spec`` ``".1f"`` for a measured value)."""
    if unit == "share":
        return f"{100 * value:{spec}} %"
    if unit == "seconds":
        return f"{value / 3600:{spec}} h" if value >= 3600 else f"{value / 60:{spec}} min"
    if unit == "days":
        return f"{value:{spec}} days"
    return f"{value:g}" if unit == "count" else f"{value:{spec}}"


class Targets(ValueModel):
    """A named set of targets (one per metric)."""

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    name: str = Field(min_length=1)
    description: str = ""
    targets: tuple[Target, ...]

    @field_validator("targets")
    @classmethod
    def _one_per_metric(cls, targets: tuple[Target, ...]) -> tuple[Target, ...]:
        seen: set[str] = set()
        for target in targets:
            if target.metric in seen:
                raise ValueError("two targets for one metric")
            seen.add(target.metric)
        return targets

    def __getitem__(self, metric: str) -> Target:
        for target in self.targets:
            if target.metric == metric:
                return target
        raise KeyError("no target for that metric")


class ScorecardRow(BaseModel):
    """One metric against its target."""

    model_config = ConfigDict(frozen=True)

    metric: str
    rule: str
    target: str = Field(description="the bound as people read it: ≥ 90 %, ≤ 2 h")
    bound: float = Field(description="the bound, in the metric's unit")
    at_most: bool = Field(default=False, description="the bound is an upper one")
    status: Status
    value: float | None
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    unit: str


class Scorecard(BaseModel):
    """Every target judged (in the targets' order), with the interval behind each verdict."""

    model_config = ConfigDict(frozen=True)

    rows: tuple[ScorecardRow, ...]

    def of(self, status: Status) -> list[str]:
        """The metrics with ``status``."""
        return [r.metric for r in self.rows if r.status == status]

    def __str__(self) -> str:
        lines = []
        for r in self.rows:
            value = "—" if r.value is None else _show(r.value, r.unit, ".1f")
            interval = ("" if r.ci_low is None or r.ci_high is None else
                        f" [{_show(r.ci_low, r.unit, '.1f')}, {_show(r.ci_high, r.unit, '.1f')}]")
            n = "" if r.n is None else f" n={r.n}"
            lines.append(f"{r.rule or '-':5} {r.metric:22} {r.target:10} {r.status:16} "
                         f"{value}{interval}{n}")
        return "\n".join(lines)


def _judge(target: Target, result: Result) -> ScorecardRow:
    at_most = target.at_most is not None
    row = {"metric": target.metric, "rule": target.rule, "target": target.describe(),
           "bound": target.bound, "at_most": at_most, "unit": target.unit}
    if isinstance(result, (Proportion, NpsResult, Mean)):
        status: Status
        if result.n == 0 or result.value is None:
            status = "no data"
        elif target.min_n is not None and result.n < target.min_n:
            status = "not enough data"
        else:
            found = verdict(result.ci_low, result.ci_high, target.bound, at_most=at_most)
            status = "not enough data" if found is None else "met" if found else "missed"
        return ScorecardRow(**row, status=status, value=result.value, n=result.n,
                            ci_low=result.ci_low, ci_high=result.ci_high)
    if isinstance(result, bool) or not isinstance(result, (int, float)):
        raise InvalidInputError(f"scorecard: the result for {target.metric!r} is not a metric "
                                f"result or a number (got {type(result).__name__})")
    if math.isnan(result):  # a number not known: missing, as NaN answers are
        return ScorecardRow(**row, status="no data", value=None)
    if math.isinf(result) or (target.unit == "share" and not 0 <= result <= 1):
        raise InvalidInputError(f"scorecard: the result for {target.metric!r} is off the "
                                f"metric's range ({target.unit})")
    good = result <= target.bound if at_most else result >= target.bound
    return ScorecardRow(**row, status="met" if good else "missed", value=float(result))


def scorecard(results: Mapping[str, Result], targets: Targets | Iterable[Target]) -> Scorecard:
    """Each target judged on ``results[target.metric]`` (a target without a result: no data).

    >>> from servicekit.metrics import csat, fcr
    >>> from servicekit.presets import handbook
    >>> card = scorecard({"csat": csat([5] * 470 + [3] * 30), "fcr": fcr([True] * 12)},
    ...                  handbook.targets())
    >>> card.of("met"), card.of("not enough data")
    (['csat'], ['fcr'])
    """
    if not isinstance(results, Mapping):
        raise InvalidInputError("scorecard: results must be a mapping of metric name to result "
                                f"(got {type(results).__name__})")
    if isinstance(targets, Targets):
        chosen = targets.targets
    elif isinstance(targets, Iterable) and not isinstance(targets, (str, bytes, Mapping)):
        chosen = tuple(targets)
    else:
        raise InvalidInputError("scorecard: targets must be Targets or Target values "
                                f"(got {type(targets).__name__})")
    if not all(isinstance(t, Target) for t in chosen):
        raise InvalidInputError("scorecard: targets must be Target values")
    if len({t.metric for t in chosen}) != len(chosen):
        raise InvalidInputError("scorecard: two targets for one metric")
    rows = []
    for target in chosen:
        if target.metric in results:
            rows.append(_judge(target, results[target.metric]))
        else:
            rows.append(ScorecardRow(metric=target.metric, rule=target.rule,
                                     target=target.describe(), bound=target.bound,
                                     at_most=target.at_most is not None, status="no data",
                                     value=None, unit=target.unit))
    return Scorecard(rows=tuple(rows))
