"""examples/metrics_report.py (issue 13): the analyst's quarter runs and its verdicts hold
together (M-01 missed at 88.8 %, M-02 met, M-12's 500 answers met, December significantly
better than October)."""

from __future__ import annotations

import contextlib
import io
import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "metrics_report.py"


def test_the_example_runs_and_its_verdicts_hold_together() -> None:
    module = runpy.run_path(str(EXAMPLE))
    with contextlib.redirect_stdout(io.StringIO()) as out:
        result = module["main"]()
    assert result["groups"] == 40 * 3
    assert result["met"] == ["fcr", "survey_answers"]
    assert result["missed"] == ["csat"]
    assert result["significant"] is True
    assert 380 < result["needed"] < 1100  # z² p(1 - p) / 0.03² for p near 0.89
    text = out.getvalue()
    assert "significantly higher" in text
    assert "M-01" in text
