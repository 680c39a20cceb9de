"""The database engine and sessions that services run in."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from hms.config import settings

logger = logging.getLogger(__name__)

# Set on a session's connection to open its transaction with BEGIN IMMEDIATE.
SQLITE_IMMEDIATE = "hms_sqlite_immediate"


def _unicode_lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def _prepare_sqlite(engine: Engine) -> None:
    """Give SQLite real transactions, WAL and a wait instead of "locked" errors.

    pysqlite's own transaction handling defers BEGIN; we turn it off and emit
    BEGIN ourselves so a booking can take the write lock up front.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        # SQLite's own lower() only knows ASCII; searches must match "Öz" too.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(SQLITE_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, pool_size: int = 10) -> Engine:
    """Create an engine for `url`, tuned for SQLite or PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        _prepare_sqlite(engine)
        return engine
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


@cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine(settings.database_url, settings.db_pool_size)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def lock_for_writing(session: Session) -> None:
    """Start the session's transaction holding the database write lock on SQLite.

    PostgreSQL needs nothing here: callers lock rows with SELECT ... FOR UPDATE.
    Raises:
        RuntimeError: the session already began a transaction; on SQLite that
            one could not wait for the lock, so this is a programming error.
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        raise RuntimeError("lock_for_writing must run before any other statement.")
    session.connection(execution_options={SQLITE_IMMEDIATE: True})
