"""Login sessions: hashed tokens, expiry, logout."""

import hashlib
from datetime import timedelta

from sqlalchemy import func, text, update
from sqlmodel import select

from hms.models import AuthSession, User, utc_now
from hms.services import auth_sessions
from tests.factories import make_patient


def _session_count(session) -> int:
    return session.exec(select(func.count()).select_from(AuthSession)).one()


def test_start_session_stores_only_sha256_of_token(session):
    """The raw token is returned once; the database holds only its SHA-256."""
    user = make_patient(session)

    token = auth_sessions.start_session(session=session, user_id=user.id)
    session.commit()

    row = session.exec(select(AuthSession)).one()
    assert row.user_id == user.id
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.token_hash != token
    assert len(token) >= 32
    dumped = session.exec(text("SELECT * FROM auth_session")).all()
    assert all(token not in str(value) for record in dumped for value in record)


def test_start_session_tokens_differ(session):
    """Each login gets its own random token."""
    user = make_patient(session)

    tokens = {
        auth_sessions.start_session(session=session, user_id=user.id) for _ in range(5)
    }

    assert len(tokens) == 5


def test_start_session_expires_after_given_days(session):
    """The session expires the given number of days from now."""
    user = make_patient(session)

    auth_sessions.start_session(session=session, user_id=user.id, days=3)
    session.commit()

    expires_at = session.exec(select(AuthSession.expires_at)).one()
    assert abs(expires_at - (utc_now() + timedelta(days=3))) < timedelta(minutes=1)


def test_user_for_token_returns_user(session):
    """A fresh token resolves to its user."""
    user = make_patient(session, name="Token Owner")
    token = auth_sessions.start_session(session=session, user_id=user.id)
    session.commit()

    found = auth_sessions.user_for_token(session=session, token=token)

    assert (found.id, found.name) == (user.id, "Token Owner")


def test_user_for_token_expired(session):
    """A session whose expiry has passed resolves to nobody."""
    user = make_patient(session)
    token = auth_sessions.start_session(session=session, user_id=user.id)
    session.execute(
        update(AuthSession).values(expires_at=utc_now() - timedelta(seconds=1))
    )
    session.commit()

    assert auth_sessions.user_for_token(session=session, token=token) is None


def test_user_for_token_garbage(session):
    """Empty, unknown and hash-shaped tokens resolve to nobody."""
    user = make_patient(session)
    token = auth_sessions.start_session(session=session, user_id=user.id)
    session.commit()
    stored_hash = hashlib.sha256(token.encode()).hexdigest()

    for garbage in ["", "garbage", token + "x", stored_hash]:
        assert auth_sessions.user_for_token(session=session, token=garbage) is None


def test_user_for_token_inactive_user(session):
    """A deactivated user's session resolves to nobody."""
    user = make_patient(session)
    token = auth_sessions.start_session(session=session, user_id=user.id)
    session.execute(update(User).where(User.id == user.id).values(is_active=False))
    session.commit()

    assert auth_sessions.user_for_token(session=session, token=token) is None


def test_end_session_logs_out(session):
    """Ending a session deletes it; its token no longer resolves."""
    user = make_patient(session)
    token = auth_sessions.start_session(session=session, user_id=user.id)
    other = auth_sessions.start_session(session=session, user_id=user.id)
    session.commit()

    auth_sessions.end_session(session=session, token=token)
    session.commit()

    assert auth_sessions.user_for_token(session=session, token=token) is None
    assert auth_sessions.user_for_token(session=session, token=other).id == user.id
    assert _session_count(session) == 1


def test_end_session_unknown_token_ignored(session):
    """Ending an unknown or empty token changes nothing."""
    user = make_patient(session)
    auth_sessions.start_session(session=session, user_id=user.id)
    session.commit()

    auth_sessions.end_session(session=session, token="nope")
    auth_sessions.end_session(session=session, token="")
    session.commit()

    assert _session_count(session) == 1


def test_end_all_sessions_logs_out_everywhere(session):
    """Ending all of a user's sessions leaves other users' sessions alone."""
    user = make_patient(session)
    other_user = make_patient(session)
    tokens = [
        auth_sessions.start_session(session=session, user_id=user.id) for _ in range(3)
    ]
    kept = auth_sessions.start_session(session=session, user_id=other_user.id)
    session.commit()

    auth_sessions.end_all_sessions(session=session, user_id=user.id)
    session.commit()

    assert all(
        auth_sessions.user_for_token(session=session, token=t) is None for t in tokens
    )
    assert auth_sessions.user_for_token(session=session, token=kept).id == other_user.id
