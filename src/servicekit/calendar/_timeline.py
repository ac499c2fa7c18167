"""The business-time engine: open intervals as UTC microseconds with cumulative open time.

Every instant is an integer number of microseconds since 1970-01-01T00:00Z. The open time of a
calendar is a sorted list of disjoint half-open intervals ``[S[i], E[i])``; ``C[i]`` is the open
time before ``S[i]`` (counted from an arbitrary origin) and ``CE[i] = C[i] + E[i] - S[i]``.
The cumulative open time up to ``t`` is ``cum(t) = C[i] + min(t, E[i]) - S[i]`` with ``i`` the
last interval starting at or before ``t``. Then

* ``elapsed(a, b) = cum(b) - cum(a)``: two binary searches, whatever the span;
* ``add(s, d)`` is the earliest ``u >= s`` with ``cum(u) = cum(s) + d``: a binary search of
  ``CE`` for the first interval whose cumulative end reaches the target.

Intervals are built lazily, one local calendar year at a time, the first time a computation
reaches that year, and cached on the calendar. The Python lists serve the scalar path (``bisect``)
and the numpy arrays the vectorised path (``searchsorted``); both are the same integers, so the
two paths agree exactly.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from servicekit.calendar._hours import US_PER_DAY, Intervals
from servicekit.errors import CalendarError

I64 = npt.NDArray[np.int64]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - wall-clock arithmetic, never an instant
ONE_US = timedelta(microseconds=1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SENTINEL = -(2**62)
MIN_YEAR = 2
MAX_YEAR = 9998

DayPlan = Callable[[int], list[tuple[date, Intervals]]]
"""Given a local year, the open intervals of each of its days (closed days may be omitted)."""


def to_us(t: datetime) -> int:
    """Microseconds since the epoch of an aware plain datetime (exact).

    Subclasses (pendulum's ``-`` returns an ``Interval``) are made plain first, by
    ``require_aware`` at the boundary.
    """
    return (t - EPOCH) // ONE_US


def from_us(us: int, zone: ZoneInfo) -> datetime:
    return (EPOCH + timedelta(microseconds=us)).astimezone(zone)


def _offset_us(zone: ZoneInfo, naive: datetime) -> int:
    off = zone.utcoffset(naive)  # fold=0: the earlier of two readings, the pre-gap offset
    assert off is not None
    return off // ONE_US


def wall_to_utc_us(zone: ZoneInfo, naive_us: int) -> int:
    """The first instant at which the local clock shows ``naive_us`` (wall time) or later.

    For an ordinary wall time that is the unique instant showing it; for an ambiguous one (the
    repeated hour when clocks go back) the first of the two; for one skipped when clocks go
    forward, the instant of the jump. This mapping is monotone, so wall-clock intervals map to
    real intervals without ever inverting.
    """
    naive = NAIVE_EPOCH + timedelta(microseconds=naive_us)
    candidate = naive_us - _offset_us(zone, naive)
    back = (EPOCH + timedelta(microseconds=candidate)).astimezone(zone).replace(tzinfo=None)
    if back == naive:
        return candidate
    # In a gap: the transition lies in (naive - offset_after, naive - offset_before].
    after = zone.utcoffset(naive.replace(fold=1))
    assert after is not None
    lo = naive_us - after // ONE_US  # an instant before the jump
    hi = candidate  # an instant at or after the jump
    before_off = _offset_us(zone, naive)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        # the offset in force at an instant (utcoffset of a UTC datetime would read its wall
        # fields as local time)
        mid_off = (EPOCH + timedelta(microseconds=mid)).astimezone(zone).utcoffset()
        assert mid_off is not None
        if mid_off // ONE_US == before_off:
            lo = mid
        else:
            hi = mid
    return hi


def naive_day_us(d: date) -> int:
    return (d.toordinal() - _EPOCH_ORDINAL) * US_PER_DAY


@dataclass(frozen=True, slots=True)
class _Chunk:
    year: int
    lo: int  # instant of local Jan 1 00:00
    hi: int  # instant of local Jan 1 00:00 of the next year
    starts: list[int]
    ends: list[int]
    total: int


@dataclass(frozen=True, slots=True)
class _State:
    first_year: int
    last_year: int
    lo: int
    hi: int
    starts: list[int]
    ends: list[int]
    cum: list[int]
    cum_end: list[int]
    a_starts: I64
    a_ends: I64
    a_cum: I64
    a_cum_end: I64


class Timeline:
    """Lazily built open intervals of one calendar, with the arithmetic on them."""

    __slots__ = ("_base", "_chunks", "_lock", "_may_open_after", "_plan", "_state", "zone")

    def __init__(self, zone: ZoneInfo, plan: DayPlan, may_open_after: Callable[[int], bool]):
        self.zone = zone
        self._plan = plan
        self._may_open_after = may_open_after
        self._chunks: dict[int, _Chunk] = {}
        self._base: dict[int, int] = {}
        self._state: _State | None = None
        self._lock = threading.Lock()

    # -- building -------------------------------------------------------------------------

    def _year_lo(self, year: int) -> int:
        return wall_to_utc_us(self.zone, naive_day_us(date(year, 1, 1)))

    def _build_chunk(self, year: int) -> _Chunk:
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise CalendarError(
                f"business time is computed for years {MIN_YEAR} to {MAX_YEAR}; "
                f"a computation reached year {year}"
            )
        zone = self.zone
        starts: list[int] = []
        ends: list[int] = []
        for day, intervals in self._plan(year):
            if not intervals:
                continue
            base = naive_day_us(day)
            naive_mid = NAIVE_EPOCH + timedelta(microseconds=base)
            off = _offset_us(zone, naive_mid)
            off_next = _offset_us(zone, naive_mid + timedelta(days=1))
            # Same offset at both midnights (and midnight itself exists): no transition today.
            fast = off == off_next and wall_to_utc_us(zone, base) == base - off
            for a, b in intervals:
                if fast:
                    s, e = base + a - off, base + b - off
                else:
                    s, e = wall_to_utc_us(zone, base + a), wall_to_utc_us(zone, base + b)
                if e <= s:
                    continue  # the whole interval fell into a skipped hour
                if ends and ends[-1] == s:
                    ends[-1] = e
                else:
                    starts.append(s)
                    ends.append(e)
        total = sum(ends) - sum(starts)
        return _Chunk(year, self._year_lo(year), self._year_lo(year + 1), starts, ends, total)

    def _publish(self) -> None:
        years = sorted(self._chunks)
        starts: list[int] = [_SENTINEL]
        ends: list[int] = [_SENTINEL]
        first_base = self._base[years[0]]
        cum: list[int] = [first_base]
        cum_end: list[int] = [first_base]
        for y in years:
            ch = self._chunks[y]
            running = self._base[y]
            for s, e in zip(ch.starts, ch.ends, strict=True):
                if ends[-1] == s:  # open across local midnight of new year: one interval
                    ends[-1] = e
                    running += e - s
                    cum_end[-1] = running
                    continue
                starts.append(s)
                ends.append(e)
                cum.append(running)
                running += e - s
                cum_end.append(running)
        self._state = _State(
            first_year=years[0],
            last_year=years[-1],
            lo=self._chunks[years[0]].lo,
            hi=self._chunks[years[-1]].hi,
            starts=starts,
            ends=ends,
            cum=cum,
            cum_end=cum_end,
            a_starts=np.asarray(starts, dtype=np.int64),
            a_ends=np.asarray(ends, dtype=np.int64),
            a_cum=np.asarray(cum, dtype=np.int64),
            a_cum_end=np.asarray(cum_end, dtype=np.int64),
        )

    def _extend_to_year(self, year: int) -> None:
        """Make the built range include local year ``year`` (and all years in between)."""
        with self._lock:
            state = self._state
            if state is None:
                chunk = self._build_chunk(year)
                self._chunks[year] = chunk
                self._base[year] = 0
            elif year > state.last_year:
                # nothing is stored unless every chunk built
                self._store_forward(
                    [self._build_chunk(y) for y in range(state.last_year + 1, year + 1)]
                )
            elif year < state.first_year:
                new = [self._build_chunk(y) for y in range(year, state.first_year)]
                for ch in reversed(new):
                    self._base[ch.year] = self._base[ch.year + 1] - ch.total
                    self._chunks[ch.year] = ch
            else:
                return
            self._publish()

    def _current(self) -> _State:
        state = self._state
        assert state is not None  # set by _extend_to_year, which callers ran first
        return state

    def _store_forward(self, new: list[_Chunk]) -> None:
        """Append chunks of the years after the last built one (caller holds the lock)."""
        for ch in new:
            prev = ch.year - 1
            self._base[ch.year] = self._base[prev] + self._chunks[prev].total
            self._chunks[ch.year] = ch

    def _local_year(self, us: int) -> int:
        return from_us(us, self.zone).year

    def state_for(self, lo_us: int, hi_us: int) -> _State:
        """The state with every instant in [lo_us, hi_us] inside the built range."""
        state = self._state
        if state is None:
            self._extend_to_year(self._local_year(lo_us))
            state = self._current()
        if lo_us < state.lo:
            self._extend_to_year(self._local_year(lo_us))
            state = self._current()
        if hi_us > state.hi:
            self._extend_to_year(self._local_year(hi_us))
            state = self._current()
        return state

    def state_for_target(self, state: _State, target: int) -> _State:
        """Extend forward until some interval's cumulative end reaches ``target``.

        Years are built one at a time and only as far as needed (a year that is not needed
        must not be built: for China it may not be announced yet), then published once.
        """
        if state.cum_end[-1] >= target:
            return state
        with self._lock:
            state = self._current()
            last = state.last_year
            reached = state.cum_end[-1]
            new: list[_Chunk] = []
            while reached < target:
                if not self._may_open_after(last):
                    raise CalendarError(
                        "the calendar never opens again after the instant reached, so the "
                        "requested business time cannot be added"
                    )
                chunk = self._build_chunk(last + 1)  # raises before anything is stored
                new.append(chunk)
                reached += chunk.total
                last += 1
            self._store_forward(new)
            self._publish()
            return self._current()

    # -- scalar arithmetic ----------------------------------------------------------------

    @staticmethod
    def cum(state: _State, t: int) -> int:
        i = bisect_right(state.starts, t) - 1
        end = state.ends[i]
        return state.cum[i] + (t if t < end else end) - state.starts[i]

    def elapsed_us(self, a: int, b: int) -> int:
        state = self.state_for(min(a, b), max(a, b))
        return self.cum(state, b) - self.cum(state, a)

    def add_us(self, s: int, d: int) -> int:
        if d == 0:
            self.state_for(s, s)
            return s
        state = self.state_for(s, s)
        target = self.cum(state, s) + d
        state = self.state_for_target(state, target)
        i = bisect_left(state.cum_end, target)
        return state.starts[i] + (target - state.cum[i])

    def is_open_us(self, t: int) -> bool:
        state = self.state_for(t, t + 1)  # the intervals starting at t must be built too
        i = bisect_right(state.starts, t) - 1
        return t < state.ends[i]

    def next_open_us(self, t: int) -> int:
        state = self.state_for(t, t + 1)
        i = bisect_right(state.starts, t) - 1
        if t < state.ends[i]:
            return t
        # The first moment open time starts to accumulate after t.
        state = self.state_for_target(state, self.cum(state, t) + 1)
        j = bisect_right(state.starts, t)
        return state.starts[j]

    def next_close_us(self, t: int, *, horizon_us: int = 400 * US_PER_DAY) -> int:
        """The end of the open interval that contains ``t``, or of the next one.

        Raises :class:`CalendarError` when the desk stays open for ``horizon_us`` past that.
        """
        start = self.next_open_us(t)
        while True:
            state = self.state_for(start, start + 1)
            i = bisect_right(state.starts, start) - 1
            end = state.ends[i]
            if end < state.hi:
                return end  # intervals are merged across years, so a later one starts later
            if end - start > horizon_us:
                raise CalendarError("the calendar does not close within 400 days")
            # the interval reaches the end of the built years: build the next one and look again
            self.state_for(end, end + 1)
            if not self.is_open_us(end):
                return end

    def intervals_us(self, a: int, b: int) -> list[tuple[int, int]]:
        """Open intervals clipped to [a, b)."""
        if b <= a:
            return []
        state = self.state_for(a, b)
        i = max(bisect_right(state.starts, a) - 1, 1)
        out: list[tuple[int, int]] = []
        n = len(state.starts)
        while i < n and state.starts[i] < b:
            s, e = max(state.starts[i], a), min(state.ends[i], b)
            if s < e:
                out.append((s, e))
            i += 1
        return out

    # -- vectorised arithmetic ------------------------------------------------------------

    @staticmethod
    def cum_many(state: _State, t: I64) -> I64:
        i = np.searchsorted(state.a_starts, t, side="right") - 1
        result: I64 = state.a_cum[i] + np.minimum(t, state.a_ends[i]) - state.a_starts[i]
        return result

    def elapsed_many_us(self, a: I64, b: I64, span: tuple[int, int] | None = None) -> I64:
        """``span``: the least and the greatest instant of ``a`` and ``b``, if known."""
        if a.size == 0:
            return np.zeros(0, dtype=np.int64)
        if span is None:
            span = int(min(a.min(), b.min())), int(max(a.max(), b.max()))
        state = self.state_for(*span)
        result: I64 = self.cum_many(state, b) - self.cum_many(state, a)
        return result

    def add_many_us(self, s: I64, d: I64, span: tuple[int, int] | None = None) -> I64:
        """``span``: the least and the greatest instant of ``s``, if known."""
        if s.size == 0:
            return np.zeros(0, dtype=np.int64)
        state = self.state_for(*(span or (int(s.min()), int(s.max()))))
        target = self.cum_many(state, s) + d
        state = self.state_for_target(state, int(target.max()))
        i = np.searchsorted(state.a_cum_end, target, side="left")
        out: I64 = np.where(d == 0, s, state.a_starts[i] + (target - state.a_cum[i]))
        return out
