"""Business-calendar engine benchmarks: ``BusinessCalendar`` against businesstimedelta.

The calendar: Mainland China working hours with a lunch break (09:00-12:00, 13:00-18:00,
Monday to Friday, Asia/Shanghai) and China's 2026 statutory holidays from chinesecalendar.

* ``BusinessCalendar.china(...)`` is the real calendar, with the make-up working days (调休).
* businesstimedelta cannot express make-up working days, so the same-inputs comparison also
  uses an equivalent custom calendar (same hours and holiday dates, no make-up days). For that
  calendar the results of both libraries are checked to be equal on every sampled input.

businesstimedelta is ~10^4 times slower, so it runs one timed pass over a sample of
``PEER_CALLS`` calls and its per-call cost is that pass's mean (extrapolated to any number of
calls); servicekit runs the same inputs many times (median of the passes).

Inputs are whole seconds (businesstimedelta drops microseconds). All spans lie in
[2026-01-01, 2026-09-30 12:00) Shanghai time: businesstimedelta's ``HolidayRule`` looks for the
next listed holiday and fails (``TypeError`` from ``datetime.combine(None, ...)``) once a
computation passes the last one (2026-10-07), and chinesecalendar lists nothing later.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

import businesstimedelta as btd
import numpy as np
import numpy.typing as npt
import pytz
from chinese_calendar import constants

from _harness import (
    Row,
    batch_seconds,
    cost_row,
    fmt_seconds,
    interleaved_per_call,
    per_call,
    require,
    speedup_row,
    time_row,
)
from servicekit.calendar import BusinessCalendar

NAME = "calendar"

TZ = "Asia/Shanghai"
ZONE = ZoneInfo(TZ)
HOURS = "09:00-12:00,13:00-18:00"
YEAR = 2026

PEER_CALLS = 1000  # timed businesstimedelta calls per operation (~7 ms each)
BOUNDARY_PAIRS = 200  # extra hour-aligned inputs, for the agreement check only (not timed)
SK_REPEAT = 30  # servicekit passes over the same inputs (median)
MANY_PAIRS = 1_000_000
MANY_REPEAT = 7
SCALING_CALLS = 1000
SCALING_REPEAT = 40
MAX_SPAN = 60 * 86_400  # seconds
SEED = 20260101

WINDOW_LO = datetime(YEAR, 1, 1, tzinfo=ZONE)
WINDOW_HI = datetime(YEAR, 9, 30, 12, tzinfo=ZONE)  # see the module docstring

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
I64 = npt.NDArray[np.int64]
Pair = tuple[datetime, datetime]
Shift = tuple[datetime, timedelta]


def _log(message: str) -> None:
    print(f"[{NAME}] {message}", flush=True)


# -- calendars ------------------------------------------------------------------------------


def china_holidays(year: int) -> list[date]:
    return sorted(d for d in constants.holidays if d.year == year)


def peer_rules(holidays: Sequence[date]) -> btd.Rules:
    tz = pytz.timezone(TZ)
    weekdays = [0, 1, 2, 3, 4]
    return btd.Rules(
        [
            btd.WorkDayRule(start_time=time(9), end_time=time(18), working_days=weekdays, tz=tz),
            btd.LunchTimeRule(start_time=time(12), end_time=time(13), working_days=weekdays, tz=tz),
            btd.HolidayRule(list(holidays), tz=tz),
        ]
    )


# -- inputs ---------------------------------------------------------------------------------


def _epoch_s(t: datetime) -> int:
    return (t - EPOCH) // timedelta(seconds=1)


def sample_seconds(
    rng: np.random.Generator,
    n: int,
    *,
    lo: datetime,
    hi: datetime,
    max_span: int,
    snap: int = 1,
) -> tuple[I64, I64]:
    """``n`` (start, end) pairs as epoch seconds: span uniform in [0, max_span], both in [lo, hi).

    ``snap`` rounds both down to a multiple of that many seconds (3600 puts them on the hour,
    so on the 09:00 / 12:00 / 13:00 / 18:00 boundaries as well).
    """
    lo_s, hi_s = _epoch_s(lo), _epoch_s(hi)
    span = rng.integers(0, max_span + 1, size=n, dtype=np.int64)
    room = hi_s - lo_s - span
    starts: I64 = lo_s + (rng.random(n) * room).astype(np.int64)
    ends: I64 = starts + span
    if snap > 1:
        starts -= starts % snap
        ends -= ends % snap
    return starts, ends


def as_datetimes(seconds: I64) -> list[datetime]:
    return [(EPOCH + timedelta(seconds=int(s))).astimezone(ZONE) for s in seconds]


def as_datetime64(seconds: I64) -> npt.NDArray[np.datetime64]:
    return (seconds * 1_000_000).astype(np.int64).view("datetime64[us]")


def pairs_of(starts: I64, ends: I64) -> list[Pair]:
    return list(zip(as_datetimes(starts), as_datetimes(ends), strict=True))


# -- timing helpers -------------------------------------------------------------------------


def _elapsed_batch(cal: BusinessCalendar, pairs: Sequence[Pair]) -> Callable[[], None]:
    elapsed = cal.elapsed

    def batch() -> None:
        for a, b in pairs:
            elapsed(a, b)

    return batch


def _add_batch(cal: BusinessCalendar, shifts: Sequence[Shift]) -> Callable[[], None]:
    add = cal.add

    def batch() -> None:
        for s, d in shifts:
            add(s, d)

    return batch


def sk_per_call(batch: Callable[[], None], calls: int, repeat: int = SK_REPEAT) -> float:
    batch()  # warm-up: builds the calendar's years, excluded from timing
    return per_call(batch, calls, repeat=repeat)


def peer_elapsed(rules: btd.Rules, pairs: Sequence[Pair]) -> tuple[float, list[timedelta]]:
    """businesstimedelta: one timed pass; (seconds per call, results)."""
    difference = rules.difference
    for a, b in pairs[:3]:
        difference(a, b)  # warm-up
    t0 = perf_counter()
    out = [difference(a, b).timedelta for a, b in pairs]
    return (perf_counter() - t0) / len(pairs), out


def peer_add(rules: btd.Rules, shifts: Sequence[Shift]) -> tuple[float, list[datetime]]:
    delta = btd.BusinessTimeDelta
    for s, d in shifts[:3]:
        _ = s + delta(rules, timedelta=d)  # warm-up
    t0 = perf_counter()
    out = [s + delta(rules, timedelta=d) for s, d in shifts]
    return (perf_counter() - t0) / len(shifts), out


def _first_call_seconds(make: Callable[[], BusinessCalendar]) -> float:
    cal = make()
    a, b = datetime(YEAR, 3, 2, 10, tzinfo=ZONE), datetime(YEAR, 3, 4, 10, tzinfo=ZONE)
    return batch_seconds(lambda: cal.elapsed(a, b))


# -- checks ---------------------------------------------------------------------------------


def check_equal(what: str, ours: Sequence[object], theirs: Sequence[object]) -> None:
    bad = [i for i, (x, y) in enumerate(zip(ours, theirs, strict=True)) if x != y]
    if bad:
        i = bad[0]
        require(
            False,
            f"{what}: results differ on {len(bad)} of {len(ours)} inputs; "
            f"first at #{i}: {ours[i]!r} != {theirs[i]!r}",
        )


# -- the benchmarks -------------------------------------------------------------------------


def run() -> list[Row]:
    rng = np.random.default_rng(SEED)
    holidays = china_holidays(YEAR)
    rules = peer_rules(holidays)
    custom = BusinessCalendar(tz=TZ, hours=HOURS, holidays=holidays)
    china = BusinessCalendar.china(hours=HOURS)
    cals = (("custom CN-equivalent", custom), ("china()", china))
    rows: list[Row] = []

    # Same inputs for both libraries: random whole-second spans of up to 60 days.
    s, e = sample_seconds(rng, PEER_CALLS, lo=WINDOW_LO, hi=WINDOW_HI, max_span=MAX_SPAN)
    pairs = pairs_of(s, e)
    _log(
        f"businesstimedelta: one timed pass of {PEER_CALLS} calls per operation on random "
        "whole-second spans <= 60 days in 2026-01-01..2026-09-30; per-call cost = mean of the "
        "pass, extrapolated"
    )

    # -- scalar elapsed --
    peer_el, peer_el_out = peer_elapsed(rules, pairs)
    check_equal("elapsed (custom calendar)", [custom.elapsed(a, b) for a, b in pairs], peer_el_out)
    for label, cal in cals:
        sk = sk_per_call(_elapsed_batch(cal, pairs), len(pairs))
        rows.append(
            speedup_row(f"elapsed, spans <=60d, {label}", sk, peer_el, "businesstimedelta", 100)
        )

    # -- scalar add: the durations are the peer's elapsed results, so results stay in range --
    # Zero durations are left out: servicekit returns the start itself (documented), the peer
    # returns the next opening.
    shifts = [(a, d) for (a, _), d in zip(pairs, peer_el_out, strict=True) if d > timedelta(0)]
    peer_ad, peer_ad_out = peer_add(rules, shifts)
    check_equal("add (custom calendar)", [custom.add(a, d) for a, d in shifts], peer_ad_out)
    for label, cal in cals:
        sk = sk_per_call(_add_batch(cal, shifts), len(shifts))
        rows.append(
            speedup_row(f"add, durations <=60d, {label}", sk, peer_ad, "businesstimedelta", 100)
        )

    # -- agreement on hour-aligned inputs (lunch and closing boundaries); not timed --
    bs, be = sample_seconds(
        rng, BOUNDARY_PAIRS, lo=WINDOW_LO, hi=WINDOW_HI, max_span=MAX_SPAN, snap=3600
    )
    bpairs = pairs_of(bs, be)
    _, b_el = peer_elapsed(rules, bpairs)
    check_equal("elapsed, hour-aligned", [custom.elapsed(a, b) for a, b in bpairs], b_el)
    bshifts = [(a, d) for (a, _), d in zip(bpairs, b_el, strict=True) if d > timedelta(0)]
    _, b_ad = peer_add(rules, bshifts)
    check_equal("add, hour-aligned", [custom.add(a, d) for a, d in bshifts], b_ad)
    many_us = custom.elapsed_many(as_datetime64(s), as_datetime64(e), unit="us")
    check_equal(
        "elapsed_many (custom calendar)",
        [int(x) for x in many_us],
        [d // timedelta(microseconds=1) for d in peer_el_out],
    )
    _log(
        f"agreement: elapsed, add and elapsed_many equal businesstimedelta on "
        f"{len(pairs)} + {len(bpairs)} pairs and {len(shifts)} + {len(bshifts)} additions "
        "(custom calendar)"
    )

    # -- elapsed_many on 1,000,000 pairs --
    ms, me = sample_seconds(rng, MANY_PAIRS, lo=WINDOW_LO, hi=WINDOW_HI, max_span=MAX_SPAN)
    a64, b64 = as_datetime64(ms), as_datetime64(me)
    spot = random.Random(SEED).sample(range(MANY_PAIRS), 2000)
    for label, cal in cals:
        cal.elapsed_many(a64[:1000], b64[:1000])  # warm-up

        def many(cal: BusinessCalendar = cal) -> object:
            return cal.elapsed_many(a64, b64)

        total = per_call(many, 1, repeat=MANY_REPEAT)
        got = cal.elapsed_many(a64, b64, unit="us")
        spot_pairs = pairs_of(ms[spot], me[spot])
        check_equal(
            f"elapsed_many vs elapsed ({label})",
            [int(got[i]) for i in spot],
            [cal.elapsed(x, y) // timedelta(microseconds=1) for x, y in spot_pairs],
        )
        rows.append(
            speedup_row(
                f"elapsed_many 1M pairs, per pair, {label}",
                total / MANY_PAIRS,
                peer_el,
                "businesstimedelta elapsed",
                1000,
            )
        )
        rows.append(time_row(f"elapsed_many 1M pairs, wall time, {label}", total, 1.0))

    # -- information only: the first call on a fresh calendar builds its year --
    cold = {
        label: statistics.median(_first_call_seconds(make) for _ in range(5))
        for label, make in (
            ("custom", lambda: BusinessCalendar(tz=TZ, hours=HOURS, holidays=holidays)),
            ("china()", lambda: BusinessCalendar.china(hours=HOURS)),
        )
    }
    _log(
        "info (no target): first elapsed() on a fresh calendar, which builds 2026: "
        + ", ".join(f"{k} {fmt_seconds(v)}" for k, v in cold.items())
        + "; the timed rows exclude this warm-up"
    )

    # -- a 2-year span costs no more than 2x a 2-day span (warm caches) --
    # Starts in the first three days of 2025; the long span is 727 days so that every end stays
    # in 2026, the last year chinesecalendar covers.
    lo, hi = datetime(YEAR - 1, 1, 1, tzinfo=ZONE), datetime(YEAR - 1, 1, 4, tzinfo=ZONE)
    ss, _ = sample_seconds(rng, SCALING_CALLS, lo=lo, hi=hi, max_span=0)
    starts = as_datetimes(ss)
    short = [(t, t + timedelta(days=2)) for t in starts]
    long = [(t, t + timedelta(days=727)) for t in starts]
    _log(
        f"scaling: {SCALING_CALLS} starts in 2025-01-01..03, spans of 2 days and 727 days; "
        f"median of {SCALING_REPEAT} interleaved passes, years built beforehand"
    )
    for label, cal in cals:
        short_shifts = [(a, cal.elapsed(a, b)) for a, b in short]
        long_shifts = [(a, cal.elapsed(a, b)) for a, b in long]
        for (a, b), (_, d) in zip(long, long_shifts, strict=True):
            u = cal.add(a, d)
            require(u <= b and cal.elapsed(a, u) == d, f"add/elapsed round trip ({label})")
        batches = [
            _elapsed_batch(cal, short),
            _elapsed_batch(cal, long),
            _add_batch(cal, short_shifts),
            _add_batch(cal, long_shifts),
        ]
        for batch in batches:
            batch()  # warm-up
        el2d, el2y, ad2d, ad2y = interleaved_per_call(batches, SCALING_CALLS, repeat=SCALING_REPEAT)
        rows.append(
            cost_row(f"elapsed, 2-year vs 2-day span, {label}", el2y, el2d, "servicekit 2-day", 2)
        )
        rows.append(
            cost_row(f"add, 2-year vs 2-day span, {label}", ad2y, ad2d, "servicekit 2-day", 2)
        )
    return rows
