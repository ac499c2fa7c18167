"""Tier ladders (issue 12; R-02 … R-07): ordered tiers, first match wins, with entitlements.

A :class:`TierLadder` is data: each :class:`Tier` has a condition of the rule engine over the
customer's facts (``recency_days``, ``frequency``, ``monetary``, ``r_score``, ``f_score``,
``m_score``, ``rfm_code``, ``segment``, and whatever the host adds, such as the days since the
last interaction), the catalog rule it implements, its labels and what the tier is entitled to
(a dedicated owner, R-04; the SLA policy that applies; a share of the service resources, R-06;
how often to visit). The last tier has no condition: every other customer. The ladder runs as a
first-hit decision table, so every decision names the rule that decided and can explain itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import Field, PrivateAttr, model_validator

from servicekit._frames import as_frame, field_of, records_of
from servicekit._model import ValueModel
from servicekit.customers._expressions import condition_expression
from servicekit.customers._scores import CustomerScores, scored_records
from servicekit.errors import InvalidInputError
from servicekit.rules import Condition, Decision, DecisionTable, Rule

__all__ = ["Entitlements", "Tier", "TierChange", "TierDecision", "TierLadder",
           "TieredCustomer", "assign_tiers", "tier_changes"]


class Entitlements(ValueModel):
    """What a tier is entitled to (R-04, R-06; every field optional)."""

    dedicated_owner: bool = Field(default=False, description="R-04: a named account owner")
    sla_policy: str | None = Field(default=None, description="the SLA policy that applies")
    resource_share: float | None = Field(default=None, ge=0, le=1,
                                         description="R-06: the share of service resources")
    return_visit_every: timedelta | None = Field(default=None, description="visit cadence")


class Tier(ValueModel):
    """One rung of a ladder. ``when`` is a rule-engine condition (text or data form);
    ``None`` only for the last tier, which takes every customer left."""

    name: str = Field(min_length=1)
    when: Condition | None = None
    rule: str = Field(default="", description="the catalog rule it implements (R-03 …)")
    label: str = ""
    label_zh: str = ""
    description: str = ""
    entitlements: Entitlements = Entitlements()


class TierDecision(ValueModel):
    """The tier of one customer and why: the rule id of the tier that matched (the catch-all
    tier's own ``rule``) and the decision table's trace."""

    tier: str
    rule: str
    label: str
    label_zh: str
    entitlements: Entitlements
    explanation: str


class TierLadder(ValueModel):
    """Ordered tiers, first match wins; the last is the catch-all (see the module)."""

    name: str = Field(min_length=1)
    description: str = ""
    tiers: tuple[Tier, ...] = Field(min_length=2)
    ranking: tuple[str, ...] = Field(default=(), description=(
        "the tiers from best to worst, for tier_changes (empty: the ladder's order)"))
    _table: DecisionTable | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _shape(self) -> TierLadder:
        problems = []
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            problems.append("tier names must be unique")
        if self.tiers[-1].when is not None:
            problems.append("the last tier takes every customer left: it has no condition")
        problems += [f"tiers[{i}] ({t.name}) needs a condition: only the last tier has none"
                     for i, t in enumerate(self.tiers[:-1]) if t.when is None]
        if self.ranking and sorted(self.ranking) != sorted(names):
            problems.append("ranking must name every tier once")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def ranked(self) -> tuple[str, ...]:
        """The tiers from best to worst."""
        return self.ranking or tuple(t.name for t in self.tiers)

    @property
    def table(self) -> DecisionTable:
        """The ladder as a first-hit decision table (the catch-all is its default)."""
        if self._table is None:
            last = self.tiers[-1]
            self._table = DecisionTable(
                name=f"tiers:{self.name}", hit_policy="first",
                rules=[Rule(id=t.rule or t.name, when=t.when, then={"tier": t.name},
                            description=t.description) for t in self.tiers[:-1]],
                default={"tier": last.name})
        return self._table

    def tier(self, name: str) -> Tier:
        for t in self.tiers:
            if t.name == name:
                return t
        raise InvalidInputError("ladder: no such tier")

    def classify(self, customer: Any, **facts: Any) -> TierDecision:
        """The tier of one customer: ``customer`` is a mapping of facts or a model (an
        :class:`~servicekit.customers.CustomerRfm` or ``CustomerScores`` row); ``facts`` adds
        or overrides some (``last_interaction_days=40``)."""
        if hasattr(customer, "model_dump"):
            base = customer.model_dump()
        elif isinstance(customer, Mapping):
            base = dict(customer)
        else:
            raise InvalidInputError(f"classify: expected a customer row or a mapping of facts "
                                    f"(got {type(customer).__name__})")
        decision: Decision = self.table.decide({**base, **facts})
        chosen = self.tier(str(decision.value["tier"]))
        return TierDecision(tier=chosen.name, rule=decision.rule_id or chosen.rule,
                            label=chosen.label, label_zh=chosen.label_zh,
                            entitlements=chosen.entitlements, explanation=decision.explain())


class TieredCustomer(CustomerScores):
    """A scored customer (and their segment, if they have one) with their tier."""

    segment: str | None = None
    tier: str
    tier_rule: str


def assign_tiers(scored: Any, *, ladder: TierLadder) -> Any:
    """Add ``tier`` and ``tier_rule`` (the rule id of the tier that matched) to every customer
    of ``scored`` (:func:`rfm_scores`' or :func:`rfm_segments`' result, a frame of any backend
    or records), exactly as :meth:`TierLadder.classify` decides for one customer. On a frame
    the ladder's conditions run as expressions on the frame's engine."""
    if not isinstance(ladder, TierLadder):
        raise InvalidInputError(f"assign_tiers: ladder must be a TierLadder "
                                f"(got {type(ladder).__name__})")
    frame = as_frame(scored, "assign_tiers")
    if frame is None:
        out = []
        for row in scored_records(scored, "assign_tiers"):
            decision = ladder.classify(row)
            out.append(TieredCustomer(**row.model_dump(), tier=decision.tier,
                                      tier_rule=decision.rule))
        return out
    import narwhals as nw

    schema = frame.collect_schema()
    last = ladder.tiers[-1]
    tier: Any = nw.lit(last.name, dtype=nw.String)
    rule: Any = nw.lit(last.rule, dtype=nw.String)
    for t in reversed(ladder.tiers[:-1]):
        assert t.when is not None  # only the last tier has no condition (checked)
        holds = condition_expression(t.when, schema, f"assign_tiers: tier {t.name}")
        tier = nw.when(holds).then(nw.lit(t.name, dtype=nw.String)).otherwise(tier)
        rule = nw.when(holds).then(nw.lit(t.rule or t.name, dtype=nw.String)).otherwise(rule)
    return frame.with_columns(tier.alias("tier"), rule.alias("tier_rule")).to_native()


class TierChange(ValueModel):
    """A customer who moved between tiers (what :func:`tier_changes` lists per record)."""

    customer_id: str | int
    tier_before: str
    tier_after: str
    change: str = Field(description="upgrade or downgrade")


def tier_changes(before: Any, after: Any, *, ladder: TierLadder,
                 customer: str = "customer_id") -> Any:
    """The customers whose tier changed from ``before`` to ``after`` (two tiered tables of the
    same kind: frames of one backend, or records), with ``change`` ``"upgrade"`` (to a better
    tier of ``ladder.ranked``) or ``"downgrade"``; a tier the ladder does not name ranks after
    all of its own. Customers in only one of them are not listed."""
    if not isinstance(ladder, TierLadder):
        raise InvalidInputError("tier_changes: ladder must be a TierLadder")
    rank = {name: i for i, name in enumerate(ladder.ranked)}
    old, new = as_frame(before, "tier_changes"), as_frame(after, "tier_changes")
    if (old is None) != (new is None):
        raise InvalidInputError("tier_changes: before and after must be of the same kind")
    if old is None:
        def tiers(rows: list[object]) -> dict[Any, str]:
            out = {}
            for r in rows:
                out[field_of(r, customer)] = str(field_of(r, "tier"))
            return out

        was = tiers(records_of(before, "tier_changes"))
        now = tiers(records_of(after, "tier_changes"))
        last = len(rank)
        return [TierChange(customer_id=c, tier_before=was[c], tier_after=now[c],
                           change="upgrade" if rank.get(now[c], last) < rank.get(was[c], last)
                           else "downgrade")
                for c in sorted(was.keys() & now.keys(), key=str) if was[c] != now[c]]
    import narwhals as nw

    def ranked(frame: Any, suffix: str) -> Any:
        if customer not in frame.collect_schema() or "tier" not in frame.collect_schema():
            raise InvalidInputError(f"tier_changes: the tables need columns {customer!r} "
                                    "and 'tier'")
        position: Any = nw.lit(len(rank), dtype=nw.Int64)  # a tier not on the ladder: last
        for name, i in rank.items():
            position = nw.when(nw.col("tier") == name).then(nw.lit(i, dtype=nw.Int64)
                                                            ).otherwise(position)
        return frame.select(nw.col(customer), nw.col("tier").alias(f"tier_{suffix}"),
                            position.alias(f"__rank_{suffix}"))

    joined = ranked(old, "before").join(ranked(new, "after"), on=customer, how="inner")
    moved = joined.filter(nw.col("tier_before") != nw.col("tier_after"))
    change = nw.when(nw.col("__rank_after") < nw.col("__rank_before")).then(
        nw.lit("upgrade", dtype=nw.String)).otherwise(nw.lit("downgrade", dtype=nw.String))
    return moved.select(nw.col(customer), nw.col("tier_before"), nw.col("tier_after"),
                        change.alias("change")).to_native()
