"""The metric figures of ``servicekit.adapters.plots`` (issue 13, the ``plots`` extra): the
trends draw each row's value and interval, the scorecard chart each row's value, interval,
target and status.

The figures are read back from their artists (the line's data, the band's polygon vertices,
the target line, the colours), which carry a ``gid``: ``value``, ``interval``, ``target``,
``status:<verdict>``; no image is compared. One test runs on every frame backend of the shared
``frame_constructor`` fixture (``tests/conftest.py``); the rest use records and the scalar
results, which reach the same drawing code.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import same_color
from matplotlib.figure import Figure

from frame_rows import rows
from servicekit.adapters.plots import (
    STATUS_COLOURS,
    csat_trend,
    metric_trend,
    nps_trend,
    scorecard_chart,
)
from servicekit.errors import InvalidInputError
from servicekit.metrics import (
    Mean,
    Scorecard,
    Target,
    csat,
    csat_by,
    fcr,
    nps,
    nps_by,
    proportion,
    scorecard,
    survey_by,
    verdict,
)
from servicekit.presets import handbook

#: three months of answers: 5-point scores (a null in February) and 0–10 recommendations
SURVEY = {
    "month": ["2026-01"] * 20 + ["2026-02"] * 11 + ["2026-03"] * 32,
    "score": [5.0] * 15 + [4.0] * 3 + [2.0] * 2 + [5.0] * 5 + [3.0] * 5 + [None]
    + [4.0] * 30 + [1.0] * 2,
    "nps": [10.0] * 9 + [7.0] * 6 + [3.0] * 5 + [9.0] * 2 + [6.0] * 9
    + [10.0] * 20 + [8.0] * 10 + [0.0] * 2,
}


def gid(ax: Any, name: str) -> list[Any]:
    """The artists of ``ax`` tagged ``name``."""
    return [a for a in ax.get_children() if a.get_gid() == name]


def value_line(ax: Any) -> list[float]:
    (line,) = gid(ax, "value")
    return [float(v) for v in line.get_ydata()]


def intervals(ax: Any) -> dict[float, tuple[float, float]]:
    """Each period's drawn interval (x -> (low, high)): the band's polygon vertices at that x,
    or the bar of a period the band cannot reach (its neighbours have no interval)."""
    ys: dict[float, set[float]] = defaultdict(set)
    for artist in gid(ax, "interval"):
        if isinstance(artist, PolyCollection):
            for path in artist.get_paths():
                for x, y in path.vertices:
                    ys[float(x)].add(float(y))
        else:
            assert isinstance(artist, LineCollection)
            for (x0, y0), (x1, y1) in artist.get_segments():
                assert x0 == x1
                ys[float(x0)] |= {float(y0), float(y1)}
    assert all(len(v) <= 2 for v in ys.values())  # no vertex but the two bounds
    return {x: (min(v), max(v)) for x, v in ys.items()}


def ticks(ax: Any) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def nan_to_none(values: list[float]) -> list[float | None]:
    return [None if math.isnan(v) else v for v in values]


def test_m01_csat_trend_draws_each_rows_value_and_interval(frame_constructor: Any) -> None:
    """A ``csat_by`` table of any backend, and ``survey_by``'s with ``prefix="csat_"``: the
    line holds 100 × value, the band's vertices at each month are 100 × ci_low and
    100 × ci_high, the months in the table's order with n beneath, the target at 90 %."""
    frame = frame_constructor(SURVEY)
    table = csat_by(frame, "score", by="month")
    expected = rows(table)
    assert [r["month"] for r in expected] == ["2026-01", "2026-02", "2026-03"]
    for drawn in (csat_trend(table, target=0.90),
                  csat_trend(survey_by(frame, by="month", csat="score", nps="nps"),
                             prefix="csat_", target=handbook.targets()["csat"])):
        assert isinstance(drawn, Figure)
        (ax,) = drawn.axes
        assert value_line(ax) == [100 * r["value"] for r in expected]
        assert intervals(ax) == {float(i): (100 * r["ci_low"], 100 * r["ci_high"])
                                 for i, r in enumerate(expected)}
        assert ticks(ax) == [f"{r['month']}\nn={r['n']}" for r in expected]
        (target,) = gid(ax, "target")
        assert list(target.get_ydata()) == [90.0, 90.0]
        assert target.get_linestyle() == "--"
        assert ax.get_ylim() == (0.0, 100.0)
        assert ax.get_xlabel() == "month"


def test_m03_nps_trend_from_a_table_and_from_the_scalar_results() -> None:
    """``nps_by``'s rows and a mapping of months to ``nps(...)`` draw the same figure, in
    points on −100 … 100 with a zero line."""
    by_month: dict[str, list[float]] = defaultdict(list)
    for month, score in zip(SURVEY["month"], SURVEY["nps"], strict=True):
        by_month[month].append(score)
    results = {month: nps(scores) for month, scores in by_month.items()}
    import polars as pl

    table = nps_by(pl.DataFrame(SURVEY), "nps", by="month")
    for fig in (nps_trend(results), nps_trend(rows(table))):
        (ax,) = fig.axes
        assert value_line(ax) == [r.value for r in results.values()]
        assert intervals(ax) == {float(i): (r.ci_low, r.ci_high)
                                 for i, r in enumerate(results.values())}
        assert ax.get_ylim() == (-100.0, 100.0)
        (zero,) = gid(ax, "zero")
        assert list(zero.get_ydata()) == [0.0, 0.0]
        assert gid(ax, "target") == []
    assert ticks(nps_trend(results).axes[0]) == [f"{m}\nn={r.n}" for m, r in results.items()]


def test_m01_csat_trend_of_scalar_results_keeps_the_mappings_order() -> None:
    results = {"Mar": csat([5, 5, 4, 2]), "Jan": csat([5] * 9 + [1]), "Feb": csat([3, 4])}
    (ax,) = csat_trend(results).axes
    assert ticks(ax) == ["Mar\nn=4", "Jan\nn=10", "Feb\nn=2"]
    assert value_line(ax) == [100 * r.value for r in results.values() if r.value is not None]


def test_a_period_without_answers_is_a_gap_and_a_lone_interval_a_bar() -> None:
    """No value in February: the line breaks there, January and March (each alone) get a bar
    from their low to their high bound; April and May share one band."""
    table = [
        {"month": "Jan", "value": 0.80, "ci_low": 0.70, "ci_high": 0.88, "n": 50},
        {"month": "Feb", "value": None, "ci_low": None, "ci_high": None, "n": 0},
        {"month": "Mar", "value": 0.90, "ci_low": 0.85, "ci_high": 0.94, "n": 200},
        {"month": "Apr", "value": 0.75, "ci_low": None, "ci_high": None, "n": 1},
        {"month": "May", "value": 0.91, "ci_low": 0.88, "ci_high": 0.93, "n": 400},
        {"month": "Jun", "value": 0.92, "ci_low": 0.90, "ci_high": 0.94, "n": 420},
    ]
    (ax,) = csat_trend(table).axes
    assert nan_to_none(value_line(ax)) == [80.0, None, 90.0, 75.0, 91.0, 92.0]
    assert intervals(ax) == {0.0: (70.0, 88.0), 2.0: (85.0, 94.0), 4.0: (88.0, 93.0),
                             5.0: (90.0, 94.0)}
    (bars,) = [a for a in gid(ax, "interval") if isinstance(a, LineCollection)]
    assert [s.tolist() for s in bars.get_segments()] == [[[0.0, 70.0], [0.0, 88.0]],
                                                         [[2.0, 85.0], [2.0, 94.0]]]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(
    st.none(),
    st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.integers(1, 10_000)),
), min_size=1, max_size=12))
def test_the_drawn_values_and_intervals_are_the_tables(periods: list[Any]) -> None:
    """Any table of shares: the line is 100 × each value (a gap where there is none) and
    every period with bounds is drawn from 100 × low to 100 × high, nothing else."""
    table = []
    for i, period in enumerate(periods):
        if period is None:
            table.append({"p": i, "value": None, "ci_low": None, "ci_high": None, "n": 0})
            continue
        low, value, high = sorted(period[:3])
        table.append({"p": i, "value": value, "ci_low": low, "ci_high": high, "n": period[3]})
    (ax,) = metric_trend(table, x="p").axes
    assert nan_to_none(value_line(ax)) == [None if r["value"] is None else 100 * r["value"]
                                           for r in table]
    assert intervals(ax) == {float(i): (100 * r["ci_low"], 100 * r["ci_high"])
                             for i, r in enumerate(table) if r["ci_low"] is not None}
    assert ticks(ax) == [f"{i}\nn={r['n']}" for i, r in enumerate(table)]


def test_metric_trend_draws_values_off_0_1_as_they_are() -> None:
    """Mean scores (not shares): no scaling unless asked; ``n=None`` leaves the labels bare."""
    table = [{"week": "w1", "mean": 4.2, "lo": 4.0, "hi": 4.4},
             {"week": "w2", "mean": 4.6, "lo": 4.5, "hi": 4.7}]
    (ax,) = metric_trend(table, x="week", value="mean", low="lo", high="hi", n=None,
                         target=4.5, title="Touchpoint").axes
    assert value_line(ax) == [4.2, 4.6]
    assert intervals(ax) == {0.0: (4.0, 4.4), 1.0: (4.5, 4.7)}
    assert ticks(ax) == ["w1", "w2"]
    assert list(gid(ax, "target")[0].get_ydata()) == [4.5, 4.5]
    assert ax.get_title() == "Touchpoint"
    shares = [{"month": "m", "value": 0.5, "ci_low": 0.4, "ci_high": 0.6, "n": 9}]
    assert value_line(metric_trend(shares, percent=False).axes[0]) == [0.5]
    assert value_line(metric_trend(shares).axes[0]) == [50.0]


def test_points_are_coloured_by_their_verdict_against_the_target() -> None:
    """M-11 negative words ≤ 2 % (``at_most``): each period's point has the colour of
    ``verdict(low, high, 0.02, at_most=True)``, and a Target's ``min_n`` makes a small period
    "not enough data" whatever its interval."""
    table = [
        {"month": "Jan", "value": 0.010, "ci_low": 0.005, "ci_high": 0.015, "n": 900},
        {"month": "Feb", "value": 0.040, "ci_low": 0.030, "ci_high": 0.050, "n": 900},
        {"month": "Mar", "value": 0.019, "ci_low": 0.010, "ci_high": 0.030, "n": 900},
        {"month": "Apr", "value": 0.011, "ci_low": 0.006, "ci_high": 0.016, "n": 40},
    ]
    statuses = {"met": [0], "missed": [1], "not enough data": [2, 3]}
    by_rule = [{True: "met", False: "missed", None: "not enough data"}[
        verdict(r["ci_low"], r["ci_high"], 0.02, at_most=True)] for r in table]
    assert by_rule == ["met", "missed", "not enough data", "met"]  # Apr: n under min_n
    target = Target(metric="negative_words", at_most=0.02, min_n=100)
    for drawn in (metric_trend(table, target=target), metric_trend(
            table[:3], target=0.02, at_most=True)):
        (ax,) = drawn.axes
        count = len(drawn.axes[0].get_xticklabels())
        for status, indices in statuses.items():
            chosen = [i for i in indices if i < count]
            (points,) = gid(ax, f"status:{status}")
            assert [float(x) for x, _ in points.get_offsets()] == chosen
            assert same_color(points.get_facecolor()[0], STATUS_COLOURS[status])
        (line,) = gid(ax, "target")
        assert list(line.get_ydata()) == [2.0, 2.0]
        assert line.get_label() == "target ≤ 2 %"


def scale_of(unit: str) -> float:
    return {"share": 100.0, "seconds": 1 / 3600}.get(unit, 1.0)


def test_m01_to_m14_scorecard_chart_draws_each_row_in_its_status_colour() -> None:
    """The handbook's targets: one strip per row in the card's order; a row with a value has
    its point and error bar in its status' colour, the target tick at the bound in the drawn
    unit (90 %, 2 h, 15 days …) and its status written beside it; a row without data says so
    and draws nothing."""
    results = {
        "csat": csat([5] * 470 + [3] * 30),  # 94 % of 500: met
        "fcr": fcr([True] * 12),  # 12 answers: not enough data
        "afrt": Mean(n=50, value=9000.0, ci_low=8000.0, ci_high=10_000.0, unit="seconds"),
        "negative_words": proportion(2, 800, metric="negative_words"),  # 0.25 %: met
        "survey_answers": 620,  # a count: met, no interval
        "knowledge_base_age": 21,  # days: missed
    }
    card = scorecard(results, handbook.targets())
    assert {r.status for r in card.rows} == {"met", "missed", "not enough data", "no data"}
    bounds = {"csat": 90.0, "fcr": 85.0, "afrt": 2.0, "negative_words": 2.0,
              "survey_answers": 500.0, "knowledge_base_age": 15.0}
    fig = scorecard_chart(card, title="Q3")
    assert isinstance(fig, Figure)
    assert fig.get_suptitle() == "Q3"
    strips, sides = fig.axes[0::2], fig.axes[1::2]
    assert len(strips) == len(sides) == len(card.rows)
    for ax, side, row in zip(strips, sides, card.rows, strict=True):
        assert ax.get_ylabel() == f"{row.rule} {row.metric}\ntarget {row.target}"
        colour = STATUS_COLOURS[row.status]
        if row.status == "no data":
            assert gid(ax, "value") == gid(ax, "target") == gid(side, "status") == []
            assert [t.get_text() for t in gid(ax, "no data")] == ["no data"]
            continue
        assert row.value is not None
        factor = scale_of(row.unit)
        (point,) = gid(ax, "value")
        assert list(point.get_xdata()) == pytest.approx([row.value * factor])
        assert same_color(point.get_color(), colour)
        bars = gid(ax, "interval")
        if row.ci_low is None or row.ci_high is None:
            assert bars == []
        else:
            (bar,) = bars
            ((low, _), (high, _)), = bar.get_segments()
            assert (low, high) == pytest.approx((row.ci_low * factor, row.ci_high * factor))
            assert same_color(bar.get_color()[0], colour)
        (tick,) = gid(ax, "target")
        assert list(tick.get_xdata()) == pytest.approx([bounds[row.metric]] * 2)
        left, right = ax.get_xlim()
        assert left <= min(bounds[row.metric], row.value * factor) <= right
        (status,) = gid(side, "status")
        assert status.get_text().split("\n")[0] == row.status
        assert same_color(status.get_color(), colour)


def test_a_target_in_minutes_is_drawn_in_hours() -> None:
    """``Target.describe()`` writes 1,800 s as "≤ 30 min": the tick is at 0.5 h."""
    target = Target(metric="afrt", at_most=1800, unit="seconds")
    card = scorecard({"afrt": Mean(n=80, value=1500.0, ci_low=1300.0, ci_high=1700.0,
                                   unit="seconds")}, [target])
    assert card.rows[0].target == "≤ 30 min"
    ax = scorecard_chart(card).axes[0]
    assert list(gid(ax, "target")[0].get_xdata()) == pytest.approx([0.5, 0.5])
    assert same_color(gid(ax, "value")[0].get_color(), STATUS_COLOURS["met"])


GOOD = [{"month": "Jan", "value": 0.9, "ci_low": 0.8, "ci_high": 0.95, "n": 100}]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: csat_trend([{"month": "Jan", "value": 0.9, "ci_high": 0.95, "n": 10}]),
     "no column 'ci_low'"),
    (lambda: csat_trend(GOOD, x="week"), "no column 'week'"),
    (lambda: csat_trend([{**GOOD[0], "value": "Zhang Wei"}]), "column 'value' must hold numbers"),
    (lambda: csat_trend([{**GOOD[0], "n": 2.5}]), "column 'n' must hold counts"),
    (lambda: csat_trend([{**GOOD[0], "value": 94.0}]), "shares 0 … 1"),
    (lambda: csat_trend(GOOD * 2), "column 'month' repeats a period"),
    (lambda: csat_trend([]), "no rows"),
    (lambda: csat_trend({"Jan": nps([10, 9])}), "must be a Proportion"),
    (lambda: csat_trend({}), "holds no results"),
    (lambda: csat_trend(GOOD, target=90), "target must be a share"),
    (lambda: csat_trend(GOOD, prefix=None), "prefix"),  # type: ignore[arg-type]
    (lambda: nps_trend({"Jan": csat([5])}), "must be a NpsResult"),
    (lambda: nps_trend(GOOD, target=150), "target must be in points"),
    (lambda: metric_trend(GOOD, target="high"), "target must be a number or a Target"),
    (lambda: metric_trend(GOOD, at_most=True), "at_most needs a target"),
    (lambda: metric_trend(GOOD, target=Target(metric="csat", at_least=0.9), at_most=True),
     "at_most contradicts"),
    (lambda: metric_trend(GOOD, percent="yes"), "percent"),  # type: ignore[arg-type]
    (lambda: metric_trend(GOOD, value=""), "value must be a column name"),
    (lambda: metric_trend({"Jan": "Zhang Wei"}), "got str"),
    (lambda: metric_trend("month,value"), "expected a data frame or an iterable"),
    (lambda: scorecard_chart({"csat": 0.9}), "expected a Scorecard"),  # type: ignore[arg-type]
    (lambda: scorecard_chart(Scorecard(rows=())), "no rows"),
])
def test_bad_input_is_refused_naming_the_argument_never_a_value(call: Any,
                                                                message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        call()
    assert "Zhang Wei" not in str(caught.value)
    assert "0.9" not in str(caught.value).replace("0.9 for 90 %", "")


def test_a_frame_missing_a_column_names_it() -> None:
    import polars as pl

    table = csat_by(pl.DataFrame(SURVEY), "score", by="month")
    with pytest.raises(InvalidInputError, match="csat_trend: no column 'month'"):
        csat_trend(table.rename({"month": "period"}))
    assert value_line(csat_trend(table.rename({"month": "period"}), x="period").axes[0]) == [
        100 * v for v in table["value"].to_list()]
    assert np.isfinite(value_line(nps_trend(nps_by(pl.DataFrame(SURVEY), "nps",
                                                   by="month")).axes[0])).all()
