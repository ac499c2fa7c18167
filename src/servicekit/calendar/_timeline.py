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
reaches that year, and cached on the calendar: a window of at most :data:`MAX_SPAN_YEARS`
consecutive years and :data:`MAX_INTERVALS` intervals, grown by appending (or prepending) the
missing years. A computation whose own years pass a limit raises :class:`CalendarError` before
the work is done, so neither time nor memory grows with the span asked for. The Python lists
serve the scalar path (``bisect``) and the numpy arrays the vectorised path (``searchsorted``);
both are the same integers, so the two paths agree exactly.
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
_ONE_DAY = timedelta(days=1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SENTINEL = -(2**62)
MIN_YEAR = 2
MAX_YEAR = 9998
#: The most consecutive local years one computation may need (from its first instant to its
#: last, or to an ``add``'s result), and the most the calendar keeps built at a time. A century
#: of a desk with a lunch break is about 52,000 intervals (10 MB), built in about 0.2 s.
MAX_SPAN_YEARS = 100
#: The most open intervals the calendar keeps built at a time (about 200 bytes each: 40 MB).
MAX_INTERVALS = 200_000

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


class _Limit(Exception):
    """A computation needs more than the timeline may hold (internal; callers raise
    :class:`CalendarError` with the message, or retry the work in smaller pieces)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Restart(Exception):
    """The walk of a window that starts before the computation's first year hit a limit:
    retry in a fresh window that starts at that year (internal)."""


_SPAN_LIMIT = (
    f"the computation needs more than {MAX_SPAN_YEARS} consecutive local years; business time "
    f"is computed over at most {MAX_SPAN_YEARS} years at a time"
)
_INTERVAL_LIMIT = (
    f"the local years the computation needs hold more than {MAX_INTERVALS:,} open intervals, "
    "the most the calendar keeps at a time"
)


def _years_error(year: int) -> CalendarError:
    return CalendarError(
        f"business time is computed for years {MIN_YEAR} to {MAX_YEAR}; "
        f"a computation reached year {year}"
    )


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
    """One window of built years (an immutable snapshot; extending makes a new one).

    ``window`` identifies the origin of the cumulative open time: an extension of a window
    keeps it (and every value already there), a fresh window gets a new one.
    """

    window: int
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

    @property
    def count(self) -> int:
        return len(self.starts) - 1  # the sentinel is not an interval


def _assemble(
    chunks: list[_Chunk], base: int
) -> tuple[list[int], list[int], list[int], list[int]]:
    """The intervals of consecutive years, merged across their boundaries, with the open time
    before each (``cum``) and at its end (``cum_end``) counted from ``base``."""
    starts: list[int] = []
    ends: list[int] = []
    cum: list[int] = []
    cum_end: list[int] = []
    running = base
    for ch in chunks:
        for s, e in zip(ch.starts, ch.ends, strict=True):
            if ends and ends[-1] == s:  # open across local midnight of the new year
                ends[-1] = e
                running += e - s
                cum_end[-1] = running
                continue
            starts.append(s)
            ends.append(e)
            cum.append(running)
            running += e - s
            cum_end.append(running)
    return starts, ends, cum, cum_end


def _i64(values: list[int]) -> I64:
    return np.asarray(values, dtype=np.int64)


class Timeline:
    """Lazily built open intervals of one calendar, with the arithmetic on them.

    The built years form one *window* of at most :data:`MAX_SPAN_YEARS` consecutive local years
    holding at most :data:`MAX_INTERVALS` intervals. A computation needs the local years from
    its first instant to its last (for ``add``, to its result); the window grows to include
    them, by building only the missing years and appending (or prepending) them, or, when the
    union would pass a limit, is replaced by a fresh window of just those years. A computation
    whose own years pass a limit raises :class:`CalendarError` naming it, so the answer never
    depends on what was computed before, and neither time nor memory grows past the limits.
    """

    __slots__ = ("_lock", "_may_open_after", "_plan", "_state", "_windows", "zone")

    def __init__(self, zone: ZoneInfo, plan: DayPlan, may_open_after: Callable[[int], bool]):
        self.zone = zone
        self._plan = plan
        self._may_open_after = may_open_after
        self._state: _State | None = None
        self._windows = 0
        self._lock = threading.Lock()

    # -- building -------------------------------------------------------------------------

    def _year_lo(self, year: int) -> int:
        return wall_to_utc_us(self.zone, naive_day_us(date(year, 1, 1)))

    def _local_year(self, us: int) -> int:
        return from_us(us, self.zone).year

    def _build_chunk(self, year: int, budget: int) -> _Chunk:
        """The open intervals of one local year; :class:`_Limit` past ``budget`` intervals
        (counted from the plan, before any is converted)."""
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise _years_error(year)
        plan = self._plan(year)
        if sum(len(intervals) for _, intervals in plan) > budget:
            raise _Limit(_INTERVAL_LIMIT)
        zone = self.zone
        starts: list[int] = []
        ends: list[int] = []
        next_base, next_off = None, 0  # the offset at the next midnight, for consecutive days
        for day, intervals in plan:
            base = naive_day_us(day)
            naive_mid = NAIVE_EPOCH + timedelta(microseconds=base)
            off = next_off if base == next_base else _offset_us(zone, naive_mid)
            off_next = _offset_us(zone, naive_mid + _ONE_DAY)
            next_base, next_off = base + US_PER_DAY, off_next
            # Same offset at both midnights, and midnight neither skipped nor repeated (both
            # readings of it agree): no transition today.
            fast = off == off_next and _offset_us(zone, naive_mid.replace(fold=1)) == off
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

    def _build(self, years: range, budget: int) -> list[_Chunk]:
        out: list[_Chunk] = []
        for y in years:
            chunk = self._build_chunk(y, budget)
            budget -= len(chunk.starts)
            out.append(chunk)
        return out

    def _fresh(self, chunks: list[_Chunk]) -> _State:
        s, e, c, ce = _assemble(chunks, 0)
        self._windows += 1
        return _State(
            self._windows, chunks[0].year, chunks[-1].year, chunks[0].lo, chunks[-1].hi,
            [_SENTINEL, *s], [_SENTINEL, *e], [0, *c], [0, *ce],
            _i64([_SENTINEL, *s]), _i64([_SENTINEL, *e]), _i64([0, *c]), _i64([0, *ce]),
        )

    @staticmethod
    def _append(state: _State, chunks: list[_Chunk]) -> _State:
        """``state`` followed by the years of ``chunks`` (the ones right after it).

        Only the new intervals are converted; the old lists and arrays are copied as they are
        (C-level copies), so growing a window year by year costs the new years, not a rebuild.
        """
        s, e, c, ce = _assemble(chunks, state.cum_end[-1])
        cat = np.concatenate
        if s and state.count and state.ends[-1] == s[0]:  # one interval across the new year
            starts, ends = state.starts + s[1:], state.ends[:-1] + e
            cum, cum_end = state.cum + c[1:], state.cum_end[:-1] + ce
            arrays = (
                cat((state.a_starts, _i64(s[1:]))),
                cat((state.a_ends[:-1], _i64(e))),
                cat((state.a_cum, _i64(c[1:]))),
                cat((state.a_cum_end[:-1], _i64(ce))),
            )
        else:
            starts, ends = state.starts + s, state.ends + e
            cum, cum_end = state.cum + c, state.cum_end + ce
            arrays = (
                cat((state.a_starts, _i64(s))),
                cat((state.a_ends, _i64(e))),
                cat((state.a_cum, _i64(c))),
                cat((state.a_cum_end, _i64(ce))),
            )
        return _State(
            state.window, state.first_year, chunks[-1].year, state.lo, chunks[-1].hi,
            starts, ends, cum, cum_end, *arrays,
        )

    @staticmethod
    def _prepend(state: _State, chunks: list[_Chunk]) -> _State:
        """The years of ``chunks`` (the ones right before ``state``) followed by ``state``.

        The cumulative open time keeps its origin: the new years count down from it.
        """
        base = state.cum[0] - sum(ch.total for ch in chunks)
        s, e, c, ce = _assemble(chunks, base)
        k = 1  # state's intervals from index k on are kept as they are
        if s and state.count and e[-1] == state.starts[1]:  # one interval across the new year
            e[-1] = state.ends[1]
            ce[-1] = state.cum_end[1]
            k = 2
        head_s, head_e = [_SENTINEL, *s], [_SENTINEL, *e]
        head_c, head_ce = [base, *c], [base, *ce]
        cat = np.concatenate
        return _State(
            state.window, chunks[0].year, state.last_year, chunks[0].lo, state.hi,
            head_s + state.starts[k:], head_e + state.ends[k:],
            head_c + state.cum[k:], head_ce + state.cum_end[k:],
            cat((_i64(head_s), state.a_starts[k:])), cat((_i64(head_e), state.a_ends[k:])),
            cat((_i64(head_c), state.a_cum[k:])), cat((_i64(head_ce), state.a_cum_end[k:])),
        )

    def _ensure(self, y_lo: int, y_hi: int, *, reuse: bool = True) -> _State:
        """A state whose built years include ``y_lo`` to ``y_hi`` (caller holds the lock).

        Grows the current window when the union stays within the limits and every missing year
        builds; otherwise builds a fresh window of just these years. Nothing is stored unless
        every year built. Raises :class:`_Limit` when the years themselves pass a limit.
        """
        if y_hi - y_lo + 1 > MAX_SPAN_YEARS:
            raise _Limit(_SPAN_LIMIT)
        state = self._state
        if reuse and state is not None:
            if state.first_year <= y_lo and y_hi <= state.last_year:
                return state
            first, last = min(state.first_year, y_lo), max(state.last_year, y_hi)
            if last - first + 1 <= MAX_SPAN_YEARS:
                budget = MAX_INTERVALS - state.count
                try:
                    before = self._build(range(y_lo, state.first_year), budget)
                    budget -= sum(len(ch.starts) for ch in before)
                    after = self._build(range(state.last_year + 1, y_hi + 1), budget)
                except (_Limit, CalendarError):
                    # too much for one window, or a year in between that does not build (a China
                    # year not announced): the computation needs only its own years
                    pass
                else:
                    if before:
                        state = self._prepend(state, before)
                    if after:
                        state = self._append(state, after)
                    self._state = state
                    return state
        state = self._fresh(self._build(range(y_lo, y_hi + 1), MAX_INTERVALS))
        self._state = state
        return state

    def _current(self) -> _State:
        state = self._state
        assert state is not None  # set by _ensure, which callers ran first
        return state

    def _extend(self, lo_us: int, hi_us: int) -> _State:
        """:meth:`state_for` when the current window lacks some of the years (raises
        :class:`_Limit`).

        The built range is closed at its end (an instant at local new year is answered by the
        years before it), so the years needed are those of ``[lo_us, hi_us)``, or ``lo_us``'s.
        """
        y_lo, y_hi = self._local_year(lo_us), self._local_year(max(lo_us, hi_us - 1))
        with self._lock:
            return self._ensure(y_lo, y_hi)

    def state_for(self, lo_us: int, hi_us: int, what: str = "instants") -> _State:
        """A state with every instant in [lo_us, hi_us] inside the built range.

        ``what`` names the arguments in the error raised when their years pass a limit.
        """
        state = self._state
        if state is None or lo_us < state.lo or hi_us > state.hi:
            try:
                return self._extend(lo_us, hi_us)
            except _Limit as exc:
                raise CalendarError(f"{what}: {exc.message}") from None
        return state

    def _reach(self, lo_us: int, hi_us: int, target_of: Callable[[_State], int]) -> _State:
        """A state containing [lo_us, hi_us] whose cumulative open time reaches
        ``target_of(state)`` (the target depends on the window's origin, so it is computed
        here). Raises :class:`_Limit` when the years from ``lo_us`` on do not reach it within
        the limits.

        Years are built one at a time and only as far as needed (a year that is not needed
        must not be built: for China it may not be announced yet), then stored once.
        """
        y_lo, y_hi = self._local_year(lo_us), self._local_year(hi_us)
        with self._lock:
            state = self._ensure(y_lo, y_hi)
            try:
                state = self._walk(state, target_of(state), y_lo)
            except _Restart:
                # a fresh window starts at the computation's first year: its walk never restarts
                state = self._ensure(y_lo, y_hi, reuse=False)
                state = self._walk(state, target_of(state), y_lo)
            self._state = state
            return state

    def _walk(self, state: _State, target: int, y_lo: int) -> _State:
        last = state.last_year
        reached = state.cum_end[-1]
        budget = MAX_INTERVALS - state.count
        new: list[_Chunk] = []
        while reached < target:
            if not self._may_open_after(last):
                raise CalendarError(
                    "the calendar never opens again after the instant reached (no weekly hours "
                    "and no later make-up working day), so no later open time can be found"
                )
            if last + 1 - state.first_year + 1 > MAX_SPAN_YEARS:
                if state.first_year < y_lo:
                    raise _Restart
                raise _Limit(_SPAN_LIMIT)
            try:
                chunk = self._build_chunk(last + 1, budget)  # raises before anything is stored
            except _Limit:
                if state.first_year < y_lo:
                    raise _Restart from None
                raise
            new.append(chunk)
            budget -= len(chunk.starts)
            reached += chunk.total
            last += 1
        return self._append(state, new) if new else state

    def amount_limit(self, s: int) -> tuple[int, str]:
        """The most business time an ``add`` from instant ``s`` could find within the limits
        (an upper bound: the wall time to the end of the last year it may reach), and the
        limit that sets it."""
        y = self._local_year(s)
        last = y + MAX_SPAN_YEARS - 1
        if last >= MAX_YEAR:
            return self._year_lo(MAX_YEAR + 1) - s, (
                f"more business time than remains before the end of year {MAX_YEAR}"
            )
        return self._year_lo(last + 1) - s, (
            f"more business time than {MAX_SPAN_YEARS} local years from the start hold; "
            f"business time is computed over at most {MAX_SPAN_YEARS} years at a time"
        )

    # -- scalar arithmetic ----------------------------------------------------------------

    @staticmethod
    def cum(state: _State, t: int) -> int:
        i = bisect_right(state.starts, t) - 1
        end = state.ends[i]
        return state.cum[i] + (t if t < end else end) - state.starts[i]

    def elapsed_us(self, a: int, b: int) -> int:
        state = self.state_for(min(a, b), max(a, b), "start and end")
        return self.cum(state, b) - self.cum(state, a)

    def add_us(self, s: int, d: int, name: str = "duration") -> int:
        if d == 0:
            self.state_for(s, s, "start")
            return s
        state = self.state_for(s, s, "start")
        target = self.cum(state, s) + d
        if state.cum_end[-1] < target:
            limit, why = self.amount_limit(s)
            if d > limit:  # checked before any year is built
                raise CalendarError(f"{name}: {why}")
            cum = self.cum
            try:
                state = self._reach(s, s, lambda st: cum(st, s) + d)
            except _Limit as exc:
                raise CalendarError(f"{name}: {exc.message}") from None
            target = cum(state, s) + d
        i = bisect_left(state.cum_end, target)
        return state.starts[i] + (target - state.cum[i])

    def is_open_us(self, t: int) -> bool:
        state = self.state_for(t, t + 1, "t")  # the intervals starting at t must be built too
        i = bisect_right(state.starts, t) - 1
        return t < state.ends[i]

    def next_open_us(self, t: int) -> int:
        state = self.state_for(t, t + 1, "t")
        i = bisect_right(state.starts, t) - 1
        if t < state.ends[i]:
            return t
        # The first moment open time starts to accumulate after t.
        if state.cum_end[-1] <= self.cum(state, t):
            cum = self.cum
            try:
                state = self._reach(t, t + 1, lambda st: cum(st, t) + 1)
            except _Limit as exc:
                raise CalendarError(f"t: the calendar does not open again in time; {exc.message}"
                                    ) from None
        j = bisect_right(state.starts, t)
        return state.starts[j]

    def next_close_us(self, t: int, *, horizon_us: int = 400 * US_PER_DAY) -> int:
        """The end of the open interval that contains ``t``, or of the next one.

        Raises :class:`CalendarError` when the desk stays open for ``horizon_us`` past that.
        """
        start = self.next_open_us(t)
        while True:
            state = self.state_for(start, start + 1, "t")
            i = bisect_right(state.starts, start) - 1
            end = state.ends[i]
            if end < state.hi:
                return end  # intervals are merged across years, so a later one starts later
            if end - start > horizon_us:
                raise CalendarError("the calendar does not close within 400 days")
            # the interval reaches the end of the built years: is_open_us builds the next one
            if not self.is_open_us(end):
                return end

    def intervals_us(self, a: int, b: int) -> list[tuple[int, int]]:
        """Open intervals clipped to [a, b)."""
        if b <= a:
            return []
        state = self.state_for(a, b, "start and end")
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
    #
    # A vectorised call answers each element as the scalar method would, errors included. The
    # fast path computes the whole array in one window; when the array's years do not fit one
    # (or a year between its instants does not build), the elements are taken one local start
    # year at a time, each group in a window of its own years, as their scalar calls would be.

    @staticmethod
    def cum_many(state: _State, t: I64) -> I64:
        i = np.searchsorted(state.a_starts, t, side="right") - 1
        result: I64 = state.a_cum[i] + np.minimum(t, state.a_ends[i]) - state.a_starts[i]
        return result

    def _local_years(self, t: I64) -> I64:
        """The local year of each instant (one zone conversion per year, not per instant)."""
        y0, y1 = self._local_year(int(t.min())), self._local_year(int(t.max()))
        los = _i64([self._year_lo(y) for y in range(y0, y1 + 2)])
        years: I64 = y0 + np.searchsorted(los, t, side="right") - 1
        return years

    @staticmethod
    def _groups(years: I64) -> list[npt.NDArray[np.intp]]:
        """Indexes of the elements of each year, the years in increasing order."""
        order = np.argsort(years, kind="stable")
        cuts = np.flatnonzero(np.diff(years[order])) + 1
        return list(np.split(order, cuts))

    def _window_for(self, lo: int, hi: int) -> _State | None:
        """The fast path's state for [lo, hi], or None when the years do not fit one window or
        do not all build (the per-year path then finds the errors the scalar calls would)."""
        state = self._state
        if state is not None and state.lo <= lo and hi <= state.hi:
            return state
        try:
            return self._extend(lo, hi)
        except (_Limit, CalendarError):
            return None

    def elapsed_many_us(
        self,
        a: I64,
        b: I64,
        span: tuple[int, int] | None = None,
        names: str = "starts and ends",
    ) -> I64:
        """``span``: the least and the greatest instant of ``a`` and ``b``, if known."""
        if a.size == 0:
            return np.zeros(a.shape, dtype=np.int64)
        if span is None:
            span = int(min(a.min(), b.min())), int(max(a.max(), b.max()))
        state = self._window_for(*span)
        if state is not None:
            result: I64 = self.cum_many(state, b) - self.cum_many(state, a)
            return result
        shape = a.shape
        a, b = a.ravel(), b.ravel()
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        out = np.empty(a.shape, dtype=np.int64)
        for idx in self._groups(self._local_years(lo)):
            state = self.state_for(int(lo[idx].min()), int(hi[idx].max()), names)
            out[idx] = self.cum_many(state, b[idx]) - self.cum_many(state, a[idx])
        return out.reshape(shape)

    def add_many_us(
        self,
        s: I64,
        d: I64,
        span: tuple[int, int] | None = None,
        name: str = "durations",
        starts_name: str = "starts",
    ) -> I64:
        """``span``: the least and the greatest instant of ``s``, if known. ``d`` is at most
        :data:`~servicekit.calendar._convert.MAX_DURATION_US` (the callers check)."""
        if s.size == 0:
            return np.zeros(s.shape, dtype=np.int64)
        lo, hi = span or (int(s.min()), int(s.max()))
        state = self._window_for(lo, hi)
        if state is not None:
            out = self._add_group(state, s, d, (lo, hi), name=name, fast=True)
            if out is not None:
                return out
        shape = s.shape
        s, d = s.ravel(), d.ravel()
        out = np.empty(s.shape, dtype=np.int64)
        for idx in self._groups(self._local_years(s)):
            gs, gd = s[idx], d[idx]
            glo, ghi = int(gs.min()), int(gs.max())
            state = self.state_for(glo, ghi, starts_name)
            group = self._add_group(state, gs, gd, (glo, ghi), name=name, fast=False)
            assert group is not None  # fast=False raises instead
            out[idx] = group
        return out.reshape(shape)

    def _add_group(
        self, state: _State, s: I64, d: I64, span: tuple[int, int], *, name: str, fast: bool
    ) -> I64 | None:
        """``add`` for starts in [lo, hi]. On the fast path, None where some element may not
        fit the window (the per-year path decides); otherwise the scalar calls' errors."""
        lo, hi = span
        target = self.cum_many(state, s) + d
        if int(target.max()) > state.cum_end[-1]:
            limit, why = self.amount_limit(lo)
            if bool(np.any(d > limit - (s - lo))):  # the wall time left, from each start
                if fast:
                    return None
                raise CalendarError(f"{name}: {why}")
            cum_many = self.cum_many

            def most(st: _State) -> int:
                return int((cum_many(st, s) + d).max())

            try:
                state = self._reach(lo, hi, most)
            except (_Limit, CalendarError) as exc:
                if fast:
                    return None
                if isinstance(exc, _Limit):
                    raise CalendarError(f"{name}: {exc.message}") from None
                raise
            target = cum_many(state, s) + d
        i = np.searchsorted(state.a_cum_end, target, side="left")
        out: I64 = np.where(d == 0, s, state.a_starts[i] + (target - state.a_cum[i]))
        return out
