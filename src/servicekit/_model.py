"""Shared pydantic plumbing: frozen value models whose validation errors are ServiceKitErrors.

Pydantic's own ``ValidationError`` repeats the rejected input in its message; ours do not (the
input could be personal data). They list every problem with its location and the type of the
value found, each as a :class:`~servicekit.errors.Problem` (location, type, message).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, PlainSerializer, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from servicekit.errors import InvalidInputError, Problem, ServiceKitError

__all__ = [
    "NameSet",
    "RaisesServiceKitErrors",
    "ValueModel",
    "describe_validation_error",
    "problems_error",
]

#: A set of names, written out sorted so that dumps and policy diffs do not depend on the
#: process's string hashing.
NameSet = Annotated[frozenset[str], PlainSerializer(sorted, return_type=list[str])]


# pydantic inserts union tags and validator wrappers into locations; people do not need them
_TAG_SEGMENTS = frozenset({"field", "value", "duration", "arith", "all", "any", "not", "exists",
                           "compare", "str"})


def _clean(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    out: list[int | str] = []
    for part in loc:
        if isinstance(part, str) and ("[" in part or "(" in part):
            continue  # e.g. 'function-after[_check(), ...]', 'tagged-union[...]'
        if part == "compare" or (
            isinstance(part, str) and part in _TAG_SEGMENTS and out and out[-1] == part
        ):
            continue
        out.append(part)
    return tuple(out)


def _errors(exc: ValidationError) -> list[tuple[tuple[int | str, ...], Any]]:
    """(clean location, error) pairs, leaving out echoes of a deeper error at the same place.

    (A list whose item failed also reports being too short; the item's error says it all.)
    """
    pairs = [(_clean(tuple(err["loc"])), err) for err in exc.errors(include_url=False)]
    # every proper prefix of every location, once: linear in the errors (a check of each
    # against each was quadratic, 0.7 s for 4,000 errors)
    deeper = {loc[:n] for loc, _ in pairs for n in range(len(loc))}
    return [(loc, err) for loc, err in pairs if err["type"] != "too_short" or loc not in deeper]


def error_locs(exc: ValidationError) -> list[tuple[int | str, ...]]:
    """Each error's location in the document, without pydantic's internal segments."""
    return [loc for loc, _ in _errors(exc)]


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")


def _safe_loc(loc: tuple[int | str, ...], extra: bool) -> tuple[int | str, ...]:
    """A location that repeats no caller's text: a key that is not a plain identifier reads
    ``*``, and an unknown key ``(unknown field)`` whatever it looks like (keys are free text a
    caller chose, so they may be personal data; issue 10, item 15)."""
    out = tuple(part if isinstance(part, int) or _NAME.match(part) else "*" for part in loc)
    if extra and out:
        out = (*out[:-1], "(unknown field)")
    return out


def describe_validation_error(exc: ValidationError) -> list[Problem]:
    """One problem per error, ``location: message (got <type>)``, without the input value.

    Each is a :class:`~servicekit.errors.Problem` (a ``str``): its ``loc`` is the cleaned
    location, its ``type`` pydantic's error type (or the code of a check across fields, see
    :func:`problems_error`), its ``msg`` the text after the location.
    """
    problems: list[Problem] = []
    for raw, err in _errors(exc):
        loc = _safe_loc(raw, err["type"] == "extra_forbidden")
        msg = str(err["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
        got = type(err.get("input")).__name__
        problems.append(Problem(loc, str(err["type"]), f"{msg} (got {got})"))
    return problems


def problems_error(title: str, problems: Iterable[Problem], input_value: Any,
                   inputs: Iterable[Any] | None = None) -> ValidationError:
    """A ValidationError holding each problem as its own error, with its location and type.

    Raise it from a model validator (instead of a ``ValueError`` joining the messages) to keep
    checks across fields apart: pydantic prefixes the locations when the model is nested (a
    process inside a policy), and :func:`describe_validation_error` reads them back.
    """
    found = list(problems)
    values = list(inputs) if inputs is not None else [input_value] * len(found)
    errors: list[InitErrorDetails] = [
        # no context: the message is used as it is (no {placeholder} formatting)
        {"type": PydanticCustomError(p.type, p.msg), "loc": p.loc, "input": value}
        for p, value in zip(found, values, strict=True)
    ]
    return ValidationError.from_exception_data(title, errors)


class RaisesServiceKitErrors(BaseModel):
    """Mixin: validation raises ``error_class`` (a ServiceKitError) instead of ValidationError."""

    error_class: ClassVar[type[ServiceKitError]] = InvalidInputError

    @classmethod
    def _raise(cls, exc: ValidationError) -> ServiceKitError:
        return cls._error_of(describe_validation_error(exc))

    @classmethod
    def _error_of(cls, problems: list[Problem]) -> ServiceKitError:
        """``error_class`` listing ``problems`` under the model's name."""
        head = (f"invalid {cls.__name__}: " if len(problems) == 1
                else f"invalid {cls.__name__}:\n  ")
        return cls.error_class(head + "\n  ".join(problems), problems=problems)

    def __init__(self, /, *args: Any, **data: Any) -> None:
        try:
            super().__init__(*args, **data)
            return
        except ValidationError as exc:
            error = self._raise(exc)
        # raised outside the handler: pydantic's error (which holds the input) is not left
        # on __context__ (``from None`` only hides it)
        raise error

    # Tell pydantic this __init__ only wraps errors, so nested validation (a calendar inside a
    # policy) keeps using the core validator and reports nested locations precisely.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
            return
        except ValidationError:  # frozen: pydantic's error would repeat the value
            pass
        raise self.error_class(f"{type(self).__name__} is immutable; build a new value instead")

    @classmethod
    def model_validate(
        cls,
        obj: Any,
        *,
        strict: bool | None = None,
        extra: Any = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        try:
            return super().model_validate(
                obj,
                strict=strict,
                extra=extra,
                from_attributes=from_attributes,
                context=context,
                by_alias=by_alias,
                by_name=by_name,
            )
        except ValidationError as exc:
            error = cls._raise(exc)
        raise error

    @classmethod
    def model_validate_json(
        cls,
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        extra: Any = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        try:
            return super().model_validate_json(
                json_data, strict=strict, extra=extra, context=context, by_alias=by_alias,
                by_name=by_name,
            )
        except ValidationError as exc:
            error = cls._raise(exc)
        raise error


class ValueModel(RaisesServiceKitErrors):
    """A frozen pydantic model that raises ``error_class`` instead of ``ValidationError``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)

    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    # Values are equal when their fields are; private attributes hold caches (a calendar's
    # built years, a table's compiled rules) and take no part (pydantic's own __eq__ compares
    # them too). Models with dict fields are unhashable, as dicts are.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ValueModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))
