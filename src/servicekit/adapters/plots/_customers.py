"""Figures of customers (issue 12; the ``plots`` extra): the RFM heat map, the segments' bars
and the tiers' sizes over time, as matplotlib ``Figure`` objects.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no global state, nothing
shown): a host saves them (``fig.savefig(...)``), embeds them or hands them to a notebook. The
inputs are servicekit's own tables on any backend; only the small aggregates are brought back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from servicekit._frames import as_frame
from servicekit.adapters.plots._common import table_rows
from servicekit.errors import InvalidInputError

__all__ = ["rfm_heatmap", "segment_bars", "tier_sizes"]

_METRICS = ("customers", "orders", "revenue", "share")


def rfm_heatmap(scored: Any, *, bins: int = 5) -> Figure:
    """Mean monetary value per recency score × frequency score (the R package's heat map);
    a combination no customer has is left blank."""
    frame = as_frame(scored, "rfm_heatmap")
    if frame is not None:
        import narwhals as nw

        cells = frame.group_by("r_score", "f_score").agg(nw.col("monetary").mean())
        rows = table_rows(cells, "rfm_heatmap", ("r_score", "f_score", "monetary"))
    else:
        sums: dict[tuple[int, int], list[float]] = {}
        for r, f, m in table_rows(scored, "rfm_heatmap", ("r_score", "f_score", "monetary")):
            cell = sums.setdefault((r, f), [0.0, 0])
            cell[0] += m
            cell[1] += 1
        rows = [(r, f, s / n) for (r, f), (s, n) in sums.items()]
    grid = np.full((bins, bins), np.nan)
    for r, f, mean in rows:
        if not (1 <= r <= bins and 1 <= f <= bins):
            raise InvalidInputError("rfm_heatmap: a score is outside 1 … bins")
        grid[f - 1, r - 1] = mean
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.add_subplot()
    image = ax.imshow(grid, origin="lower", cmap="Blues", aspect="equal")
    ax.set_xticks(range(bins), [str(i) for i in range(1, bins + 1)])
    ax.set_yticks(range(bins), [str(i) for i in range(1, bins + 1)])
    ax.set_xlabel("recency score")
    ax.set_ylabel("frequency score")
    ax.set_title("Mean monetary value")
    fig.colorbar(image, ax=ax)
    return fig


def segment_bars(summary: Any, *, metric: str = "customers") -> Figure:
    """One bar per segment of :func:`~servicekit.customers.segment_summary`'s table."""
    if metric not in _METRICS:
        raise InvalidInputError(f"segment_bars: metric must be one of {', '.join(_METRICS)}")
    rows = table_rows(summary, "segment_bars", ("segment", metric))
    rows.sort(key=lambda r: -float(r[1]))
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    ax.bar([str(s) for s, _ in rows], [float(v) for _, v in rows], color="#3b5bdb")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric.capitalize()} by segment")
    ax.tick_params(axis="x", labelrotation=45)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    fig.tight_layout()
    return fig


def tier_sizes(snapshots: Mapping[str, Any], *, tiers: tuple[str, ...] = ("A", "B", "C", "D")
               ) -> Figure:
    """Customers per tier at each snapshot (label -> a tiered table, in time order), as
    stacked bars."""
    if not isinstance(snapshots, Mapping) or not snapshots:
        raise InvalidInputError("tier_sizes: snapshots must map labels to tiered tables")
    labels = list(snapshots)
    counts = np.zeros((len(tiers), len(labels)))
    for j, label in enumerate(labels):
        for (tier,) in table_rows(snapshots[label], "tier_sizes", ("tier",)):
            if tier in tiers:
                counts[tiers.index(tier), j] += 1
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    bottom = np.zeros(len(labels))
    for i, tier in enumerate(tiers):
        ax.bar(labels, counts[i], bottom=bottom, label=tier)
        bottom += counts[i]
    ax.set_ylabel("customers")
    ax.set_title("Customers per tier")
    ax.legend(title="tier")
    return fig
