"""Tests of the handbook preset against the rules catalog: K-02/K-03 complaint priority,
K-01 feedback routing with the P-04 duties, K-06 remedies. Expected values are written here
from the catalog text, independently of the preset's rules."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from servicekit.errors import PolicyError
from servicekit.policy import Policy
from servicekit.presets import handbook
from servicekit.rules import DecisionTable

SEVERITIES = range(1, 7)
SCOPES = ("individual", "group", "widespread")
URGENCIES = ("low", "medium", "high")

# K-03: minor 1-2, medium 3-4, severe 5-6.
K03_BAND = {1: "minor", 2: "minor", 3: "medium", 4: "medium", 5: "severe", 6: "severe"}

# K-02 priority by K-03 band and scope, for urgency (low, medium, high), written out in full
# from the impact x urgency matrix (impact: severe or widespread -> high; medium or a group ->
# medium; otherwise low). Rows: high impact P3 P2 P1, medium impact P4 P3 P2, low P4 P4 P3.
K02_EXPECTED: dict[str, dict[str, tuple[str, str, str]]] = {
    "minor": {
        "individual": ("P4", "P4", "P3"),
        "group": ("P4", "P3", "P2"),
        "widespread": ("P3", "P2", "P1"),
    },
    "medium": {
        "individual": ("P4", "P3", "P2"),
        "group": ("P4", "P3", "P2"),
        "widespread": ("P3", "P2", "P1"),
    },
    "severe": {
        "individual": ("P3", "P2", "P1"),
        "group": ("P3", "P2", "P1"),
        "widespread": ("P3", "P2", "P1"),
    },
}

# the ITIL matrix itself, as a second, structural oracle
IMPACT_X_URGENCY = {
    ("high", "high"): "P1", ("high", "medium"): "P2", ("high", "low"): "P3",
    ("medium", "high"): "P2", ("medium", "medium"): "P3", ("medium", "low"): "P4",
    ("low", "high"): "P3", ("low", "medium"): "P4", ("low", "low"): "P4",
}


def impact(severity: int, scope: str) -> str:
    if K03_BAND[severity] == "severe" or scope == "widespread":
        return "high"
    if K03_BAND[severity] == "medium" or scope == "group":
        return "medium"
    return "low"


@pytest.fixture(scope="module")
def priority_table() -> DecisionTable:
    return handbook.complaint_priority_table()


@pytest.fixture(scope="module")
def routing_table() -> DecisionTable:
    return handbook.feedback_routing_table()


@pytest.fixture(scope="module")
def remedy_table() -> DecisionTable:
    return handbook.remedy_table()


# -- K-02 / K-03: complaint priority ------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "scope", "urgency"), list(itertools.product(SEVERITIES, SCOPES, URGENCIES))
)
def test_k02_k03_priority_matrix(
    priority_table: DecisionTable, severity: int, scope: str, urgency: str
) -> None:
    """K-02 impact x urgency -> P1-P4, impact from the K-03 severity scale and the scope."""
    expected = K02_EXPECTED[K03_BAND[severity]][scope][URGENCIES.index(urgency)]
    assert IMPACT_X_URGENCY[(impact(severity, scope), urgency)] == expected  # oracles agree
    d = priority_table.decide({"severity": severity, "scope": scope, "urgency": urgency})
    assert dict(d.value) == {"priority": expected, "major": expected in ("P1", "P2")}
    if d.rule_id is not None:
        assert d.rule_id.startswith("K-02:")
    else:
        assert expected == "P4"
        assert d.defaulted


def test_k02_covers_every_cell_of_the_matrix(priority_table: DecisionTable) -> None:
    """K-02: all nine impact x urgency cells are reached, P1 and P2 are "major"."""
    seen: dict[tuple[str, str], set[str]] = {}
    for severity, scope, urgency in itertools.product(SEVERITIES, SCOPES, URGENCIES):
        value = priority_table.decide(
            {"severity": severity, "scope": scope, "urgency": urgency}
        ).value
        seen.setdefault((impact(severity, scope), urgency), set()).add(value["priority"])
    assert {cell: {p} for cell, p in IMPACT_X_URGENCY.items()} == seen


@pytest.mark.parametrize(
    ("facts", "priority"),
    [
        ({}, "P4"),
        ({"urgency": "high"}, "P3"),
        ({"severity": 6}, "P3"),  # high impact, urgency unknown: the low-urgency cell
        ({"scope": "widespread", "urgency": "medium"}, "P2"),
        ({"severity": 3, "urgency": "high"}, "P2"),
        ({"severity": 2, "scope": "group"}, "P4"),
    ],
)
def test_k02_with_missing_facts(
    priority_table: DecisionTable, facts: dict[str, Any], priority: str
) -> None:
    """K-02: a missing fact makes its comparisons false; P4 only when nothing is known."""
    assert priority_table.decide(facts).value["priority"] == priority


def test_k03_severity_must_be_a_number(priority_table: DecisionTable) -> None:
    """K-03: severity is a number on the 1-6 scale; text is a type error naming the path."""
    with pytest.raises(PolicyError, match="severity"):
        priority_table.decide({"severity": "5", "scope": "group", "urgency": "high"})


def test_k02_explanation_cites_the_rule_and_the_values(priority_table: DecisionTable) -> None:
    """K-02: the decision explains which matrix cell matched, with the actual values."""
    d = priority_table.decide({"severity": 4, "scope": "group", "urgency": "high"})
    assert d.rule_id == "K-02:medium-impact-high-urgency"
    text = d.explain()
    assert "severity = 4" in text
    assert 'urgency = "high"' in text
    assert text.splitlines()[-1] == (
        'result: {"priority": "P2", "major": true} from rule K-02:medium-impact-high-urgency'
    )


# -- K-01 / P-04: feedback routing --------------------------------------------------------------

# K-01 categories; P-02 consultation, P-03 complaint, P-04 feedback loop; P-04's duties:
# complaints and help requests get progress updates and the result, suggestions and general
# opinions (and praise) at least a thank-you.
K01_ROUTING: dict[str, dict[str, Any]] = {
    "praise": {"process": "feedback_loop", "team": "quality", "progress_updates": False,
               "thank_customer": True},
    "suggestion": {"process": "feedback_loop", "team": "product", "progress_updates": False,
                   "thank_customer": True},
    "grievance": {"process": "feedback_loop", "team": "service", "progress_updates": False,
                  "thank_customer": True},
    "complaint": {"process": "complaint", "team": "complaints", "progress_updates": True,
                  "thank_customer": False},
    "inquiry": {"process": "consultation", "team": "service_desk", "progress_updates": False,
                "thank_customer": False},
    "help_request": {"process": "feedback_loop", "team": "support", "progress_updates": True,
                     "thank_customer": False},
}


def test_k01_categories_are_the_catalogs() -> None:
    """K-01: praise, suggestion, grievance, complaint, inquiry, help request."""
    assert set(handbook.FEEDBACK_CATEGORIES) == set(K01_ROUTING)
    assert handbook.FEEDBACK_CATEGORIES["complaint"] == "投诉"
    assert handbook.FEEDBACK_CATEGORIES["help_request"] == "求助"


@pytest.mark.parametrize("category", list(K01_ROUTING))
def test_k01_routing_for_every_category(routing_table: DecisionTable, category: str) -> None:
    """K-01: every category is routed by exactly one rule (hit policy unique)."""
    d = routing_table.decide({"category": category})
    assert dict(d.value) == K01_ROUTING[category]
    assert d.rule_ids == (f"K-01:{category}",)


@pytest.mark.parametrize("category", ["praise", "suggestion", "grievance"])
def test_p04_thank_you_for_praise_suggestions_and_general_opinions(
    routing_table: DecisionTable, category: str
) -> None:
    """P-04: suggestions and general opinions (and praise) owe at least a thank-you."""
    value = routing_table.decide({"category": category}).value
    assert value["thank_customer"] is True
    assert value["process"] == "feedback_loop"


@pytest.mark.parametrize("category", ["complaint", "help_request"])
def test_p04_progress_updates_for_complaints_and_help_requests(
    routing_table: DecisionTable, category: str
) -> None:
    """P-04: complaints and help requests get progress updates and the result."""
    assert routing_table.decide({"category": category}).value["progress_updates"] is True


def test_p03_complaints_and_p02_inquiries_have_their_own_process(
    routing_table: DecisionTable,
) -> None:
    """K-01 -> P-03 complaint process, P-02 consultation process."""
    assert routing_table.decide({"category": "complaint"}).value["process"] == "complaint"
    assert routing_table.decide({"category": "inquiry"}).value["process"] == "consultation"


@pytest.mark.parametrize("facts", [{"category": "compliment"}, {"category": ""}, {}])
def test_k01_open_list_unknown_categories_go_to_the_feedback_loop(
    routing_table: DecisionTable, facts: dict[str, Any]
) -> None:
    """K-01's list is open (「等」): unknown categories go to the P-04 loop, with a thank-you."""
    d = routing_table.decide(facts)
    assert d.defaulted
    assert dict(d.value) == {"process": "feedback_loop", "team": "service",
                             "progress_updates": False, "thank_customer": True}


# -- K-06: remedies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "remedies"),
    [
        ({"commitment_missed": False, "priority": "P1", "customer_tier": "A",
          "repeat_breaches": 9}, []),
        ({"priority": "P1"}, []),
        ({"commitment_missed": True, "priority": "P3", "customer_tier": "B",
          "repeat_breaches": 0}, ["apology"]),
        ({"commitment_missed": True}, ["apology"]),
        ({"commitment_missed": True, "priority": "P1"}, ["apology", "compensation"]),
        ({"commitment_missed": True, "priority": "P2", "customer_tier": "C"},
         ["apology", "compensation"]),
        ({"commitment_missed": True, "priority": "P4", "customer_tier": "A"},
         ["apology", "compensation"]),
        ({"commitment_missed": True, "priority": "P3", "repeat_breaches": 1}, ["apology"]),
        ({"commitment_missed": True, "priority": "P3", "repeat_breaches": 2},
         ["apology", "service_improvement"]),
        ({"commitment_missed": True, "priority": "P1", "customer_tier": "A",
          "repeat_breaches": 5}, ["apology", "compensation", "service_improvement"]),
    ],
)
def test_k06_remedies(
    remedy_table: DecisionTable, facts: dict[str, Any], remedies: list[str]
) -> None:
    """K-06: apology for every missed commitment; compensation for a major problem (P1/P2)
    or an A-tier customer; service improvement for a repeated breach; the customer is told."""
    d = remedy_table.decide(facts)
    assert [v["remedy"] for v in d.value] == remedies
    assert all(v["notify_customer"] is True for v in d.value)
    assert [rid.split(":")[1] for rid in d.rule_ids] == [
        r.replace("_", "-") for r in remedies
    ]
    assert all(rid.startswith("K-06:") for rid in d.rule_ids)


def test_k06_uses_k02_priorities(
    priority_table: DecisionTable, remedy_table: DecisionTable
) -> None:
    """K-06 after K-02: a major complaint (P1/P2) whose commitment is missed is compensated."""
    for severity, scope, urgency in itertools.product(SEVERITIES, SCOPES, URGENCIES):
        priority = priority_table.decide(
            {"severity": severity, "scope": scope, "urgency": urgency}
        ).value
        remedies = [
            v["remedy"]
            for v in remedy_table.decide(
                {"commitment_missed": True, "priority": priority["priority"],
                 "customer_tier": "B"}
            ).value
        ]
        assert ("compensation" in remedies) is priority["major"]


def _fields(node: Any) -> set[str]:
    """The fact paths a condition's data form reads."""
    if isinstance(node, dict):
        found = {node["field"]} if isinstance(node.get("field"), str) else set()
        return found.union(*(_fields(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_fields(v) for v in node))
    return set()


#: The facts vocabulary of the decision tables the SLA engine runs (docs/rules.md).
SLA_TARGET_FACTS = {"priority", "channel", "category", "customer_tier"}
REMEDY_FACTS = {"commitment_missed", "metric", "priority", "channel", "customer_tier",
                "repeat_breaches"}


def test_k06_and_sla_tables_read_the_one_flat_facts_vocabulary(
    remedy_table: DecisionTable,
) -> None:
    """The remedy table reads ``customer_tier`` as the SLA target table does (one vocabulary
    of flat snake_case names), not a nested ``customer.tier``."""
    remedy = set().union(*(_fields(r.when.model_dump()) for r in remedy_table.rules))
    targets = set().union(*(_fields(r.when.model_dump())
                            for r in handbook.sla_target_table().rules))
    assert "customer_tier" in remedy
    assert remedy <= REMEDY_FACTS, remedy - REMEDY_FACTS
    assert targets <= SLA_TARGET_FACTS, targets - SLA_TARGET_FACTS
    nested = {"commitment_missed": True, "priority": "P4", "customer": {"tier": "A"}}
    assert [v["remedy"] for v in remedy_table.decide(nested).value] == ["apology"]


def test_k06_commitment_missed_must_be_a_boolean(remedy_table: DecisionTable) -> None:
    """K-06: ``commitment_missed`` is a boolean fact; text is a type error naming it."""
    with pytest.raises(PolicyError, match="commitment_missed"):
        remedy_table.decide({"commitment_missed": "yes"})


# -- the preset as a whole ----------------------------------------------------------------------

CATALOG_ID = re.compile(r"^[A-Z]-\d\d")


def test_every_rule_id_cites_a_catalog_id() -> None:
    """Each rule's id starts with its rules-catalog id (K-01, K-02, K-06 ...)."""
    policy = handbook.policy()
    rule_ids = [r.id for t in policy.tables.values() for r in t.rules]
    assert rule_ids
    for rule_id in rule_ids:
        assert CATALOG_ID.match(rule_id), rule_id
    assert {rid[:4] for rid in rule_ids} == {"K-01", "K-02", "K-06"}
    for table in policy.tables.values():
        assert re.search(r"\b[A-Z]-\d\d\b", table.description), table.name


def test_preset_tables_and_calendars() -> None:
    policy = handbook.policy()
    assert set(policy.tables) == {"complaint_priority", "feedback_routing", "remedy"}
    assert {t.hit_policy for t in policy.tables.values()} == {"first", "unique", "collect"}
    assert policy.tables["feedback_routing"].hit_policy == "unique"
    assert policy.tables["remedy"].hit_policy == "collect"
    assert set(policy.calendars) == {"china", "always"}
    assert policy.version
    assert policy.tables["complaint_priority"] == handbook.complaint_priority_table()


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_handbook_policy_round_trips(fmt: str) -> None:
    policy = handbook.policy()
    again = (
        Policy.from_json(policy.to_json()) if fmt == "json" else Policy.from_yaml(policy.to_yaml())
    )
    assert again == policy
    assert again.diff(policy) == []
    for severity, scope, urgency in itertools.product(SEVERITIES, SCOPES, URGENCIES):
        facts = {"severity": severity, "scope": scope, "urgency": urgency}
        assert (
            again.tables["complaint_priority"].decide(facts).value
            == policy.tables["complaint_priority"].decide(facts).value
        )
    for category, expected in K01_ROUTING.items():
        decision = again.tables["feedback_routing"].decide({"category": category})
        assert dict(decision.value) == expected


def test_handbook_policy_is_a_starting_point_hosts_can_edit() -> None:
    """Hosts override what they need: dump, edit, load, and the diff shows the edit."""
    policy = handbook.policy()
    text = policy.to_json().replace('"repeat_breaches >= 2"', '"repeat_breaches >= 3"')
    text = text.replace("commitment_missed == true and repeat_breaches >= 2",
                        "commitment_missed == true and repeat_breaches >= 3")
    edited = Policy.from_json(text)
    changes = policy.diff(edited)
    # the remedy table is written once: the SLA policy (K-06) and the complaint policy's SLA
    # policy (a missed S-01 / S-02 owes its remedies) name it (issue 19), so the edit is one
    # change and reaches all three
    assert [c.path for c in changes] == [
        "tables.remedy.rules[id=K-06:service-improvement].when",
    ]
    assert '"remedy_table": "remedy"' in text
    assert edited.sla["handbook"].remedy_table == edited.tables["remedy"]
    assert edited.complaints["handbook"].sla.remedy_table == edited.tables["remedy"]
    facts = {"commitment_missed": True, "repeat_breaches": 2}
    assert len(edited.tables["remedy"].decide(facts).value) == 1
