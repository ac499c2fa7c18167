"""``evaluate_many`` in several chunks, and ``SlaBatch.columns()`` against the reports.

``evaluate_many`` folds and finishes a few hundred events at a time and joins the chunks'
columns (``_Columns.extend``: the rows of the later chunks are offset by the rows before them).
These tests use batches of hundreds of tickets with different numbers of clocks each, so that
the join happens several times and a wrong offset gives a ticket another ticket's clocks; and
they check every column of ``columns()`` (``remaining``, the instants with their NaT, the
warning bits) against the report objects, row by row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

import servicekit.sla._engine as engine
from servicekit.calendar import BusinessCalendar
from servicekit.events import (
    AgentReplied,
    CustomerReplied,
    Event,
    PriorityChanged,
    StatusChanged,
    TicketCancelled,
    TicketCreated,
    TicketReopened,
    TicketResolved,
)
from servicekit.sla import (
    Escalation,
    EscalationLevel,
    SlaBatch,
    SlaPolicy,
    evaluate,
    evaluate_many,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)
US = timedelta(microseconds=1)
NOW = datetime(2026, 3, 2, 14, tzinfo=UTC)
NAT = np.datetime64("NaT")


def policy() -> SlaPolicy:
    """Four ticket clocks, first response on its own calendar (another zone), two warnings
    and a ladder with a scoped level: reports of every shape."""
    return SlaPolicy(
        name="batch",
        calendar=BusinessCalendar.always(),
        metric_calendars={"first_response": BusinessCalendar.always(tz="America/New_York")},
        targets={
            "first_response": {"P1": H, "P2": 4 * H},
            "next_response": {"P1": H, "P2": 2 * H},
            "periodic_update": {"P1": 3 * H},
            "resolution": {"P1": 8 * H, "P2": 24 * H},
        },
        warn_at=(0.5, 0.75),
        escalation=Escalation(levels=[
            EscalationLevel(level=1, at=0.5, notify="team_lead"),
            EscalationLevel(level=2, at="breach", notify="cs_manager",
                            metrics=("resolution",)),
        ]),
    )


def history(i: int) -> list[Event]:
    """The i-th ticket's history: one of eleven shapes, at an instant depending on i."""
    tid = f"T-{i}"
    t0 = datetime(2026, 3, 2, tzinfo=UTC) + (i % 37) * 7 * M + (i % 5) * H
    n = 0

    def at(minutes: float) -> dict[str, Any]:
        nonlocal n
        n += 1
        return {"event_id": f"{tid}-{n}", "stream_id": tid, "at": t0 + minutes * M}

    prio = ("P1", "P2", "P3")[i % 3]
    out: list[Event] = [TicketCreated(**at(0), priority=prio)]
    shape = i % 11
    if shape == 1:
        out.append(AgentReplied(**at(20)))
    elif shape == 2:
        out += [AgentReplied(**at(20)), CustomerReplied(**at(50)), AgentReplied(**at(200)),
                CustomerReplied(**at(230))]
    elif shape == 3:
        out += [StatusChanged(**at(30), status="pending_customer")]
    elif shape == 4:
        out += [AgentReplied(**at(10)), TicketResolved(**at(90))]
    elif shape == 5:
        out += [TicketCancelled(**at(15))]
    elif shape == 6:
        out += [AgentReplied(**at(30)), TicketResolved(**at(60)), TicketReopened(**at(120))]
    elif shape == 7:
        out += [PriorityChanged(**at(5), priority="P1")]
    elif shape == 8:
        out += [StatusChanged(**at(30), status="pending_customer"),
                StatusChanged(**at(400), status="open"), AgentReplied(**at(401))]
    elif shape == 9:
        out += [AgentReplied(**at(3000), public=False)]  # after now for most: ignored
    elif shape == 10:
        out += [AgentReplied(**at(45)), CustomerReplied(**at(46)), AgentReplied(**at(47)),
                CustomerReplied(**at(48)), AgentReplied(**at(300)), CustomerReplied(**at(301))]
    return out


def stamp(value: datetime | None) -> np.datetime64:
    """An instant as the columns give it: datetime64[us] UTC, NaT for None."""
    if value is None:
        return NAT
    return np.datetime64(value.astimezone(UTC).replace(tzinfo=None), "us")


def expected_columns(pol: SlaPolicy, batch: SlaBatch) -> dict[str, list[Any]]:
    """The columns as the reports say them, ticket by ticket in the batch's order."""
    out: dict[str, list[Any]] = {k: [] for k in (
        "ticket_id", "metric", "state", "target", "elapsed", "remaining", "started_at",
        "due_at", "breached_at", "stopped_at", "warnings", "cycles", "breached_cycles")}
    for tid, report in batch.items():
        for metric, s in report.items():
            out["ticket_id"].append(tid)
            out["metric"].append(metric)
            out["state"].append(s.state)
            out["target"].append(np.timedelta64(s.target // US, "us"))
            out["elapsed"].append(np.timedelta64(s.elapsed // US, "us"))
            out["remaining"].append(np.timedelta64(s.remaining // US, "us"))
            out["started_at"].append(stamp(s.started_at))
            out["due_at"].append(stamp(s.due_at))
            out["breached_at"].append(stamp(s.breached_at))
            out["stopped_at"].append(stamp(s.stopped_at))
            out["warnings"].append(sum(1 << pol.warn_at.index(w) for w in s.warnings))
            out["cycles"].append(s.cycles)
            out["breached_cycles"].append(s.breached_cycles)
    return out


def assert_columns_match_reports(pol: SlaPolicy, batch: SlaBatch) -> None:
    got = batch.columns()
    want = expected_columns(pol, batch)
    assert set(got) == set(want)
    for name, values in want.items():
        column = got[name]
        assert len(column) == len(values), name
        for row, (g, w) in enumerate(zip(column.tolist(), values, strict=True)):
            if isinstance(w, np.datetime64) and np.isnat(w):
                assert np.isnat(column[row]), (name, row)
            else:
                assert g == (w.tolist() if isinstance(w, np.generic) else w), (name, row)


@pytest.mark.parametrize("tickets", [1, 3, 120, 400])
def test_a_batch_in_several_chunks_equals_evaluate_ticket_by_ticket(tickets: int) -> None:
    """400 tickets of 1 to 7 events are several chunks of about 512 events: each ticket's
    report is still its own (a row offset off by one would hand it its neighbour's clocks)."""
    pol = policy()
    histories = {f"T-{i}": history(i) for i in range(tickets)}
    batch = evaluate_many(pol, histories, NOW)
    assert list(batch) == list(histories)
    assert len(batch) == tickets
    for tid, events in histories.items():
        assert batch[tid] == evaluate(pol, events, NOW), tid
        assert batch[tid].ticket_id == tid
        # the batch's copy of the history is this ticket's: explain() folds it again
        assert batch[tid].explain() == evaluate(pol, events, NOW).explain()
    total_rows = sum(len(evaluate(pol, e, NOW)) for e in histories.values())
    assert repr(batch) == f"SlaBatch({tickets} tickets, {total_rows} clocks)"


def test_columns_match_the_reports_row_by_row_across_chunks() -> None:
    pol = policy()
    histories = {f"T-{i}": history(i) for i in range(300)}
    batch = evaluate_many(pol, histories, NOW)
    # the shapes above give every state and several clock counts per ticket
    states = set(batch.columns()["state"].tolist())
    assert states == {"running", "paused", "met", "breached", "cancelled"}
    assert len({len(r) for r in batch.values()}) >= 3
    assert_columns_match_reports(pol, batch)


def test_the_escalations_of_a_batch_are_those_of_evaluate_across_chunks() -> None:
    pol = policy()
    histories = {f"T-{i}": history(i) for i in range(200)}
    batch = evaluate_many(pol, histories, NOW)
    later = NOW + 30 * H
    for tid, events in histories.items():
        alone = evaluate(pol, events, NOW)
        assert batch[tid].escalations() == alone.escalations(), tid
        assert batch[tid].escalations(later) == alone.escalations(later), tid
        assert batch[tid].next_check_at == alone.next_check_at, tid


def test_remaining_is_target_minus_elapsed_negative_once_breached() -> None:
    pol = policy()
    t0 = NOW - 12 * H
    events = {
        "A": [TicketCreated(event_id="a", stream_id="A", at=t0, priority="P1")],
        "B": [TicketCreated(event_id="b", stream_id="B", at=t0 + 11 * H, priority="P2")],
    }
    columns = evaluate_many(pol, events, NOW).columns()
    # A (P1): first response 1 h, 12 h elapsed: 11 h over; resolution 8 h: 4 h over
    # B (P2): first response 4 h, resolution 24 h, 1 h elapsed each
    assert columns["ticket_id"].tolist() == ["A", "A", "B", "B"]
    assert columns["metric"].tolist() == ["first_response", "resolution"] * 2
    hours = [v / np.timedelta64(1, "h") for v in columns["remaining"]]
    assert hours == [-11.0, -4.0, 3.0, 23.0]
    assert columns["remaining"].dtype == np.dtype("timedelta64[us]")
    assert (columns["remaining"] == columns["target"] - columns["elapsed"]).all()
    assert columns["state"].tolist() == ["breached", "breached", "running", "running"]
    assert columns["breached_at"][0] == np.datetime64("2026-03-02T03:00:00.000001")
    assert np.isnat(columns["breached_at"][2])
    assert columns["due_at"][2] == np.datetime64("2026-03-02T17:00:00")
    assert columns["warnings"].tolist() == [0b11, 0b11, 0b00, 0b00]


def test_an_empty_batch_has_empty_columns() -> None:
    batch = evaluate_many(policy(), {}, NOW)
    assert len(batch) == 0
    assert list(batch) == []
    columns = batch.columns()
    assert set(columns) >= {"ticket_id", "remaining", "due_at"}
    assert all(len(v) == 0 for v in columns.values())
    assert columns["due_at"].dtype == np.dtype("datetime64[us]")


def test_a_batch_of_tickets_not_opened_yet_has_no_rows_but_knows_them() -> None:
    later = NOW + 100 * H
    events = {f"T-{i}": [TicketCreated(event_id=f"e{i}", stream_id=f"T-{i}", at=later,
                                       priority="P1")] for i in range(3)}
    batch = evaluate_many(policy(), events, NOW)
    assert list(batch) == ["T-0", "T-1", "T-2"]
    assert all(len(batch[t]) == 0 for t in batch)
    assert all(len(v) == 0 for v in batch.columns().values())


def test_chunks_of_long_histories_join_in_order() -> None:
    """Histories longer than a chunk each (600 events): every ticket is a chunk of its own."""
    pol = policy()
    t0 = datetime(2026, 3, 2, tzinfo=UTC)

    def long(i: int) -> list[Event]:
        tid = f"L-{i}"
        out: list[Event] = [TicketCreated(event_id=f"{tid}-c", stream_id=tid, at=t0,
                                          priority="P1" if i % 2 else "P2")]
        for k in range(300):
            at = t0 + (k * 2 + 1) * M + i * US
            out.append(AgentReplied(event_id=f"{tid}-a{k}", stream_id=tid, at=at))
            if i or k < 299:  # the first ticket ends without an open cycle
                out.append(CustomerReplied(event_id=f"{tid}-u{k}", stream_id=tid,
                                           at=at + M))
        return out

    histories = {f"L-{i}": long(i) for i in range(3)}
    batch = evaluate_many(pol, histories, NOW)
    for tid, events in histories.items():
        assert batch[tid] == evaluate(pol, events, NOW), tid
    assert batch["L-1"]["next_response"].cycles == 300
    assert_columns_match_reports(pol, batch)


def test_a_chunk_closes_once_it_holds_512_events_each_ticket_counting_one_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The batch is finished a chunk at a time (``_CHUNK_EVENTS``, 512), counting each
    ticket's events known at now plus one (a ticket not opened yet costs a fold too): A (510
    known events, 511) and B (none known, 1) fill a chunk exactly; C (510) and D (1) are the
    last one, and nothing is finished after it."""
    chunks: list[list[str]] = []
    finish = engine._finish

    def spy(pol: SlaPolicy, folds: Any) -> Any:
        chunks.append([f.ticket_id for f in folds])
        return finish(pol, folds)

    monkeypatch.setattr(engine, "_finish", spy)
    pol = policy()
    t0 = datetime(2026, 3, 2, tzinfo=UTC)

    def ticket(tid: str, known: int) -> list[Event]:
        out: list[Event] = [TicketCreated(event_id=f"{tid}-c", stream_id=tid,
                                          at=t0 if known else NOW + H, priority="P1")]
        out += [AgentReplied(event_id=f"{tid}-{k}", stream_id=tid, at=t0 + k * US)
                for k in range(1, known)]
        return out

    histories = {"A": ticket("A", 510), "B": ticket("B", 0), "C": ticket("C", 510),
                 "D": ticket("D", 1)}
    batch = evaluate_many(pol, histories, NOW)
    assert chunks == [["A", "B"], ["C", "D"]]
    assert list(batch) == ["A", "B", "C", "D"]
    assert len(batch["B"]) == 0
    assert batch["C"] == evaluate(pol, histories["C"], NOW)
    chunks.clear()
    assert len(evaluate_many(pol, {}, NOW)) == 0
    assert chunks == [[]]  # an empty batch is one empty chunk
    chunks.clear()
    evaluate_many(pol, {"A": histories["A"], "B": histories["B"], "D": histories["D"]}, NOW)
    assert chunks == [["A", "B"], ["D"]]
