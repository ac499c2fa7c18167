"""CSAT, NPS and FCR of one set of answers, their comparison, and the sample a margin needs.

The scalar path, for a service asking about one agent or one month (the frame path is
``_by``): M-01 CSAT (top-2-box share and mean score), M-02 FCR (share solved at the first
contact), M-03 NPS, M-09's weighted composite score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from numbers import Real

from servicekit.errors import InvalidInputError, Problem
from servicekit.metrics._intervals import check_method, interval, z_value
from servicekit.metrics._nps import NPS_METHODS, bootstrap_interval, nps_closed_form
from servicekit.metrics._results import Comparison, NpsResult, Proportion
from servicekit.metrics._scales import read_flags, read_scores, scale_of

__all__ = ["compare", "csat", "fcr", "nps", "nps_result", "nps_sample_size", "proportion",
           "sample_size", "weighted_score"]


def proportion(successes: int, n: int, *, metric: str = "proportion", missing: int = 0,
               method: str = "wilson", confidence: float = 0.95, mean: float | None = None,
               scale: str | None = None) -> Proportion:
    """A :class:`Proportion` from counts: ``successes`` of ``n`` (the frame path's rows, or
    counts a host already has)."""
    command = metric
    z = z_value(confidence, command)
    method = check_method(method, command)
    for name, count in (("successes", successes), ("n", n), ("missing", missing)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidInputError(f"{command}: {name} must be a whole number ≥ 0")
    if successes > n:
        raise InvalidInputError(f"{command}: successes cannot exceed n")
    low, high = interval(method, successes, n, z, confidence)
    return Proportion(metric=metric, value=successes / n if n else None, n=n,
                      successes=successes, missing=missing, ci_low=low, ci_high=high,
                      confidence=confidence, method=method, mean=mean, scale=scale)


def csat(scores: Iterable[object], scale: object = 5, *, satisfied: float | None = None,
         method: str = "wilson", confidence: float = 0.95) -> Proportion:
    """M-01 CSAT: the share of satisfied answers, with the mean score and an interval.

    Satisfied is the top-2 box on the point scales (4–5 of 5, 6–7 of 7, 9–10 of 10), 80 and
    above on 0–100 and percentages, a yes on a binary scale; ``satisfied=`` sets the lowest
    satisfied score. Missing answers (``None``, NaN) are excluded and counted.

    >>> r = csat([5, 4, 3, 5, 1], scale=5)
    >>> r.value, r.n, r.successes, r.mean
    (0.6, 5, 3, 3.6)
    >>> round(r.ci_low, 4), round(r.ci_high, 4)
    (0.2307, 0.8824)
    """
    chosen = scale_of(scale, "csat")
    threshold = chosen.satisfied if satisfied is None else satisfied
    if (isinstance(threshold, bool) or not isinstance(threshold, Real)
            or not chosen.low <= threshold <= chosen.high):
        raise InvalidInputError(f"csat: satisfied must be a score on {chosen.describe()}")
    read = read_scores(scores, chosen, "csat")
    values = read.values
    mean = math.fsum(values) / len(values) if values else None
    happy = sum(1 for v in values if v >= threshold)
    return proportion(happy, len(values), metric="csat", missing=read.missing, method=method,
                      confidence=confidence, mean=mean, scale=chosen.name)


def fcr(resolved_first_contact: Iterable[object], *, method: str = "wilson",
        confidence: float = 0.95) -> Proportion:
    """M-02 FCR: the share of problems solved at the first contact, from yes/no answers
    (``None``: unknown, excluded and counted as missing).

    >>> fcr([True, True, False, None]).value
    0.6666666666666666
    """
    successes, n, missing = read_flags(resolved_first_contact, "fcr")
    return proportion(successes, n, metric="fcr", missing=missing, method=method,
                      confidence=confidence)


def nps(scores: Iterable[object], *, method: str = "wald", confidence: float = 0.95,
        resamples: int = 10_000, seed: int = 0) -> NpsResult:
    """M-03 NPS on 0–10 answers: % promoters (9–10) − % detractors (0–6), −100 … 100.

    ``method`` sets the interval: ``"wald"`` (default), ``"adjusted-wald"`` or
    ``"bootstrap"`` (``resamples`` seeded redraws, reproducible); ``margin_of_error`` is the
    Wald half-width whatever the method.

    >>> n = nps([10, 9, 8, 7, 6, 0])
    >>> n.value, n.promoters, n.passives, n.detractors, round(n.margin_of_error, 2)
    (0.0, 2, 2, 2, 65.33)
    """
    z = z_value(confidence, "nps")
    method = check_method(method, "nps", NPS_METHODS)
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 100:
        raise InvalidInputError("nps: resamples must be a whole number ≥ 100")
    check_seed(seed, "nps")
    read = read_scores(scores, scale_of("nps"), "nps")
    promoters = sum(1 for v in read.values if v >= 9)
    detractors = sum(1 for v in read.values if v <= 6)
    n = len(read.values)
    return nps_result(promoters, n - promoters - detractors, detractors, missing=read.missing,
                      method=method, confidence=confidence, z=z, resamples=resamples,
                      seed=seed)


def nps_result(promoters: int, passives: int, detractors: int, *, missing: int = 0,
               method: str = "wald", confidence: float = 0.95, z: float | None = None,
               resamples: int = 10_000, seed: int = 0) -> NpsResult:
    """An :class:`NpsResult` from counts of promoters, passives and detractors."""
    z = z_value(confidence, "nps") if z is None else z
    n = promoters + passives + detractors
    if n == 0:
        return NpsResult(value=None, n=0, promoters=0, passives=0, detractors=0,
                         missing=missing, confidence=confidence, method=method)
    value, margin, low, high = nps_closed_form(method, promoters, detractors, n, z,
                                               sqrt=math.sqrt)
    if method == "bootstrap":
        low, high = bootstrap_interval(promoters, passives, detractors, confidence,
                                       resamples=resamples, seed=seed)
    return NpsResult(value=value, n=n, promoters=promoters, passives=passives,
                     detractors=detractors, missing=missing, margin_of_error=margin,
                     ci_low=max(low, -100.0), ci_high=min(high, 100.0),
                     confidence=confidence, method=method)


def check_seed(seed: object, command: str) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidInputError(f"{command}: seed must be a whole number ≥ 0")


def _upper_tail_p(z: float) -> float:
    """The two-sided p-value of a standard normal statistic."""
    return math.erfc(abs(z) / math.sqrt(2))


def _bounds(r: Proportion, z: float, confidence: float) -> tuple[float, float]:
    """The Wilson bounds of a result with answers (Newcombe's interval is built on them)."""
    low, high = interval("wilson", r.successes, r.n, z, confidence)
    if low is None or high is None:  # pragma: no cover - compare refuses empty results
        raise InvalidInputError("compare: a result without answers cannot be compared")
    return low, high


def _compare_proportions(a: Proportion, b: Proportion, z: float,
                         confidence: float) -> Comparison:
    """Pooled two-proportion z-test (statsmodels ``proportions_ztest``) and Newcombe's hybrid
    score interval of the difference (``confint_proportions_2indep(method="newcomb")``)."""
    p1, p2 = a.successes / a.n, b.successes / b.n
    pooled = (a.successes + b.successes) / (a.n + b.n)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / a.n + 1 / b.n))
    p_value = _upper_tail_p((p1 - p2) / se0) if se0 > 0 else 1.0
    l1, u1 = _bounds(a, z, confidence)
    l2, u2 = _bounds(b, z, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Comparison(metric=a.metric, a=p1, b=p2, difference=d, ci_low=max(low, -1.0),
                      ci_high=min(high, 1.0), p_value=p_value, confidence=confidence,
                      test="pooled two-proportion z-test; Newcombe hybrid score interval")


def _nps_se(r: NpsResult) -> float:
    p_p, p_d = r.promoters / r.n, r.detractors / r.n
    return math.sqrt((p_p + p_d - (p_p - p_d) ** 2) / r.n) * 100


def _value(r: NpsResult) -> float:
    if r.value is None:  # pragma: no cover - compare refuses empty results
        raise InvalidInputError("compare: a result without answers cannot be compared")
    return r.value


def _compare_nps(a: NpsResult, b: NpsResult, z: float, confidence: float) -> Comparison:
    d = _value(a) - _value(b)
    se = math.hypot(_nps_se(a), _nps_se(b))
    p_value = _upper_tail_p(d / se) if se > 0 else (1.0 if d == 0 else 0.0)
    return Comparison(metric="nps", a=_value(a), b=_value(b), difference=d,
                      ci_low=max(d - z * se, -200.0), ci_high=min(d + z * se, 200.0),
                      p_value=p_value, confidence=confidence,
                      test="z-test of the difference with its Wald standard error")


def compare(a: Proportion | NpsResult, b: Proportion | NpsResult, *,
            confidence: float = 0.95) -> Comparison:
    """Whether two results of one metric (two periods, two teams) differ.

    CSAT, FCR and other shares: the pooled two-proportion z-test and Newcombe's interval of
    the difference; NPS: the difference with its own standard error, √(se_a² + se_b²).
    ``difference`` is a − b; ``str()`` says the verdict in words.

    >>> c = compare(csat([5] * 90 + [1] * 10), csat([5] * 70 + [1] * 30))
    >>> round(c.difference, 2), c.significant
    (0.2, True)
    """
    z = z_value(confidence, "compare")
    if isinstance(a, Proportion) and isinstance(b, Proportion):
        if a.metric != b.metric:
            raise InvalidInputError("compare: the two results are of different metrics")
        if a.n == 0 or b.n == 0:
            raise InvalidInputError("compare: a result without answers cannot be compared")
        return _compare_proportions(a, b, z, confidence)
    if isinstance(a, NpsResult) and isinstance(b, NpsResult):
        if a.n == 0 or b.n == 0:
            raise InvalidInputError("compare: a result without answers cannot be compared")
        return _compare_nps(a, b, z, confidence)
    raise InvalidInputError("compare: expected two Proportion or two NpsResult results")


def _margin(margin: object, command: str, high: float) -> float:
    if (isinstance(margin, bool) or not isinstance(margin, (int, float))
            or not 0 < margin <= high):
        raise InvalidInputError(f"{command}: margin must be a number in (0, {high:g}]")
    return float(margin)


def _share(value: object, command: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InvalidInputError(f"{command}: {name} must be a share between 0 and 1")
    return float(value)


def _answers(variance: float, z: float, margin: float, command: str) -> int:
    """``variance · (z / margin)²`` rounded up (less a hair of float error), at least 1."""
    ratio = z / margin
    needed = variance * ratio * ratio if ratio < 1e100 else math.inf
    if not math.isfinite(needed) or needed > 1e15:
        raise InvalidInputError(f"{command}: the margin is too small for any survey")
    return max(1, math.ceil(needed - 1e-9))


def sample_size(margin: float, *, confidence: float = 0.95, proportion: float = 0.5) -> int:
    """How many answers give a share (CSAT, FCR) the margin of error ``margin`` (0–1):
    ⌈z²·p(1 − p)/margin²⌉, statsmodels' ``samplesize_confint_proportion`` rounded up; the
    default p = 0.5 is the worst case.

    >>> sample_size(0.05), sample_size(0.03, proportion=0.9)
    (385, 385)
    """
    z = z_value(confidence, "sample_size")
    e = _margin(margin, "sample_size", 1)
    p = _share(proportion, "sample_size", "proportion")
    return _answers(p * (1 - p), z, e, "sample_size")


def nps_sample_size(margin: float, *, confidence: float = 0.95, promoters: float = 0.5,
                    detractors: float = 0.5) -> int:
    """How many answers give an NPS the Wald margin ``margin`` (in points, 0–200), for the
    expected shares of promoters and detractors (the default is the worst case).

    >>> nps_sample_size(10), nps_sample_size(5, promoters=0.6, detractors=0.1)
    (385, 692)
    """
    z = z_value(confidence, "nps_sample_size")
    e = _margin(margin, "nps_sample_size", 200) / 100
    p_p = _share(promoters, "nps_sample_size", "promoters")
    p_d = _share(detractors, "nps_sample_size", "detractors")
    if p_p + p_d > 1:
        raise InvalidInputError("nps_sample_size: promoters and detractors add up to more "
                                "than 1")
    return _answers(p_p + p_d - (p_p - p_d) ** 2, z, e, "nps_sample_size")


def _decimal(value: object, where: str, problems: list[Problem]) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        problems.append(Problem((where,), "invalid_number",
                                f"expected a finite number (got {type(value).__name__})"))
        return None
    return Decimal(str(value))


def weighted_score(items: Mapping[str, tuple[float, float]], *,
                   normalise: bool = False) -> float:
    """M-09: Σ wᵢ·scoreᵢ over ``{name: (weight, score)}``; the weights must add up to 1,
    or ``normalise=True`` divides by their sum (M-08's Σ(score·weight)/Σweight).

    Computed in decimal on the numbers as written, so the handbook's example gives exactly
    7.6 (its text says 7.9; the arithmetic says 7.6):

    >>> weighted_score({"response": (0.2, 8), "quality": (0.3, 7), "cost": (0.2, 8),
    ...                 "innovation": (0.2, 7), "satisfaction": (0.1, 9)})
    7.6
    """
    if not isinstance(items, Mapping) or not items:
        raise InvalidInputError("weighted_score: expected a non-empty mapping of "
                                "name -> (weight, score)")
    problems: list[Problem] = []
    pairs: list[tuple[Decimal, Decimal]] = []
    for name, pair in items.items():
        if not isinstance(pair, tuple) or len(pair) != 2:
            problems.append(Problem((str(name),), "invalid_pair",
                                    "expected a (weight, score) pair"))
            continue
        weight = _decimal(pair[0], str(name), problems)
        score = _decimal(pair[1], str(name), problems)
        if weight is not None and weight < 0:
            problems.append(Problem((str(name),), "negative_weight",
                                    "a weight cannot be negative"))
        if weight is not None and score is not None:
            pairs.append((weight, score))
    if problems:
        raise InvalidInputError("weighted_score: " + "; ".join(problems), problems=problems)
    total = sum((w for w, _ in pairs), Decimal(0))
    if total == 0:
        raise InvalidInputError("weighted_score: the weights add up to 0")
    if not normalise and abs(total - 1) > Decimal("1e-9"):
        raise InvalidInputError("weighted_score: the weights must add up to 1 "
                                "(or pass normalise=True)")
    value = sum((w * s for w, s in pairs), Decimal(0))
    return float(value / total if normalise else value)

