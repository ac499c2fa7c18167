"""Ticket benchmarks (issue 5): commands per second for a typical ticket life, and bulk replay.

1. **A typical life**, including validation: ``Ticket.open`` -> ``assign`` -> ``reply`` ->
   ``wait_on_customer`` -> ``resume`` -> ``resolve`` -> ``close``, seven commands per ticket, by
   ``Actor``s (an agent and a lead) at aware instants prepared beforehand. Every command checks
   the actor, the time, the transition, the roles and the required fields, and returns a new
   immutable ticket. The issue gives no number; the sanity target is ``TARGET_COMMANDS``.
2. **Bulk replay**: ``HISTORIES`` seeded ticket lives, mixed the way a help desk sees them
   (reassignments, reply rounds, pending cycles on the customer and on a third party, priority
   changes, escalations, resolutions reopened within the window, manual and automatic closes,
   cancellations, tickets still in progress), written with the commands, then rebuilt with
   ``Ticket.replay`` (every event checked against the compiled transition table). Target (issue
   5): at least ``TARGET_REPLAY`` events per second.

Peers, in the same process run:

* ``python-statemachine`` directly: an instance of the ticket process's ``machine_class()`` per
  ticket. For a life, the same six events after the creation are sent to it and a list of event
  dicts is kept as its "history" (the work an application built on it would do; it checks no
  role, time or field). For replay, each history's events are mapped to the process's event
  names (``TicketAssigned`` -> ``assign`` ..., ``StatusChanged`` -> its ``event``, skipping the
  companion status record that follows a built-in event of the same name) and sent in turn;
  the reopen guard gets the facts it reads (``at``, ``resolved_at``).
* ``transitions`` (if installed): one ``Machine`` with the same states and transitions (a
  targetless transition is an internal one; the reopen guard as a condition), one model per
  ticket added with ``add_model`` and removed at the end; the same events triggered.

Before anything is timed, every history is replayed by all libraries and servicekit's final
status must equal python-statemachine's (and transitions') final state; python-statemachine runs
that pass with a listener that must see one transition per event sent, and transitions raises on
any event its machine does not allow. The module fails on any disagreement.

servicekit is timed best of ``REPEAT`` over all lives/histories; the peers, one to two orders
of magnitude slower, best of ``PEER_REPEAT`` over ``PEER_LIVES`` lives and a stride sample of
``PEER_SAMPLE`` histories (per command / per event figures, so the counts need not match).
"Events" are all the events of the histories (``TicketCreated`` and companion status records
included) for every library alike. Peer rows print the speed-up, peer time / servicekit time
(below 1x: the peer is faster). Targets (issue 9): servicekit's validated commands at least as
fast as ``transitions`` moving its state (``TARGET_VS_TRANSITIONS``), and replay of at least
``TARGET_REPLAY`` events per second; the python-statemachine rows are information.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from _harness import Row, Target, batch_seconds, require, speedup_row
from servicekit.events import (
    Event,
    StatusChanged,
)
from servicekit.processes import ProcessDefinition
from servicekit.tickets import EVENT_COMMANDS, Actor, Ticket, default_ticket_process

try:
    import transitions as _transitions
except ImportError:  # an optional peer
    _transitions = None

NAME = "tickets"
SEED = 20260505
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 1, 5, 9, 0, tzinfo=SHANGHAI)

LIVES = 2_000  # typical lives per servicekit batch (x 7 commands)
PEER_LIVES = 400  # typical lives per peer batch
HISTORIES = 20_000  # mixed histories replayed by servicekit (all of them checked against peers)
PEER_SAMPLE = 1_000  # histories in the peers' timed replay (a stride sample)
REPEAT = 5
PEER_REPEAT = 3
TARGET_COMMANDS = 20_000  # commands per second (sanity; the issue gives no number)
TARGET_REPLAY = 500_000  # events per second (issue 9, "One engine for every case")
TARGET_VS_TRANSITIONS = 1.0  # validated commands at least as fast as transitions (issue 9)

AGENTS = tuple(Actor(id=f"u-{i}", roles=frozenset({"agent"})) for i in range(7, 19))
LEADS = tuple(Actor(id=f"u-{i}", roles=frozenset({"lead"})) for i in range(1, 4))
PRIORITIES = ("P1", "P2", "P3", "P4")



def _log(message: str) -> None:
    print(f"[{NAME}] {message}", flush=True)


class _Info(Target):
    """No target: the row is information only (always passes, prints ``info``). Its kind is
    ``min_ratio`` so that the table prints the ratio."""

    __slots__ = ()

    def check(self, measured: float) -> bool:
        return True

    def __str__(self) -> str:
        return "info"


def ratio_row(benchmark: str, servicekit: float, peer: float, versus: str) -> Row:
    """servicekit against a peer: the ratio is the speed-up (peer time / servicekit time)."""
    return Row(benchmark, servicekit, peer, versus, peer / servicekit, _Info("min_ratio", 0.0))


def best_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` calls of ``fn``, garbage collector off."""
    return min(batch_seconds(fn) for _ in range(repeat))


# -- 1. a typical life ----------------------------------------------------------------------

LIFE_COMMANDS = 7
LIFE_EVENTS = ("assign", "reply", "wait_on_customer", "resume", "resolve", "close")
Moments = tuple[datetime, ...]


def life_moments(lives: int) -> list[tuple[str, Moments]]:
    """(ticket id, the seven instants of its commands) per life, built before any timing."""
    rng = random.Random(SEED)
    out = []
    for i in range(lives):
        at = START + timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
        moments = [at]
        for _ in range(LIFE_COMMANDS - 1):
            at += timedelta(minutes=rng.randrange(1, 600))
            moments.append(at)
        out.append((f"L-{i:05d}", tuple(moments)))
    return out


AGENT, LEAD = AGENTS[0], LEADS[0]


def sk_life(tid: str, at: Moments) -> Ticket:
    t = Ticket.open(
        ticket_id=tid,
        customer_id="C-9",
        channel="email",
        category="billing",
        priority="P3",
        subject="Invoice shows the wrong amount",
        at=at[0],
        by=AGENT,
    )
    t = t.assign(to=AGENT.id, at=at[1], by=LEAD)
    t = t.reply(at=at[2], by=AGENT, public=True)
    t = t.wait_on_customer(at=at[3], by=AGENT)
    t = t.resume(at=at[4], by=AGENT)
    t = t.resolve(at=at[5], by=AGENT, resolution="refund issued")
    return t.close(at=at[6], by=AGENT)


def _peer_life(fire: Callable[[str], object], tid: str, at: Moments) -> list[dict[str, Any]]:
    """The typical life on a peer: fire each event, record an event dict as the history."""
    history: list[dict[str, Any]] = []
    append = history.append
    append(
        {
            "type": "TicketCreated",
            "ticket_id": tid,
            "at": at[0],
            "by": AGENT.id,
            "priority": "P3",
            "customer_id": "C-9",
            "channel": "email",
            "category": "billing",
            "subject": "Invoice shows the wrong amount",
        }
    )
    fire("assign")
    append(
        {
            "type": "TicketAssigned",
            "ticket_id": tid,
            "at": at[1],
            "by": LEAD.id,
            "assignee": AGENT.id,
        }
    )
    fire("reply")
    append({"type": "AgentReplied", "ticket_id": tid, "at": at[2], "by": AGENT.id, "public": True})
    fire("wait_on_customer")
    append(
        {
            "type": "StatusChanged",
            "ticket_id": tid,
            "at": at[3],
            "by": AGENT.id,
            "status": "pending_customer",
            "event": "wait_on_customer",
        }
    )
    fire("resume")
    append(
        {
            "type": "StatusChanged",
            "ticket_id": tid,
            "at": at[4],
            "by": AGENT.id,
            "status": "open",
            "event": "resume",
        }
    )
    fire("resolve")
    append(
        {
            "type": "TicketResolved",
            "ticket_id": tid,
            "at": at[5],
            "by": AGENT.id,
            "resolution": "refund issued",
        }
    )
    fire("close")
    append({"type": "TicketClosed", "ticket_id": tid, "at": at[6], "by": AGENT.id})
    return history


def psm_life(machine_class: type[Any], tid: str, at: Moments) -> tuple[Any, list[Any]]:
    """The typical life on python-statemachine: one machine per ticket, an event-dict list."""
    machine = machine_class()
    return machine, _peer_life(machine.send, tid, at)


class _Model:
    """A ticket's model object for ``transitions`` (it gets a ``state`` and trigger methods)."""


def tr_life(machine: Any, tid: str, at: Moments) -> tuple[Any, list[Any]]:
    """The typical life on ``transitions``: a model added to the shared machine."""
    model = _Model()
    machine.add_model(model)
    history = _peer_life(model.trigger, tid, at)
    machine.remove_model(model)
    return model, history


def transitions_machine(process: ProcessDefinition) -> Any:
    """One ``transitions.Machine`` with the process's states and transitions, no model yet."""
    assert _transitions is not None
    specs = []
    for t in process.transitions:
        spec: dict[str, Any] = {"trigger": t.event, "source": list(t.sources), "dest": t.target}
        if t.guard is not None:
            guard = t.guard
            spec["conditions"] = [lambda facts=None, guard=guard, **_: guard.evaluate(facts or {})]
        specs.append(spec)
    return _transitions.Machine(
        model=None,
        states=[s.id for s in process.states],
        transitions=specs,
        initial=process.initial.id,
        auto_transitions=False,
    )


def bench_life(process: ProcessDefinition, tr_machine: Any) -> list[Row]:
    lives = life_moments(LIVES)
    peer_lives = lives[:PEER_LIVES]
    machine_class = process.machine_class()

    # -- the same life gives the same outcome everywhere (and a warm-up) --
    ticket = sk_life(*lives[0])
    require(
        ticket.status == "closed" and ticket.version == 8,
        f"servicekit: the typical life ends {ticket.status} at version {ticket.version}",
    )
    require(Ticket.replay(ticket.history) == ticket, "servicekit: replay != the live ticket")
    machine, history = psm_life(machine_class, *lives[0])
    require(
        machine.current_state_value == "closed" and len(history) == 7,
        f"python-statemachine: the typical life ends {machine.current_state_value}",
    )
    if tr_machine is not None:
        model, history = tr_life(tr_machine, *lives[0])
        require(
            model.state == "closed" and len(history) == 7,
            f"transitions: the typical life ends {model.state}",
        )

    ends: list[str] = []

    def sk_batch() -> None:
        ends.extend(sk_life(tid, at).status for tid, at in lives)

    def psm_batch() -> None:
        ends.extend(
            psm_life(machine_class, tid, at)[0].current_state_value for tid, at in peer_lives
        )

    def tr_batch() -> None:
        ends.extend(tr_life(tr_machine, tid, at)[0].state for tid, at in peer_lives)

    sk = best_seconds(sk_batch, REPEAT) / (LIVES * LIFE_COMMANDS)
    psm = best_seconds(psm_batch, PEER_REPEAT) / (PEER_LIVES * LIFE_COMMANDS)
    tr = (
        best_seconds(tr_batch, PEER_REPEAT) / (PEER_LIVES * LIFE_COMMANDS)
        if tr_machine is not None
        else None
    )
    require(set(ends) == {"closed"}, f"a timed life did not end closed: {set(ends)}")
    _log(
        f"typical life (7 commands): servicekit {1 / sk:,.0f} commands/s "
        f"({1 / (LIFE_COMMANDS * sk):,.0f} tickets/s); python-statemachine {1 / psm:,.0f}/s"
        + (f"; transitions {1 / tr:,.0f}/s" if tr is not None else "; transitions not installed")
    )
    rows = [
        Row(
            f"tickets life: per command, validated ({1 / sk:,.0f}/s; "
            f"{TARGET_COMMANDS // 1000}k/s sanity)",
            sk,
            None,
            "",
            sk,
            Target("max_seconds", 1 / TARGET_COMMANDS),
        ),
        ratio_row(
            f"tickets life: vs python-statemachine ({1 / psm:,.0f}/s)",
            sk,
            psm,
            "python-statemachine, machine per ticket",
        ),
    ]
    if tr is not None:
        rows.append(
            speedup_row(
                f"tickets life: vs transitions ({1 / tr:,.0f}/s)",
                sk,
                tr,
                "transitions, shared Machine",
                TARGET_VS_TRANSITIONS,
            )
        )
    return rows


# -- 2. bulk replay -------------------------------------------------------------------------

#: Commands by status, with weights: the mix of a busy help desk.
MOVES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "new": (
        ("assign", "reply", "customer_reply", "change_priority", "escalate", "cancel"),
        (80, 6, 4, 4, 3, 3),
    ),
    "open": (
        (
            "reply",
            "customer_reply",
            "wait_on_customer",
            "wait_on_third_party",
            "change_priority",
            "escalate",
            "resolve",
            "cancel",
            "assign",
        ),
        (30, 14, 12, 5, 5, 4, 27, 2, 1),
    ),
    "pending_customer": (
        (
            "customer_reply",
            "resume",
            "reply",
            "change_priority",
            "escalate",
            "resolve",
            "cancel",
            "assign",
        ),
        (35, 28, 15, 5, 5, 8, 2, 2),
    ),
    "pending_third_party": (
        ("resume", "reply", "customer_reply", "escalate", "change_priority", "resolve", "cancel"),
        (50, 20, 10, 8, 4, 6, 2),
    ),
    "resolved": (("close", "reopen", "auto_close"), (50, 30, 20)),
}


def mixed_life(rng: random.Random, i: int) -> Ticket:
    """One seeded ticket life through the commands (it may still be in progress at the end)."""
    customer_id = f"C-{rng.randrange(5_000)}"
    at = START + timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
    agent = rng.choice(AGENTS)
    t = Ticket.open(
        ticket_id=f"T-{i:05d}",
        customer_id=customer_id,
        channel=rng.choice(["phone", "chat", "email", "web", "social_media"]),
        category=rng.choice(["complaint", "consultation", "fault", "repair", "billing"]),
        priority=rng.choices(PRIORITIES, [1, 3, 4, 2])[0],
        subject="subject",
        customer_tier=rng.choice(["A", "B", "C", "D"]),
        at=at,
        by=agent,
    )
    for _ in range(rng.randrange(3, 20)):
        if t.status in ("closed", "cancelled"):
            break
        at += timedelta(minutes=rng.randrange(1, 600))
        names, weights = MOVES[t.status]
        move = rng.choices(names, weights)[0]
        lead = rng.choice(LEADS)
        if move == "assign":
            agent = rng.choice(AGENTS)
            t = t.assign(to=agent.id, at=at, by=lead)
        elif move == "reply":
            t = t.reply(at=at, by=agent, public=rng.random() < 0.85)
        elif move == "customer_reply":
            t = t.customer_reply(at=at)
        elif move in ("wait_on_customer", "wait_on_third_party", "resume"):
            t = t.fire(move, at=at, by=agent)
        elif move == "change_priority":
            priority = rng.choice([p for p in PRIORITIES if p != t.priority])
            t = t.change_priority(priority, at=at, by=lead, reason="customer impact")
        elif move == "escalate":
            t = t.escalate(level=t.escalation_level + 1, at=at, by=lead, reason="overdue")
        elif move == "resolve":
            t = t.resolve(at=at, by=agent, resolution="answered")
        elif move == "reopen":
            t = t.reopen(at=at, by=None if rng.random() < 0.7 else agent)
        elif move == "close":
            t = t.close(at=at, by=agent)
        elif move == "auto_close":
            t = t.apply_timeouts(at + timedelta(days=8))
        else:
            require(move == "cancel", f"unknown move {move}")
            t = t.cancel(at=at, by=lead, reason="duplicate")
    return t


def mixed_tickets(count: int) -> list[Ticket]:
    rng = random.Random(SEED)
    return [mixed_life(rng, i) for i in range(count)]


def peer_events(history: Sequence[Event]) -> list[str]:
    """The process events the peers' replay sends for a history (checked, not timed)."""
    out: list[str] = []
    previous: str | None = None  # the built-in event just before, whose companion may follow
    for ev in history[1:]:
        name = EVENT_COMMANDS.get(type(ev))
        if name is not None:
            previous = name
            out.append(name)
            continue
        require(
            type(ev) is StatusChanged and ev.event is not None,  # type: ignore[attr-defined]
            f"{ev.ticket_id}: an event the peers cannot map: {ev!r}",
        )
        name = ev.event  # type: ignore[attr-defined]
        if name != previous:  # else the companion status record of that built-in event
            out.append(name)
        previous = None
    return out


def _replay_calls(history: Sequence[Event]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The (event name, keyword arguments) a state-machine library is sent to replay a
    history: companion status records are skipped, the reopen guard gets its facts."""
    get = EVENT_COMMANDS.get
    previous: str | None = None
    resolved_at = None
    for ev in history[1:]:
        name = get(type(ev))
        if name is None:  # StatusChanged
            name = ev.event  # type: ignore[attr-defined]
            if name == previous:
                previous = None
                continue
            previous = None
            yield name, {}
            continue
        previous = name
        if name == "reopen":
            yield name, {"facts": {"at": ev.at, "resolved_at": resolved_at}}
        else:
            if name == "resolve":
                resolved_at = ev.at
            yield name, {}


Calls = Callable[[Sequence[Event]], Iterable[tuple[str, dict[str, Any]]]]


def psm_replay(
    machine_class: type[Any], history: Sequence[Event], listeners: Sequence[Any] = (),
    calls: Calls | None = None,
) -> str:
    """Replay on python-statemachine: a machine per ticket, each event sent in turn
    (``calls``: the events and their keyword arguments, default a ticket's)."""
    machine = machine_class(listeners=list(listeners)) if listeners else machine_class()
    send = machine.send
    for name, kwargs in (calls or _replay_calls)(history):
        send(name, **kwargs)
    return str(machine.current_state_value)


def tr_replay(machine: Any, history: Sequence[Event], calls: Calls | None = None) -> str:
    """Replay on ``transitions``: a model added to the shared machine, each event triggered."""
    model = _Model()
    machine.add_model(model)
    trigger = model.trigger
    for name, kwargs in (calls or _replay_calls)(history):
        trigger(name, **kwargs)
    machine.remove_model(model)
    return str(model.state)


class _Counter:
    """A python-statemachine listener counting the transitions that ran (targetless too)."""

    def __init__(self) -> None:
        self.fired = 0

    def after_transition(self) -> None:
        self.fired += 1


def bench_replay(process: ProcessDefinition, tr_machine: Any) -> list[Row]:
    began = time.perf_counter()
    live = mixed_tickets(HISTORIES)
    histories = [t.history for t in live]
    events = sum(len(h) for h in histories)
    kinds: dict[str, int] = {}
    for h in histories:
        for ev in h:
            kinds[type(ev).__name__] = kinds.get(type(ev).__name__, 0) + 1
    ends: dict[str, int] = {}
    for t in live:
        ends[t.status] = ends.get(t.status, 0) + 1
    _log(
        f"{len(histories):,} histories, {events:,} events (mean {events / len(histories):.1f}, "
        f"longest {max(len(h) for h in histories)}) built with the commands in "
        f"{time.perf_counter() - began:.1f} s (not timed); final statuses {ends}; "
        f"events {dict(sorted(kinds.items()))}"
    )

    # -- agreement on every history before any timing --
    began = time.perf_counter()
    replayed = [Ticket.replay(h) for h in histories]
    wrong = [t.ticket_id for t, r in zip(live, replayed, strict=True) if r != t]
    require(not wrong, f"servicekit: replay differs from the live ticket for {wrong[:5]}")
    machine_class = process.machine_class()
    for i, h in enumerate(histories):
        steps = peer_events(h)
        counter = _Counter()
        state = psm_replay(machine_class, h, [counter])
        require(
            state == replayed[i].status,
            f"{h[0].ticket_id}: servicekit ends {replayed[i].status!r}, "
            f"python-statemachine {state!r}",
        )
        require(
            counter.fired == len(steps),
            f"{h[0].ticket_id}: python-statemachine ran {counter.fired} transitions for "
            f"{len(steps)} events",
        )
        if tr_machine is not None:
            state = tr_replay(tr_machine, h)  # raises MachineError on a disallowed event
            require(
                state == replayed[i].status,
                f"{h[0].ticket_id}: servicekit ends {replayed[i].status!r}, transitions {state!r}",
            )
    _log(
        "agreement: servicekit"
        + (
            ", python-statemachine and transitions"
            if tr_machine is not None
            else " and python-statemachine"
        )
        + f" end every one of the {len(histories):,} histories in the same state "
        f"(checked in {time.perf_counter() - began:.1f} s, not timed)"
    )

    # -- timing --
    def sk_batch() -> None:
        for h in histories:
            Ticket.replay(h)

    peer = [histories[i] for i in range(0, len(histories), len(histories) // PEER_SAMPLE)]
    peer_count = sum(len(h) for h in peer)

    def psm_batch() -> None:
        for h in peer:
            psm_replay(machine_class, h)

    def tr_batch() -> None:
        for h in peer:
            tr_replay(tr_machine, h)

    sk = best_seconds(sk_batch, REPEAT) / events
    psm = best_seconds(psm_batch, PEER_REPEAT) / peer_count
    tr = best_seconds(tr_batch, PEER_REPEAT) / peer_count if tr_machine is not None else None
    _log(
        f"replay: servicekit {1 / sk:,.0f} events/s ({events:,} events, best of {REPEAT}); "
        f"python-statemachine {1 / psm:,.0f} events/s"
        + (f"; transitions {1 / tr:,.0f} events/s" if tr is not None else "")
        + f" ({len(peer):,} histories, {peer_count:,} events, best of {PEER_REPEAT})"
    )
    rows = [
        Row(
            f"tickets replay: per event ({1 / sk:,.0f}/s; {TARGET_REPLAY // 1000}k/s)",
            sk,
            None,
            "",
            sk,
            Target("max_seconds", 1 / TARGET_REPLAY),
        ),
        ratio_row(
            f"tickets replay: vs python-statemachine ({1 / psm:,.0f}/s)",
            sk,
            psm,
            "python-statemachine, machine per ticket",
        ),
    ]
    if tr is not None:
        rows.append(
            ratio_row(
                f"tickets replay: vs transitions ({1 / tr:,.0f}/s)",
                sk,
                tr,
                "transitions, shared Machine",
            )
        )
    return rows


def run() -> list[Row]:
    process = default_ticket_process()
    tr_machine = transitions_machine(process) if _transitions is not None else None
    if tr_machine is None:
        _log("transitions is not installed: its rows are left out")
    return bench_life(process, tr_machine) + bench_replay(process, tr_machine)
