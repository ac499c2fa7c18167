"""Coverage-guided fuzzing of the policy loaders (JSON, TOML, YAML) with atheris (issue 10).

The hypothesis test in tests/test_hardening_policy.py fuzzes the loaders on every test run, a
little; this harness is for longer runs by hand:

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python fuzz/fuzz_policy.py -atheris_runs=200000 -max_len=65536 -rss_limit_mb=2048

An input's first byte chooses the format (JSON, TOML, YAML) and what the rest is: text, raw
bytes, or a program of edits to the handbook preset's own text in that format (delete, copy,
insert an adversarial snippet, a digit run, a deep bracket run…), so the fuzzer starts from a
valid policy. Every input must load or raise ``PolicyError`` within one second of CPU, and a
policy that loads must be written out and read back equal (``to_json`` / ``from_json``). Any
other exception, a blown budget or a round trip that changes the policy stops the run with the
input that caused it. ``SERVICEKIT_FUZZ_MEMORY=1`` also holds each input to 100 MB
(tracemalloc; slow).

``test_one_input`` needs no atheris: the test suite runs it on a few seeds so it cannot rot.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import cache
from typing import Any

try:
    import atheris
except ImportError:  # the test suite runs test_one_input without it
    atheris = None

if atheris is not None and __name__ == "__main__":
    with atheris.instrument_imports(include=["servicekit", "yaml"]):
        from servicekit.errors import PolicyError
        from servicekit.policy import Policy
        from servicekit.presets.handbook import policy as handbook_policy
else:
    from servicekit.errors import PolicyError
    from servicekit.policy import Policy
    from servicekit.presets.handbook import policy as handbook_policy

#: the issue's budget for one input: CPU seconds (process time: not the machine's load)
BUDGET_S = 1.0
#: ... and memory (checked with SERVICEKIT_FUZZ_MEMORY=1)
BUDGET_BYTES = 100 * 2**20
#: the largest input the issue asks about
MAX_INPUT = 64 * 1024

FORMATS = ("json", "toml", "yaml")
LOADERS: dict[str, Callable[[Any], Policy]] = {
    "json": Policy.from_json, "toml": Policy.from_toml, "yaml": Policy.from_yaml,
}

#: text that has broken (or could break) a loader: aliases, merge keys, non-finite numbers,
#: lone surrogates, deep brackets, tags, duplicate keys, reserved process names…
SNIPPETS = (
    "&a ", "*a", "<<: *a", "&a [*a]", "&b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
    "- &x {k: [*x]}", "NaN", "Infinity", "-Infinity", "1e999", ".nan", ".inf", "-.inf", "nan",
    "inf", '"\\ud800"', "'\\ud800'", "[" * 64, "{" * 64, "]", "}", ":", ",", "\t", "\x00",
    "\ufeff", "- ", "? ", "!!python/object/apply:os.system ['x']", "!!binary aGk=",
    "!!set {a, b}", "!!omap [a: 1]", "2026-02-30", '"version": "2"', "version = '2'",
    "version: 2", "[tables.t]", "[[tables.t.rules]]", 'when = "x >"', "when: 'vip\\n'",
    '"when": {"field": "vip\\n", "op": "==", "value": true}', '"id": "send"', "states",
    "current_state", "error", "---\n", "...\n", "%YAML 1.1\n", "#", "\\", '"""', "'''",
    "[" + ", ".join(["0"] * 300) + "]", "exists(" * 70,
    # an expensive scalar and its aliases: condition text parsed again at each use took 19 s
    "when: &c '" + " or ".join(["a"] * 1_000) + "'", "\n- {id: z, when: *c}",
)


def aliased_conditions(terms: int, uses: int) -> str:
    """A YAML policy of one condition of ``terms`` paths and ``uses`` rules aliasing it."""
    condition = " or ".join(["a"] * terms)
    rules = [f"    - {{id: r0, when: &c '{condition}', then: {{}}}}\n"]
    rules += [f"    - {{id: r{i}, when: *c, then: {{}}}}\n" for i in range(1, uses + 1)]
    return "version: '1'\ntables:\n  t:\n    name: t\n    rules:\n" + "".join(rules)


def decode(data: bytes) -> tuple[str, str | bytes]:
    """The format and the input an atheris input stands for (see the module's docstring)."""
    if not data:
        return "json", ""
    fmt = FORMATS[data[0] % 3]
    mode = (data[0] // 3) % 3
    rest = data[1 : 1 + MAX_INPUT]
    if mode == 0:
        return fmt, rest.decode("utf-8", "replace")[:MAX_INPUT]
    if mode == 1:
        return fmt, rest
    return fmt, mutate(seed_text(fmt), rest)


def mutate(text: str, program: bytes) -> str:
    """``text`` edited by ``program``: 4 bytes an edit (what, where: 2 bytes, how much)."""
    for i in range(0, len(program) - 3, 4):
        op, hi, lo, arg = program[i : i + 4]
        pos = ((hi << 8) | lo) * (len(text) + 1) // 65536
        if op % 8 == 0:
            text = text[:pos] + text[pos + arg :]
        elif op % 8 == 1:
            text = text[:pos] + text[pos : pos + arg] * 2 + text[pos + arg :]
        elif op % 8 == 2:
            text = text[:pos] + SNIPPETS[arg % len(SNIPPETS)] + text[pos:]
        elif op % 8 == 3:
            text = text[:pos] + chr(arg) + text[pos + 1 :]
        elif op % 8 == 4:
            text = text[:pos] + "9" * (arg * 40) + text[pos:]
        elif op % 8 == 5:
            text = text[:pos] + "\n" + text[pos:]
        elif op % 8 == 6:
            text = text[: pos + 1]
        else:
            text = text[:pos] + SNIPPETS[arg % len(SNIPPETS)] * (1 + arg // 8) + text[pos:]
        text = text[:MAX_INPUT]
    return text


@cache
def seed_text(fmt: str) -> str:
    """The handbook preset as text in ``fmt``: a valid policy to mutate."""
    preset = handbook_policy()
    if fmt == "json":
        return preset.to_json()
    if fmt == "yaml":
        return preset.to_yaml()
    return to_toml(json.loads(preset.to_json()))


def test_one_input(data: bytes) -> None:
    """Load one input; raise unless it loads or fails with PolicyError, within the budget."""
    fmt, payload = decode(data)
    trace = os.environ.get("SERVICEKIT_FUZZ_MEMORY") == "1"
    if trace:
        tracemalloc.start()
    began = time.process_time()
    try:
        policy: Policy | None = LOADERS[fmt](payload)
    except PolicyError:
        policy = None
    finally:
        spent = time.process_time() - began
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        if trace:
            tracemalloc.stop()
    if spent > BUDGET_S and not trace:
        raise AssertionError(f"{fmt}: {spent:.2f} s of CPU for one input (budget {BUDGET_S} s)")
    if peak > BUDGET_BYTES:
        raise AssertionError(f"{fmt}: {peak / 2**20:.0f} MB for one input (budget 100 MB)")
    if policy is not None:
        exported = policy.to_json()
        again = Policy.from_json(exported)
        if again != policy or again.to_json() != exported:
            raise AssertionError(f"{fmt}: the policy does not read back equal from to_json()")


# -- a TOML writer for the seed (tomllib only reads) ------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()
                                if v is not None) + " }"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def to_toml(data: dict[str, Any]) -> str:
    """JSON data as TOML with tables and arrays of tables (so the line scan has work)."""
    lines: list[str] = []

    def emit(table: dict[str, Any], path: list[str], array: bool) -> None:
        if path:
            name = ".".join(_toml_key(p) for p in path)
            lines.append(f"[[{name}]]" if array else f"[{name}]")
        nested = []
        for key, value in table.items():
            if isinstance(value, dict) or _is_tables(value):
                nested.append((key, value))
            elif value is not None:
                lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
        for key, value in nested:
            if isinstance(value, dict):
                emit(value, [*path, key], False)
            else:
                for item in value:
                    emit(item, [*path, key], True)

    emit(data, [], False)
    return "\n".join(lines) + "\n"


def main() -> None:
    assert atheris is not None, "pip install atheris (the 'fuzz' extra)"
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
