"""Notifications: every message is written to the outbox table first, then sent by SMTP when configured.

Writing first, in the same transaction as the submission or decision, means a mail server that is down or slow
can neither lose a submission nor block it; unsent messages stay readable by admins and are retried.
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from finder.models import OutboxMessage, Submission

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


class Transport(Protocol):
    def send(self, message: OutboxMessage) -> None:
        """Deliver one message; raise on failure."""
        ...


class SmtpTransport:
    """Sends through an SMTP server (STARTTLS or implicit TLS on port 465), with a short timeout."""

    def __init__(self, host: str, port: int = 587, *, user: str | None = None, password: str | None = None,
                 sender: str = "finder@localhost", starttls: bool = True, timeout: float = 10.0) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.sender, self.starttls, self.timeout = sender, starttls, timeout

    def send(self, message: OutboxMessage) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        context = ssl.create_default_context()
        if self.port == 465:
            with smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context) as smtp:
                self._deliver(smtp, email)
            return
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=context)
            self._deliver(smtp, email)

    def _deliver(self, smtp: smtplib.SMTP, email: EmailMessage) -> None:
        if self.user:
            smtp.login(self.user, self.password or "")
        smtp.send_message(email)


def make_transport(config: Mapping[str, Any]) -> Transport | None:
    """SMTP when SMTP_HOST is set; None means messages stay in the outbox for admins to read."""
    if not config.get("SMTP_HOST"):
        return None
    return SmtpTransport(
        config["SMTP_HOST"], int(config.get("SMTP_PORT") or 587), user=config.get("SMTP_USER"),
        password=config.get("SMTP_PASSWORD"), sender=config.get("SMTP_FROM") or "finder@localhost",
        starttls=bool(config.get("SMTP_STARTTLS", True)),
    )


def queue(session: Session, *, recipients: Iterable[str], subject: str, body: str, now: dt.datetime,
          submission: Submission | None = None) -> list[OutboxMessage]:
    """Write one outbox message per distinct recipient (the caller commits with the cause)."""
    messages = []
    for recipient in dict.fromkeys(r.strip() for r in recipients if r and r.strip()):
        message = OutboxMessage(recipient=recipient[:254], subject=_one_line(subject)[:300], body=body,
                                created_at=now, submission=submission)
        session.add(message)
        messages.append(message)
    return messages


def _one_line(text: str) -> str:
    # A newline in a subject would let typed text add mail headers.
    return " ".join(text.split())


def deliver_pending(session: Session, transport: Transport | None, *, now: dt.datetime, limit: int = 50) -> int:
    """Try to send unsent messages; each success or failure is recorded and committed. Returns how many sent.

    Never raises for a delivery failure: the message stays in the outbox with its error, to be retried.
    """
    if transport is None:
        return 0
    pending = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    for message in pending:
        message.attempts += 1
        try:
            transport.send(message)
        except Exception as exc:  # any transport failure: keep the message, note why
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning("notification %s to outbox only: %s", message.id, message.last_error)
        else:
            message.sent_at = now
            message.last_error = ""
            sent += 1
        session.commit()
    return sent
