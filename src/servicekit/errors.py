"""The exception hierarchy of servicekit.

Every error the library raises on bad input is a :class:`ServiceKitError`. Messages name the
field, the type of the offending value and what was expected; they never repeat the value itself
when it could carry personal data (names, phone numbers, free text).

The classes also derive from the built-in exception a Python developer would expect
(``ValueError`` for a wrong value, ``TypeError`` for a wrong type), so generic handlers keep
working.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

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
    "Problem",
    "ReadOnlyError",
    "ServiceKitError",
    "StorageError",
    "TransitionRejected",
    "UnknownCommand",
    "exception_chain",
]


_Loc = tuple[str | int, ...]


def _render_loc(loc: Iterable[str | int]) -> str:
    """A location as people read it: ``states[0].id`` (``""`` for the whole input)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


class Problem(str):
    """One problem found in an input: where (``loc``), what kind (``type``) and why (``msg``).

    The structured form of an entry of :attr:`ServiceKitError.problems`, as pydantic's
    ``ErrorDetails`` are, so that an adapter can report each with its location (an RFC 9457
    problem detail, a form field's error):

    * ``loc``: the path inside the input, keys and list indexes (``("states", 0, "id")``);
      ``()`` when the problem is about the input as a whole;
    * ``type``: a short machine-readable code: pydantic's own (``"missing"``,
      ``"too_short"``, ``"value_error"``…) where pydantic found the problem, servicekit's
      (``"unreachable_state"``, ``"duplicate_rule_id"``…) for the checks across fields;
    * ``msg``: the human text, without the location; like every servicekit message it names
      types and places, never the input's values.

    A problem *is* its text, ``"<location>: <msg>"`` (just ``msg`` when ``loc`` is empty), so
    code that reads ``problems`` as strings keeps working; equality and hashing are the
    string's. Problems are immutable and pickle.
    """

    __slots__ = ("loc", "msg", "type")

    loc: _Loc
    type: str
    msg: str

    def __new__(cls, loc: Iterable[str | int], type: str, msg: str) -> Problem:
        where = tuple(loc)
        for part in where:
            if not isinstance(part, (str, int)) or isinstance(part, bool):
                raise TypeError(
                    f"a location holds str keys and int indexes, got {part.__class__.__name__}"
                )
        if not isinstance(type, str) or not isinstance(msg, str):
            raise TypeError("a problem's type and msg are str")
        shown = _render_loc(where)
        self = super().__new__(cls, f"{shown}: {msg}" if shown else msg)
        object.__setattr__(self, "loc", where)
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "msg", str(msg))
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.loc, self.type, self.msg))

    def __repr__(self) -> str:
        return f"Problem(loc={self.loc!r}, type={self.type!r}, msg={self.msg!r})"


class ServiceKitError(Exception):
    """Root of every error servicekit raises on purpose.

    ``problems`` lists every problem found (a validation reports all of them, not just the
    first), each a :class:`Problem` with its location and type; for a single problem it holds
    the message, as a problem about the whole input (``loc == ()``) of type
    :attr:`problem_type`. Plain strings given as ``problems`` become such problems too.
    """

    #: The ``type`` of problems given as plain text (and of the default single problem).
    problem_type: ClassVar[str] = "error"

    def __init__(self, message: str, *, problems: Iterable[str] = ()) -> None:
        super().__init__(message)
        found = tuple(
            p if isinstance(p, Problem) else Problem((), self.problem_type, str(p))
            for p in problems
        )
        self.problems: tuple[Problem, ...] = found or (Problem((), self.problem_type, message),)


class InvalidInputError(ServiceKitError, ValueError):
    """An argument has the wrong value or shape; nothing was changed."""

    problem_type = "invalid_input"


class NaiveDatetimeError(InvalidInputError, TypeError):
    """A datetime without a time zone was given where an aware one is required."""

    problem_type = "naive_datetime"


class CalendarError(InvalidInputError):
    """A business calendar is malformed (hours, zone, country) or cannot answer a question."""

    problem_type = "calendar"


class CalendarCoverageError(CalendarError):
    """The calendar's holiday data does not cover a year that a computation reached.

    Raised by :meth:`servicekit.calendar.BusinessCalendar.china` calendars (with the default
    ``beyond_coverage="raise"``) instead of silently treating an unannounced year as ordinary.
    ``year`` is the year that was needed.
    """

    problem_type = "calendar_coverage"

    def __init__(self, message: str, *, year: int) -> None:
        super().__init__(message)
        self.year = year


class PolicyError(InvalidInputError):
    """A rule, condition, decision table or policy document is invalid or cannot be evaluated.

    Raised for text that does not parse (with the position), documents that do not validate
    (every problem, with its location and, where the format gives one, its line), conditions that
    compare incompatible types (naming the path), and ``unique`` tables with several matches.
    """

    problem_type = "invalid_policy"


class CommandRefused(ServiceKitError):
    """A command on an aggregate was refused; nothing was changed.

    ``command``, ``state`` and ``reason`` say which command, in which state, and why; the
    message names the three and never an actor, a customer or free text. Catch this to handle
    both :class:`TransitionRejected` and :class:`PermissionDenied`.
    """

    problem_type = "command_refused"
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
    (escalation only goes up). A command the process does not have at all is the subclass
    :class:`UnknownCommand`.
    """

    problem_type = "transition_rejected"
    verb = "rejected"


#: A command name a message may repeat: a plain lower-case identifier, as process events are.
#: Anything else may be text a host passed on from a user (issue 19: never repeated).
_COMMAND_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")


class UnknownCommand(TransitionRejected):
    """The process has no such command at all, in any state (a misspelt name, another
    process's command, one a host's process left out).

    A :class:`TransitionRejected`, so a handler of that still catches it; a command the process
    has but does not allow in the current state is a plain :class:`TransitionRejected`.
    ``process`` is the process's name and ``commands`` the commands it has (sorted), which the
    message lists. The message names the command only when it is a plain identifier
    (lower-case letters, digits and ``_``, at most 64 characters): anything else may be text a
    host passed on from a user, and reads "a command". ``command`` keeps what was given, as an
    attribute (out of the message, as :attr:`ConcurrencyConflict.stream_id` is).
    """

    problem_type = "unknown_command"
    verb = "unknown"

    def __init__(self, command: str, state: str, *, process: str,
                 commands: Iterable[str]) -> None:
        known = tuple(sorted(set(commands)))
        named = isinstance(command, str) and _COMMAND_NAME.match(command) is not None
        listed = ", ".join(known) if known else "none"
        reason = (f"the {process} process has no {command!r} event" if named
                  else f"the {process} process has no such event")
        ServiceKitError.__init__(
            self, f"{command if named else 'a command'} {self.verb} in state {state!r}: "
                  f"{reason}; its commands are {listed}")
        self.command = command
        self.state = state
        self.reason = reason
        self.process = process
        #: the process's commands, sorted
        self.commands = known


class PermissionDenied(CommandRefused):
    """The actor's roles do not allow the command (P-08: authority is explicit), or a
    customer acts on a ticket that is not theirs."""

    problem_type = "permission_denied"
    verb = "not permitted"


class ConcurrencyConflict(ServiceKitError):
    """Another writer appended to the stream first: the expected version is out of date.

    Nothing was written. Load the stream again, re-apply the command and retry (or report the
    conflict). ``expected`` and ``actual`` are the versions; ``stream_id`` is kept as an
    attribute, out of the message. ``reason``, when given, says why a retry cannot succeed
    (a retry dated before the other writer's event: ``Repository.update``).
    """

    problem_type = "concurrency_conflict"

    def __init__(self, stream_id: str, *, expected: int, actual: int,
                 diverged_at: int | None = None, reason: str | None = None) -> None:
        if diverged_at is None:
            message = f"concurrency conflict: expected stream version {expected}, found {actual}"
        else:  # the lengths may agree: the stored events are not the ones the change built on
            message = (f"concurrency conflict: the stored stream differs from the history the "
                       f"change was built on, from event {diverged_at} (stream version "
                       f"{actual}, expected {expected})")
        if reason is not None:  # why retrying cannot help (Repository.update)
            message += f"; {reason}"
        super().__init__(message)
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        #: the first position where the stored events and the aggregate's history differ
        self.diverged_at = diverged_at


class ReadOnlyError(ServiceKitError, TypeError):
    """A payload (an event's ``fields``, a case's data) was changed in place: payloads are
    read-only, so a history means the same everywhere it is shared. Copy it to change it."""

    problem_type = "read_only"


class NotFoundError(ServiceKitError, LookupError):
    """A repository has no aggregate under the id asked for (the id is not repeated)."""

    problem_type = "not_found"


class StorageError(ServiceKitError):
    """A storage adapter could not do its work (the database is locked past the timeout,
    unavailable, or the store was closed). Nothing was written; the operation may be retried
    (not after ``close()``)."""

    problem_type = "storage"


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception on its ``__cause__`` / ``__context__`` chain, each once.

    What a logger prints with a traceback: a host (and the library's own tests) can check
    that none of it carries what the message would not (issue 10, item 15).
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__]
