"""The complaint walkthrough (issue 11) and its page, docs/complaints.md.

The example runs the issue's scenario across National Day 2026 on the China calendar; these
tests check its key values (S-01, S-02, K-02/K-03, K-06, M-05, P-04, P-08), and that the page
shows what the definition, the policy and the example give today: the stage and command
tables, the Mermaid diagram, the policy's fields and the walkthrough's output.
"""

from __future__ import annotations

import contextlib
import io
import re
import runpy
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from servicekit.complaints import Complaint, ComplaintPolicy
from servicekit.presets import handbook
from servicekit.presets.processes import complaint_process
from servicekit.sla import evaluate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "complaint_walkthrough.py"
PAGE = ROOT / "docs" / "complaints.md"
SH = ZoneInfo("Asia/Shanghai")


def _run() -> tuple[Complaint, str]:
    module = runpy.run_path(str(EXAMPLE))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        complaint = module["main"]()
    return complaint, out.getvalue()


@pytest.fixture(scope="module")
def walkthrough() -> tuple[Complaint, str]:
    return _run()


def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


def _section(title: str) -> str:
    """The text of the page's section ``## title`` (up to the next ``## ``)."""
    page = _page()
    start = page.index(f"\n## {title}\n")
    end = page.find("\n## ", start + 1)
    return page[start:] if end < 0 else page[start:end]


def _fence(text: str, lang: str) -> str:
    found = re.findall(rf"^```{lang}\n(.*?)^```$", text, flags=re.S | re.M)
    assert len(found) == 1, f"one ```{lang} block expected"
    return str(found[0])


def _table(text: str, first_header: str) -> list[list[str]]:
    """The rows of the Markdown table whose first header cell is ``first_header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


# -- the example's key values ------------------------------------------------------------------


def test_s01_falls_due_after_national_day_and_is_met(walkthrough: tuple[Complaint, str]) -> None:
    """S-01: 4 business hours from Wed 09-30 16:30 is Thu 10-08 11:30 (1-7 October off)."""
    c, out = walkthrough
    assert "S-01 complaint_acknowledged: met, due Thu 2026-10-08 11:30" in out
    assert c.acknowledged_at == datetime(2026, 10, 8, 9, 40, tzinfo=SH)
    status = c.clocks(c.updated_at)["complaint_acknowledged"]
    assert status.state == "met"
    assert status.due_at == datetime(2026, 10, 8, 11, 30, tzinfo=SH)


def test_s02_falls_due_on_the_make_up_saturday_and_is_breached(
        walkthrough: tuple[Complaint, str]) -> None:
    """S-02: 24 business hours from the receipt is the make-up working Saturday 10-10 16:30;
    the solution on Monday is late."""
    c, out = walkthrough
    assert ("S-02 complaint_solution_proposed: running, due Sat 2026-10-10 16:30" in out)
    assert ("S-02 complaint_solution_proposed: breached, due Sat 2026-10-10 16:30, breached "
            "Sat 2026-10-10 16:30:00.000001") in out
    status = evaluate(handbook.sla_policy(), c.history, c.updated_at)[
        "complaint_solution_proposed"]
    assert status.due_at == datetime(2026, 10, 10, 16, 30, tzinfo=SH)
    assert status.breached_at == status.due_at + timedelta(microseconds=1)
    assert c.solution_proposed_at == datetime(2026, 10, 12, 10, 0, tzinfo=SH)


def test_k02_k03_a_medium_group_urgent_complaint_is_p2_and_major(
        walkthrough: tuple[Complaint, str]) -> None:
    c, out = walkthrough
    assert (c.severity, c.severity_band, c.scope, c.urgency) == (4, "medium", "group", "high")
    assert (c.priority, c.major, c.priority_rule) == ("P2", True,
                                                      "K-02:medium-impact-high-urgency")
    assert c.escalation_level == 0  # only a severe complaint escalates by itself
    assert ("severity 4 (medium, K-03), scope group, urgency high -> P2, major: True "
            "(K-02:medium-impact-high-urgency)") in out


def test_k06_the_late_solution_owes_an_apology_and_compensation(
        walkthrough: tuple[Complaint, str]) -> None:
    """The missed S-02 owes what the K-06 table decides for a major problem, once, recorded
    by the system actor; the remedies the solution offered are kept apart."""
    c, out = walkthrough
    owed = [(r.remedy, r.rule, r.metric, r.decided_by) for r in c.remedies_owed]
    assert owed == [("apology", "S-02", "complaint_solution_proposed", "K-06:apology"),
                    ("compensation", "S-02", "complaint_solution_proposed",
                     "K-06:compensation")]
    assert [r.remedy for r in c.remedies if r.source == "proposed"] == [
        "compensation", "service_improvement"]
    [event] = [e for e in c.history if type(e).__name__ == "RemedyOwed"]
    assert (event.by, event.at) == ("system", datetime(2026, 10, 12, 10, 0, tzinfo=SH))
    assert ("apology owed (rule S-02, clock complaint_solution_proposed, decided by "
            "K-06:apology, recorded Mon 2026-10-12 10:00)") in out
    assert ("compensation owed (rule S-02, clock complaint_solution_proposed, decided by "
            "K-06:compensation, recorded Mon 2026-10-12 10:00)") in out
    assert "owes the same without a command: apology, compensation" in out


def test_m05_an_unsatisfied_feedback_schedules_a_second_visit_on_the_business_calendar(
        walkthrough: tuple[Complaint, str]) -> None:
    """0.6 < 80 %: the second visit is due 24 business hours after Wed 10-14 10:00, which is
    Mon 10-19 10:00 (three 8-hour days over a weekend), and the close waits for it."""
    c, out = walkthrough
    [second] = [v for v in c.return_visits if v.kind == "second_visit"]
    assert second.rule == "M-05"
    assert second.due_at == datetime(2026, 10, 19, 10, 0, tzinfo=SH)
    assert handbook.sla_policy().calendar.elapsed(
        datetime(2026, 10, 14, 10, 0, tzinfo=SH), second.due_at) == timedelta(hours=24)
    assert (second.status, second.outcome, second.satisfaction) == ("done", "satisfied", 0.9)
    assert "return visit second_visit (M-05): scheduled, due Mon 2026-10-19 10:00" in out
    assert ("close refused: a second return visit is due (M-05: the satisfaction was below "
            "the threshold)") in out


def test_p04_the_effectiveness_check_closes_the_loop(walkthrough: tuple[Complaint, str]
                                                     ) -> None:
    c, out = walkthrough
    [check] = [v for v in c.return_visits if v.kind == "effectiveness_check"]
    assert check.rule == "P-04"
    assert check.due_at is not None
    assert check.due_at - datetime(2026, 10, 16, 14, 0, tzinfo=SH) in (
        timedelta(days=30), timedelta(days=30, hours=1))  # the satisfied visit, or the close
    assert (check.status, check.outcome) == ("done", "satisfied")
    assert (c.stage, c.status_label_zh, c.is_final) == ("loop_closed", "已闭环", True)
    assert "stage: loop_closed (已闭环)" in out


def test_p08_every_step_is_recorded_and_replays(walkthrough: tuple[Complaint, str]) -> None:
    c, out = walkthrough
    assert Complaint.replay(c.history) == c
    assert "Complaint.replay(c.history) == c: True" in out
    assert all(e.by and e.roles for e in c.history)
    assert f"The record (P-08): {c.version} events" in out


def test_the_walkthrough_prints_no_ids_and_the_same_text_each_run(
        walkthrough: tuple[Complaint, str]) -> None:
    _, out = walkthrough
    _, again = _run()
    assert out == again
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", out)  # no event ids
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", "0" * 8)  # the pattern can fail
    assert re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", str(walkthrough[0].history[0].event_id))


# -- the page matches the definition, the policy and the example ---------------------------------


def test_the_page_shows_the_walkthrough_output_of_today(walkthrough: tuple[Complaint, str]
                                                        ) -> None:
    _, out = walkthrough
    assert _fence(_section("The walkthrough"), "text").rstrip() == out.rstrip()


def test_the_page_shows_the_complaint_diagram_as_rendered_today() -> None:
    diagram = complaint_process().to_mermaid(actions=False).rstrip()
    assert _fence(_section("Stages"), "mermaid").rstrip() == diagram


def test_the_page_stage_table_is_the_definitions() -> None:
    process = complaint_process()
    expected = []
    for s in process.states:
        if s.deadline is not None:
            hours = int(s.deadline.total_seconds() // 3600)
            note = f"{s.deadline_rule}: {hours} h after receipt"
        else:
            note = "final" if s.final else ""
        expected.append([f"`{s.id}`", s.label, s.label_zh, note])
    assert _table(_section("Stages"), "stage") == expected


def _stages(cell: str, process: Any) -> set[str]:
    open_stages = {s.id for s in process.states if not s.final}
    if cell == "every open stage":
        return open_stages
    if cell.startswith("every open stage but "):
        return open_stages - set(cell.removeprefix("every open stage but ").split(", "))
    return set(cell.split(", "))


def test_the_page_command_table_is_the_definitions() -> None:
    """Who may do what (P-08), as the process's transitions say."""
    process = complaint_process()
    rows = _table(_section("Stages"), "command")
    shown = {(row[0].strip("`"), frozenset(_stages(row[1], process)),
              None if row[2] == "(stays)" else row[2], frozenset(row[3].split(", ")))
             for row in rows}
    defined = {(t.event, frozenset(t.sources), t.target, frozenset(t.roles))
               for t in process.transitions}
    assert shown == defined
    assert len(rows) == len(process.transitions)


def test_the_page_policy_table_names_every_field_with_the_handbook_value() -> None:
    policy = handbook.complaint_policy()
    rows = {row[0].strip("`"): row[1] for row in _table(_section("The policy"), "field")}
    assert set(rows) == set(ComplaintPolicy.model_fields) - {"name", "description"}
    for name in ("escalate_band", "escalate_to", "second_visit_below", "unreachable_attempts"):
        assert f"`{getattr(policy, name)}`" in rows[name], name
    for name in ("channels", "phases", "scopes", "urgencies"):
        assert rows[name] == ", ".join(f"`{v}`" for v in getattr(policy, name)), name
    assert ", ".join(policy.offered_remedies) in rows["remedies"]
    bands = ", ".join(f"{b.name} {b.low}–{b.high}" for b in policy.severity_bands)
    assert rows["severity_bands"] == bands
    assert policy.second_visit_within == timedelta(hours=24)
    assert rows["second_visit_within"].startswith("24 h")
    assert policy.effectiveness_check_after == timedelta(days=30)
    assert rows["effectiveness_check_after"].startswith("30 days")
