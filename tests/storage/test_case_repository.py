"""Cases in an event store: ``CaseRepository(store, process=p)`` and the generic ``Repository``.

One stream per case, the case's version being the stream's version; every test runs on both
backends (the ``store`` fixture, conftest.py). ``add`` stores a new case (``ConcurrencyConflict``
if the id is taken) and ``get`` rebuilds an equal one, checked against the repository's process
(a stream of another process is refused); ``save(case, expected_version)`` appends only the
events after the version the case was loaded at; ``update`` loads, changes and saves, retrying on
a conflict when asked, and saves nothing when the command is rejected. No message repeats the
case id or other personal data (P-08: the trace is kept, not leaked). A generic
``Repository(store, replay)`` holds cases through a lambda and refuses what is not an
event-sourced aggregate.

The complaint cases run the P-03 process as the complaint preset had it before issue 11
(:func:`sample_processes.satisfaction_loop_process`, tests/cases): its required records,
satisfaction guard and rework loop give the repository rejections of every kind to save nothing
for; the redrawn preset's complaints are stored in tests/complaints.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from servicekit.adapters.sqlite import SqliteEventStore
from servicekit.cases import Actor, Case
from servicekit.errors import (
    ConcurrencyConflict,
    InvalidInputError,
    NotFoundError,
    PermissionDenied,
    ServiceKitError,
    TransitionRejected,
)
from servicekit.events import Event
from servicekit.presets.processes import repair_process, ticket_process
from servicekit.storage import CaseRepository, EventStore, InMemoryEventStore, Repository
from servicekit.tickets import Ticket

CASES = str(Path(__file__).resolve().parents[1] / "cases")  # the sample processes
if CASES not in sys.path:
    sys.path.insert(0, CASES)
from sample_processes import satisfaction_loop_process  # noqa: E402

Store = InMemoryEventStore | SqliteEventStore  # the ``store`` fixture (conftest.py)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
H = timedelta(hours=1)

PHONE = "13800138000"
CASE_ID = f"case-{PHONE}"
CUSTOMER_ID = f"cust-zhang-{PHONE}"
SECRET = f"charged twice, call me on {PHONE} 或 13912345678"
AGENT = Actor(id="agent-li-0417", roles=frozenset({"agent"}))
LEAD = Actor(id="lead-chen-0802", roles=frozenset({"lead"}))
CUSTOMER = Actor.customer(CUSTOMER_ID)
PRIVATE = (PHONE, "13912345678", CASE_ID, CUSTOMER_ID, AGENT.id, LEAD.id)

COMPLAINT = satisfaction_loop_process()
RECEIVED = {"complaint_time": "2026-03-02T08:30:00+08:00", "complainant": CUSTOMER_ID,
            "content": SECRET, "cause": "billing"}


def bad(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


def private_free(exc: BaseException) -> None:
    for text in (str(exc), repr(exc)):
        assert not [s for s in PRIVATE if s in text], text


class Recording:
    """An event store that records the appends it passes on."""

    def __init__(self, inner: EventStore) -> None:
        self.inner = inner
        self.appends: list[tuple[str, tuple[Event, ...], int]] = []

    def append(self, stream_id: str, events: Sequence[Event], expected_version: int) -> int:
        self.appends.append((stream_id, tuple(events), expected_version))
        return self.inner.append(stream_id, events, expected_version)

    def load(self, stream_id: str) -> tuple[Event, ...]:
        return self.inner.load(stream_id)


# -- complaints at each stage (P-03) -------------------------------------------------------------


def submitted(case_id: str = CASE_ID) -> Case:
    return Case.start(process=COMPLAINT, case_id=case_id, customer_id=CUSTOMER_ID, at=T0,
                      by=CUSTOMER,
                      fields={"channel": "app", "order": {"id": "A-17", "amount": 99.5}})


def received() -> Case:
    return submitted().fire("receive", at=T0 + 5 * M, by=AGENT, fields=RECEIVED)


def analysed() -> Case:
    return received().fire("analyse", at=T0 + H, by=LEAD,
                           fields={"nature": "billing", "severity": 3, "scope": "one order"})


def feedback_given() -> Case:
    c = analysed().fire("handle", at=T0 + 2 * H, by=AGENT, fields={"remedy_plan": "refund"})
    return c.fire("give_feedback", at=T0 + 3 * H, by=AGENT,
                  fields={"result": "refunded", "improvement": "audit"})


def closed() -> Case:
    """Reworked once, then closed."""
    c = feedback_given().fire("rework", at=T0 + 4 * H, by=LEAD,
                              fields={"customer_satisfied": False})
    c = c.fire("handle", at=T0 + 5 * H, by=AGENT, fields={"remedy_plan": "refund + voucher"})
    c = c.fire("give_feedback", at=T0 + 6 * H, by=AGENT)
    return c.fire("close", at=T0 + 7 * H, by=AGENT, fields={"customer_satisfied": True})


def later(c: Case, minutes: int = 1) -> datetime:
    return c.updated_at + minutes * M


STAGES: dict[str, Callable[[], Case]] = {
    "submitted": submitted, "received": received, "analysed": analysed,
    "feedback_given": feedback_given, "closed": closed,
}


def test_the_stages_are_what_their_names_say() -> None:
    assert {name: make().state for name, make in STAGES.items()} == {
        name: name for name in STAGES}
    assert closed().version == 9


def test_the_case_repository_needs_an_event_store() -> None:
    with pytest.raises(InvalidInputError):
        CaseRepository(bad(object()), process=COMPLAINT)
    with pytest.raises(InvalidInputError):
        CaseRepository(bad({"append": None, "load": None}), process=COMPLAINT)


# -- add and get ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES.values(), ids=STAGES.keys())
def test_get_returns_a_case_equal_to_the_one_added(store: Store,
                                                   stage: Callable[[], Case]) -> None:
    repo = CaseRepository(store, process=COMPLAINT)
    case = stage()
    assert repo.add(case) is case
    got = repo.get(CASE_ID)
    assert got == case
    assert (got.version, got.state, got.fields, got.history) == (
        case.version, case.state, case.fields, case.history)
    assert got.process is COMPLAINT
    assert store.load(CASE_ID) == case.history
    assert Case.replay(store.load(CASE_ID), process=COMPLAINT) == case


def test_cases_live_in_their_own_streams(store: Store) -> None:
    repo = CaseRepository(store, process=COMPLAINT)
    first, second = closed(), submitted("case-2")
    repo.add(first)
    repo.add(second)
    assert (repo.get(CASE_ID), repo.get("case-2")) == (first, second)
    assert store.load("case-2") == second.history


def test_repositories_of_different_processes_share_a_store(store: Store) -> None:
    complaints = CaseRepository(store, process=COMPLAINT)
    repairs = CaseRepository(store, process=repair_process())
    complaint = complaints.add(received())
    repair = Case.start(process=repair_process(), case_id="R-1", customer_id=CUSTOMER_ID,
                        at=T0, by=AGENT).fire("triage", at=T0 + 4 * M, by=AGENT)
    repairs.add(repair)
    assert repairs.get("R-1") == repair
    assert complaints.get(CASE_ID) == complaint
    # a stream of another process is refused, without echoing the case
    with pytest.raises(InvalidInputError) as info:
        repairs.get(CASE_ID)
    private_free(info.value)
    with pytest.raises(InvalidInputError):
        complaints.get("R-1")


def test_adding_an_existing_id_conflicts_and_writes_nothing(store: Store) -> None:
    repo = CaseRepository(store, process=COMPLAINT)
    first = repo.add(received())
    with pytest.raises(ConcurrencyConflict) as info:
        repo.add(analysed())
    assert (info.value.expected, info.value.actual) == (0, 2)
    assert info.value.stream_id == CASE_ID
    private_free(info.value)
    assert repo.get(CASE_ID) == first
    assert store.load(CASE_ID) == first.history
    with pytest.raises(ConcurrencyConflict):
        repo.add(first)  # the same case twice


def test_get_of_an_unknown_id_is_not_found_without_the_id_in_the_message(store: Store) -> None:
    repo = CaseRepository(store, process=COMPLAINT)
    repo.add(submitted("case-other"))
    with pytest.raises(NotFoundError) as info:
        repo.get(CASE_ID)
    assert isinstance(info.value, LookupError)
    assert "no case with that id" in str(info.value)
    private_free(info.value)


@pytest.mark.parametrize("case_id", [None, 7, "", b"case-1"], ids=["None", "int", "empty", "bytes"])
def test_get_with_a_bad_id_is_invalid_input(store: Store, case_id: object) -> None:
    with pytest.raises(InvalidInputError) as info:
        CaseRepository(store, process=COMPLAINT).get(bad(case_id))
    assert "case_id" in str(info.value)


def test_the_case_repository_refuses_what_is_not_a_case(store: Store) -> None:
    repo = CaseRepository(store, process=COMPLAINT)
    ticket = Ticket.open(ticket_id=CASE_ID, customer_id=CUSTOMER_ID, channel="email",
                         category="billing", priority="P3", subject=SECRET, at=T0, by=AGENT)
    for thing in (ticket, received().history, None):
        with pytest.raises(InvalidInputError) as info:
            repo.add(bad(thing))
        private_free(info.value)
    assert store.load(CASE_ID) == ()
    first = repo.add(submitted())
    with pytest.raises(InvalidInputError):
        repo.save(bad(ticket), 1)
    assert repo.get(CASE_ID) == first


# -- save ----------------------------------------------------------------------------------------


def test_save_appends_only_the_new_events(store: Store) -> None:
    recording = Recording(store)
    repo = CaseRepository(recording, process=COMPLAINT)
    repo.add(received())
    loaded = repo.get(CASE_ID)
    changed = loaded.fire("analyse", at=T0 + H, by=LEAD,
                          fields={"nature": "billing", "severity": 3, "scope": "one order"})
    changed = changed.fire("handle", at=T0 + 2 * H, by=AGENT, fields={"remedy_plan": "refund"})
    assert changed.history[:2] == loaded.history
    assert repo.save(changed, loaded.version) is changed
    assert recording.appends[-1] == (CASE_ID, changed.history[2:], 2)
    assert repo.get(CASE_ID) == changed
    again = repo.get(CASE_ID)
    assert repo.save(again, again.version) is again  # nothing new: nothing written
    assert len(recording.appends) == 2


def test_a_stale_save_conflicts_and_writes_nothing(store: Store) -> None:
    repo = CaseRepository(store, process=COMPLAINT)
    repo.add(received())
    mine, theirs = repo.get(CASE_ID), repo.get(CASE_ID)
    their_change = theirs.fire("analyse", at=later(theirs), by=LEAD,
                               fields={"nature": "n", "severity": 1, "scope": "s"})
    repo.save(their_change, theirs.version)
    my_change = mine.fire("analyse", at=later(mine, 2), by=AGENT,
                          fields={"nature": "n2", "severity": 2, "scope": "s2"})
    with pytest.raises(ConcurrencyConflict) as info:
        repo.save(my_change, mine.version)
    assert (info.value.expected, info.value.actual) == (2, 3)
    private_free(info.value)
    assert repo.get(CASE_ID) == their_change
    stored = {e.event_id for e in store.load(CASE_ID)}
    assert stored.isdisjoint(e.event_id for e in my_change.history[2:])


@pytest.mark.parametrize("expected", [0, -1, 4, True, 2.0, "2", None],
                         ids=["zero", "negative", "beyond", "bool", "float", "str", "None"])
def test_save_with_a_bad_expected_version_is_invalid_input(store: Store,
                                                           expected: object) -> None:
    repo = CaseRepository(store, process=COMPLAINT)
    first = repo.add(received())
    changed = first.fire("analyse", at=T0 + H, by=LEAD,
                         fields={"nature": "billing", "severity": 3, "scope": "one order"})
    assert changed.version == 3
    with pytest.raises(InvalidInputError):
        repo.save(changed, bad(expected))
    assert repo.get(CASE_ID) == first


# -- update ----------------------------------------------------------------------------------------


def test_update_loads_changes_and_saves(store: Store) -> None:
    repo = CaseRepository(store, process=COMPLAINT)
    repo.add(feedback_given())
    saved = repo.update(CASE_ID, lambda c: c.fire("close", at=later(c), by=AGENT,
                                                   fields={"customer_satisfied": True}))
    assert (saved.state, saved.version, saved.is_final) == ("closed", 6, True)
    assert repo.get(CASE_ID) == saved


TICKET = ticket_process()


def open_ticket_case() -> Case:
    """P-01 run as a case: opened and answered (state open, version 2)."""
    c = Case.start(process=TICKET, case_id=CASE_ID, customer_id=CUSTOMER_ID, at=T0, by=AGENT,
                   fields={"subject": SECRET})
    return c.fire("reply", at=T0 + M, by=AGENT)


def _interfering(repo: CaseRepository, times: int) -> tuple[Callable[[Case], Case], list[int]]:
    """A change that, the first ``times`` times it runs, lets another writer save first (a
    lead's reply), then returns its own change (an agent's reply) computed from the case it
    was given."""
    seen: list[int] = []

    def change(c: Case) -> Case:
        seen.append(c.version)
        if len(seen) <= times:
            other = repo.get(c.stream_id)
            repo.save(other.fire("reply", at=later(other), by=LEAD,
                                 fields={"note": f"note {len(seen)}"}), other.version)
        return c.fire("reply", at=later(c, 2), by=AGENT, fields={"text": SECRET})

    return change, seen


def test_update_retries_on_a_conflict(store: Store) -> None:
    repo = CaseRepository(store, process=TICKET)
    repo.add(open_ticket_case())
    change, seen = _interfering(repo, times=1)
    saved = repo.update(CASE_ID, change, retries=1)
    assert seen == [2, 3]  # the second attempt started from the other writer's version
    assert saved.version == 4
    assert repo.get(CASE_ID) == saved
    assert [e.by for e in saved.history[2:]] == [LEAD.id, AGENT.id]  # theirs kept, once
    assert saved.fields == {"subject": SECRET, "note": "note 1", "text": SECRET}


def test_update_without_retries_raises_the_conflict(store: Store) -> None:
    repo = CaseRepository(store, process=TICKET)
    repo.add(open_ticket_case())
    change, seen = _interfering(repo, times=1)
    with pytest.raises(ConcurrencyConflict) as info:
        repo.update(CASE_ID, change)
    assert (info.value.expected, info.value.actual) == (2, 3)
    private_free(info.value)
    assert seen == [2]
    assert repo.get(CASE_ID).version == 3  # only the other writer's reply


def test_update_gives_up_after_its_retries(store: Store) -> None:
    repo = CaseRepository(store, process=TICKET)
    repo.add(open_ticket_case())
    change, seen = _interfering(repo, times=10)
    with pytest.raises(ConcurrencyConflict) as info:
        repo.update(CASE_ID, change, retries=2)
    assert seen == [2, 3, 4]  # one try and two retries
    assert (info.value.expected, info.value.actual) == (4, 5)
    private_free(info.value)
    assert [e.by for e in repo.get(CASE_ID).history[2:]] == [LEAD.id] * 3


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda c: c.fire("close", at=later(c), by=AGENT), TransitionRejected),  # P-03 guard
        (lambda c: c.fire("close", at=later(c), by=CUSTOMER,
                          fields={"customer_satisfied": True}), PermissionDenied),
        (lambda c: c.fire("teleport", at=later(c), by=AGENT), TransitionRejected),
        (lambda c: c.fire("rework", at=later(c), by=AGENT, fields={"customer_satisfied": False})
         .fire("handle", at=later(c, 2), by=AGENT, fields={"remedy_plan": ""}),
         InvalidInputError),  # the second command of two is rejected
        (lambda c: c.fire("rework", at=c.updated_at - M, by=AGENT,
                          fields={"customer_satisfied": False}), InvalidInputError),
    ],
    ids=["unsatisfied-close", "customer-close", "unknown-event", "rework-then-bad-handle",
         "backwards"],
)
def test_a_rejected_command_inside_update_saves_nothing(
    store: Store, change: Callable[[Case], Case], error: type[ServiceKitError]
) -> None:
    recording = Recording(store)
    repo = CaseRepository(recording, process=COMPLAINT)
    before = repo.add(feedback_given())
    with pytest.raises(error) as info:
        repo.update(CASE_ID, change, retries=3)
    private_free(info.value)
    assert len(recording.appends) == 1  # only the add
    assert repo.get(CASE_ID) == before


def test_update_of_an_unknown_case_is_not_found(store: Store) -> None:
    calls: list[Case] = []

    def change(c: Case) -> Case:
        calls.append(c)
        return c

    with pytest.raises(NotFoundError) as info:
        CaseRepository(store, process=COMPLAINT).update(CASE_ID, change, retries=2)
    private_free(info.value)
    assert calls == []
    assert store.load(CASE_ID) == ()


# -- the generic repository ------------------------------------------------------------------------


def test_a_generic_repository_holds_cases_through_a_lambda(store: Store) -> None:
    repo: Repository[Case] = Repository(store, lambda events: Case.replay(events,
                                                                          process=COMPLAINT))
    case = repo.add(analysed())
    assert repo.get(CASE_ID) == case
    saved = repo.update(CASE_ID, lambda c: c.fire("handle", at=later(c), by=AGENT,
                                                   fields={"remedy_plan": "refund"}))
    assert (saved.state, saved.version) == ("handled", 4)
    assert repo.get(CASE_ID) == saved
    with pytest.raises(NotFoundError) as info:
        repo.get("case-unknown-13800138000")
    assert "no aggregate with that id" in str(info.value)
    private_free(info.value)


class _NoHistory:
    stream_id = CASE_ID
    version = 1


class _NoVersion:
    stream_id = CASE_ID
    history = ()


@pytest.mark.parametrize("thing", [_NoHistory(), _NoVersion(), object(), {"stream_id": CASE_ID,
                                   "version": 1, "history": ()}, None],
                         ids=["no-history", "no-version", "object", "dict", "None"])
def test_a_generic_repository_refuses_what_is_not_an_aggregate(store: Store,
                                                                thing: object) -> None:
    repo: Repository[Case] = Repository(store, lambda events: Case.replay(events,
                                                                          process=COMPLAINT))
    with pytest.raises(InvalidInputError) as info:
        repo.add(bad(thing))
    assert "stream_id, version and history" in str(info.value)
    private_free(info.value)
    first = repo.add(submitted())
    with pytest.raises(InvalidInputError):
        repo.save(bad(thing), 1)
    assert store.load(CASE_ID) == first.history


def test_a_generic_repository_needs_a_callable_replay(store: Store) -> None:
    with pytest.raises(InvalidInputError):
        Repository(store, bad(COMPLAINT))
