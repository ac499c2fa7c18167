"""``Condition``: a typed, safe condition in text or data form."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ClassVar

from pydantic import ConfigDict, GetJsonSchemaHandler, PrivateAttr, RootModel, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

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


#: The most condition text one policy document may have validated, in characters: each
#: condition counts the longer of the text given and the text it is written as
#: (``str(condition)``, what an export writes), data-form conditions their written text, and
#: a text that occurs again in the document (a YAML alias, a copied condition) counts once and
#: is parsed once. Validating condition text costs up to about 10 µs a character (``a or a or
#: …``: one node every 5 characters), so this bounds a policy's conditions to about 2 s of CPU
#: however its text is written (1 MB of YAML aliases of one condition, or 1 MB of distinct
#: conditions); a 64 KB document holds 64 KB of distinct condition text at most. Twice the
#: length limit of one condition; the handbook preset's conditions are about 3,000 characters.
MAX_POLICY_CONDITION_TEXT = 2 * MAX_LENGTH


class _Budget:
    """The condition text one document may still have validated, and the conditions it has
    validated already, by their text (issue 10: an alias of a long condition was parsed again
    at each use)."""

    __slots__ = ("done", "failed", "left", "memo", "parsing", "shared")

    def __init__(self, characters: int) -> None:
        self.left = characters
        self.memo: dict[str, CondNode] = {}  # text -> its checked, collapsed tree
        self.shared: dict[int, dict[str, Any]] = {}  # id of such a tree -> its compiled forms
        self.failed: dict[str, str] = {}  # text -> why it was refused
        self.done: set[int] = set()  # ids of the trees in memo (kept alive by it)
        self.parsing: dict[int, tuple[str, CondNode]] = {}  # id of a parsed tree -> its text

    def charge(self, characters: int) -> None:
        self.left -= characters
        if self.left < 0:
            raise PydanticCustomError(
                "policy_too_large",
                f"the policy's conditions are longer than {MAX_POLICY_CONDITION_TEXT:,} "
                "characters in all",
            )


_BUDGET: ContextVar[_Budget | None] = ContextVar("servicekit_condition_budget", default=None)


@contextmanager
def condition_budget(characters: int = MAX_POLICY_CONDITION_TEXT) -> Iterator[None]:
    """Hold the conditions validated inside to ``characters`` of text in all, each distinct
    text parsed once (a policy document validates within one; nested uses share the outer)."""
    if _BUDGET.get() is not None:
        yield
        return
    token = _BUDGET.set(_Budget(characters))
    try:
        yield
    finally:
        _BUDGET.reset(token)


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
    #: the compiled predicate and written text, shared by the conditions of one document with
    #: the same text (a YAML alias used a thousand times is compiled and written once)
    _shared: dict[str, Any] | None = PrivateAttr(default=None)

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
            budget = _BUDGET.get()
            if budget is None:
                return parse_condition(data, canonical=False)  # checked once built, as data is
            known = budget.memo.get(data)
            if known is not None:  # the same text again: parsed and checked once
                return known
            reason = budget.failed.get(data)
            if reason is not None:
                raise ValueError(reason)
            budget.charge(len(data))  # before the work
            try:
                node = parse_condition(data, canonical=False)
            except PolicyError as exc:
                budget.failed[data] = str(exc)
                raise
            budget.parsing[id(node)] = (data, node)
            return node
        if isinstance(data, Condition):
            return data.root
        _check_size(data)
        return data

    @model_validator(mode="after")
    def _limit_depth(self) -> Condition:
        budget = _BUDGET.get()
        if budget is not None and id(self.root) in budget.done:
            # a text seen before in this document: checked then, and compiled and written
            # out once for all its uses
            private = self.__pydantic_private__
            if private is not None:
                private["_shared"] = budget.shared[id(self.root)]
            return self
        text, _ = budget.parsing.pop(id(self.root), ("", None)) if budget else ("", None)
        try:
            written = self._checked()
        except (ValueError, PolicyError) as exc:
            if text and budget is not None:
                budget.failed[text] = str(exc)
            raise
        if budget is not None:
            # counted as written out: what loads is written as text that loads again
            budget.charge(max(0, written - len(text)))
            if text:
                shared: dict[str, Any] = {}
                budget.memo[text] = self.root
                budget.done.add(id(self.root))
                budget.shared[id(self.root)] = shared
                private = self.__pydantic_private__
                if private is not None:
                    private["_shared"] = shared
        return self

    def _checked(self) -> int:
        """Check the tree and collapse it; the length of the text it is written as."""
        if tree_depth(self.root) > MAX_DEPTH:
            raise ValueError(f"condition nested deeper than {MAX_DEPTH} levels")
        collapsed = _collapse(self.root)
        if collapsed is not self.root:
            self.__dict__["root"] = collapsed
        # Both forms are held to the limits of the text the condition is written as, so that
        # what loads is written out as text that loads again (issue 10, item 4).
        return check_canonical(collapsed)

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
            shared = private.get("_shared") if private is not None else None
            fn = shared.get("fn") if shared is not None else None
            if fn is None:
                fn = compile_cond(self.root)
                if shared is not None:
                    shared["fn"] = fn
            self._fn = fn
        return fn

    def explain(self, facts: Any) -> str:
        """Every comparison with the actual values, and the result."""
        lines: list[str] = []
        trace_cond(self.root, facts, lines)
        return "\n".join(lines)

    def __str__(self) -> str:
        private = self.__pydantic_private__
        shared = private.get("_shared") if private is not None else None
        if shared is None:
            return render_cond(self.root)
        text: str | None = shared.get("text")
        if text is None:
            text = shared["text"] = render_cond(self.root)
        return text

    def __repr__(self) -> str:
        return f"Condition({render_cond(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Condition):
            return NotImplemented
        return self.root == other.root

    def __hash__(self) -> int:
        return hash(render_cond(self.root))
