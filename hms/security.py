"""Password hashing (argon2 through the passlib API) and session tokens."""

import hashlib
import secrets

from passlib.context import CryptContext

# Argon2id with passlib's defaults; `needs_update` lets us raise the cost later.
_passwords = CryptContext(schemes=["argon2"], deprecated="auto")


def hash_password(password: str) -> str:
    """Return a salted argon2 hash of `password`."""
    return _passwords.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """True when `password` matches `password_hash`."""
    return _passwords.verify(password, password_hash)


def dummy_verify() -> None:
    """Spend the time of one verification, so unknown emails aren't faster."""
    _passwords.dummy_verify()


def new_session_token() -> str:
    """A random, unguessable session token (256 bits)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a session token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()
