"""Encrypt small secrets (OAuth tokens) at rest with a key derived from SECRET_KEY."""

import base64
import logging
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hms.config import settings

logger = logging.getLogger(__name__)

# Binds derived keys to this use: another feature deriving from SECRET_KEY with
# another label gets an unrelated key.
_HKDF_INFO = b"hms/secrets-at-rest/v1"


class DecryptionError(Exception):
    """The ciphertext was altered or encrypted under another SECRET_KEY."""


@cache
def _fernet(secret_key: str) -> Fernet:
    """The Fernet cipher whose key is HKDF-SHA256(secret_key)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
    key = hkdf.derive(secret_key.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_text(plaintext: str, *, secret_key: str | None = None) -> str:
    """Encrypt `plaintext` and return URL-safe ASCII fit for a text column.

    Args:
        plaintext: the secret to protect.
        secret_key: the key material (default: settings.secret_key).

    Returns:
        A Fernet token (authenticated, timestamped, randomised).
    """
    cipher = _fernet(secret_key or settings.secret_key)
    return cipher.encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_text(ciphertext: str, *, secret_key: str | None = None) -> str:
    """Decrypt what `encrypt_text` produced.

    Args:
        ciphertext: a Fernet token from `encrypt_text`.
        secret_key: the key material (default: settings.secret_key).

    Returns:
        The original text.

    Raises:
        DecryptionError: tampered data or a different SECRET_KEY.
    """
    cipher = _fernet(secret_key or settings.secret_key)
    try:
        return cipher.decrypt(ciphertext.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as error:
        raise DecryptionError("Stored secret cannot be decrypted.") from error
