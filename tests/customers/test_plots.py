"""``servicekit.adapters.plots`` (issue 12, the ``plots`` extra): the figures draw the numbers
of the tables they are given, on every backend."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_rfm_scores import rfm_rows

from servicekit.adapters.plots import rfm_heatmap, segment_bars, tier_sizes
from servicekit.customers import Segment, rfm_scores, rfm_segments, segment_summary
from servicekit.errors import InvalidInputError


def test_the_heatmap_shows_mean_monetary_per_r_and_f(constructor: Any) -> None:
    """C-00/01 score 555 (1,000 each), … C-08/09 111 (10 each): the diagonal holds the means,
    every other cell is blank."""
    fig = rfm_heatmap(rfm_scores(constructor(rfm_rows()), bins=5))
    grid = np.ma.filled(fig.axes[0].images[0].get_array(), np.nan)
    expected = np.full((5, 5), np.nan)
    for score, mean in ((5, 1000.0), (4, 650.0), (3, 350.0), (2, 75.0), (1, 10.0)):
        expected[score - 1, score - 1] = mean
    np.testing.assert_allclose(grid, expected)
    assert fig.axes[0].get_xlabel() == "recency score"


def test_segment_bars_are_the_summary_largest_first(constructor: Any) -> None:
    top = [Segment(name="Top", r=(4, 5), f=(4, 5), m=(4, 5))]
    summary = segment_summary(rfm_segments(rfm_scores(constructor(rfm_rows()), bins=5),
                                           segments=top))
    fig = segment_bars(summary, metric="customers")
    bars = fig.axes[0].patches
    assert [b.get_height() for b in bars] == [6, 4]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["Others", "Top"]
    with pytest.raises(InvalidInputError, match="metric"):
        segment_bars(summary, metric="profit")


def test_tier_sizes_stack_each_snapshots_tiers(constructor: Any) -> None:
    first = constructor({"customer_id": ["a", "b", "c"], "tier": ["A", "B", "B"]})
    second = constructor({"customer_id": ["a", "b", "c"], "tier": ["A", "B", "D"]})
    fig = tier_sizes({"Q3": first, "Q4": second})
    heights = [b.get_height() for b in fig.axes[0].patches]  # A (Q3, Q4), B …, C …, D …
    assert heights == [1, 1, 2, 1, 0, 0, 0, 1]
    with pytest.raises(InvalidInputError, match="snapshots"):
        tier_sizes({})
