"""Metric targets and the scorecard (issue 13; M-01, M-02, M-04, M-06, M-07, M-11 … M-14).

A worked example per target of ``handbook.targets()``: a result clearly met, clearly missed,
and one whose interval straddles the bound ("not enough data"), the ``at_most`` targets
(M-06 AFRT, M-11, M-13's age) mirrored; plain numbers (M-12's survey answers) met or missed
outright; no result, no answers and too few answers (``min_n``). Then properties of the
verdict (monotone in the target, symmetric between ``at_least`` and ``at_most``, never on the
wrong side of the point value) and of the scorecard (the targets' order, ``of`` partitions
the metrics, its text names each metric and status and nothing else); targets as policy
(the handbook's document, round trips through JSON, YAML and TOML, every invalid target
reported with its location and type, never its value); and what ``scorecard`` refuses.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicekit.errors import InvalidInputError, PolicyError, ServiceKitError
from servicekit.errors import exception_chain as chain
from servicekit.metrics import (
    Mean,
    Proportion,
    Scorecard,
    Target,
    Targets,
    afrt,
    automation_rate,
    csat,
    fcr,
    negative_word_rate,
    nps,
    proportion,
    scorecard,
    self_service_rate,
    verdict,
)
from servicekit.metrics._mean import mean_result
from servicekit.metrics._targets import Status
from servicekit.policy import Policy
from servicekit.presets import handbook

TARGETS = handbook.targets()
METRICS = [t.metric for t in TARGETS.targets]
STATUSES: tuple[Status, ...] = get_args(Status)
#: how good a verdict is: raising an at_least target may only move a result down this scale
RANK = {"missed": 0, "not enough data": 1, "met": 2}
NEGATIVE = "这个不归我管"  # an agent message with a negative word (M-11)


def hours(*parts: float) -> list[timedelta]:
    return [timedelta(hours=h) for h in parts]


def touchpoint(*scores: float) -> Mean:
    return mean_result(list(scores), metric="touchpoint")


def records(*counts: float) -> Mean:
    return mean_result(list(counts), metric="records_per_agent_day")


#: metric -> (clearly met, clearly missed, interval straddling the bound or None for a plain
#: number); every interval is given in the comment, so the verdict can be read off it
EXAMPLES: dict[str, tuple[Any, Any, Any]] = {
    # M-01 ≥ 90 %: 94 % of 500 [91.6, 95.8], 80 % of 100 [71.1, 86.7], 91 % of 100 [83.8, 95.2]
    "csat": (csat([5] * 470 + [3] * 30), csat([5] * 80 + [2] * 20), csat([5] * 91 + [2] * 9)),
    # M-02 ≥ 85 %: 92 % of 500 [89.3, 94.1], 70 % of 100 [60.4, 78.1], 12 of 12 [75.8, 100]
    "fcr": (fcr([True] * 460 + [False] * 40), fcr([True] * 70 + [False] * 30), fcr([True] * 12)),
    # M-04 ≥ 4.5: 4.75 [4.69, 4.81], 4.25 [4.19, 4.31], 4.33 of 6 [3.48, 5.19]
    "touchpoint": (touchpoint(*[5, 5, 5, 4] * 50), touchpoint(*[4, 4, 5, 4] * 50),
                   touchpoint(5, 4, 5, 4, 5, 3)),
    # M-06 ≤ 2 h: 1 h [58.0 min, 1.03 h], 2.75 h [2.70, 2.80 h], 1.75 h of 10 [0.81, 2.69 h]
    "afrt": (afrt(hours(50 / 60, 70 / 60) * 50), afrt(hours(2.5, 3) * 50),
             afrt(hours(0.5, 3) * 5)),
    # M-07 ≥ 70 %: 76 % of 1000 [73.3, 78.5], 65 % [62.0, 67.9], 72 % [69.1, 74.7]
    "self_service_rate": (self_service_rate(760, 1000), self_service_rate(650, 1000),
                          self_service_rate(720, 1000)),
    # M-07 ≥ 50 %: 58 % of 1000 [54.9, 61.0], 30 % of 100 [21.9, 39.6], 52 % of 100 [42.3, 61.5]
    "automation_rate": (automation_rate(580, 1000), automation_rate(30, 100),
                        automation_rate(52, 100)),
    # M-11 ≤ 2 %: 0.5 % of 1000 [0.21, 1.17], 5 % of 1000 [3.8, 6.5], 1 % of 100 [0.18, 5.4]
    "negative_words": (negative_word_rate(["好的"] * 995 + [NEGATIVE] * 5),
                       proportion(50, 1000, metric="negative_words"),
                       negative_word_rate(["好的"] * 99 + [NEGATIVE])),
    # M-12 ≥ 500 answers: a count, met or missed outright
    "survey_answers": (620, 499, None),
    # M-13 ≤ 15 days since the last update: a count of days
    "knowledge_base_age": (12, 16, None),
    # M-13 ≥ 95 %: 98 % of 1000 [96.9, 98.7], 90 % of 1000 [88.0, 91.7], 96 % of 100 [90.2, 98.4]
    "faq_accuracy": (proportion(980, 1000), proportion(900, 1000), proportion(96, 100)),
    # M-14 ≥ 100 records a day: 112.5 [110.7, 114.3], 87.5 [85.7, 89.3], 101.25 of 4 [73, 129]
    "records_per_agent_day": (records(*[110, 120, 105, 115] * 10),
                              records(*[80, 90, 85, 95] * 10), records(80, 120, 95, 110)),
}


def status_of(card: Scorecard, metric: str) -> Status:
    (row,) = (r for r in card.rows if r.metric == metric)
    return row.status


# -- worked examples ---------------------------------------------------------------------------


def test_the_examples_cover_every_handbook_target() -> None:
    assert list(EXAMPLES) == METRICS


@pytest.mark.parametrize(("column", "expected"),
                         [(0, "met"), (1, "missed"), (2, "not enough data")])
def test_each_handbook_target_met_missed_or_not_enough_data(column: int,
                                                            expected: Status) -> None:
    """M-01 … M-14: a whole interval on the good side is met, on the other side missed, one
    straddling the bound is not enough data (a plain number has no such third case)."""
    results = {m: ex[column] for m, ex in EXAMPLES.items() if ex[column] is not None}
    card = scorecard(results, TARGETS)
    assert [r.metric for r in card.rows] == METRICS
    for row in card.rows:
        if row.metric not in results:
            assert row.status == "no data"
            continue
        assert row.status == expected, row.metric
        result = results[row.metric]
        if isinstance(result, (Proportion, Mean)):
            assert (row.value, row.n, row.ci_low, row.ci_high) == (
                result.value, result.n, result.ci_low, result.ci_high)
            assert row.ci_low is not None
            assert row.ci_high is not None
            inside = row.ci_low <= TARGETS[row.metric].bound <= row.ci_high
            assert inside == (expected == "not enough data"), row.metric


def test_the_handbook_targets_read_as_the_catalog_writes_them() -> None:
    """Rules catalog §5: each target's rule id, direction, bound and unit; NPS has none
    (M-03 is named in the handbooks, never given a target)."""
    shown = {t.metric: (t.rule, t.describe(), t.unit) for t in TARGETS.targets}
    assert shown == {
        "csat": ("M-01", "≥ 90 %", "share"),
        "fcr": ("M-02", "≥ 85 %", "share"),
        "touchpoint": ("M-04", "≥ 4.5", "score"),
        "afrt": ("M-06", "≤ 2 h", "seconds"),
        "self_service_rate": ("M-07", "≥ 70 %", "share"),
        "automation_rate": ("M-07", "≥ 50 %", "share"),
        "negative_words": ("M-11", "≤ 2 %", "share"),
        "survey_answers": ("M-12", "≥ 500", "count"),
        "knowledge_base_age": ("M-13", "≤ 15 days", "days"),
        "faq_accuracy": ("M-13", "≥ 95 %", "share"),
        "records_per_agent_day": ("M-14", "≥ 100", "count"),
    }
    at_most = {t.metric for t in TARGETS.targets if t.at_most is not None}
    assert at_most == {"afrt", "negative_words", "knowledge_base_age"}
    assert TARGETS["afrt"].at_most == 7200  # seconds
    assert "M-03" not in {t.rule for t in TARGETS.targets}
    assert all(t.min_n is None for t in TARGETS.targets)


def test_m06_afrt_an_at_most_target_in_seconds_mirrors_at_least() -> None:
    """M-06 ≤ 2 h on a Mean in seconds: the interval's high end under 7200 s is met, its low
    end over it missed; each bound itself counts as met (≤ is inclusive)."""
    def judge(result: Mean) -> Status:
        return status_of(scorecard({"afrt": result}, TARGETS), "afrt")

    assert judge(afrt(hours(1.5, 2) * 50)) == "met"  # 1.75 h [1.70, 1.80]
    assert judge(afrt(hours(2, 2.5) * 50)) == "missed"  # 2.25 h [2.20, 2.30]
    assert judge(afrt(hours(1.5, 2.5) * 3)) == "not enough data"
    edge = {"metric": "afrt", "unit": "seconds", "method": "t"}
    assert judge(Mean(value=7000, n=50, ci_low=6800, ci_high=7200, **edge)) == "met"
    assert judge(Mean(value=7400, n=50, ci_low=7200, ci_high=7600, **edge)) == "not enough data"
    assert judge(Mean(value=7400, n=50, ci_low=7200.5, ci_high=7600, **edge)) == "missed"
    assert judge(afrt(hours(1.5))) == "not enough data"  # one answer: a mean, no interval


def test_an_at_least_bound_counts_as_met_and_the_interval_just_under_it_straddles() -> None:
    """M-04 ≥ 4.5: an interval starting at 4.5 is met; one ending at 4.5 still reaches it."""
    def judge(low: float, high: float) -> Status:
        mean = Mean(metric="touchpoint", value=(low + high) / 2, n=80, ci_low=low,
                    ci_high=high)
        return status_of(scorecard({"touchpoint": mean}, TARGETS), "touchpoint")

    assert judge(4.5, 4.7) == "met"
    assert judge(4.3, 4.5) == "not enough data"
    assert judge(4.3, 4.49) == "missed"


def test_m11_negative_words_a_share_at_most_2_percent() -> None:
    """M-11 from ``negative_word_rate`` or ``proportion``: the mirror of an at_least share."""
    targets = [TARGETS["negative_words"]]
    assert scorecard({"negative_words": proportion(5, 1000)}, targets).of("met") == [
        "negative_words"]
    assert scorecard({"negative_words": proportion(40, 1000)}, targets).of("missed") == [
        "negative_words"]  # 4 % [2.9, 5.4]
    assert scorecard({"negative_words": proportion(2, 100)}, targets).of(
        "not enough data") == ["negative_words"]
    card = scorecard({"negative_words": negative_word_rate([NEGATIVE, "好的", None] * 10)},
                     targets)
    assert (card.rows[0].status, card.rows[0].n) == ("missed", 20)  # 50 % of 20, 10 missing


def test_m12_m13_plain_numbers_are_met_or_missed_outright() -> None:
    """M-12: 620 survey answers meet ≥ 500, 499 miss it, 500 is met; M-13: 15 days is met,
    16 missed. A number has no interval and no n: the row says so."""
    def row(metric: str, value: float) -> Any:
        return scorecard({metric: value}, TARGETS).rows[METRICS.index(metric)]

    for metric, value, expected in [("survey_answers", 620, "met"),
                                    ("survey_answers", 499, "missed"),
                                    ("survey_answers", 500, "met"),
                                    ("survey_answers", 500.0, "met"),
                                    ("knowledge_base_age", 15, "met"),
                                    ("knowledge_base_age", 16, "missed"),
                                    ("knowledge_base_age", 0.5, "met"),
                                    ("records_per_agent_day", 99.9, "missed")]:
        found = row(metric, value)
        assert (found.metric, found.status) == (metric, expected)
        assert (found.value, found.n, found.ci_low, found.ci_high) == (value, None, None, None)
        assert isinstance(found.value, float)


def test_no_result_and_no_answers_are_no_data() -> None:
    """A target without a result, or with a result of n = 0 (no answers, every answer
    missing), is "no data", whatever the target asks."""
    card = scorecard({}, TARGETS)
    assert card.of("no data") == METRICS
    assert all((r.value, r.n, r.ci_low, r.ci_high) == (None, None, None, None)
               for r in card.rows)
    empty: dict[str, Any] = {
        "csat": csat([None, None]), "fcr": fcr([]), "touchpoint": touchpoint(),
        "afrt": afrt([None]), "negative_words": negative_word_rate([None]),
        "faq_accuracy": proportion(0, 0),
    }
    card = scorecard(empty, TARGETS)
    assert card.of("no data") == METRICS
    assert [r.n for r in card.rows if r.metric in empty] == [0] * len(empty)
    nps_target = [Target(metric="nps", rule="M-03", at_least=0, unit="points")]
    assert scorecard({"nps": nps([])}, nps_target).of("no data") == ["nps"]
    assert scorecard({"nps": nps([10] * 300 + [7] * 50)}, nps_target).of("met") == ["nps"]


def test_min_n_fewer_answers_than_it_asks_are_not_enough_data() -> None:
    """``min_n`` (M-12's 500 per quarterly review as a CSAT's minimum): under it, even a
    clear verdict is not enough data; at it, the interval decides."""
    target = Target(metric="csat", rule="M-01", at_least=0.90, min_n=500)
    clear_met = csat([5] * 470 + [3] * 29)  # 499 answers, [91.6, 95.8]
    clear_missed = csat([5] * 80 + [2] * 20)
    assert scorecard({"csat": clear_met}, [target]).of("not enough data") == ["csat"]
    assert scorecard({"csat": clear_missed}, [target]).of("not enough data") == ["csat"]
    assert scorecard({"csat": csat([5] * 470 + [3] * 30)}, [target]).of("met") == ["csat"]
    assert scorecard({"csat": csat([5] * 400 + [2] * 100)}, [target]).of("missed") == ["csat"]
    assert scorecard({"csat": csat([])}, [target]).of("no data") == ["csat"]
    one = Target(metric="csat", at_least=0.90, min_n=1)
    assert scorecard({"csat": clear_met}, [one]).of("met") == ["csat"]


def test_the_scorecard_reads_in_each_targets_unit() -> None:
    results = {m: ex[0] for m, ex in EXAMPLES.items()}
    lines = str(scorecard(results, TARGETS)).splitlines()
    assert len(lines) == len(METRICS)
    by_metric = {line.split()[1]: line for line in lines}
    assert by_metric["csat"].split() == ["M-01", "csat", "≥", "90", "%", "met", "94.0", "%",
                                         "[91.6", "%,", "95.8", "%]", "n=500"]
    assert "≤ 2 h" in by_metric["afrt"]
    assert "1.0 h [58.0 min, 1.0 h] n=100" in by_metric["afrt"]
    assert by_metric["survey_answers"].split() == ["M-12", "survey_answers", "≥", "500", "met",
                                                   "620"]
    assert "≤ 15 days" in by_metric["knowledge_base_age"]
    assert "12.0 days" in by_metric["knowledge_base_age"]
    assert "4.8 [4.7, 4.8] n=200" in by_metric["touchpoint"]
    assert "no data          —" in str(scorecard({}, [TARGETS["csat"]]))


# -- properties --------------------------------------------------------------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False)
intervals = st.tuples(finite, finite).map(sorted)


def rank(found: bool | None) -> int:
    return 0 if found is False else 1 if found is None else 2


@given(interval=intervals, t1=finite, t2=finite)
def test_raising_an_at_least_target_never_improves_the_verdict(
        interval: list[float], t1: float, t2: float) -> None:
    """Raising an at_least target never turns missed into met (nor into not enough data),
    and raising an at_most target never makes a verdict worse."""
    low, high = interval
    lower, higher = sorted((t1, t2))
    assert rank(verdict(low, high, higher)) <= rank(verdict(low, high, lower))
    assert rank(verdict(low, high, higher, at_most=True)) >= rank(
        verdict(low, high, lower, at_most=True))


@given(interval=intervals, t=finite)
def test_at_most_is_at_least_mirrored(interval: list[float], t: float) -> None:
    """≤ t on [low, high] says what ≥ −t says on [−high, −low]."""
    low, high = interval
    assert verdict(low, high, t, at_most=True) == verdict(-high, -low, -t)
    assert verdict(low, high, t) == verdict(-high, -low, -t, at_most=True)


means = st.tuples(finite, finite, finite, st.integers(2, 10_000)).map(
    lambda v: Mean(metric="m", value=sorted(v[:3])[1], ci_low=min(v[:3]), ci_high=max(v[:3]),
                   n=v[3]))


@given(mean=means, t1=finite, t2=finite)
def test_scorecard_verdicts_are_monotone_in_the_target(mean: Mean, t1: float, t2: float) -> None:
    lower, higher = sorted((t1, t2))
    for at, direction in (("at_least", 1), ("at_most", -1)):
        at_lower, at_higher = (
            scorecard({"m": mean}, [Target(metric="m", unit="score", **{at: t})]).rows[0]
            for t in (lower, higher))
        assert direction * RANK[at_higher.status] <= direction * RANK[at_lower.status]


@given(mean=means, t=finite)
def test_scorecard_at_least_and_at_most_are_symmetric(mean: Mean, t: float) -> None:
    assert mean.value is not None
    assert mean.ci_low is not None
    assert mean.ci_high is not None
    mirrored = Mean(metric="m", value=-mean.value, ci_low=-mean.ci_high,
                    ci_high=-mean.ci_low, n=mean.n)
    up = scorecard({"m": mean}, [Target(metric="m", at_least=t, unit="score")])
    down = scorecard({"m": mirrored}, [Target(metric="m", at_most=-t, unit="score")])
    assert up.rows[0].status == down.rows[0].status


@given(mean=means, t=finite, at_most=st.booleans())
def test_met_and_missed_agree_with_the_point_value(mean: Mean, t: float, at_most: bool) -> None:
    """A verdict of met puts the point value on the good side of the bound, missed on the
    other: an interval never overrules the value it surrounds."""
    assert mean.value is not None
    bound = {"at_most" if at_most else "at_least": t}
    (row,) = scorecard({"m": mean}, [Target(metric="m", unit="score", **bound)]).rows
    good = mean.value <= t if at_most else mean.value >= t
    if row.status == "met":
        assert good
    if row.status == "missed":
        assert not good


@given(n=st.integers(2, 5000), data=st.data(), at_most=st.booleans(),
       method=st.sampled_from(["wilson", "agresti-coull", "clopper-pearson"]))
def test_a_share_met_or_missed_agrees_with_its_value(n: int, data: st.DataObject,
                                                     at_most: bool, method: str) -> None:
    """As above on shares (every success count strictly between 0 and n)."""
    k = data.draw(st.integers(1, n - 1))
    t = data.draw(st.floats(0, 1))
    share = proportion(k, n, metric="csat", method=method)
    assert share.value is not None
    bound = {"at_most" if at_most else "at_least": t}
    (row,) = scorecard({"csat": share}, [Target(metric="csat", **bound)]).rows
    good = share.value <= t if at_most else share.value >= t
    if row.status == "met":
        assert good
    if row.status == "missed":
        assert not good


results = st.one_of(
    means,
    st.builds(lambda k, extra: proportion(k, k + extra), st.integers(0, 2000),
              st.integers(0, 2000)),
    # plain numbers within 0-1: a share target refuses a number off its range
    st.integers(0, 1),
    st.floats(0, 1, allow_nan=False),
)


@given(chosen=st.permutations(TARGETS.targets),
       found=st.dictionaries(st.sampled_from(METRICS), results))
def test_rows_keep_the_targets_order_and_of_partitions_the_metrics(
        chosen: list[Target], found: dict[str, Any]) -> None:
    """One row per target, in the targets' order (not the results'); each metric is in
    exactly one ``of(status)``, each list in that order too; a given list of targets is
    judged as a ``Targets`` holding them."""
    card = scorecard(found, chosen)
    order = [t.metric for t in chosen]
    assert [r.metric for r in card.rows] == order
    for row, target in zip(card.rows, chosen, strict=True):  # each row carries its bound
        assert (row.rule, row.target, row.bound, row.at_most, row.unit) == (
            target.rule, target.describe(), target.bound, target.at_most is not None,
            target.unit)
    assert card == scorecard(found, Targets(name="x", targets=tuple(chosen)))
    assert card == scorecard(dict(reversed(found.items())), iter(chosen))
    groups = {s: card.of(s) for s in STATUSES}
    assert sorted(m for g in groups.values() for m in g) == sorted(order)
    for members in groups.values():
        assert members == [m for m in order if m in members]
    assert set(groups["no data"]) >= set(order) - set(found)


@given(found=st.dictionaries(st.sampled_from(METRICS), results))
def test_the_scorecards_text_names_every_metric_and_status_and_no_personal_data(
        found: dict[str, Any]) -> None:
    """One line per target naming its rule, metric, target and status; a result that no
    target asks for (a customer's figure under their name and phone) and a result's own
    label never appear."""
    private = "张伟 13800138000"
    labelled = {m: r.model_copy(update={"metric": private})
                if isinstance(r, (Mean, Proportion)) else r for m, r in found.items()}
    labelled[private] = 4242.5
    card = scorecard(labelled, TARGETS)
    lines = str(card).splitlines()
    assert len(lines) == len(card.rows) == len(METRICS)
    for line, row in zip(lines, card.rows, strict=True):
        assert line.split()[:2] == [row.rule, row.metric]
        assert f" {row.target} " in line
        assert f" {row.status} " in line
    text = str(card)
    assert "张伟" not in text
    assert "13800138000" not in text


# -- targets are policy ------------------------------------------------------------------------

CUSTOM = Targets(
    name="desk",
    description="前台的目标",
    targets=(
        Target(metric="csat", rule="M-01", at_least=0.92, min_n=400,
               description="top-2 box, 满意"),
        Target(metric="nps", rule="M-03", at_least=30, unit="points"),
        Target(metric="afrt", rule="M-06", at_most=3600, unit="seconds", min_n=30),
        Target(metric="kb_age", rule="M-13", at_most=7, unit="days"),
        Target(metric="records", rule="M-14", at_least=120, unit="count"),
        Target(metric="effort", at_most=2.5, unit="score", description="customer effort"),
    ),
)

CUSTOM_TOML = """\
version = "desk-1"

[targets.desk]
name = "desk"
description = "前台的目标"

[[targets.desk.targets]]
metric = "csat"
rule = "M-01"
at_least = 0.92
min_n = 400
description = "top-2 box, 满意"

[[targets.desk.targets]]
metric = "nps"
rule = "M-03"
at_least = 30
unit = "points"

[[targets.desk.targets]]
metric = "afrt"
rule = "M-06"
at_most = 3600
unit = "seconds"
min_n = 30

[[targets.desk.targets]]
metric = "kb_age"
rule = "M-13"
at_most = 7
unit = "days"

[[targets.desk.targets]]
metric = "records"
rule = "M-14"
at_least = 120
unit = "count"

[[targets.desk.targets]]
metric = "effort"
at_most = 2.5
unit = "score"
description = "customer effort"
"""


def test_the_handbook_policy_holds_the_handbook_targets() -> None:
    document = handbook.policy()
    assert document.targets["handbook"] == TARGETS
    assert set(document.targets) == {"handbook"}
    for again in (Policy.from_json(document.to_json()), Policy.from_yaml(document.to_yaml())):
        assert again.targets["handbook"] == TARGETS
        results = {m: ex[2] if ex[2] is not None else ex[0] for m, ex in EXAMPLES.items()}
        assert scorecard(results, again.targets["handbook"]) == scorecard(results, TARGETS)


def test_custom_targets_round_trip_through_json_yaml_and_toml() -> None:
    document = Policy(version="desk-1", targets={"desk": CUSTOM})
    for text, load in ((document.to_json(), Policy.from_json),
                       (document.to_json(indent=None), Policy.from_json),
                       (document.to_yaml(), Policy.from_yaml),
                       (CUSTOM_TOML, Policy.from_toml)):
        again = load(text)
        assert again == document
        assert again.targets["desk"] == CUSTOM
        assert again.targets["desk"]["afrt"].min_n == 30
    written = json.loads(document.to_json())["targets"]["desk"]["targets"]
    assert written[2] == {"metric": "afrt", "rule": "M-06", "at_most": 3600.0,
                          "unit": "seconds", "min_n": 30}


def test_targets_edited_in_the_document_judge_as_edited() -> None:
    data = json.loads(handbook.policy().to_json())
    csat_target = data["targets"]["handbook"]["targets"][0]
    assert csat_target == {"metric": "csat", "rule": "M-01", "at_least": 0.9,
                           "description": "satisfied share (top-2 box)"}
    result = {"csat": csat([5] * 470 + [3] * 30)}  # [91.6, 95.8]
    assert scorecard(result, TARGETS).of("met") == ["csat"]
    csat_target["at_least"] = 0.96
    edited = Policy.from_json(json.dumps(data)).targets["handbook"]
    assert scorecard(result, edited).of("missed") == ["csat"]


def document(*targets: dict[str, Any]) -> dict[str, Any]:
    return {"version": "desk-1", "targets": {"desk": {"name": "desk", "targets": list(targets)}}}


AT = ("targets", "desk", "targets")
#: a target a policy refuses, where the problem is, its type; 4242.5 (or its digits) is the
#: value no message may repeat
INVALID: list[tuple[str, list[dict[str, Any]], tuple[str | int, ...], str]] = [
    ("no bound", [{"metric": "csat", "description": "4242.5"}], (*AT, 0), "value_error"),
    ("both bounds", [{"metric": "afrt", "at_least": 60, "at_most": 4242.5, "unit": "seconds"}],
     (*AT, 0), "value_error"),
    ("a share of 90 for 0.90", [{"metric": "csat", "at_least": 90}], (*AT, 0), "value_error"),
    ("a share off 0-1", [{"metric": "csat", "at_least": 0.9},
                         {"metric": "fcr", "at_least": 4242.5}], (*AT, 1), "value_error"),
    ("a negative share", [{"metric": "fcr", "at_most": -0.42425}], (*AT, 0), "value_error"),
    ("an NPS over 100", [{"metric": "nps", "at_least": 4242.5, "unit": "points"}],
     (*AT, 0), "value_error"),
    ("an NPS under -100", [{"metric": "nps", "at_most": -4242.5, "unit": "points"}],
     (*AT, 0), "value_error"),
    ("two targets for one metric", [{"metric": "csat", "at_least": 0.9},
                                    {"metric": "csat", "at_most": 0.42425}], AT, "value_error"),
    ("min_n 0", [{"metric": "csat", "at_least": 0.9, "min_n": 0}], (*AT, 0, "min_n"),
     "greater_than_equal"),
    ("min_n negative", [{"metric": "csat", "at_least": 0.9, "min_n": -4242}],
     (*AT, 0, "min_n"), "greater_than_equal"),
    ("an unknown unit", [{"metric": "csat", "at_least": 0.9, "unit": "4242.5"}],
     (*AT, 0, "unit"), "literal_error"),
    ("no metric", [{"metric": "", "at_least": 0.9, "description": "4242.5"}],
     (*AT, 0, "metric"), "string_too_short"),
]


def assert_never_echoed(error: BaseException, *secrets: str) -> None:
    for exc in chain(error):
        text = str(exc) + " ".join(getattr(exc, "problems", ()))
        for secret in secrets:
            assert secret not in text


@pytest.mark.parametrize(("case", "targets", "loc", "kind"), INVALID,
                         ids=[c[0] for c in INVALID])
def test_invalid_targets_are_refused_with_their_place_and_type(
        case: str, targets: list[dict[str, Any]], loc: tuple[str | int, ...], kind: str) -> None:
    data = document(*targets)
    import yaml

    for text, load in ((json.dumps(data), Policy.from_json),
                       (yaml.safe_dump(data, allow_unicode=True), Policy.from_yaml)):
        with pytest.raises(PolicyError) as info:
            load(text)
        (problem,) = info.value.problems
        assert (problem.loc, problem.type) == (loc, kind)
        assert "(line " in problem.msg
        assert_never_echoed(info.value, "4242", "42425")
    with pytest.raises(PolicyError) as info:
        Policy.model_validate(data)
    assert [(p.loc, p.type) for p in info.value.problems] == [(loc, kind)]
    assert_never_echoed(info.value, "4242", "42425")


def test_every_invalid_target_is_reported_at_once_with_its_line() -> None:
    text = """\
version: desk-1
targets:
  desk:
    name: desk
    targets:
      - metric: csat
        at_least: 4242.5
      - metric: nps
        unit: points
        at_most: -4242.5
      - metric: afrt
        unit: seconds
        at_most: 7200
        min_n: 0
"""
    with pytest.raises(PolicyError) as info:
        Policy.from_yaml(text)
    found = [(p.loc, p.type) for p in info.value.problems]
    assert found == [((*AT, 0), "value_error"), ((*AT, 1), "value_error"),
                     ((*AT, 2, "min_n"), "greater_than_equal")]
    assert [p.msg.rsplit("(line ", 1)[1] for p in info.value.problems] == ["6)", "8)", "14)"]
    assert "a share's target is between 0 and 1 (90 % is 0.90)" in str(info.value)
    assert "an NPS target is between -100 and 100" in str(info.value)
    assert_never_echoed(info.value, "4242")
    toml = CUSTOM_TOML.replace("at_least = 30\n", "at_least = 4242.5\n")
    with pytest.raises(PolicyError) as info:
        Policy.from_toml(toml)
    (problem,) = info.value.problems
    assert (problem.loc, problem.type) == ((*AT, 1), "value_error")
    assert problem.msg.endswith("(line 14)")  # the second [[targets.desk.targets]]
    assert_never_echoed(info.value, "4242")


def test_a_target_built_in_code_is_refused_as_policy_is() -> None:
    with pytest.raises(PolicyError) as info:
        Target(metric="csat", at_least=4242.5)
    assert [p.type for p in info.value.problems] == ["value_error"]
    assert_never_echoed(info.value, "4242")
    with pytest.raises(PolicyError, match="exactly one of at_least and at_most"):
        Target(metric="csat")
    with pytest.raises(PolicyError, match="exactly one of at_least and at_most"):
        Target(metric="csat", at_least=0.9, at_most=0.95)
    with pytest.raises(PolicyError) as info:
        Targets(name="desk", targets=(Target(metric="csat", at_least=0.9),
                                      Target(metric="csat", at_most=0.42425)))
    assert [(p.loc, p.type) for p in info.value.problems] == [(("targets",), "value_error")]
    assert_never_echoed(info.value, "42425")
    assert Target(metric="csat", at_least=1).bound == 1  # the share's ends are allowed
    assert Target(metric="nps", at_most=-100, unit="points").describe() == "≤ -100"
    with pytest.raises(KeyError):
        TARGETS["nps"]


# -- what scorecard refuses --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["4242.5 张伟", True, {"value": 4242.5}, [4242.5], None])
def test_a_result_that_is_not_a_result_is_refused_naming_the_metric(value: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        scorecard({"csat": csat([5] * 100), "afrt": value}, TARGETS)  # type: ignore[dict-item]
    message = str(info.value)
    assert "'afrt'" in message
    assert type(value).__name__ in message
    assert "csat" not in message
    assert isinstance(info.value, ServiceKitError)
    assert_never_echoed(info.value, "4242", "张伟")


def test_targets_as_a_plain_list_work_like_targets() -> None:
    results = {m: ex[1] for m, ex in EXAMPLES.items()}
    expected = scorecard(results, TARGETS)
    assert expected.of("missed") == METRICS
    for given_targets in (list(TARGETS.targets), tuple(TARGETS.targets),
                          (t for t in TARGETS.targets)):
        assert scorecard(results, given_targets) == expected
    assert scorecard(results, []) == Scorecard(rows=())
    assert str(scorecard(results, [])) == ""


@pytest.mark.parametrize("bad", [[{"metric": "csat", "at_least": 0.9}], ["csat"],
                                 [TARGETS["csat"], 0.9]])
def test_targets_that_are_not_targets_are_refused(bad: list[Any]) -> None:
    with pytest.raises(InvalidInputError, match="targets must be Target values"):
        scorecard({"csat": csat([5] * 100)}, bad)
