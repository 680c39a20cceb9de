"""Helpers for the PostgreSQL tests: run one call from many threads at once."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

BARRIER_TIMEOUT_SECONDS = 60


def race(
    engine: Engine, count: int, call: Callable[[Session, int], object]
) -> list[object]:
    """Run `call(session, index)` in `count` threads released together.

    Each thread has its own session (its own connection) and commits on
    success. Returns, per index, the call's result or the exception it raised.
    """
    barrier = threading.Barrier(count, timeout=BARRIER_TIMEOUT_SECONDS)

    def run(index: int) -> object:
        barrier.wait()
        with Session(engine, expire_on_commit=False) as session:
            try:
                result = call(session, index)
                session.commit()
            except Exception as error:  # noqa: BLE001  (the test inspects it)
                session.rollback()
                return error
            return result

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture
def run_race(pg_engine):
    """`race` bound to the PostgreSQL test engine."""
    return lambda count, call: race(pg_engine, count, call)
