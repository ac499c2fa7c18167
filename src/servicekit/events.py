"""The shared event vocabulary: what happened to a ticket, when.

Events are frozen pydantic models with an ``event_id`` (a fresh UUID unless the host gives
one), the ``ticket_id`` and ``at``, a timezone-aware instant. The ticket and complaint
aggregates emit them; hosts can also build them from their own data (an export of a help desk,
a message stream) and hand them to the SLA engine. ``Event.from_dict`` / ``event.to_dict``
round-trip through the ``type`` field.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal
from uuid import uuid4

from pydantic import (
    AwareDatetime,
    Field,
    JsonValue,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    WrapSerializer,
)

from servicekit._model import ValueModel, describe_validation_error
from servicekit.errors import InvalidInputError, ServiceKitError

__all__ = [
    "AgentReplied",
    "AnyEvent",
    "CustomerReplied",
    "Event",
    "PriorityChanged",
    "StageReached",
    "StatusChanged",
    "TicketAssigned",
    "TicketCancelled",
    "TicketClosed",
    "TicketCreated",
    "TicketEscalated",
    "TicketReopened",
    "TicketResolved",
]


def _new_id() -> str:
    return str(uuid4())


_MINUTE = timedelta(minutes=1)


def _instant_json(value: datetime, handler: SerializerFunctionWrapHandler) -> Any:
    """JSON keeps offsets to the minute; an offset with seconds (local mean time before 1901,
    for instance) is written in UTC instead, so the instant survives the round trip."""
    offset = value.utcoffset()
    if offset is not None and offset % _MINUTE:
        value = value.astimezone(UTC)
    return handler(value)


Instant = Annotated[AwareDatetime, WrapSerializer(_instant_json, when_used="json")]


class Event(ValueModel):
    """Common fields of every event."""

    error_class: ClassVar[type[ServiceKitError]] = InvalidInputError

    event_id: str = Field(default_factory=_new_id, min_length=1)
    ticket_id: str = Field(min_length=1)
    at: Instant
    by: str | None = Field(default=None, description="id of the actor who did it (P-08)")
    fields: dict[str, JsonValue] = Field(
        default_factory=dict,
        description="extra data the command carried (JSON values, so any store keeps them)",
    )

    @property
    def selector(self) -> str:
        """The name metrics match on: the type, qualified where the event has a qualifier."""
        return self.__class__.__name__

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @staticmethod
    def from_dict(data: Any) -> AnyEvent:
        """Build the right event class from its ``type`` (e.g. from ``to_dict`` output)."""
        try:
            return _ADAPTER.validate_python(data)
        except ValidationError as exc:
            lines = describe_validation_error(exc)
            raise InvalidInputError("invalid event: " + "; ".join(lines), problems=lines) from None


class TicketCreated(Event):
    """A ticket was opened: the facts SLA targets are chosen by."""

    type: Literal["TicketCreated"] = "TicketCreated"
    priority: str = Field(min_length=1)
    customer_id: str | None = None
    channel: str | None = None
    category: str | None = None
    subject: str | None = None
    customer_tier: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class StatusChanged(Event):
    """The status became ``status``; ``event`` names the process transition that moved it."""

    type: Literal["StatusChanged"] = "StatusChanged"
    status: str = Field(min_length=1)
    event: str | None = None

    @property
    def selector(self) -> str:
        return f"StatusChanged:{self.status}"


class AgentReplied(Event):
    type: Literal["AgentReplied"] = "AgentReplied"
    public: bool = True

    @property
    def selector(self) -> str:
        return "AgentReplied:public" if self.public else "AgentReplied:private"


class CustomerReplied(Event):
    type: Literal["CustomerReplied"] = "CustomerReplied"


class PriorityChanged(Event):
    type: Literal["PriorityChanged"] = "PriorityChanged"
    priority: str = Field(min_length=1)
    reason: str | None = None


class TicketAssigned(Event):
    type: Literal["TicketAssigned"] = "TicketAssigned"
    assignee: str = Field(min_length=1)


class TicketEscalated(Event):
    """The ticket was escalated to ``level`` (1 = first level of the chain, S-11)."""

    type: Literal["TicketEscalated"] = "TicketEscalated"
    level: int = Field(ge=1)
    reason: str | None = None


class TicketResolved(Event):
    type: Literal["TicketResolved"] = "TicketResolved"
    resolution: str | None = None


class TicketReopened(Event):
    type: Literal["TicketReopened"] = "TicketReopened"


class TicketClosed(Event):
    type: Literal["TicketClosed"] = "TicketClosed"


class TicketCancelled(Event):
    type: Literal["TicketCancelled"] = "TicketCancelled"
    reason: str | None = None


class StageReached(Event):
    """A process stage was reached (``StageReached:<stage>`` for metrics)."""

    type: Literal["StageReached"] = "StageReached"
    stage: str = Field(min_length=1)

    @property
    def selector(self) -> str:
        return f"StageReached:{self.stage}"


AnyEvent = Annotated[
    TicketCreated | StatusChanged | AgentReplied | CustomerReplied | PriorityChanged
    | TicketAssigned | TicketEscalated | TicketResolved | TicketReopened | TicketClosed
    | TicketCancelled | StageReached,
    Field(discriminator="type"),
]
_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)

EVENT_TYPES: tuple[str, ...] = (
    "TicketCreated", "StatusChanged", "AgentReplied", "CustomerReplied", "PriorityChanged",
    "TicketAssigned", "TicketEscalated", "TicketResolved", "TicketReopened", "TicketClosed",
    "TicketCancelled", "StageReached",
)
