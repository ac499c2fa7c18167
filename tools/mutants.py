"""The mutants of one module: small, plausible mistakes, each a one-place change of the source.

Used by ``tools/mutate.py``. A mutant is found on the syntax tree and applied to the *text*, so the
rest of the file (comments, layout, line numbers) is untouched and a diff shows one change. The
operators are the mistakes a reviewer worries about:

=============  ==================================================================================
``compare``    ``<`` ↔ ``<=``, ``>`` ↔ ``>=``, ``==`` ↔ ``!=``, ``in`` ↔ ``not in``, ``is`` ↔
               ``is not`` (one operator of a chain at a time)
``boolop``     ``and`` ↔ ``or``
``negate``     the test of an ``if`` / ``while`` / ``x if c else y`` negated
``not``        ``not x`` → ``x``
``raise``      ``raise …`` → ``pass``
``return``     ``return x`` → ``return None``
``constant``   an integer or float ``n`` → ``n + 1``; ``True`` ↔ ``False``
``arith``      ``+`` ↔ ``-``, ``*`` ↔ ``/``, ``//`` → ``/``, ``%`` → ``*`` (also in ``x += …``)
``loop``       ``break`` ↔ ``continue``
``minmax``     ``min(…)`` ↔ ``max(…)``
=============  ==================================================================================

Not mutated: docstrings and other strings, annotations, f-string internals, ``if TYPE_CHECKING``
blocks, ``__all__``, and lines marked ``# pragma: no cover`` (declared unreachable) or
``# pragma: no mutate``.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_ARITH: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.Mult,
}
_PRAGMAS = ("pragma: no cover", "pragma: no mutate")


@dataclass(frozen=True)
class Mutant:
    """One change: the bytes ``start:end`` of the module's source become ``now``."""

    module: str  # path under src/servicekit, e.g. "calendar/_hours.py"
    qualname: str  # the enclosing function or class, "<module>" at the top level
    op: str
    line: int
    end_line: int
    start: int  # byte offsets into the UTF-8 source
    end: int
    was: str
    now: str
    nth: int = 0  # the same change in the same place more than once (rare)

    @property
    def key(self) -> str:
        """A name that survives unrelated edits: module, function, what changes to what."""
        suffix = f" #{self.nth + 1}" if self.nth else ""
        return f"{self.module} | {self.qualname} | {_flat(self.was)} -> {_flat(self.now)}{suffix}"

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.now.encode() + source[self.end :]

    def diff(self, source: bytes) -> str:
        """The changed lines, ``-`` before and ``+`` after, with line numbers."""
        old_lines = source.decode().splitlines()
        new_lines = self.apply(source).decode().splitlines()
        count = self.end_line - self.line + 1
        added = len(new_lines) - len(old_lines)
        before = old_lines[self.line - 1 : self.line - 1 + count]
        after = new_lines[self.line - 1 : self.line - 1 + count + added]
        out = [f"{self.module}:{self.line} ({self.qualname}, {self.op})"]
        out += [f"  - {text}" for text in before]
        out += [f"  + {text}" for text in after]
        return "\n".join(out)


def _flat(text: str) -> str:
    return " ".join(text.split())


def mutants_of(module: str, source: bytes) -> list[Mutant]:
    """Every mutant of ``source``, in source order."""
    tree = ast.parse(source)
    lines = source.split(b"\n")
    offsets = [0]
    for text in lines:
        offsets.append(offsets[-1] + len(text) + 1)
    finder = _Finder(module, source, offsets, lines)
    finder.visit(tree)
    seen: dict[str, int] = {}
    out = []
    for m in finder.found:
        base = Mutant(**{**m.__dict__, "nth": 0}).key
        nth = seen.get(base, 0)
        seen[base] = nth + 1
        out.append(Mutant(**{**m.__dict__, "nth": nth}))
    return out


class _Finder(ast.NodeVisitor):
    def __init__(self, module: str, source: bytes, offsets: list[int], lines: list[bytes]) -> None:
        self.module = module
        self.source = source
        self.offsets = offsets
        self.lines = lines
        self.scope: list[str] = []
        self.found: list[Mutant] = []

    # -- where we are, what is skipped ---------------------------------------------------------

    def _qualname(self) -> str:
        return ".".join(self.scope) or "<module>"

    def _span(self, node: ast.AST) -> tuple[int, int]:
        start = self.offsets[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
        end = self.offsets[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        return start, end

    def _marked(self, node: ast.AST) -> bool:
        text = self.lines[node.lineno - 1].decode(errors="replace")  # type: ignore[attr-defined]
        return any(p in text for p in _PRAGMAS)

    def _add(self, node: ast.AST, op: str, now: str, *, span: ast.AST | None = None) -> None:
        where = span or node
        if self._marked(where):
            return
        start, end = self._span(where)
        was = self.source[start:end].decode()
        self.found.append(
            Mutant(
                module=self.module,
                qualname=self._qualname(),
                op=op,
                line=where.lineno,
                end_line=where.end_lineno,  # type: ignore[attr-defined]
                start=start,
                end=end,
                was=was,
                now=now,
            )
        )

    def _expr(self, node: ast.expr, op: str, replacement: ast.expr) -> None:
        self._add(node, op, f"({ast.unparse(replacement)})")

    # -- scopes and things never mutated ----------------------------------------------------------

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        if not isinstance(node, ast.ClassDef):
            self._arguments(node.args)
        else:
            for b in node.bases:
                self.visit(b)
            for k in node.keywords:
                self.visit(k)
        self.scope.append(node.name)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        for stmt in body:
            self.visit(stmt)
        self.scope.pop()

    visit_FunctionDef = _scoped
    visit_AsyncFunctionDef = _scoped
    visit_ClassDef = _scoped

    def _arguments(self, args: ast.arguments) -> None:
        for default in [*args.defaults, *[d for d in args.kw_defaults if d is not None]]:
            self.visit(default)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return

    def visit_Assert(self, node: ast.Assert) -> None:
        return

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        self._negate(node.test)
        self.generic_visit(node)

    # -- the operators -----------------------------------------------------------------------------

    def _negate(self, test: ast.expr) -> None:
        flips = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot, ast.In, ast.NotIn)
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], flips):
            return  # the same mutant as the operator's flip
        if not isinstance(test, ast.UnaryOp | ast.Constant):
            self._expr(test, "negate", ast.UnaryOp(op=ast.Not(), operand=test))

    def visit_While(self, node: ast.While) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for i, cmp in enumerate(node.ops):
            swap = _COMPARE.get(type(cmp))
            if swap is not None:
                changed = copy.deepcopy(node)
                changed.ops[i] = swap()
                self._expr(node, "compare", changed)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        self._expr(node, "boolop", ast.BoolOp(op=other, values=node.values))
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self._expr(node, "not", node.operand)
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        swap = _ARITH.get(type(node.op))
        text = (ast.Constant, ast.JoinedStr)
        stringy = any(
            isinstance(side, text) and isinstance(getattr(side, "value", ""), str | bytes)
            for side in (node.left, node.right)
        )
        if swap is not None and not stringy:
            self._expr(node, "arith", ast.BinOp(left=node.left, op=swap(), right=node.right))
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        swap = _ARITH.get(type(node.op))
        if swap is not None:
            changed = ast.AugAssign(target=node.target, op=swap(), value=node.value)
            self._add(node, "arith", ast.unparse(changed))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self._add(node, "constant", str(not value))
        elif isinstance(value, int | float) and value + 1 != value:
            self._add(node, "constant", repr(value + 1))

    def visit_Raise(self, node: ast.Raise) -> None:
        self._add(node, "raise", "pass")

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None
        ):
            self._add(node, "return", "return None")
        self.generic_visit(node)

    def visit_Break(self, node: ast.Break) -> None:
        self._add(node, "loop", "continue")

    def visit_Continue(self, node: ast.Continue) -> None:
        self._add(node, "loop", "break")

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
            other = "max" if node.func.id == "min" else "min"
            self._add(node.func, "minmax", other)
        self.generic_visit(node)

