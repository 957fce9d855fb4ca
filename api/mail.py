"""Order confirmation and registration emails: rendered from Jinja2 templates (templates/email/),
sent over SMTP when VITRINE_SMTP_URL is set, otherwise written to the outbox folder as .eml files.

A registration's row (api/schema.py `registrations`) is the outbox of its one email, claimed and
sent like a `mail_outbox` row; so is a back-in-stock request's (`stock_alerts`) once its stock
has returned (`due_at`, set by api/back_in_stock.py).

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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from sqlalchemy import Table, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.schema import mail_outbox, orders, products, registrations, stock_alerts, variants
from api.services.orders import load_order
from vitrine.config import PROJECT_ROOT, Settings
from vitrine.formatting import country_name, date, money
from vitrine.urls import confirm_registration_url, login_url, order_url, product_path

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
    now = datetime.now(UTC)
    return sum([await _send_each(engine, settings, now, kind) for kind in KINDS])


def _unclaimed(table: Table, now: datetime) -> Any:
    return (
        table.c.sent_at.is_(None),
        or_(table.c.claimed_at.is_(None), table.c.claimed_at < now - CLAIM_EXPIRES),
    )


async def _waiting(engine: AsyncEngine, table: Table, now: datetime, *due: Any) -> list[int]:
    async with engine.connect() as conn:
        return list(
            await conn.scalars(
                select(table.c.id)
                .where(*_unclaimed(table, now), table.c.attempts < MAX_ATTEMPTS, *due)
                .order_by(table.c.id)
            )
        )


async def _claim(engine: AsyncEngine, table: Table, row_id: int, now: datetime) -> bool:
    """True when this worker won the row (an UPDATE only one worker's can win)."""
    async with engine.begin() as conn:
        claimed = await conn.scalar(
            update(table)
            .where(table.c.id == row_id, *_unclaimed(table, now))
            .values(claimed_at=now, attempts=table.c.attempts + 1)
            .returning(table.c.id)
        )
    return claimed is not None


async def _mark_sent(engine: AsyncEngine, table: Table, row_id: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(table).where(table.c.id == row_id).values(sent_at=datetime.now(UTC))
        )


async def _read_order(conn: AsyncConnection, row_id: int) -> Any:
    order_id = await conn.scalar(select(mail_outbox.c.order_id).where(mail_outbox.c.id == row_id))
    return await load_order(conn, orders.c.id == order_id)


def registration_email(registration: Any, settings: Settings) -> EmailMessage:
    """The link that makes the account, or, when the address has one, a word to its owner."""
    env = environment(settings)
    base = settings.public_base
    message = EmailMessage()
    if registration.account_exists:
        message["Subject"] = "Your Vitrine account"
        text = env.get_template("registration_account_exists.txt").render(
            login_url=base + login_url("/account"), shop_url=base + "/"
        )
    else:
        message["Subject"] = "Finish making your Vitrine account"
        text = env.get_template("registration_confirm.txt").render(
            name=registration.name,
            confirm_url=base + confirm_registration_url(registration.token),
            hours=int((registration.expires_at - registration.created_at).total_seconds() // 3600),
            shop_url=base + "/",
        )
    message["From"] = settings.mail_from
    message["To"] = registration.email
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(idstring=f"r{registration.id}", domain="vitrine.invalid")
    message.set_content(text)
    return message


async def _read_registration(conn: AsyncConnection, row_id: int) -> Any:
    return (await conn.execute(select(registrations).where(registrations.c.id == row_id))).one()


def stock_alert_email(alert: Any, settings: Settings) -> EmailMessage:
    """Word that a variant asked about is back, with the product's link."""
    env = environment(settings)
    base = settings.public_base
    label = " / ".join(part for part in (alert.size, alert.colour) if part)
    message = EmailMessage()
    message["Subject"] = f"Back in stock: {alert.name}"
    message["From"] = settings.mail_from
    message["To"] = alert.email
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(idstring=f"s{alert.id}", domain="vitrine.invalid")
    message.set_content(
        env.get_template("back_in_stock.txt").render(
            name=alert.name,
            variant_label=label,
            product_url=base + product_path(alert.product_id, alert.slug),
            shop_url=base + "/",
        )
    )
    return message


async def _read_stock_alert(conn: AsyncConnection, row_id: int) -> Any:
    return (
        await conn.execute(
            select(
                stock_alerts.c.id,
                stock_alerts.c.email,
                variants.c.size,
                variants.c.colour,
                products.c.id.label("product_id"),
                products.c.slug,
                products.c.name,
            )
            .join(variants, variants.c.id == stock_alerts.c.variant_id)
            .join(products, products.c.id == variants.c.product_id)
            .where(stock_alerts.c.id == row_id)
        )
    ).one()


@dataclass(frozen=True)
class _Kind:
    """One kind of mail the outbox sends: its table, what else makes a row due, how a row is
    read, what the delivered file is named and the log calls it, and its message."""

    table: Table
    read: Callable[[AsyncConnection, int], Awaitable[Any]]
    names: Callable[[Any], tuple[str, str]]  # (file name, what it is in the log)
    message: Callable[[Any, Settings], EmailMessage]
    due: tuple[Any, ...] = ()


KINDS = (
    _Kind(
        mail_outbox,
        _read_order,
        lambda order: (f"{order.number}-confirmation", f"order {order.number}: confirmation"),
        order_confirmation,
    ),
    _Kind(
        registrations,
        _read_registration,
        lambda row: (f"registration-{row.id}", f"registration {row.id}: email"),
        registration_email,
    ),
    _Kind(
        stock_alerts,
        _read_stock_alert,
        lambda row: (f"back-in-stock-{row.id}", f"stock alert {row.id}: email"),
        stock_alert_email,
        due=(stock_alerts.c.due_at.is_not(None),),
    ),
)


async def _send_each(engine: AsyncEngine, settings: Settings, now: datetime, kind: _Kind) -> int:
    sent = 0
    for row_id in await _waiting(engine, kind.table, now, *kind.due):
        if not await _claim(engine, kind.table, row_id, now):
            continue  # another worker has it
        async with engine.connect() as conn:
            row = await kind.read(conn, row_id)
        if row is None:
            continue
        file_name, what = kind.names(row)
        try:
            message = kind.message(row, settings)
            await asyncio.to_thread(deliver, message, settings, file_name)
        except (OSError, smtplib.SMTPException) as error:
            log.warning("%s not sent (%s); will retry", what, error)
            continue
        await _mark_sent(engine, kind.table, row_id)
        log.info("%s sent to the %s", what, _where(settings))
        sent += 1
    return sent


def _where(settings: Settings) -> str:
    return "SMTP server" if settings.smtp_url else f"outbox {Path(settings.outbox_dir)}"
