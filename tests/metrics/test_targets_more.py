"""More edges of targets and the scorecard, from the mutation run of issue 13: the ends of each
unit's range (a zero duration or count, ±100 NPS points), rows that cannot be changed, and a
result known on one side only."""

from __future__ import annotations

import pytest

from servicekit.errors import PolicyError
from servicekit.metrics import Mean, ScorecardRow, Target, proportion, scorecard


@pytest.mark.parametrize("unit", ["seconds", "days", "count"])
def test_a_zero_duration_or_count_is_a_target_a_negative_one_is_not(unit: str) -> None:
    """Zero is the natural bound of "no complaint left open", "updated today"; below zero no
    duration or count can go."""
    for bound in (0, 0.5):
        assert Target(metric="x", at_most=bound, unit=unit).bound == bound
    for bound in (-1, -0.5):
        with pytest.raises(PolicyError, match="cannot be negative"):
            Target(metric="x", at_most=bound, unit=unit)
        with pytest.raises(PolicyError, match="cannot be negative"):
            Target(metric="x", at_least=bound, unit=unit)


def test_m03_an_nps_target_is_minus_100_to_100_both_ends_included() -> None:
    """M-03: NPS runs −100 … 100, and so do its targets (NpsResult.meets agrees)."""
    for bound in (-100, 100, 99.5):
        assert Target(metric="nps", at_least=bound, unit="points").bound == bound
    for bound in (-100.5, 100.5, 101):
        with pytest.raises(PolicyError, match="between -100 and 100"):
            Target(metric="nps", at_least=bound, unit="points")


def test_a_scorecards_rows_cannot_be_changed() -> None:
    """A scorecard is a verdict as computed: a row whose status could be set after the fact
    would let a report say "met" for a missed target."""
    card = scorecard({"csat": proportion(80, 100)}, [Target(metric="csat", at_least=0.9)])
    row = card.rows[0]
    assert row.status == "missed"
    with pytest.raises(ValueError, match="frozen"):
        row.status = "met"
    assert card.of("missed") == ["csat"]


def test_a_row_stored_without_its_direction_is_an_at_least_row() -> None:
    """``at_most`` is set only for upper bounds (M-06, M-11): a row of an at-least target
    (M-01) stored without it comes back as the same row, as a host's own rows do."""
    card = scorecard({"csat": proportion(95, 100)},
                     [Target(metric="csat", rule="M-01", at_least=0.9)])
    row = card.rows[0]
    assert row.at_most is False
    assert ScorecardRow.model_validate(row.model_dump(exclude={"at_most"})) == row


def test_a_result_known_on_one_side_only_is_not_enough_data_and_shows_no_interval() -> None:
    """A host's stored mean with only its lower bound: the verdict cannot be given, and the
    scorecard prints the value without a half interval."""
    card = scorecard({"afrt": Mean(metric="afrt", value=3600.0, n=40, ci_low=3000.0,
                                   unit="seconds")},
                     [Target(metric="afrt", rule="M-06", at_most=7200, unit="seconds")])
    assert card.rows[0].status == "not enough data"
    assert str(card) == "M-06  afrt                   ≤ 2 h      not enough data  1.0 h n=40"
