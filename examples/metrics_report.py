"""A quarter's service metrics from survey answers: the analyst's job on a polars frame (issue 13).

Builds 60,000 seeded survey answers of 40 agents over three months (CSAT on 5 points, NPS on
0–10, first-contact resolution yes/no, a few unanswered), then: CSAT, NPS and FCR per agent and
month with their intervals in one pass (``survey_by``), the quarter's scorecard against the
handbook's targets (M-01, M-02, M-12 …), whether October differs from December (``compare``),
and how many answers a ±3-point CSAT margin needs next quarter.

Run: python examples/metrics_report.py
"""

from __future__ import annotations

import numpy as np
import polars as pl

from servicekit.metrics import (
    compare,
    csat,
    fcr,
    nps,
    sample_size,
    scorecard,
    survey_by,
)
from servicekit.presets import handbook

MONTHS = ("2026-10", "2026-11", "2026-12")


def answers(n: int = 60_000, agents: int = 40, seed: int = 13) -> pl.DataFrame:
    """Seeded answers; December is a little better than October (a coaching programme)."""
    rng = np.random.default_rng(seed)
    month = rng.integers(0, len(MONTHS), n)
    better = month * 0.03
    csat_score = np.where(rng.random(n) < 0.86 + better, rng.integers(4, 6, n),
                          rng.integers(1, 4, n)).astype(float)
    csat_score[rng.random(n) < 0.02] = np.nan  # unanswered
    nps_score = np.where(rng.random(n) < 0.55 + better, rng.integers(9, 11, n),
                         rng.integers(0, 9, n))
    return pl.DataFrame({
        "agent": [f"agent-{a:02d}" for a in rng.integers(0, agents, n)],
        "month": [MONTHS[m] for m in month],
        "csat": csat_score, "nps": nps_score,
        "fcr": rng.random(n) < 0.84 + better,
    }).with_columns(pl.col("csat").fill_nan(None))


def main() -> dict[str, object]:
    frame = answers()
    table = survey_by(frame, by=["agent", "month"], csat="csat", nps="nps", fcr="fcr")
    print(table.select("agent", "month", "csat_n", "csat_value", "csat_ci_low", "csat_ci_high",
                       "nps_value", "nps_margin_of_error", "fcr_value").head(6))

    quarter = {"csat": csat(frame["csat"]), "nps": nps(frame["nps"]), "fcr": fcr(frame["fcr"]),
               "survey_answers": frame.height}
    card = scorecard(quarter, handbook.targets())
    print(card)

    october, december = (frame.filter(pl.col("month") == m) for m in (MONTHS[0], MONTHS[-1]))
    change = compare(csat(december["csat"]), csat(october["csat"]))
    print(change)
    needed = sample_size(0.03, proportion=quarter["csat"].value or 0.5)
    print(f"answers for a ±3-point CSAT margin next quarter: {needed}")
    return {"groups": table.height, "met": card.of("met"), "missed": card.of("missed"),
            "significant": change.significant, "needed": needed}


if __name__ == "__main__":
    main()
