"""Regressions for issue 10 ("Hardening"), one test per class of defect, named after it.

Only the classes fixed so far are here; the issue lists the rest.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from servicekit.calendar import BusinessCalendar
from servicekit.errors import PolicyError, ServiceKitError
from servicekit.policy import Policy
from servicekit.presets.handbook import policy as handbook_policy
from servicekit.processes import StateDef, Timeout
from servicekit.rules import Condition, parse_duration
from servicekit.sla import EscalationLevel, Metric

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"


def _with_timeout(after: str) -> str:
    """The handbook preset as JSON, the ticket's ``resolved`` timeout after ``after``."""
    doc = json.loads(handbook_policy().to_json())
    state = next(s for s in doc["processes"]["ticket"]["states"] if s["id"] == "resolved")
    state["timeout"]["after"] = after
    return json.dumps(doc)


# -- item 14: identifier patterns matched before a trailing newline ---------------------------


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Condition.model_validate_json(
            '{"field": "vip\\n", "op": "==", "value": true}'), id="condition-path"),
        pytest.param(lambda: StateDef(id="open\n", label="Open", label_zh="处理中"),
                     id="process-state-id"),
        pytest.param(lambda: Metric(name="stage\n", start_on="TicketCreated",
                                    stop_on="TicketResolved"), id="sla-metric-name"),
        # through the policy path (read_duration stripped the text before parsing it)
        pytest.param(lambda: Timeout(after="4h\n", event="expire"), id="duration-text"),
        pytest.param(lambda: Policy.from_json(_with_timeout("7d\n")),
                     id="duration-text-in-a-policy"),
    ],
)
def test_identifier_patterns_refuse_a_trailing_newline(build: object) -> None:
    # '$' matches before a final newline: "vip\n" passed as "vip" and, after a JSON round
    # trip, read as another name, flipping a decision
    with pytest.raises(ServiceKitError):
        build()  # type: ignore[operator]


def test_the_same_names_without_the_newline_are_accepted() -> None:
    # the refusals above are about the newline, not the names
    assert Condition.model_validate_json('{"field": "vip", "op": "==", "value": true}')
    assert StateDef(id="open", label="Open", label_zh="处理中").id == "open"
    assert Metric(name="stage", start_on="TicketCreated", stop_on="TicketResolved")
    assert parse_duration("4h") == timedelta(hours=4)
    assert Timeout(after=" 4h", event="expire").after == timedelta(hours=4)
    assert Policy.from_json(_with_timeout("7d")) == handbook_policy()


# -- item 14: Unicode digits read as ASCII ones -----------------------------------------------


def _arabic(text: str) -> str:
    return text.translate(str.maketrans("0123456789", ARABIC_INDIC))


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: BusinessCalendar(tz="UTC", hours=_arabic("09:00-18:00")),
                     id="hours"),
        pytest.param(lambda: parse_duration(_arabic("4") + "h"), id="duration"),
        pytest.param(lambda: Condition.parse("severity >= " + _arabic("5")), id="number"),
    ],
)
def test_hours_durations_and_numbers_refuse_non_ascii_digits(build: object) -> None:
    # "٠٩:٠٠-١٨:٠٠" used to read as 09:00-18:00
    with pytest.raises(ServiceKitError):
        build()  # type: ignore[operator]


# -- item 2: cubic regex in the TOML line scan ------------------------------------------------


@pytest.mark.parametrize("width", [3_000, 30_000])
@pytest.mark.parametrize(
    "line",
    [
        pytest.param(lambda w: "[" + " " * w + "x", id="header-without-its-bracket"),
        pytest.param(lambda w: "a" + " " * w + "b", id="key-without-its-equals"),
        pytest.param(lambda w: " " * w, id="blank"),
    ],
)
def test_the_toml_line_scan_is_linear_on_long_lines(width: int, line: object) -> None:
    # the reproducer: a 3 KB document took 7.7 s, 10 KB 281 s, on the error path
    text = ('version = "1"\ndescription = """\n' + line(width)  # type: ignore[operator]
            + '\n"""\n[calendars.c]\ntz = "Nowhere/Zone"\nhours = "09:00-18:00"\n')
    began = time.perf_counter()
    with pytest.raises(PolicyError) as info:
        Policy.from_toml(text)
    assert time.perf_counter() - began < 1.0  # the bound for any policy input
    assert "(line 6)" in str(info.value)  # the line numbers still work


# -- item 14: negative timeouts and deadlines, non-numeric escalation thresholds -------------


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Timeout(after="-1h", event="close"), id="negative-timeout"),
        pytest.param(lambda: StateDef(id="late", label="Late", label_zh="迟", deadline="-1h"),
                     id="negative-deadline"),
        pytest.param(lambda: EscalationLevel(level=1, at=True, notify="lead"),
                     id="threshold-true"),
        pytest.param(lambda: EscalationLevel(level=1, at="0.5", notify="lead"),
                     id="threshold-text"),
    ],
)
def test_durations_and_thresholds_refuse_values_lax_validation_let_through(
        build: object) -> None:
    with pytest.raises(PolicyError):
        build()  # type: ignore[operator]


def test_zero_timeouts_deadlines_and_numeric_thresholds_are_still_accepted() -> None:
    assert Timeout(after="0s", event="close").after == timedelta(0)
    assert StateDef(id="now", label="Now", label_zh="现在", deadline="0s").deadline == timedelta(0)
    assert EscalationLevel(level=1, at=1, notify="lead").at == 1
    assert EscalationLevel(level=1, at=0.75, notify="lead").at == 0.75
    assert EscalationLevel(level=2, at="breach", notify="manager").at == "breach"


# -- item 4 (found on the way): describing many errors is linear ------------------------------


def test_describing_thousands_of_validation_errors_is_linear() -> None:
    from servicekit.processes import ProcessDefinition

    # 4,000 empty 'sources' took 0.7 s and grew quadratically (each error checked against
    # every other for a deeper one at its location)
    transitions = [{"sources": [], "event": "go", "target": "b"} for _ in range(20_000)]
    began = time.perf_counter()
    with pytest.raises(ServiceKitError):
        ProcessDefinition.model_validate({"name": "p", "states": [], "transitions": transitions})
    assert time.perf_counter() - began < 5.0  # quadratic: about 17 s
