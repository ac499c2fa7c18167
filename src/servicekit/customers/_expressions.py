"""Rule-engine conditions as narwhals expressions (issue 12): a tier ladder runs on a frame's
own engine with the meaning it has for one customer.

The rule engine evaluates a condition on one mapping of facts; a frame needs one expression
for every row. The translation keeps the engine's meaning: a comparison with a missing column
or a null value is false (but ``==`` / ``!=`` against a null compare nullness, as the engine
does for ``None``), arithmetic with a null is missing, every result is a plain boolean. It
covers what a ladder over customer columns needs: fields (plain column names), number, text and
boolean literals and lists, ``+ - * /``, the six comparisons, ``in``, ``not in``, ``contains``,
``startswith``, ``endswith``, ``and``, ``or``, ``not``, ``exists``. Anything else (dotted
paths, dates and durations) is a :class:`~servicekit.errors.PolicyError` naming the condition,
before anything runs; so are operands of the wrong kinds, as the engine's own check would be.
A division by zero, which the engine refuses for one customer, is null (false) on a frame.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from servicekit.errors import PolicyError
from servicekit.rules import Condition
from servicekit.rules._ast import All, AnyOf, Arith, Compare, Dur, Exists, Lit, Not, Ref
from servicekit.rules._values import type_name

__all__ = ["condition_expression"]

_ORDER = ("<", "<=", ">", ">=")


class _Operand(NamedTuple):
    expr: Any
    family: str  # number, string, boolean, list, null
    kind: str  # ref, lit, arith, missing


def _family_of(dtype: Any) -> str:
    if dtype.is_numeric():
        return "number"
    name = type(dtype).__name__
    return {"String": "string", "Boolean": "boolean"}.get(name, name.lower())


def condition_expression(condition: Condition, schema: Any, where: str) -> Any:
    """The narwhals expression of ``condition`` over a frame with ``schema``."""
    return _Translation(schema, where).cond(condition.root)


class _Translation:
    def __init__(self, schema: Any, where: str) -> None:
        import narwhals as nw

        self.nw, self.schema, self.where = nw, schema, where
        self.false = nw.lit(False)

    def operand(self, node: Any) -> _Operand:
        if isinstance(node, Ref):
            if "." in node.field:
                raise PolicyError(f"{self.where}: {node.field!r} is a path; a frame has columns")
            if node.field not in self.schema:
                return _Operand(None, "null", "missing")
            return _Operand(self.nw.col(node.field), _family_of(self.schema[node.field]), "ref")
        if isinstance(node, Lit):
            value = node.value
            if isinstance(value, tuple):
                return _Operand(list(value), "list", "lit")
            return _Operand(self.nw.lit(value), type_name(value), "lit")
        if isinstance(node, Arith):
            left, right = self.operand(node.args[0]), self.operand(node.args[1])
            if "missing" in (left.kind, right.kind) or "null" in (left.family, right.family):
                return _Operand(None, "null", "missing")
            if left.family != "number" or right.family != "number":
                raise PolicyError(f"{self.where}: cannot apply {node.arith!r} to {left.family} and "
                                  f"{right.family} on a frame")
            ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b,
                   "*": lambda a, b: a * b, "/": lambda a, b: a / b}
            return _Operand(ops[node.arith](left.expr, right.expr), "number", "arith")
        if isinstance(node, Dur):
            raise PolicyError(f"{self.where}: durations are not supported on a frame")
        raise PolicyError(f"{self.where}: cannot run {type(node).__name__} on a frame")

    def compare(self, node: Compare) -> Any:
        left, right = self.operand(node.left), self.operand(node.right)
        op = node.op
        if "missing" in (left.kind, right.kind):
            return self.false
        if "null" in (left.family, right.family):  # a literal None: only == and != mean it
            if op not in ("==", "!="):
                return self.false
            other = right if left.family == "null" else left
            if other.family == "null":
                return self.nw.lit(op == "==")
            nulls = other.expr.is_null()
            return nulls if op == "==" else ~nulls
        if op in ("==", "!=", *_ORDER):
            if left.family != right.family or (op in _ORDER and left.family not in (
                    "number", "string")):
                raise PolicyError(f"{self.where}: cannot compare {left.family} with "
                                  f"{right.family} using {op!r}")
            base = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b,
                    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
                    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[op](left.expr,
                                                                             right.expr)
            if op in _ORDER or "arith" in (left.kind, right.kind):
                return base.fill_null(False)
            # == / != between fields: a null equals only a null (the engine's None)
            lnull = left.expr.is_null() if left.kind == "ref" else self.false
            rnull = right.expr.is_null() if right.kind == "ref" else self.false
            either = lnull | rnull
            same = lnull & rnull
            null_answer = same if op == "==" else ~same
            return self.nw.when(either).then(null_answer).otherwise(base.fill_null(False))
        if op in ("in", "not in"):
            if right.kind != "lit" or right.family != "list":
                raise PolicyError(f"{self.where}: {op!r} on a frame needs a list literal")
            kinds = {type_name(v) for v in right.expr if v is not None}
            if kinds - {left.family}:
                raise PolicyError(f"{self.where}: cannot look for a {left.family} among "
                                  f"{', '.join(sorted(kinds))} values using {op!r}")
            values = [v for v in right.expr if v is not None]
            column = left.expr
            if left.family == "number":  # ints and floats alike, as the engine compares them
                column, values = column.cast(self.nw.Float64), [float(v) for v in values]
            found = column.is_in(values).fill_null(False)
            return (found & ~left.expr.is_null()) if op == "in" else (
                ~found & ~left.expr.is_null())
        if op in ("contains", "startswith", "endswith"):
            if left.family != "string" or right.family != "string" or right.kind != "lit":
                raise PolicyError(f"{self.where}: {op!r} on a frame takes a text column and a text "
                                  "literal")
            text = node.right.value  # type: ignore[union-attr]
            strings = left.expr.str
            found = (strings.contains(text, literal=True) if op == "contains"
                     else strings.starts_with(text) if op == "startswith"
                     else strings.ends_with(text))
            return found.fill_null(False)
        raise PolicyError(f"{self.where}: cannot run {op!r} on a frame")  # pragma: no cover

    def cond(self, node: Any) -> Any:
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, Exists):
            return self.nw.lit(node.exists in self.schema)
        if isinstance(node, Not):
            return ~self.cond(node.not_)
        if isinstance(node, All):
            out = self.cond(node.all[0])
            for part in node.all[1:]:
                out = out & self.cond(part)
            return out
        if isinstance(node, AnyOf):
            out = self.cond(node.any[0])
            for part in node.any[1:]:
                out = out | self.cond(part)
            return out
        kind = type(node).__name__
        raise PolicyError(f"{self.where}: cannot run {kind} on a frame")  # pragma: no cover
