"""Figures (the ``plots`` extra): matplotlib ``Figure`` objects of servicekit's tables.

Customers (issue 12): the RFM heat map, the segments' bars and the tiers' sizes over time.
Metrics (issue 13): CSAT, NPS or any metric over periods with its interval as a band, and the
scorecard against its targets.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no global state, nothing
shown): a host saves them (``fig.savefig(...)``), embeds them or hands them to a notebook. The
inputs are servicekit's own tables on any backend; only the small aggregates are brought back.
"""

from servicekit.adapters.plots._customers import rfm_heatmap, segment_bars, tier_sizes
from servicekit.adapters.plots._metrics import (
    STATUS_COLOURS,
    csat_trend,
    metric_trend,
    nps_trend,
    scorecard_chart,
)

__all__ = [
    "STATUS_COLOURS",
    "csat_trend",
    "metric_trend",
    "nps_trend",
    "rfm_heatmap",
    "scorecard_chart",
    "segment_bars",
    "tier_sizes",
]
