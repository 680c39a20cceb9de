"""Slow down password guessing: a limit on failed logins per account."""

import logging
from functools import cache

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from hms.config import settings
from hms.errors import HMSError

logger = logging.getLogger(__name__)

# Failed attempts allowed per email address in a moving window.
FAILED_LOGIN_LIMIT: RateLimitItem = parse("10 per 15 minutes")


class TooManyAttemptsError(HMSError):
    """Too many failed logins for one account; wait before trying again."""


@cache
def _limiter() -> MovingWindowRateLimiter:
    # Redis when configured, so every worker counts the same attempts.
    storage = storage_from_string(settings.redis_url or "memory://")
    return MovingWindowRateLimiter(storage)


def check_login_allowed(email_key: str) -> None:
    """Refuse a login attempt for an account that failed too often lately.

    Raises:
        TooManyAttemptsError: the limit is reached, whatever the password.
    """
    if not _limiter().test(FAILED_LOGIN_LIMIT, "login", email_key):
        logger.warning("login throttled for an account")
        raise TooManyAttemptsError(
            "Too many failed attempts for this email. Wait 15 minutes and try again."
        )


def record_failed_login(email_key: str) -> None:
    """Count one failed attempt against the account."""
    _limiter().hit(FAILED_LOGIN_LIMIT, "login", email_key)
