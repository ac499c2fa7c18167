"""Retries that work (issue 19): ``Repository.update(id, change, retries=, clock=)`` under forced
interleavings, on every store (the ``store`` fixture: in memory and SQLite).

Two writers act on one ticket. Writer A's ``change`` lets the other writer (another thread, so
SQLite gives it a connection of its own) commit while A is inside its first attempt; A's append
then conflicts and ``update`` reloads and calls ``change`` again with the fresh ticket.

* With ``clock=``, ``change(ticket, at)`` gets a fresh instant on every attempt (read after
  the reload), so the retry is dated after the other writer's event and succeeds.
* With an ``at`` fixed before the first try (the one-argument form), a retry after a *later*
  concurrent event cannot be recorded: the ticket's history is in time order (P-08). That is
  now a ``ConcurrencyConflict`` saying so (its cause the command's ``InvalidInputError``,
  whose problem has the type ``out_of_order``), not the bare "at is earlier than the ticket's
  last event" of a rejected command; nothing of A's is written.

The four forced races of the issue all succeed with ``clock=``; with a fixed ``at`` only the one
whose concurrent event is dated *before* A's instant does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from servicekit.adapters.sqlite import SqliteEventStore
from servicekit.errors import (
    ConcurrencyConflict,
    InvalidInputError,
    NaiveDatetimeError,
    TransitionRejected,
)
from servicekit.events import AgentReplied
from servicekit.storage import InMemoryEventStore, TicketRepository
from servicekit.tickets import Actor, Ticket

Store = InMemoryEventStore | SqliteEventStore  # the ``store`` fixture (conftest.py)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
TICKET_ID = "T-cust-zhang-13800138000"
CUSTOMER_ID = "cust-zhang-13800138000"
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))
MANAGER = Actor(id="manager-zhou-1209", roles=frozenset({"manager"}))
PRIVATE = (TICKET_ID, CUSTOMER_ID, "13800138000", AGENT.id, LEAD.id, MANAGER.id)


def out_of_order(exc: BaseException | None) -> bool:
    """The command's error for an ``at`` before the last event: exactly an
    ``InvalidInputError`` (what a direct command has always raised), typed by its problem."""
    return (type(exc) is InvalidInputError
            and [p.type for p in exc.problems] == ["out_of_order"])


def assigned() -> Ticket:
    t = Ticket.open(ticket_id=TICKET_ID, customer_id=CUSTOMER_ID, channel="email",
                    category="billing", priority="P3", subject="Charged twice", at=T0, by=AGENT)
    return t.assign(to=AGENT.id, at=T0 + M, by=LEAD)


class Clock:
    """The wall clock the writers share: every reading is a minute after the one before (as a
    real clock moves on), starting after the ticket's last event."""

    def __init__(self, start: datetime = T0 + 10 * M) -> None:
        self.now = start
        self.readings: list[datetime] = []
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += M
            self.readings.append(self.now)
            return self.now


def in_thread(work: Callable[[], object]) -> None:
    """Run ``work`` to the end in another thread (its own SQLite connection)."""
    failed: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # pragma: no cover - reported below
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert not failed, failed


@dataclass
class Race:
    """Which other writers commit while writer A is inside its attempts: ``during[i]`` lists
    the writers of attempt ``i``, each ``(actor, "later" | "earlier")``: dated by the shared
    clock (after A's instant), or one second before A's instant."""

    name: str
    during: list[list[tuple[Actor, str]]]
    retries: int = 1
    attempts: list[Ticket] = field(default_factory=list)

    def interfere(self, repo: TicketRepository, clock: Clock, attempt: int,
                  at: datetime) -> None:
        if attempt >= len(self.during):
            return
        for actor, dated in self.during[attempt]:
            when = clock() if dated == "later" else at - S

            def write(actor: Actor = actor, when: datetime = when) -> None:
                repo.update(TICKET_ID, lambda t: t.reply(at=when, by=actor, public=False))

            in_thread(write)

    @property
    def writes(self) -> int:
        return sum(len(w) for w in self.during)


def races() -> list[Race]:
    """The four forced races: one later write during the first attempt; later writes during
    the first two attempts; two later writers during the first attempt; one write dated
    before A's instant (a lagging clock) during the first attempt."""
    return [
        Race("one-later-write", [[(LEAD, "later")]]),
        Race("later-writes-in-two-attempts", [[(LEAD, "later")], [(MANAGER, "later")]],
             retries=2),
        Race("two-later-writers", [[(LEAD, "later"), (MANAGER, "later")]]),
        Race("one-earlier-write", [[(LEAD, "earlier")]]),
    ]


RACES = {r.name: r for r in races()}


def fresh(name: str) -> Race:
    """The race of that name, with no attempts recorded yet."""
    return next(r for r in races() if r.name == name)


def notes_of(t: Ticket) -> list[str | None]:
    return [e.by for e in t.history if isinstance(e, AgentReplied) and e.by != AGENT.id]


def check_saved(repo: TicketRepository, saved: Ticket, race: Race, base: Ticket) -> None:
    assert repo.get(TICKET_ID) == saved
    assert Ticket.replay(saved.history) == saved
    assert saved.history[:base.version] == base.history
    assert len(notes_of(saved)) == race.writes  # every other writer's note, once
    mine = [e for e in saved.history if isinstance(e, AgentReplied) and e.by == AGENT.id]
    assert len(mine) == 1
    assert saved.history[-1] is mine[0]  # A's reply comes last
    ats = [e.at for e in saved.history]
    assert ats == sorted(ats)


# -- with clock=: every race succeeds -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RACES))
def test_every_forced_race_succeeds_with_a_clock(store: Store, name: str) -> None:
    race = fresh(name)
    repo = TicketRepository(store)
    base = repo.add(assigned())
    clock = Clock()
    instants: list[datetime] = []

    def change(t: Ticket, at: datetime) -> Ticket:
        race.attempts.append(t)
        instants.append(at)
        race.interfere(repo, clock, len(race.attempts) - 1, at)
        return t.reply(at=at, by=AGENT)

    saved = repo.update(TICKET_ID, change, retries=race.retries, clock=clock)
    check_saved(repo, saved, race, base)
    assert len(race.attempts) == len(race.during) + 1
    # each attempt started from the ticket as the other writers had left it
    assert [a.version for a in race.attempts] == [
        base.version + sum(len(w) for w in race.during[:i]) for i in range(len(race.attempts))]
    # a fresh instant per attempt, read after the reload: later than what was loaded
    assert len(set(instants)) == len(instants)
    assert all(at >= a.updated_at for at, a in zip(instants, race.attempts, strict=True))
    assert saved.history[-1].at == instants[-1]


def test_the_clock_is_read_once_per_attempt_and_after_the_reload(store: Store) -> None:
    repo = TicketRepository(store)
    base = repo.add(assigned())
    calls: list[int] = []
    seen: list[int] = []

    def clock() -> datetime:
        calls.append(repo.get(TICKET_ID).version)
        return T0 + (10 + len(calls)) * M

    def change(t: Ticket, at: datetime) -> Ticket:
        seen.append(t.version)
        if len(seen) == 1:
            in_thread(lambda: repo.update(
                TICKET_ID, lambda t: t.reply(at=T0 + 30 * M, by=LEAD, public=False)))
        return t.reply(at=max(at, t.updated_at), by=AGENT)

    saved = repo.update(TICKET_ID, change, retries=1, clock=clock)
    # one reading per attempt, after the reload
    assert calls == seen == [base.version, base.version + 1]
    assert saved.version == base.version + 2


# -- with a fixed at: a clear ConcurrencyConflict -----------------------------------------------


@pytest.mark.parametrize("name", sorted(RACES))
def test_a_fixed_at_conflicts_after_a_later_concurrent_event(store: Store, name: str) -> None:
    race = fresh(name)
    repo = TicketRepository(store)
    base = repo.add(assigned())
    clock = Clock()
    at = clock()  # fixed before the first try: the defect of the issue

    def change(t: Ticket) -> Ticket:
        race.attempts.append(t)
        race.interfere(repo, clock, len(race.attempts) - 1, at)
        return t.reply(at=at, by=AGENT)

    if name == "one-earlier-write":  # the concurrent event is dated before A's instant
        saved = repo.update(TICKET_ID, change, retries=race.retries)
        check_saved(repo, saved, race, base)
        return
    with pytest.raises(ConcurrencyConflict) as info:
        repo.update(TICKET_ID, change, retries=race.retries)
    exc = info.value
    assert out_of_order(exc.__cause__)
    assert "another writer" in str(exc)
    assert "clock" in str(exc)
    assert (exc.expected, exc.actual) == (base.version, base.version + len(race.during[0]))
    assert len(race.attempts) == 2  # the retry that found the later event gave up at once
    stored = repo.get(TICKET_ID)
    # the other writers' notes only (those of both attempts)
    assert len(notes_of(stored)) == sum(len(w) for w in race.during[:2])
    assert all(e.by != AGENT.id for e in stored.history[base.version:])
    text = f"{exc} {exc!r} {exc.__cause__}"
    assert not [s for s in PRIVATE if s in text], text


def test_the_same_race_without_retries_is_the_plain_conflict(store: Store) -> None:
    repo = TicketRepository(store)
    base = repo.add(assigned())
    clock = Clock()
    at = clock()

    def change(t: Ticket) -> Ticket:
        in_thread(lambda: repo.update(TICKET_ID,
                                      lambda t: t.reply(at=clock(), by=LEAD, public=False)))
        return t.reply(at=at, by=AGENT)

    with pytest.raises(ConcurrencyConflict) as info:
        repo.update(TICKET_ID, change)
    assert info.value.__cause__ is None
    assert (info.value.expected, info.value.actual) == (base.version, base.version + 1)


def test_an_at_already_stale_on_the_first_try_is_the_commands_own_error(store: Store) -> None:
    """No race inside ``update``: the other writer committed before the first load, so the
    command refuses the instant as it would outside a repository."""
    repo = TicketRepository(store)
    base = repo.add(assigned())
    at = T0 + 10 * M
    repo.update(TICKET_ID, lambda t: t.reply(at=at + M, by=LEAD, public=False))
    with pytest.raises(InvalidInputError,
                       match="at is earlier than the ticket's last event") as info:
        repo.update(TICKET_ID, lambda t: t.reply(at=at, by=AGENT), retries=3)
    assert out_of_order(info.value)
    assert repo.get(TICKET_ID).version == base.version + 1
    # with a clock the same call succeeds: the instant is read after the load
    saved = repo.update(TICKET_ID, lambda t, at: t.reply(at=at, by=AGENT), retries=3,
                        clock=Clock(at + 2 * M))
    assert saved.version == base.version + 2


def test_a_clock_behind_the_other_writers_event_conflicts_too(store: Store) -> None:
    """Clocks out of step: the other writer's event is dated after this clock's next reading,
    so the retry cannot be recorded either; a conflict that says so, nothing of ours written."""
    repo = TicketRepository(store)
    base = repo.add(assigned())
    clock = Clock()
    seen: list[int] = []

    def change(t: Ticket, at: datetime) -> Ticket:
        seen.append(t.version)
        if len(seen) == 1:
            in_thread(lambda: repo.update(
                TICKET_ID, lambda t: t.reply(at=T0 + 10 * 60 * M, by=LEAD, public=False)))
        return t.reply(at=at, by=AGENT)

    with pytest.raises(ConcurrencyConflict, match="clock") as info:
        repo.update(TICKET_ID, change, retries=5, clock=clock)
    assert out_of_order(info.value.__cause__)
    assert seen == [base.version, base.version + 1]
    assert repo.get(TICKET_ID).version == base.version + 1


def test_the_repository_reads_the_problem_type_the_engine_gives() -> None:
    from servicekit import repository
    from servicekit.engine import _rules

    assert repository._OUT_OF_ORDER == _rules.OUT_OF_ORDER == "out_of_order"
    t = assigned()
    with pytest.raises(InvalidInputError) as info:
        t.reply(at=t.updated_at - S, by=AGENT)
    assert out_of_order(info.value)
    with pytest.raises(InvalidInputError) as other:  # other bad input is not out of order
        t.reply(at=t.updated_at + S, by=AGENT, fields={"at": 1})
    assert not out_of_order(other.value)


# -- the rest of update is unchanged ---------------------------------------------------------------


def test_a_rejected_command_in_a_retry_propagates_and_saves_nothing(store: Store) -> None:
    """The other writer resolved the ticket meanwhile: A's resume is now rejected (P-01)."""
    repo = TicketRepository(store)
    repo.add(assigned().wait_on_customer(at=T0 + 2 * M, by=AGENT))
    clock = Clock()
    seen: list[str] = []

    def change(t: Ticket, at: datetime) -> Ticket:
        seen.append(t.status)
        if len(seen) == 1:
            in_thread(lambda: repo.update(TICKET_ID, lambda t, at: t.resolve(
                at=at, by=LEAD, resolution="refunded"), clock=clock))
        return t.resume(at=at, by=AGENT)

    with pytest.raises(TransitionRejected):
        repo.update(TICKET_ID, change, retries=2, clock=clock)
    assert seen == ["pending_customer", "resolved"]
    assert repo.get(TICKET_ID).status == "resolved"


def test_a_naive_clock_reading_is_the_commands_error(store: Store) -> None:
    repo = TicketRepository(store)
    base = repo.add(assigned())
    with pytest.raises(NaiveDatetimeError):
        repo.update(TICKET_ID, lambda t, at: t.reply(at=at, by=AGENT),
                    clock=lambda: datetime(2026, 3, 2, 12, 0))  # naive, on purpose
    assert repo.get(TICKET_ID) == base


@pytest.mark.parametrize("retries", [-1, True, 1.0, "2", None])
def test_retries_is_a_whole_number_of_zero_or_more(store: Store, retries: object) -> None:
    repo = TicketRepository(store)
    base = repo.add(assigned())
    with pytest.raises(InvalidInputError, match="retries"):
        repo.update(TICKET_ID, lambda t: t.reply(at=T0 + H, by=AGENT),  # type: ignore[call-overload]
                    retries=retries)
    assert repo.get(TICKET_ID) == base


@pytest.mark.parametrize("clock", [T0, "now", 1])
def test_a_clock_is_callable(store: Store, clock: object) -> None:
    repo = TicketRepository(store)
    base = repo.add(assigned())
    with pytest.raises(InvalidInputError, match="clock"):
        repo.update(TICKET_ID, lambda t, at: t.reply(at=at, by=AGENT),
                    clock=clock)  # type: ignore[call-overload]
    assert repo.get(TICKET_ID) == base


def test_a_change_is_callable(store: Store) -> None:
    repo = TicketRepository(store)
    repo.add(assigned())
    with pytest.raises(InvalidInputError, match="change"):
        repo.update(TICKET_ID, "reply")  # type: ignore[call-overload]

