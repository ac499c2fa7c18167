"""Package-level contracts: a light import, no clocks or I/O in the core, demo and examples run."""

from __future__ import annotations

import ast
import inspect
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

import servicekit
from servicekit import errors

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "servicekit"
# Modules allowed to touch the outside world (printing, argv, timing a benchmark-like demo).
ADAPTER_MODULES = {"__main__.py", "demo.py", "files.py"}
HEAVY = ("fastapi", "starlette", "matplotlib", "pandas", "polars", "pyarrow", "duckdb", "dask",
         "pyspark", "typer", "rich", "holidays", "chinese_calendar")


def test_importing_servicekit_and_its_calendar_stays_light() -> None:
    code = (
        "import sys, servicekit, servicekit.calendar, servicekit.errors\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _core_files() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if p.name not in ADAPTER_MODULES]


def test_the_core_reads_no_clock_environment_or_files() -> None:
    forbidden_calls = {
        ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
        ("time", "time"), ("time", "monotonic"), ("time", "perf_counter"), ("os", "getenv"),
    }
    forbidden_names = {"open", "input", "print"}
    found: list[str] = []
    for path in _core_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                    if (func.value.id, func.attr) in forbidden_calls:
                        found.append(f"{path.name}:{node.lineno} {func.value.id}.{func.attr}()")
                elif isinstance(func, ast.Name) and func.id in forbidden_names:
                    found.append(f"{path.name}:{node.lineno} {func.id}()")
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and (node.value.id, node.attr) == ("os", "environ")
            ):
                found.append(f"{path.name}:{node.lineno} os.environ")
    assert found == []


def test_the_clock_scan_would_catch_a_clock() -> None:
    # The scan above must be able to fail: it flags a planted call.
    tree = ast.parse("from datetime import datetime\nx = datetime.now()\n")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    func = calls[0].func
    assert isinstance(func, ast.Attribute)
    assert isinstance(func.value, ast.Name)
    assert (func.value.id, func.attr) == ("datetime", "now")


def test_every_public_error_is_a_servicekit_error() -> None:
    classes = [obj for _, obj in inspect.getmembers(errors, inspect.isclass)
               if obj.__module__ == errors.__name__]
    helpers = {"exception_chain"}  # walks an error's chain (what may an error carry?)
    assert set(errors.__all__) == {c.__name__ for c in classes} | helpers
    for cls in classes:
        if cls is errors.Problem:  # the record an error's ``problems`` hold, not an error
            continue
        assert issubclass(cls, errors.ServiceKitError)
    assert issubclass(errors.InvalidInputError, ValueError)
    assert issubclass(errors.NaiveDatetimeError, TypeError)


def test_py_typed_is_shipped() -> None:
    assert (SRC / "py.typed").exists()
    assert servicekit.__version__


def test_demo_runs_and_shows_the_china_2026_calendar() -> None:
    out = subprocess.run([sys.executable, "-m", "servicekit", "demo"], capture_output=True,
                         text=True, check=True, timeout=120)
    text = out.stdout
    assert "Sat 2026-10-10  09:00-12:00,13:00-18:00  <- weekend made a working day" in text
    assert "S-02 preliminary solution within 24 business hours -> due Sat 2026-10-10 16:30" in text
    assert "CalendarCoverageError for 2027" in text
    assert "agrees with the scalar path: True" in text
    # section 8: the ticket on the process engine (P-01, P-08) and its storage
    assert "Ticket.replay(t.history) == t: True" in text
    assert "escalate not permitted in state 'open': requires one of the roles lead, manager" in text
    assert "the second gets concurrency conflict: expected stream version 8, found 9" in text
    # section 9: cases on the same engine, stage clocks from the process deadlines (S-01, S-02)
    assert "complaint_acknowledged: met, due Thu 2026-10-08 11:30" in text
    assert "complaint_solution_proposed: running, due Sat 2026-10-10 16:30" in text
    assert "Case.replay(...) == c: True" in text
    assert ("repair_triaged met, repair_visit_arranged cancelled, repair_completed running"
            in text)


@pytest.mark.parametrize("example", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_examples_run(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(example), run_name="__main__")
    assert capsys.readouterr().out.strip()


def test_complaint_deadline_example_values() -> None:
    """S-01 and S-02 across National Day 2026, as the example prints them."""
    module = runpy.run_path(str(ROOT / "examples" / "complaint_deadlines.py"))
    rows = module["main"]()
    by_id = {r[0]: r for r in rows}
    assert by_id["C-102"][1].isoformat() == "2026-10-08T11:30:00+08:00"
    assert by_id["C-102"][2].isoformat() == "2026-10-10T16:30:00+08:00"
    assert by_id["C-103"][3] is True  # answered exactly at the due instant: met


def test_ticket_service_example_values() -> None:
    """The example host service: roles refused, a cancel, the 7-day auto-close sweep (P-01)."""
    module = runpy.run_path(str(ROOT / "examples" / "ticket_service.py"))
    assert module["main"]() == {"T-1": "closed", "T-2": "open", "T-3": "new", "T-4": "cancelled"}


def test_case_flows_example_values() -> None:
    """The example's three flows: the P-03 complaint reopened once closes, the P-06 non-fault
    branch routes to consultation, the P-04 loop stops where it was left; a refused command
    saves nothing."""
    module = runpy.run_path(str(ROOT / "examples" / "case_flows.py"))
    assert module["main"]() == {"CMP-1": "closed", "REP-1": "routed_to_consultation",
                                "FBL-1": "communicated"}


def test_untrusted_input_example_refuses_each_attack_cleanly() -> None:
    """docs/security.md's promises, run as a host would (issue 10): each refusal is typed and
    carries no personal data (the example checks every message's whole chain)."""
    module = runpy.run_path(str(ROOT / "examples" / "untrusted_input.py"))
    outcome = module["main"]()
    assert set(outcome) == {"yaml bomb", "duplicate key", "forged history",
                            "change a recorded event", "stale save"}
    assert "aliases" in outcome["yaml bomb"]
    assert "not permitted" in outcome["forged history"]
    assert "differs" in outcome["stale save"]
    assert all("13800138000" not in message for message in outcome.values())
