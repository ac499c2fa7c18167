"""The handbook's other flows as running cases, stored in SQLite, on the engine tickets use.

A host runs three processes from the presets as :class:`~servicekit.cases.Case` s:

* a complaint (P-03: receive → acknowledge → analyse → propose a solution → handle → feed
  back → close), whose customer is not satisfied the first time and reopens it, so it is
  handled again before it closes (the complaint process as a plain case: the handbook's
  complaint rules, M-05's second visit, the remedies owed, are ``servicekit.complaints``'s;
  see ``complaint_walkthrough.py``);
* a repair (P-06) that triage finds is not a product fault, routed back to consultation;
* a feedback-loop case (P-04), whose ``assess`` step records category and priority (K-01, K-02).

Each command is loaded, run and saved through a ``CaseRepository`` with optimistic concurrency;
every case is then rebuilt from its stored events and compared with the live one. The
database is a temporary SQLite file; swap ``SqliteEventStore`` for your own ``EventStore``.

Run: ``python examples/case_flows.py``
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from servicekit.adapters.sqlite import SqliteEventStore
from servicekit.cases import Actor, Case
from servicekit.errors import ServiceKitError
from servicekit.presets.processes import (
    complaint_process,
    feedback_loop_process,
    repair_process,
)
from servicekit.processes import ProcessDefinition
from servicekit.storage import CaseRepository

SHANGHAI = ZoneInfo("Asia/Shanghai")
AGENT = Actor(id="u-7", roles=frozenset({"agent"}))
LEAD = Actor(id="u-1", roles=frozenset({"lead"}))
SPECIALIST = Actor(id="u-3", roles=frozenset({"specialist"}))
CUSTOMER = Actor.customer("C-1")
T0 = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)

Step = tuple[str, Actor, dict[str, Any]]

COMPLAINT: list[Step] = [
    ("acknowledge", AGENT, {}),  # S-01: the complainant hears from us within 4 h
    ("analyse", SPECIALIST, {"nature": "logistics", "severity": 3, "scope": "single_customer"}),
    ("propose_solution", SPECIALIST, {"remedies": ["apology"]}),  # S-02: within 24 h
    ("handle", SPECIALIST, {"actions": "apologised"}),
    ("feedback", AGENT, {"satisfaction": 0.5}),
    ("reopen", CUSTOMER, {"reason": "no refund"}),  # P-03: not satisfied, back to handling
    ("handle", SPECIALIST, {"actions": "refunded shipping"}),
    ("feedback", AGENT, {"satisfaction": 0.9}),
    ("close", SPECIALIST, {}),
]
REPAIR: list[Step] = [
    ("triage", AGENT, {}),
    ("not_a_product_fault", AGENT, {}),  # P-06's undefined branch: back to consultation
]
FEEDBACK: list[Step] = [
    ("assess", AGENT, {"category": "suggestion", "priority": "P4"}),
    ("dispatch", LEAD, {"owner": "product team"}),
    ("communicate", AGENT, {"reply": "thank you"}),  # P-04: at least a thank-you
]


def run_case(repo: CaseRepository, case_id: str, steps: list[Step]) -> Case:
    case = Case.start(process=repo.process, case_id=case_id, customer_id="C-1", at=T0, by=AGENT)
    repo.add(case)
    for minutes, (event, actor, fields) in enumerate(steps, start=1):
        at = T0 + timedelta(minutes=30 * minutes)

        def change(c: Case, event: str = event, actor: Actor = actor,
                   fields: dict[str, Any] = fields, at: datetime = at) -> Case:
            return c.fire(event, at=at, by=actor, fields=fields)

        case = repo.update(case_id, change, retries=1)
    return case


def main() -> dict[str, str]:
    states: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as directory:
        store = SqliteEventStore(Path(directory) / "cases.sqlite3")
        try:
            runs: list[tuple[str, Callable[[], ProcessDefinition], list[Step]]] = [
                ("CMP-1", complaint_process, COMPLAINT),
                ("REP-1", repair_process, REPAIR),
                ("FBL-1", feedback_loop_process, FEEDBACK),
            ]
            for case_id, process, steps in runs:
                repo = CaseRepository(store, process=process())
                live = run_case(repo, case_id, steps)
                stored = repo.get(case_id)
                print(f"{case_id} ({live.process_name}): {live.state} [{live.status_label_zh}] "
                      f"after {live.version} events; replay equals live: {stored == live}")
                states[case_id] = live.state
            # a refused command changes nothing (P-08: authority is explicit)
            repo = CaseRepository(store, process=feedback_loop_process())
            try:
                repo.update("FBL-1", lambda c: c.fire("improve", at=T0 + timedelta(hours=3),
                                                      by=AGENT, fields={"improvement": "x"}))
            except ServiceKitError as err:
                print(f"refused: {err}")
            print(f"FBL-1 still at version {repo.get('FBL-1').version}")
        finally:
            store.close()
    return states


if __name__ == "__main__":
    main()
