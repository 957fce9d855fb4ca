"""Order confirmation emails: rendered from Jinja2 templates (templates/email/), sent over SMTP
when VITRINE_SMTP_URL is set, otherwise written to the outbox folder as .eml files.

Placing an order writes a `mail_outbox` row in the order's own transaction, so no order lacks
its email. A worker sends right after the commit (`send_soon`) and sweeps for unsent rows when
it starts and every minute (`keep_sending`), so a crash between commit and send delays the mail
but does not lose it. A worker claims a row before sending it (an UPDATE that only one worker's
can win), so two workers never send one message twice; a claim older than CLAIM_EXPIRES is
taken to be a crashed worker's and may be claimed again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from api.schema import mail_outbox, orders
from api.services.orders import load_order
from vitrine.config import PROJECT_ROOT, Settings
from vitrine.formatting import country_name, date, money
from vitrine.urls import order_url

log = logging.getLogger("vitrine.mail")

ORDER_CONFIRMATION = "order_confirmation"
CLAIM_EXPIRES = timedelta(minutes=5)
MAX_ATTEMPTS = 10
SWEEP_SECONDS = 60
SMTP_TIMEOUT_SECONDS = 20
EMAIL_TEMPLATES = PROJECT_ROOT / "templates" / "email"

# Sends started by send_soon: held so the event loop does not drop them half-way.
_sending: set[asyncio.Task[int]] = set()


def environment(settings: Settings) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(EMAIL_TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda value: money(value, settings.locale)
    env.filters["date"] = lambda value, style="medium": date(value, settings.locale, style)
    env.filters["country"] = lambda code: country_name(code, settings.locale)
    return env


def order_confirmation(order: Any, settings: Settings) -> EmailMessage:
    """The confirmation of a shop.v1.Order: a plain-text part and an HTML alternative."""
    env = environment(settings)
    base = settings.public_base  # the address shoppers use, not the front's own
    context = {
        "order": order,
        "order_url": base + order_url(order),
        "shop_url": base + "/",
    }
    message = EmailMessage()
    message["Subject"] = f"Your Vitrine order {order.number}"
    message["From"] = settings.mail_from
    message["To"] = order.email
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(idstring=order.number, domain="vitrine.invalid")
    message.set_content(env.get_template("order_confirmation.txt").render(context))
    message.add_alternative(
        env.get_template("order_confirmation.html").render(context), subtype="html"
    )
    return message


def deliver(message: EmailMessage, settings: Settings, name: str) -> None:
    """Sends (SMTP) or files (outbox) one message. Blocking: run it in a thread."""
    if settings.smtp_url:
        _send_smtp(message, settings.smtp_url)
        return
    outbox = settings.outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    final = outbox / f"{name}.eml"
    draft = outbox / f".{name}.{os.getpid()}.tmp"
    draft.write_bytes(bytes(message))
    # Whole or not at all: a reader of the outbox never sees half a message.
    draft.replace(final)


def _send_smtp(message: EmailMessage, url: str) -> None:
    """smtp://[user:password@]host[:port] (STARTTLS when offered) or smtps:// (TLS)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=SMTP_TIMEOUT_SECONDS
        )
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=SMTP_TIMEOUT_SECONDS)
    with client:
        client.ehlo()
        if parts.scheme == "smtp" and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


# How long a stopping worker waits for the emails it is sending.
FINISH_SECONDS = 10.0


def send_soon(engine: AsyncEngine, settings: Settings) -> None:
    """Sends what is waiting, in the background: an order's answer does not wait for SMTP."""
    task = asyncio.create_task(send_pending(engine, settings))
    _sending.add(task)
    task.add_done_callback(_sending.discard)


async def finish_sending() -> None:
    """Waits (at most FINISH_SECONDS) for the sends send_soon started: a stopping worker lets
    them end rather than drop a connection mid-query; what is cut off the next sweep sends."""
    if _sending:
        await asyncio.wait(set(_sending), timeout=FINISH_SECONDS)


async def keep_sending(engine: AsyncEngine, settings: Settings) -> None:
    """A worker's sweep: at start, then every SWEEP_SECONDS, for as long as the worker runs."""
    while True:
        try:
            await send_pending(engine, settings)
        except Exception:
            log.exception("mail sweep failed; trying again in %d s", SWEEP_SECONDS)
        await asyncio.sleep(SWEEP_SECONDS)


async def send_pending(engine: AsyncEngine, settings: Settings) -> int:
    """Claims and sends every unsent message; how many were sent."""
    sent = 0
    now = datetime.now(UTC)
    async with engine.connect() as conn:
        waiting = (
            await conn.execute(
                select(mail_outbox.c.id, mail_outbox.c.order_id)
                .where(
                    mail_outbox.c.sent_at.is_(None),
                    mail_outbox.c.attempts < MAX_ATTEMPTS,
                    or_(
                        mail_outbox.c.claimed_at.is_(None),
                        mail_outbox.c.claimed_at < now - CLAIM_EXPIRES,
                    ),
                )
                .order_by(mail_outbox.c.id)
            )
        ).all()
    for item in waiting:
        async with engine.begin() as conn:
            claimed = await conn.scalar(
                update(mail_outbox)
                .where(
                    mail_outbox.c.id == item.id,
                    mail_outbox.c.sent_at.is_(None),
                    or_(
                        mail_outbox.c.claimed_at.is_(None),
                        mail_outbox.c.claimed_at < now - CLAIM_EXPIRES,
                    ),
                )
                .values(claimed_at=now, attempts=mail_outbox.c.attempts + 1)
                .returning(mail_outbox.c.id)
            )
        if claimed is None:
            continue  # another worker has it
        async with engine.connect() as conn:
            order = await load_order(conn, orders.c.id == item.order_id)
        if order is None:
            continue
        message = order_confirmation(order, settings)
        try:
            await asyncio.to_thread(deliver, message, settings, f"{order.number}-confirmation")
        except (OSError, smtplib.SMTPException) as error:
            log.warning("order %s: confirmation not sent (%s); will retry", order.number, error)
            continue
        async with engine.begin() as conn:
            await conn.execute(
                update(mail_outbox)
                .where(mail_outbox.c.id == item.id)
                .values(sent_at=datetime.now(UTC))
            )
        log.info("order %s: confirmation sent to the %s", order.number, _where(settings))
        sent += 1
    return sent


def _where(settings: Settings) -> str:
    return "SMTP server" if settings.smtp_url else f"outbox {Path(settings.outbox_dir)}"
