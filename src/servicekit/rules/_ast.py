"""The condition language's syntax tree, as frozen pydantic models (the *data form*).

Data form, one JSON object per node:

* conditions: ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": {...}}``, ``{"exists": "a.b"}``,
  and comparisons ``{"field": "priority", "op": "in", "value": ["P1", "P2"]}``; a side that is
  not a plain field / literal is written ``"left"`` / ``"right"`` with an expression;
* expressions: ``{"field": "a.b"}``, ``{"value": 5}``, ``{"duration": "4h"}``,
  ``{"arith": "+", "args": [left, right]}``.

The text form (:mod:`servicekit.rules._text`) renders and parses the same tree.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    Tag,
    field_serializer,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from servicekit.rules._values import check_literal, format_duration, parse_duration

KEYWORDS = frozenset(
    {"and", "or", "not", "in", "true", "false", "null", "exists", "contains", "startswith",
     "endswith"}
)
_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")

CmpOp = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains", "startswith",
                "endswith"]
CMP_OPS: tuple[str, ...] = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "contains",
                            "startswith", "endswith")
ArithOp = Literal["+", "-", "*", "/"]


def check_path(path: object) -> str:
    if not isinstance(path, str):
        raise ValueError(f"a path is a dotted name like 'customer.tier', got {type(path).__name__}")
    for number, seg in enumerate(path.split("."), start=1):
        if not _SEGMENT.match(seg) or seg in KEYWORDS or seg.startswith("__"):
            # the path is not repeated: it is input, and may be anything (issue 10, item 15)
            raise ValueError(
                f"invalid path: segment {number} is not a name (segments are letters, digits "
                "and _, not keywords and not starting with '__')"
            )
    return path


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- expressions -----------------------------------------------------------------------------


class Ref(Node):
    """A value read from the facts by a dotted path."""

    field: str

    @field_validator("field", mode="before")
    @classmethod
    def _path(cls, v: object) -> str:
        return check_path(v)


class Lit(Node):
    """A literal: string, number, boolean, null, or a list of them."""

    value: Any

    @field_validator("value", mode="before")
    @classmethod
    def _literal(cls, v: object) -> object:
        return check_literal(v)


class Dur(Node):
    """A duration literal such as ``4h`` or ``1h30m`` (kept in canonical text)."""

    duration: str

    @field_validator("duration", mode="before")
    @classmethod
    def _canonical(cls, v: object) -> str:
        if isinstance(v, timedelta):
            return format_duration(v)
        if not isinstance(v, str):
            raise ValueError(f"a duration is text like '4h', got {type(v).__name__}")
        return format_duration(parse_duration(v.strip()))

    @property
    def value(self) -> timedelta:
        return parse_duration(self.duration)


class Arith(Node):
    """Arithmetic on numbers, durations and datetimes."""

    arith: ArithOp
    args: tuple[Expr, Expr]

    @field_serializer("args")
    def _as_list(self, args: tuple[Expr, Expr]) -> list[Any]:
        return [a.model_dump() for a in args]


def _expr_tag(v: Any) -> str | None:
    if isinstance(v, dict):
        for key in ("field", "value", "duration", "arith"):
            if key in v:
                return key
        return None
    tags: dict[type, str] = {Ref: "field", Lit: "value", Dur: "duration", Arith: "arith"}
    return tags.get(type(v))


Expr = Annotated[
    Union[  # noqa: UP007 - a tagged union needs the explicit form
        Annotated[Ref, Tag("field")],
        Annotated[Lit, Tag("value")],
        Annotated[Dur, Tag("duration")],
        Annotated[Arith, Tag("arith")],
    ],
    Discriminator(
        _expr_tag,
        custom_error_type="invalid_expression",
        custom_error_message="an expression is an object with one of the keys field, value, "
        "duration, arith",
    ),
]


# -- conditions ------------------------------------------------------------------------------


class Compare(Node):
    """``left op right``. Data form shorthand: ``field`` for a path, ``value`` for a literal."""

    left: Expr
    op: CmpOp
    right: Expr

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if "field" in data:
                if "left" in data:
                    raise ValueError("give either 'field' or 'left', not both")
                data["left"] = {"field": data.pop("field")}
            if "value" in data:
                if "right" in data:
                    raise ValueError("give either 'value' or 'right', not both")
                data["right"] = {"value": data.pop("value")}
        return data

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        props = schema.setdefault("properties", {})
        props["field"] = {"type": "string", "description": "the left side as a path (shorthand)"}
        props["value"] = {"description": "the right side as a literal (shorthand)"}
        schema["required"] = ["op"]
        schema["description"] = (
            "left op right; 'field' may replace 'left' and 'value' may replace 'right'"
        )
        return schema

    @model_serializer(mode="plain")
    def _serialize(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if isinstance(self.left, Ref):
            out["field"] = self.left.field
        else:
            out["left"] = self.left.model_dump()
        out["op"] = self.op
        if isinstance(self.right, Lit):
            out["value"] = _plain(self.right.value)
        else:
            out["right"] = self.right.model_dump()
        return out


def _plain(value: Any) -> Any:
    return [_plain(v) for v in value] if isinstance(value, tuple) else value


class All(Node):
    all: tuple[Cond, ...] = Field(min_length=1)

    @field_serializer("all")
    def _as_list(self, parts: tuple[Cond, ...]) -> list[Any]:
        return [p.model_dump() for p in parts]


class AnyOf(Node):
    any: tuple[Cond, ...] = Field(min_length=1)

    @field_serializer("any")
    def _as_list(self, parts: tuple[Cond, ...]) -> list[Any]:
        return [p.model_dump() for p in parts]


class Not(Node):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              serialize_by_alias=True)

    not_: Cond = Field(alias="not")


class Exists(Node):
    exists: str

    @field_validator("exists", mode="before")
    @classmethod
    def _path(cls, v: object) -> str:
        return check_path(v)


def _cond_tag(v: Any) -> str | None:
    if isinstance(v, dict):
        for key in ("all", "any", "not", "exists"):
            if key in v:
                return key
        if "op" in v:
            return "compare"
        return None
    tags: dict[type, str] = {All: "all", AnyOf: "any", Not: "not", Exists: "exists",
                             Compare: "compare"}
    return tags.get(type(v))


Cond = Annotated[
    Union[  # noqa: UP007
        Annotated[All, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[Not, Tag("not")],
        Annotated[Exists, Tag("exists")],
        Annotated[Compare, Tag("compare")],
    ],
    Discriminator(
        _cond_tag,
        custom_error_type="invalid_condition",
        custom_error_message="a condition is an object with one of the keys all, any, not, "
        "exists, or a comparison with op",
    ),
]

for _model in (Arith, Compare, All, AnyOf, Not):
    _model.model_rebuild()

CondNode = All | AnyOf | Not | Exists | Compare
ExprNode = Ref | Lit | Dur | Arith
