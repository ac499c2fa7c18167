"""``Condition``: a typed, safe condition in text or data form."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any, ClassVar

from pydantic import ConfigDict, GetJsonSchemaHandler, PrivateAttr, RootModel, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from servicekit._model import RaisesServiceKitErrors
from servicekit.errors import PolicyError, ServiceKitError
from servicekit.rules._ast import All, AnyOf, Cond, CondNode, Not
from servicekit.rules._eval import Pred, compile_cond, trace_cond
from servicekit.rules._text import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    check_canonical,
    parse_condition,
    render_cond,
    tree_depth,
)

#: A bound on the values of a data-form condition, checked before it is built: the node limit
#: itself is checked on the built condition, as the text form's is (each data-form node is at
#: most three values: ``{"exists": "a"}`` is one node of the text ``exists(a)``).
_MAX_DATA_VALUES = 4 * MAX_NODES


def _check_size(data: Any) -> None:
    """Depth and size bounds on a data-form document, checked without recursion."""
    todo: deque[tuple[Any, int]] = deque([(data, 1)])
    values = 0
    while todo:
        item, depth = todo.pop()
        values += 1  # every value counts: list items are nodes of the text form too
        if values > _MAX_DATA_VALUES:
            raise ValueError(f"condition has more than {MAX_NODES} nodes")
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > MAX_DEPTH * 3:  # a condition level is at most three JSON levels deep
            raise ValueError(f"condition nested deeper than {MAX_DEPTH} levels")
        todo.extend((child, depth + 1) for child in children)


def _collapse(node: CondNode) -> CondNode:
    """``all``/``any`` of a single condition is that condition (so text and data agree)."""
    if isinstance(node, (All, AnyOf)):
        parts = node.all if isinstance(node, All) else node.any
        if len(parts) == 1:
            return _collapse(parts[0])
        new = tuple(_collapse(p) for p in parts)
        if new == parts:
            return node
        return All(all=new) if isinstance(node, All) else AnyOf(any=new)
    if isinstance(node, Not):
        inner = _collapse(node.not_)
        return node if inner is node.not_ else Not(**{"not": inner})
    return node


class Condition(RaisesServiceKitErrors, RootModel[Cond]):
    """A condition over facts, in text form or data form (both round-trip).

    >>> c = Condition.parse('priority in ["P1", "P2"] and customer.tier == "A"')
    >>> c.evaluate({"priority": "P1", "customer": {"tier": "A"}})
    True
    >>> str(c)
    'priority in ["P1", "P2"] and customer.tier == "A"'
    >>> Condition.parse(str(c)) == c == Condition.model_validate(c.model_dump())
    True

    Facts are a mapping or a pydantic model (or a dataclass); dotted paths reach inside, and
    only declared fields of models are readable. See :mod:`servicekit.rules._eval` for the
    semantics of missing fields, types and arithmetic.
    """

    model_config = ConfigDict(frozen=True)
    error_class: ClassVar[type[ServiceKitError]] = PolicyError

    _fn: Pred | None = PrivateAttr(default=None)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        data_form = handler(core_schema)
        return {
            "anyOf": [
                {"type": "string", "description": "the text form, e.g. 'severity >= 5'"},
                data_form,
            ],
            "description": "a condition, in text form or data form",
        }

    @model_validator(mode="before")
    @classmethod
    def _accept_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            return parse_condition(data, canonical=False)  # checked once built, as data is
        if isinstance(data, Condition):
            return data.root
        _check_size(data)
        return data

    @model_validator(mode="after")
    def _limit_depth(self) -> Condition:
        if tree_depth(self.root) > MAX_DEPTH:
            raise ValueError(f"condition nested deeper than {MAX_DEPTH} levels")
        collapsed = _collapse(self.root)
        if collapsed is not self.root:
            self.__dict__["root"] = collapsed
        # Both forms are held to the limits of the text the condition is written as, so that
        # what loads is written out as text that loads again (issue 10, item 4).
        check_canonical(collapsed)
        return self

    @classmethod
    def parse(
        cls, text: str, *, max_length: int = MAX_LENGTH, max_depth: int = MAX_DEPTH,
        max_nodes: int = MAX_NODES,
    ) -> Condition:
        """Parse the text form; raises :class:`PolicyError` with the position on bad text."""
        node = parse_condition(text, max_length=max_length, max_depth=max_depth,
                               max_nodes=max_nodes)
        return cls.model_construct(node)

    def evaluate(self, facts: Any) -> bool:
        """Whether the facts satisfy the condition (compiled once, then cached)."""
        return self.predicate(facts)

    @property
    def predicate(self) -> Pred:
        """The compiled predicate ``facts -> bool`` (for tight loops)."""
        # read the cache slot directly: pydantic's private-attribute fallback costs microseconds
        private = self.__pydantic_private__
        fn: Pred | None = private.get("_fn") if private is not None else None
        if fn is None:
            fn = self._fn = compile_cond(self.root)
        return fn

    def explain(self, facts: Any) -> str:
        """Every comparison with the actual values, and the result."""
        lines: list[str] = []
        trace_cond(self.root, facts, lines)
        return "\n".join(lines)

    def __str__(self) -> str:
        return render_cond(self.root)

    def __repr__(self) -> str:
        return f"Condition({render_cond(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Condition):
            return NotImplemented
        return self.root == other.root

    def __hash__(self) -> int:
        return hash(render_cond(self.root))
