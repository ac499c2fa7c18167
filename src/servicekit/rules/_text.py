"""The text form of conditions: a tokenizer, a Pratt parser and a renderer.

Grammar, loosest binding first::

    or  <  and  <  not (prefix)  <  == != < <= > >= in "not in" contains startswith endswith
        <  + -  <  * /  <  - (prefix)  <  literals, paths, exists(path), ( ... ), [ ... ]

Literals: numbers (``4``, ``2.5``, ``1e3``), strings (``"P1"`` or ``'P1'``), ``true``, ``false``,
``null``, durations (``4h``, ``30m``, ``2d``, ``1h30m``, ``500ms``), lists ``[...]``. A bare
path used as a condition means ``path == true``. Comparisons do not chain.

The parser never recurses deeper than the depth limit and never builds more nodes than the node
limit; both raise :class:`PolicyError` (not ``RecursionError``), as does text longer than the
length limit. Nothing is evaluated while parsing.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from servicekit.errors import PolicyError
from servicekit.rules._ast import (
    CMP_OPS,
    KEYWORDS,
    All,
    AnyOf,
    Arith,
    Compare,
    CondNode,
    Dur,
    Exists,
    ExprNode,
    Lit,
    Not,
    Ref,
)
from servicekit.rules._values import DURATION_FULL

MAX_DEPTH = 64
MAX_NODES = 10_000
MAX_LENGTH = 100_000

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<duration>(?:[0-9]+(?:ms|us|d|h|m|s))+)(?![A-Za-z0-9_.])
  | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)(?![A-Za-z_])
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|/|\(|\)|\[|\]|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)

# binding powers (left, right) of infix operators
_INFIX: dict[str, tuple[int, int]] = {
    "or": (1, 2),
    "and": (3, 4),
    **dict.fromkeys(CMP_OPS, (7, 8)),
    "+": (9, 10),
    "-": (9, 10),
    "*": (11, 12),
    "/": (11, 12),
}
_NOT_BP = 5
_NEG_BP = 13


@dataclass(slots=True)
class _Tok:
    kind: str  # duration number string op name end
    text: str
    pos: int


def tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:
            raise PolicyError(f"unexpected character at position {pos} of the condition")
        kind = m.lastgroup
        assert kind is not None
        if kind != "ws":
            out.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    out.append(_Tok("end", "", n))
    return out


@dataclass(slots=True)
class _G:
    """A generic parse node, typed into a condition or an expression afterwards."""

    kind: str  # lit dur path exists not neg list binop
    pos: int  # where it starts in the text, for messages
    op: str = ""
    args: list[_G] = field(default_factory=list)
    value: Any = None
    paren: bool = False


class _Parser:
    def __init__(self, text: str, *, max_depth: int, max_nodes: int) -> None:
        self.toks = tokenize(text)
        self.i = 0
        self.nodes = 0
        self.max_depth = max_depth
        self.max_nodes = max_nodes

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def node(self, kind: str, pos: int, **kw: Any) -> _G:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            raise PolicyError(f"condition has more than {self.max_nodes} nodes")
        return _G(kind, pos=pos, **kw)

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text or tok.kind == "string":
            raise PolicyError(f"expected {text!r} at position {tok.pos}, found {_describe(tok)}")

    def parse(self) -> _G:
        g = self.expr(0, 1)
        tok = self.peek()
        if tok.kind != "end":
            raise PolicyError(f"unexpected {_describe(tok)} at position {tok.pos}")
        return g

    def expr(self, min_bp: int, depth: int) -> _G:
        # A guard on recursion only: parentheses and operands nest the parser about twice as
        # deep as the tree they build. The tree's own depth is checked after parsing.
        if depth > 4 * self.max_depth:
            raise PolicyError(f"condition nested deeper than {self.max_depth} levels")
        left = self.prefix(depth)
        while True:
            tok = self.peek()
            op = tok.text if tok.kind in ("op", "name") else ""
            if op == "not" and self.toks[self.i + 1].text == "in":
                op = "not in"
            if op not in _INFIX:
                break
            lbp, rbp = _INFIX[op]
            if lbp < min_bp:
                break
            self.take()
            if op == "not in":
                self.take()
            if op in CMP_OPS and left.kind == "binop" and left.op in CMP_OPS and not left.paren:
                raise PolicyError(
                    f"comparisons cannot be chained (position {tok.pos}); join them with 'and'"
                )
            right = self.expr(rbp, depth + 1)
            left = self.node("binop", tok.pos, op=op, args=[left, right])
        return left

    def prefix(self, depth: int) -> _G:
        tok = self.take()
        kind, text, pos = tok.kind, tok.text, tok.pos
        if kind == "number":
            return self.node("lit", pos, value=_number(text, pos))
        if kind == "duration":
            return self.node("dur", pos, value=text)
        if kind == "string":
            return self.node("lit", pos, value=_unquote(text, pos))
        if kind == "op":
            if text == "(":
                inner = self.expr(0, depth + 1)
                self.expect(")")
                inner.paren = True
                return inner
            if text == "-":
                return self.node("neg", pos, args=[self.expr(_NEG_BP, depth + 1)])
            if text == "[":
                return self.list_literal(pos, depth)
        if kind == "name":
            if text == "not":
                return self.node("not", pos, args=[self.expr(_NOT_BP, depth + 1)])
            if text in ("true", "false"):
                return self.node("lit", pos, value=text == "true")
            if text == "null":
                return self.node("lit", pos, value=None)
            if text == "exists":
                self.expect("(")
                path = self.take()
                if path.kind != "name" or path.text in KEYWORDS:
                    raise PolicyError(f"exists() takes a path, at position {path.pos}")
                self.expect(")")
                return self.node("exists", pos, value=path.text)
            if text not in KEYWORDS:
                return self.node("path", pos, value=text)
        raise PolicyError(f"unexpected {_describe(tok)} at position {pos}")

    def list_literal(self, pos: int, depth: int) -> _G:
        items: list[_G] = []
        if self.peek().text == "]" and self.peek().kind == "op":
            self.take()
            return self.node("list", pos, args=items)
        while True:
            items.append(self.expr(7 + 2, depth + 1))  # values only, no comparisons
            tok = self.take()
            if tok.text == "]" and tok.kind == "op":
                return self.node("list", pos, args=items)
            if tok.text != "," or tok.kind != "op":
                raise PolicyError(f"expected ',' or ']' at position {tok.pos}")


def _number(text: str, pos: int) -> int | float:
    try:
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:  # more digits than Python converts
        value = math.nan
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if math.isnan(value):  # (a float never reads as NaN)
        raise PolicyError(f"number too long at position {pos}")
    if isinstance(value, float) and not math.isfinite(value):
        raise PolicyError(f"number out of range at position {pos}")
    return value


_KINDS = {"end": "end of text", "string": "a string", "number": "a number",
          "duration": "a duration", "name": "a name"}


def _describe(tok: _Tok) -> str:
    """A token as messages name it: operators and keywords (the grammar's) as written, others
    by their kind (they are the condition's own text: issue 10, item 15)."""
    if tok.kind == "op" or (tok.kind == "name" and tok.text in KEYWORDS):
        return repr(tok.text)
    return _KINDS[tok.kind]


def _unquote(text: str, pos: int) -> str:
    body = text[1:-1]
    if text[0] == "'":
        body = body.replace("\\'", "'").replace('"', '\\"')
    try:
        value = json.loads(f'"{body}"')
    except json.JSONDecodeError:  # its .doc holds the string: not kept as a context
        value = None
    if not isinstance(value, str):
        raise PolicyError(f"malformed string escape at position {pos}")
    return value


# -- typing the generic tree -------------------------------------------------------------------


def _chain(g: _G, op: str) -> list[_G]:
    """The operands of an unparenthesised chain ``a op b op c`` (left-associated)."""
    out: list[_G] = []
    while g.kind == "binop" and g.op == op:
        out.append(g.args[1])
        g = g.args[0]
        if g.paren:
            break
    out.append(g)
    return out[::-1]


def _to_cond(g: _G) -> CondNode:
    if g.kind == "binop" and g.op in ("and", "or"):
        parts = tuple(_to_cond(p) for p in _chain(g, g.op))
        return All(all=parts) if g.op == "and" else AnyOf(any=parts)
    if g.kind == "binop" and g.op in CMP_OPS:
        left, right = _to_expr(g.args[0]), _to_expr(g.args[1])
        return Compare(left=left, op=g.op, right=right)
    if g.kind == "not":
        return Not(**{"not": _to_cond(g.args[0])})
    if g.kind == "exists":
        return Exists(exists=g.value)
    if g.kind == "path":
        return Compare(left=Ref(field=g.value), op="==", right=Lit(value=True))
    raise PolicyError(f"expected a condition at position {g.pos}, found a value")


def _to_expr(g: _G) -> ExprNode:
    if g.kind == "lit":
        return Lit(value=g.value)
    if g.kind == "dur":
        return Dur(duration=g.value)
    if g.kind == "path":
        return Ref(field=g.value)
    if g.kind == "list":
        values = [_to_expr(a) for a in g.args]
        if not all(isinstance(v, Lit) for v in values):
            raise PolicyError(f"a list holds literals only (position {g.pos})")
        return Lit(value=[v.value for v in values if isinstance(v, Lit)])
    if g.kind == "neg":
        inner = _to_expr(g.args[0])
        if isinstance(inner, Lit) and isinstance(inner.value, (int, float)) and not isinstance(
            inner.value, bool
        ):
            return Lit(value=-inner.value)
        if isinstance(inner, Dur):
            return Dur(duration=-inner.value)
        return Arith(arith="-", args=(Lit(value=0), inner))
    if g.kind == "binop" and g.op in ("+", "-", "*", "/"):
        return Arith(arith=g.op, args=(_to_expr(g.args[0]), _to_expr(g.args[1])))
    raise PolicyError(f"expected a value at position {g.pos}, found a condition")


def parse_condition(
    text: str, *, max_length: int = MAX_LENGTH, max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES, canonical: bool = True,
) -> CondNode:
    """The tree of a condition's text form, within the limits.

    The limits hold for the text given and (``canonical``) for the condition's own text,
    ``render_cond(tree)``, which may be longer (``vip`` is written ``vip == true``): so every
    condition that parses is written out as text that parses again (issue 10, item 4).
    """
    if not isinstance(text, str):
        raise PolicyError(f"a condition's text must be a string, got {type(text).__name__}")
    if len(text) > max_length:
        raise PolicyError(f"condition text longer than {max_length} characters")
    g = _Parser(text, max_depth=max_depth, max_nodes=max_nodes).parse()
    if _generic_depth(g) > max_depth + 1:  # before the (recursive) conversion
        raise PolicyError(f"condition nested deeper than {max_depth} levels")
    message = ""
    try:
        node = _to_cond(g)
    except ValidationError as exc:  # e.g. an invalid path segment
        message = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
    if message:  # raised here, so pydantic's error (it holds the input) is not its context
        raise PolicyError(message)
    if tree_depth(node) > max_depth:
        raise PolicyError(f"condition nested deeper than {max_depth} levels")
    if canonical:
        check_canonical(node, max_length=max_length, max_depth=max_depth, max_nodes=max_nodes)
    return node


def canonical_size(node: CondNode) -> tuple[int, int]:
    """``(nodes, depth)`` the parser counts on ``render_cond(node)``, computed from the tree.

    The data form and the text form are held to the same limits by measuring both on the text
    a condition is written as: every node of the parser counts (a path, a literal, each item
    of a list and the list itself, a negative number's sign, each operator), parentheses do
    not, and an ``and`` / ``or`` chain is one level. (A test checks this against the parser.)
    """
    nodes = 0
    deepest = 0
    todo: list[tuple[Any, int]] = [(node, 1)]
    values: list[tuple[Any, int]] = []  # the values of literals
    while todo:
        item, depth = todo.pop()
        if isinstance(item, (All, AnyOf)):
            parts = item.all if isinstance(item, All) else item.any
            if len(parts) == 1:  # written as its one part
                todo.append((parts[0], depth))
                continue
            nodes += len(parts) - 1  # the operators of one chain, at one level
            deepest = max(deepest, depth)
            todo.extend((part, depth + 1) for part in parts)
            continue
        deepest = max(deepest, depth)
        if isinstance(item, Not):
            nodes += 1
            todo.append((item.not_, depth + 1))
        elif isinstance(item, Compare):
            nodes += 1
            todo.extend(((item.left, depth + 1), (item.right, depth + 1)))
        elif isinstance(item, Arith):
            nodes += 1
            todo.extend((arg, depth + 1) for arg in item.args)
        elif isinstance(item, Dur):
            negative = item.duration.startswith("-")
            nodes += 1 + negative
            deepest = max(deepest, depth + negative)
        elif isinstance(item, Lit):
            values.append((item.value, depth))
        else:  # Ref, Exists
            nodes += 1
    while values:
        value, depth = values.pop()
        nodes += 1
        if isinstance(value, tuple):
            deepest = max(deepest, depth)
            values.extend((v, depth + 1) for v in value)
        elif (value.__class__ is int and value < 0) or (
                value.__class__ is float and math.copysign(1.0, value) < 0):
            nodes += 1  # a negative number is written with its sign, a node of its own
            deepest = max(deepest, depth + 1)
        else:
            deepest = max(deepest, depth)
    return nodes, deepest


def check_canonical(
    node: CondNode, *, max_length: int = MAX_LENGTH, max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
) -> int:
    """Raise :class:`PolicyError` unless ``render_cond(node)`` parses within the limits; its
    length if it does."""
    nodes, depth = canonical_size(node)
    if depth > max_depth + 1:
        raise PolicyError(f"condition nested deeper than {max_depth} levels")
    if nodes > max_nodes:
        raise PolicyError(f"condition has more than {max_nodes} nodes")
    length = len(render_cond(node))
    if length > max_length:
        raise PolicyError(f"condition text longer than {max_length} characters")
    return length


def _generic_depth(g: _G) -> int:
    """Depth of the tree the parse will become (and/or chains flatten), without recursion."""
    best = 0
    todo: deque[tuple[_G, int]] = deque([(g, 1)])
    while todo:
        item, depth = todo.pop()
        best = max(best, depth)
        for child in item.args:
            same_chain = (
                item.kind == "binop" and item.op in ("and", "or") and child.kind == "binop"
                and child.op == item.op and not child.paren
            )
            todo.append((child, depth if same_chain else depth + 1))
    return best


def tree_depth(node: CondNode | ExprNode) -> int:
    """Depth of a condition tree, counting every condition and expression node (iterative)."""
    best = 0
    todo: deque[tuple[Any, int]] = deque([(node, 1)])
    while todo:
        item, depth = todo.pop()
        best = max(best, depth)
        if isinstance(item, All):
            children: tuple[Any, ...] = item.all
        elif isinstance(item, AnyOf):
            children = item.any
        elif isinstance(item, Not):
            children = (item.not_,)
        elif isinstance(item, Compare):
            children = (item.left, item.right)
        elif isinstance(item, Arith):
            children = item.args
        else:
            children = ()
        todo.extend((child, depth + 1) for child in children)
    return best


# -- rendering ---------------------------------------------------------------------------------

_ARITH_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


def render_expr(e: ExprNode) -> str:
    if isinstance(e, Ref):
        return e.field
    if isinstance(e, Dur):
        return e.duration
    if isinstance(e, Lit):
        return render_literal(e.value)
    prec = _ARITH_PREC[e.arith]
    left, right = e.args
    ls, rs = render_expr(left), render_expr(right)
    if isinstance(left, Arith) and _ARITH_PREC[left.arith] < prec:
        ls = f"({ls})"
    if isinstance(right, Arith) and _ARITH_PREC[right.arith] <= prec:
        rs = f"({rs})"
    return f"{ls} {e.arith} {rs}"


def render_literal(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_literal(v) for v in value) + "]"
    raise PolicyError(f"cannot render a literal of type {type(value).__name__}")


def render_cond(c: CondNode) -> str:
    if isinstance(c, Compare):
        return f"{render_expr(c.left)} {c.op} {render_expr(c.right)}"
    if isinstance(c, Exists):
        return f"exists({c.exists})"
    if isinstance(c, Not):
        inner = c.not_
        text = render_cond(inner)
        return f"not ({text})" if isinstance(inner, (All, AnyOf)) else f"not {text}"
    if isinstance(c, All):
        return " and ".join(
            f"({render_cond(p)})" if isinstance(p, (All, AnyOf)) else render_cond(p)
            for p in c.all
        )
    return " or ".join(
        f"({render_cond(p)})" if isinstance(p, AnyOf) else render_cond(p) for p in c.any
    )


__all__ = ["DURATION_FULL", "canonical_size", "check_canonical", "parse_condition", "render_cond",
           "render_expr"]
