"""On SQLite, concurrent writers wait for each other instead of failing."""

import threading

from sqlmodel import func, select

from hms.db import session_scope
from hms.models import User
from hms.services import accounts, auth_sessions

SIGNUPS = 12


def _sign_up(engine, number: int, errors: list, barrier: threading.Barrier) -> None:
    barrier.wait()
    try:
        with session_scope(engine) as session:
            user = accounts.register_user(
                session=session,
                email=f"racer{number}@example.com",
                password="long enough password",
                name=f"Racer {number}",
                role="patient",
                timezone="UTC",
            )
            auth_sessions.start_session(session=session, user_id=user.id)
    except Exception as exc:  # collected for the assertion below
        errors.append(exc)


def test_register_user_concurrent_signups_all_succeed(sqlite_engine):
    """Sign-ups racing on one SQLite file all succeed (no "database is locked")."""
    errors: list = []
    barrier = threading.Barrier(SIGNUPS)
    threads = [
        threading.Thread(target=_sign_up, args=(sqlite_engine, n, errors, barrier))
        for n in range(SIGNUPS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with session_scope(sqlite_engine) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == SIGNUPS
