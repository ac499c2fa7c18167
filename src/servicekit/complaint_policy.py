"""The complaint rules' numbers as data: :class:`ComplaintPolicy` (K-02, K-03, K-06, M-05, P-04).

Every threshold a complaint applies is here, so a host changes it in its policy document, not
in code: the severity bands of K-03 and the band that escalates automatically, the K-02
priority table, the remedies a solution may offer (K-06), the M-05 second-visit threshold and
how soon the second visit is due, the number of return-visit attempts after which an
unreachable customer's complaint may close, and when the effectiveness check (P-04) falls due.
The SLA policy whose clocks are the complaint's public commitments (S-01, S-02) is part of it:
a missed one owes the remedies of that policy's remedy table.

The handbook's defaults are :func:`servicekit.presets.handbook.complaint_policy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Self

from pydantic import Field, PrivateAttr, field_validator, model_validator

from servicekit._model import ValueModel
from servicekit.errors import InvalidInputError, PolicyError, ServiceKitError
from servicekit.rules import DecisionTable, Duration, not_negative
from servicekit.sla import SlaPolicy
from servicekit.sla._policy import OrName

__all__ = ["K04_CHANNELS", "MAX_SEVERITY", "ComplaintPolicy", "SeverityBand"]

#: K-04: the channels of the handbooks (phone with its IVR, online chat, e-mail, SMS, social
#: media, web form, app and mini-program, service outlet, suggestion box, third-party review
#: sites), as the SLA target table names them
K04_CHANNELS = ("phone", "ivr", "chat", "email", "sms", "social_media", "web_form", "app",
                "mini_program", "service_outlet", "suggestion_box", "review_site")
#: the highest severity a scale may reach (K-03's is 1-6; a 0-100 scale fits)
MAX_SEVERITY = 100
#: the facts of an analysis, in the order :meth:`ComplaintPolicy.assessed` takes them
_ASSESSMENT = ("severity", "scope", "urgency", "nature", "severity_band", "channel",
               "customer_tier")
#: the most priority decisions a policy remembers (the facts include free text; it starts
#: again when full)
_MEMO_LIMIT = 4096


class SeverityBand(ValueModel):
    """A band of the severity scale (K-03: minor 1-2, medium 3-4, severe 5-6), inclusive."""

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    name: str = Field(min_length=1)
    low: int = Field(ge=0, le=MAX_SEVERITY)
    high: int = Field(ge=0, le=MAX_SEVERITY)

    @model_validator(mode="after")
    def _ordered(self) -> SeverityBand:
        if self.low > self.high:
            raise ValueError("a band's low end is at most its high end")
        return self


def _k03() -> tuple[SeverityBand, ...]:
    return (SeverityBand(name="minor", low=1, high=2),
            SeverityBand(name="medium", low=3, high=4),
            SeverityBand(name="severe", low=5, high=6))


def _remedy_names(table: DecisionTable | None) -> tuple[str, ...]:
    """The remedies a remedy table can owe (its outputs' ``remedy`` values), in table order."""
    if table is None:
        return ()
    outputs = [rule.then for rule in table.rules]
    if table.default is not None:
        outputs.append(table.default)
    names: list[str] = []
    for then in outputs:
        name = then.get("remedy")
        if isinstance(name, str) and name not in names:
            names.append(name)
    return tuple(names)


class ComplaintPolicy(ValueModel):
    """The numbers and tables a complaint is run by (every one of them policy, none code)."""

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    _offered: tuple[str, ...] = PrivateAttr(default=())
    _priorities: dict[tuple[Any, ...], tuple[str, bool, str | None]] = PrivateAttr(
        default_factory=dict)
    _assessed: dict[tuple[Any, ...], tuple[str, bool, str | None]] = PrivateAttr(
        default_factory=dict)
    _bands: dict[int, str] = PrivateAttr(default_factory=dict)
    _severities: tuple[int, int] = PrivateAttr(default=(0, 0))

    name: str = Field(default="complaints", min_length=1)
    description: str = ""
    sla: Annotated[SlaPolicy, OrName("sla")] = Field(
        description="the SLA policy of the complaint's clocks: its public commitments (S-01, "
                    "S-02) owe remedies when missed, and its calendar dates the second return "
                    "visit")
    priority_table: Annotated[DecisionTable, OrName("tables")] = Field(
        description="K-02: the priority (and whether the problem is major) from severity, "
                    "scope and urgency; every output names a priority")
    severity_bands: tuple[SeverityBand, ...] = Field(
        default_factory=_k03, min_length=1,
        description="K-03: the severity scale in contiguous bands, lowest first")
    escalate_band: str | None = Field(
        default="severe", description="the band whose complaints escalate automatically "
                                      "(K-03 severe; None: none do)")
    escalate_to: int = Field(default=2, ge=1, description="the level they escalate to (S-11: "
                                                          "2, the CS manager)")
    channels: tuple[str, ...] = Field(
        default=K04_CHANNELS,
        description="K-04: the channels a complaint may come in by (empty: any)")
    phases: tuple[str, ...] = Field(
        default=("pre_sale", "in_sale", "after_sale"),
        description="K-05: the service phases a complaint may name (empty: any)")
    scopes: tuple[str, ...] = Field(
        default=("single_customer", "group", "widespread"),
        description="the impact scopes an analysis may name (K-02; empty: any)")
    urgencies: tuple[str, ...] = Field(
        default=("low", "medium", "high"),
        description="the urgencies an analysis may name (K-02; empty: any)")
    remedies: tuple[str, ...] | None = Field(
        default=None, description="the remedies a solution may offer (K-06); None: those the "
                                  "SLA policy's remedy table can owe")
    second_visit_below: float = Field(
        default=0.8, gt=0, le=1,
        description="M-05: a satisfaction below this (on 0-1) triggers a second return visit")
    second_visit_within: Duration = Field(
        default=timedelta(hours=24),
        description="the second visit (and a further try to reach the customer) is due this "
                    "long after the feedback, in business time on the SLA policy's calendar "
                    "(24 h: three 8-hour days on the handbook's)")
    unreachable_attempts: int = Field(
        default=3, ge=1, description="return-visit attempts after which a customer who could "
                                     "not be reached counts as unreachable (close allowed)")
    effectiveness_check_after: Duration = Field(
        default=timedelta(days=30),
        description="P-04: the effectiveness check falls due this long after the satisfied "
                    "result (or the close, for a customer who could not be reached), in "
                    "elapsed time")

    @field_validator("second_visit_within", "effectiveness_check_after")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        return not_negative(value, "a delay")

    @model_validator(mode="after")
    def _consistent(self) -> ComplaintPolicy:
        problems = []
        bands = self.severity_bands
        for i in range(1, len(bands)):
            if bands[i].low != bands[i - 1].high + 1:
                problems.append(f"severity_bands[{i}] does not follow the band before it "
                                "(bands are contiguous, lowest first)")
        for field in ("channels", "phases", "scopes", "urgencies"):
            if any(not name.strip() for name in getattr(self, field)):
                problems.append(f"{field}: a name is empty")
        names = [b.name for b in bands]
        if len(set(names)) != len(names):
            problems.append("severity_bands: two bands share a name")
        if self.escalate_band is not None and self.escalate_band not in names:
            problems.append("escalate_band is not one of the severity bands")
        places = [(f"priority_table.rules[{i}].then", r.then)
                  for i, r in enumerate(self.priority_table.rules)]
        if self.priority_table.default is not None:
            places.append(("priority_table.default", self.priority_table.default))
        else:
            problems.append("priority_table needs a default (a complaint always gets a "
                            "priority)")
        if self.priority_table.hit_policy == "collect":
            problems.append("priority_table: a collect table gives several priorities")
        for place, then in places:
            if not isinstance(then.get("priority"), str) or not then["priority"]:
                problems.append(f"{place}: names no priority (a text under 'priority')")
        if not (self.remedies if self.remedies is not None
                else _remedy_names(self.sla.remedy_table)):
            problems.append("remedies: none given, and the SLA policy's remedy table owes "
                            "none")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def model_post_init(self, context: Any, /) -> None:
        private = self.__pydantic_private__
        assert private is not None
        private["_offered"] = (self.remedies if self.remedies is not None
                               else _remedy_names(self.sla.remedy_table))
        private["_priorities"] = {}
        private["_assessed"] = {}
        private["_bands"] = {n: b.name for b in self.severity_bands
                             for n in range(b.low, b.high + 1)}
        private["_severities"] = (self.severity_bands[0].low, self.severity_bands[-1].high)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """As pydantic's (``update`` is not validated), with caches of its own (the remedies
        offered and the priorities decided follow the copy's tables)."""
        copy = super().model_copy(update=update, deep=deep)
        copy.model_post_init(None)
        return copy

    @property
    def offered_remedies(self) -> tuple[str, ...]:
        """The remedies a solution may offer (K-06)."""
        return self.__pydantic_private__["_offered"]  # type: ignore[index,no-any-return]

    @property
    def severities(self) -> tuple[int, int]:
        """The lowest and highest severity of the scale (K-03: 1 and 6)."""
        return self.__pydantic_private__["_severities"]  # type: ignore[index,no-any-return]

    def band(self, severity: int) -> str:
        """The K-03 band of a severity on the scale."""
        found: str | None = self.__pydantic_private__["_bands"].get(severity)  # type: ignore[index]
        if found is None or isinstance(severity, bool):
            raise PolicyError("severity is outside the policy's severity scale")
        return found

    def assessed(self, key: tuple[int, str, str, str, str, str, str | None]
                 ) -> tuple[str, bool, str | None]:
        """:meth:`priority` of an analysis, from ``(severity, scope, urgency, nature,
        severity_band, channel, customer_tier)``: the facts the K-02 table reads, remembered
        by their values (checked texts and an int)."""
        memo = self.__pydantic_private__["_assessed"]  # type: ignore[index]
        found: tuple[str, bool, str | None] | None = (
            memo.get(key) if type(key) is tuple else None)
        if found is None:
            if type(key) is not tuple or len(key) != len(_ASSESSMENT):
                raise InvalidInputError(
                    f"assessed: key must be a tuple of the {len(_ASSESSMENT)} assessment facts "
                    f"(got {type(key).__name__})")
            found = self.priority(dict(zip(_ASSESSMENT, key, strict=True)))
            if len(memo) >= _MEMO_LIMIT:
                memo.clear()
            memo[key] = found
        return found

    def priority(self, facts: dict[str, Any]) -> tuple[str, bool, str | None]:
        """K-02: the priority, whether the problem is major, and the rule id that decided
        (``None``: the table's default)."""
        memo = self.__pydantic_private__["_priorities"]  # type: ignore[index]
        key: tuple[tuple[str, Any], ...] | None = tuple(facts.items())
        try:
            found: tuple[str, bool, str | None] | None = memo.get(key)
        except TypeError:  # a fact that does not hash: decided afresh
            key, found = None, None
        if found is None:
            decision = self.priority_table.decide(facts)
            value = decision.value
            found = (str(value["priority"]), bool(value.get("major", False)), decision.rule_id)
            if key is not None:
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                memo[key] = found
        return found
