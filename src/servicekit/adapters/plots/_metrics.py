"""Figures of metrics (issue 13): CSAT and NPS over time with their intervals as bands, and a
scorecard against its targets, as matplotlib ``Figure`` objects (no pyplot).

A trend reads a table of one row per period, in the table's order: what ``csat_by``,
``nps_by``, ``fcr_by`` or ``survey_by`` return grouped by the period (any backend, or
records), or a mapping of labels to the scalar results (``{"2026-01": csat(...), ...}``).

Colours are the Okabe–Ito palette (told apart with the common colour-vision deficiencies):
blue for a trend's values and band, and one colour per verdict, :data:`STATUS_COLOURS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from numbers import Real
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from servicekit._frames import as_frame, field_of, records_of
from servicekit.adapters.plots._common import table_rows
from servicekit.errors import InvalidInputError
from servicekit.metrics import Mean, NpsResult, Proportion, Scorecard, ScorecardRow, Target, verdict

__all__ = ["STATUS_COLOURS", "csat_trend", "metric_trend", "nps_trend", "scorecard_chart"]

#: the colour of each verdict: a scorecard row, or a trend's point against its target
STATUS_COLOURS: Mapping[str, str] = MappingProxyType({
    "met": "#009E73",  # bluish green
    "missed": "#D55E00",  # vermilion
    "not enough data": "#E69F00",  # orange
    "no data": "#999999",  # grey
})
_BLUE = "#0072B2"
_INK = "#333333"

#: one period: its label, the value, the interval's bounds and n (each may be missing)
_Point = tuple[str, float | None, float | None, float | None, int | None]


def _label(value: object) -> str:
    """A period as a tick label: a date as ISO, a midnight timestamp as its date."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(value: object, command: str, column: str) -> float | None:
    """A number of column ``column`` (``None`` for null or NaN); anything else is refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise InvalidInputError(f"{command}: column {column!r} must hold numbers "
                                f"(got {type(value).__name__})")
    number = float(value)
    if math.isnan(number):
        return None
    if math.isinf(number):
        raise InvalidInputError(f"{command}: column {column!r} must hold finite numbers")
    return number


def _count(value: object, command: str, column: str) -> int | None:
    number = _number(value, command, column)
    if number is None:
        return None
    if not number.is_integer() or number < 0:
        raise InvalidInputError(f"{command}: column {column!r} must hold counts (whole, ≥ 0)")
    return int(number)


def _column_name(value: object, command: str, argument: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInputError(f"{command}: {argument} must be a column name")
    return value


class _Columns(NamedTuple):
    """Where a table holds a trend's periods, values, bounds and counts."""

    x: str
    value: str
    low: str
    high: str
    n: str | None


def _from_table(table: object, command: str, names: _Columns) -> list[_Point]:
    """One point per row of ``table`` (a frame of any backend, or records), in its order."""
    x, value, low, high, n = names
    columns = tuple(_column_name(c, command, a) for c, a in
                    ((x, "x"), (value, "value"), (low, "low"), (high, "high")))
    if n is not None:
        columns += (_column_name(n, command, "n"),)
    unique = tuple(dict.fromkeys(columns))  # a frame cannot select one column twice
    frame = as_frame(table, command)
    if frame is None:
        records = records_of(table, command)  # type: ignore[arg-type]
        for record in records:
            for name in unique:
                present = (name in record if isinstance(record, Mapping)
                           else hasattr(record, name))
                if not present:
                    raise InvalidInputError(f"{command}: no column {name!r}")
        raw = [tuple(field_of(r, c) for c in unique) for r in records]
    else:
        raw = table_rows(frame, command, unique)
    where = [unique.index(c) for c in columns]
    points: list[_Point] = []
    for row in raw:
        fields = [row[i] for i in where]
        points.append((_label(fields[0]), _number(fields[1], command, value),
                       _number(fields[2], command, low), _number(fields[3], command, high),
                       None if n is None else _count(fields[4], command, n)))
    if not points:
        raise InvalidInputError(f"{command}: the table has no rows")
    labels = [p[0] for p in points]
    if len(set(labels)) != len(labels):
        raise InvalidInputError(f"{command}: column {x!r} repeats a period (a trend needs one "
                                "row per period: group by the period alone, or filter)")
    return points


def _from_results(results: Mapping[Any, Any], command: str, kinds: tuple[type, ...]
                  ) -> list[_Point]:
    """One point per result of a mapping ``{label: result}``, in the mapping's order."""
    if not results:
        raise InvalidInputError(f"{command}: the mapping holds no results")
    points: list[_Point] = []
    for label, result in results.items():
        if not isinstance(result, (Proportion, NpsResult, Mean)) or not isinstance(result,
                                                                                   kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise InvalidInputError(f"{command}: every value of the mapping must be a "
                                    f"{names} (got {type(result).__name__})")
        points.append((_label(label), result.value, result.ci_low, result.ci_high, result.n))
    if len({p[0] for p in points}) != len(points):
        raise InvalidInputError(f"{command}: two labels of the mapping read the same")
    return points


def _points(table: object, command: str, kinds: tuple[type, ...], names: _Columns
            ) -> list[_Point]:
    if isinstance(table, Mapping):
        return _from_results(table, command, kinds)
    return _from_table(table, command, names)


def _within(points: list[_Point], command: str, value: str, axis: tuple[float, float],
            what: str) -> None:
    low, high = axis
    for point in points:
        if any(v is not None and not low <= v <= high for v in point[1:4]):
            raise InvalidInputError(f"{command}: the values and bounds must be {what} "
                                    f"(a row of {value!r} or its interval is outside)")


class _Goal:
    """A trend's target: the bound, its direction, the fewest answers a verdict needs."""

    def __init__(self, target: object, at_most: object, command: str) -> None:
        if not isinstance(at_most, bool):
            raise InvalidInputError(f"{command}: at_most must be True or False")
        self.min_n: int | None = None
        if isinstance(target, Target):
            if at_most and target.at_least is not None:
                raise InvalidInputError(f"{command}: at_most contradicts the Target's at_least")
            self.bound, self.at_most, self.min_n = target.bound, target.at_most is not None, (
                target.min_n)
            return
        if isinstance(target, bool) or not isinstance(target, Real) or not math.isfinite(
                float(target)):
            raise InvalidInputError(f"{command}: target must be a number or a Target")
        self.bound, self.at_most = float(target), at_most

    def status(self, point: _Point) -> str:
        _, value, low, high, n = point
        if value is None or n == 0:
            return "no data"
        if self.min_n is not None and (n is None or n < self.min_n):
            return "not enough data"
        found = verdict(low, high, self.bound, at_most=self.at_most)
        return "not enough data" if found is None else "met" if found else "missed"


def _masked(values: list[float | None], scale: float) -> np.ma.MaskedArray[Any, Any]:
    return np.ma.masked_invalid(np.array([np.nan if v is None else v * scale for v in values],
                                         dtype=float))


def _draw_goal(ax: Any, goal: _Goal, points: list[_Point], values: Any, *,
               percent: bool) -> None:
    """The target as a dashed line, and each point coloured by its verdict."""
    scale = 100.0 if percent else 1.0
    sign = "≤" if goal.at_most else "≥"
    shown = f"{goal.bound * scale:g}" + (" %" if percent else "")
    ax.axhline(goal.bound * scale, color=_INK, linestyle="--", linewidth=1.2,
               label=f"target {sign} {shown}", gid="target")
    statuses = [goal.status(p) for p in points]
    for status in ("met", "missed", "not enough data"):
        chosen = [i for i, s in enumerate(statuses) if s == status]
        if chosen:
            ax.scatter(np.array(chosen, dtype=float), values[chosen].filled(np.nan), s=64,
                       zorder=3, color=STATUS_COLOURS[status], edgecolors="white",
                       linewidths=1, label=status, gid=f"status:{status}")


def _periods(ax: Any, points: list[_Point], xlabel: str) -> None:
    """The periods' labels along x, each with its n underneath."""
    xs = np.arange(len(points), dtype=float)
    ax.set_xticks(xs, [p[0] if p[4] is None else f"{p[0]}\nn={p[4]}" for p in points],
                  fontsize=8)
    if len(points) > 18 or max(len(p[0]) for p in points) > 10:
        ax.tick_params(axis="x", labelrotation=45)
        for text in ax.get_xticklabels():
            text.set_horizontalalignment("right")
    ax.set_xlim(-0.5, len(points) - 0.5)
    ax.set_xlabel(xlabel)


def _trend(points: list[_Point], command: str, *, xlabel: str, target: object,
           at_most: object, title: object, percent: object, ylabel: str = "",
           limits: tuple[float, float] | None = None, zero: bool = False) -> Figure:
    """Draw the points: values as a line with markers, the interval as a band, n in the tick
    labels, the target as a dashed line and each point coloured by its verdict."""
    if title is not None and not isinstance(title, str):
        raise InvalidInputError(f"{command}: title must be a string")
    if percent is not None and not isinstance(percent, bool):
        raise InvalidInputError(f"{command}: percent must be True, False or None")
    goal = None if target is None else _Goal(target, at_most, command)
    if goal is None and at_most is not False:
        raise InvalidInputError(f"{command}: at_most needs a target")
    if percent is None:  # shares: every value and bound is in 0 … 1
        bounds = [v for p in points for v in p[1:4] if v is not None]
        percent = bool(bounds) and all(0.0 <= v <= 1.0 for v in bounds)
    scale = 100.0 if percent else 1.0
    xs = np.arange(len(points), dtype=float)
    values = _masked([p[1] for p in points], scale)
    lows = _masked([p[2] for p in points], scale)
    highs = _masked([p[3] for p in points], scale)

    fig = Figure(figsize=(min(16.0, max(6.0, 0.75 * len(points) + 1.5)), 4.2),
                 layout="constrained")
    ax = fig.add_subplot()
    if zero:
        ax.axhline(0.0, color="#bbbbbb", linewidth=0.8, zorder=0, gid="zero")
    ax.fill_between(xs, lows, highs, color=_BLUE, alpha=0.2, linewidth=0,
                    label="confidence interval", gid="interval")
    # a period whose neighbours have no interval: the band has no width there, so a bar
    gap = np.ma.getmaskarray(lows) | np.ma.getmaskarray(highs)
    alone = [i for i in range(len(points)) if not gap[i]
             and (i == 0 or gap[i - 1]) and (i == len(points) - 1 or gap[i + 1])]
    if alone:
        ax.vlines(xs[alone], lows[alone], highs[alone], color=_BLUE, alpha=0.35,
                  linewidth=6, gid="interval")
    ax.plot(xs, values.filled(np.nan), marker="o", color=_BLUE, linewidth=1.8,
            markersize=5, label="value", gid="value")
    if goal is not None:
        _draw_goal(ax, goal, points, values, percent=percent)
    _periods(ax, points, xlabel)
    if limits is not None:
        ax.set_ylim(*limits)
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title)
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    return fig


def metric_trend(table: Any, *, x: str = "month", value: str = "value", low: str = "ci_low",
                 high: str = "ci_high", n: str | None = "n", target: float | Target | None = None,
                 at_most: bool = False, title: str | None = None,
                 percent: bool | None = None) -> Figure:
    """A metric over periods: the value of each row as a line with markers, its interval
    (``low`` … ``high``) as a shaded band, and ``n`` under each period's label.

    ``table`` is a table of one row per period in the order to draw (``csat_by(frame,
    by="month")`` and the like, on any backend, or records), or a mapping ``{label: result}``
    of :class:`~servicekit.metrics.Proportion`, :class:`~servicekit.metrics.NpsResult` or
    :class:`~servicekit.metrics.Mean`. A period without answers (null value) is a gap.

    ``target`` (a number in the metric's unit, or a :class:`~servicekit.metrics.Target`, which
    brings its direction and ``min_n``) is drawn as a dashed line, and each point is coloured
    by its verdict (:data:`STATUS_COLOURS`: met, missed, or not enough data while the interval
    straddles the target); ``at_most`` means lower is better. ``percent`` draws shares 0–1 as
    percentages; ``None`` decides from the data (a share when every value and bound is in
    0 … 1). Columns that are missing or do not hold numbers raise
    :class:`~servicekit.errors.InvalidInputError` naming the column.
    """
    command = "metric_trend"
    points = _points(table, command, (Proportion, NpsResult, Mean),
                     _Columns(x, value, low, high, n))
    xlabel = "" if isinstance(table, Mapping) else x
    return _trend(points, command, xlabel=xlabel, target=target, at_most=at_most,
                  title=title, percent=percent)


def _prefixed(prefix: object, command: str) -> str:
    if not isinstance(prefix, str):
        raise InvalidInputError(f"{command}: prefix must be a string")
    return prefix


def csat_trend(table: Any, *, x: str = "month", target: float | Target | None = None,
               prefix: str = "", title: str | None = "CSAT") -> Figure:
    """M-01 CSAT over periods on a 0–100 % axis, from ``csat_by(frame, by=x)`` (or
    ``survey_by``'s table with ``prefix="csat_"``), or a mapping ``{label: csat(...)}``.

    ``target`` is a share 0–1 (``0.90``) or a :class:`~servicekit.metrics.Target`, such as
    ``handbook.targets()["csat"]``. See :func:`metric_trend` for the drawing.
    """
    command = "csat_trend"
    p = _prefixed(prefix, command)
    points = _points(table, command, (Proportion,),
                     _Columns(x, f"{p}value", f"{p}ci_low", f"{p}ci_high", f"{p}n"))
    _within(points, command, f"{p}value", (0.0, 1.0), "shares 0 … 1")
    goal = target.bound if isinstance(target, Target) else target
    if isinstance(goal, Real) and not isinstance(goal, bool) and not 0 <= float(goal) <= 1:
        raise InvalidInputError(f"{command}: target must be a share 0 … 1 (0.9 for 90 %)")
    return _trend(points, command, xlabel="" if isinstance(table, Mapping) else x,
                  target=target, at_most=False, title=title, percent=True,
                  ylabel="satisfied share", limits=(0.0, 100.0))


def nps_trend(table: Any, *, x: str = "month", target: float | Target | None = None,
              prefix: str = "", title: str | None = "NPS") -> Figure:
    """M-03 NPS over periods on a −100 … 100 axis, from ``nps_by(frame, by=x)`` (or
    ``survey_by``'s table with ``prefix="nps_"``), or a mapping ``{label: nps(...)}``.

    ``target`` is in points (the handbook sets none). See :func:`metric_trend`.
    """
    command = "nps_trend"
    p = _prefixed(prefix, command)
    points = _points(table, command, (NpsResult,),
                     _Columns(x, f"{p}value", f"{p}ci_low", f"{p}ci_high", f"{p}n"))
    _within(points, command, f"{p}value", (-100.0, 100.0), "points −100 … 100")
    goal = target.bound if isinstance(target, Target) else target
    if isinstance(goal, Real) and not isinstance(goal, bool) and not -100 <= float(goal) <= 100:
        raise InvalidInputError(f"{command}: target must be in points −100 … 100")
    return _trend(points, command, xlabel="" if isinstance(table, Mapping) else x,
                  target=target, at_most=False, title=title, percent=False,
                  ylabel="promoters − detractors (points)", limits=(-100.0, 100.0), zero=True)


#: how a scorecard row's unit is drawn: the factor from the unit, and the axis' suffix
_AXES: dict[str, tuple[float, str]] = {
    "share": (100.0, " %"), "seconds": (1 / 3600, " h"), "days": (1.0, " days"),
    "points": (1.0, ""), "score": (1.0, ""), "count": (1.0, ""),
}
def _bound(row: ScorecardRow) -> float:
    """The target of a row in the drawn unit (hours for seconds, % for a share)."""
    factor, _ = _AXES[row.unit]
    return row.bound * factor


def _shown(value: float, suffix: str) -> str:
    return f"{value:.3g}{suffix}" if abs(value) < 100 else f"{value:.0f}{suffix}"


def _strip(ax: Any, side: Any, row: ScorecardRow) -> None:
    """One scorecard row: the value and its interval as an error bar, the target a tick
    (on ``ax``), the status and n written beside it (on ``side``)."""
    colour = STATUS_COLOURS[row.status]
    side.set_axis_off()
    ax.set_ylabel(f"{row.rule} {row.metric}".strip() + f"\ntarget {row.target}", rotation=0,
                  ha="right", va="center", fontsize=9)
    ax.set_yticks([])
    ax.set_ylim(-1.0, 1.0)
    for edge in ("top", "right", "left"):
        ax.spines[edge].set_visible(False)
    if row.value is None or row.status == "no data":
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        ax.text(0.5, 0.0, "no data", transform=ax.get_yaxis_transform(), ha="center",
                va="center", fontsize=9, style="italic", color=colour, gid="no data")
        return
    factor, suffix = _AXES.get(row.unit, (1.0, ""))
    value = row.value * factor
    bound = _bound(row)
    seen = [value, bound]
    xerr = None
    if row.ci_low is not None and row.ci_high is not None:
        low, high = row.ci_low * factor, row.ci_high * factor
        seen += [low, high]
        xerr = [[max(value - low, 0.0)], [max(high - value, 0.0)]]
    bar = ax.errorbar([value], [0.0], xerr=xerr, fmt="o", color=colour, ecolor=colour,
                      elinewidth=2.5, capsize=5, capthick=2, markersize=8, zorder=3)
    bar.lines[0].set_gid("value")
    for bars in bar.lines[2]:  # none without an interval
        bars.set_gid("interval")
    ax.axvline(bound, ymin=0.15, ymax=0.85, color=_INK, linewidth=2, gid="target")
    ax.annotate(_shown(value, suffix), (value, 0.0), xytext=(0, 8), textcoords="offset points",
                ha="center", va="bottom", fontsize=8, color=colour)
    first, last = min(seen), max(seen)
    pad = 0.2 * (last - first) or 0.1 * max(abs(last), 1.0)
    left, right = first - pad, last + pad
    if first >= 0:
        left = max(left, 0.0)
    if row.unit == "share":
        left, right = max(left, 0.0), min(right, 100.0)
    ax.set_xlim(left, right)
    ax.xaxis.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}{suffix}"))
    ax.tick_params(axis="x", labelsize=8)
    n = "" if row.n is None else f"\nn = {row.n}"
    side.text(0.0, 0.5, f"{row.status}{n}", transform=side.transAxes, ha="left",
              va="center", fontsize=9, color=colour, gid="status")


def scorecard_chart(card: Scorecard, *, title: str | None = None) -> Figure:
    """The scorecard as one horizontal strip per target, in the card's order.

    Each strip has its own axis in the metric's unit, as people read it (a share in %, seconds
    as hours, days, points, a score or a count), zoomed to the value, its interval and the
    target: the value is a point with its interval as an error bar, the target a dark tick,
    both coloured by the row's status (:data:`STATUS_COLOURS`: met, missed, not enough data),
    which is also written at the right with n. A target without a value is listed with "no
    data" and nothing drawn. The strips do not share a scale: compare each point with its
    own tick, not with the other rows.
    """
    command = "scorecard_chart"
    if not isinstance(card, Scorecard):
        raise InvalidInputError(f"{command}: expected a Scorecard (got {type(card).__name__})")
    if not card.rows:
        raise InvalidInputError(f"{command}: the scorecard has no rows")
    if title is not None and not isinstance(title, str):
        raise InvalidInputError(f"{command}: title must be a string")
    height = 0.72 * len(card.rows) + (0.9 if title else 0.5)
    fig = Figure(figsize=(8.5, height), layout="constrained")
    # a narrow second column holds each row's status: text outside an axes gets no room
    grid = fig.subplots(len(card.rows), 2, squeeze=False, width_ratios=(4.0, 1.2))
    for (ax, side), row in zip(grid, card.rows, strict=True):
        _strip(ax, side, row)
    fig.align_ylabels(list(grid[:, 0]))
    if title:
        fig.suptitle(title)
    return fig
