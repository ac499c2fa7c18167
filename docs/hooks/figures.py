"""mkdocs hook: draws the figures of docs/customers.md (issue 12) and docs/metrics.md (issue 13)
before each build.

The figures come from the seeded data of ``examples/customer_tiers.py`` and
``examples/metrics_report.py`` through ``servicekit.adapters.plots``, so the images show what
the code draws today. They are written
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
    _metric_figures()


def _metric_figures() -> None:
    from servicekit.adapters.plots import csat_trend, nps_trend, scorecard_chart
    from servicekit.metrics import csat, fcr, nps, scorecard, survey_by
    from servicekit.presets import handbook

    example = runpy.run_path(str(ROOT / "examples" / "metrics_report.py"))
    answers = example["answers"]()
    targets = handbook.targets()
    table = survey_by(answers, by="month", csat="csat", nps="nps", fcr="fcr")
    _write("metrics-csat.png", csat_trend(table, prefix="csat_", target=targets["csat"]))
    _write("metrics-nps.png", nps_trend(table, prefix="nps_"))
    quarter = {"csat": csat(answers["csat"]), "nps": nps(answers["nps"]),
               "fcr": fcr(answers["fcr"]), "survey_answers": answers.height}
    _write("metrics-scorecard.png", scorecard_chart(scorecard(quarter, targets)))
