"""JSON payloads that cannot change: the data events and aggregates carry (issue 10, item 7).

Every payload a caller hands over (an event's ``fields``, a ticket's ``attributes``, a case's
data) is checked to be JSON data and copied into :class:`FrozenDict` / :class:`FrozenList`:
a ``dict`` and a ``list`` that refuse to change. They compare, serialise, pickle and copy as
the built-ins do, so a host reads them as plain JSON; ``dict(p)`` / ``list(p)`` (or
``p.copy()``) give a mutable copy. A history therefore means the same thing in every ticket
derived from it and in every store that holds it.

JSON data here is what every store keeps exactly: strings, integers that fit in 64 bits,
finite floats, booleans, ``None``, lists and string-keyed mappings, nested at most
:data:`MAX_DEPTH` levels. Tuples are read as lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from math import isfinite
from typing import Any, NoReturn

from servicekit.errors import InvalidInputError, Problem, ReadOnlyError

__all__ = ["MAX_DEPTH", "MAX_INT", "FrozenDict", "FrozenList", "freeze_json", "frozen",
           "frozen_dict", "frozen_valid"]

#: how deep a payload may nest (lists and mappings)
MAX_DEPTH = 64
#: the largest integer magnitude a payload holds (64-bit signed: what every store keeps)
MAX_INT = 2**63 - 1


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise ReadOnlyError(f"a {type(self).__name__} is read-only; copy it (dict(...) / "
                        "list(...)) to change it")


class FrozenDict(dict[str, Any]):
    """A read-only ``dict`` (a payload's mapping)."""

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> FrozenDict:
        self = dict.__new__(cls)
        dict.update(self, *args, **kwargs)
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Filled by ``__new__``: calling ``__init__`` again changes nothing."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __repr__(self) -> str:
        return dict.__repr__(self)

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse


class FrozenList(list[Any]):
    """A read-only ``list`` (a payload's array)."""

    __slots__ = ()

    def __new__(cls, items: Iterable[Any] = ()) -> FrozenList:
        self = list.__new__(cls)
        list.extend(self, items)
        return self

    def __init__(self, items: Iterable[Any] = ()) -> None:
        """Filled by ``__new__``: calling ``__init__`` again changes nothing."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenList, (list(self),))

    def __repr__(self) -> str:
        return list.__repr__(self)

    __setitem__ = __delitem__ = append = extend = insert = pop = remove = clear = _refuse
    sort = reverse = _refuse
    __iadd__ = __imul__ = _refuse


_dict_new = dict.__new__
_dict_update = dict.update


def frozen_dict(data: Mapping[str, Any]) -> FrozenDict:
    """``FrozenDict(data)`` (a shallow copy) without the Python-level constructor: the
    engine's hot paths build one per command and per replay."""
    out: FrozenDict = _dict_new(FrozenDict)
    _dict_update(out, data)
    return out


def _problem(where: str, loc: tuple[str | int, ...], msg: str) -> InvalidInputError:
    problem = Problem(loc, "json_type", msg)
    return InvalidInputError(f"{where}: {problem}", problems=(problem,))


def freeze_json(where: str, value: object, *, loc: tuple[str | int, ...] = ()) -> Any:
    """A read-only deep copy of ``value`` if it is JSON data; ``InvalidInputError`` naming
    ``where``, the position (after ``loc``) and the type otherwise. Keys are named by their
    index (a key may be personal data), values never."""
    return _freeze(where, value, loc, 0)


def _freeze(where: str, value: object, loc: tuple[str | int, ...], depth: int) -> Any:
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        if not -MAX_INT <= value <= MAX_INT:
            raise _problem(where, loc, "an integer must fit in 64 bits (got a larger int)")
        return value
    if isinstance(value, float):
        if not isfinite(value):
            raise _problem(where, loc, "a JSON number is finite (got float)")
        return value
    if depth >= MAX_DEPTH:
        raise _problem(where, loc, f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, Mapping):
        out = {}
        for i, (k, v) in enumerate(value.items()):
            if not isinstance(k, str):
                raise _problem(where, (*loc, i),
                               f"a key must be a string (got {type(k).__name__})")
            out[k] = _freeze(where, v, (*loc, i), depth + 1)
        return FrozenDict(out)
    if isinstance(value, (list, tuple)):
        return FrozenList([_freeze(where, v, (*loc, i), depth + 1)
                           for i, v in enumerate(value)])
    raise _problem(where, loc, f"must be JSON data (got {type(value).__name__})")


def frozen(value: Any) -> Any:
    """A read-only deep copy of JSON data already checked (mappings and lists become
    :class:`FrozenDict` / :class:`FrozenList`; nothing is checked)."""
    if isinstance(value, Mapping):
        return FrozenDict({k: frozen(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return FrozenList([frozen(v) for v in value])
    return value


def frozen_valid(value: Any) -> Any:
    """:func:`freeze_json` as a pydantic after-validator (raises ``ValueError``; the model's
    error names the field)."""
    if type(value) is FrozenDict or (type(value) is dict and not value):
        return value if value else FrozenDict()
    try:
        return freeze_json("payload", value)
    except InvalidInputError as exc:
        raise ValueError(str(exc.problems[0].msg) if exc.problems else "not JSON data"
                         ) from None
