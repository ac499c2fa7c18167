"""``tier_changes`` (issue 12): upgrades and downgrades between two tiered tables, by the
ladder's ranking (the handbook's: A, B, C, D best first), once per backend."""

from __future__ import annotations

from typing import Any

import pytest

from frame_rows import rows
from servicekit.customers import Tier, TierLadder, tier_changes
from servicekit.errors import InvalidInputError, ServiceKitError
from servicekit.presets import handbook

LADDER = handbook.tier_ladder()


def test_upgrades_and_downgrades(constructor: Any) -> None:
    before = constructor({"customer_id": ["a", "b", "c", "d", "gone"],
                          "tier": ["B", "A", "D", "C", "A"]})
    after = constructor({"customer_id": ["a", "b", "c", "d", "new"],
                         "tier": ["A", "C", "D", "B", "D"]})
    got = rows(tier_changes(before, after, ladder=LADDER))
    assert got == [
        {"customer_id": "a", "tier_before": "B", "tier_after": "A", "change": "upgrade"},
        {"customer_id": "b", "tier_before": "A", "tier_after": "C", "change": "downgrade"},
        {"customer_id": "d", "tier_before": "C", "tier_after": "B", "change": "upgrade"},
    ]


def test_the_ladders_order_ranks_when_it_has_no_ranking() -> None:
    ladder = TierLadder(name="two", tiers=(Tier(name="gold", when="monetary > 100"),
                                           Tier(name="silver")))
    assert ladder.ranked == ("gold", "silver")
    assert LADDER.ranked == ("A", "B", "C", "D")
    moved = tier_changes([{"customer_id": 1, "tier": "silver"}],
                         [{"customer_id": 1, "tier": "gold"}], ladder=ladder)
    assert [(c.customer_id, c.change) for c in moved] == [(1, "upgrade")]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ServiceKitError, match="ranking"):
        TierLadder(name="x", ranking=("A",), tiers=(Tier(name="A", when="frequency > 1"),
                                                    Tier(name="B")))
    with pytest.raises(InvalidInputError, match="ladder"):
        tier_changes([], [], ladder="handbook")  # type: ignore[arg-type]
    # a tier the ladder does not name ranks after all of its own
    (moved,) = tier_changes([{"customer_id": 1, "tier": "Z"}],
                            [{"customer_id": 1, "tier": "D"}], ladder=LADDER)
    assert moved.change == "upgrade"
    import polars as pl

    with pytest.raises(InvalidInputError, match="same kind"):
        tier_changes(pl.DataFrame({"customer_id": [1], "tier": ["A"]}),
                     [{"customer_id": 1, "tier": "A"}], ladder=LADDER)
