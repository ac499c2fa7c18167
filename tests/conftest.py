"""The ``constructor`` fixture: every frame test (customers, metrics) runs once per input kind.

As narwhals' own ``tests/conftest.py`` does, a test receives a function that builds its input
from plain columns (a dict of lists) in one backend: ``records`` (a list of dicts, worked in
Python), ``pandas``, ``polars``, ``pyarrow`` (eager frames), ``duckdb``, ``dask`` and
``pyspark`` (lazy frames). ``frame_rows.rows(result)`` turns any result back into plain
rows, so one assertion holds for every backend.

PySpark runs on one session for the whole test run (``local[2]``, the session time zone UTC),
started the first time a test asks for it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

ALL_BACKENDS = ("records", "pandas", "polars", "pyarrow", "duckdb", "dask", "pyspark")
#: SERVICEKIT_TEST_BACKENDS="records,polars" narrows a local run (make mutate forks a process
#: per mutant, and each would start its own JVM); CI and make test run every backend
BACKENDS = tuple(b for b in os.environ.get("SERVICEKIT_TEST_BACKENDS", ",".join(ALL_BACKENDS))
                 .split(",") if b in ALL_BACKENDS) or ALL_BACKENDS
LAZY = frozenset({"duckdb", "dask", "pyspark"})

Columns = dict[str, list[Any]]
Constructor = Callable[[Columns], Any]

# narwhals 2.2x says Dask support moves to a plugin package, not yet published
warnings.filterwarnings("ignore", message="Dask support is moving", category=FutureWarning)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("servicekit-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _pandas(columns: Columns) -> Any:
    import pandas as pd

    frame = pd.DataFrame(columns)
    for name, values in columns.items():
        if values and all(isinstance(v, datetime) for v in values):
            frame[name] = pd.to_datetime(frame[name], utc=True)
        present = [v for v in values if v is not None]
        if present and all(isinstance(v, bool) for v in present):
            frame[name] = frame[name].astype("boolean")  # pandas' nullable booleans
    return frame


def _build(backend: str, columns: Columns, spark: Callable[[], Any]) -> Any:
    if backend == "records":
        names = list(columns)
        return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(),
                                                                  strict=True)]
    if backend == "pandas":
        return _pandas(columns)
    if backend == "polars":
        import polars as pl

        return pl.DataFrame(columns, strict=False)
    if backend == "pyarrow":
        import pyarrow as pa

        return pa.table(columns)
    if backend == "duckdb":
        import duckdb
        import pyarrow as pa

        return duckdb.from_arrow(pa.table(columns))
    if backend == "dask":
        import dask.dataframe as dd

        return dd.from_pandas(_pandas(columns), npartitions=2)
    if backend == "pyspark":
        return spark().createDataFrame(_pandas(columns))
    raise AssertionError(backend)


def _constructor(request: pytest.FixtureRequest) -> Constructor:
    backend: str = request.param

    def spark() -> Any:
        return request.getfixturevalue("spark")

    def build(columns: Columns) -> Any:
        return _build(backend, columns, spark)

    build.backend = backend  # type: ignore[attr-defined]
    return build


@pytest.fixture(params=BACKENDS)
def constructor(request: pytest.FixtureRequest) -> Constructor:
    """Builds a test's input in each backend in turn (see the module docstring)."""
    return _constructor(request)


@pytest.fixture(params=[b for b in BACKENDS if b != "records"])
def frame_constructor(request: pytest.FixtureRequest) -> Constructor:
    """As ``constructor``, for the data-frame backends only (a test of the frame path)."""
    return _constructor(request)
