"""``elapsed_many`` / ``add_many``: input forms, NaT, lengths, empty inputs and units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pytest

from servicekit.calendar import BusinessCalendar
from servicekit.errors import (
    CalendarError,
    InvalidInputError,
    NaiveDatetimeError,
    ServiceKitError,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar(tz="Asia/Shanghai", hours="09:00-12:00,13:00-18:00")
H = timedelta(hours=1)

# Shanghai local times (UTC+8), some with microseconds
STARTS = [
    datetime(2026, 3, 2, 11, 0, tzinfo=SH),
    datetime(2026, 3, 6, 17, 0, tzinfo=SH),
    datetime(2026, 3, 7, 10, 0, tzinfo=SH),
    datetime(2026, 3, 2, 9, 30, 15, 250_000, tzinfo=SH),
    datetime(2026, 3, 9, 18, 0, tzinfo=SH),
]
ENDS = [
    datetime(2026, 3, 2, 14, 0, tzinfo=SH),
    datetime(2026, 3, 9, 10, 0, tzinfo=SH),
    datetime(2026, 3, 7, 11, 0, tzinfo=SH),
    datetime(2026, 3, 2, 9, 30, 16, tzinfo=SH),
    datetime(2026, 3, 2, 18, 0, tzinfo=SH),  # before its start: negative
]
DURATIONS = [2 * H, 2 * H, timedelta(0), timedelta(microseconds=1), 8 * H]


def utc64(values: list[datetime], unit: str = "us") -> npt.NDArray[np.datetime64]:
    naive = [v.astimezone(UTC).replace(tzinfo=None) for v in values]
    return np.array(naive, dtype="datetime64[us]").astype(f"datetime64[{unit}]")


def expected_seconds() -> list[float]:
    return [CAL.elapsed(a, b).total_seconds() for a, b in zip(STARTS, ENDS, strict=True)]


def expected_added() -> npt.NDArray[np.datetime64]:
    return utc64([CAL.add(s, d) for s, d in zip(STARTS, DURATIONS, strict=True)])


def test_scalar_expectations() -> None:
    assert expected_seconds() == [7200.0, 7200.0, 0.0, 0.75, -144000.0]
    assert expected_added().tolist() == [
        datetime(2026, 3, 2, 6, 0),  # 14:00 in Shanghai
        datetime(2026, 3, 9, 2, 0),
        datetime(2026, 3, 7, 2, 0),  # adding zero keeps the (closed) start
        datetime(2026, 3, 2, 1, 30, 15, 250_001),
        datetime(2026, 3, 10, 10, 0),
    ]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_datetime64_units(unit: str) -> None:
    # whole-second instants survive every unit; the microsecond one only us and ns
    keep = [i for i, s in enumerate(STARTS) if unit in ("us", "ns") or not s.microsecond]
    starts = utc64([STARTS[i] for i in keep], unit)
    ends = utc64([ENDS[i] for i in keep], unit)
    assert starts.dtype == np.dtype(f"datetime64[{unit}]")
    got = CAL.elapsed_many(starts, ends)
    assert got.tolist() == [expected_seconds()[i] for i in keep]
    durations = np.array(
        [np.timedelta64(DURATIONS[i] // timedelta(microseconds=1), "us") for i in keep]
    ).astype(f"timedelta64[{unit}]")
    added = CAL.add_many(starts, durations)
    assert added.dtype == np.dtype("datetime64[us]")
    assert added.tolist() == [expected_added()[i] for i in keep]


def test_coarse_units_are_accepted() -> None:
    days = np.array(["2026-03-02", "2026-03-09"], dtype="datetime64[D]")
    assert CAL.elapsed_many(days[:1], days[1:]).tolist() == [40 * 3600.0]
    minutes = np.array([120], dtype="timedelta64[m]")
    assert CAL.add_many(days[:1], minutes).tolist() == [datetime(2026, 3, 2, 3, 0)]
    hours = np.array([2], dtype="timedelta64[h]")
    assert CAL.add_many(days[:1], hours).tolist() == [datetime(2026, 3, 2, 3, 0)]


def test_nanoseconds_below_the_microsecond_are_rejected() -> None:
    starts = utc64(STARTS[:1], "ns")
    ends = utc64(ENDS[:1], "ns")
    assert CAL.elapsed_many(starts, ends).tolist() == expected_seconds()[:1]
    bad = starts + np.timedelta64(1, "ns")
    with pytest.raises(InvalidInputError, match="below the microsecond") as info:
        CAL.elapsed_many(bad, ends)
    assert isinstance(info.value, ServiceKitError)
    assert "starts" in str(info.value)
    with pytest.raises(InvalidInputError, match="below the microsecond"):
        CAL.elapsed_many(starts, ends + np.timedelta64(999, "ns"))
    with pytest.raises(InvalidInputError, match="below the microsecond"):
        CAL.add_many(bad, [H])
    with pytest.raises(InvalidInputError, match="durations"):
        CAL.add_many(starts, np.array([1_500], dtype="timedelta64[ns]"))
    # whole microseconds given in ns are fine
    assert CAL.add_many(starts, np.array([3_000], dtype="timedelta64[ns]")).tolist() == [
        datetime(2026, 3, 2, 3, 0, 0, 3)
    ]


def test_sequences_of_aware_datetimes() -> None:
    assert CAL.elapsed_many(STARTS, ENDS).tolist() == expected_seconds()
    assert CAL.elapsed_many(tuple(STARTS), tuple(ENDS)).tolist() == expected_seconds()
    assert CAL.add_many(STARTS, DURATIONS).tolist() == expected_added().tolist()
    assert CAL.add_many(tuple(STARTS), tuple(DURATIONS)).tolist() == expected_added().tolist()
    # any zone, including fixed offsets and UTC; mixed within one sequence
    zones = [UTC, ZoneInfo("America/New_York"), timezone(timedelta(hours=5, minutes=30)), SH]
    mixed = [t.astimezone(zones[i % len(zones)]) for i, t in enumerate(STARTS)]
    assert CAL.elapsed_many(mixed, ENDS).tolist() == expected_seconds()
    assert CAL.add_many(mixed, DURATIONS).tolist() == expected_added().tolist()


def test_object_arrays() -> None:
    starts = np.array(STARTS, dtype=object)
    ends = np.array(ENDS, dtype=object)
    durations = np.array(DURATIONS, dtype=object)
    assert CAL.elapsed_many(starts, ends).tolist() == expected_seconds()
    assert CAL.add_many(starts, durations).tolist() == expected_added().tolist()
    # an object array mixed with a datetime64 array
    assert CAL.elapsed_many(starts, utc64(ENDS)).tolist() == expected_seconds()


def test_seconds_are_exactly_the_scalar_total_seconds() -> None:
    a = datetime(2026, 3, 2, 9, 0, 0, 1, tzinfo=SH)
    ends = [a + timedelta(microseconds=k) for k in (1, 3, 7, 100_003, 333_333, 999_999)]
    ends += [datetime(2026, 6, 30, 17, 59, 59, 999_999, tzinfo=SH)]
    seconds = CAL.elapsed_many([a] * len(ends), ends)
    assert seconds.tolist() == [CAL.elapsed(a, e).total_seconds() for e in ends]


def test_unit_us_gives_exact_int64_microseconds() -> None:
    got = CAL.elapsed_many(STARTS, ENDS, unit="us")
    assert got.dtype == np.int64
    pairs = zip(STARTS, ENDS, strict=True)
    expected = [CAL.elapsed(a, b) // timedelta(microseconds=1) for a, b in pairs]
    assert got.tolist() == expected
    assert got.tolist() == [7_200_000_000, 7_200_000_000, 0, 750_000, -144_000_000_000]
    with pytest.raises(CalendarError, match="unit"):
        CAL.elapsed_many(STARTS, ENDS, unit="ms")  # type: ignore[arg-type]


def test_elapsed_many_nat_gives_nan() -> None:
    starts = utc64(STARTS)
    ends = utc64(ENDS)
    starts[1] = np.datetime64("NaT")
    ends[3] = np.datetime64("NaT")
    got = CAL.elapsed_many(starts, ends)
    assert got.dtype == np.float64
    want = expected_seconds()
    assert np.isnan(got[1])
    assert np.isnan(got[3])
    assert [got[i] for i in (0, 2, 4)] == [want[i] for i in (0, 2, 4)]
    # inputs are left alone
    assert np.isnat(starts[1])
    assert not np.isnat(starts[0])
    with pytest.raises(CalendarError, match="NaT"):
        CAL.elapsed_many(starts, ends, unit="us")


def test_elapsed_many_all_nat() -> None:
    nat = np.array(["NaT", "NaT"], dtype="datetime64[us]")
    got = CAL.elapsed_many(nat, nat)
    assert got.shape == (2,)
    assert np.isnan(got).all()
    got = CAL.elapsed_many(nat, utc64(ENDS[:2]))
    assert np.isnan(got).all()


def test_add_many_nat_gives_nat() -> None:
    starts = utc64(STARTS)
    durations = np.array([d // timedelta(microseconds=1) for d in DURATIONS], dtype="m8[us]")
    starts[0] = np.datetime64("NaT")
    durations[2] = np.timedelta64("NaT")
    got = CAL.add_many(starts, durations)
    assert got.dtype == np.dtype("datetime64[us]")
    assert np.isnat(got[0])
    assert np.isnat(got[2])
    want = expected_added()
    assert [got[i] for i in (1, 3, 4)] == [want[i] for i in (1, 3, 4)]
    all_nat = CAL.add_many(np.array(["NaT"], dtype="M8[us]"), [H])
    assert all_nat.dtype == np.dtype("datetime64[us]")
    assert np.isnat(all_nat).all()


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.elapsed_many(STARTS, ENDS[:-1]),
        lambda: CAL.elapsed_many(utc64(STARTS[:2]), utc64(ENDS)),
        lambda: CAL.elapsed_many([], ENDS[:1]),
        lambda: CAL.add_many(STARTS, DURATIONS[:-1]),
        lambda: CAL.add_many(utc64(STARTS[:1]), np.array([1, 2], dtype="m8[s]")),
    ],
)
def test_length_mismatch(call: object) -> None:
    assert callable(call)
    with pytest.raises(CalendarError, match="differ in length") as info:
        call()
    assert isinstance(info.value, ServiceKitError)


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        ([], []),
        ((), ()),
        (np.array([], dtype="datetime64[us]"), np.array([], dtype="datetime64[ns]")),
        (np.array([], dtype=object), []),
    ],
)
def test_empty_inputs(starts: object, ends: object) -> None:
    seconds = CAL.elapsed_many(starts, ends)
    assert seconds.shape == (0,)
    assert seconds.dtype == np.float64
    micros = CAL.elapsed_many(starts, ends, unit="us")
    assert micros.shape == (0,)
    assert micros.dtype == np.int64
    added = CAL.add_many(starts, [])
    assert added.shape == (0,)
    assert added.dtype == np.dtype("datetime64[us]")
    added = CAL.add_many(starts, np.array([], dtype="timedelta64[s]"))
    assert added.shape == (0,)


def test_wrong_inputs_are_rejected() -> None:
    with pytest.raises(NaiveDatetimeError, match=r"starts\[2\]"):
        CAL.elapsed_many([*STARTS[:2], datetime(2026, 3, 2, 9)], ENDS[:3])
    with pytest.raises(InvalidInputError, match="datetime64"):
        CAL.elapsed_many(np.array([1, 2]), np.array([3, 4]))
    with pytest.raises(InvalidInputError, match="without a unit"):
        CAL.elapsed_many(np.array(["NaT"], dtype="datetime64"), utc64(ENDS[:1]))
    with pytest.raises(InvalidInputError):
        CAL.elapsed_many("2026-03-02", "2026-03-03")
    with pytest.raises(InvalidInputError):
        CAL.elapsed_many(STARTS[0], ENDS[0])  # a scalar, not a sequence
    with pytest.raises(InvalidInputError, match="timedelta64"):
        CAL.add_many(utc64(STARTS[:1]), np.array([3600]))
    with pytest.raises(InvalidInputError, match=r"durations\[0\]"):
        CAL.add_many(STARTS[:1], [3600])
    with pytest.raises(InvalidInputError, match="negative"):
        CAL.add_many(utc64(STARTS[:1]), np.array([-1], dtype="m8[s]"))
    with pytest.raises(InvalidInputError, match="negative"):
        CAL.add_many(STARTS[:1], [timedelta(microseconds=-1)])
    with pytest.raises(CalendarError, match="outside the years"):
        CAL.elapsed_many([datetime(1, 1, 1, tzinfo=UTC)], ENDS[:1])
    with pytest.raises(CalendarError, match="outside the years"):
        CAL.elapsed_many(np.array(["0001-01-01"], dtype="M8[us]"), utc64(ENDS[:1]))


def test_add_many_with_zero_duration_returns_starts() -> None:
    starts = utc64(STARTS)
    got = CAL.add_many(starts, np.zeros(len(STARTS), dtype="m8[us]"))
    assert got.tolist() == starts.tolist()


def test_large_batch_matches_scalar() -> None:
    rng = np.random.default_rng(20261001)
    lo = np.datetime64("2025-01-01T00:00", "us").astype(np.int64)
    hi = np.datetime64("2027-12-31T00:00", "us").astype(np.int64)
    starts = rng.integers(lo, hi, 400).astype("M8[us]")
    ends = rng.integers(lo, hi, 400).astype("M8[us]")
    durations = rng.integers(0, 500 * 3600 * 10**6, 400).astype("m8[us]")
    micros = CAL.elapsed_many(starts, ends, unit="us")
    added = CAL.add_many(starts, durations)

    def aware(x: np.datetime64) -> datetime:
        return x.astype(datetime).replace(tzinfo=UTC)  # type: ignore[no-any-return]

    for i in range(0, 400, 7):
        a, b = aware(starts[i]), aware(ends[i])
        assert micros[i] == CAL.elapsed(a, b) // timedelta(microseconds=1)
        d = timedelta(microseconds=int(durations[i].astype(np.int64)))
        assert added[i] == np.datetime64(CAL.add(a, d).astimezone(UTC).replace(tzinfo=None))
