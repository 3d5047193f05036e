"""Flask commands for moderation: create-admin (the first admin, and later accounts) and send-outbox."""
from __future__ import annotations


import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from finder.clock import utcnow
from finder import db
from finder.admin import auth
from finder.submissions import notify
from finder.cli.common import first_line, require_current_schema
from finder.models import ROLES, ServiceBody, User


@click.command("create-admin")
@click.option("--email", prompt=True, help="Login e-mail of the account.")
@click.option("--name", default="", help="Name shown in the audit log (first name or initials).")
@click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True)
@click.option("--body", "body_id", type=int, default=None, help="Service body id (for a body_admin).")
@click.password_option(help="At least 12 characters; asked twice when not given.")
@with_appcontext
def create_admin_command(email: str, name: str, role: str, body_id: int | None, password: str) -> None:
    """Create an admin account (role admin, body_admin with --body, or observer)."""
    require_current_schema()
    session = db.session_factory(current_app)()
    try:
        body = session.get(ServiceBody, body_id) if body_id is not None else None
        if body_id is not None and body is None:
            raise click.ClickException(f"no service body with id {body_id}")
        user = auth.create_user(session, email=email, password=password, role=role, service_body=body, name=name,
                                now=utcnow())
        session.commit()
    except auth.AccountError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    except SQLAlchemyError as exc:
        session.rollback()
        raise click.ClickException(f"could not create the account: {first_line(exc)}") from None
    finally:
        session.close()
    click.echo(f"created {role} {user.email}")


@click.command("set-password")
@click.option("--email", prompt=True, help="Login e-mail of the account.")
@click.password_option(help="At least 12 characters; asked twice when not given.")
@with_appcontext
def set_password_command(email: str, password: str) -> None:
    """Give an account a new password; every session it has open ends."""
    require_current_schema()
    session = db.session_factory(current_app)()
    try:
        user = session.scalars(select(User).where(User.email == auth.normalize_email(email))).one_or_none()
        if user is None:
            raise click.ClickException(f"no account for {email}")
        auth.set_password(session, user, password, actor="cli", now=utcnow())
        session.commit()
    except auth.AccountError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    finally:
        session.close()
    click.echo(f"new password set for {user.email}; its sessions have ended")


@click.command("send-outbox")
@with_appcontext
def send_outbox_command() -> None:
    """Send notifications still waiting in the outbox (run it from cron; a no-op without SMTP_HOST)."""
    require_current_schema()
    transport = notify.make_transport(current_app.config)
    if transport is None:
        click.echo("SMTP_HOST is not set: messages stay in the outbox for admins to read")
        return
    session = db.session_factory(current_app)()
    try:
        sent = notify.deliver_pending(session, transport, now=utcnow(), limit=500)
    finally:
        session.close()
    click.echo(f"sent {sent} message(s)")
