"""The edges of the metrics per group (issue 13): the bootstrap's defaults and its groups without
answers, the satisfied threshold at the scale's ends, Wilson's exact ends, the group and answer
column types each metric takes, yes/no answers written as 0 and 1, and scores that are fractions
or lie on a scale wider than 100 points (survivors of the mutation run).

Each frame test runs once per backend of the shared ``frame_constructor`` fixture and compares a
row with ``==`` to the scalar result of its group's answers, as ``test_by.py`` does.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pytest

from frame_rows import rows
from servicekit.errors import InvalidInputError
from servicekit.metrics import (
    Scale,
    csat,
    csat_by,
    fcr,
    fcr_by,
    mean_by,
    nps,
    nps_by,
    proportion_by,
    scale_of,
    survey_by,
)


def _groups(keys: list[str], values: list[Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for key, value in zip(keys, values, strict=True):
        out[key].append(value)
    return dict(out)


# -- M-03: the bootstrap per group ---------------------------------------------------------------

#: "a" has no answer at all (and sorts first); "b" is 3 promoters, 1 passive, 2 detractors and
#: "c" 7 passives, 6 detractors: counts whose bootstrap interval moves with the number of redraws
#: and with the seed, so the defaults show; "d" is one passive and one detractor (no promoter, as
#: many passives as detractors: answers, however their counts combine)
BOOTSTRAP = {"a": [None, None, None], "b": [10.0, 9.0, 10.0, 8.0, 3.0, 0.0],
             "c": [7.0, 8.0, 7.0, 8.0, 7.0, 8.0, 7.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
             "d": [8.0, 0.0]}


def _bootstrap_frame() -> dict[str, list[Any]]:
    return {"agent": [g for g, answers in BOOTSTRAP.items() for _ in answers],
            "nps": [v for answers in BOOTSTRAP.values() for v in answers]}


def test_m03_the_bootstrap_per_group_is_the_scalar_one_with_its_defaults(
        frame_constructor: Any) -> None:
    """nps_by and survey_by redraw each group as the scalar nps does, with its defaults
    (10,000 redraws, seed 0); a group whose answers are all missing has no value and no
    interval, and the groups after it still get theirs."""
    data = frame_constructor(_bootstrap_frame())
    alone = rows(nps_by(data, "nps", by="agent", method="bootstrap"))
    both = rows(survey_by(data, by="agent", nps="nps", nps_method="bootstrap"))
    assert [r["agent"] for r in alone] == [r["agent"] for r in both] == list(BOOTSTRAP)
    for r, s in zip(alone, both, strict=True):
        ref = nps(BOOTSTRAP[r["agent"]], method="bootstrap")
        expected = (ref.n, ref.missing, ref.value, ref.ci_low, ref.ci_high)
        assert (r["n"], r["missing"], r["value"], r["ci_low"], r["ci_high"]) == expected
        assert (s["nps_n"], s["nps_missing"], s["nps_value"], s["nps_ci_low"],
                s["nps_ci_high"]) == expected
    assert alone[0]["ci_low"] is None
    assert alone[3]["ci_low"] is not None


@pytest.mark.parametrize("resamples", [99, 0, True, 100.0, "10000"])
def test_m03_resamples_is_a_whole_number_of_at_least_100(resamples: object) -> None:
    """As for the scalar nps: fewer than 100 redraws, a boolean or a float is refused."""
    import polars as pl

    frame = pl.DataFrame(_bootstrap_frame())
    for call in (lambda: nps([10, 3], method="bootstrap", resamples=resamples),
                 lambda: nps_by(frame, "nps", by="agent", method="bootstrap",
                                resamples=resamples),
                 lambda: survey_by(frame, by="agent", nps="nps", nps_method="bootstrap",
                                   resamples=resamples)):
        with pytest.raises(InvalidInputError, match="resamples must be a whole number"):
            call()


def test_m03_one_hundred_redraws_are_enough() -> None:
    """The least number of redraws is taken, and redrawn with the seed given, as by nps."""
    import polars as pl

    got = rows(nps_by(pl.DataFrame(_bootstrap_frame()), "nps", by="agent",
                      method="bootstrap", resamples=100, seed=7))
    for r in got:
        ref = nps(BOOTSTRAP[r["agent"]], method="bootstrap", resamples=100, seed=7)
        assert (r["ci_low"], r["ci_high"]) == (ref.ci_low, ref.ci_high)


# -- M-01: the satisfied threshold ---------------------------------------------------------------


@pytest.mark.parametrize("satisfied", [1, 5])
def test_m01_satisfied_may_be_either_end_of_the_scale(satisfied: int) -> None:
    """Any score on the scale may be the lowest satisfied one, its ends too (1: every answer
    is satisfied; 5: only the top box), in csat_by and survey_by as in the scalar csat."""
    import polars as pl

    scores = [5, 4, 3, 5, 1, 2, None]
    frame = pl.DataFrame({"g": ["x"] * len(scores), "s": scores})
    ref = csat(scores, satisfied=satisfied)
    [r] = rows(csat_by(frame, "s", by="g", satisfied=satisfied))
    [t] = rows(survey_by(frame, by="g", csat="s", satisfied=satisfied))
    assert (r["successes"], r["value"], r["ci_low"], r["ci_high"]) == (
        t["csat_successes"], t["csat_value"], t["csat_ci_low"], t["csat_ci_high"]) == (
        ref.successes, ref.value, ref.ci_low, ref.ci_high)
    just_off = 0.5 if satisfied == 1 else 5.5
    with pytest.raises(InvalidInputError, match="satisfied must be a score"):
        csat_by(frame, "s", by="g", satisfied=just_off)


# -- shares: Wilson's ends ----------------------------------------------------------------------


def test_m02_wilson_is_exactly_0_at_no_success_and_1_at_all_per_group(
        frame_constructor: Any) -> None:
    """As the scalar path (and statsmodels) has it: 0 of 10 has the lower bound 0.0, not the
    formula's 2.8e-17, and 13 of 13 the upper bound 1.0, not 0.9999999999999999; so a target
    of at most 0 % (or at least 100 %) is never missed on a share that reaches it."""
    data = frame_constructor({"g": ["none"] * 10 + ["all"] * 13,
                              "ok": [False] * 10 + [True] * 13})
    got = {r["g"]: r for r in rows(fcr_by(data, "ok", by="g"))}
    assert got["none"]["ci_low"] == 0.0
    assert got["all"]["ci_high"] == 1.0
    for g, (k, n) in (("none", (0, 10)), ("all", (13, 13))):
        ref = fcr([True] * k + [False] * (n - k))
        assert (got[g]["ci_low"], got[g]["ci_high"]) == (ref.ci_low, ref.ci_high)


# -- the column types each metric takes ----------------------------------------------------------


def test_each_metric_refuses_a_column_of_the_wrong_type_naming_it(
        frame_constructor: Any) -> None:
    """A mean takes numbers (a yes/no column's share is proportion_by, with its interval);
    a yes/no metric takes booleans or 0/1; a booleans column is a score only on the binary
    scale, and text never. The message names the column and its type, never a value."""
    data = frame_constructor({"g": ["x", "x", "y"], "flag": [True, False, None],
                              "text": ["secret", "secret", "secret"], "score": [4.0, 5.0, 1.0]})
    refused = [(lambda: mean_by(data, "flag", by="g"), "'flag' must be numeric"),
               (lambda: mean_by(data, "text", by="g"), "'text' must be numeric"),
               (lambda: fcr_by(data, "text", by="g"), "'text' must hold booleans"),
               (lambda: proportion_by(data, "text", by="g"), "'text' must hold booleans"),
               (lambda: csat_by(data, "flag", by="g"), "'flag' must be numeric"),
               (lambda: csat_by(data, "text", by="g", scale="binary"), "'text' must be numeric")]
    for call, message in refused:
        with pytest.raises(InvalidInputError, match=message) as info:
            call()
        assert "secret" not in str(info.value)


@pytest.mark.parametrize("by", ["", [""], [3], ["agent", 3]])
def test_group_columns_are_named_by_non_empty_strings(by: object) -> None:
    """by= names columns: an empty name or a number is refused as such, before any lookup."""
    import polars as pl

    frame = pl.DataFrame({"agent": ["a"], "score": [4.0]})
    with pytest.raises(InvalidInputError, match="by must be column names"):
        csat_by(frame, "score", by=by)  # type: ignore[arg-type]


# -- M-02: yes/no answers written as numbers -----------------------------------------------------


def test_m02_yes_no_answers_may_be_0_and_1(frame_constructor: Any) -> None:
    """An integer or float column of 0 and 1 is a yes/no answer; anything else in it (2, a
    half) is invalid, a null or NaN is missing; what is left equals the scalar fcr."""
    keys = ["p", "p", "p", "p", "p", "q", "q", "q", "q"]
    whole = [1, 0, 1, 2, None, 1, 1, 0, 1]
    floats = [1.0, 0.0, 0.5, float("nan"), 1.0, 0.0, 0.0, 1.0, None]
    data = frame_constructor({"g": keys, "whole": whole, "floats": floats})
    for column, values in (("whole", whole), ("floats", floats)):
        answers = _groups(keys, values)
        got = rows(fcr_by(data, column, by="g"))
        assert [r["g"] for r in got] == ["p", "q"]
        for r in got:
            group = answers[r["g"]]
            kept = [v for v in group if v in (0, 1)]
            missing = sum(1 for v in group if v is None or math.isnan(v))
            ref = fcr([bool(v) for v in kept])
            assert (r["n"], r["successes"], r["missing"], r["invalid"]) == (
                ref.n, ref.successes, missing, len(group) - len(kept) - missing)
            assert (r["value"], r["ci_low"], r["ci_high"]) == (ref.value, ref.ci_low,
                                                               ref.ci_high)


# -- M-01 / M-16: scores judged by their scale ---------------------------------------------------

THOUSAND = Scale(name="1000-point", low=0, high=1000, satisfied=800)

#: every score a multiple of ¼, so every engine adds the means exactly
SCALED: dict[str, tuple[list[Any], object, float | None]] = {
    # percentages take fractions; 100.5 is off the scale; 79.25 is below a threshold of 79.5
    "percent": ([85.5, 79.5, 79.25, 100.0, 0.25, 100.5, None], "percent", None),
    "percent_79": ([85.5, 79.5, 79.25, 100.0, 0.25, 100.5, None], "percent", 79.5),
    # whole stars against a fractional threshold: only 5 is at least 4.5
    "stars": ([5, 4, 3, 4, 1, 5, 2], 5, 4.5),
    # a whole scale wider than 100 points: 500.5 is not a whole number, 2000 is off it
    "thousand": ([850.0, 500.5, 799.0, 1000.0, 0.0, 2000.0, None], THOUSAND, None),
}


def test_m16_scores_are_judged_by_their_scale_on_every_engine(frame_constructor: Any) -> None:
    """Fractions count on the 0–100 scales and are invalid on a point scale, however wide; a
    fractional threshold is not rounded; the mean is the mean of the valid scores as given."""
    data = frame_constructor({"g": ["x"] * 7, **{name: values for name, (values, _, _)
                                                 in SCALED.items()}})
    for name, (values, scale, satisfied) in SCALED.items():
        chosen = scale_of(scale)
        valid = [v for v in values if v is not None and chosen.low <= v <= chosen.high
                 and (not chosen.whole or v == int(v))]
        ref = csat(valid, scale=scale, satisfied=satisfied)
        [r] = rows(csat_by(data, name, by="g", scale=scale, satisfied=satisfied))
        missing = values.count(None)
        assert (r["n"], r["successes"], r["missing"], r["invalid"]) == (
            ref.n, ref.successes, missing, len(values) - len(valid) - missing), name
        assert (r["value"], r["mean"], r["ci_low"], r["ci_high"]) == (
            ref.value, ref.mean, ref.ci_low, ref.ci_high), name


# -- edges of one answer column on one engine ----------------------------------------------------


def test_m03_a_negative_zero_is_a_zero_on_every_engine(frame_constructor: Any) -> None:
    """−0.0 (what a sign flip or a rounding leaves) is the score 0, a detractor, and not an
    invalid answer: pyarrow's membership test would not match it against 0.0."""
    values = [-0.0, 0.0, 10.0, 9.0, 7.0]
    data = frame_constructor({"g": ["x"] * 5, "score": values})
    ref = nps(values)
    [r] = rows(nps_by(data, by="g"))
    assert (r["n"], r["promoters"], r["detractors"], r["invalid"]) == (
        5, ref.promoters, ref.detractors, 0)
    [c] = rows(csat_by(data, by="g", scale=11))
    assert (c["n"], c["invalid"]) == (5, 0)


def test_m01_booleans_with_a_missing_answer_on_every_engine(frame_constructor: Any) -> None:
    """A nullable boolean column (pandas' and Dask's ``boolean``) with a missing answer: the
    missing one is counted as missing, the mean is the share of the others."""
    values = [True, None, False, True]
    data = frame_constructor({"g": ["x"] * 4, "ok": values})
    [r] = rows(csat_by(data, "ok", by="g", scale="binary"))
    ref = csat([True, False, True], scale="binary")
    assert (r["n"], r["successes"], r["missing"], r["invalid"]) == (3, 2, 1, 0)
    assert (r["value"], r["mean"]) == (ref.value, ref.mean)


@pytest.mark.parametrize(("satisfied", "successes"), [(0.5, 2), (0.25, 2), (1, 2), (0, 3)])
def test_m01_a_fractional_threshold_on_booleans(frame_constructor: Any, satisfied: float,
                                                successes: int) -> None:
    """On the binary scale a threshold of ½ means "yes": a boolean is 0 or 1, so only the
    answers at or above the threshold count, as for the scalar csat."""
    values = [True, False, True]
    data = frame_constructor({"g": ["x"] * 3, "ok": values})
    [r] = rows(csat_by(data, "ok", by="g", scale="binary", satisfied=satisfied))
    ref = csat(values, scale="binary", satisfied=satisfied)
    assert (r["n"], r["successes"]) == (3, successes) == (ref.n, ref.successes)
