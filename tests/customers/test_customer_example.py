"""examples/customer_tiers.py (issue 12): the analyst's whole job runs, and its numbers hold
together (every tier occurs; with the last purchase standing in for the last contact, every
D-tier customer, 180 days or more without a purchase, is past R-05's three months)."""

from __future__ import annotations

import contextlib
import io
import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "customer_tiers.py"


def test_the_example_runs_and_its_numbers_hold_together() -> None:
    module = runpy.run_path(str(EXAMPLE))
    with contextlib.redirect_stdout(io.StringIO()) as out:
        result = module["main"]()
    assert set(result) == {"A", "B", "C", "D", "due", "moves"}
    assert min(result[t] for t in "ABCD") > 0
    assert result["due"] == result["D"]
    assert result["moves"] > 0
    assert "reactivation plans due (R-05)" in out.getvalue()
