"""SLA clocks that start, pause, stop, warn, breach and escalate on business time.

A ticket's (or any case's) SLA is a set of clocks, each a pure fold over its events on a
business calendar. Nothing runs in the background: a report says when to call back
(``next_check_at``). :func:`stage_metrics` turns a process's stage deadlines into clocks.
"""

from servicekit.sla._engine import evaluate, evaluate_many
from servicekit.sla._policy import (
    BUILTIN_METRICS,
    MAX_TARGET,
    Duration,
    Escalation,
    EscalationLevel,
    Metric,
    SlaPolicy,
)
from servicekit.sla._report import (
    UNTRACKED_NO_RULE_MATCHED,
    UNTRACKED_NO_TARGET,
    UNTRACKED_REASONS,
    UNTRACKED_UNKNOWN_PRIORITY,
    Escalations,
    EscalationStep,
    MetricStatus,
    Remedy,
    SlaBatch,
    SlaReport,
)
from servicekit.sla._stages import StagedProcess, StagedState, stage_metrics

__all__ = [
    "BUILTIN_METRICS",
    "MAX_TARGET",
    "UNTRACKED_NO_RULE_MATCHED",
    "UNTRACKED_NO_TARGET",
    "UNTRACKED_REASONS",
    "UNTRACKED_UNKNOWN_PRIORITY",
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
    "StagedProcess",
    "StagedState",
    "evaluate",
    "evaluate_many",
    "stage_metrics",
]
