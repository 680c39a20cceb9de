"""Deliver a built message: over SMTP, or as an ``.eml`` file when no relay is set."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
from email import policy
from email.message import EmailMessage
from pathlib import Path

from email_service.settings import EmailSettings

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """Delivery failed; ``temporary`` says whether a retry may succeed.

    Attributes:
        temporary: True for 4xx answers and connection trouble.
        smtp_code: The relay's reply code, when it gave one.
    """

    def __init__(self, reason: str, *, temporary: bool, smtp_code: int | None) -> None:
        super().__init__(reason)
        self.temporary = temporary
        self.smtp_code = smtp_code


def deliver(
    message: EmailMessage, *, to: str, key: str, settings: EmailSettings
) -> str:
    """Send over SMTP, or write an ``.eml`` file when no SMTP host is set.

    Args:
        message: The message to deliver.
        to: The envelope recipient.
        key: The idempotency key, which names the ``.eml`` file.
        settings: Where and how to deliver.

    Returns:
        ``"smtp"`` or ``"file"``, the transport used.

    Raises:
        DeliveryError: The relay refused the message or could not be reached,
            or the file could not be written.
    """
    if settings.smtp_host:
        send_smtp(message, to=to, settings=settings)
        return "smtp"
    try:
        write_eml(message, key=key, directory=settings.mail_dir)
    except OSError as error:
        raise DeliveryError(
            "could not write the .eml file", temporary=True, smtp_code=None
        ) from error
    return "file"


def send_smtp(message: EmailMessage, *, to: str, settings: EmailSettings) -> None:
    """Hand the message to the configured SMTP relay.

    Args:
        message: The message to send.
        to: The envelope recipient.
        settings: Relay host, port, security and credentials.

    Raises:
        DeliveryError: With ``temporary`` set for 4xx answers and connection
            failures, cleared for 5xx answers.
    """
    try:
        with _connect(settings) as client:
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password or "")
            client.send_message(
                message, from_addr=settings.sender.addr_spec, to_addrs=[to]
            )
    except smtplib.SMTPRecipientsRefused as error:
        code = next(iter(error.recipients.values()))[0]
        raise _refused(code) from error
    except smtplib.SMTPResponseException as error:
        raise _refused(error.smtp_code) from error
    except smtplib.SMTPNotSupportedError as error:
        # The relay lacks STARTTLS or AUTH: a configuration fault no retry fixes.
        raise DeliveryError(str(error), temporary=False, smtp_code=None) from error
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(
            "SMTP relay unreachable", temporary=True, smtp_code=None
        ) from error


def write_eml(message: EmailMessage, *, key: str, directory: Path) -> Path:
    """Write the message to ``<directory>/<key>.eml``, replacing any earlier copy.

    The file is written under a temporary name and renamed, so a reader never
    sees half a message and a retry of the same key replaces the file.

    Args:
        message: The message to write.
        key: The idempotency key; ``:`` becomes ``_`` (not in a key) so the
            name is easy to type and valid on Windows.
        directory: The folder, created if missing.

    Returns:
        The path written.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{key.replace(':', '_')}.eml"
    with tempfile.NamedTemporaryFile(
        dir=directory, suffix=".tmp", delete=False
    ) as file:
        file.write(message.as_bytes(policy=policy.SMTP))
    os.replace(file.name, path)
    return path


def _connect(settings: EmailSettings) -> smtplib.SMTP:
    """Open a connection to the relay, encrypted as configured."""
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout
    if settings.smtp_security == "ssl":
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    client = smtplib.SMTP(host, port, timeout=timeout)
    if settings.smtp_security == "starttls":
        try:
            client.starttls(context=ssl.create_default_context())
        except BaseException:
            client.close()
            raise
    return client


def _refused(code: int) -> DeliveryError:
    """Turn an SMTP reply code into a temporary (4xx) or permanent error."""
    temporary = not 500 <= code < 600
    return DeliveryError(
        f"SMTP relay answered {code}", temporary=temporary, smtp_code=code
    )
