"""The exception hierarchy of servicekit.

Every error the library raises on bad input is a :class:`ServiceKitError`. Messages name the
field, the type of the offending value and what was expected; they never repeat the value itself
when it could carry personal data (names, phone numbers, free text).

The classes also derive from the built-in exception a Python developer would expect
(``ValueError`` for a wrong value, ``TypeError`` for a wrong type), so generic handlers keep
working.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "CalendarCoverageError",
    "CalendarError",
    "CommandRefused",
    "ConcurrencyConflict",
    "InvalidInputError",
    "NaiveDatetimeError",
    "NotFoundError",
    "PermissionDenied",
    "PolicyError",
    "ServiceKitError",
    "StorageError",
    "TransitionRejected",
]


class ServiceKitError(Exception):
    """Root of every error servicekit raises on purpose.

    ``problems`` lists every problem found (a validation reports all of them, not just the
    first); for a single problem it holds the message.
    """

    def __init__(self, message: str, *, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)


class InvalidInputError(ServiceKitError, ValueError):
    """An argument has the wrong value or shape; nothing was changed."""


class NaiveDatetimeError(InvalidInputError, TypeError):
    """A datetime without a time zone was given where an aware one is required."""


class CalendarError(InvalidInputError):
    """A business calendar is malformed (hours, zone, country) or cannot answer a question."""


class CalendarCoverageError(CalendarError):
    """The calendar's holiday data does not cover a year that a computation reached.

    Raised by :meth:`servicekit.calendar.BusinessCalendar.china` calendars (with the default
    ``beyond_coverage="raise"``) instead of silently treating an unannounced year as ordinary.
    ``year`` is the year that was needed.
    """

    def __init__(self, message: str, *, year: int) -> None:
        super().__init__(message)
        self.year = year


class PolicyError(InvalidInputError):
    """A rule, condition, decision table or policy document is invalid or cannot be evaluated.

    Raised for text that does not parse (with the position), documents that do not validate
    (every problem, with its location and, where the format gives one, its line), conditions that
    compare incompatible types (naming the path), and ``unique`` tables with several matches.
    """


class CommandRefused(ServiceKitError):
    """A command on an aggregate was refused; nothing was changed.

    ``command``, ``state`` and ``reason`` say which command, in which state, and why; the
    message names the three and never an actor, a customer or free text. Catch this to handle
    both :class:`TransitionRejected` and :class:`PermissionDenied`.
    """

    verb: str = "refused"

    def __init__(self, command: str, state: str, reason: str) -> None:
        super().__init__(f"{command} {self.verb} in state {state!r}: {reason}")
        self.command = command
        self.state = state
        self.reason = reason


class TransitionRejected(CommandRefused):
    """The command is not allowed in the aggregate's current state.

    The process has no such transition from this state, its guard is false (for instance the
    reopen window has passed), or the command's arguments break a rule of the ticket
    (escalation only goes up).
    """

    verb = "rejected"


class PermissionDenied(CommandRefused):
    """The actor's roles do not allow the command (P-08: authority is explicit), or a
    customer acts on a ticket that is not theirs."""

    verb = "not permitted"


class ConcurrencyConflict(ServiceKitError):
    """Another writer appended to the stream first: the expected version is out of date.

    Nothing was written. Load the stream again, re-apply the command and retry (or report the
    conflict). ``expected`` and ``actual`` are the versions; ``stream_id`` is kept as an
    attribute, out of the message.
    """

    def __init__(self, stream_id: str, *, expected: int, actual: int) -> None:
        super().__init__(
            f"concurrency conflict: expected stream version {expected}, found {actual}"
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class NotFoundError(ServiceKitError, LookupError):
    """A repository has no aggregate under the id asked for (the id is not repeated)."""


class StorageError(ServiceKitError):
    """A storage adapter could not do its work (the database is locked past the timeout,
    unavailable, or the store was closed). Nothing was written; the operation may be retried
    (not after ``close()``)."""
