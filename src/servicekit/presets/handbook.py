"""The handbook preset: the service handbooks' rules as servicekit policy data.

Every rule cites its id in the rules catalog (``K-02``, ``K-06`` …) in its ``id`` and
description, so each default can be traced back to the handbook passage it comes from. Hosts
start from :func:`policy` and override what they need (it is data: dump it, edit it, load it).

Rule engine: complaint priority (K-02, K-03), feedback routing (K-01, P-02, P-03, P-04) and
remedies (K-06). SLA engine: the time limits S-01 … S-10 as targets and custom metrics (the
stage deadlines of the preset processes as stage clocks on their cases), with the S-11
escalation ladder and K-06 remedies for missed public commitments. Later capabilities add tier
ladders and metric targets.
"""

from __future__ import annotations

from datetime import timedelta

from servicekit.calendar import BusinessCalendar
from servicekit.complaint_policy import ComplaintPolicy
from servicekit.customers import Entitlements, Tier, TierLadder
from servicekit.metrics import Target, Targets
from servicekit.policy import Policy
from servicekit.presets.processes import all_processes
from servicekit.rules import DecisionTable, Rule
from servicekit.sla import Escalation, EscalationLevel, Metric, SlaPolicy, stage_metrics

__all__ = [
    "COMPLAINT_COMMITMENTS",
    "FEEDBACK_CATEGORIES",
    "complaint_policy",
    "complaint_priority_table",
    "feedback_routing_table",
    "policy",
    "remedy_table",
    "sla_policy",
    "sla_target_table",
]

#: K-01 feedback categories (H5): praise 表扬, suggestion 建议, grievance 抱怨, complaint 投诉,
#: inquiry 咨询, help request 求助. The handbook's list is open (「等」).
FEEDBACK_CATEGORIES: dict[str, str] = {
    "praise": "表扬",
    "suggestion": "建议",
    "grievance": "抱怨",
    "complaint": "投诉",
    "inquiry": "咨询",
    "help_request": "求助",
}

# K-03 severity scale 1-6: minor 1-2, medium 3-4, severe 5-6. K-02 impact from severity and
# scope, urgency given: the ITIL impact x urgency matrix.
_HIGH_IMPACT = 'severity >= 5 or scope == "widespread"'
_MEDIUM_IMPACT = 'severity >= 3 or scope == "group"'


def complaint_priority_table() -> DecisionTable:
    """K-02 / K-03: priority P1-P4 from severity (1-6), impact scope and urgency.

    Facts: ``severity`` (K-03 scale 1-6: minor 1-2, medium 3-4, severe 5-6), ``scope``
    (``"single_customer"``, ``"group"`` or ``"widespread"``; any other scope counts as one
    customer's), ``urgency`` (``"low"``, ``"medium"``,
    ``"high"``). Impact is high for a severe problem or a widespread one, medium for a medium
    problem or one affecting a group, low otherwise. The impact x urgency matrix (ITIL) gives:

    ============  ======  ======  ======
    impact        high    medium  low     (urgency)
    ============  ======  ======  ======
    high          P1      P2      P3
    medium        P2      P3      P4
    low           P3      P4      P4
    ============  ======  ======  ======

    ``major`` is true for P1 and P2: the handbook's 重大問題, which S-04 asks to resolve in 48 h.
    A missing fact makes its comparisons false, so the priority errs towards P4 only when
    nothing is known.
    """
    p1 = {"priority": "P1", "major": True}
    p2 = {"priority": "P2", "major": True}
    p3 = {"priority": "P3", "major": False}
    return DecisionTable(
        name="complaint_priority",
        hit_policy="first",
        description="K-02 impact x urgency matrix, impact from K-03 severity and scope",
        rules=[
            Rule(id="K-02:high-impact-high-urgency",
                 when=f'({_HIGH_IMPACT}) and urgency == "high"', then=p1,
                 description="K-03 severe (5-6) or widespread, urgent"),
            Rule(id="K-02:high-impact-medium-urgency",
                 when=f'({_HIGH_IMPACT}) and urgency == "medium"', then=p2),
            Rule(id="K-02:medium-impact-high-urgency",
                 when=f'({_MEDIUM_IMPACT}) and urgency == "high"', then=p2,
                 description="K-03 medium (3-4) or affecting a group, urgent"),
            Rule(id="K-02:high-impact-low-urgency", when=_HIGH_IMPACT, then=p3),
            Rule(id="K-02:medium-impact-medium-urgency",
                 when=f'({_MEDIUM_IMPACT}) and urgency == "medium"', then=p3),
            Rule(id="K-02:low-impact-high-urgency", when='urgency == "high"', then=p3),
        ],
        default={"priority": "P4", "major": False},
    )


def feedback_routing_table() -> DecisionTable:
    """K-01 / P-04: which process and team handle a piece of feedback, and what we owe back.

    Facts: ``category`` (a K-01 category, see :data:`FEEDBACK_CATEGORIES`). Outputs: the
    ``process`` that handles it (P-02 consultation, P-03 complaint, P-04 feedback loop), the
    ``team``, whether the customer gets ``progress_updates`` and the result (P-04: complaints and
    help requests), and whether they must at least be thanked (P-04: suggestions and general
    opinions, 「也应向客户表示感谢」). Unknown categories (the handbook's list is open) go to the
    general feedback loop with a thank-you.
    """

    def route(category: str, process: str, team: str, *, updates: bool, thank: bool,
              cite: str) -> Rule:
        return Rule(
            id=f"K-01:{category}",
            when=f'category == "{category}"',
            then={"process": process, "team": team, "progress_updates": updates,
                  "thank_customer": thank},
            description=f"K-01 {FEEDBACK_CATEGORIES[category]}; {cite}",
        )

    return DecisionTable(
        name="feedback_routing",
        hit_policy="unique",
        description="K-01 categories routed per P-02/P-03/P-04",
        rules=[
            route("praise", "feedback_loop", "quality", updates=False, thank=True, cite="P-04"),
            route("suggestion", "feedback_loop", "product", updates=False, thank=True,
                  cite="P-04 thank the customer"),
            route("grievance", "feedback_loop", "service", updates=False, thank=True,
                  cite="P-04 general opinion: thank the customer"),
            route("complaint", "complaint", "complaints", updates=True, thank=False,
                  cite="P-03 receive, analyse, handle, feedback"),
            route("inquiry", "consultation", "service_desk", updates=False, thank=False,
                  cite="P-02 accept, answer, feedback"),
            route("help_request", "feedback_loop", "support", updates=True, thank=False,
                  cite="P-04 progress updates and result"),
        ],
        default={"process": "feedback_loop", "team": "service", "progress_updates": False,
                 "thank_customer": True},
    )


def remedy_table() -> DecisionTable:
    """K-06: the remedies owed when a public commitment is missed (collect: all that apply).

    Facts (flat names, the vocabulary the SLA target table reads too): ``commitment_missed``
    (bool), ``priority`` (P1-P4), ``customer_tier`` (A-D), ``repeat_breaches`` (how many
    commitments this customer saw missed recently). Every missed commitment owes an apology
    and the customer must be told the remedy (「当服务未能达到承诺标准时」); a major problem
    (P1/P2, K-02) or an A-tier customer (R-07) is also owed compensation; a repeated breach
    owes a service improvement (H1 §2.5).
    """
    owed = {"notify_customer": True}
    return DecisionTable(
        name="remedy",
        hit_policy="collect",
        description="K-06 apology, compensation, service improvement",
        rules=[
            Rule(id="K-06:apology", when="commitment_missed",
                 then={"remedy": "apology", **owed}),
            Rule(id="K-06:compensation",
                 when='commitment_missed and (priority in ["P1", "P2"] or customer_tier == "A")',
                 then={"remedy": "compensation", **owed}),
            Rule(id="K-06:service-improvement",
                 when="commitment_missed and repeat_breaches >= 2",
                 then={"remedy": "service_improvement", **owed}),
        ],
    )


_ENDS = ("TicketCancelled", "TicketResolved", "TicketClosed")


_TICKET_METRICS = (
    Metric(name="business_response", start_on="TicketCreated", stop_on="AgentReplied:public",
           cancel_on=_ENDS, pausable=False,
           description="S-01/S-03/S-09: the first public reply, counted in business hours; "
                       "cancelled like first_response when the ticket ends without one"),
    Metric(name="preliminary_solution", start_on="TicketCreated",
           stop_on=("StageReached:solution_proposed", "TicketResolved", "TicketClosed"),
           pausable=False,
           description="S-02: a complaint's preliminary solution (a resolution counts as one)"),
)

#: Limits shorter than this run in calendar time (channels are staffed 24/7, rules catalog
#: section 3): the limits in seconds and minutes (S-05 triage), as the per-channel first
#: response (S-08) does.
_CALENDAR_TIME_BELOW = timedelta(hours=1)


def _stage_clocks() -> tuple[Metric, ...]:
    """The stage deadlines of every preset process as SLA clocks on its cases (S-01 … S-07).

    Each runs from the start of a case of the process (``CaseStarted:<process>``) to the case
    entering the state, named ``<process>_<state>``; entering a state from which the stage
    can no longer be reached cancels it (see :func:`servicekit.sla.stage_metrics`). The
    deadlines are the processes': edit them there and the clocks follow.
    """
    return tuple(m for process in all_processes().values() for m in stage_metrics(process))


def _calendar_time(metrics: tuple[Metric, ...]) -> tuple[str, ...]:
    """The per-channel first response (S-08), and every clock whose fixed target is a matter
    of seconds or minutes."""
    return ("first_response", *(m.name for m in metrics
                                if m.target is not None and m.target < _CALENDAR_TIME_BELOW))


def sla_target_table() -> DecisionTable:
    """S-01 … S-10 ticket targets chosen by channel and category (collect: later rules
    override).

    Facts: the ticket's ``priority``, ``channel`` (``phone``, ``chat``, ``email``,
    ``social_media`` …) and ``category`` (``complaint``, ``consultation``, ``fault`` …). The
    stage deadlines (S-01 … S-07 on complaint, consultation and repair cases) are the stage
    clocks' own targets, from the preset processes.
    """

    def r(rule_id: str, when: str, then: dict[str, str], description: str) -> Rule:
        return Rule(id=rule_id, when=when, then=then, description=description)

    return DecisionTable(
        name="sla_targets",
        hit_policy="collect",
        description="handbook time limits by channel and category",
        rules=[
            r("S-10:default-first-response", "exists(priority)", {"first_response": "2h"},
              "S-10's 2 h average as the per-ticket default where S-08 names no channel"),
            r("S-08:phone", 'channel == "phone"', {"first_response": "60s"}, "S-08 phone"),
            r("S-08:chat", 'channel == "chat"', {"first_response": "30s"}, "S-08 online chat"),
            r("S-08:email", 'channel == "email"', {"first_response": "4h"}, "S-08 email"),
            r("S-08:social-media", 'channel == "social_media"', {"first_response": "2h"},
              "S-08 social media"),
            r("S-01:complaint-response", 'category == "complaint"',
              {"business_response": "4h", "preliminary_solution": "24h"},
              "S-01 respond within 4 h; S-02 preliminary solution within 24 h"),
            r("S-03:consultation-response", 'category == "consultation"',
              {"business_response": "24h"}, "S-03 consultation answered within 24 h"),
            r("S-09:fault", 'category == "fault"',
              {"business_response": "2h", "resolution": "24h"},
              "S-09 fault response within 2 h, resolution within 24 h"),
        ],
    )


#: The complaint's stage clocks that are public commitments (H4 §1.3.1 「4小时内响应、24小时内初步
#: 解决方案」): the first response (S-01) and the preliminary solution (S-02). A missed one owes
#: the K-06 remedies.
COMPLAINT_COMMITMENTS = ("complaint_acknowledged", "complaint_solution_proposed")


def sla_policy(calendar: BusinessCalendar | None = None) -> SlaPolicy:
    """The handbook's time limits as one SLA policy (S-01 … S-11, K-06).

    ``calendar`` is the business calendar (default: China's, 09:00-18:00 with a lunch hour,
    with the statutory fallback beyond the announced years: see ``SlaReport.provisional``);
    the per-channel first response and the minute-level stage limits run in calendar time on
    the same zone. Major problems (P1, P2: K-02) are resolved within 48 h (S-04). Breaches warn
    at 75 % and 90 %, escalate to the agent at 75 % and to the CS manager at the breach (S-11),
    and a missed public commitment owes the K-06 remedies.

    Ticket clocks (first response, business response, preliminary solution, resolution) run
    on tickets; the stage clocks run on the cases of the preset processes (complaint,
    consultation, repair …), one per state with a deadline, named ``<process>_<state>``
    (``complaint_received``: S-01, ``repair_triaged``: S-05 …).
    """
    # Deadlines of tickets opened in late December fall in a year whose schedule is announced
    # only in November: the preset answers with the statutory fallback, and each report says
    # when its instants depend on it (``SlaReport.provisional``).
    business = calendar or BusinessCalendar.china(hours="09:00-12:00,13:00-18:00",
                                                  beyond_coverage="statutory")
    around_the_clock = BusinessCalendar.always(tz=business.tz)
    metrics = (*_TICKET_METRICS, *_stage_clocks())
    return SlaPolicy(
        name="handbook",
        description="S-01 … S-10 time limits; S-11 escalation; K-06 remedies",
        calendar=business,
        metric_calendars=dict.fromkeys(_calendar_time(metrics), around_the_clock),
        targets={"resolution": {"P1": timedelta(hours=48), "P2": timedelta(hours=48)}},
        target_table=sla_target_table(),
        metrics=metrics,
        warn_at=(0.75, 0.9),
        escalation=Escalation(levels=[
            EscalationLevel(level=1, at=0.75, notify="agent"),
            EscalationLevel(level=2, at="breach", notify="cs_manager"),
        ]),
        public_commitments=frozenset({"business_response", "preliminary_solution",
                                      "resolution", *COMPLAINT_COMMITMENTS}),
        remedy_table=remedy_table(),
    )


def complaint_policy(sla: SlaPolicy | None = None) -> ComplaintPolicy:
    """The handbook's complaint rules (K-02, K-03, K-06, M-05, P-04) as a complaint policy.

    ``sla`` is the SLA policy of the complaint's clocks (default :func:`sla_policy`: S-01 and
    S-02 are public commitments, owing the K-06 remedies when missed). The numbers, each
    overridable: severity bands minor 1-2, medium 3-4, severe 5-6 (K-03), a severe complaint
    escalating to level 2, the CS manager (S-11); the priority from
    :func:`complaint_priority_table` (K-02); a satisfaction below 0.8 triggering a second
    return visit (M-05), due 24 business hours after the feedback (servicekit's choice: the
    handbooks give no delay; S-02's 24 h); a customer unreachable after 3 attempts (our
    default); the effectiveness check 30 days after the satisfied result, or after the close
    for a customer who could not be reached (P-04 "close the loop and track"; servicekit's
    choice, in elapsed days).
    """
    return ComplaintPolicy(
        name="handbook",
        description="K-02 priority, K-03 bands, K-06 remedies, M-05 second visit, P-04 "
                    "effectiveness check",
        sla=sla or sla_policy(),
        priority_table=complaint_priority_table(),
    )


#: R-03: an individual's annual spend above which they are high value (strictly more), in yuan
HIGH_VALUE_SPEND = 50_000
#: R-07: no purchase for this many days or more makes a customer lapsed (servicekit's default)
LAPSED_DAYS = 180


def tier_ladder() -> TierLadder:
    """The handbook's tier ladder (R-02 … R-07), first match wins, in this order:

    * **A** (R-03, R-07): annual spend above 50,000 (``monetary`` over the default 365-day
      window; strictly more), or the top RFM box (every score 5, the R package's Champions);
      a dedicated owner (R-04) and 30 % of the service resources (R-06 优先级).
    * **D** (R-07): no purchase for 180 days or more (a reactivation plan is due after 3 months
      without interaction, R-05).
    * **C** (R-02 exactly): R ≥ 30 days and F ≤ 3 purchases and M < 1,000; 20 % (R-06 潜力级:
      standard process, mostly automated channels).
    * **B**: every other customer; 50 % (R-06 核心级: regular return visits, priority slots).

    Every number is policy: edit the conditions, or build another ladder.
    """
    return TierLadder(
        name="handbook",
        description="R-02 … R-07: A high value, D lapsed, C low value, B the rest",
        ranking=("A", "B", "C", "D"),
        tiers=(
            Tier(name="A", rule="R-03",
                 when=f"monetary > {HIGH_VALUE_SPEND} or "
                      "(r_score == 5 and f_score == 5 and m_score == 5)",
                 label="High value", label_zh="优先级",
                 description="R-03 annual spend above 50,000, or the top RFM box (R-07)",
                 entitlements=Entitlements(dedicated_owner=True, resource_share=0.3)),
            Tier(name="D", rule="R-07", when=f"recency_days >= {LAPSED_DAYS}",
                 label="Lapsed", label_zh="沉睡",
                 description="R-07 no purchase for 180 days or more (R-05 reactivation)"),
            Tier(name="C", rule="R-02",
                 when="recency_days >= 30 and frequency <= 3 and monetary < 1000",
                 label="Low value", label_zh="潜力级",
                 description="R-02 R >= 30 days, F <= 3, M < 1000",
                 entitlements=Entitlements(resource_share=0.2)),
            Tier(name="B", rule="R-07", label="Core", label_zh="核心级",
                 description="R-07 every other customer",
                 entitlements=Entitlements(resource_share=0.5)),
        ),
    )


def targets() -> Targets:
    """The handbook's metric targets (rules catalog §5), each in its metric's unit.

    M-01 CSAT ≥ 90 %, M-02 FCR ≥ 85 % (H3 §4 says 90 %: servicekit takes H4's 85 %), M-04
    touchpoint score ≥ 4.5 of 5, M-06 AFRT ≤ 2 h, M-07 self-service ≥ 70 % and automation
    ≥ 50 %, M-11 negative words ≤ 2 %, M-12 ≥ 500 survey answers per quarterly review, M-13
    knowledge base updated within 15 days and FAQ accuracy ≥ 95 %, M-14 ≥ 100 interaction
    records per agent per day. NPS has no target (M-03: named, never defined).
    """
    return Targets(
        name="handbook",
        description="Targets of the service handbooks (M-01 … M-14)",
        targets=(
            Target(metric="csat", rule="M-01", at_least=0.90,
                   description="satisfied share (top-2 box)"),
            Target(metric="fcr", rule="M-02", at_least=0.85,
                   description="solved at the first contact"),
            Target(metric="touchpoint", rule="M-04", at_least=4.5, unit="score",
                   description="mean touchpoint score on 5 points"),
            Target(metric="afrt", rule="M-06", at_most=7200, unit="seconds",
                   description="average first response time"),
            Target(metric="self_service_rate", rule="M-07", at_least=0.70),
            Target(metric="automation_rate", rule="M-07", at_least=0.50),
            Target(metric="negative_words", rule="M-11", at_most=0.02,
                   description="agent messages with a negative word"),
            Target(metric="survey_answers", rule="M-12", at_least=500, unit="count",
                   description="survey answers per quarterly review"),
            Target(metric="knowledge_base_age", rule="M-13", at_most=15, unit="days",
                   description="days since the knowledge base was last updated"),
            Target(metric="faq_accuracy", rule="M-13", at_least=0.95),
            Target(metric="records_per_agent_day", rule="M-14", at_least=100, unit="count",
                   description="interaction records per agent per day"),
        ),
    )


def policy() -> Policy:
    """The handbook's defaults as one policy document (first part: calendars and tables).

    Calendars: ``china`` (statutory holidays and make-up working days, 09:00-18:00 with a lunch
    hour, business time for everything measured in hours or days) and ``always`` (24 x 7, for
    per-channel first-response targets, rules catalog section 3). SLA: ``handbook`` (see
    :func:`sla_policy`). Processes: every preset of :mod:`servicekit.presets.processes`
    (ticket, complaint, consultation, repair, dispute, feedback loop).
    """
    sla = sla_policy()
    return Policy(
        version="handbook-2026.1",
        name="handbook",
        description="Defaults from the service handbooks; ids cite the rules catalog",
        calendars={
            "china": sla.calendar,
            "always": BusinessCalendar.always(tz="Asia/Shanghai"),
        },
        tables={
            t.name: t
            for t in (complaint_priority_table(), feedback_routing_table(), remedy_table())
        },
        sla={"handbook": sla},
        processes=all_processes(),
        complaints={"handbook": complaint_policy(sla)},
        tiers={"handbook": tier_ladder()},
        targets={"handbook": targets()},
    )
