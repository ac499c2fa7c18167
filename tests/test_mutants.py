"""The mutation runner's own rules (tools/mutants.py, tools/mutate.py; issue 20).

The runner is a test of the tests, so its mistakes would hide gaps: a mutant that is not applied
where it says, a key that changes with unrelated edits, an equivalent mutant that no longer
exists but still lowers the bar.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from mutants import Mutant, mutants_of  # noqa: E402

SOURCE = b'''"""Docstring with 1 and True."""
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    LIMIT_FOR_TYPES = 3

__all__ = ["f"]
LIMIT = 10


def f(x: int, y: int = 2) -> int:
    """Also a docstring: 5."""
    if x < LIMIT and y >= 0:
        return x + y
    while not x:
        break
    if x in (1, 2):
        raise ValueError(f"bad {x + 1}")
    label = "a" + "b"
    x -= 1
    return min(x, 3)  # \xe4\xb8\xad\xe6\x96\x87 comment, non-ASCII


def g() -> None:
    assert 1 < 2
    raise RuntimeError("x")  # pragma: no cover
'''


def _by_op(mutants: list[Mutant]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in mutants:
        out.setdefault(m.op, []).append(f"{m.was} -> {m.now}")
    return out


def test_every_operator_of_the_issue_is_generated_and_nothing_else() -> None:
    found = _by_op(mutants_of("m.py", SOURCE))
    assert found == {
        "constant": ["10 -> 11", "2 -> 3", "0 -> 1", "1 -> 2", "2 -> 3", "1 -> 2", "3 -> 4"],
        "negate": ["x < LIMIT and y >= 0 -> (not (x < LIMIT and y >= 0))"],
        "boolop": ["x < LIMIT and y >= 0 -> (x < LIMIT or y >= 0)"],
        "compare": [
            "x < LIMIT -> (x <= LIMIT)", "y >= 0 -> (y > 0)", "x in (1, 2) -> (x not in (1, 2))",
        ],
        "return": ["return x + y -> return None", "return min(x, 3) -> return None"],
        "arith": ["x + y -> (x - y)", "x -= 1 -> x += 1"],
        "not": ["not x -> (x)"],
        "loop": ["break -> continue"],
        "raise": ['raise ValueError(f"bad {x + 1}") -> pass'],
        "minmax": ["min -> max"],
    }


def test_skipped_docstrings_annotations_type_checking_all_strings_asserts_pragmas() -> None:
    keys = [m.key for m in mutants_of("m.py", SOURCE)]
    assert not [k for k in keys if "| g |" in k]  # the assert and the pragma'd raise
    assert not [k for k in keys if "<module> | 3 -> 4" in k]
    assert not [k for k in keys if '"a" + "b"' in k]  # string concatenation
    assert not [k for k in keys if "5 -> 6" in k]  # the docstring's number


def test_each_mutant_is_valid_python_differs_in_its_place_only_and_keeps_the_lines() -> None:
    original = ast.dump(ast.parse(SOURCE))
    for m in mutants_of("m.py", SOURCE):
        changed = m.apply(SOURCE)
        assert changed[: m.start] == SOURCE[: m.start]
        assert changed.endswith(SOURCE[m.end :])
        assert ast.dump(ast.parse(changed)) != original, m.key
        assert changed.count(b"\n") == SOURCE.count(b"\n") - (m.end_line - m.line)


def test_the_byte_offsets_are_right_after_non_ascii_text() -> None:
    source = "x = '中文'; y = x == '中'\n".encode()
    (m,) = [m for m in mutants_of("m.py", source) if m.op == "compare"]
    assert m.was == "x == '中'"
    assert m.apply(source).decode() == "x = '中文'; y = (x != '中')\n"


def test_keys_name_module_function_and_change_and_survive_unrelated_edits() -> None:
    before = {m.key for m in mutants_of("m.py", SOURCE)}
    edited = b"import os\n\n\n" + SOURCE.replace(b"Docstring", b"A longer docstring")
    after = {m.key for m in mutants_of("m.py", edited)}
    assert before == after
    assert "m.py | f | x < LIMIT -> (x <= LIMIT)" in before
    assert "m.py | f | 1 -> 2 #2" in before  # the same change twice in one function


def test_the_diff_shows_the_line_before_and_after() -> None:
    (m,) = [m for m in mutants_of("m.py", SOURCE) if m.op == "minmax"]
    assert m.diff(SOURCE).splitlines()[1:] == [
        "  -     return min(x, 3)  # 中文 comment, non-ASCII",
        "  +     return max(x, 3)  # 中文 comment, non-ASCII",
    ]


def _equivalents() -> list[tuple[Path, dict[str, str]]]:
    out = []
    for path in sorted((ROOT / "tools" / "equivalent-mutants").glob("*.toml")):
        with path.open("rb") as f:
            out += [(path, entry) for entry in tomllib.load(f).get("equivalent", [])]
    return out


def test_every_accepted_equivalent_mutant_exists_and_says_why() -> None:
    """A stale entry would excuse nothing today and hide a real survivor after the next edit."""
    entries = _equivalents()
    assert entries, "tools/equivalent-mutants holds the accepted equivalent mutants"
    keys: dict[str, set[str]] = {}
    for path, entry in entries:
        assert set(entry) == {"mutant", "why"}, path.name
        assert len(entry["why"].strip()) >= 10, entry["mutant"]
        module = entry["mutant"].split(" | ", 1)[0]
        if module not in keys:
            source = (ROOT / "src" / "servicekit" / module).read_bytes()
            keys[module] = {m.key for m in mutants_of(module, source)}
        assert entry["mutant"] in keys[module], f"{path.name}: stale {entry['mutant']}"


def test_the_configuration_names_a_test_subset_for_every_core_module() -> None:
    with (ROOT / "tools" / "mutate.toml").open("rb") as f:
        config = tomllib.load(f)
    for module in config["core"]["modules"]:
        assert (ROOT / "src" / "servicekit" / module).exists()
        assert any(module.startswith(prefix) for prefix in config["tests"])
    for paths in config["tests"].values():
        assert all((ROOT / p).exists() for p in paths)
