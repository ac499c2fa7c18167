"""The complaint's public commitments (S-01, S-02): which clocks a command may have missed.

The SLA engine is the authority on every clock (:func:`servicekit.sla.evaluate` on the
complaint's history); this module only decides, cheaply, *when* to ask it. A command may miss a
commitment when it ends a clock late (an acknowledgement after the S-01 deadline) or happens
while a clock runs past its deadline. Most commands are nowhere near a deadline, and a clock's
business time is never more than the time elapsed on the wall, so a command at most the target
after the start misses nothing; past that, the clock's business time is computed on its
calendar, and only a clock actually breached makes the complaint ask the SLA engine for the
remedies owed (K-06), which it records.

The shortcut holds for the clocks whose course the stages decide: started by the complaint's
start, never paused, stopped or cancelled by entering stages, with a target no table or
priority changes. Any other public commitment of the policy that a complaint starts is left
to the SLA engine at every command (exact, and slower).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from servicekit.calendar import BusinessCalendar
from servicekit.complaints._kind import entered_stages
from servicekit.processes import ProcessDefinition
from servicekit.sla import Metric, SlaPolicy, SlaReport

__all__ = ["Commitment", "Commitments", "commitments_of"]

_ENTERING = "StatusChanged:"


@dataclass(frozen=True, slots=True)
class Commitment:
    """A public commitment whose clock the stages decide (see the module's docstring)."""

    metric: str
    rule: str
    target: timedelta
    calendar: BusinessCalendar
    stops: frozenset[str]
    cancels: frozenset[str]

    def ended(self, entered: Mapping[str, datetime]) -> tuple[str, datetime] | None:
        """The stage that ended the clock and when (``None``: it still runs)."""
        for stage, at in entered.items():  # in the order the complaint entered them
            if stage in self.stops or stage in self.cancels:
                return stage, at
        return None

    def breached(self, start: datetime, end: datetime) -> bool:
        """Whether the clock, running from ``start`` to ``end``, went past its target."""
        if end - start <= self.target:  # business time never exceeds the wall's
            return False
        return self.calendar.elapsed(start, end) > self.target


@dataclass(frozen=True, slots=True)
class Commitments:
    """The public commitments a complaint of a process has under an SLA policy."""

    fast: tuple[Commitment, ...]
    #: public commitments the complaint starts whose course the stages do not decide
    exact: tuple[str, ...]
    #: the catalog id of each commitment's rule (the deadline's), by metric
    rules: Mapping[str, str]
    #: the process's final stages (nothing is owed once the complaint is in one)
    finals: frozenset[str]

    #: the shortest target of the fast commitments (None: there are none)
    shortest: timedelta | None

    def missed(self, state: Mapping[str, Any], since: int | None, at: datetime) -> bool:
        """Whether a command at ``at`` may have missed a commitment not yet owed: ``state``
        is the complaint after it, ``since`` the position of the command's first event in
        the history (None: the clocks run on to ``at``, as for a check at a later
        instant)."""
        if self.exact:
            return state["stage"] not in self.finals
        shortest = self.shortest
        start = state["received_at"]
        if shortest is None or at - start <= shortest or state["stage"] in self.finals:
            return False  # no clock has run long enough on the wall to be late
        owed = state["owed_metrics"]
        entered, fresh = entered_stages(state["history"], since)
        for c in self.fast:
            if c.metric in owed:
                continue
            end = c.ended(entered)
            if end is None:
                if c.breached(start, at):
                    return True
                continue
            stage, when = end
            if since is None or stage in c.cancels or stage not in fresh:
                continue  # cancelled, or ended by an earlier command (which checked it)
            if c.breached(start, when):
                return True
        return False


def owed(report: SlaReport, commitments: Commitments, already: tuple[str, ...]
         ) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...], datetime]]:
    """What the SLA engine says the missed commitments owe, for those not yet recorded: per
    breached commitment, its metric, rule, the remedies (none if the remedy table owes none),
    the rules that owed them and when it breached, in the order of the breaches."""
    by_metric = {r.metric: r for r in report.remedies()}
    out = []
    for metric, rule in commitments.rules.items():
        status = report.get(metric)
        if metric in already or status is None or status.breached_at is None:
            continue  # (a breached_at is only ever the breach of a clock now breached)
        remedy = by_metric.get(metric)
        names = () if remedy is None else tuple(str(r.get("remedy", ""))
                                                for r in remedy.remedies)
        rules = () if remedy is None else tuple(remedy.decision.rule_ids)
        out.append((metric, rule, names, rules, status.breached_at))
    out.sort(key=lambda o: o[4])
    return out


def _starts_with_case(metric: Metric, process: str) -> bool:
    return any(s in ("CaseStarted", f"CaseStarted:{process}") for s in metric.start_on)


def _stages(selectors: tuple[str, ...], states: set[str]) -> frozenset[str]:
    """The stages of the process whose entering ``selectors`` select."""
    return frozenset(s[len(_ENTERING):] for s in selectors
                     if s.startswith(_ENTERING) and s[len(_ENTERING):] in states)


def _table_sets(policy: SlaPolicy) -> set[str]:
    """The metrics a target table or the per-priority targets can give a target to."""
    names = set(policy.targets)
    table = policy.target_table
    if table is not None:
        for rule in table.rules:
            names.update(rule.then)
        if table.default is not None:
            names.update(table.default)
    return names


def commitments_of(policy: SlaPolicy, process: ProcessDefinition) -> Commitments:
    """The public commitments of complaints of ``process`` under ``policy`` (the caller,
    :func:`servicekit.complaints._checks.setup`, keeps them per pair)."""
    states = {s.id for s in process.states}
    deadline_rules = {s.id: s.deadline_rule for s in process.states}
    retargeted = _table_sets(policy)
    fast, exact, rules = [], [], {}
    for metric in policy.metrics:
        if metric.name not in policy.public_commitments or not _starts_with_case(
                metric, process.name):
            continue
        stops = _stages(metric.stop_on, states)
        cancels = _stages(metric.cancel_on, states)
        # the deadline's rule: that of a stage entering which stops the clock
        rule = next((deadline_rules[s] for s in sorted(stops) if deadline_rules[s]), "")
        rules[metric.name] = rule
        if metric.target is None and metric.name not in retargeted:
            continue  # never has a target: never tracked, never breached
        if (len(stops) < len(set(metric.stop_on)) or len(cancels) < len(set(metric.cancel_on))
                or metric.pausable or metric.target is None or metric.name in retargeted
                or not set(metric.start_on) <= {"CaseStarted", f"CaseStarted:{process.name}"}):
            exact.append(metric.name)
            continue
        fast.append(Commitment(metric.name, rule, metric.target,
                               policy.calendar_for(metric.name), stops, cancels))
    finals = frozenset(s.id for s in process.states if s.final)
    shortest = min((c.target for c in fast), default=None)
    return Commitments(tuple(fast), tuple(exact), rules, finals, shortest)
