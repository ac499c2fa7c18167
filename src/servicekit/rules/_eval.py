"""Evaluation of conditions: one semantics, two evaluators.

``compare`` and ``arith`` define the semantics. ``compile_cond`` turns a condition into nested
closures for speed, with fast paths for the common shapes (a field against a string or number
literal) that fall back to ``compare`` for anything unusual, so they cannot disagree with it.
``trace_cond`` evaluates the same tree while recording every comparison with the actual values,
for explanations.

Semantics:

* a path that is missing (or runs through a missing or null value) makes every comparison on it
  false; ``exists(path)`` tests presence; ``x == null`` is true only for a present null;
* values compare within a family: numbers (not booleans), strings, booleans (``==``/``!=``
  only), aware datetimes, durations, lists. A string literal compared with a datetime or a
  duration is read as ISO-8601 / ``4h`` text. Any other mix raises :class:`PolicyError` naming
  the path and the two types (never the values);
* ``in`` / ``not in`` take a list (membership) or a string (substring); ``contains`` is the
  reverse; ``startswith`` / ``endswith`` take strings;
* arithmetic: numbers; datetime − datetime → duration; datetime ± duration; duration ± duration;
  duration × number; duration ÷ number; duration ÷ duration → number. Division by zero raises.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from servicekit.errors import InvalidInputError, NaiveDatetimeError, PolicyError
from servicekit.rules._ast import (
    All,
    Compare,
    CondNode,
    Dur,
    Exists,
    ExprNode,
    Lit,
    Not,
    Ref,
)
from servicekit.rules._text import render_cond, render_expr, render_literal
from servicekit.rules._values import (
    DURATION_FULL,
    MISSING,
    format_duration,
    is_number,
    parse_duration,
    plain_timedelta,
    type_name,
)

Facts = Any
Getter = Callable[[Facts], Any]
Pred = Callable[[Facts], bool]

_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


# -- reading facts -----------------------------------------------------------------------------


def _get_one(obj: Any, key: str) -> Any:
    """One step into an object that is neither a model nor a dataclass: mappings by key."""
    if isinstance(obj, Mapping):
        return obj.get(key, MISSING)
    return MISSING


def _declares(cls: type, key: str) -> bool | None:
    """Whether instances of ``cls`` declare field ``key`` (None: not a model, ask per object)."""
    fields = getattr(cls, "__pydantic_fields__", None)
    if fields is not None and issubclass(cls, BaseModel):
        return key in fields
    if dataclasses.is_dataclass(cls):
        return key in {f.name for f in dataclasses.fields(cls)}
    return None


def _step(key: str) -> Callable[[Any], Any]:
    """Read ``key`` from dicts, mappings, pydantic models and dataclasses.

    Which classes declare the key is remembered per step (a class's fields do not change), so
    reading a model field costs about what reading a dict key does.
    """
    known: dict[type, bool | None] = {}

    def step(obj: Any) -> Any:
        cls = obj.__class__
        if cls is dict:
            return obj.get(key, MISSING)
        try:
            declared = known[cls]
        except KeyError:
            declared = known[cls] = _declares(cls, key)
        if declared:
            return getattr(obj, key)
        if declared is False or obj is None or obj is MISSING:
            return MISSING
        return _get_one(obj, key)

    return step


def make_getter(path: str) -> Getter:
    steps = tuple(_step(k) for k in path.split("."))
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:
        first, second = steps

        def get2(facts: Facts) -> Any:
            obj = first(facts)
            return MISSING if obj is None or obj is MISSING else second(obj)

        return get2

    def get(facts: Facts) -> Any:
        obj = facts
        for step in steps:
            if obj is None or obj is MISSING:
                return MISSING
            obj = step(obj)
        return obj

    return get


def resolve(facts: Facts, path: str) -> Any:
    return make_getter(path)(facts)


# -- semantics ---------------------------------------------------------------------------------


def _family(v: Any) -> str:
    return type_name(v)


def _coerce(a: Any, b: Any, where: str) -> tuple[Any, Any]:
    """Read a string as a datetime / duration when the other side is one."""
    if isinstance(a, str) and isinstance(b, (datetime, timedelta)):
        b, a = _coerce(b, a, where)
        return a, b
    if isinstance(b, str):
        if isinstance(a, datetime):
            parsed = _iso_or_none(b)
            if parsed is None:  # raised here: the ValueError's message quotes the string
                raise PolicyError(
                    f"{where}: a datetime is compared with a string that is not ISO-8601")
            if parsed.tzinfo is None:
                raise NaiveDatetimeError(f"{where}: the datetime text has no time zone")
            return a, parsed
        if isinstance(a, timedelta) and DURATION_FULL.match(b):
            return a, parse_duration(b)
    return a, b


def _iso_or_none(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _operand(v: Any, where: str) -> Any:
    """An operand checked (datetimes must be aware) and plain.

    A datetime or timedelta of a subclass (pendulum ``DateTime`` and ``Duration``, pandas
    ``Timestamp``) becomes the equal plain stdlib value, so the arithmetic is the stdlib's
    (pendulum's ``-`` returns an ``Interval`` whose ``//`` and ``/`` reject a timedelta).
    """
    cls = v.__class__
    if cls is datetime:
        if v.tzinfo is None or v.utcoffset() is None:
            raise _naive(where)
        return v
    if cls is timedelta or not isinstance(v, (datetime, timedelta)):
        return v
    if isinstance(v, timedelta):
        return plain_timedelta(v)
    if v.tzinfo is None or v.utcoffset() is None:
        raise _naive(where)
    # imported only when a datetime subclass shows up (the calendar package loads numpy)
    from servicekit.calendar._convert import plain_datetime

    return plain_datetime(v, where)


def _naive(where: str) -> NaiveDatetimeError:
    return NaiveDatetimeError(f"{where}: naive datetime in the facts; datetimes must be aware")


def compare(a: Any, op: str, b: Any, where: str) -> bool:
    """The meaning of ``a op b``; ``where`` names the left side in messages.

    Facts nested so deeply that comparing them exhausts the stack (lists or mappings 100,000
    levels deep) are an :class:`InvalidInputError`, not a ``RecursionError``.
    """
    try:
        return _compare(a, op, b, where)
    except RecursionError:
        pass
    raise InvalidInputError(f"{where}: the facts are nested too deeply to compare")


def _compare(a: Any, op: str, b: Any, where: str) -> bool:
    if a is MISSING or b is MISSING:
        return False
    if op in ("==", "!="):
        if a is None or b is None:
            same = a is None and b is None
            return same if op == "==" else not same
    elif a is None or b is None:
        return False
    a, b = _operand(a, where), _operand(b, where)
    a, b = _coerce(a, b, where)
    a, b = _as_tuple(a), _as_tuple(b)
    fa, fb = _family(a), _family(b)
    if op in ("==", "!="):
        if fa != fb:
            raise PolicyError(f"{where}: cannot compare {fa} with {fb} using '{op}'")
        return bool(a == b) if op == "==" else bool(a != b)
    if op in _ORDER:
        if fa != fb or fa not in ("number", "string", "datetime", "duration"):
            raise PolicyError(f"{where}: cannot compare {fa} with {fb} using '{op}'")
        return bool(_ORDER[op](a, b))
    if op in ("in", "not in"):
        found = _member(a, b, fa, fb, where=where, op=op)
        return found if op == "in" else not found
    if op == "contains":
        return _member(b, a, fb, fa, where=where, op=op)
    if op in ("startswith", "endswith"):
        if fa != "string" or fb != "string":
            raise PolicyError(f"{where}: '{op}' takes strings, got {fa} and {fb}")
        return bool(a.startswith(b) if op == "startswith" else a.endswith(b))
    raise PolicyError(f"{where}: unknown operator '{op}'")  # pragma: no cover - validated


def _as_tuple(value: Any) -> Any:
    """Lists from the facts compare like the list literals (stored as tuples)."""
    if isinstance(value, list):
        return tuple(_as_tuple(v) for v in value)
    return value


def _member(item: Any, container: Any, fi: str, fc: str, *, where: str, op: str) -> bool:
    if fc == "string":
        if fi != "string":
            raise PolicyError(f"{where}: '{op}' a string needs a string, got {fi}")
        return bool(item in container)
    if fc != "list":
        raise PolicyError(f"{where}: '{op}' needs a list or a string, got {fc}")
    for element in container:
        if element is None:
            continue
        fe = _family(element)
        if fe != fi:
            raise PolicyError(f"{where}: cannot look for a {fi} among {fe} values using '{op}'")
    return item in container


def arith(op: str, a: Any, b: Any, where: str, *, zero_literal: bool = False) -> Any:
    """``a op b``; ``zero_literal`` says ``a`` is the literal ``0`` of the expression.

    The literal ``0`` also stands for the zero duration, since ``-x`` parses as ``0 - x``; a
    fact that happens to be ``0`` does not (``n + 1h`` is a type error whatever ``n`` holds).
    """
    if a is MISSING or b is MISSING or a is None or b is None:
        return MISSING
    a, b = _operand(a, where), _operand(b, where)
    a, b = _coerce(a, b, where)
    fa, fb = _family(a), _family(b)
    ok = (
        fa == fb == "number"
        or fa == fb == "duration"
        or (op == "-" and fa == fb == "datetime")
        or (op in "+-" and (fa, fb) == ("datetime", "duration"))
        or (op == "+" and (fa, fb) == ("duration", "datetime"))
        or (op in "*/" and (fa, fb) == ("duration", "number"))
        or (op == "*" and (fa, fb) == ("number", "duration"))
    )
    if not ok and zero_literal and fb == "duration" and op in "+-":
        a, fa, ok = timedelta(0), "duration", True  # `0 - x`: how `-x` of a duration parses
    if not ok or (op == "*" and fa == fb == "duration"):
        raise PolicyError(f"{where}: cannot apply '{op}' to {fa} and {fb}")
    if op == "/" and (b == 0 or (isinstance(b, timedelta) and not b)):
        raise PolicyError(f"{where}: division by zero")
    try:
        if fa == "datetime" or fb == "datetime":
            return _instant_arith(op, a, b)
        return _ARITH[op](a, b)
    except (OverflowError, ValueError, ArithmeticError):
        pass
    raise PolicyError(f"{where}: result out of range")


def _instant_arith(op: str, a: Any, b: Any) -> Any:
    """Datetime arithmetic on instants (elapsed time), not on wall clocks.

    Python subtracts two datetimes that share a tzinfo by their wall clocks, so an interval
    across a DST change would be an hour off; servicekit works in UTC and returns a datetime
    in the zone of the datetime operand.
    """
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.astimezone(UTC) - b.astimezone(UTC)
    moment, shift = (a, b) if isinstance(a, datetime) else (b, a)
    result = _ARITH[op](moment.astimezone(UTC), shift)
    return result.astimezone(moment.tzinfo)


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
}


# -- compiling to closures ---------------------------------------------------------------------


def compile_expr(e: ExprNode) -> Getter:
    if isinstance(e, Ref):
        return make_getter(e.field)
    if isinstance(e, (Lit, Dur)):
        value = e.value
        return lambda facts: value
    first = e.args[0]
    left, right = compile_expr(first), compile_expr(e.args[1])
    op, where = e.arith, render_expr(e)
    if _is_zero(first):
        return lambda facts: arith(op, left(facts), right(facts), where, zero_literal=True)
    return lambda facts: arith(op, left(facts), right(facts), where)


def _is_zero(e: ExprNode) -> bool:
    """The literal number ``0`` (not ``False``)."""
    return (
        isinstance(e, Lit) and isinstance(e.value, int | float)
        and not isinstance(e.value, bool) and e.value == 0
    )


def compile_cond(c: CondNode) -> Pred:
    if isinstance(c, Compare):
        return _compile_compare(c)
    if isinstance(c, Exists):
        get = make_getter(c.exists)
        return lambda facts: get(facts) is not MISSING
    if isinstance(c, Not):
        inner = compile_cond(c.not_)
        return lambda facts: not inner(facts)
    parts = tuple(compile_cond(p) for p in (c.all if isinstance(c, All) else c.any))
    if isinstance(c, All):
        if len(parts) == 2:
            p0, p1 = parts
            return lambda facts: p0(facts) and p1(facts)
        return lambda facts: all(p(facts) for p in parts)
    if len(parts) == 2:
        q0, q1 = parts
        return lambda facts: q0(facts) or q1(facts)
    return lambda facts: any(p(facts) for p in parts)


def where_of(c: Compare) -> str:
    """The side to name in messages: the path (or computed value), not a literal."""
    if isinstance(c.left, (Lit, Dur)) and not isinstance(c.right, (Lit, Dur)):
        return render_expr(c.right)
    return render_expr(c.left)


def _compile_compare(c: Compare) -> Pred:
    op, where = c.op, where_of(c)
    left = compile_expr(c.left)
    if isinstance(c.right, Lit) and isinstance(c.left, Ref):
        const = c.right.value
        fast = _fast_compare(left, op, const, where)
        if fast is not None:
            return fast
    right = compile_expr(c.right)
    return lambda facts: compare(left(facts), op, right(facts), where)


def _fast_compare(get: Getter, op: str, const: Any, where: str) -> Pred | None:
    """Closures for a field against a literal when the fact has the literal's exact type."""
    slow = compare
    if isinstance(const, str) and op in ("==", "!="):
        want = op == "=="

        def str_eq(facts: Facts) -> bool:
            v = get(facts)
            if v.__class__ is str:
                return (v == const) is want
            return slow(v, op, const, where)

        return str_eq
    if is_number(const) and (op in _ORDER or op in ("==", "!=")):  # is_number excludes bools
        fn = _ORDER.get(op) or (operator.eq if op == "==" else operator.ne)

        def num_cmp(facts: Facts) -> bool:
            v = get(facts)
            cls = v.__class__
            if cls is int or cls is float:
                return bool(fn(v, const))
            return slow(v, op, const, where)

        return num_cmp
    if isinstance(const, str) and op in ("startswith", "endswith"):
        method = str.startswith if op == "startswith" else str.endswith

        def str_affix(facts: Facts) -> bool:
            v = get(facts)
            if v.__class__ is str:
                return method(v, const)
            return slow(v, op, const, where)

        return str_affix
    if isinstance(const, bool) and op in ("==", "!="):
        want_bool = const if op == "==" else not const

        def bool_eq(facts: Facts) -> bool:
            v = get(facts)
            if v is True or v is False:
                return v is want_bool
            return slow(v, op, const, where)

        return bool_eq
    if isinstance(const, tuple) and op in ("in", "not in") and const and all(
        isinstance(x, str) for x in const
    ):
        members = frozenset(const)
        want_in = op == "in"

        def str_in(facts: Facts) -> bool:
            v = get(facts)
            if v.__class__ is str:
                return (v in members) is want_in
            return slow(v, op, const, where)

        return str_in
    return None


# -- tracing -----------------------------------------------------------------------------------


def _show(value: Any) -> str:
    if value is MISSING:
        return "missing"
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, datetime):
        return value.isoformat()
    try:
        return render_literal(value)
    except (PolicyError, RecursionError):  # not a literal, or nested too deeply to show
        pass
    return f"<{type(value).__name__}>"


def trace_cond(c: CondNode, facts: Facts, lines: list[str], indent: int = 0) -> bool:
    """Evaluate ``c`` (same semantics as the compiled form), appending one line per step."""
    pad = "  " * indent
    if isinstance(c, Compare):
        lv = compile_expr(c.left)(facts)
        rv = compile_expr(c.right)(facts)
        result = compare(lv, c.op, rv, where_of(c))
        shown = f"{render_expr(c.left)} = {_show(lv)}"
        if not isinstance(c.right, (Lit, Dur)):
            shown += f", {render_expr(c.right)} = {_show(rv)}"
        lines.append(f"{pad}{render_cond(c)}: {shown} -> {str(result).lower()}")
        return result
    if isinstance(c, Exists):
        result = resolve(facts, c.exists) is not MISSING
        lines.append(f"{pad}exists({c.exists}) -> {str(result).lower()}")
        return result
    if isinstance(c, Not):
        lines.append(f"{pad}not:")
        result = not trace_cond(c.not_, facts, lines, indent + 1)
        lines.append(f"{pad}-> {str(result).lower()}")
        return result
    is_all = isinstance(c, All)
    parts = c.all if isinstance(c, All) else c.any
    lines.append(f"{pad}{'all' if is_all else 'any'} of:")
    result = is_all
    for p in parts:
        value = trace_cond(p, facts, lines, indent + 1)
        if value != is_all:  # short-circuit exactly like the compiled form
            result = value
            break
    lines.append(f"{pad}-> {str(result).lower()}")
    return result
