"""Build the MIME message for a validated request; no network, no AWS."""

from __future__ import annotations

import hashlib
import logging
import re
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from email_service.validation import EmailRequest

logger = logging.getLogger(__name__)

ICS_FILENAME = "invite.ics"

_METHOD_LINE = re.compile(r"^METHOD:([A-Za-z-]+)\s*$", re.MULTILINE | re.IGNORECASE)


def message_id_for(key: str, *, domain: str) -> str:
    """Derive the Message-ID from an idempotency key.

    A retry of the same key carries the same Message-ID, so a mail store that
    de-duplicates on it shows the message once. The key is hashed because it
    may hold characters a Message-ID may not (``:``).

    Args:
        key: The idempotency key.
        domain: The sender's domain, the right-hand side of the id.

    Returns:
        The Message-ID, angle brackets included.
    """
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}.hms@{domain}>"


def ics_method(ics: str) -> str | None:
    """Return the iTIP METHOD of a calendar (``REQUEST``, ``CANCEL``...), if any."""
    match = _METHOD_LINE.search(ics)
    return match.group(1).upper() if match else None


def build_message(request: EmailRequest, *, sender: Address) -> EmailMessage:
    """Build the message: text, optional HTML alternative, optional invite.

    Args:
        request: The validated request.
        sender: The From address.

    Returns:
        The message, ready for ``smtplib`` or to be written as ``.eml``.
    """
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = Address(display_name=request.to_name or "", addr_spec=request.to)
    message["Subject"] = request.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id_for(
        request.idempotency_key, domain=sender.domain
    )
    # Tells auto-responders (out-of-office) not to answer a notification.
    message["Auto-Submitted"] = "auto-generated"

    message.set_content(request.text)
    if request.html:
        message.add_alternative(request.html, subtype="html")
    if request.ics:
        _attach_invite(message, request.ics)
    return message


def _attach_invite(message: EmailMessage, ics: str) -> None:
    """Attach the calendar as ``invite.ics``, labelled with its METHOD."""
    method = ics_method(ics)
    message.add_attachment(
        ics,
        subtype="calendar",
        filename=ICS_FILENAME,
        params={"method": method} if method else None,
    )
