"""The stress test of issue 5: "8 threads issuing 10,000 commands against SQLite must end with
zero lost or duplicated events and every conflict reported". Run on both backends (the same
code path; ``sqlite`` is one database file shared by the threads).

Sixteen tickets are opened, then eight threads released together by a barrier each issue 1,250
commands: pick a ticket, load it (``repo.get``), apply one command (agent reply, private note,
wait on the customer, customer reply, resume: legal most of the time) and save it at the loaded
version (``repo.save(changed, loaded.version)``), without retrying. Each thread counts its
successes (with the events each appended), its conflicts and its rejected commands, and keeps
every other exception. Afterwards:

* nothing escaped but ``ConcurrencyConflict`` and ``TransitionRejected`` (no ``sqlite3``
  error, no "database is locked"), and every command is accounted for;
* conflicts happened (the test did exercise concurrency), each reporting the loaded version as
  ``expected`` and a later one as ``actual``;
* zero lost: the store holds exactly the events of the opens and of the successful saves
  (compared by id, per ticket); none of a conflicting save;
* zero duplicated: every event id is stored once, each stream's versions are 1..n;
* every stream replays (``Ticket.replay``) into a valid ticket.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from servicekit.adapters.sqlite import SqliteEventStore
from servicekit.errors import ConcurrencyConflict, TransitionRejected
from servicekit.storage import InMemoryEventStore, TicketRepository
from servicekit.tickets import Actor, Ticket

Store = InMemoryEventStore | SqliteEventStore  # the ``store`` fixture (conftest.py)

THREADS = 8
COMMANDS = 10_000
TICKETS = 16
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))


def _reply(t: Ticket) -> Ticket:
    return t.reply(at=t.updated_at + S, by=AGENT)


def _note(t: Ticket) -> Ticket:
    return t.reply(at=t.updated_at + S, by=AGENT, public=False)


def _wait(t: Ticket) -> Ticket:  # only from open
    return t.wait_on_customer(at=t.updated_at + S, by=AGENT)


def _customer(t: Ticket) -> Ticket:
    return t.customer_reply(at=t.updated_at + S)


def _resume(t: Ticket) -> Ticket:  # only when pending
    return t.resume(at=t.updated_at + S, by=AGENT)


ACTIONS: tuple[Callable[[Ticket], Ticket], ...] = (_reply, _note, _wait, _customer, _resume)


@dataclass
class Tally:
    """What one thread saw."""

    successes: int = 0
    conflicts: int = 0
    rejections: int = 0
    appended: Counter[str] = field(default_factory=Counter)  # events saved, per ticket
    saved_ids: list[str] = field(default_factory=list)
    conflicting_ids: list[str] = field(default_factory=list)
    bad_conflicts: list[tuple[int, int, int]] = field(default_factory=list)
    unexpected: list[BaseException] = field(default_factory=list)


def _worker(repo: TicketRepository, ticket_ids: list[str], commands: int, seed: int,
            start: threading.Barrier) -> Tally:
    tally = Tally()
    rng = random.Random(seed)
    start.wait(timeout=60)
    for _ in range(commands):
        ticket_id = rng.choice(ticket_ids)
        action = rng.choice(ACTIONS)
        try:
            loaded = repo.get(ticket_id)
            try:
                changed = action(loaded)
            except TransitionRejected:
                tally.rejections += 1
                continue
            new = changed.history[loaded.version:]
            try:
                repo.save(changed, loaded.version)
            except ConcurrencyConflict as conflict:
                tally.conflicts += 1
                tally.conflicting_ids.extend(e.event_id for e in new)
                if conflict.expected != loaded.version or conflict.actual <= loaded.version:
                    tally.bad_conflicts.append((loaded.version, conflict.expected,
                                                conflict.actual))
                continue
            tally.successes += 1
            tally.appended[ticket_id] += len(new)
            tally.saved_ids.extend(e.event_id for e in new)
        except Exception as exc:  # anything else is a failure of the store: keep it
            tally.unexpected.append(exc)
    return tally


def test_eight_threads_ten_thousand_commands_lose_and_duplicate_nothing(store: Store) -> None:
    repo = TicketRepository(store)
    ticket_ids = [f"T-{i:02d}" for i in range(TICKETS)]
    opened_ids: list[str] = []
    for ticket_id in ticket_ids:
        ticket = repo.add(Ticket.open(ticket_id=ticket_id, customer_id=f"C-{ticket_id}",
                                      channel="chat", category="billing", priority="P3",
                                      subject="stress", at=T0, by=AGENT))
        opened_ids.extend(e.event_id for e in ticket.history)

    start = threading.Barrier(THREADS)
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(_worker, repo, ticket_ids, COMMANDS // THREADS, seed, start)
                   for seed in range(THREADS)]
        tallies = [f.result(timeout=600) for f in futures]
    elapsed = time.perf_counter() - began

    # nothing escaped but the two expected outcomes, and every command is accounted for
    unexpected = [exc for t in tallies for exc in t.unexpected]
    assert not unexpected, [f"{type(e).__module__}.{type(e).__name__}: {e}"
                            for e in unexpected[:10]]
    assert not any(isinstance(e, sqlite3.Error) for e in unexpected)
    successes = sum(t.successes for t in tallies)
    conflicts = sum(t.conflicts for t in tallies)
    rejections = sum(t.rejections for t in tallies)
    assert successes + conflicts + rejections == COMMANDS
    summary = (f"{type(store).__name__}: {successes} saved, {conflicts} conflicts, "
               f"{rejections} rejected in {elapsed:.1f}s")
    print(summary)

    # the test did exercise concurrency, and every conflict told the truth
    assert conflicts > 0, summary
    assert successes > COMMANDS // 4, summary
    assert [c for t in tallies for c in t.bad_conflicts] == []

    # zero lost, zero duplicated: per ticket, and by event id
    appended: Counter[str] = Counter()
    for t in tallies:
        appended.update(t.appended)
    streams = {ticket_id: store.load(ticket_id) for ticket_id in ticket_ids}
    for ticket_id, events in streams.items():
        assert len(events) == 1 + appended[ticket_id], ticket_id
    stored_ids = [e.event_id for events in streams.values() for e in events]
    saved_ids = [i for t in tallies for i in t.saved_ids]
    assert len(stored_ids) == TICKETS + sum(appended.values())
    assert len(set(stored_ids)) == len(stored_ids)
    assert Counter(stored_ids) == Counter(opened_ids + saved_ids)
    assert set(stored_ids).isdisjoint(i for t in tallies for i in t.conflicting_ids)
    assert set(store.stream_ids()) == set(ticket_ids)

    if isinstance(store, SqliteEventStore):  # the table itself: versions 1..n, nothing else
        with sqlite3.connect(store.path) as db:
            rows = db.execute("SELECT stream_id, version, event_id FROM events "
                              "ORDER BY stream_id, version").fetchall()
        db.close()
        assert len(rows) == len(stored_ids)
        for ticket_id, events in streams.items():
            versioned = [(v, e) for s, v, e in rows if s == ticket_id]
            assert versioned == [(n, ev.event_id) for n, ev in enumerate(events, start=1)]

    # every stream is a valid history, and the repository reads the same tickets
    for ticket_id, events in streams.items():
        ticket = Ticket.replay(events)
        assert ticket.version == len(events)
        assert ticket.status in {"open", "pending_customer"}
        assert repo.get(ticket_id) == ticket
