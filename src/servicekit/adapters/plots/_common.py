"""What the figures share: the rows of a small table, from a frame of any backend or records."""

from __future__ import annotations

from typing import Any

from servicekit._frames import as_frame, field_of, records_of
from servicekit.errors import InvalidInputError

__all__ = ["table_rows"]


def table_rows(data: Any, command: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The ``columns`` of every row of a small table (a frame of any backend, or records)."""
    frame = as_frame(data, command)
    if frame is None:
        return [tuple(field_of(r, c) for c in columns) for r in records_of(data, command)]
    import narwhals as nw

    missing = [c for c in columns if c not in frame.collect_schema()]
    if missing:
        raise InvalidInputError(f"{command}: no column {missing[0]!r}")
    picked = frame.select(*columns)
    if isinstance(picked, nw.LazyFrame):
        picked = picked.collect()
    return list(picked.rows())
