"""Rule engine benchmarks: a 30-rule first-hit decision table against three peer engines.

The table routes support tickets to a queue with an SLA (priority, channel, customer tier and
region, severity, age in hours, category prefixes, reopened flag; and/or combinations; a
default). It is written once, neutrally (``RULES``), and rendered for every engine:

* servicekit: a ``DecisionTable`` (hit policy ``first``) of ``Rule``s with text conditions,
  built from a JSON-able document by ``DecisionTable.model_validate`` and called as
  ``table.decide(facts)`` with dict facts and with pydantic-model facts;
* GoRules ``zen-engine`` (Rust, Python binding): a JDM decision graph with one
  ``decisionTableNode`` (``hitPolicy: "first"``), one input column per field (unary cells such
  as ``'P2', 'P3'``, ``>= 4``, ``startsWith($, 'billing.')``) and one expression column (empty
  ``field``) for the cross-field ``or``s; created once with ``ZenEngine().create_decision``.
  Two ways of calling it are timed: the synchronous ``ZenDecision.evaluate(facts)``, and all
  facts as ``ZenDecision.async_evaluate(facts)`` awaited by one ``asyncio.gather``; the peer
  rows use the faster. Other calls (JSON text input, ``ZenEngine.evaluate`` by key,
  ``evaluate_batch``, ``trace=True``) are measured for information, with their CPU time;
* ``rule-engine``: one ``rule_engine.Rule(text)`` per row, compiled once, tried in order with
  ``.matches(facts)``;
* ``cel-python``: one ``env.program(env.compile(text))`` per row, compiled once, tried in order
  on ``json_to_cel(facts)`` (converted once per decision, inside the timing: that conversion is
  what a caller must do to hand dict facts to celpy).

Before anything is timed, every engine's output (rule id, queue, SLA) is checked to be equal to
servicekit's on every one of the ``N_FACTS`` seeded fact sets; the module fails otherwise.
The matching rule is spread over the table (the mean number of rules tried is logged).

servicekit and zen-engine run the whole fact list many times, interleaved (median per
decision). rule-engine and cel-python are 20-300x slower: their per-decision cost is the mean
of one timed pass over all the facts (the same pass that collects their outputs for the
agreement check), after a short warm-up. ``N_FACTS`` is 4,000 rather than 10,000 to keep the
module under a minute: cel-python alone needs ~4 ms per decision.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from time import process_time
from typing import Any, Literal

import celpy
import rule_engine  # type: ignore[import-untyped]
import zen
from celpy.adapter import json_to_cel
from pydantic import BaseModel, ConfigDict

from _harness import (
    Row,
    Target,
    batch_seconds,
    fmt_seconds,
    interleaved_per_call,
    require,
    speedup_row,
    time_row,
)
from servicekit.rules import DecisionTable

NAME = "rules"

SEED = 20260315
N_FACTS = 4_000
INFO_FACTS = 500  # facts for the information-only measurements
FAST_REPEAT = 11  # interleaved passes of servicekit and zen-engine over all facts (median)
COMPILE_REPEAT = 20  # constructions of each table, for the compile-once cost (median)
TARGET_RATE = 100_000  # decisions per second, one process

Facts = dict[str, Any]
Output = dict[str, str]


def _log(message: str) -> None:
    print(f"[{NAME}] {message}", flush=True)


# -- the table, written once ----------------------------------------------------------------

Op = Literal["==", "in", ">=", "startswith"]


@dataclass(frozen=True, slots=True)
class Atom:
    """``field op value``."""

    field: str
    op: Op
    value: str | int | float | bool | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """``a or b or ...`` (always across different fields here)."""

    parts: tuple[Atom, ...]


Cond = Atom | AnyOf


@dataclass(frozen=True, slots=True)
class Spec:
    id: str
    when: tuple[Cond, ...]  # all of these
    queue: str
    sla: str


def A(field: str, op: Op, value: str | int | float | bool | tuple[str, ...]) -> Atom:
    return Atom(field, op, value)


def Or(*parts: Atom) -> AnyOf:
    return AnyOf(parts)


def R(id: str, queue: str, sla: str, *when: Cond) -> Spec:
    return Spec(id, when, queue, sla)


GOLD_UP = ("platinum", "gold")
# fmt: off
RULES: tuple[Spec, ...] = (
    R("R01", "legal-eu", "1d", A("category", "startswith", "legal."),
      A("customer.region", "==", "EU")),
    R("R02", "incident", "15m", A("priority", "==", "P1"), A("category", "==", "tech.outage")),
    R("R03", "vip-urgent", "30m", A("priority", "==", "P1"), A("customer.tier", "in", GOLD_UP)),
    R("R04", "urgent-phone", "30m", A("channel", "==", "phone"), A("severity", ">=", 5)),
    R("R05", "billing-vip", "1h", A("category", "startswith", "billing."),
      A("customer.tier", "==", "platinum"), A("severity", ">=", 4)),
    R("R06", "escalations", "2h", A("reopened", "==", True), A("age_hours", ">=", 72)),
    R("R07", "urgent", "1h", A("priority", "==", "P1")),
    R("R08", "access-live", "1h", A("category", "==", "account.access"),
      Or(A("channel", "==", "phone"), A("customer.tier", "==", "platinum"))),
    R("R09", "platinum", "2h", A("customer.tier", "==", "platinum"), A("severity", ">=", 3)),
    R("R10", "tech-escalation", "2h", A("category", "startswith", "tech."),
      A("severity", ">=", 4), A("age_hours", ">=", 24)),
    R("R11", "disputes-aging", "4h", A("category", "==", "billing.dispute"),
      A("age_hours", ">=", 48)),
    R("R12", "billing", "8h", A("category", "startswith", "billing."),
      A("priority", "in", ("P2", "P3"))),
    R("R13", "gold-live", "2h", A("priority", "==", "P2"), A("channel", "in", ("phone", "chat")),
      A("customer.tier", "in", GOLD_UP)),
    R("R14", "shipping-apac", "8h", A("category", "startswith", "shipping."),
      A("customer.region", "==", "APAC")),
    R("R15", "p2-high", "4h", A("priority", "==", "P2"), A("severity", ">=", 4)),
    R("R16", "p2", "8h", A("priority", "==", "P2"), A("customer.region", "in", ("EU", "US"))),
    R("R17", "social-care", "4h", A("channel", "==", "social"),
      Or(A("severity", ">=", 3), A("customer.tier", "==", "gold"))),
    R("R18", "retention", "8h", A("category", "==", "account.closure")),
    R("R19", "tech-backlog", "8h", A("category", "startswith", "tech."),
      A("channel", "==", "email"), A("age_hours", ">=", 48)),
    R("R20", "gold-aging", "8h", A("customer.tier", "==", "gold"), A("age_hours", ">=", 24)),
    R("R21", "shipping", "12h", A("category", "startswith", "shipping."),
      A("severity", ">=", 3)),
    R("R22", "tech-eu", "12h", A("category", "==", "tech.bug"), A("customer.region", "==", "EU")),
    R("R23", "tech", "1d", A("category", "==", "tech.bug")),
    R("R24", "chat", "12h", A("channel", "==", "chat"), A("priority", "==", "P3")),
    R("R25", "reopened", "12h", A("reopened", "==", True)),
    R("R26", "stale", "1d", A("age_hours", ">=", 120), A("priority", "in", ("P3", "P4"))),
    R("R27", "general", "2d", A("category", "startswith", "general."),
      A("channel", "in", ("email", "web"))),
    R("R28", "standard", "1d", A("priority", "==", "P3"), A("severity", ">=", 3)),
    R("R29", "self-service", "3d",
      Or(A("customer.tier", "==", "bronze"), A("severity", ">=", 2)), A("priority", "==", "P4")),
    R("R30", "standard-async", "2d", A("priority", "==", "P3"),
      A("channel", "in", ("email", "web", "social"))),
)
# fmt: on
DEFAULT: Output = {"rule": "default", "queue": "triage", "sla": "1d"}


def output(spec: Spec) -> Output:
    return {"rule": spec.id, "queue": spec.queue, "sla": spec.sla}


# -- facts ----------------------------------------------------------------------------------

CATEGORIES = (
    ("billing.refund", 12),
    ("billing.invoice", 8),
    ("billing.dispute", 5),
    ("tech.outage", 3),
    ("tech.bug", 12),
    ("tech.howto", 10),
    ("account.access", 8),
    ("account.closure", 3),
    ("shipping.delay", 10),
    ("shipping.damage", 4),
    ("general.feedback", 6),
    ("general.question", 6),
    ("legal.gdpr", 2),
    ("legal.complaint", 1),
)


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def make_facts(rng: random.Random, n: int) -> list[Facts]:
    out: list[Facts] = []
    for i in range(n):
        out.append(
            {
                "id": f"T-{100000 + i}",
                "priority": _pick(rng, (("P1", 9), ("P2", 31), ("P3", 38), ("P4", 22))),
                "channel": _pick(
                    rng, (("email", 35), ("web", 25), ("chat", 20), ("phone", 12), ("social", 8))
                ),
                "customer": {
                    "id": f"C-{rng.randrange(10**6):06d}",
                    "tier": _pick(
                        rng, (("platinum", 6), ("gold", 20), ("silver", 34), ("bronze", 40))
                    ),
                    "region": _pick(rng, (("EU", 35), ("US", 35), ("APAC", 30))),
                },
                "severity": rng.choices((1, 2, 3, 4, 5), (30, 30, 22, 12, 6))[0],
                "age_hours": round(min(rng.expovariate(1 / 30), 500.0), 1),
                "category": _pick(rng, CATEGORIES),
                "reopened": rng.random() < 0.08,
            }
        )
    return out


class Customer(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    tier: str
    region: str


class Ticket(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    priority: str
    channel: str
    customer: Customer
    severity: int
    age_hours: float
    category: str
    reopened: bool


# -- servicekit -----------------------------------------------------------------------------


def _sk_literal(v: object) -> str:
    return json.dumps(list(v) if isinstance(v, tuple) else v)


def _sk_atom(a: Atom) -> str:
    return f"{a.field} {a.op} {_sk_literal(a.value)}"


def sk_condition(when: Sequence[Cond]) -> str:
    return " and ".join(
        "(" + " or ".join(_sk_atom(p) for p in c.parts) + ")"
        if isinstance(c, AnyOf)
        else _sk_atom(c)
        for c in when
    )


def sk_document() -> dict[str, Any]:
    """The table as a host would store it (JSON-able, conditions in text form)."""
    return {
        "name": "ticket_routing",
        "hit_policy": "first",
        "rules": [
            {"id": s.id, "when": sk_condition(s.when), "then": {"queue": s.queue, "sla": s.sla}}
            for s in RULES
        ],
        "default": {"queue": DEFAULT["queue"], "sla": DEFAULT["sla"]},
    }


def sk_output(table: DecisionTable, facts: Any) -> Output:
    d = table.decide(facts)
    return {"rule": d.rule_id or "default", **d.value}


# -- zen-engine -----------------------------------------------------------------------------

ZEN_COLUMNS = (
    "priority",
    "category",
    "channel",
    "customer.tier",
    "customer.region",
    "severity",
    "age_hours",
    "reopened",
)


def _zen_literal(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f"'{v}'"
    return repr(v)


def _zen_unary(a: Atom) -> str:
    """A cell of an input column: a unary test of ``$``, the column's value."""
    if a.op == "==":
        return _zen_literal(a.value)
    if a.op == "in":
        assert isinstance(a.value, tuple)
        return ", ".join(_zen_literal(v) for v in a.value)
    if a.op == ">=":
        return f">= {_zen_literal(a.value)}"
    return f"startsWith($, {_zen_literal(a.value)})"


def _zen_expr(a: Atom) -> str:
    """The same test as a full expression (for the expression column)."""
    if a.op == "==":
        return f"{a.field} == {_zen_literal(a.value)}"
    if a.op == "in":
        assert isinstance(a.value, tuple)
        return f"{a.field} in [{', '.join(_zen_literal(v) for v in a.value)}]"
    if a.op == ">=":
        return f"{a.field} >= {_zen_literal(a.value)}"
    return f"startsWith({a.field}, {_zen_literal(a.value)})"


def zen_graph() -> dict[str, Any]:
    """A JDM graph: an input node feeding one first-hit decision table."""
    inputs = [{"id": f"i{k}", "name": col, "field": col} for k, col in enumerate(ZEN_COLUMNS)]
    inputs.append({"id": "ix", "name": "either", "field": ""})  # cells are full expressions
    outputs = [{"id": f"o_{k}", "name": k, "field": k} for k in ("rule", "queue", "sla")]
    rows: list[dict[str, str]] = []
    for spec in (*RULES, None):
        row = {"_id": spec.id if spec else "default"}
        row |= {f"i{k}": "" for k in range(len(ZEN_COLUMNS))}
        row["ix"] = ""
        for c in spec.when if spec else ():
            if isinstance(c, AnyOf):
                require(row["ix"] == "", "one 'or' group per rule")
                row["ix"] = " or ".join(_zen_expr(p) for p in c.parts)
            else:
                key = f"i{ZEN_COLUMNS.index(c.field)}"
                require(row[key] == "", f"{spec and spec.id}: one test per column")
                row[key] = _zen_unary(c)
        out = output(spec) if spec else DEFAULT
        row |= {f"o_{k}": _zen_literal(v) for k, v in out.items()}
        rows.append(row)
    table = {
        "hitPolicy": "first",
        "inputs": inputs,
        "outputs": outputs,
        "rules": rows,
        "passThrough": False,
        "inputField": None,
        "outputPath": None,
        "executionMode": "single",
    }
    return {
        "nodes": [
            {
                "id": "in",
                "type": "inputNode",
                "name": "request",
                "content": {"schema": ""},
                "position": {"x": 0, "y": 0},
            },
            {
                "id": "dt",
                "type": "decisionTableNode",
                "name": "ticket_routing",
                "content": table,
                "position": {"x": 200, "y": 0},
            },
        ],
        "edges": [{"id": "e1", "sourceId": "in", "targetId": "dt", "type": "edge"}],
    }


# -- rule-engine and cel-python: compiled rules tried in order ------------------------------


def _re_literal(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return "[" + ", ".join(_re_literal(x) for x in v) + "]"
    return json.dumps(v)


def _re_atom(a: Atom) -> str:
    if a.op == "startswith":
        return f"{a.field}.starts_with({_re_literal(a.value)})"
    return f"{a.field} {a.op} {_re_literal(a.value)}"


def re_text(when: Sequence[Cond]) -> str:
    return " and ".join(
        "(" + " or ".join(_re_atom(p) for p in c.parts) + ")"
        if isinstance(c, AnyOf)
        else _re_atom(c)
        for c in when
    )


def _cel_atom(a: Atom) -> str:
    if a.op == "startswith":
        return f"{a.field}.startsWith({_re_literal(a.value)})"
    return f"{a.field} {a.op} {_re_literal(a.value)}"


def cel_text(when: Sequence[Cond]) -> str:
    return " && ".join(
        "(" + " || ".join(_cel_atom(p) for p in c.parts) + ")"
        if isinstance(c, AnyOf)
        else _cel_atom(c)
        for c in when
    )


Matcher = Callable[[Any], bool]


def re_rules() -> list[tuple[Matcher, Output]]:
    return [(rule_engine.Rule(re_text(s.when)).matches, output(s)) for s in RULES]


def cel_rules(env: celpy.Environment) -> list[tuple[Any, Output]]:
    return [(env.program(env.compile(cel_text(s.when))), output(s)) for s in RULES]


def re_decide(rules: Sequence[tuple[Matcher, Output]], facts: Facts) -> Output:
    for matches, out in rules:
        if matches(facts):
            return out
    return DEFAULT


def cel_decide(rules: Sequence[tuple[Any, Output]], facts: Facts) -> Output:
    activation = json_to_cel(facts)
    for program, out in rules:
        if program.evaluate(activation):
            return out
    return DEFAULT


# -- helpers --------------------------------------------------------------------------------


class _Info(Target):
    """No target: the row is information only (always passes, prints ``info``)."""

    __slots__ = ()

    def check(self, measured: float) -> bool:
        return True

    def __str__(self) -> str:
        return "info"


def info_row(benchmark: str, seconds: float, peer: float | None = None, versus: str = "") -> Row:
    return Row(benchmark, seconds, peer, versus, seconds, _Info("max_seconds", float("inf")))


def check_equal(what: str, ours: Sequence[Output], theirs: Sequence[Output]) -> None:
    bad = [i for i, (x, y) in enumerate(zip(ours, theirs, strict=True)) if x != y]
    require(
        not bad,
        f"{what}: chosen outputs differ on {len(bad)} of {len(ours)} fact sets"
        + (f"; first at #{bad[0]}: {ours[bad[0]]} != {theirs[bad[0]]}" if bad else ""),
    )


def timed_pass(
    decide: Callable[[Facts], Output], facts: Sequence[Facts]
) -> tuple[float, list[Output]]:
    """One pass over all facts, gc off: (seconds per decision, outputs)."""
    for f in facts[:20]:
        decide(f)  # warm-up
    out: list[Output] = []
    seconds = batch_seconds(lambda: out.extend(decide(f) for f in facts))
    return seconds / len(facts), out


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    return statistics.median(batch_seconds(fn) for _ in range(repeat))


# -- zen-engine call variants ---------------------------------------------------------------


def zen_async_batch(
    decision: Any, facts: Sequence[Facts], loop: asyncio.AbstractEventLoop
) -> Callable[[], list[Any]]:
    """All facts as concurrent ``async_evaluate`` calls awaited by one ``asyncio.gather``."""

    async def gather() -> list[Any]:
        return list(await asyncio.gather(*(decision.async_evaluate(f) for f in facts)))

    return lambda: loop.run_until_complete(gather())


def zen_variants(
    graph_json: str, facts: Sequence[Facts], loop: asyncio.AbstractEventLoop
) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds per decision of the other ways to call zen-engine (information)."""
    engine = zen.ZenEngine({"loader": lambda key: graph_json})
    decision = engine.create_decision(graph_json)
    texts = [json.dumps(f) for f in facts]
    requests = [{"key": "routing", "context": f} for f in facts]
    runs: dict[str, Callable[[], object]] = {
        "ZenDecision.evaluate(dict)": lambda: [decision.evaluate(f) for f in facts],
        "ZenDecision.async_evaluate(dict), one asyncio.gather": zen_async_batch(
            decision, facts, loop
        ),
        "ZenDecision.evaluate(JSON text, made beforehand)": lambda: [
            decision.evaluate(t) for t in texts
        ],
        "ZenDecision.evaluate(dict, trace=True)": lambda: [
            decision.evaluate(f, {"trace": True}) for f in facts
        ],
        "ZenEngine.evaluate(key, dict) via loader": lambda: [
            engine.evaluate("routing", f) for f in facts
        ],
        "ZenEngine.evaluate_batch(requests)": lambda: engine.evaluate_batch(requests),  # type: ignore[arg-type]
    }
    out: dict[str, tuple[float, float]] = {}
    for name, fn in runs.items():
        fn()  # warm-up
        walls, cpus = [], []
        for _ in range(3):
            c0 = process_time()
            walls.append(batch_seconds(fn) / len(facts))
            cpus.append((process_time() - c0) / len(facts))
        out[name] = (statistics.median(walls), statistics.median(cpus))
    return out


# -- the benchmark --------------------------------------------------------------------------


def run() -> list[Row]:
    loop = asyncio.new_event_loop()
    try:
        return _run(loop)
    finally:
        loop.close()


def _run(loop: asyncio.AbstractEventLoop) -> list[Row]:
    rng = random.Random(SEED)
    facts = make_facts(rng, N_FACTS)
    models = [Ticket.model_validate(f) for f in facts]
    document = sk_document()
    graph_json = json.dumps(zen_graph())

    # -- compile once (information): servicekit parses and compiles in the constructor --
    sk_compile = median_seconds(lambda: DecisionTable.model_validate(document), COMPILE_REPEAT)
    table = DecisionTable.model_validate(document)
    engine = zen.ZenEngine()
    zen_compile = median_seconds(lambda: engine.create_decision(graph_json), COMPILE_REPEAT)
    decision = engine.create_decision(graph_json)
    re_compile = median_seconds(re_rules, 3)
    env = celpy.Environment()
    cel_compile = median_seconds(lambda: cel_rules(env), 3)
    rules_re = re_rules()
    rules_cel = cel_rules(env)
    _log(
        "compile the 30-rule table once: servicekit DecisionTable.model_validate "
        f"{fmt_seconds(sk_compile)}, zen create_decision {fmt_seconds(zen_compile)}, "
        f"rule-engine 30 x Rule() {fmt_seconds(re_compile)}, "
        f"cel-python 30 x compile+program {fmt_seconds(cel_compile)}"
    )
    # parsing is cached: each rule's predicate is compiled once and the table holds that object
    compiled = table.__pydantic_private__["_compiled"]  # type: ignore[index]
    require(
        all(r.when.predicate is c[1] for r, c in zip(table.rules, compiled, strict=True)),
        "servicekit recompiles conditions",
    )

    # -- agreement on every fact set (rule-engine and cel-python are timed on this pass) --
    sk_out = [sk_output(table, f) for f in facts]
    check_equal(
        "servicekit, pydantic facts vs dict facts", [sk_output(table, m) for m in models], sk_out
    )
    zen_async = zen_async_batch(decision, facts, loop)
    check_equal(
        "zen-engine evaluate vs servicekit", [decision.evaluate(f)["result"] for f in facts], sk_out
    )
    check_equal(
        "zen-engine async_evaluate vs servicekit", [r["result"] for r in zen_async()], sk_out
    )
    re_sec, re_out = timed_pass(lambda f: re_decide(rules_re, f), facts)
    check_equal("rule-engine vs servicekit", re_out, sk_out)
    cel_sec, cel_out = timed_pass(lambda f: cel_decide(rules_cel, f), facts)
    check_equal("cel-python vs servicekit", cel_out, sk_out)
    position = {s.id: i + 1 for i, s in enumerate(RULES)} | {"default": len(RULES)}
    tried = [position[o["rule"]] for o in sk_out]
    hits = {k: sum(1 for o in sk_out if o["rule"] == k) for k in position}
    _log(
        f"agreement: the 4 engines chose the same output on all {N_FACTS} fact sets "
        "(zen-engine by evaluate and by async_evaluate; servicekit on dicts and on pydantic "
        f"models); rules tried per decision: mean {statistics.mean(tried):.1f} of {len(RULES)}, "
        f"median {statistics.median(tried):g}; default taken {hits['default']} times; "
        f"rules never matched: {[k for k, v in hits.items() if v == 0] or 'none'}"
    )

    # -- servicekit and zen-engine: interleaved passes over all facts --
    decide = table.decide
    evaluate = decision.evaluate

    def sk_dicts() -> None:
        for f in facts:
            decide(f)

    def sk_models() -> None:
        for m in models:
            decide(m)

    def zen_sync() -> None:
        for f in facts:
            evaluate(f)

    batches: list[Callable[[], object]] = [sk_dicts, sk_models, zen_sync, zen_async]
    for b in batches:
        b()  # warm-up
    sk_dict, sk_model, zen_sync_sec, zen_async_sec = interleaved_per_call(
        batches, N_FACTS, repeat=FAST_REPEAT
    )
    zen_sec = min(zen_sync_sec, zen_async_sec)
    zen_how = "async_evaluate, gathered" if zen_async_sec < zen_sync_sec else "evaluate"
    _log(
        f"zen-engine per decision: ZenDecision.evaluate(dict) {fmt_seconds(zen_sync_sec)}, "
        f"{N_FACTS} x ZenDecision.async_evaluate(dict) awaited by one asyncio.gather "
        f"{fmt_seconds(zen_async_sec)}; the peer rows use the faster ({zen_how})"
    )

    # -- information: other zen-engine calls, its trace, servicekit's explain --
    sample = facts[:INFO_FACTS]
    variants = zen_variants(graph_json, sample, loop)
    _log(
        f"zen-engine variants on {INFO_FACTS} facts (wall / CPU of all threads, per decision): "
        + "; ".join(f"{k} {fmt_seconds(w)} / {fmt_seconds(c)}" for k, (w, c) in variants.items())
    )
    decisions = [decide(f) for f in sample]
    explain = median_seconds(lambda: [d.explain() for d in decisions], 3) / len(sample)
    _log(
        f"servicekit Decision.explain() (a trace with actual values, computed only on demand) "
        f"{fmt_seconds(explain)} per decision on the same {INFO_FACTS} facts"
    )

    peers = {"zen-engine": zen_sec, "rule-engine": re_sec, "cel-python": cel_sec}
    fastest = min(peers, key=lambda k: peers[k])
    _log(
        "per decision: "
        + ", ".join(
            f"{k} {fmt_seconds(v)} ({1 / v:,.0f}/s)"
            for k, v in {
                "servicekit dict": sk_dict,
                "servicekit pydantic": sk_model,
                **peers,
            }.items()
        )
        + f"; fastest peer: {fastest}"
    )

    limit = 1 / TARGET_RATE
    rows = [
        time_row(
            f"rules: 30-rule first-hit, dict facts ({1 / sk_dict:,.0f}/s; 100k/s)", sk_dict, limit
        ),
        time_row(
            f"rules: 30-rule first-hit, pydantic facts ({1 / sk_model:,.0f}/s; 100k/s)",
            sk_model,
            limit,
        ),
    ]
    for name, sec in sorted(peers.items(), key=lambda kv: kv[1]):
        label = f"{name} (fastest peer)" if name == fastest else name
        how = f", {zen_how}" if name == "zen-engine" else ""
        rows.append(speedup_row(f"rules: same table vs {label}", sk_dict, sec, name + how, 1.0))
    rows.append(
        info_row(
            "rules: parse + compile 30 rules once", sk_compile, zen_compile, "zen create_decision"
        )
    )
    return rows
