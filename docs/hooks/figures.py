"""mkdocs hook: draws the customer figures of docs/customers.md before each build (issue 12).

The figures come from ``examples/customer_tiers.py``'s seeded transactions through
``servicekit.adapters.plots``, so the images show what the code draws today. They are written
to ``docs/img/generated/`` (ignored by git), and only when their bytes change (``mkdocs
serve`` would otherwise rebuild for ever).
"""

from __future__ import annotations

import io
import runpy
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "img" / "generated"


def _write(name: str, fig: Any) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, metadata={"Software": None})
    data = buffer.getvalue()
    path = OUT / name
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def on_pre_build(config: Any) -> None:
    from servicekit.adapters.plots import rfm_heatmap, segment_bars, tier_sizes
    from servicekit.customers import (
        assign_tiers,
        rfm_scores,
        rfm_segments,
        rfm_table,
        segment_summary,
    )
    from servicekit.presets import handbook

    example = runpy.run_path(str(ROOT / "examples" / "customer_tiers.py"))
    tx, as_of = example["transactions"](), example["AS_OF"]
    ladder = handbook.tier_ladder()
    OUT.mkdir(parents=True, exist_ok=True)
    scored = rfm_scores(rfm_table(tx, as_of=as_of), bins=5)
    _write("customers-heatmap.png", rfm_heatmap(scored))
    _write("customers-segments.png", segment_bars(segment_summary(rfm_segments(scored))))
    quarters = {}
    for back in (270, 180, 90, 0):
        moment = as_of - timedelta(days=back)
        quarters[moment.date().isoformat()] = assign_tiers(
            rfm_scores(rfm_table(tx, as_of=moment), bins=5), ladder=ladder)
    _write("customers-tiers.png", tier_sizes(quarters))
