"""Sample process definitions for the generic case engine's tests.

:func:`satisfaction_loop_process` is the complaint preset as it stood before issue 11 (P-03:
receive → analyse → handle → feed back, closed only once the customer is satisfied, otherwise
reworked), kept verbatim under its own name. The engine's tests need a process with required
fields (P-03's time, complainant, content, cause), a guard that is true or false on recorded
data (``customer_satisfied``), a loop back to an earlier state and two stage deadlines; the
redrawn complaint preset (``servicekit.presets.processes.complaint_process``) has its own tests
and is no longer that example.

Import it by basename (``from sample_processes import satisfaction_loop_process``): the tests
have no packages, and pytest puts a test file's directory on ``sys.path``. Tests outside
``tests/cases`` put this directory there first (see :data:`HERE`).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from servicekit.presets.processes import ROLES
from servicekit.processes import ProcessDefinition, StateDef, TransitionDef

__all__ = ["HERE", "satisfaction_loop_process"]

#: this directory, for tests elsewhere that import this module
HERE = Path(__file__).resolve().parent

STAFF = frozenset({"agent", "lead", "manager"})


def _s(state_id: str, label: str, label_zh: str, **kw: Any) -> StateDef:
    return StateDef(id=state_id, label=label, label_zh=label_zh, **kw)


def _t(event: str, sources: str, target: str | None, roles: frozenset[str] = STAFF,
       **kw: Any) -> TransitionDef:
    return TransitionDef(event=event, sources=tuple(sources.split()), target=target,
                         roles=roles, **kw)


def satisfaction_loop_process() -> ProcessDefinition:
    """P-03 as the complaint preset had it: receive → analyse → handle → feedback; closed once
    the customer is satisfied, reworked (analysed again) otherwise."""
    return ProcessDefinition(
        name="satisfaction_loop",
        description="P-03 receive, analyse, handle, feed back (及时、公正、有效)",
        roles=ROLES,
        fields=frozenset({"complaint_time", "complainant", "content", "cause", "nature",
                          "severity", "scope", "remedy_plan", "result", "improvement"}),
        states=(
            _s("submitted", "Submitted", "已提交", initial=True),
            _s("received", "Received", "已受理", deadline=timedelta(hours=4),
               deadline_rule="S-01"),
            _s("analysed", "Analysed", "已分析"),
            _s("handled", "Handled", "已处理", deadline=timedelta(hours=24),
               deadline_rule="S-02"),
            _s("feedback_given", "Feedback given", "已反馈"),
            _s("closed", "Closed", "已结案", final=True),
        ),
        transitions=(
            _t("receive", "submitted", "received",
               requires=("complaint_time", "complainant", "content", "cause"),
               description="P-03: time, complainant, content and cause are recorded"),
            _t("analyse", "received", "analysed", requires=("nature", "severity", "scope"),
               description="P-03: nature, severity and scope of impact"),
            _t("handle", "analysed", "handled", requires=("remedy_plan",),
               description="P-03 / K-06: apology, compensation, service improvement"),
            _t("give_feedback", "handled", "feedback_given", requires=("result", "improvement"),
               description="P-03: tell the complainant the result and the improvement"),
            _t("close", "feedback_given", "closed", guard="customer_satisfied == true",
               description="P-03: make sure the customer is satisfied"),
            _t("rework", "feedback_given", "analysed", guard="customer_satisfied == false",
               description="not satisfied: analyse again"),
        ),
    )
