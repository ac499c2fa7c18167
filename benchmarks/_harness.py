"""Small shared helpers for the benchmarks: timing, targets, result rows and the table.

Timing uses only the standard library (``time.perf_counter``), timeit-style: the garbage
collector is off while a batch runs, each batch runs a whole loop of calls, and the per-call
time is the batch time divided by the number of calls. Warm-up is the caller's job (call the
function once on the inputs before timing), so that lazily built caches are excluded.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Row",
    "Target",
    "batch_seconds",
    "cost_row",
    "fmt_seconds",
    "interleaved_per_call",
    "machine_info",
    "on_other_backend",
    "per_call",
    "print_table",
    "require",
    "speedup_row",
    "time_row",
]

Stat = Literal["median", "best"]


def batch_seconds(fn: Callable[[], object]) -> float:
    """Wall time of one call of ``fn`` (a whole batch), with the garbage collector off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    finally:
        if was_enabled:
            gc.enable()


def _reduce(samples: Sequence[float], stat: Stat) -> float:
    return min(samples) if stat == "best" else statistics.median(samples)


def per_call(
    batch: Callable[[], object], calls: int, *, repeat: int = 5, stat: Stat = "median"
) -> float:
    """Seconds per call: ``batch`` performs ``calls`` calls; repeated, reduced by ``stat``."""
    return _reduce([batch_seconds(batch) / calls for _ in range(repeat)], stat)


def interleaved_per_call(
    batches: Sequence[Callable[[], object]],
    calls: int,
    *,
    repeat: int = 30,
    stat: Stat = "median",
) -> list[float]:
    """Like :func:`per_call` for several batches, run in turn within each repetition.

    Interleaving makes slow drifts of the machine (frequency scaling, a noisy neighbour) hit
    every batch alike, which matters when the result is a ratio between them.
    """
    samples: list[list[float]] = [[] for _ in batches]
    for _ in range(repeat):
        for out, batch in zip(samples, batches, strict=True):
            out.append(batch_seconds(batch) / calls)
    return [_reduce(s, stat) for s in samples]


@dataclass(frozen=True, slots=True)
class Target:
    """A performance target on one measured number.

    ``min_ratio``: a speed-up (peer time / servicekit time) of at least ``value``;
    ``max_ratio``: a cost ratio (servicekit time / baseline time) of at most ``value``;
    ``max_seconds``: a wall time strictly under ``value`` seconds.
    """

    kind: Literal["min_ratio", "max_ratio", "max_seconds"]
    value: float

    def check(self, measured: float) -> bool:
        if self.kind == "min_ratio":
            return measured >= self.value
        if self.kind == "max_ratio":
            return measured <= self.value
        return measured < self.value

    def __str__(self) -> str:
        if self.kind == "min_ratio":
            return f">= {self.value:g}x"
        if self.kind == "max_ratio":
            return f"<= {self.value:g}x"
        return f"< {fmt_seconds(self.value)}"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table.

    ``servicekit`` and ``peer`` are seconds per operation (``peer`` is ``None`` when there is
    no comparison); ``versus`` names what the peer column holds. ``measured`` is the number the
    target is checked against: the ratio for ratio targets, a time for ``max_seconds``.
    """

    benchmark: str
    servicekit: float
    peer: float | None
    versus: str
    measured: float
    target: Target

    @property
    def passed(self) -> bool:
        return self.target.check(self.measured)

    @property
    def ratio_text(self) -> str:
        if self.target.kind == "max_seconds":
            return "-"
        digits = 2 if self.measured < 10 else 1 if self.measured < 100 else 0
        return f"{self.measured:,.{digits}f}x"


def speedup_row(
    benchmark: str, servicekit: float, peer: float, versus: str, at_least: float
) -> Row:
    """A row comparing servicekit to a slower peer: ratio = peer / servicekit."""
    return Row(
        benchmark, servicekit, peer, versus, peer / servicekit, Target("min_ratio", at_least)
    )


def cost_row(
    benchmark: str, servicekit: float, baseline: float, versus: str, at_most: float
) -> Row:
    """A row bounding servicekit's cost against a baseline: ratio = servicekit / baseline."""
    return Row(
        benchmark, servicekit, baseline, versus, servicekit / baseline, Target("max_ratio", at_most)
    )


def time_row(benchmark: str, seconds: float, under: float) -> Row:
    """A row bounding a wall time."""
    return Row(benchmark, seconds, None, "", seconds, Target("max_seconds", under))


def fmt_seconds(seconds: float) -> str:
    """A duration with a unit that keeps three or four significant digits."""
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.3f} µs"
    return f"{seconds * 1e9:.1f} ns"


def print_table(rows: Sequence[Row]) -> None:
    header = ("benchmark", "servicekit/op", "peer/op", "peer", "ratio", "target", "result")
    body = [
        (
            r.benchmark,
            fmt_seconds(r.servicekit),
            "-" if r.peer is None else fmt_seconds(r.peer),
            r.versus or "-",
            r.ratio_text,
            str(r.target),
            "PASS" if r.passed else "FAIL",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
    left = {0, 3}  # text columns; numbers are right-aligned

    def fmt(line: Sequence[str]) -> str:
        cells = zip(line, widths, strict=True)
        return " | ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(cells))

    print(fmt(header))
    print("-+-".join("-" * w for w in widths))
    for line in body:
        print(fmt(line))


def require(condition: bool, message: str) -> None:
    """Like ``assert`` but kept under ``python -O``: benchmarks must not time wrong answers."""
    if not condition:
        raise AssertionError(message)


def machine_info() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"python {platform.python_version()} ({sys.implementation.name}) on {platform.system()} "
        f"{platform.machine()}; CPU: {model}; usable cores (nproc): {cpus}"
    )


def on_other_backend(kind: Literal["dask", "pyspark"], pdf: Any,
                     pipeline: Callable[[Any], Any]) -> float:
    """Seconds for ``pipeline`` on the pandas frame ``pdf`` made a Dask frame (8 partitions)
    or a cached PySpark frame (``local[2]``, the session in UTC), its result collected. The
    conversion is not timed."""
    return on_other_backend_each(kind, pdf, [pipeline])[0]


def on_other_backend_each(kind: Literal["dask", "pyspark"], pdf: Any,
                          pipelines: list[Callable[[Any], Any]]) -> list[float]:
    """As :func:`on_other_backend`, for each of ``pipelines`` in turn on one converted frame
    (a peer timed on the same cached data)."""
    import narwhals as nw

    if kind == "dask":
        import dask.dataframe as dd

        native = dd.from_pandas(pdf, npartitions=8)
    else:
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
                 .config("spark.sql.session.timeZone", "UTC")
                 .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                 .config("spark.driver.memory", "6g").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        native = spark.createDataFrame(pdf).cache()
        native.count()
    seconds = []
    for pipeline in pipelines:
        start = time.perf_counter()
        out = nw.from_native(pipeline(native))
        if isinstance(out, nw.LazyFrame):
            out.collect()
        seconds.append(time.perf_counter() - start)
    return seconds
