"""Satisfaction scales (M-16) and the checking of scores given on them.

The handbooks use binary answers, percentages, 5-, 10- and 100-point scores (H1 §7.1, H3 §5),
NPS asks 0–10 (M-03) and many surveys ask 7 points. A :class:`Scale` names its range, whether
scores are whole numbers, and where "satisfied" starts (the top-2 box of M-01 on the point
scales); :func:`normalise` maps any of them to 0–1 so they can be compared (M-16).

Scores are checked all at once: every bad position is reported (its index and what is wrong,
never the value), missing values (``None``, NaN) are excluded and counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal
from numbers import Real
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from servicekit.errors import InvalidInputError, Problem

__all__ = ["SCALES", "Scale", "ScaleSpec", "Scores", "normalise", "read_flags", "read_scores",
           "scale_of"]

ScaleSpec = Literal[2, 5, 7, 10, 11, 100, "binary", "percent", "nps", "5-point", "7-point",
                    "10-point", "100-point"] | str | int


class Scale(BaseModel):
    """A score scale: ``low`` … ``high``, whole numbers or not, satisfied from ``satisfied``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    low: float
    high: float
    whole: bool = True
    #: the lowest score that counts as satisfied (CSAT's top-2 box on the point scales, M-01)
    satisfied: float

    def normalise(self, score: float) -> float:
        """``score`` mapped to 0–1 (M-16)."""
        return (score - self.low) / (self.high - self.low)

    def describe(self) -> str:
        return f"the {self.name} scale {_number(self.low)}–{_number(self.high)}"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


#: the scales of M-16 and M-03; "satisfied" is the top-2 box on the point scales (M-01: 4–5 of
#: 5), 80 and above on the 0–100 scales (M-05's 80 %), a yes on the binary one
SCALES: dict[str, Scale] = {
    s.name: s for s in (
        Scale(name="binary", low=0, high=1, satisfied=1),
        Scale(name="5-point", low=1, high=5, satisfied=4),
        Scale(name="7-point", low=1, high=7, satisfied=6),
        Scale(name="10-point", low=1, high=10, satisfied=9),
        Scale(name="nps", low=0, high=10, satisfied=9),
        Scale(name="100-point", low=0, high=100, whole=False, satisfied=80),
        Scale(name="percent", low=0, high=100, whole=False, satisfied=80),
    )
}
_ALIASES: dict[object, str] = {2: "binary", 5: "5-point", 7: "7-point", 10: "10-point",
                               11: "nps", 100: "100-point"}


def scale_of(spec: object, command: str = "scale") -> Scale:
    """The :class:`Scale` named by ``spec``: 5, 7, 10, 100, ``"binary"``, ``"percent"``,
    ``"nps"`` (0–10), ``"5-point"`` …, or a :class:`Scale` itself."""
    if isinstance(spec, Scale):
        return spec
    name = (_ALIASES.get(spec, spec) if isinstance(spec, (int, str)) and not isinstance(spec, bool)
            else None)
    if isinstance(name, str) and name in SCALES:
        return SCALES[name]
    raise InvalidInputError(f"{command}: unknown scale (expected one of 2, 5, 7, 10, 100, "
                            f"{', '.join(map(repr, SCALES))}, or a Scale)")


def normalise(score: float, scale: object) -> float:
    """``score`` on ``scale`` mapped to 0–1 (M-16): ``(score - low) / (high - low)``.

    >>> normalise(4, 5), normalise(7, "nps"), normalise(80, "percent")
    (0.75, 0.7, 0.8)
    """
    chosen = scale_of(scale, "normalise")
    problem = _check(score, chosen)
    if problem is not None:
        raise InvalidInputError(f"normalise: {problem}")
    return chosen.normalise(float(score))


def _is_boolean(value: object) -> bool:
    """A Python or numpy boolean."""
    return isinstance(value, (bool, np.bool_))


def _is_number(value: object) -> bool:
    """A real number (int, float, Decimal, Fraction, numpy scalars), not a boolean."""
    return not _is_boolean(value) and isinstance(value, (Real, Decimal))


def _is_missing(value: object) -> bool:
    """``None``, pandas' ``NA``, or a NaN of any float type (numpy's float32 too)."""
    if value is None or type(value).__name__ == "NAType":
        return True
    return _is_number(value) and math.isnan(float(value))  # type: ignore[arg-type]


def _check(value: object, scale: Scale) -> str | None:
    """What is wrong with ``value`` as a score on ``scale`` (``None``: nothing); the text names
    the type or the scale, never the value (missing values are sorted out before)."""
    if scale.name == "binary" and _is_boolean(value):
        return None
    if not _is_number(value):
        return f"expected a number (got {type(value).__name__})"
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return "expected a number (got NaN)"
    if not scale.low <= number <= scale.high:
        return f"outside {scale.describe()}"
    if scale.whole and number != int(number):
        return f"{scale.describe()} takes whole numbers"
    return None


class Scores(BaseModel):
    """Checked scores: the values present, and how many were missing."""

    model_config = ConfigDict(frozen=True)

    values: tuple[float, ...]
    missing: int


def _report(command: str, what: str, problems: list[Problem]) -> InvalidInputError:
    shown = "; ".join(problems[:5]) + ("; …" if len(problems) > 5 else "")
    return InvalidInputError(f"{command}: {len(problems)} invalid {what}: {shown}",
                             problems=problems)


def _items(data: object, command: str, what: str) -> Iterable[Any]:
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise InvalidInputError(f"{command}: expected an iterable of {what} "
                                f"(got {type(data).__name__})")
    return data


def read_scores(data: object, scale: Scale, command: str) -> Scores:
    """The scores of ``data`` on ``scale``: every bad position reported at once."""
    values: list[float] = []
    missing = 0
    problems: list[Problem] = []
    for i, value in enumerate(_items(data, command, "scores")):
        if _is_missing(value):
            missing += 1
            continue
        problem = _check(value, scale)
        if problem is not None:
            problems.append(Problem((i,), "invalid_score", problem))
        else:
            values.append(float(value))
    if problems:
        raise _report(command, "scores", problems)
    return Scores(values=tuple(values), missing=missing)


def read_flags(data: object, command: str) -> tuple[int, int, int]:
    """``(successes, n, missing)`` of an iterable of yes/no answers (``bool``, 0/1; ``None``
    is missing)."""
    successes = n = missing = 0
    problems: list[Problem] = []
    for i, value in enumerate(_items(data, command, "booleans")):
        if _is_missing(value):
            missing += 1
        elif _is_boolean(value) or (_is_number(value) and value in (0, 1)):
            n += 1
            successes += bool(value)
        else:
            problems.append(Problem((i,), "invalid_flag",
                                    f"expected a boolean (got {type(value).__name__})"))
    if problems:
        raise _report(command, "answers", problems)
    return successes, n, missing
