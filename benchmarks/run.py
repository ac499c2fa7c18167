"""Run every benchmark module and print one table of results (``make bench``).

A benchmark module is a file ``benchmarks/bench_<name>.py`` with a function
``run() -> list[Row]`` (see ``_harness.Row``). The exit status is non-zero when a target is
missed or a module fails (for instance because servicekit and the peer library disagree).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import cast

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from _harness import Row, fmt_seconds, machine_info, print_table  # noqa: E402


def discover() -> list[str]:
    """Names of the benchmark modules, in alphabetical order."""
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark modules named in ``argv`` (``calendar`` or ``bench_calendar``), or all."""
    wanted = {a if a.startswith("bench_") else f"bench_{a}" for a in (argv or [])}
    names = [n for n in discover() if not wanted or n in wanted]
    unknown = wanted - set(names)
    if unknown:
        print(f"unknown benchmark module(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    print(machine_info(), flush=True)
    rows: list[Row] = []
    broken: list[str] = []
    for name in names:
        module = importlib.import_module(name)
        run = cast(Callable[[], list[Row]], module.run)
        started = time.perf_counter()
        try:
            rows.extend(run())
        except Exception:
            traceback.print_exc()
            broken.append(name)
        print(f"[{name}] done in {time.perf_counter() - started:.1f} s", flush=True)
    print()
    print_table(rows)
    print()
    failed = [r.benchmark for r in rows if not r.passed]
    print(
        f"{len(rows) - len(failed)} of {len(rows)} targets met; "
        f"total run time {fmt_seconds(time.perf_counter() - t0)}"
    )
    for name in broken:
        print(f"ERROR: {name} did not complete (traceback above)")
    for name in failed:
        print(f"FAIL: {name}")
    return 1 if failed or broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
