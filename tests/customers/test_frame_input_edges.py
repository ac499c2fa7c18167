"""Records stay on the records path (issue 12; a survivor of the mutation run).

``test_frames.test_records_never_import_a_frame_library`` checks it in a fresh interpreter;
this checks the same rule in this one, where narwhals is already imported: every customer
function given records (plain lists of mappings or of servicekit's rows) decides without
touching narwhals at all, so the service path costs no frame-library call.
"""

from __future__ import annotations

import sys
import types
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from servicekit.customers import (
    assign_tiers,
    rfm_scores,
    rfm_segments,
    rfm_table,
    rfm_thresholds,
    segment_summary,
    tier_changes,
)
from servicekit.presets import handbook

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)


class Untouchable(types.ModuleType):
    """Stands in for narwhals: notes every attribute asked of it, and has none."""

    def __init__(self) -> None:
        super().__init__("narwhals")
        self.asked: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("__"):
            self.asked.append(name)
        raise AttributeError(name)


def test_records_never_touch_narwhals(monkeypatch: pytest.MonkeyPatch) -> None:
    stand_in = Untouchable()
    monkeypatch.setitem(sys.modules, "narwhals", stand_in)
    transactions = [{"customer_id": c, "ts": AS_OF - timedelta(days=d), "amount": float(d)}
                    for c, d in (("a", 1), ("a", 40), ("b", 200), ("c", 3), ("c", 5))]
    table = rfm_table(transactions, as_of=AS_OF)
    scored = rfm_scores(table, bins=2)
    assert rfm_thresholds(table, bins=2).bins == 2
    segmented = rfm_segments(scored)
    assert sum(s.customers for s in segment_summary(segmented)) == 3
    tiered = assign_tiers(scored, ladder=handbook.tier_ladder())
    assert tier_changes(tiered, tiered, ladder=handbook.tier_ladder()) == []
    assert stand_in.asked == []
