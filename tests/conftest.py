"""Shared fixtures: a fresh SQLite database per test, a migrated PostgreSQL one."""

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, make_url
from sqlmodel import Session, SQLModel

import hms.models  # noqa: F401  (registers the tables)
from hms.db import make_engine
from hms.migrations import upgrade_to_head
from hms.services import login_throttle

ADMIN_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def fresh_login_throttle() -> Iterator[None]:
    """Each test starts with no failed logins counted."""
    login_throttle._limiter.cache_clear()
    yield
    login_throttle._limiter.cache_clear()


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    """An engine on a new SQLite file with the full schema."""
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(sqlite_engine) -> Iterator[Session]:
    """A session on the per-test SQLite database."""
    with Session(sqlite_engine, expire_on_commit=False) as session:
        yield session


def _admin_engine() -> Engine:
    return make_engine(ADMIN_DATABASE_URL, pool_size=1)


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """An engine on a throwaway PostgreSQL database built by the migrations."""
    name = f"hms_test_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    url = make_url(ADMIN_DATABASE_URL).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False), pool_size=20)
    upgrade_to_head(engine)
    yield engine

    engine.dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def pg_session(pg_engine) -> Iterator[Session]:
    """A session on the PostgreSQL test database, emptied after the test."""
    with Session(pg_engine, expire_on_commit=False) as session:
        yield session
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with pg_engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
