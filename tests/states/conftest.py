"""State wiring fixtures: states bound to a per-test SQLite database."""

import asyncio
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import reflex as rx
from reflex.istate.data import ReflexURL, URLData
from sqlalchemy import Engine, text
from sqlmodel import Session

import hms.db
from hms.db import session_scope
from hms.services import auth_sessions
from hms.states.auth import AuthState

# Tables and columns whose contents "nothing changed" compares.
SNAPSHOT_QUERIES = {
    "user": "SELECT id, name, timezone, password_hash FROM user ORDER BY id",
    "slot": "SELECT id, start_at, end_at, state FROM slot ORDER BY id",
    "appointment": (
        "SELECT id, status, reason, cancel_reason, cancelled_by_id "
        "FROM appointment ORDER BY id"
    ),
    "auth_session": "SELECT token_hash FROM auth_session ORDER BY id",
}


@pytest.fixture
def engine(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The per-test SQLite engine, used by every session the states open."""
    monkeypatch.setattr(hms.db, "get_engine", lambda: sqlite_engine)
    return sqlite_engine


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session for seeding rows with tests/factories.py."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row the handlers could change, to assert that nothing did."""
    with engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(text(query))]
            for name, query in SNAPSHOT_QUERIES.items()
        }


def login_token(user_id: int) -> str:
    """A fresh session token for `user_id`, as the login cookie would hold."""
    with session_scope() as session:
        return auth_sessions.start_session(session=session, user_id=user_id)


@pytest.fixture
def make_state() -> Callable[..., Any]:
    """Build a state of class `cls` under a fresh root, logged in as `user`.

    Args:
        cls: AuthState or one of its page substates.
        user: the user whose session cookie the browser sends, or None.
        path: the page URL path (for dynamic routes), e.g. "/doctors/3".
    """

    def build(cls: type[AuthState], user=None, path: str = "/"):
        root = rx.State(_reflex_internal_init=True)
        root.rx_router_url = URLData.from_url(ReflexURL(f"http://localhost{path}"))
        state = root.get_substate(cls.get_full_name().split(".")[1:])
        if user is not None:
            state.session_token = login_token(user.id)
        return SyncHandlers(state)

    return build


class SyncHandlers:
    """A state whose handlers can be called like plain functions in tests.

    Handlers that do blocking work are coroutines (they run in a worker
    thread); calling one through this wrapper runs it to completion.
    """

    def __init__(self, state: AuthState) -> None:
        object.__setattr__(self, "_state", state)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._state, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            result = value(*args, **kwargs)
            return asyncio.run(result) if inspect.iscoroutine(result) else result

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._state, name, value)


def events(result: Any) -> list:
    """The event specs a handler returned, as a list."""
    if result is None:
        return []
    return list(result) if isinstance(result, list | tuple) else [result]


def redirect_path(result: Any) -> str | None:
    """Where a handler's returned events redirect to, if anywhere."""
    for spec in events(result):
        args = {name._js_expr: value for name, value in spec.args}
        # rx.redirect's event carries exactly these arguments.
        if {"path", "external", "replace"} <= args.keys():
            return args["path"]._var_value
    return None
