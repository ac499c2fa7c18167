"""The handbook's KPIs (issue 13): M-07 rates, M-08 weighted CSAT, M-10 SERVQUAL, M-11 the
negative-word rate, and SLA attainment from SLA reports.

A worked example per M-id, the intervals held to statsmodels, SLA attainment on real
``SlaReport``s of the handbook's policy; then properties (order does not matter, a rate stays
in [0, 1], a weighted mean stays between its scores, a match is a substring match), every bad
position reported at once, and no error repeats a value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from servicekit.calendar import BusinessCalendar
from servicekit.errors import InvalidInputError, ServiceKitError
from servicekit.errors import exception_chain as chain
from servicekit.metrics import (
    CHINESE_NEGATIVE_WORDS,
    SERVQUAL_DIMENSIONS,
    SLA_STATES,
    automation_rate,
    negative_word_rate,
    proportion,
    resolution_rate,
    self_service_rate,
    servqual,
    sla_attainment,
    weighted_csat,
)
from servicekit.presets.handbook import sla_policy
from servicekit.sla import evaluate
from servicekit.tickets import Actor, Ticket

MARK = "PII-13800138000"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def clean(exc: ServiceKitError, *private: str) -> None:
    """The error and its chain repeat no marked value."""
    for e in chain(exc):
        texts = [str(e), repr(e), *map(repr, e.args)]
        if isinstance(e, ServiceKitError):
            texts += [str(p) for p in e.problems]
        for text in texts:
            for value in (MARK, *private):
                assert value not in text


# -- M-07 ---------------------------------------------------------------------------------------

RATES: dict[str, Callable[..., Any]] = {
    "resolution_rate": resolution_rate, "self_service_rate": self_service_rate,
    "automation_rate": automation_rate}
FIELDS = {"resolution_rate": ("resolved", "received"),
          "self_service_rate": ("self_served", "total"),
          "automation_rate": ("automated", "total")}


@pytest.mark.parametrize("name", RATES)
@pytest.mark.parametrize("method", ["wilson", "agresti-coull", "jeffreys", "clopper-pearson"])
def test_m07_a_rate_is_a_share_with_statsmodels_interval(name: str, method: str) -> None:
    r = RATES[name](72, 100, method=method, confidence=0.9)
    assert (r.metric, r.value, r.successes, r.n, r.missing) == (name, 0.72, 72, 100, 0)
    sm = {"agresti-coull": "agresti_coull", "clopper-pearson": "beta"}.get(method, method)
    low, high = proportion_confint(72, 100, alpha=0.1, method=sm)
    assert r.ci_low == pytest.approx(low, abs=1e-9)
    assert r.ci_high == pytest.approx(high, abs=1e-9)
    assert r == proportion(72, 100, metric=name, method=method, confidence=0.9)


def test_m07_the_handbooks_targets() -> None:
    """H3 §4.1: 70 % self-service, 50 % automation coverage."""
    assert self_service_rate(760, 1000).meets(0.70) is True
    assert self_service_rate(720, 1000).meets(0.70) is None  # 72 % of 1000 straddles 70 %
    assert self_service_rate(60, 100).meets(0.70) is False
    assert automation_rate(560, 1000).meets(0.50) is True
    assert automation_rate(30, 100).meets(0.50) is False
    assert resolution_rate(0, 0).value is None


@pytest.mark.parametrize("name", RATES)
def test_m07_every_bad_count_is_named_at_once_never_the_value(name: str) -> None:
    part, whole = FIELDS[name]
    with pytest.raises(InvalidInputError) as caught:
        RATES[name](bad(MARK), bad(-1))
    assert [p.loc for p in caught.value.problems] == [(part,), (whole,)]
    assert "str" in str(caught.value)
    clean(caught.value)
    for k, n in ((True, 1), (1.0, 2), (None, 3), (3, 2.5)):
        with pytest.raises(InvalidInputError):
            RATES[name](bad(k), bad(n))
    with pytest.raises(InvalidInputError) as caught:
        RATES[name](5, 4)
    assert f"{part} cannot exceed {whole}" in str(caught.value)
    with pytest.raises(InvalidInputError):
        RATES[name](1, 2, method="normal-ish")
    with pytest.raises(InvalidInputError):
        RATES[name](1, 2, confidence=1.0)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.sampled_from(list(RATES)))
def test_property_m07_a_rate_stays_in_0_1_around_its_point(kn: tuple[int, int],
                                                           name: str) -> None:
    k, n = kn
    r = RATES[name](k, n)
    if n == 0:
        assert (r.value, r.ci_low, r.ci_high) == (None, None, None)
    else:
        assert r.ci_low is not None
        assert r.ci_high is not None
        # Wilson's bounds at k = 0 and k = n are 0 and 1 up to rounding (1.7e-21 at 0 of
        # 131071), as statsmodels computes them: the tolerance of test_intervals.py
        assert 0 <= r.ci_low <= k / n + 1e-12
        assert k / n - 1e-12 <= r.ci_high <= 1


# -- M-08 ---------------------------------------------------------------------------------------


def test_m08_weighted_csat_divides_by_the_sum_of_weights() -> None:
    # (5·2 + 3·1) / (2 + 1) = 13/3; the handbook's "/ number of reviews" would give 6.5, off
    # the 1–5 scale
    assert weighted_csat([(5, 2), (3, 1)]) == pytest.approx(13 / 3, rel=1e-15)
    assert (5 * 2 + 3 * 1) / 2 == 6.5


def test_m08_equals_the_handbooks_formula_when_the_weights_average_1() -> None:
    pairs = [(5, 1.5), (4, 0.5), (2, 1.0), (3, 1.0)]  # weights average 1
    handbook = sum(s * w for s, w in pairs) / len(pairs)
    assert weighted_csat(pairs) == pytest.approx(handbook, rel=1e-15)


def test_m08_on_other_scales_and_with_missing_scores() -> None:
    assert weighted_csat([(10, 1), (6, 3)], scale=10) == 7.0
    assert weighted_csat([(80, 1), (100, 1)], scale="percent") == 90.0
    # a missing score leaves its weight out too
    assert weighted_csat([(5, 1), (None, 100), (float("nan"), 3), (3, 1)]) == 4.0


def test_m08_every_bad_pair_is_reported_at_once_never_the_value() -> None:
    with pytest.raises(InvalidInputError) as caught:
        weighted_csat([(5, 1), (6, 1), bad((MARK, 1)), bad((4, MARK)), bad((4, -1)),
                       bad(MARK), bad((4, 1, 1)), (3, 1), bad((4.5, float("inf"))),
                       bad((None, "x"))])
    assert [p.loc for p in caught.value.problems] == [
        (1, 0), (2, 0), (3, 1), (4, 1), (5,), (6,), (8, 1), (8, 0), (9, 1)]
    assert "outside the 5-point scale" in str(caught.value)
    clean(caught.value, "4.5")


@pytest.mark.parametrize("pairs", [[], [(None, 1)], [(5, 0), (4, 0)]])
def test_m08_no_weight_on_any_score_is_refused(pairs: list[Any]) -> None:
    with pytest.raises(InvalidInputError, match="add up to 0"):
        weighted_csat(pairs)


def test_m08_bad_arguments() -> None:
    for call in (lambda: weighted_csat(bad(5)), lambda: weighted_csat(bad(MARK)),
                 lambda: weighted_csat([(5, 1)], scale=bad(MARK))):
        with pytest.raises(InvalidInputError) as caught:
            call()
        clean(caught.value)


scored = st.lists(st.tuples(st.integers(1, 5), st.floats(0.01, 100)), min_size=1, max_size=30)


@settings(max_examples=100, deadline=None)
@given(scored, st.floats(0.01, 1000), st.randoms(use_true_random=False))
def test_property_m08_a_weighted_mean_between_its_scores_whatever_the_weights_unit(
        pairs: list[tuple[int, float]], factor: float, rnd: Any) -> None:
    value = weighted_csat(pairs)
    scores = [s for s, _ in pairs]
    assert min(scores) - 1e-12 <= value <= max(scores) + 1e-12
    assert weighted_csat([(s, w * factor) for s, w in pairs]) == pytest.approx(value, rel=1e-12)
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    assert weighted_csat(shuffled) == pytest.approx(value, rel=1e-12)
    assert weighted_csat([(s, 1) for s in scores]) == pytest.approx(sum(scores) / len(scores))


# -- M-10 ---------------------------------------------------------------------------------------

FIVE = {"tangibles": 4, "reliability": 3, "responsiveness": 4, "assurance": 5, "empathy": 4}


def test_m10_servqual_with_equal_weights() -> None:
    assert SERVQUAL_DIMENSIONS == ("tangibles", "reliability", "responsiveness", "assurance",
                                   "empathy")
    assert servqual(FIVE) == 4.0  # (4 + 3 + 4 + 5 + 4) × 0.2


def test_m10_servqual_gaps_with_weights() -> None:
    """Perception − expectation per dimension (7-point scale), weighted as customers shared
    100 points: 10 / 30 / 20 / 20 / 20."""
    gaps = {"tangibles": (5, 6), "reliability": (4, 6), "responsiveness": (5, 5),
            "assurance": (6, 5), "empathy": (5, 6)}
    weights = {"tangibles": 0.1, "reliability": 0.3, "responsiveness": 0.2, "assurance": 0.2,
               "empathy": 0.2}
    # 0.1·(−1) + 0.3·(−2) + 0.2·0 + 0.2·1 + 0.2·(−1) = −0.7, exactly
    assert servqual(gaps, weights) == -0.7
    assert servqual({**gaps, "empathy": 4.5}, weights) == pytest.approx(-0.7 + 0.2 * 4.5 + 0.2)


def test_m10_every_problem_is_reported_at_once_and_names_are_not_repeated() -> None:
    dims = {"tangibles": MARK, "reliability": (1, 2, 3), "responsiveness": 4,
            "assurance": float("nan"), MARK: 5}
    weights = {"tangibles": -0.5, "reliability": 0.5, "responsiveness": 0.5,
               "assurance": 0.5, "empathy": bad(None)}
    with pytest.raises(InvalidInputError) as caught:
        servqual(bad(dims), bad(weights))
    assert [(p.loc, p.type) for p in caught.value.problems] == [
        (("dimensions",), "unknown_dimension"),
        (("dimensions", "tangibles"), "invalid_number"),
        (("dimensions", "reliability"), "invalid_pair"),
        (("dimensions", "assurance"), "invalid_number"),
        (("dimensions", "empathy"), "missing"),
        (("weights", "empathy"), "invalid_number"),
        (("weights", "tangibles"), "negative_weight"),
    ]
    assert "1 unknown dimension name" in str(caught.value)
    clean(caught.value)


@pytest.mark.parametrize("weights", [
    dict.fromkeys(SERVQUAL_DIMENSIONS, 0.25),
    {**dict.fromkeys(SERVQUAL_DIMENSIONS[:4], 0.25)},   # empathy missing
    dict.fromkeys(SERVQUAL_DIMENSIONS, (0.2, 0.2)),      # a weight is no pair
])
def test_m10_weights_cover_the_five_and_add_up_to_1(weights: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        servqual(FIVE, weights)


def test_m10_weights_as_shares_of_100_points_divided_by_100() -> None:
    points = {"tangibles": 10, "reliability": 32, "responsiveness": 22, "assurance": 19,
              "empathy": 17}
    assert servqual(FIVE, {k: v / 100 for k, v in points.items()}) == pytest.approx(
        sum(FIVE[k] * v for k, v in points.items()) / 100)
    with pytest.raises(InvalidInputError, match="add up to 1"):
        servqual(FIVE, points)


@settings(max_examples=100, deadline=None)
@given(st.floats(-6, 7, allow_nan=False),
       st.lists(st.integers(0, 20), min_size=5, max_size=5).filter(lambda w: sum(w) > 0),
       st.permutations(SERVQUAL_DIMENSIONS))
def test_property_m10_equal_scores_give_the_score_whatever_the_weights_and_order(
        score: float, points: list[int], order: list[str]) -> None:
    total = sum(points)
    weights = {d: p / total for d, p in zip(SERVQUAL_DIMENSIONS, points, strict=True)}
    if abs(math.fsum(weights.values()) - 1) > 1e-9:
        return
    dims = dict.fromkeys(order, score)
    assert servqual(dims, weights) == pytest.approx(score, abs=1e-9)
    gaps = dict.fromkeys(reversed(order), (score, 1.0))
    assert servqual(gaps, {d: weights[d] for d in order}) == pytest.approx(score - 1, abs=1e-9)


# -- M-11 ---------------------------------------------------------------------------------------


def test_m11_the_default_lexicon_is_chinese_service_taboo_phrases() -> None:
    assert isinstance(CHINESE_NEGATIVE_WORDS, frozenset)
    assert 20 <= len(CHINESE_NEGATIVE_WORDS) <= 30
    assert {"不知道", "没办法", "不归我管", "不可能"} <= CHINESE_NEGATIVE_WORDS
    assert all(any("\u4e00" <= c <= "\u9fff" for c in w) for w in CHINESE_NEGATIVE_WORDS)


def test_m11_the_share_of_agent_messages_with_a_negative_word() -> None:
    messages = ["您好，马上为您处理", "这个不归我管，您找别的部门", "好的，已为您退款",
                "我也不知道怎么办", None, "没办法，规定就是这样"]
    r = negative_word_rate(messages)
    assert (r.metric, r.successes, r.n, r.missing) == ("negative_words", 3, 5, 1)
    low, high = proportion_confint(3, 5, method="wilson")
    assert (r.ci_low, r.ci_high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))


def test_m11_the_two_percent_target() -> None:
    polite = ["您好，已为您处理"] * 990
    assert negative_word_rate(polite + ["不可能"] * 10).meets(0.02, at_most=True) is True
    assert negative_word_rate(polite + ["不可能"] * 50).meets(0.02, at_most=True) is False
    assert negative_word_rate(["好的"] * 10).meets(0.02, at_most=True) is None  # 0 of 10


def test_m11_a_lexicon_of_ones_own_casefolded_and_nfkc_normalised() -> None:
    lexicon = ["Impossible", "no idea"]
    messages = ["That is IMPOSSIBLE", "I have No Idea", "Happy to help", "ｉｍｐｏｓｓｉｂｌｅ"]
    r = negative_word_rate(messages, lexicon=lexicon)
    assert (r.successes, r.n) == (3, 4)
    assert negative_word_rate(["不知道"], lexicon=iter(["ＡＢＣ"])).successes == 0
    assert negative_word_rate(["xxabcxx"], lexicon=["ＡＢＣ"]).successes == 1


def test_m11_a_word_inside_a_longer_one_matches_too() -> None:
    """Substring matching (no word splitting): the price of working on Chinese as written."""
    assert negative_word_rate(["不知道您是否方便接听电话"]).successes == 1


def test_m11_every_bad_message_is_reported_at_once_never_the_value() -> None:
    with pytest.raises(InvalidInputError) as caught:
        negative_word_rate(["好的", bad(13800138000), None, bad(b"\xe4\xb8\x8d"), bad([MARK])])
    assert [p.loc for p in caught.value.problems] == [(1,), (3,), (4,)]
    clean(caught.value, "13800138000")


@pytest.mark.parametrize("lexicon", [MARK, [], ["  "], [MARK, 5], b"x", 5])
def test_m11_a_lexicon_is_a_non_empty_iterable_of_words(lexicon: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        negative_word_rate(["好的"], lexicon=bad(lexicon))
    clean(caught.value)


def test_m11_bad_arguments() -> None:
    for call in (lambda: negative_word_rate(bad(MARK)), lambda: negative_word_rate(bad(5)),
                 lambda: negative_word_rate([], method="x"),
                 lambda: negative_word_rate([], confidence=0)):
        with pytest.raises(InvalidInputError) as caught:
            call()
        clean(caught.value)


texts = st.text(alphabet="不知道办法好的您ab", max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), texts), max_size=30),
       st.lists(texts.filter(bool), min_size=1, max_size=4), st.randoms(use_true_random=False))
def test_property_m11_a_message_counts_when_a_word_is_a_substring(
        messages: list[str | None], lexicon: list[str], rnd: Any) -> None:
    r = negative_word_rate(messages, lexicon=lexicon)
    present = [m for m in messages if m is not None]
    assert (r.n, r.missing) == (len(present), len(messages) - len(present))
    assert r.successes == sum(any(w in m for w in lexicon) for m in present)
    if r.n:
        assert r.value is not None
        assert 0 <= r.value <= 1
    shuffled = list(messages)
    rnd.shuffle(shuffled)
    assert negative_word_rate(shuffled, lexicon=reversed(lexicon)) == r


# -- SLA attainment ------------------------------------------------------------------------------

POLICY = sla_policy(BusinessCalendar.always(tz="Asia/Shanghai"))
NOW = T0 + 60 * H


def p1(tid: str, channel: str = "email", at: datetime = T0) -> Ticket:
    return Ticket.open(ticket_id=tid, customer_id=MARK, channel=channel, category="billing",
                       priority="P1", subject=MARK, at=at, by=AGENT)


def reports() -> list[Any]:
    """The handbook's clocks on five tickets at T0 + 60 h: first response 4 h on email, 1
    minute on the phone; resolution 48 h for P1.

    * A: answered in 30 min, resolved in 10 h: both met;
    * B: answered in 30 min, then pending the customer: resolution paused;
    * C: cancelled after 5 minutes: both cancelled;
    * D: answered in 30 min, resolved after 50 h: resolution breached;
    * E: a phone ticket opened at T0 + 20 h, answered in 30 min: first response breached,
      resolution running (40 h of 48).
    """
    a = p1("A").reply(at=T0 + 30 * M, by=AGENT).resolve(at=T0 + 10 * H, by=AGENT,
                                                         resolution="done")
    b = p1("B").reply(at=T0 + 30 * M, by=AGENT).wait_on_customer(at=T0 + H, by=AGENT)
    c = p1("C").cancel(at=T0 + 5 * M, by=LEAD, reason="a duplicate")
    d = p1("D").reply(at=T0 + 30 * M, by=AGENT).resolve(at=T0 + 50 * H, by=AGENT,
                                                         resolution="done")
    e = p1("E", channel="phone", at=T0 + 20 * H).reply(at=T0 + 20 * H + 30 * M, by=AGENT)
    return [evaluate(POLICY, t.history, NOW) for t in (a, b, c, d, e)]


def test_sla_attainment_per_metric_from_the_handbooks_reports() -> None:
    found = reports()
    states = [{k: v.state for k, v in r.items()} for r in found]
    assert states == [
        {"first_response": "met", "resolution": "met"},
        {"first_response": "met", "resolution": "paused"},
        {"first_response": "cancelled", "resolution": "cancelled"},
        {"first_response": "met", "resolution": "breached"},
        {"first_response": "breached", "resolution": "running"},
    ]
    result = sla_attainment(found)
    assert list(result) == ["first_response", "resolution"]
    first, resolution = result["first_response"], result["resolution"]
    assert (first.successes, first.n, first.missing, first.value) == (3, 4, 1, 0.75)
    assert (resolution.successes, resolution.n, resolution.missing) == (1, 2, 3)
    assert first.metric == "sla_attainment:first_response"
    low, high = proportion_confint(3, 4, method="wilson")
    assert (first.ci_low, first.ci_high) == (pytest.approx(low, abs=1e-9),
                                             pytest.approx(high, abs=1e-9))


def test_sla_attainment_of_shaped_like_reports() -> None:
    """Any mapping of metric name to something with a state; a metric absent from a report
    is not counted there."""
    s = SimpleNamespace
    found = [{"x": s(state="met")}, {"x": s(state="breached"), "y": s(state="met")},
             {"y": s(state="running")}, {}]
    result = sla_attainment(found, method="jeffreys", confidence=0.9)
    assert {k: (v.successes, v.n, v.missing, v.method) for k, v in result.items()} == {
        "x": (1, 2, 0, "jeffreys"), "y": (1, 1, 1, "jeffreys")}
    assert sla_attainment([]) == {}
    assert sla_attainment([{"x": s(state="paused")}])["x"].value is None


def test_sla_attainment_refuses_every_bad_entry_at_once_never_the_names() -> None:
    s = SimpleNamespace
    found = [{"x": s(state="met")}, bad(MARK), {MARK: s(state=MARK)},
             {"x": s(state="met"), MARK: s()}, {"x": bad("met")}, {bad(5): s(state="met")}]
    with pytest.raises(InvalidInputError) as caught:
        sla_attainment(found)
    assert [(p.loc, p.type) for p in caught.value.problems] == [
        ((1,), "invalid_report"), ((2, 0), "invalid_status"), ((3, 1), "invalid_status"),
        ((4, 0), "invalid_status"), ((5, 0), "invalid_metric")]
    assert "unknown state" in str(caught.value)
    clean(caught.value)
    with pytest.raises(InvalidInputError):
        sla_attainment(bad(5))


states = st.sampled_from(SLA_STATES)
shaped = st.lists(st.dictionaries(st.sampled_from(["a", "b", "c"]),
                                  states.map(lambda x: SimpleNamespace(state=x))), max_size=20)


@settings(max_examples=100, deadline=None)
@given(shaped, st.randoms(use_true_random=False))
def test_property_sla_attainment_counts_met_of_decided_in_any_order(
        found: list[dict[str, Any]], rnd: Any) -> None:
    result = sla_attainment(found)
    names = {k for r in found for k in r}
    assert set(result) == names
    for name, r in result.items():
        seen = [rep[name].state for rep in found if name in rep]
        assert r.successes == seen.count("met")
        assert r.n == seen.count("met") + seen.count("breached")
        assert r.missing == len(seen) - r.n
        if r.n:
            assert r.value is not None
            assert 0 <= r.value <= 1
    shuffled = list(found)
    rnd.shuffle(shuffled)
    assert sla_attainment(shuffled) == result


@settings(max_examples=50, deadline=None)
@given(shaped, st.integers(0, 20))
def test_property_sla_attainment_rejected_input_changes_nothing(found: list[dict[str, Any]],
                                                                where: int) -> None:
    before = sla_attainment(found)
    snapshot = [{k: v.state for k, v in r.items()} for r in found]
    junk = list(found)
    junk.insert(min(where, len(junk)), {"a": SimpleNamespace(state=MARK)})
    with pytest.raises(InvalidInputError) as caught:
        sla_attainment(junk)
    clean(caught.value)
    assert [{k: v.state for k, v in r.items()} for r in found] == snapshot
    assert sla_attainment(found) == before
