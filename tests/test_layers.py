"""The import contracts cover every core module (design: the domain and below do no I/O).

A new core module that is not named in the layers contract and the no-I/O contract of
``pyproject.toml`` would escape both: these tests fail until it is added.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "servicekit"
#: modules allowed to do I/O (the edges): they are not in the no-I/O contract
EDGES = {"servicekit.adapters", "servicekit.demo", "servicekit.__main__"}


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    return {c["type"]: c for c in contracts}


def top_level_modules(src: Path) -> set[str]:
    """``servicekit.<name>`` for every module and package directly under ``src``."""
    found = {f"servicekit.{p.stem}" for p in src.glob("*.py") if p.stem != "__init__"}
    found |= {f"servicekit.{p.name}" for p in src.iterdir()
              if p.is_dir() and (p / "__init__.py").exists()}
    return found


def layered(layers: list[str]) -> set[str]:
    """Every module named in a layers contract (siblings split, optional ones unwrapped)."""
    names = set()
    for layer in layers:
        for part in layer.replace(":", "|").split("|"):
            names.add(part.strip().strip("()"))
    return names


def uncovered(modules: set[str], layers: list[str], no_io: list[str]) -> dict[str, list[str]]:
    in_layers = layered(layers)
    top_of = {name.rsplit(".", 1)[0] if name.count(".") > 1 else name for name in in_layers}
    return {
        "layers": sorted(m for m in modules if m not in in_layers and m not in top_of),
        "no-I/O": sorted(m for m in modules - EDGES if m not in no_io),
    }


def test_every_core_module_is_in_the_layers_and_the_no_io_contract() -> None:
    contracts = _contracts()
    layers = contracts["layers"]["layers"]
    no_io = contracts["forbidden"]["source_modules"]
    assert isinstance(layers, list)
    assert isinstance(no_io, list)
    assert uncovered(top_level_modules(SRC), layers, no_io) == {"layers": [], "no-I/O": []}


def test_the_no_io_contract_forbids_what_the_design_forbids() -> None:
    forbidden = set(_contracts()["forbidden"]["forbidden_modules"])  # type: ignore[call-overload]
    assert {"socket", "sqlite3", "subprocess", "http", "urllib", "pandas", "pyspark", "fastapi",
            "matplotlib", "typer"} <= forbidden


def test_the_coverage_check_would_catch_a_new_module(tmp_path: Path) -> None:
    # The check above must be able to fail: a planted package and module are reported.
    (tmp_path / "loyalty").mkdir()
    (tmp_path / "loyalty" / "__init__.py").write_text("")
    (tmp_path / "privacy.py").write_text("")
    (tmp_path / "__init__.py").write_text("")
    modules = top_level_modules(tmp_path)
    assert modules == {"servicekit.loyalty", "servicekit.privacy"}
    assert uncovered(modules, ["servicekit.privacy | (servicekit.metrics)"], []) == {
        "layers": ["servicekit.loyalty"], "no-I/O": ["servicekit.loyalty", "servicekit.privacy"],
    }


def test_the_sqlite_adapter_imports_neither_numpy_nor_the_sla_engine() -> None:
    import subprocess
    import sys

    code = ("import sys, servicekit.adapters.sqlite\n"
            "print(','.join(m for m in ('numpy', 'servicekit.sla', 'servicekit.tickets', "
            "'servicekit.calendar') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
