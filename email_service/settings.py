"""Settings of the email function, read once from the environment."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "plain"]

SECURITY_CHOICES: tuple[Security, ...] = ("ssl", "starttls", "plain")
DEFAULT_PORTS: dict[Security, int] = {"ssl": 465, "starttls": 587, "plain": 25}
DEFAULT_FROM_EMAIL = "HMS <no-reply@localhost>"
DEFAULT_MAIL_DIR = Path(__file__).resolve().parent.parent / "var" / "mail"


@dataclass(frozen=True)
class EmailSettings:
    """How the email function sends mail.

    Attributes:
        smtp_host: SMTP relay host; ``None`` writes ``.eml`` files instead.
        smtp_port: SMTP relay port.
        smtp_security: ``ssl`` (implicit TLS), ``starttls`` or ``plain``.
        smtp_user: Login name, or ``None`` to send without logging in.
        smtp_password: Password for ``smtp_user``.
        smtp_timeout: Seconds to wait on the relay before giving up.
        from_email: The From header, ``addr`` or ``Name <addr>``.
        mail_dir: Folder for ``.eml`` files when no relay is configured.
        token: Shared secret callers send as a bearer token; ``None`` if unset.
    """

    smtp_host: str | None = None
    smtp_port: int = DEFAULT_PORTS["starttls"]
    smtp_security: Security = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_timeout: float = 10.0
    from_email: str = DEFAULT_FROM_EMAIL
    mail_dir: Path = DEFAULT_MAIL_DIR
    token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        """Refuse settings that could only fail later, at send time."""
        if self.smtp_security not in SECURITY_CHOICES:
            raise ValueError(f"SMTP_SECURITY must be one of {SECURITY_CHOICES}")
        # Parsing now makes a FROM_EMAIL typo fail at start, not on each send.
        parse_sender(self.from_email)

    @property
    def sender(self) -> Address:
        """The From address, parsed from ``from_email``."""
        return parse_sender(self.from_email)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> EmailSettings:
        """Read settings from environment variables.

        Empty values count as unset, because deploy tools often pass ``""``
        for a variable that is not configured.

        Args:
            env: The variables to read; ``os.environ`` when ``None``.

        Returns:
            The settings.

        Raises:
            ValueError: A variable holds a value that cannot work.
        """
        env = os.environ if env is None else env
        values = {name: value for name, value in env.items() if value.strip()}
        security, port = _security_and_port(
            values.get("SMTP_SECURITY"), values.get("SMTP_PORT")
        )
        return cls(
            smtp_host=values.get("SMTP_HOST"),
            smtp_port=port,
            smtp_security=security,
            smtp_user=values.get("SMTP_USER"),
            smtp_password=values.get("SMTP_PASSWORD"),
            smtp_timeout=float(values.get("SMTP_TIMEOUT", "10")),
            from_email=values.get("FROM_EMAIL", DEFAULT_FROM_EMAIL),
            mail_dir=Path(values.get("MAIL_DIR", str(DEFAULT_MAIL_DIR))),
            token=values.get("EMAIL_SERVICE_TOKEN"),
        )


def parse_sender(from_email: str) -> Address:
    """Parse ``addr`` or ``Name <addr>`` into an address.

    Args:
        from_email: The FROM_EMAIL value.

    Returns:
        The parsed address.

    Raises:
        ValueError: The value is not an address.
    """
    hint = "FROM_EMAIL must be an address such as HMS <hms@example.org>"
    name, addr_spec = parseaddr(from_email)
    if "@" not in addr_spec:
        raise ValueError(hint)
    try:
        return Address(display_name=name, addr_spec=addr_spec)
    except (ValueError, HeaderParseError) as error:
        raise ValueError(hint) from error


def _security_and_port(security: str | None, port: str | None) -> tuple[Security, int]:
    """Fill in whichever of SMTP_SECURITY and SMTP_PORT is missing."""
    if port is not None and not port.isdigit():
        raise ValueError("SMTP_PORT must be a port number")
    if security is None:
        # 465 is the implicit-TLS port; everything else upgrades with STARTTLS
        # rather than silently sending credentials in clear text.
        security = "ssl" if port == "465" else "starttls"
    security = security.lower()
    if security not in SECURITY_CHOICES:
        raise ValueError(f"SMTP_SECURITY must be one of {SECURITY_CHOICES}")
    return security, int(port) if port else DEFAULT_PORTS[security]
