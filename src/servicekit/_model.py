"""Shared pydantic plumbing: frozen value models whose validation errors are ServiceKitErrors.

Pydantic's own ``ValidationError`` repeats the rejected input in its message; ours do not (the
input could be personal data). They list every problem with its location and the type of the
value found.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from servicekit.errors import InvalidInputError, ServiceKitError

__all__ = ["ValueModel", "describe_validation_error"]


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(document)"


def describe_validation_error(exc: ValidationError) -> list[str]:
    """One line per problem: ``location: message (got <type>)``, without the input value."""
    lines: list[str] = []
    for err in exc.errors(include_url=False):
        msg = str(err["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
        got = type(err.get("input")).__name__
        lines.append(f"{_location(tuple(err['loc']))}: {msg} (got {got})")
    return lines


class ValueModel(BaseModel):
    """A frozen pydantic model that raises ``error_class`` instead of ``ValidationError``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    error_class: ClassVar[type[ServiceKitError]] = InvalidInputError

    @classmethod
    def _raise(cls, exc: ValidationError) -> ServiceKitError:
        lines = describe_validation_error(exc)
        head = f"invalid {cls.__name__}: " if len(lines) == 1 else f"invalid {cls.__name__}:\n  "
        return cls.error_class(head + "\n  ".join(lines), problems=lines)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise self._raise(exc) from None

    # Tell pydantic this __init__ only wraps errors, so nested validation (a calendar inside a
    # policy) keeps using the core validator and reports nested locations precisely.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

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
            raise cls._raise(exc) from None

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
            raise cls._raise(exc) from None
