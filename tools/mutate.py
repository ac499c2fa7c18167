"""Mutation testing: would the tests notice a wrong line? (``make mutate``, issue 20)

    python tools/mutate.py [MODULE ...] [--max N] [--seed S] [--jobs J] [--timeout-factor F]
    make mutate MODULES="calendar/_hours.py sla/_policy.py"

A MODULE is a path under ``src/servicekit`` (a file, or a package meaning every file in it); with
none, the core modules of ``tools/mutate.toml``. For each module the runner

1. lists its mutants (``tools/mutants.py``), drops the accepted equivalent ones
   (``tools/mutate-equivalent.toml``, each with its reason) and, with ``--max``, keeps a seeded
   sample of the rest;
2. runs the module's test subset once under coverage, one coverage context per test, so it
   knows which tests run which line (code run at import time belongs to every test; code run
   while a test file is collected belongs to that file's tests);
3. runs each mutant: a child process forked from a parent that has already imported the heavy
   dependencies (numpy, pydantic, hypothesis, pytest) imports servicekit afresh with the mutated
   source in place of the module and runs only the tests that execute the changed lines,
   fastest first, stopping at the first failure, under a timeout derived from their baseline
   time. Hypothesis runs derandomized without its example database, so a run is reproducible.

and prints per module: tried, killed, survived, timed out, the score (killed and timed out over
tried) and each survivor's diff. ``--json FILE`` writes the same as data.

Why by hand: mutmut 3 rewrites the whole tree into trampolines and offers no seeded sample of a
module; cosmic-ray starts a fresh interpreter per mutant (about a second of imports each, before
any test runs) and runs the whole configured test command. Neither selects tests by the lines a
mutant touches. The two files here are about 600 lines together and use coverage.py for the one
hard part, knowing which test runs which line.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.abc
import importlib.util
import json
import os
import pkgutil
import random
import signal
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SRC = ROOT / "src"
PACKAGE = SRC / "servicekit"
sys.path.insert(0, str(HERE))

from mutants import Mutant, mutants_of  # noqa: E402

CONFIG = HERE / "mutate.toml"
EQUIVALENT = HERE / "equivalent-mutants"  # one TOML file per package
CACHE = ROOT / ".mutate-cache"
IMPORT_CONTEXT = "<import>"
COLLECT_PREFIX = "<collect>"


# -- configuration -------------------------------------------------------------------------------


def load_config() -> dict[str, Any]:
    with CONFIG.open("rb") as f:
        return tomllib.load(f)


def load_equivalent() -> dict[str, str]:
    """The accepted equivalent mutants, ``mutant`` key -> ``why``, from every file in the folder."""
    out: dict[str, str] = {}
    for path in sorted(EQUIVALENT.glob("*.toml")):
        with path.open("rb") as f:
            data = tomllib.load(f)
        for entry in data.get("equivalent", []):
            if not entry.get("why", "").strip():
                raise SystemExit(f"mutate: {path.name}: an equivalent mutant needs its reason")
            out[entry["mutant"]] = entry["why"]
    return out


def expand(names: Sequence[str]) -> list[str]:
    """Module paths under src/servicekit, from files and packages."""
    out: list[str] = []
    for name in names:
        path = PACKAGE / name
        if path.is_dir():
            out += [str(p.relative_to(PACKAGE)) for p in sorted(path.rglob("*.py"))]
        elif path.is_file():
            out.append(name)
        else:
            raise SystemExit(f"mutate: no module {name} under {PACKAGE}")
    return [m for m in out if not m.endswith("__init__.py") or (PACKAGE / m).stat().st_size]


def tests_for(module: str, config: dict[str, Any]) -> list[str]:
    """The test subset of a module: the longest matching prefix in ``[tests]``."""
    table: dict[str, list[str]] = config["tests"]
    best = max((k for k in table if module.startswith(k)), key=len, default=None)
    if best is None:
        raise SystemExit(f"mutate: no test subset for {module} in {CONFIG.name} [tests]")
    return table[best]


def module_name(module: str) -> str:
    parts = ["servicekit", *Path(module).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


# -- the child processes -------------------------------------------------------------------------


def _warm() -> None:
    """Import the heavy dependencies once, in the parent, then forget servicekit itself."""
    import hypothesis  # noqa: F401

    import servicekit

    for info in pkgutil.walk_packages(servicekit.__path__, "servicekit."):
        if info.name.endswith("__main__"):
            continue
        __import__(info.name)
    _forget()


def _forget() -> None:
    for name in [n for n in sys.modules if n == "servicekit" or n.startswith("servicekit.")]:
        del sys.modules[name]
    for name in [n for n in sys.modules if n.startswith(("tests.", "conftest"))]:
        del sys.modules[name]


class _MutantFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the mutated source for one module name; everything else imports as usual."""

    def __init__(self, name: str, path: Path, source: bytes) -> None:
        self.name, self.path, self.source = name, path, source

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        is_package = self.path.name == "__init__.py"
        return importlib.util.spec_from_file_location(
            fullname,
            self.path,
            loader=self,
            submodule_search_locations=[str(self.path.parent)] if is_package else None,
        )

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        code = compile(self.source, str(self.path), "exec", dont_inherit=True)
        exec(code, module.__dict__)


def _hypothesis_profile() -> None:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "mutate",
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    settings.load_profile("mutate")


def _pytest_args(paths: Sequence[str]) -> list[str]:
    return [
        *paths,
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
        "--no-header",
        "-o",
        "console_output_style=classic",
        "-W",
        "ignore",
        "--hypothesis-profile=mutate",
    ]


class _Select:
    """A pytest plugin that keeps the chosen tests, in the chosen order."""

    def __init__(self, order: Sequence[str] | None) -> None:
        self.order = None if order is None else {n: i for i, n in enumerate(order)}

    def pytest_collection_modifyitems(self, items: list[Any], config: Any) -> None:
        if self.order is None:
            return
        order = self.order
        kept = [i for i in items if i.nodeid in order]
        kept.sort(key=lambda i: order[i.nodeid])
        items[:] = kept


class _Record:
    """A pytest plugin that switches the coverage context per test and times each test."""

    def __init__(self, cov: Any) -> None:
        self.cov = cov
        self.durations: dict[str, float] = {}
        self.failed: set[str] = set()

    @pytest.hookimpl(tryfirst=True)
    def pytest_make_collect_report(self, collector: Any) -> None:
        self.cov.switch_context(f"{COLLECT_PREFIX}{collector.nodeid}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> None:
        _clear_caches()  # a cached body runs again, so each test that reaches it is credited
        self.cov.switch_context(item.nodeid)

    def pytest_runtest_logreport(self, report: Any) -> None:
        self.durations[report.nodeid] = self.durations.get(report.nodeid, 0.0) + report.duration
        if report.failed:
            self.failed.add(report.nodeid)


def _clear_caches() -> None:
    """Empty the ``functools`` caches of servicekit's functions and methods."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("servicekit") or module is None:
            continue
        for value in list(vars(module).values()):
            for obj in (value, *(vars(value).values() if isinstance(value, type) else ())):
                clear = getattr(obj, "cache_clear", None)
                if callable(clear) and getattr(obj, "__module__", "") == name:
                    clear()


def _child_baseline(modules: Sequence[str], paths: Sequence[str], out: Path) -> None:
    import coverage

    files = [str(PACKAGE / m) for m in modules]
    cov = coverage.Coverage(data_file=None, include=files, branch=False)
    cov.start()
    cov.switch_context(IMPORT_CONTEXT)
    for m in modules:
        __import__(module_name(m))
    record = _Record(cov)
    code = pytest.main([a for a in _pytest_args(paths) if a != "-x"], plugins=[record])
    cov.stop()
    data = cov.get_data()
    lines: dict[str, dict[int, list[str]]] = {}
    for m, path in zip(modules, files, strict=True):
        lines[m] = {n: sorted(c) for n, c in data.contexts_by_lineno(path).items()}
    out.write_text(
        json.dumps(
            {
                "code": int(code),
                "lines": lines,
                "durations": record.durations,
                "failed": sorted(record.failed),
            }
        )
    )


def _child_mutant(
    module: str, source: bytes, paths: Sequence[str], order: Sequence[str] | None
) -> int:
    sys.meta_path.insert(0, _MutantFinder(module_name(module), PACKAGE / module, source))
    try:
        __import__(module_name(module))
    except BaseException:  # the mutant breaks its own import: every test would fail
        return 1
    return int(pytest.main(_pytest_args(paths), plugins=[_Select(order)]))


def _fork(job: Any, *, quiet: bool = True) -> int:
    pid = os.fork()
    if pid == 0:  # the child
        code = 70
        try:
            os.setsid()
            if quiet:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
            _hypothesis_profile()
            code = job()
        finally:
            os._exit(code)
    return pid


# -- the run -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | survived | timeout | uncovered
    seconds: float = 0.0


@dataclass
class Report:
    module: str
    total: int
    equivalent: int
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, *status: str) -> int:
        return sum(o.status in status for o in self.outcomes)

    @property
    def score(self) -> float:
        tried = len(self.outcomes)
        return 1.0 if not tried else self.count("killed", "timeout") / tried


def _fingerprint(modules: Sequence[str], paths: Sequence[str]) -> str:
    """What a baseline depends on: the package, the test subset, this runner."""
    digest = hashlib.sha256(repr((sorted(modules), list(paths))).encode())
    files = [*PACKAGE.rglob("*.py"), HERE / "mutate.py"]
    for p in paths:
        path = ROOT / p
        files += list(path.rglob("*")) if path.is_dir() else [path]
    for f in sorted(set(files)):
        if f.is_file() and "__pycache__" not in f.parts:
            digest.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:24]


def baseline(modules: Sequence[str], paths: Sequence[str]) -> dict[str, Any]:
    """The coverage map and timings of the subset, cached until a file it depends on changes."""
    cached = CACHE / f"{_fingerprint(modules, paths)}.json"
    if cached.exists():
        print("  (cached baseline)")
        data: dict[str, Any] = json.loads(cached.read_text())
    else:
        data = _baseline(modules, paths)
        CACHE.mkdir(exist_ok=True)
        for old in sorted(CACHE.glob("*.json"), key=lambda p: p.stat().st_mtime)[:-20]:
            old.unlink()
        cached.write_text(json.dumps(data))
    if data["failed"]:
        print(f"  baseline: {len(data['failed'])} tests fail without a mutant; they are left out:")
        for nodeid in data["failed"][:10]:
            print(f"    {nodeid}")
    return data


def _baseline(modules: Sequence[str], paths: Sequence[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "baseline.json"
        pid = _fork(lambda: (_child_baseline(modules, paths, out), 0)[1])
        _, status = os.waitpid(pid, 0)
        if not out.exists():
            raise SystemExit(f"mutate: the baseline run of {' '.join(paths)} crashed ({status})")
        data: dict[str, Any] = json.loads(out.read_text())
    return data


def plan(mutant: Mutant, base: dict[str, Any], all_tests: list[str]) -> list[str] | None:
    """The tests that run the mutant's lines, fastest first; None when no test does."""
    by_line = base["lines"][mutant.module]
    contexts: set[str] = set()
    for line in range(mutant.line, mutant.end_line + 1):
        contexts.update(by_line.get(str(line), ()))
    contexts.discard("")
    if IMPORT_CONTEXT in contexts:
        chosen = set(all_tests)
    else:
        chosen = {c for c in contexts if not c.startswith(COLLECT_PREFIX)}
        collected = {c[len(COLLECT_PREFIX) :] for c in contexts if c.startswith(COLLECT_PREFIX)}
        if "" in collected:  # collecting the session: every test
            chosen = set(all_tests)
        elif collected:
            chosen |= {
                t for t in all_tests if any(t.startswith((c + "::", c + "/")) for c in collected)
            }
    chosen -= set(base["failed"])
    chosen &= set(all_tests)
    if not chosen:
        return None
    return sorted(chosen, key=lambda t: (base["durations"].get(t, 0.0), t))


def run_module(
    module: str,
    mutants: list[Mutant],
    base: dict[str, Any],
    paths: Sequence[str],
    *,
    jobs: int,
    factor: float,
    floor: float,
    verbose: bool,
) -> list[Outcome]:
    source = (PACKAGE / module).read_bytes()
    all_tests = [t for t in base["durations"] if t not in base["failed"]]
    queue: list[tuple[Mutant, list[str]]] = []
    outcomes: list[Outcome] = []
    for m in mutants:
        order = plan(m, base, all_tests)
        if order is None:
            outcomes.append(Outcome(m, "uncovered"))
        else:
            queue.append((m, order))
    running: dict[int, tuple[Mutant, float, float]] = {}
    while queue or running:
        while queue and len(running) < jobs:
            m, order = queue.pop(0)
            budget = floor + factor * sum(base["durations"].get(t, 0.0) for t in order)
            files = sorted({t.split("::", 1)[0] for t in order})
            mutated = m.apply(source)
            pid = _fork(
                lambda m=m, mutated=mutated, files=files, order=order: _child_mutant(
                    m.module, mutated, files, order
                )
            )
            running[pid] = (m, time.monotonic(), budget)
        time.sleep(0.02)
        for pid, (m, started, budget) in list(running.items()):
            got, status = os.waitpid(pid, os.WNOHANG)
            elapsed = time.monotonic() - started
            if got == 0:
                if elapsed > budget:
                    os.killpg(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    outcome = Outcome(m, "timeout", elapsed)
                else:
                    continue
            else:
                code = os.waitstatus_to_exitcode(status)
                outcome = Outcome(m, "survived" if code == 0 else "killed", elapsed)
            del running[pid]
            outcomes.append(outcome)
            if verbose:
                print(f"    {outcome.status:9} {elapsed:6.1f}s  {m.key}", flush=True)
    order_of = {m.key: i for i, m in enumerate(mutants)}
    outcomes.sort(key=lambda o: order_of[o.mutant.key])
    return outcomes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="paths under src/servicekit (files or packages)")
    parser.add_argument(
        "--max",
        type=int,
        default=0,
        help="a seeded sample of at most N mutants per module (0: all)",
    )
    parser.add_argument("--seed", type=int, default=20, help="the sample's seed")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--timeout-factor",
        type=float,
        default=4.0,
        help="a mutant may take this many times its tests' baseline time ...",
    )
    parser.add_argument(
        "--timeout-floor", type=float, default=15.0, help="... plus this many seconds"
    )
    parser.add_argument("--only", default="", help="only mutants whose key contains this text")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--verbose", "-v", action="store_true", help="print each mutant as it ends")
    return parser


def _select(
    args: argparse.Namespace, modules: list[str], equivalent: dict[str, str]
) -> tuple[dict[str, list[Mutant]], dict[str, Report]]:
    """The mutants to run per module: not equivalent, matching ``--only``, sampled by ``--max``."""
    selected: dict[str, list[Mutant]] = {}
    reports: dict[str, Report] = {}
    used: set[str] = set()
    for module in modules:
        every = mutants_of(module, (PACKAGE / module).read_bytes())
        kept = [m for m in every if m.key not in equivalent]
        used |= {m.key for m in every if m.key in equivalent}
        if args.only:
            kept = [m for m in kept if args.only in m.key]
        if args.max and len(kept) > args.max:
            rng = random.Random(f"{args.seed}:{module}")
            keys = {m.key for m in rng.sample(kept, args.max)}
            kept = [m for m in kept if m.key in keys]
        selected[module] = kept
        reports[module] = Report(module, len(every), sum(m.key in equivalent for m in every))
    stale = sorted(k for k in equivalent if k.split(" | ", 1)[0] in modules and k not in used)
    if stale:
        print("mutate: equivalent mutants that no longer exist (remove them):")
        for key in stale:
            print(f"  {key}")
    return selected, reports


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config = load_config()
    modules = expand(args.modules or config["core"]["modules"])
    selected, reports = _select(args, modules, load_equivalent())
    if args.list:
        for kept in selected.values():
            for m in kept:
                print(m.key)
        return 0

    _sys_path()
    _warm()
    groups: dict[tuple[str, ...], list[str]] = {}
    for module in modules:
        groups.setdefault(tuple(tests_for(module, config)), []).append(module)
    started = time.monotonic()
    for paths, group in groups.items():
        print(f"baseline: {' '.join(paths)} (for {', '.join(group)})", flush=True)
        t0 = time.monotonic()
        base = baseline(group, paths)
        print(f"  {len(base['durations'])} tests in {time.monotonic() - t0:.0f}s", flush=True)
        for module in group:
            kept = selected[module]
            print(f"{module}: {len(kept)} mutants", flush=True)
            reports[module].outcomes = run_module(
                module,
                kept,
                base,
                paths,
                jobs=args.jobs,
                factor=args.timeout_factor,
                floor=args.timeout_floor,
                verbose=args.verbose,
            )
            _print_report(reports[module])
    _print_summary(list(reports.values()), time.monotonic() - started)
    if args.json:
        args.json.write_text(
            json.dumps([_as_data(r) for r in reports.values()], indent=2, ensure_ascii=False)
        )
    return 0


def _sys_path() -> None:
    os.chdir(ROOT)
    for p in (str(ROOT), str(SRC)):
        if p not in sys.path:
            sys.path.insert(0, p)


def _print_report(r: Report) -> None:
    source = (PACKAGE / r.module).read_bytes()
    for o in r.outcomes:
        if o.status in ("survived", "uncovered"):
            label = "survived" if o.status == "survived" else "survived (no test runs this line)"
            print(f"  {label}: {o.mutant.key}")
            print("    " + o.mutant.diff(source).replace("\n", "\n    "))
    print(f"  {r.module}: {_line(r)}", flush=True)


def _line(r: Report) -> str:
    tried = len(r.outcomes)
    return (
        f"tried {tried}, killed {r.count('killed')}, survived {r.count('survived', 'uncovered')}"
        f" ({r.count('uncovered')} uncovered), timed out {r.count('timeout')},"
        f" equivalent {r.equivalent}, score {100 * r.score:.1f} %"
    )


def _print_summary(reports: list[Report], seconds: float) -> None:
    print()
    width = max(len(r.module) for r in reports)
    print(f"{'module':<{width}}  tried  killed  survived  timeout  equiv  score")
    for r in reports:
        print(
            f"{r.module:<{width}}  {len(r.outcomes):5}  {r.count('killed'):6}  "
            f"{r.count('survived', 'uncovered'):8}  {r.count('timeout'):7}  {r.equivalent:5}  "
            f"{100 * r.score:5.1f} %"
        )
    print(f"({seconds:.0f} s)")


def _as_data(r: Report) -> dict[str, Any]:
    return {
        "module": r.module,
        "mutants": r.total,
        "equivalent": r.equivalent,
        "tried": len(r.outcomes),
        "killed": r.count("killed"),
        "survived": r.count("survived", "uncovered"),
        "uncovered": r.count("uncovered"),
        "timeout": r.count("timeout"),
        "score": round(r.score, 4),
        "survivors": [o.mutant.key for o in r.outcomes if o.status in ("survived", "uncovered")],
    }


if __name__ == "__main__":
    sys.exit(main())
