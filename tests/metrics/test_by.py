"""The metrics per group of a frame (issue 13): every backend, and exactly the scalar results.

Each test runs once per frame backend of the shared ``frame_constructor`` fixture (pandas,
polars, pyarrow, DuckDB, Dask, PySpark; ``tests/conftest.py``). A row of ``csat_by``,
``nps_by`` or ``fcr_by`` is compared with ``==`` to the scalar ``csat``, ``nps`` or ``fcr`` of
its group's answers: the closed-form intervals are the same operations in the same order on
every engine, the beta ones the same numpy code.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frame_rows import rows
from servicekit.errors import InvalidInputError
from servicekit.metrics import csat, csat_by, fcr, fcr_by, nps, nps_by, proportion_by

LAZY = {"duckdb", "dask", "pyspark"}

AGENTS = ["ana", "bo", "cy"]
SCORES = [5, 4, 3, 5, 1, 2, 5, 5, 4, None, 3, 5, 4, 4, 5, 1, 9, 0]  # 9 and 0: off the 5 points
NPS = [10, 9, 8, 7, 6, 0, 10, 10, 3, None, 9, 8, 7, 10, 11, 2, 5, 9]  # 11: off the scale
FCR = [True, False, True, True, None, True, False, True, True, True, False, True, True, None,
       True, True, False, True]


def survey() -> dict[str, list[Any]]:
    n = len(SCORES)
    return {"agent": [AGENTS[i % 3] for i in range(n)], "month": [1 + (i % 2) for i in range(n)],
            "score": [None if s is None else float(s) for s in SCORES],
            "nps": [None if s is None else float(s) for s in NPS], "fcr": FCR}


def groups(column: str, keys: tuple[str, ...]) -> dict[tuple[Any, ...], list[Any]]:
    data = survey()
    out: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for i, value in enumerate(data[column]):
        out[tuple(data[k][i] for k in keys)].append(value)
    return dict(out)


def valid(values: list[Any], low: float, high: float) -> list[Any]:
    return [v for v in values if v is None or low <= v <= high]


@pytest.mark.parametrize("method", ["wilson", "agresti-coull", "jeffreys", "clopper-pearson",
                                    "wald"])
def test_m01_csat_by_is_the_scalar_csat_of_each_group(frame_constructor: Any,
                                                      method: str) -> None:
    result = csat_by(frame_constructor(survey()), "score", by=["agent", "month"],
                     method=method)
    got = rows(result)
    expected = groups("score", ("agent", "month"))
    assert [(r["agent"], r["month"]) for r in got] == sorted(expected)
    for r in got:
        answers = expected[(r["agent"], r["month"])]
        ref = csat(valid(answers, 1, 5), method=method)
        assert (r["n"], r["successes"], r["missing"]) == (ref.n, ref.successes, ref.missing)
        assert r["invalid"] == len(answers) - len(valid(answers, 1, 5))
        assert (r["value"], r["mean"], r["ci_low"], r["ci_high"]) == (
            ref.value, ref.mean, ref.ci_low, ref.ci_high)


@pytest.mark.parametrize("method", ["wald", "adjusted-wald", "bootstrap"])
def test_m03_nps_by_is_the_scalar_nps_of_each_group(frame_constructor: Any,
                                                    method: str) -> None:
    got = rows(nps_by(frame_constructor(survey()), "nps", by="agent", method=method,
                      resamples=500))
    expected = groups("nps", ("agent",))
    assert [r["agent"] for r in got] == AGENTS
    for r in got:
        answers = expected[(r["agent"],)]
        ref = nps(valid(answers, 0, 10), method=method, resamples=500)
        assert (r["n"], r["promoters"], r["passives"], r["detractors"], r["missing"]) == (
            ref.n, ref.promoters, ref.passives, ref.detractors, ref.missing)
        assert r["invalid"] == len(answers) - len(valid(answers, 0, 10))
        assert (r["value"], r["margin_of_error"], r["ci_low"], r["ci_high"]) == (
            ref.value, ref.margin_of_error, ref.ci_low, ref.ci_high)


def test_m02_fcr_by_and_the_whole_frame_without_groups(frame_constructor: Any) -> None:
    [overall] = rows(fcr_by(frame_constructor(survey()), "fcr"))
    ref = fcr(FCR)
    assert (overall["n"], overall["successes"], overall["missing"], overall["invalid"]) == (
        ref.n, ref.successes, ref.missing, 0)
    assert (overall["value"], overall["ci_low"], overall["ci_high"]) == (
        ref.value, ref.ci_low, ref.ci_high)
    by_month = rows(fcr_by(frame_constructor(survey()), "fcr", by="month",
                           method="jeffreys", confidence=0.9))
    for r in by_month:
        ref = fcr(groups("fcr", ("month",))[(r["month"],)], method="jeffreys", confidence=0.9)
        assert (r["value"], r["ci_low"], r["ci_high"]) == (ref.value, ref.ci_low, ref.ci_high)


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
def test_a_lazy_frame_comes_back_lazy_and_an_eager_one_eager(frame_constructor: Any,
                                                              method: str) -> None:
    import narwhals as nw

    data = frame_constructor(survey())
    result = csat_by(data, "score", by="agent", method=method)
    assert type(result).__module__.split(".")[0] == type(data).__module__.split(".")[0]
    lazy = isinstance(nw.from_native(result), nw.LazyFrame)
    assert lazy == (frame_constructor.backend in LAZY)


def test_a_group_with_only_missing_answers_has_no_value(frame_constructor: Any) -> None:
    data = {"agent": ["a", "a", "b"], "score": [None, None, 4.0]}
    got = rows(csat_by(frame_constructor(data), by="agent", method="jeffreys"))
    assert got[0] == {"agent": "a", "n": 0, "successes": 0, "missing": 2, "invalid": 0,
                      "value": None, "mean": None, "ci_low": None, "ci_high": None}
    assert got[1]["n"] == 1


def test_bad_columns_are_refused_naming_them(frame_constructor: Any) -> None:
    data = frame_constructor({"agent": ["secret"], "score": [4.0], "text": ["secret"]})
    with pytest.raises(InvalidInputError, match="no column 'rating'") as info:
        csat_by(data, "rating", by="agent")
    assert "secret" not in str(info.value)
    with pytest.raises(InvalidInputError, match="no column 'team'"):
        nps_by(data, "score", by=["team"])
    with pytest.raises(InvalidInputError, match="'text' must be numeric"):
        csat_by(data, "text", by="agent")
    with pytest.raises(InvalidInputError, match="group column"):
        csat_by(data, "score", by="score")


def test_arguments_are_checked_before_any_work() -> None:
    import polars as pl

    frame = pl.DataFrame({"agent": ["a"], "score": [4.0], "ok": [True]})
    for call in (lambda: csat_by(frame, method="normal"),
                 lambda: csat_by(frame, confidence=1.0),
                 lambda: csat_by(frame, scale=6),
                 lambda: csat_by(frame, satisfied=6),
                 lambda: nps_by(frame, method="wilson"),
                 lambda: fcr_by(frame, "ok", by=["agent", "agent"]),
                 lambda: csat_by([{"agent": "a", "score": 4}]),
                 lambda: csat_by(frame.filter(pl.col("score") > 10))):
        with pytest.raises(InvalidInputError):
            call()


def test_m16_other_scales_and_a_binary_column() -> None:
    import polars as pl

    frame = pl.DataFrame({"g": ["x"] * 6, "s": [7.0, 6.0, 5.0, 1.0, 6.5, 8.0],
                          "yes": [True, False, True, None, True, True]})
    [r] = rows(csat_by(frame, "s", by="g", scale=7))
    assert (r["n"], r["successes"], r["invalid"]) == (4, 2, 2)  # 6.5: not whole; 8: off
    [b] = rows(csat_by(frame, "yes", by="g", scale="binary"))
    ref = csat([True, False, True, None, True, True], scale="binary")
    assert (b["n"], b["successes"], b["missing"], b["value"]) == (
        ref.n, ref.successes, ref.missing, ref.value)
    [p] = rows(proportion_by(frame, "yes", by="g"))
    assert (p["n"], p["successes"]) == (5, 4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("pqr"),
                          st.one_of(st.none(), st.integers(0, 10))), min_size=1, max_size=60),
       st.sampled_from(["wilson", "agresti-coull", "jeffreys", "clopper-pearson", "wald"]),
       st.floats(0.5, 0.999))
def test_csat_and_nps_by_agree_with_the_scalar_path_on_any_answers(
        answers: list[tuple[str, int | None]], method: str, confidence: float) -> None:
    import polars as pl

    frame = pl.DataFrame({"g": [a for a, _ in answers], "s": [s for _, s in answers]},
                         schema={"g": pl.String, "s": pl.Int64})
    per: dict[str, list[int | None]] = defaultdict(list)
    for group, score in answers:
        per[group].append(score)
    for r in rows(csat_by(frame, "s", by="g", method=method, confidence=confidence)):
        ref = csat(valid(per[r["g"]], 1, 5), method=method, confidence=confidence)
        assert (r["value"], r["ci_low"], r["ci_high"], r["mean"]) == (
            ref.value, ref.ci_low, ref.ci_high, ref.mean)
    nps_method = "adjusted-wald" if method == "wilson" else "wald"
    for r in rows(nps_by(frame, "s", by="g", method=nps_method, confidence=confidence)):
        ref = nps(per[r["g"]], method=nps_method, confidence=confidence)
        assert (r["value"], r["ci_low"], r["ci_high"]) == (ref.value, ref.ci_low, ref.ci_high)
        assert r["value"] is None or -100 <= r["value"] <= 100
        assert r["margin_of_error"] is None or math.isfinite(r["margin_of_error"])


def test_m04_mean_by_is_the_scalar_mean_of_each_group_to_rounding(frame_constructor: Any) -> None:
    """Touchpoint scores (M-04) or first response times in seconds (M-06): the mean, the
    sample standard deviation and Student's t interval; null and NaN are missing."""
    from servicekit.metrics import mean_by
    from servicekit.metrics._mean import mean_result

    data = {"touchpoint": ["call", "call", "call", "chat", "mail", "mail", "web", "web"],
            "score": [4.0, 5.0, 3.5, 4.5, None, float("nan"), 1e4, 1e4 + 1]}
    got = rows(mean_by(frame_constructor(data), "score", by="touchpoint", confidence=0.9))
    assert [r["touchpoint"] for r in got] == ["call", "chat", "mail", "web"]
    for r in got:
        values = [v for t, v in zip(data["touchpoint"], data["score"], strict=True)
                  if t == r["touchpoint"] and v is not None and not math.isnan(v)]
        ref = mean_result(values, metric="touchpoint", confidence=0.9)
        assert (r["n"], r["missing"]) == (ref.n, len(
            [t for t in data["touchpoint"] if t == r["touchpoint"]]) - ref.n)
        for name, expected in (("value", ref.value), ("std", ref.std),
                               ("ci_low", ref.ci_low), ("ci_high", ref.ci_high)):
            if expected is None:
                assert r[name] is None
            else:
                assert r[name] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_survey_by_is_the_three_calls_in_one(frame_constructor: Any) -> None:
    from servicekit.metrics import survey_by

    data = frame_constructor(survey())
    both = rows(survey_by(data, by="agent", csat="score", nps="nps", fcr="fcr"))
    for prefix, alone in (("csat_", rows(csat_by(data, "score", by="agent"))),
                          ("nps_", rows(nps_by(data, "nps", by="agent"))),
                          ("fcr_", rows(fcr_by(data, "fcr", by="agent")))):
        assert [{k[len(prefix):]: v for k, v in r.items() if k.startswith(prefix)}
                | {"agent": r["agent"]} for r in both] == alone
    with pytest.raises(InvalidInputError, match="at least one"):
        survey_by(data, by="agent")
    with pytest.raises(InvalidInputError, match="its own column"):
        survey_by(data, by="agent", csat="score", nps="score")
