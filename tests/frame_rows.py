"""Shared pieces of the frame tests (customers, issue 12; metrics, issue 13): results of any
backend as plain rows.

Import it by basename (``from frame_rows import rows``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

__all__ = ["rows"]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None  # pandas and Dask hold a null float as NaN
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # a numpy scalar
    return value


def rows(result: Any) -> list[dict[str, Any]]:
    """Any result (a list of models, an eager or a lazy frame of any backend) as plain rows,
    sorted by their first column."""
    if isinstance(result, list):
        out = [r.model_dump() if hasattr(r, "model_dump") else dict(r) for r in result]
    else:
        import narwhals as nw

        frame = nw.from_native(result)
        if isinstance(frame, nw.LazyFrame):
            frame = frame.collect()
        out = frame.rows(named=True)
    plain = [{k: _plain(v) for k, v in row.items()} for row in out]
    return sorted(plain, key=lambda r: str(next(iter(r.values()))))
