"""Case benchmarks (issue 9, "One engine for every case"): bulk replay of every preset process.

For each of the six handbook processes (ticket P-01, complaint P-03, consultation P-02, repair
P-06, dispute P-05, feedback loop P-04), ``HISTORIES`` seeded cases are written with
``Case.start`` / ``Case.fire`` (random walks over the transitions the process offers, with the
fields each transition requires and the facts its guard reads, by a staff actor), then rebuilt
with ``Case.replay``: every event checked against the compiled transition table (stream, order,
ids, roles-free legality, guards). Target (issue 9): at least ``TARGET_REPLAY`` events per
second on every preset.

Peers, in the same process run, replay the same event names (``StatusChanged.event``) with the
facts the guards read (the case's data so far):

* ``python-statemachine``: an instance of the process's ``machine_class()`` per case;
* ``transitions``: one shared ``Machine`` per process, one model per case.

Before anything is timed, every history is replayed by all three and the final states must
agree; the module fails on any disagreement. Peer rows print the speed-up (peer time /
servicekit time); they are information, the targets are on servicekit's rates.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from _harness import Row, Target, batch_seconds, require
from bench_tickets import psm_replay, ratio_row, tr_replay, transitions_machine
from servicekit.cases import Actor, Case
from servicekit.errors import ServiceKitError
from servicekit.events import Event
from servicekit.presets.processes import all_processes
from servicekit.processes import ProcessDefinition

try:
    import transitions as _transitions
except ImportError:  # pragma: no cover - the bench extra installs it
    _transitions = None

NAME = "bench_cases"
SEED = 20261201
HISTORIES = 4_000
PEER_SAMPLE = 400
REPEAT = 15  # best of: each batch is ~35 ms, so transient slowdowns of the VM are filtered out
PEER_REPEAT = 3
MAX_STEPS = 24
TARGET_REPLAY = 500_000  # events per second, every preset (issue 9)
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STAFF = Actor(id="lead-1", roles=frozenset({"agent", "lead", "manager", "system"}))


def _log(message: str) -> None:
    print(f"[{NAME}] {message}", flush=True)


def _value(field: str, rng: random.Random) -> Any:
    return 1 + rng.randrange(6) if field == "severity" else f"{field}-{rng.randrange(1000)}"


def walk(process: ProcessDefinition, i: int, rng: random.Random) -> Case:
    """A seeded random walk: each step a transition the process offers, with its fields."""
    at = START + timedelta(minutes=rng.randrange(300 * 24 * 60))
    case = Case.start(process=process, case_id=f"{process.name[:3].upper()}-{i:05d}",
                      customer_id=f"C-{i % 97}", at=at, by=STAFF)
    table = process.table
    for _ in range(MAX_STEPS):
        if case.is_final:
            break
        options = list(table.events_from(case.state))
        rng.shuffle(options)
        at += timedelta(minutes=rng.randrange(1, 600))
        for event in options:
            moves = table.candidates(case.state, event)
            fields = {f: _value(f, rng) for t in moves for f in t.requires}
            if event in ("close", "rework"):
                fields["customer_satisfied"] = rng.random() < 0.7
            if event == "follow_up":
                fields["complex"] = rng.random() < 0.5
            try:
                case = case.fire(event, at=at, by=STAFF, fields=fields)
                break
            except ServiceKitError:
                continue  # a guard or role said no: try another transition
    return case


def _calls(history: Sequence[Event]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The event names the peers are sent, with the facts the guards read."""
    facts: dict[str, Any] = dict(history[0].fields)
    for ev in history[1:]:
        if ev.fields:
            facts = {**facts, **ev.fields}
        yield ev.event, {"facts": facts}  # type: ignore[attr-defined]


def bench_process(process: ProcessDefinition) -> list[Row]:
    rng = random.Random(f"{SEED}-{process.name}")
    began = time.perf_counter()
    live = [walk(process, i, rng) for i in range(HISTORIES)]
    histories = [c.history for c in live]
    events = sum(len(h) for h in histories)
    ends: dict[str, int] = {}
    for c in live:
        ends[c.state] = ends.get(c.state, 0) + 1
    name = process.name
    _log(f"{name}: {len(histories):,} cases, {events:,} events (mean "
         f"{events / len(histories):.1f}) written in {time.perf_counter() - began:.1f} s "
         f"(not timed); final states {dict(sorted(ends.items()))}")

    # -- agreement before timing --
    machine_class = process.machine_class()
    tr_machine = transitions_machine(process) if _transitions is not None else None
    for c, h in zip(live, histories, strict=True):
        require(Case.replay(h, process=process) == c, f"{c.case_id}: replay != the live case")
        state = psm_replay(machine_class, h, calls=_calls)
        require(state == c.state, f"{c.case_id}: servicekit ends {c.state!r}, "
                                  f"python-statemachine {state!r}")
        if tr_machine is not None:
            state = tr_replay(tr_machine, h, calls=_calls)
            require(state == c.state, f"{c.case_id}: servicekit ends {c.state!r}, "
                                      f"transitions {state!r}")

    def sk_batch() -> None:
        for h in histories:
            Case.replay(h, process=process)

    peer = histories[:: max(1, len(histories) // PEER_SAMPLE)]
    peer_count = sum(len(h) for h in peer)

    def psm_batch() -> None:
        for h in peer:
            psm_replay(machine_class, h, calls=_calls)

    def tr_batch() -> None:
        for h in peer:
            tr_replay(tr_machine, h, calls=_calls)

    sk = min(batch_seconds(sk_batch) for _ in range(REPEAT)) / events
    psm = min(batch_seconds(psm_batch) for _ in range(PEER_REPEAT)) / peer_count
    tr = (min(batch_seconds(tr_batch) for _ in range(PEER_REPEAT)) / peer_count
          if tr_machine is not None else None)
    _log(f"{name}: replay servicekit {1 / sk:,.0f} events/s; python-statemachine "
         f"{1 / psm:,.0f}/s" + (f"; transitions {1 / tr:,.0f}/s" if tr is not None else ""))
    rows = [
        Row(f"cases replay [{name}]: per event ({1 / sk:,.0f}/s; "
            f"{TARGET_REPLAY // 1000}k/s)", sk, None, "", sk,
            Target("max_seconds", 1 / TARGET_REPLAY)),
        ratio_row(f"cases replay [{name}]: vs python-statemachine", sk, psm,
                  "python-statemachine, machine per case"),
    ]
    if tr is not None:
        rows.append(ratio_row(f"cases replay [{name}]: vs transitions", sk, tr,
                              "transitions, shared Machine"))
    return rows


def run() -> list[Row]:
    if _transitions is None:
        _log("transitions is not installed (pip install -e '.[bench]'): its rows are left out")
    rows: list[Row] = []
    for process in all_processes().values():
        rows.extend(bench_process(process))
    return rows
