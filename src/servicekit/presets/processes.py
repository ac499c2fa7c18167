"""The handbooks' workflows as process definitions (P-01 … P-08), each citing its rule ids.

Every state has English and Chinese labels; transitions name the roles allowed to fire them
(P-07, P-08: roles and authority are explicit) and the fields they require (P-03); stage
deadlines cite the time limits of the rules catalog (S-01 … S-07). Hosts change a process
without code: dump it, edit it (add an "awaiting approval" state), load it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from servicekit.processes import ProcessDefinition, StateDef, Timeout, TransitionDef

__all__ = [
    "COMPLAINT_ROLES",
    "ROLES",
    "all_processes",
    "complaint_process",
    "consultation_process",
    "dispute_process",
    "feedback_loop_process",
    "repair_process",
    "ticket_process",
]

#: Roles, lowest first; "lead (or higher)" means lead or manager.
ROLES = frozenset({"customer", "agent", "lead", "manager", "system"})
STAFF = frozenset({"agent", "lead", "manager"})
LEADS = frozenset({"lead", "manager"})
CUSTOMER = frozenset({"customer"})


def _s(state_id: str, label: str, label_zh: str, **kw: Any) -> StateDef:
    return StateDef(id=state_id, label=label, label_zh=label_zh, **kw)


def _t(event: str, sources: str, target: str | None, roles: frozenset[str] = STAFF,
       **kw: Any) -> TransitionDef:
    return TransitionDef(event=event, sources=tuple(sources.split()), target=target,
                         roles=roles, **kw)


def ticket_process() -> ProcessDefinition:
    """The ticket lifecycle (P-01 request processing: classify, assign, record, track)."""
    pending = "pending_customer pending_third_party"
    working = f"open {pending}"
    return ProcessDefinition(
        name="ticket",
        description="P-01: a request is classified, assigned, recorded and tracked",
        roles=ROLES,
        fields=frozenset({"assignee", "resolution", "reason"}),
        states=(
            _s("new", "New", "新建", initial=True),
            _s("open", "Open", "处理中"),
            _s("pending_customer", "Pending customer", "待客户回复"),
            _s("pending_third_party", "Pending third party", "待第三方"),
            _s("resolved", "Resolved", "已解决",
               timeout=Timeout(after=timedelta(days=7), event="close")),
            _s("closed", "Closed", "已关闭", final=True),
            _s("cancelled", "Cancelled", "已取消", final=True),
        ),
        transitions=(
            _t("assign", "new open", "open", LEADS, requires=("assignee",)),
            _t("assign", pending, None, LEADS, requires=("assignee",),
               description="reassigning a pending ticket keeps it pending"),
            _t("reply", "new open", "open"),
            _t("reply", pending, None, description="a reminder keeps the ticket pending"),
            _t("customer_reply", f"{pending} open", "open", CUSTOMER,
               description="a customer reply reopens a pending ticket (as Zendesk does)"),
            _t("customer_reply", "new", None, CUSTOMER),
            _t("wait_on_customer", "open", "pending_customer"),
            _t("wait_on_third_party", "open", "pending_third_party"),
            _t("resume", pending, "open"),
            _t("change_priority", f"new {working}", None, LEADS,
               description="only a lead or higher changes priority"),
            _t("escalate", f"new {working}", None, LEADS,
               description="only a lead or higher escalates (S-11)"),
            _t("resolve", working, "resolved", requires=("resolution",)),
            _t("reopen", "resolved", "open", STAFF | CUSTOMER,
               guard="at - resolved_at <= 7d",
               description="only within the reopen window (default 7 days after resolution)"),
            _t("close", "resolved", "closed", STAFF | {"system"}),
            _t("cancel", f"new {working}", "cancelled", LEADS, requires=("reason",)),
        ),
    )


#: The complaint process's roles: the ticket's and the complaint specialist (投诉专员), who
#: analyses, proposes, handles and closes; front-line agents receive, acknowledge and call back.
COMPLAINT_ROLES = ROLES | {"specialist"}
SPECIALISTS = frozenset({"specialist", "lead", "manager"})
COMPLAINT_STAFF = STAFF | {"specialist"}
#: the stages a complaint is open in (every one but the final ones)
_OPEN = ("received acknowledged analysing solution_proposed handling awaiting_feedback "
         "closed")


def complaint_process() -> ProcessDefinition:
    """P-03 (with ISO 10002's acknowledgement and P-04's follow-up): receive, acknowledge,
    analyse, propose a preliminary solution, handle, feed back, close, check the effect.

    Stage deadlines: acknowledged within 4 h of receipt (S-01), the preliminary solution within
    24 h (S-02), both counted from the receipt on the business calendar by the SLA engine's
    stage clocks (``complaint_acknowledged``, ``complaint_solution_proposed``). Escalation
    and reopening are paths, not stages: ``escalate`` raises the level and keeps the stage
    (S-11), ``reopen`` takes an unsatisfied complaint back to handling. A closed complaint
    waits for its effectiveness check (P-04: check the fix worked), which closes the loop.
    The rules that need the policy's numbers (M-05's threshold, the return-visit attempts,
    the effectiveness delay) are :class:`servicekit.complaints.Complaint`'s, checked live and
    recorded on the events.
    """
    return ProcessDefinition(
        name="complaint",
        description="P-03 receive, analyse, handle, feed back (及时、公正、有效); P-04 track",
        roles=COMPLAINT_ROLES,
        fields=frozenset({"channel", "content", "cause", "remedy_sought", "customer_tier",
                          "phase"}),
        states=(
            _s("received", "Received", "已受理", initial=True),
            _s("acknowledged", "Acknowledged", "已响应", deadline=timedelta(hours=4),
               deadline_rule="S-01"),
            _s("analysing", "Analysing", "分析中"),
            _s("solution_proposed", "Solution proposed", "已提出初步方案",
               deadline=timedelta(hours=24), deadline_rule="S-02"),
            _s("handling", "Handling", "处理中"),
            _s("awaiting_feedback", "Awaiting feedback", "待反馈确认"),
            _s("closed", "Closed", "已结案"),
            _s("loop_closed", "Loop closed", "已闭环", final=True),
            _s("withdrawn", "Withdrawn", "已撤销", final=True),
        ),
        transitions=(
            _t("acknowledge", "received", "acknowledged", COMPLAINT_STAFF,
               description="S-01 / ISO 10002 7.2: the complainant hears from us at once"),
            _t("analyse", "acknowledged analysing", "analysing", SPECIALISTS,
               description="P-03 分析 nature, severity, scope; K-02 / K-03 priority"),
            _t("propose_solution", "analysing", "solution_proposed", SPECIALISTS,
               description="S-02: a preliminary solution with its K-06 remedies"),
            _t("handle", "solution_proposed handling", "handling", SPECIALISTS,
               description="P-03 處理: the remedy plan carried out"),
            _t("feedback", "handling", "awaiting_feedback", COMPLAINT_STAFF,
               description="P-03 反饋: the result told, the satisfaction asked (M-05)"),
            _t("record_return_visit", "handling awaiting_feedback closed", None, COMPLAINT_STAFF,
               description="回访: a second visit (M-05), the effectiveness check (P-04), or a "
                           "try to reach the customer"),
            _t("close_loop", "closed", "loop_closed", frozenset({"system"}),
               description="P-04: the effectiveness check found the fix worked (or could not "
                           "reach the customer): the loop is closed"),
            _t("close", "handling awaiting_feedback", "closed", SPECIALISTS,
               description="P-03: the customer is satisfied, or could not be reached"),
            _t("reopen", "awaiting_feedback closed", "handling", COMPLAINT_STAFF | CUSTOMER,
               description="not satisfied after all: back to handling"),
            _t("escalate", _OPEN, None, LEADS | {"system"},
               description="S-11: a lead, or the system for a severe complaint (K-03)"),
            _t("owe_remedy", _OPEN, None, frozenset({"system"}),
               description="K-06: a missed public commitment (S-01, S-02) owes a remedy"),
            _t("withdraw", _OPEN.removesuffix(" closed"), "withdrawn", LEADS | CUSTOMER,
               description="the complainant withdraws, or a lead finds it is no complaint"),
        ),
    )


def consultation_process() -> ProcessDefinition:
    """P-02: accept → answer → (follow up until solved) → feedback and record."""
    return ProcessDefinition(
        name="consultation",
        description="P-02 受理—解答—反馈",
        roles=ROLES,
        fields=frozenset({"question", "answer"}),
        states=(
            _s("accepted", "Accepted", "已受理", initial=True),
            _s("answered", "Answered", "已解答", deadline=timedelta(hours=24),
               deadline_rule="S-03"),
            _s("following_up", "Following up", "跟进中"),
            _s("recorded", "Recorded", "已反馈记录", final=True),
        ),
        transitions=(
            _t("answer", "accepted following_up", "answered", requires=("answer",)),
            _t("follow_up", "answered", "following_up", guard="complex == true",
               description="P-02: only complex issues get a follow-up loop"),
            _t("record", "answered", "recorded"),
        ),
    )


def repair_process() -> ProcessDefinition:
    """P-06: triage → confirm → diagnose → repair or replace → return visit."""
    return ProcessDefinition(
        name="repair",
        description="P-06 fault and repair (H1 §3.4, H3 §4.1.2)",
        roles=ROLES,
        fields=frozenset({"symptom", "environment", "diagnosis", "parts"}),
        states=(
            _s("reported", "Reported", "已报修", initial=True),
            _s("triaged", "Triaged", "已初判", deadline=timedelta(minutes=5),
               deadline_rule="S-05"),
            _s("routed_to_consultation", "Routed to consultation", "转咨询", final=True),
            _s("confirmed", "Confirmed", "已确认"),
            _s("visit_arranged", "Visit arranged", "已安排上门", deadline=timedelta(hours=48),
               deadline_rule="S-06"),
            _s("diagnosed", "Diagnosed", "已诊断"),
            _s("repaired", "Repaired or replaced", "已维修/更换"),
            _s("completed", "Completed", "已完成回访", final=True,
               deadline=timedelta(hours=24), deadline_rule="S-07"),
        ),
        transitions=(
            _t("triage", "reported", "triaged"),
            _t("not_a_product_fault", "triaged", "routed_to_consultation",
               description="P-06's undefined branch: back to consultation (P-02)"),
            _t("confirm", "triaged", "confirmed", requires=("symptom", "environment")),
            _t("arrange_visit", "confirmed", "visit_arranged"),
            _t("diagnose", "confirmed visit_arranged", "diagnosed", requires=("diagnosis",)),
            _t("repair", "diagnosed", "repaired", requires=("parts",)),
            _t("return_visit", "repaired", "completed",
               description="completion with a satisfaction return visit"),
        ),
    )


def dispute_process() -> ProcessDefinition:
    """P-05: accepted → investigation → mediation → result → customer notified."""
    return ProcessDefinition(
        name="dispute",
        description="P-05 transaction dispute (公平、公正、公開)",
        roles=ROLES,
        fields=frozenset({"findings", "result"}),
        states=(
            _s("accepted", "Accepted", "已受理", initial=True),
            _s("investigating", "Investigating", "调查核实中"),
            _s("mediating", "Mediating", "调解中"),
            _s("result_issued", "Result issued", "已出具结果"),
            _s("customer_notified", "Customer notified", "已告知客户", final=True),
        ),
        transitions=(
            _t("investigate", "accepted", "investigating", LEADS),
            _t("mediate", "investigating", "mediating", LEADS, requires=("findings",)),
            _t("issue_result", "mediating", "result_issued", LEADS, requires=("result",)),
            _t("notify_customer", "result_issued", "customer_notified"),
        ),
    )


def feedback_loop_process() -> ProcessDefinition:
    """P-04: the six-stage feedback loop."""
    return ProcessDefinition(
        name="feedback_loop",
        description="P-04 receive, classify, dispatch, communicate, improve, close the loop",
        roles=ROLES,
        fields=frozenset({"category", "priority", "owner", "reply", "improvement"}),
        states=(
            _s("recorded", "Recorded", "已接收记录", initial=True),
            _s("assessed", "Assessed", "已分类评估"),
            _s("dispatched", "Dispatched", "已分派"),
            _s("communicated", "Communicated", "已沟通反馈"),
            _s("improved", "Improved", "已分析改进"),
            _s("loop_closed", "Loop closed", "已闭环", final=True),
        ),
        transitions=(
            _t("assess", "recorded", "assessed", requires=("category", "priority"),
               description="K-01 category; K-02 severity, scope, urgency"),
            _t("dispatch", "assessed", "dispatched", LEADS, requires=("owner",)),
            _t("communicate", "dispatched", "communicated", requires=("reply",),
               description="progress and result, or at least a thank-you (P-04)"),
            _t("improve", "communicated", "improved", LEADS, requires=("improvement",)),
            _t("close_loop", "improved", "loop_closed", LEADS,
               description="check the fix worked, prevent recurrence"),
        ),
    )


def all_processes() -> dict[str, ProcessDefinition]:
    """Every preset process by name."""
    return {p.name: p for p in (ticket_process(), complaint_process(), consultation_process(),
                                repair_process(), dispute_process(), feedback_loop_process())}
