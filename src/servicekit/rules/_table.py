"""Decision tables with DMN hit policies: ``first``, ``unique``, ``priority``, ``collect``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Literal, cast

from pydantic import (
    BaseModel,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from servicekit._model import ValueModel
from servicekit._payload import FrozenDict, frozen
from servicekit.errors import InvalidInputError, PolicyError, Problem, ServiceKitError
from servicekit.rules._condition import Condition
from servicekit.rules._eval import Pred, trace_cond
from servicekit.rules._json import document, json_ready, nullable, obj
from servicekit.rules._values import check_json

HitPolicy = Literal["first", "unique", "priority", "collect"]
Output = Mapping[str, Any]


class Rule(ValueModel):
    """One row of a decision table: when the condition holds, the table outputs ``then``."""

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")
    when: Condition
    then: dict[str, Any] = Field(default_factory=dict)
    description: str = ""

    @field_serializer("when")
    def _when_as_text(self, when: Condition) -> str:
        return str(when)

    @field_validator("then")
    @classmethod
    def _json_output(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _json_outputs(value)


def _json_outputs(value: dict[str, Any]) -> dict[str, Any]:
    """Outputs as plain JSON values: what every format writes and reads back equal (no NaN,
    no infinity, no tuple, no non-string key, no integer over 4,300 digits, not over 64 levels),
    read-only, so what ``to_json`` writes is what ``decide`` answers (issue 10, item 7)."""
    try:
        return cast(dict[str, Any], frozen(check_json(value)))
    except ValueError as exc:
        message = str(exc)
    raise ValueError(f"outputs must be JSON values: {message}")


class Decision:
    """The outcome of :meth:`DecisionTable.decide`.

    ``value`` is the output (a read-only mapping; for ``collect`` a tuple of them), ``rule_ids``
    the ids of the rules that matched, in table order (for ``first``: the first match only),
    ``rule_id`` the rule whose output was taken (``None`` when the default was used or nothing
    matched), ``defaulted`` whether the table's default was used.
    """

    __slots__ = ("defaulted", "facts", "rule_id", "rule_ids", "table", "value")

    def __init__(  # noqa: PLR0917 - built on the hot path, positionally
        self, table: DecisionTable, facts: Any, value: Any, rule_ids: tuple[str, ...],
        rule_id: str | None, defaulted: bool,
    ) -> None:
        self.table = table
        self.facts = facts
        self.value = value
        self.rule_ids = rule_ids
        self.rule_id = rule_id
        self.defaulted = defaulted

    @property
    def matched(self) -> bool:
        return bool(self.rule_ids)

    def __repr__(self) -> str:
        return (
            f"Decision(table={self.table.name!r}, value={_plain(self.value)!r}, "
            f"rule_ids={self.rule_ids!r})"
        )

    def to_dict(self, *, facts: bool = False) -> dict[str, Any]:
        """The JSON form: ``table`` (its name), ``hit_policy``, ``value`` (the output as plain
        JSON: an object, a list of them for ``collect``, or ``None``), ``rule_ids``,
        ``rule_id``, ``defaulted`` and ``matched``.

        The facts are left out unless ``facts=True``: they are the caller's data (a ticket's
        attributes, a customer's id and tier), which a decision's JSON, sent to logs and
        clients, should not carry by default. With ``facts=True`` they are written by the
        same rules (instants ISO 8601, durations seconds); facts with no JSON form raise
        :class:`~servicekit.errors.InvalidInputError` naming their type.
        """
        out: dict[str, Any] = {
            "table": self.table.name,
            "hit_policy": self.table.hit_policy,
            "value": json_ready(self.value, "value"),
            "rule_ids": list(self.rule_ids),
            "rule_id": self.rule_id,
            "defaulted": self.defaulted,
            "matched": self.matched,
        }
        if facts:
            given = self.facts.model_dump() if isinstance(self.facts, BaseModel) else self.facts
            if not isinstance(given, Mapping):
                raise InvalidInputError(
                    f"facts: no JSON form: expected a mapping (got {type(given).__name__})")
            out["facts"] = json_ready(given, "facts")
        return out

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON Schema (draft 2020-12) of :meth:`to_dict` (``facts`` only when asked)."""
        output = {"type": "object"}
        return document(obj({
            "table": {"type": "string", "description": "the decision table's name"},
            "hit_policy": {"enum": ["first", "unique", "priority", "collect"]},
            "value": {"anyOf": [output, {"type": "array", "items": output},
                                {"type": "null"}],
                      "description": "the output (collect: the outputs of every match)"},
            "rule_ids": {"type": "array", "items": {"type": "string"},
                         "description": "the rules that matched, in table order"},
            "rule_id": nullable({"type": "string"}),
            "defaulted": {"type": "boolean"},
            "matched": {"type": "boolean"},
            "facts": {"type": "object", "description": "the facts decided on (only with "
                                                       "facts=True: they may be personal data)"},
        }, title="Decision", optional=("facts",)))

    def explain(self) -> str:
        """A human-readable trace: each rule tried, each comparison with the actual value."""
        table = self.table
        lines = [f"decision table {table.name!r} (hit policy: {table.hit_policy})"]
        for rule in table.rules:
            lines.append(f"rule {rule.id}: {rule.when}")
            matched = trace_cond(rule.when.root, self.facts, lines, indent=1)
            lines.append("  => matched" if matched else "  => no match")
            if matched and table.hit_policy == "first":
                break
        if self.defaulted:
            lines.append(f"no rule matched: default {_json(self.value)}")
        elif not self.rule_ids and table.hit_policy == "collect":
            lines.append("no rule matched: value [] (collect)")
        elif not self.rule_ids:
            lines.append("no rule matched and there is no default: value None")
        elif table.hit_policy == "collect":
            lines.append(f"result: {_json(self.value)} from rules {', '.join(self.rule_ids)}")
        else:
            lines.append(f"result: {_json(self.value)} from rule {self.rule_id}")
            if table.hit_policy == "priority" and len(self.rule_ids) > 1:
                order = ", ".join(f"{k}: {list(v)}" for k, v in table.output_order.items())
                lines.append(f"(highest priority among {', '.join(self.rule_ids)} by {order})")
        return "\n".join(lines)


def _freeze(value: Any) -> Any:
    """A read-only copy of an output: mappings become mapping proxies, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _json(value: Any) -> str:
    return json.dumps(_plain(value), ensure_ascii=False, default=str)


def _table_problems(rules: Any, hit_policy: Any, output_order: Any) -> list[Problem]:
    """Checks across rules, on validated or raw data (raw: skip what cannot be read).

    They are about the table as a whole (``loc`` is the table's), each with its own type.
    """
    items = rules if isinstance(rules, (list, tuple)) else ()
    dumped = [r.model_dump() if isinstance(r, Rule) else r for r in items]
    rows = [(i, r) for i, r in enumerate(dumped) if isinstance(r, Mapping)]
    # Rules and keys are named by their positions, not repeated: they are input, and may be
    # anything (issue 10, item 15).
    problems: list[Problem] = []
    first: dict[str, int] = {}
    for index, row in rows:
        rule_id = row.get("id")
        if isinstance(rule_id, str):
            if rule_id in first:
                problems.append(Problem((), "duplicate_rule_id",
                                        f"rule id used twice: rules[{index}] has the id of "
                                        f"rules[{first[rule_id]}]"))
            first.setdefault(rule_id, index)
    if hit_policy == "priority":
        order = output_order if isinstance(output_order, Mapping) else {}
        if not order:
            problems.append(Problem((), "missing_output_order",
                                    "hit policy 'priority' needs output_order"))
        for index, row in rows:
            then = row.get("then")
            if not isinstance(then, Mapping):
                then = {}
            for number, (key, values) in enumerate(order.items()):
                if key not in then:
                    problems.append(Problem((), "missing_ranked_output",
                                            f"rules[{index}] has no output for key {number} of "
                                            "output_order, to rank"))
                elif _unranked(then[key], values):
                    problems.append(Problem((), "unranked_output",
                                            f"rules[{index}]: its output for key {number} of "
                                            "output_order is not one of the values ranked"))
    return problems


def _unranked(value: Any, values: Any) -> bool:
    try:
        return value not in values
    except TypeError:  # raw output_order that is not a list (its own validation reports it)
        return True


class DecisionTable(ValueModel):
    """Rules tried against facts, combined by a hit policy (DMN semantics).

    * ``first``: the first matching rule in table order;
    * ``unique``: at most one rule may match; two matches raise :class:`PolicyError` naming them;
    * ``priority``: among the matches, the output ranked highest by ``output_order`` (per output
      key, its values from highest to lowest priority; keys compared in declared order);
    * ``collect``: every match's output, in table order.

    ``default`` is the output when no rule matches (single-hit policies); without one the value
    is ``None``. ``collect`` with no match gives an empty tuple.
    """

    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    name: str = Field(min_length=1)
    hit_policy: HitPolicy = "first"
    rules: tuple[Rule, ...]
    default: dict[str, Any] | None = None
    output_order: dict[str, tuple[Any, ...]] = Field(default_factory=dict)
    description: str = ""

    @field_validator("default")
    @classmethod
    def _json_default(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _json_outputs(value)

    @field_validator("output_order")
    @classmethod
    def _json_order(cls, value: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, ...]]:
        ranked = _json_outputs({key: list(values) for key, values in value.items()})
        return FrozenDict({key: tuple(values) for key, values in ranked.items()})

    _compiled: tuple[tuple[str, Pred, Output], ...] = PrivateAttr()
    _default: Output | None = PrivateAttr()

    @model_validator(mode="wrap")
    @classmethod
    def _check(cls, data: Any, handler: ModelWrapValidatorHandler[DecisionTable]) -> Any:
        """Table-level checks, each its own problem, reported with any error inside a rule."""
        table: DecisionTable | None = None
        failed: ValidationError | None = None
        try:
            table = handler(data)
        except ValidationError as exc:
            failed = exc
        if table is not None:
            problems = _table_problems(table.rules, table.hit_policy, table.output_order)
        else:
            raw = data if isinstance(data, Mapping) else {}
            problems = _table_problems(raw.get("rules"), raw.get("hit_policy", "first"),
                                       raw.get("output_order"))
        if failed is not None and not problems:
            raise failed  # as it is: copying a hundred thousand errors costs seconds
        # each error again as it was written (its type and message): a custom type such as
        # 'invalid_condition' is not one pydantic can rebuild from its name
        errors: list[InitErrorDetails] = [] if failed is None else [
            {"type": PydanticCustomError(e["type"], e["msg"]), "loc": e["loc"], "input": e["input"]}
            for e in failed.errors()
        ]
        errors.extend(
            {"type": PydanticCustomError(p.type, p.msg), "loc": p.loc, "input": data}
            for p in problems
        )
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return table

    def model_post_init(self, context: Any, /) -> None:
        self._compiled = tuple((r.id, r.when.predicate, _freeze(r.then)) for r in self.rules)
        self._default = None if self.default is None else _freeze(self.default)

    def decide(self, facts: Any) -> Decision:
        """Apply the table to ``facts`` (a mapping or a pydantic model)."""
        policy = self.hit_policy
        # Read the compiled rules from the private dict directly: pydantic's attribute
        # fallback for private attributes costs about a microsecond per access.
        compiled = self.__pydantic_private__["_compiled"]  # type: ignore[index]
        if policy == "first":
            for rule_id, pred, out in compiled:
                if pred(facts):
                    return Decision(self, facts, out, (rule_id,), rule_id, False)
            return self._no_match(facts)
        matches = [(rule_id, out) for rule_id, pred, out in compiled if pred(facts)]
        ids = tuple(m[0] for m in matches)
        if policy == "collect":
            return Decision(self, facts, tuple(m[1] for m in matches), ids, None, False)
        if not matches:
            return self._no_match(facts)
        if policy == "unique":
            if len(matches) > 1:
                raise PolicyError(
                    f"decision table {self.name!r} (hit policy unique): rules "
                    f"{', '.join(repr(i) for i in ids)} all match; at most one may"
                )
            return Decision(self, facts, matches[0][1], ids, ids[0], False)
        best_id, best_out = min(matches, key=lambda m: self._rank(m[1]))
        return Decision(self, facts, best_out, ids, best_id, False)

    def _rank(self, out: Output) -> tuple[int, ...]:
        return tuple(order.index(out[key]) for key, order in self.output_order.items())

    def _no_match(self, facts: Any) -> Decision:
        default = self.__pydantic_private__["_default"]  # type: ignore[index]
        return Decision(self, facts, default, (), None, default is not None)
