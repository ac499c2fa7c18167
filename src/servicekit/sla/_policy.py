"""SLA policies as data: targets, clocks, pauses, warnings, escalation and remedies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from servicekit._model import NameSet, ValueModel, problems_error
from servicekit._payload import FrozenDict
from servicekit.calendar import BusinessCalendar
from servicekit.errors import InvalidInputError, PolicyError, Problem, ServiceKitError
from servicekit.events import Event, event_class, event_types
from servicekit.rules import DecisionTable, Duration, not_negative, read_duration

__all__ = [
    "BUILTIN_METRICS",
    "MAX_TARGET",
    "Duration",
    "Escalation",
    "EscalationLevel",
    "Metric",
    "SlaPolicy",
]

BUILTIN_METRICS = ("first_response", "next_response", "periodic_update", "resolution")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")

#: The longest target a clock may have: ten years (of 365 days) of business time. SLA targets
#: are minutes to weeks; the bound keeps every amount the engine computes (a target plus one
#: microsecond, a warning's fraction of it) far inside int64 microseconds and the calendar's
#: years, so a policy cannot make the arithmetic overflow or the calendar build millennia.
MAX_TARGET = timedelta(days=3650)
_ZERO = timedelta(0)
_TARGET_RANGE = "a target is a duration from 0 to 3650 days"


def _in_range(value: timedelta) -> timedelta:
    not_negative(value, "a target")
    if value > MAX_TARGET:
        raise ValueError(f"{_TARGET_RANGE} (ten years)")
    return value


def _target_output(raw: object) -> timedelta | None:
    """A target table's output for a metric as a target, or None when it is not one."""
    if isinstance(raw, str):
        try:
            target = read_duration(raw)
        except PolicyError:
            return None
    else:
        target = raw
    if not isinstance(target, timedelta) or not _ZERO <= target <= MAX_TARGET:
        return None
    return target



def _qualified(kind: str) -> bool:
    """Whether events of a registered type have a qualified selector (``Type:<qualifier>``):
    their class defines its own ``selector`` (``StatusChanged``, ``CaseStarted``, ...)."""
    return event_class(kind).selector is not Event.selector


def _check_selector(value: str) -> str:
    """A selector names a registered event type (a host's own too: register it before the
    policy is loaded), with a qualifier where the type has one."""
    kind, _, qualifier = value.partition(":")
    known = event_types()
    if kind not in known:
        raise ValueError(
            f"unknown event type in selector; expected a registered event type, one of "
            f"{', '.join(known)}"
        )
    if qualifier and not _qualified(kind):
        qualified = [k for k in known if _qualified(k)]
        raise ValueError(f"{kind} takes no qualifier; qualified selectors: "
                         f"{', '.join(q + ':<name>' for q in qualified)}")
    if kind == "AgentReplied" and qualifier not in ("", "public", "private"):
        raise ValueError("AgentReplied takes :public or :private")
    return value


def _selectors(value: object) -> object:
    return (value,) if isinstance(value, str) else value


Selectors = Annotated[tuple[str, ...], BeforeValidator(_selectors)]


class OrName:
    """JSON Schema of a field a policy document may also give as a name: of one of its
    ``section``'s entries (resolved when the document loads, issue 19)."""

    def __init__(self, section: str, builtin: tuple[str, ...] = ()) -> None:
        self.section = section
        self.builtin = builtin

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        also = f" (or {', '.join(map(repr, self.builtin))})" if self.builtin else ""
        return {"anyOf": [{"type": "string", "description": f"in a policy document: the name "
                           f"of one of its {self.section}{also}"}, handler(core_schema)]}


def _calendar_name(value: object) -> object:
    """A calendar given by text: a built-in's name (a policy document resolves its own
    calendars' names before this)."""
    return BusinessCalendar.named(value) if isinstance(value, str) else value


CalendarRef = Annotated[BusinessCalendar, BeforeValidator(_calendar_name),
                        OrName("calendars", ("24x7", "china"))]


class Metric(ValueModel):
    """A custom clock: starts on one event, stops on another (a process stage deadline).

    Selectors name a registered event type (``"TicketCreated"``, a host's own), or a type with
    its qualifier (``"StageReached:solution_proposed"``, ``"CaseStarted:complaint"``,
    ``"AgentReplied:public"``). ``"StatusChanged:<state>"`` selects *entering* the state: any
    event that moves the status into it from another (a ``StatusChanged``, a
    ``TicketResolved`` entering ``resolved``, a ``CaseStarted`` entering its initial state).
    A pausable clock stops counting while the status is one of the policy's
    ``pause_statuses``. Its target is ``target`` (the same for every case), overridden by the
    policy's ``targets`` (per priority), overridden in turn by its ``target_table``.
    """

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    name: str
    start_on: Selectors
    stop_on: Selectors
    cancel_on: Selectors = ("TicketCancelled",)
    pausable: bool = True
    target: Duration | None = Field(
        default=None, description="a fixed target for every case (policy targets override it)"
    )
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("a metric name is an identifier (letters, digits, _)")
        if value in BUILTIN_METRICS:
            raise ValueError("that name is a built-in metric")
        return value

    @field_validator("start_on", "stop_on", "cancel_on")
    @classmethod
    def _valid_selectors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_selector(v) for v in value)

    @field_validator("target")
    @classmethod
    def _target(cls, value: timedelta | None) -> timedelta | None:
        return None if value is None else _in_range(value)


class EscalationLevel(ValueModel):
    """One rung of an escalation ladder (S-11): at a fraction of a target, or at the breach."""

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    level: int = Field(ge=1)
    at: float | Literal["breach"]
    notify: str = Field(min_length=1, description="the role to notify, e.g. 'cs_manager'")
    metrics: tuple[str, ...] = Field(default=(), description="metrics in scope (empty: all)")

    @field_validator("at", mode="before")
    @classmethod
    def _number_or_breach(cls, value: object) -> object:
        # lax validation read true as 1.0 and "0.5" as 0.5: a threshold is a number or "breach"
        if isinstance(value, bool) or (isinstance(value, str) and value != "breach"):
            raise ValueError("a level's 'at' is a number from 0 to 1 or 'breach'")
        return value

    @field_validator("at")
    @classmethod
    def _fraction(cls, value: float | str) -> float | str:
        if isinstance(value, float | int) and not 0 <= value <= 1:
            raise ValueError("a level's 'at' is a fraction of the target (0 to 1) or 'breach'")
        return value


class Escalation(ValueModel):
    """An escalation ladder: levels in increasing order."""

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    levels: tuple[EscalationLevel, ...] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _ordered(cls, levels: tuple[EscalationLevel, ...]) -> tuple[EscalationLevel, ...]:
        numbers = [lv.level for lv in levels]
        if numbers != sorted(set(numbers)):
            raise ValueError("levels must be numbered in increasing order, each once")
        return levels


class SlaPolicy(ValueModel):
    """Which clocks run on a ticket, on which calendar, against which targets.

    ``targets`` maps a metric to its target per priority; ``target_table`` (a decision table
    over the ticket's facts: ``priority``, ``channel``, ``category``, ``customer_tier`` and its
    ``attributes``) can override them per channel, category or tier, its outputs mapping metric
    names to durations (``{"first_response": "60s"}``). A metric with no target for a ticket is
    not tracked on it.
    """

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    name: str = Field(min_length=1)
    calendar: CalendarRef
    metric_calendars: dict[str, CalendarRef] = Field(
        default_factory=FrozenDict, description="calendars for particular metrics (else 'calendar')"
    )
    targets: dict[str, dict[str, Duration]] = Field(default_factory=FrozenDict)
    target_table: Annotated[DecisionTable | None, OrName("tables")] = None
    pause_statuses: NameSet = frozenset({"pending_customer", "pending_third_party"})
    warn_at: tuple[float, ...] = (0.75, 0.9)
    metrics: tuple[Metric, ...] = ()
    escalation: Escalation | None = None
    public_commitments: NameSet = Field(
        default=frozenset(), description="metrics whose breach owes the customer a remedy (K-06)"
    )
    remedy_table: Annotated[DecisionTable | None, OrName("tables")] = None
    description: str = ""

    # memo of the engine: targets in microseconds per (priority, channel, category, tier)
    _targets_us: dict[tuple[Any, ...], dict[str, int]] = PrivateAttr(default_factory=dict)
    _routes: dict[type, tuple[Any, ...]] | None = PrivateAttr(default=None)

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: dict[str, dict[str, timedelta]]) -> dict[str, dict[str, timedelta]]:
        """Read-only, nested maps included: the engine memoises the targets it chose, so a map
        changed afterwards would make ``to_json`` disagree with ``evaluate`` (issue 10,
        item 7)."""
        for by_priority in value.values():
            for target in by_priority.values():
                _in_range(target)
        return FrozenDict({metric: FrozenDict(by_priority)
                           for metric, by_priority in value.items()})

    @field_validator("metric_calendars")
    @classmethod
    def _read_only(cls, value: dict[str, BusinessCalendar]) -> dict[str, BusinessCalendar]:
        return FrozenDict(value)

    @field_validator("warn_at", mode="before")
    @classmethod
    def _numbers(cls, value: object) -> object:
        # lax validation read true as 1.0 and "0.5" as 0.5: a threshold is a number, as an
        # escalation level's 'at' is
        if isinstance(value, list | tuple):
            for i, v in enumerate(value):
                if isinstance(v, bool) or not isinstance(v, int | float):
                    raise ValueError(f"warn_at holds numbers (fractions between 0 and 1); the "
                                     f"item at position {i} is a {type(v).__name__}")
        return value

    @field_validator("warn_at")
    @classmethod
    def _warn(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < v < 1 for v in value) or list(value) != sorted(set(value)):
            raise ValueError("warn_at holds increasing fractions between 0 and 1")
        return value

    @model_validator(mode="after")
    def _known_metrics(self) -> SlaPolicy:
        """Every name of a metric and every target table output checked when the policy is
        made, each problem its own, at its location (issue 19)."""
        known = set(BUILTIN_METRICS) | {m.name for m in self.metrics}
        problems: list[tuple[Problem, Any]] = []  # each with the value it is about
        names = [m.name for m in self.metrics]
        problems += [(Problem(("metrics", i, "name"), "duplicate_metric",
                              "two custom metrics share a name"), name)
                     for i, name in enumerate(names) if name in names[:i]]
        problems += _unknown(("targets",), list(self.targets), known)
        problems += _unknown(("metric_calendars",), list(self.metric_calendars), known)
        problems += _unknown(("public_commitments",), sorted(self.public_commitments), known)
        if self.escalation is not None:
            for i, lv in enumerate(self.escalation.levels):
                problems += _unknown(("escalation", "levels", i, "metrics"), lv.metrics, known)
        if self.public_commitments and self.remedy_table is None:
            problems.append((Problem(("remedy_table",), "missing_remedy_table",
                                     "public_commitments need a remedy_table (K-06)"), None))
        if self.target_table is not None:
            problems += _bad_outputs(self.target_table, known)
        if problems:
            raise problems_error(type(self).__name__, [p for p, _ in problems], None,
                                 [value for _, value in problems])
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """As pydantic's (``update`` is not validated), with memos of its own: the memo of
        the targets chosen and the event routes were made for the original's fields, and a
        copy that shared them would answer with the original's targets. Maps in ``update``
        are made read-only too."""
        copy = super().model_copy(update=update, deep=deep)
        fields = copy.__dict__
        for name in ("targets", "metric_calendars"):
            value = fields.get(name)
            if isinstance(value, Mapping) and type(value) is not FrozenDict:
                fields[name] = FrozenDict(
                    {k: FrozenDict(v) if isinstance(v, Mapping) else v
                     for k, v in value.items()})
        private = copy.__pydantic_private__
        if private is not None:
            private["_targets_us"] = {}
            private["_routes"] = None
        return copy

    @property
    def metric_names(self) -> tuple[str, ...]:
        return BUILTIN_METRICS + tuple(m.name for m in self.metrics)

    def calendar_for(self, metric: str) -> BusinessCalendar:
        if not isinstance(metric, str):
            raise InvalidInputError(f"metric: expected a metric name, got {type(metric).__name__}")
        return self.metric_calendars.get(metric, self.calendar)

    def select(self, facts: Mapping[str, Any]) -> dict[str, timedelta]:
        """The targets that apply to a ticket (or case) with these facts, metric by metric.

        ``facts`` holds a ticket's ``priority``, ``channel``, ``category``, ``customer_tier``
        and attributes, or a case's fields with ``process``; they feed the ``target_table``.
        A metric's own fixed ``target`` comes first; per-priority ``targets`` override it; the
        table's outputs override both (for a ``collect`` table, later rules override earlier
        ones).
        """
        if type(facts) is not dict and not isinstance(facts, Mapping):  # the engine's: dicts
            raise InvalidInputError(f"facts: expected a mapping, got {type(facts).__name__}")
        priority = facts.get("priority")
        out = {m.name: m.target for m in self.metrics if m.target is not None}
        out.update(
            (metric, by_priority[priority])
            for metric, by_priority in self.targets.items()
            if isinstance(priority, str) and priority in by_priority
        )
        if self.target_table is not None:
            decision = self.target_table.decide(facts)
            value = decision.value
            outputs = value if isinstance(value, tuple) else (() if value is None else (value,))
            known = set(self.metric_names)
            for output in outputs:
                for metric, raw in output.items():
                    # both checked when the policy was made: this table was built unchecked
                    if metric not in known:
                        raise PolicyError("target_table: an output key is not a metric (a "
                                          "target table's outputs map metric names to "
                                          "targets)")
                    target = _target_output(raw)
                    if target is None:
                        raise PolicyError(f"target_table: the output for a metric is not a "
                                          f"target ({_TARGET_RANGE}), got "
                                          f"{type(raw).__name__}")
                    out[metric] = target
        return out


def _unknown(where: tuple[str | int, ...], names: Iterable[str], known: set[str]
             ) -> list[tuple[Problem, Any]]:
    """Problems for the names that are no metric, each its own, placed by position: the
    names are the author's text, and a message never repeats it (issue 10)."""
    return [(Problem(where, "unknown_metric",
                     f"the name at position {i} is an unknown metric (built-in: "
                     f"{', '.join(BUILTIN_METRICS)}; or a custom metric's name)"), name)
            for i, name in enumerate(names) if name not in known]


def _bad_outputs(table: DecisionTable, known: set[str]) -> list[tuple[Problem, Any]]:
    """Problems for target table outputs: a key that is no metric (a misspelt or padded name
    would be ignored, the ticket keeping another target), a value for a metric that is no
    target. Each is its own problem at its rule's outputs, keys by position (they are the
    author's text)."""
    places: list[tuple[tuple[str | int, ...], Any]] = [
        (("target_table", "rules", i, "then"), rule.then) for i, rule in enumerate(table.rules)]
    if table.default is not None:
        places.append((("target_table", "default"), table.default))
    problems: list[tuple[Problem, Any]] = []
    for place, then in places:
        for k, (metric, raw) in enumerate(then.items()):
            if metric not in known:
                problems.append((Problem(place, "unknown_metric",
                                         f"the key at position {k} is an unknown metric (a "
                                         f"target table's outputs map metric names to "
                                         f"targets; built-in: {', '.join(BUILTIN_METRICS)}; "
                                         f"or a custom metric's name)"), metric))
            elif _target_output(raw) is None:
                problems.append((Problem(place, "not_a_target",
                                         f"the output at position {k} is not a target "
                                         f"({_TARGET_RANGE}; text such as '4h' or a "
                                         f"timedelta)"), raw))
    return problems
