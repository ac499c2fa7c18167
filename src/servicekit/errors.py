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
    "InvalidInputError",
    "NaiveDatetimeError",
    "PolicyError",
    "ServiceKitError",
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
