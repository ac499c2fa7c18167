"""SLA clocks that start, pause, stop, warn, breach and escalate on business time.

A ticket's SLA is a set of clocks, each a pure fold over the ticket's events on a business
calendar. Nothing runs in the background: a report says when to call back
(``next_check_at``).
"""

from servicekit.sla._engine import (
    Escalations,
    EscalationStep,
    MetricStatus,
    Remedy,
    SlaBatch,
    SlaReport,
    evaluate,
    evaluate_many,
)
from servicekit.sla._policy import (
    BUILTIN_METRICS,
    Duration,
    Escalation,
    EscalationLevel,
    Metric,
    SlaPolicy,
)

__all__ = [
    "BUILTIN_METRICS",
    "Duration",
    "Escalation",
    "EscalationLevel",
    "EscalationStep",
    "Escalations",
    "Metric",
    "MetricStatus",
    "Remedy",
    "SlaBatch",
    "SlaPolicy",
    "SlaReport",
    "evaluate",
    "evaluate_many",
]
