"""The outbox (finder.submissions.notify): messages written with their cause, delivered later, kept on failure."""
from __future__ import annotations

from sqlalchemy import select

from finder.models import OutboxMessage
from finder.submissions import notify


class Recorder:
    """A transport that keeps what it was given; fails for the addresses in `refuse`."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.sent: list[tuple[str, str]] = []
        self.refuse = refuse

    def send(self, message: OutboxMessage) -> None:
        if message.recipient in self.refuse:
            raise ConnectionError("mail server said no")
        self.sent.append((message.recipient, message.subject))


def test_queue_writes_one_message_per_distinct_recipient(session, now):
    written = notify.queue(session, recipients=["a@example.org", " a@example.org ", "", "b@example.org"],
                           subject="New\nBcc: everyone@example.org", body="Hello", now=now)
    assert [m.recipient for m in written] == ["a@example.org", "b@example.org"]
    # A newline in a subject would let typed text add mail headers.
    assert all(m.subject == "New Bcc: everyone@example.org" for m in written)
    assert all(m.sent_at is None and m.created_at == now for m in written)


def test_deliver_sends_what_waits_and_records_failures_to_retry(session, now):
    notify.queue(session, recipients=["a@example.org", "down@example.org"], subject="Hi", body="x", now=now)
    session.commit()
    transport = Recorder(refuse=("down@example.org",))
    assert notify.deliver_pending(session, transport, now=now) == 1
    assert transport.sent == [("a@example.org", "Hi")]
    messages = {m.recipient: m for m in session.scalars(select(OutboxMessage))}
    assert messages["a@example.org"].sent_at == now and messages["a@example.org"].attempts == 1
    failed = messages["down@example.org"]
    assert failed.sent_at is None and failed.attempts == 1 and "mail server said no" in failed.last_error
    # The next run tries only what is still unsent.
    assert notify.deliver_pending(session, Recorder(), now=now) == 1
    assert notify.deliver_pending(session, Recorder(), now=now) == 0


def test_a_message_that_keeps_failing_stops_being_tried(session, now):
    notify.queue(session, recipients=["down@example.org"], subject="Hi", body="x", now=now)
    session.commit()
    transport = Recorder(refuse=("down@example.org",))
    for _ in range(notify.MAX_ATTEMPTS + 2):
        notify.deliver_pending(session, transport, now=now)
    assert session.scalars(select(OutboxMessage)).one().attempts == notify.MAX_ATTEMPTS


def test_without_a_transport_messages_stay_in_the_outbox(session, now):
    notify.queue(session, recipients=["a@example.org"], subject="Hi", body="x", now=now)
    session.commit()
    assert notify.deliver_pending(session, None, now=now) == 0
    assert session.scalars(select(OutboxMessage)).one().attempts == 0


def test_smtp_only_when_configured():
    assert notify.make_transport({}) is None
    transport = notify.make_transport({"SMTP_HOST": "mail.example.org", "SMTP_PORT": "465", "SMTP_FROM": "f@x.org"})
    assert isinstance(transport, notify.SmtpTransport)
    assert (transport.host, transport.port, transport.sender) == ("mail.example.org", 465, "f@x.org")
