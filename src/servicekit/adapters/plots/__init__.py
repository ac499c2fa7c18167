"""Figures (the ``plots`` extra): matplotlib ``Figure`` objects of servicekit's tables.

Customers (issue 12): the RFM heat map, the segments' bars and the tiers' sizes over time.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no global state, nothing
shown): a host saves them (``fig.savefig(...)``), embeds them or hands them to a notebook. The
inputs are servicekit's own tables on any backend; only the small aggregates are brought back.
"""

from servicekit.adapters.plots._customers import rfm_heatmap, segment_bars, tier_sizes

__all__ = ["rfm_heatmap", "segment_bars", "tier_sizes"]
