"""The JSON forms of servicekit's results: one set of rules for every ``to_dict()``.

Every ``to_dict()`` (SLA reports and their parts, decisions, remedies, the aggregates) returns
data made only of ``str``, ``int``, ``float``, ``bool``, ``None``, ``list`` and ``dict`` (string
keys), so ``json.dumps`` writes it as it is and any host can send it. The rules:

* **instants** are ISO 8601 text with their UTC offset, as ``datetime.isoformat()`` writes
  them (``2026-10-08T10:30:00+08:00``; ``.ffffff`` when there are microseconds), in the zone
  the object gives them in (an offset with seconds, local mean time before 1901, is written in
  UTC, as RFC 3339 has no such offsets);
* **durations** are a number of seconds: an integer when whole, else a float whose fraction
  is the microseconds (``14400``, ``0.000001``; exact to the microsecond below 285 years);
* tuples, lists and sets (sorted) are arrays; mappings, named tuples and models are objects;
  ``None`` is ``null``.

Each JSON form has a JSON Schema (draft 2020-12), from ``json_schema()`` beside it; the pieces
they share are here (:data:`INSTANT`, :data:`SECONDS` …).
"""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, JsonValue

from servicekit.errors import InvalidInputError
from servicekit.rules._values import check_json

__all__ = [
    "DIALECT",
    "INSTANT",
    "SECONDS",
    "document",
    "embedded",
    "instant",
    "json_ready",
    "nullable",
    "obj",
    "schema_of",
    "seconds",
]

#: the JSON Schema dialect of every ``json_schema()``
DIALECT = "https://json-schema.org/draft/2020-12/schema"
_MINUTE = timedelta(minutes=1)

#: an instant: ISO 8601 with its offset (``format`` for validators that check it, and a
#: pattern for those that do not)
INSTANT: dict[str, Any] = {
    "type": "string", "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?[+-]\d{2}:\d{2}$",
}
#: a duration: a number of seconds (negative for a clock past its target)
SECONDS: dict[str, Any] = {"type": "number", "description": "a duration in seconds"}


def instant(value: datetime) -> str:
    """An instant as ISO 8601 text with its offset (in UTC when the offset has seconds)."""
    offset = value.utcoffset()
    if offset is None:  # never from the engine (every instant is aware): the type says why
        raise InvalidInputError("an instant in JSON needs an offset (got a naive datetime)")
    if offset % _MINUTE:
        value = value.astimezone(UTC)
    return value.isoformat()


def seconds(value: timedelta) -> int | float:
    """A duration as a number of seconds: an integer when whole."""
    if value.microseconds == 0:
        return value.days * 86_400 + value.seconds
    return value.total_seconds()


def _convert(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, timedelta):
        return seconds(value)
    if isinstance(value, tuple) and hasattr(value, "_asdict"):  # a named tuple: an object
        return {k: _convert(v) for k, v in value._asdict().items()}
    if isinstance(value, Mapping):
        return {k: _convert(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_convert(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [_convert(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            raise InvalidInputError(
                "a set in JSON is written sorted; its items do not sort (got "
                f"{type(value).__name__})") from None
    if isinstance(value, BaseModel):
        return _convert(value.model_dump())
    return value  # check_json names the type


def json_ready(value: Any, where: str = "value") -> Any:
    """``value`` as JSON data by the rules above: plain ``dict``/``list`` copies, checked.

    Anything with no JSON form is an :class:`~servicekit.errors.InvalidInputError` naming
    ``where`` and the type found (never the value: it may be personal data).
    """
    try:
        return check_json(_convert(value))
    except ValueError as exc:
        message = str(exc)
    raise InvalidInputError(f"{where}: no JSON form: {message}")


# -- schema pieces ---------------------------------------------------------------------------


def nullable(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null``."""
    return {"anyOf": [dict(schema), {"type": "null"}]}


def obj(properties: Mapping[str, Mapping[str, Any]], *, title: str | None = None,
        description: str | None = None, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object: every property required except ``optional``, no other property."""
    out: dict[str, Any] = {"type": "object"}
    if title is not None:
        out["title"] = title
    if description is not None:
        out["description"] = description
    out["properties"] = {k: copy.deepcopy(dict(v)) for k, v in properties.items()}
    out["required"] = [k for k in properties if k not in optional]
    out["additionalProperties"] = False
    return out


def document(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A schema as a document of its own: the dialect first, the rest a fresh copy."""
    body = {k: v for k, v in copy.deepcopy(dict(schema)).items() if k != "$schema"}
    return {"$schema": DIALECT, **body}


def embedded(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A document's schema to nest in another (without its ``$schema``)."""
    return {k: v for k, v in copy.deepcopy(dict(schema)).items() if k != "$schema"}


_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"}, int: {"type": "integer"}, float: {"type": "number"},
    bool: {"type": "boolean"}, type(None): {"type": "null"},
    datetime: INSTANT, AwareDatetime: INSTANT, timedelta: SECONDS,
}


def schema_of(annotation: Any) -> dict[str, Any]:
    """The JSON Schema of a value of type ``annotation`` written by :func:`json_ready`.

    Covers what the aggregates hold: scalars, instants, durations, optional and union types,
    literals, tuples, lists and sets, string-keyed mappings, named tuples and JSON values. Any
    other type is a ``TypeError`` (a field the JSON form does not know yet: the tests find it).
    """
    if annotation is Any or annotation is JsonValue:
        return {}
    found = _SCALARS.get(annotation)
    if found is not None:
        return copy.deepcopy(found)
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin is typing.Annotated:
        return schema_of(args[0])
    if origin in (typing.Union, types.UnionType):
        options = [schema_of(a) for a in args if a is not type(None)]
        if type(None) in args:
            options.append({"type": "null"})
        return options[0] if len(options) == 1 else {"anyOf": options}
    if origin is Literal:
        return {"enum": list(args)}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": schema_of(args[0])}
        return {"type": "array", "prefixItems": [schema_of(a) for a in args],
                "items": False}
    if origin in (list, set, frozenset):
        return {"type": "array", "items": schema_of(args[0]) if args else {}}
    if origin in (dict, Mapping) or annotation in (dict, Mapping):
        value = args[1] if len(args) == 2 else Any
        return {"type": "object", "additionalProperties": schema_of(value)}
    if isinstance(annotation, type) and issubclass(annotation, tuple) and hasattr(
            annotation, "_fields"):
        hints = typing.get_type_hints(annotation)
        return obj({name: schema_of(hints[name]) for name in annotation._fields},
                   title=annotation.__name__)
    raise TypeError(f"no JSON schema for {annotation!r}")
