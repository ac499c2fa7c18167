"""Coverage-guided fuzzing of the condition parser and evaluator with atheris.

The hypothesis tests in tests/rules fuzz the parser on every `make test`; this harness is for
longer runs:

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python fuzz/fuzz_condition.py -max_total_time=600 -max_len=2000

Any exception other than PolicyError (a RecursionError, a hang, a TypeError...) is a bug and
stops the run with the input that caused it.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from servicekit.errors import PolicyError
    from servicekit.rules import Condition

FACTS = {
    "priority": "P1", "severity": 5, "age": 3.5, "tags": ["vip", "billing"], "vip": True,
    "customer": {"tier": "A", "name": "x"}, "note": None,
}


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    try:
        condition = Condition.parse(text)
    except PolicyError:
        return
    again = Condition.parse(str(condition))
    if again != condition:
        raise AssertionError("parse(str(c)) != c")
    try:
        condition.evaluate(FACTS)
        condition.explain(FACTS)
    except PolicyError:
        return


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
