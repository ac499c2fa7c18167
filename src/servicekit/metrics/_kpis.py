"""The handbook's KPIs: M-07 rates, M-08 weighted CSAT, M-10 SERVQUAL, M-11 negative words,
and SLA attainment from SLA reports.

Shares come back as :class:`~servicekit.metrics.Proportion` (with n, what was missing and an
interval), indices as plain numbers. Inputs are checked all at once where they are lists:
every bad position or field is reported, with the type found, never the value.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal
from numbers import Real

from servicekit.errors import InvalidInputError, Problem
from servicekit.metrics._results import Proportion
from servicekit.metrics._scales import _check, _is_missing, _items, _report, scale_of
from servicekit.metrics._survey import proportion

__all__ = ["CHINESE_NEGATIVE_WORDS", "SERVQUAL_DIMENSIONS", "SLA_STATES", "automation_rate",
           "negative_word_rate", "resolution_rate", "self_service_rate", "servqual",
           "sla_attainment", "weighted_csat"]


# -- M-07 ---------------------------------------------------------------------------------------


def _rate(metric: str, part: tuple[str, object], whole: tuple[str, object], method: str,
          confidence: float) -> Proportion:
    problems = [Problem((name,), "invalid_count",
                        f"expected a whole number ≥ 0 (got {type(value).__name__})")
                for name, value in (part, whole)
                if isinstance(value, bool) or not isinstance(value, int) or value < 0]
    if problems:
        raise InvalidInputError(f"{metric}: " + "; ".join(problems), problems=problems)
    (part_name, k), (whole_name, n) = part, whole
    assert isinstance(k, int)
    assert isinstance(n, int)
    if k > n:
        raise InvalidInputError(f"{metric}: {part_name} cannot exceed {whole_name}")
    return proportion(k, n, metric=metric, method=method, confidence=confidence)


def resolution_rate(resolved: int, received: int, *, method: str = "wilson",
                    confidence: float = 0.95) -> Proportion:
    """M-07 resolution rate: resolved / received (H3 §4.1), with its interval.

    >>> resolution_rate(90, 100).value
    0.9
    """
    return _rate("resolution_rate", ("resolved", resolved), ("received", received), method,
                 confidence)


def self_service_rate(self_served: int, total: int, *, method: str = "wilson",
                      confidence: float = 0.95) -> Proportion:
    """M-07 self-service rate: contacts solved without an agent / all contacts (H3 §4.1,
    target 70 %: ``meets(0.70)``).

    >>> self_service_rate(720, 1000).meets(0.70)  # 72 % of 1000: the interval straddles 70 %
    >>> self_service_rate(760, 1000).meets(0.70)
    True
    """
    return _rate("self_service_rate", ("self_served", self_served), ("total", total), method,
                 confidence)


def automation_rate(automated: int, total: int, *, method: str = "wilson",
                    confidence: float = 0.95) -> Proportion:
    """M-07 automation coverage: automated / total (H3 §4.1, target 50 %: ``meets(0.50)``).

    >>> automation_rate(30, 100).meets(0.50)
    False
    """
    return _rate("automation_rate", ("automated", automated), ("total", total), method,
                 confidence)


# -- M-08 ---------------------------------------------------------------------------------------


def _finite(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value)


def weighted_csat(pairs: Iterable[object], *, scale: object = 5) -> float:
    """M-08 weighted CSAT: Σ(score × weight) / Σ weight over ``(score, weight)`` pairs, on
    the scores' own scale (1–5 by default).

    H3 §4.1.2 writes the formula as Σ(score × weight) / *number of reviews*; the two agree
    only when the weights average 1 (with weights 2 and 1 the handbook's text gives
    (5·2 + 3·1) / 2 = 6.5, off a 1–5 scale). servicekit divides by Σ weight, so the result is
    a mean score on the scale whatever the weights' unit.

    Scores are checked on ``scale`` (every bad position at once, never the value); weights
    are finite numbers ≥ 0, not all 0. A pair whose score is missing (``None``, NaN) is left
    out, weight and all.

    >>> round(weighted_csat([(5, 2), (3, 1)]), 4)
    4.3333
    >>> weighted_csat([(5, 1), (3, 1)])  # weights averaging 1: the handbook's formula too
    4.0
    """
    chosen = scale_of(scale, "weighted_csat")
    problems: list[Problem] = []
    kept: list[tuple[float, float]] = []
    for i, pair in enumerate(_items(pairs, "weighted_csat", "(score, weight) pairs")):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            problems.append(Problem((i,), "invalid_pair",
                                    f"expected a (score, weight) pair (got {type(pair).__name__})"))
            continue
        score, weight = pair
        w = float(weight) if _finite(weight) else math.nan
        if not w >= 0:
            problems.append(Problem((i, 1), "invalid_weight", "expected a finite number ≥ 0 "
                                    f"(got {type(weight).__name__})"))
        if _is_missing(score):
            continue
        problem = _check(score, chosen)
        if problem is not None:
            problems.append(Problem((i, 0), "invalid_score", problem))
        elif w >= 0:
            kept.append((float(score), w))
    if problems:
        raise _report("weighted_csat", "pairs", problems)
    total = math.fsum(w for _, w in kept)
    if total == 0:
        raise InvalidInputError("weighted_csat: no weight on any score (the weights of the "
                                "scores present add up to 0)")
    return math.fsum(s * w for s, w in kept) / total


# -- M-10 ---------------------------------------------------------------------------------------

#: the five SERVQUAL dimensions (Parasuraman, Zeithaml and Berry 1988), in their usual order
SERVQUAL_DIMENSIONS: tuple[str, ...] = ("tangibles", "reliability", "responsiveness",
                                        "assurance", "empathy")


def _dimension_numbers(data: object, what: str, problems: list[Problem],
                       pairs: bool) -> dict[str, Decimal]:
    """The five dimensions' numbers of ``data`` (a mapping), every problem reported."""
    if not isinstance(data, Mapping):
        problems.append(Problem((what,), "invalid_mapping",
                                f"expected a mapping of dimension to number (got "
                                f"{type(data).__name__})"))
        return {}
    unknown = sum(1 for name in data if name not in SERVQUAL_DIMENSIONS)
    if unknown:  # the names are the caller's text: counted, not repeated
        problems.append(Problem((what,), "unknown_dimension",
                                f"{unknown} unknown dimension name(s) (expected "
                                f"{', '.join(SERVQUAL_DIMENSIONS)})"))
    numbers: dict[str, Decimal] = {}
    for name in SERVQUAL_DIMENSIONS:
        if name not in data:
            problems.append(Problem((what, name), "missing", "the dimension is missing"))
            continue
        value = data[name]
        if pairs and isinstance(value, (tuple, list)):
            if len(value) != 2 or not all(_finite(v) for v in value):
                problems.append(Problem((what, name), "invalid_pair", "expected a "
                                        "(perception, expectation) pair of finite numbers"))
                continue
            numbers[name] = Decimal(str(value[0])) - Decimal(str(value[1]))
        elif _finite(value):
            numbers[name] = Decimal(str(value))
        else:
            kind = "a finite number or a (perception, expectation) pair" if pairs else \
                "a finite number"
            problems.append(Problem((what, name), "invalid_number",
                                    f"expected {kind} (got {type(value).__name__})"))
    return numbers


def servqual(dimensions: Mapping[str, object],
             weights: Mapping[str, object] | None = None) -> float:
    """M-10 SERVQUAL index: Σ Wᵢ × scoreᵢ over the five dimensions (H3 §3.2.2): tangibles,
    reliability, responsiveness, assurance, empathy.

    All five are required and no other name is accepted. A score is a number, or a
    ``(perception, expectation)`` pair, of which the gap perception − expectation is used
    (classic SERVQUAL: a negative index means the service falls short of what customers
    expect). ``weights`` default to equal (0.2 each); given, they cover the five dimensions,
    are ≥ 0 and add up to 1 (SERVQUAL asks customers to share 100 points among the
    dimensions: divide those by 100). Computed in decimal on the numbers as written.

    >>> servqual({"tangibles": 4, "reliability": 3, "responsiveness": 4, "assurance": 5,
    ...           "empathy": 4})
    4.0
    >>> servqual({"tangibles": (5, 6), "reliability": (4, 6), "responsiveness": (5, 5),
    ...           "assurance": (6, 5), "empathy": (5, 6)},
    ...          {"tangibles": 0.1, "reliability": 0.3, "responsiveness": 0.2,
    ...           "assurance": 0.2, "empathy": 0.2})
    -0.7
    """
    problems: list[Problem] = []
    scores = _dimension_numbers(dimensions, "dimensions", problems, pairs=True)
    if weights is None:
        shares = dict.fromkeys(SERVQUAL_DIMENSIONS, Decimal("0.2"))
    else:
        shares = _dimension_numbers(weights, "weights", problems, pairs=False)
        problems += [Problem(("weights", name), "negative_weight", "a weight cannot be negative")
                     for name, w in shares.items() if w < 0]
        if len(shares) == len(SERVQUAL_DIMENSIONS) and not problems and \
                abs(sum(shares.values(), Decimal(0)) - 1) > Decimal("1e-9"):
            problems.append(Problem(("weights",), "weights_sum", "the weights must add up to 1"))
    if problems:
        raise _report("servqual", "inputs", problems)
    return float(sum((shares[d] * scores[d] for d in SERVQUAL_DIMENSIONS), Decimal(0)))


# -- M-11 ---------------------------------------------------------------------------------------

#: M-11's default lexicon (H4 §1.3.2 checks agent replies for negative words, target ≤ 2 %, and
#: gives no list): common 服务禁语, phrases that refuse, deflect or blame the customer. A
#: screen for review, not a verdict: replace or extend it with ``lexicon=``.
CHINESE_NEGATIVE_WORDS: frozenset[str] = frozenset({
    "不知道", "不清楚", "没办法", "没有办法", "我也没办法", "不可能", "不归我管", "不关我的事",
    "与我无关", "这不是我的问题", "不是我负责的", "找别人去", "你自己看", "你自己查",
    "你自己去弄", "你听不懂吗", "我已经说过了", "说了多少遍", "规定就是这样", "爱信不信",
    "随便你", "你去投诉吧", "有本事你去投诉", "急什么", "等着吧", "我下班了", "没空",
})


def _fold(text: str) -> str:
    """What words and messages are matched as: NFKC (full-width letters and digits become
    plain) and casefolded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _lexicon(lexicon: object) -> re.Pattern[str]:
    if isinstance(lexicon, (str, bytes)) or not isinstance(lexicon, Iterable):
        raise InvalidInputError("negative_word_rate: lexicon must be an iterable of words "
                                f"(got {type(lexicon).__name__})")
    words: list[str] = []
    problems: list[Problem] = []
    for i, word in enumerate(lexicon):
        if not isinstance(word, str) or not _fold(word).strip():
            problems.append(Problem(("lexicon", i), "invalid_word", "expected a non-empty "
                                    f"string (got {type(word).__name__})"))
        else:
            words.append(_fold(word))
    if problems:
        raise _report("negative_word_rate", "words", problems)
    if not words:
        raise InvalidInputError("negative_word_rate: the lexicon is empty")
    # longest first, so the alternation tries a phrase before its prefix (same answer, sooner)
    return re.compile("|".join(map(re.escape, sorted(set(words), key=lambda w: (-len(w), w)))))


def negative_word_rate(messages: Iterable[object], *, lexicon: Iterable[str] | None = None,
                       method: str = "wilson", confidence: float = 0.95) -> Proportion:
    """M-11: the share of agent messages containing at least one word of ``lexicon``
    (default :data:`CHINESE_NEGATIVE_WORDS`), with its interval (metric ``"negative_words"``);
    the handbook's target ≤ 2 % (H4 §1.3.2) is ``meets(0.02, at_most=True)``.

    A word matches as a substring of the message after both are NFKC-normalised and
    casefolded, so Chinese needs no word splitting (and "Impossible" matches "impossible");
    the price is that a word inside a longer, harmless one matches too (不知道 in
    「不知道您是否方便」), which is why the result screens messages for review. ``None`` is a
    missing message, excluded and counted; anything else that is not a string is refused,
    every position at once.

    >>> r = negative_word_rate(["您好，马上为您处理", "这个不归我管", "好的", None])
    >>> r.successes, r.n, r.missing
    (1, 3, 1)
    """
    pattern = _lexicon(CHINESE_NEGATIVE_WORDS if lexicon is None else lexicon)
    hits = n = missing = 0
    problems: list[Problem] = []
    for i, message in enumerate(_items(messages, "negative_word_rate", "messages")):
        if message is None:
            missing += 1
        elif not isinstance(message, str):
            problems.append(Problem((i,), "invalid_message",
                                    f"expected a string (got {type(message).__name__})"))
        else:
            n += 1
            hits += pattern.search(_fold(message)) is not None
    if problems:
        raise _report("negative_word_rate", "messages", problems)
    return proportion(hits, n, metric="negative_words", missing=missing, method=method,
                      confidence=confidence)


# -- SLA attainment -----------------------------------------------------------------------------

#: the states of an SLA clock (``servicekit.sla.MetricStatus.state``)
SLA_STATES: tuple[str, ...] = ("running", "paused", "met", "breached", "cancelled")


def sla_attainment(reports: Iterable[object], *, method: str = "wilson",
                   confidence: float = 0.95) -> dict[str, Proportion]:
    """SLA attainment per SLA metric: met / (met + breached) over SLA reports, with its
    interval (metric ``"sla_attainment:<name>"``), keyed by metric name in sorted order.

    A report is a mapping from metric name to a status with a ``state`` (running, paused,
    met, breached or cancelled), as :class:`servicekit.sla.SlaReport` is (or anything shaped
    like it). A clock still running or paused is undecided and a cancelled one was never
    owed: they are counted as ``missing``. A metric a report does not track is simply absent
    from it. A report that is not a mapping, a status without a state, or an unknown state is
    refused, every position at once (the report's index and the entry's position in it: a
    metric's name is the host's text).
    """
    met: dict[str, int] = {}
    breached: dict[str, int] = {}
    other: dict[str, int] = {}
    problems: list[Problem] = []
    for i, report in enumerate(_items(reports, "sla_attainment", "SLA reports")):
        if not isinstance(report, Mapping):
            problems.append(Problem((i,), "invalid_report", "expected a mapping of metric "
                                    f"name to status (got {type(report).__name__})"))
            continue
        # a problem names the report and the entry's position in it, not the metric's name
        # (policy names are the host's text)
        for j, (name, status) in enumerate(report.items()):
            if not isinstance(name, str):
                problems.append(Problem((i, j), "invalid_metric", "expected a metric name as "
                                        f"a string (got {type(name).__name__})"))
                continue
            state = getattr(status, "state", None)
            if not isinstance(state, str) or state not in SLA_STATES:
                what = ("has no state" if state is None else "has an unknown state (expected "
                        f"one of {', '.join(SLA_STATES)})")
                problems.append(Problem((i, j), "invalid_status", f"the status {what}"))
                continue
            counts = met if state == "met" else breached if state == "breached" else other
            counts[name] = counts.get(name, 0) + 1
            for table in (met, breached, other):
                table.setdefault(name, 0)
    if problems:
        raise _report("sla_attainment", "statuses", problems)
    return {name: proportion(met[name], met[name] + breached[name],
                             metric=f"sla_attainment:{name}", missing=other[name],
                             method=method, confidence=confidence)
            for name in sorted(met)}
