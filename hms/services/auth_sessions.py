"""Login sessions: a random token for the browser, only its hash stored."""

import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from hms.config import settings
from hms.models import AuthSession, User, utc_now
from hms.security import hash_token, new_session_token
from hms.services.accounts import to_public
from hms.services.views import UserPublic

logger = logging.getLogger(__name__)


def start_session(*, session: Session, user_id: int, days: int | None = None) -> str:
    """Open a login session for `user_id` and return its raw token.

    The raw token is returned once and never stored.
    """
    token = new_session_token()
    lifetime = timedelta(days=days or settings.session_days)
    session.add(
        AuthSession(
            token_hash=hash_token(token),
            user_id=user_id,
            expires_at=utc_now() + lifetime,
        )
    )
    session.flush()
    logger.info("session started user_id=%s", user_id)
    return token


def user_for_token(*, session: Session, token: str) -> UserPublic | None:
    """The active user behind an unexpired session token, else None."""
    if not token:
        return None
    row = session.exec(
        select(User)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(AuthSession.token_hash == hash_token(token))
        .where(AuthSession.expires_at > utc_now())
        .where(User.is_active)
    ).first()
    return to_public(row) if row else None


def end_session(*, session: Session, token: str) -> None:
    """Forget a session token (log out). Unknown tokens are ignored."""
    if token:
        session.execute(
            delete(AuthSession).where(AuthSession.token_hash == hash_token(token))
        )


def end_all_sessions(*, session: Session, user_id: int) -> None:
    """Log a user out everywhere, e.g. after a password change."""
    session.execute(delete(AuthSession).where(AuthSession.user_id == user_id))
