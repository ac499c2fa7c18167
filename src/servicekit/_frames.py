"""What the customer functions take: any frame narwhals supports, or an iterable of records.

A frame (pandas, polars, pyarrow, a DuckDB relation, Dask, PySpark …) is handed to narwhals and
the work stays on its engine: a lazy frame comes back lazy. Anything else iterable is a
sequence of records (mappings or objects with attributes, such as pydantic models), worked in
Python: the path for a service asking about a few customers, which needs no frame library.

narwhals is imported only for frames (the ``frames`` extra): ``import servicekit.customers``
stays light.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from servicekit.errors import InvalidInputError, NaiveDatetimeError

__all__ = ["as_frame", "check_columns", "epoch_us", "field_of", "records_of"]


def as_frame(data: object, command: str) -> Any | None:
    """``data`` as a narwhals DataFrame or LazyFrame, or ``None`` when it is not a frame."""
    if data is None or isinstance(data, (str, bytes, Mapping)):
        raise InvalidInputError(f"{command}: expected a data frame or an iterable of records "
                                f"(got {type(data).__name__})")
    module = type(data).__module__.partition(".")[0]
    if module in ("builtins", "collections", "servicekit", "pydantic"):
        return None  # a list, a tuple, a generator …: records
    try:
        import narwhals as nw
    except ImportError:  # the frames extra is missing
        if isinstance(data, Iterable):
            return None
        raise InvalidInputError(f"{command}: a data frame needs the frames extra "
                                "(pip install servicekit[frames])") from None
    if isinstance(data, (nw.DataFrame, nw.LazyFrame)):  # a narwhals frame already
        return data
    frame = nw.from_native(data, pass_through=True, allow_series=True)
    if frame is data:  # not a frame narwhals knows
        if isinstance(data, Iterable):
            return None
        raise InvalidInputError(f"{command}: expected a data frame or an iterable of records "
                                f"(got {type(data).__name__})")
    if isinstance(frame, nw.Series):
        raise InvalidInputError(f"{command}: expected a data frame, got a series")
    return frame


def check_columns(command: str, frame: Any, *, ids: str, instants: str,
                  numbers: tuple[str, ...]) -> None:
    """The columns are there, with the kinds of values they need: every problem at once,
    naming the column and its type, never a value."""
    import narwhals as nw

    schema = frame.collect_schema()
    problems = []
    for name in (ids, instants, *numbers):
        if name not in schema:
            problems.append(f"no column {name!r}")
    if problems:
        raise InvalidInputError(f"{command}: " + "; ".join(problems)
                                + f" (the columns are {', '.join(map(repr, schema))})")
    for name in numbers:
        if not schema[name].is_numeric():
            problems.append(f"column {name!r} must be numeric (got {schema[name]})")
    dtype = schema[instants]
    naive = False
    if not isinstance(dtype, nw.Datetime):
        problems.append(f"column {instants!r} must hold timestamps (got {dtype})")
    elif dtype.time_zone is None:
        naive = True
        problems.append(f"column {instants!r} holds naive timestamps (no time zone); "
                        "servicekit needs aware ones, e.g. UTC")
    if problems:
        error = NaiveDatetimeError if naive and len(problems) == 1 else InvalidInputError
        raise error(f"{command}: " + "; ".join(problems))


def field_of(record: object, name: str) -> Any:
    """A record's ``name``: a mapping's key or an object's attribute (``None`` when absent)."""
    if isinstance(record, Mapping):
        return record.get(name)
    return getattr(record, name, None)


def records_of(data: Iterable[object], command: str) -> list[Mapping[str, Any] | object]:
    """The records of an iterable (each a mapping or an object with attributes)."""
    if not isinstance(data, Iterable):
        raise InvalidInputError(f"{command}: expected a data frame or an iterable of records "
                                f"(got {type(data).__name__})")
    return list(data)


#: days from 0001-01-01 to 1970-01-01 in the proleptic Gregorian calendar
_UNIX_DAY = 719_162
_US_PER = {"day": 86_400_000_000, "hour": 3_600_000_000, "minute": 60_000_000,
           "second": 1_000_000}


def epoch_us(column: Any) -> Any:
    """An expression for microseconds since 1970-01-01 UTC of a UTC timestamp expression.

    Written from the calendar fields because narwhals has no portable epoch: Spark has neither
    ``dt.timestamp`` nor a duration's ``total_seconds``, DuckDB has no ``dt.timestamp``, and a
    cast to an integer means seconds on Spark and microseconds elsewhere. Year, ordinal day,
    hour, minute, second and microsecond exist on every backend.
    """
    import narwhals as nw

    def part(expr: Any) -> Any:
        return expr.cast(nw.Int64)

    dt = column.dt
    years = part(dt.year()) - 1
    days = (years * 365 + years // 4 - years // 100 + years // 400
            + part(dt.ordinal_day()) - 1 - _UNIX_DAY)
    return (days * _US_PER["day"] + part(dt.hour()) * _US_PER["hour"]
            + part(dt.minute()) * _US_PER["minute"] + part(dt.second()) * _US_PER["second"]
            + part(dt.microsecond()))
