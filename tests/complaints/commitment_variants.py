"""SLA policies whose complaint commitments take every path of the complaint's commitment
check (issue 11): the handbook's (both clocks decided by the stages), and variants whose
S-01 or S-02 clock the stages do not decide, so the complaint must ask the SLA engine at every
command. Import by basename (``from commitment_variants import …``).

* ``handbook``: S-01 4 business hours to ``acknowledged``, S-02 24 to ``solution_proposed``;
* ``paused``: S-02 pauses while the complaint is ``analysing``;
* ``retargeted``: a target-table rule gives S-02 2 hours for a P1 or P2 complaint (K-02), and
  S-01 its only target (it has none of its own);
* ``restarted``: a reopened complaint restarts S-02 (its start also names another event);
* ``escalation_stops``: an escalation stops S-01 (a selector that is not a stage);
* ``private_clock``: a clock started by the complaint that is not a public commitment (it is
  never owed), beside the handbook's two.
"""

from __future__ import annotations

from typing import Any

from servicekit.presets import handbook
from servicekit.rules import DecisionTable, Rule
from servicekit.sla import Metric, SlaPolicy

__all__ = ["HB", "S01", "S02", "VARIANTS", "variant"]

HB = handbook.sla_policy()
S01, S02 = handbook.COMPLAINT_COMMITMENTS


def _metric(name: str, **changes: Any) -> Metric:
    (m,) = [m for m in HB.metrics if m.name == name]
    return Metric(**({f: getattr(m, f) for f in Metric.model_fields} | changes))


def _policy(metrics: dict[str, Metric], *, extra: tuple[Metric, ...] = (),
            **changes: Any) -> SlaPolicy:
    fields = {f: getattr(HB, f) for f in SlaPolicy.model_fields}
    fields["metrics"] = (*(metrics.get(m.name, m) for m in HB.metrics), *extra)
    return SlaPolicy(**(fields | changes))


def _retargeted() -> SlaPolicy:
    table = HB.target_table
    assert table is not None
    rules = (*table.rules,
             Rule(id="K-02:severe-complaint", when='priority == "P1" or priority == "P2"',
                  then={S02: "2h"}, description="a severe complaint's solution in 2 h"),
             Rule(id="S-01:complaint", when='process == "complaint"', then={S01: "4h"},
                  description="S-01 from the table"))
    fields = {f: getattr(table, f) for f in DecisionTable.model_fields} | {"rules": rules}
    return _policy({S01: _metric(S01, target=None)}, target_table=DecisionTable(**fields))


def variant(name: str) -> SlaPolicy:
    """The SLA policy called ``name`` (see the module docstring)."""
    if name == "handbook":
        return HB
    if name == "paused":
        return _policy({S02: _metric(S02, pausable=True)},
                       pause_statuses=HB.pause_statuses | {"analysing"})
    if name == "retargeted":
        return _retargeted()
    if name == "restarted":
        return _policy({S02: _metric(S02, start_on=("CaseStarted:complaint",
                                                    "ComplaintReopened"))})
    if name == "escalation_stops":
        return _policy({S01: _metric(S01, stop_on=("StatusChanged:acknowledged",
                                                   "ComplaintEscalated"))})
    if name == "private_clock":
        return _policy({}, extra=(Metric(
            name="complaint_closed_fast", start_on=("CaseStarted:complaint",),
            stop_on=("StatusChanged:closed",), cancel_on=("StatusChanged:withdrawn",),
            pausable=False, target="2h", description="not a public commitment"),))
    raise KeyError(name)


VARIANTS = ("handbook", "paused", "retargeted", "restarted", "escalation_stops",
            "private_clock")
