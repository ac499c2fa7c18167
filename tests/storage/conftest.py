"""The ``store`` fixture: every storage test runs once per backend (issue 5, "Storage ports":
"tests run the same contract suite against both").

``memory`` is :class:`~servicekit.storage.InMemoryEventStore`; ``sqlite`` is
:class:`~servicekit.adapters.sqlite.SqliteEventStore` on a file in ``tmp_path``, closed at
teardown. Hypothesis tests that need a fresh store per example use ``fresh_store`` (a plain
context manager behind a session-scoped fixture, so no function-scoped fixture is shared
between examples).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from servicekit.adapters.sqlite import SqliteEventStore
from servicekit.storage import InMemoryEventStore

BACKENDS = ("memory", "sqlite")

Store = InMemoryEventStore | SqliteEventStore
StoreFactory = Callable[[str], AbstractContextManager[Store]]


def _open(backend: str, directory: Path) -> Store:
    if backend == "memory":
        return InMemoryEventStore()
    if backend == "sqlite":
        return SqliteEventStore(directory / "events.sqlite3")
    raise AssertionError(f"unknown backend {backend!r}")


@contextmanager
def _fresh(backend: str) -> Iterator[Store]:
    with tempfile.TemporaryDirectory(prefix="servicekit-store-") as directory:
        store = _open(backend, Path(directory))
        try:
            yield store
        finally:
            if isinstance(store, SqliteEventStore):
                store.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty event store of each backend."""
    opened = _open(request.param, tmp_path)
    yield opened
    if isinstance(opened, SqliteEventStore):
        opened.close()


@pytest.fixture(scope="session")
def fresh_store() -> StoreFactory:
    """``with fresh_store("sqlite") as store:`` an empty store in its own temporary file."""
    return _fresh
