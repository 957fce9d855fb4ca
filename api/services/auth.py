"""shop.v1.Auth: accounts, server-side log-in sessions, the log-in and registration limits, and
what happens to a guest's basket when its shopper registers or logs in.

Registering asks for an account; the account is made when the link emailed to the address is
followed (ConfirmRegistration). Register answers the same, as slowly, whether the address has an
account or not, so neither its answer nor its timing tells who shops here (docs/api.md).

Passwords are hashed with argon2id (argon2-cffi's default parameters). Hashing and verifying
take tens of milliseconds of CPU, so they run in a thread: the worker's event loop keeps serving
the other calls of its batches meanwhile.

Sessions: a log-in always makes a new session (a fresh token: the front replaces its cookie, so
a token planted before log-in is worth nothing after it). Other sessions of the account, on other
devices, stay valid until they log out or expire.

Locking: a log-in's transaction first writes the user's row (PostgreSQL: that row's lock;
SQLite: the database write lock, taken by a first statement that writes, as in basket.py), so two
log-ins of one account, each merging a guest basket, run one after the other. Then it writes the
account's basket row and the guest basket's row, before reading their lines, which is the
discipline of basket.py: an AddLine on either basket waits for the merge or is seen by it.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from api import mail, messages, promotions
from api.context import CallContext
from api.messages import AnyRow
from api.passwords import MAX_PASSWORD_LENGTH, password_problem
from api.rate_limits import Limit, in_words, take_turn
from api.schema import (
    basket_lines,
    baskets,
    login_failures,
    products,
    registrations,
    sessions,
    users,
    variants,
)
from api.services.basket import (
    MAX_LINE_QUANTITY,
    line_key,
    next_added_at,
    plausible_token,
    touch_account_basket,
)
from contract import auth_pb2, checkout_pb2
from contract.errors import FailedPrecondition, Invalid, ResourceExhausted, Unauthenticated

SESSION_DAYS = 30
SESSION_TOKEN_BYTES = 32  # token_urlsafe(32): 43 characters
# The log-in limit: this many failures for one email, or from one client address, within the
# window refuse further attempts (even right ones) until the oldest leaves the window.
MAX_LOGIN_FAILURES = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
LOGIN_LIMITS = (
    Limit(login_failures.c.email, login_failures.c.at, MAX_LOGIN_FAILURES, LOGIN_FAILURE_WINDOW),
    Limit(
        login_failures.c.client_address,
        login_failures.c.at,
        MAX_LOGIN_FAILURES,
        LOGIN_FAILURE_WINDOW,
    ),
)
# The registration limit: registrations asked for (each sends an email) from one address, and
# for one email, so that neither the shop's mail nor someone's inbox can be flooded.
REGISTRATION_WINDOW = timedelta(hours=1)
REGISTRATION_LIMITS = (
    Limit(registrations.c.client_address, registrations.c.created_at, 5, REGISTRATION_WINDOW),
    Limit(registrations.c.email, registrations.c.created_at, 3, REGISTRATION_WINDOW),
)
# How long a registration's emailed link works.
CONFIRM_WITHIN = timedelta(hours=24)

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path; also the column's size
MAX_NAME_LENGTH = 100
MAX_CLIENT_ADDRESS_LENGTH = 64  # an IPv6 address with a zone fits; so does the column

WRONG_CREDENTIALS = "Email or password is wrong."
TOO_MANY_FAILURES = "Too many failed log-ins. Try again in {}."
TOO_MANY_REGISTRATIONS = "Too many registrations. Try again in {}."
LINK_SPENT = "This link has been used or has expired. Register again to get a new one."
ACCOUNT_EXISTS = "This email address has an account already. Log in instead."
NOT_LOGGED_IN = "not logged in"

_HASHER = PasswordHasher()


@dataclass(frozen=True)
class _Account:
    id: int
    password_hash: str


async def register(ctx: CallContext, request: auth_pb2.RegisterRequest) -> auth_pb2.AuthResponse:
    address = client_address(request.client_address)
    email, email_error = checked_email(request.email)
    errors = [
        checkout_pb2.FieldError(field=field, message=message)
        for field, message in (
            ("email", email_error),
            ("password", password_problem(request.password, email)),
            ("name", _name_problem(request.name)),
        )
        if message
    ]
    if errors:
        return auth_pb2.AuthResponse(field_errors=errors)
    async with ctx.db.connect() as conn:
        exists = await _email_taken(conn, email)
    # The request is written before it is counted (api/rate_limits.py), claimed (so no worker
    # mails it) until its password hash is in.
    registration = {
        "token": "" if exists else secrets.token_urlsafe(SESSION_TOKEN_BYTES),
        "email": email,
        "client_address": address,
        "account_exists": exists,
        "name": request.name.strip(),
        "password_hash": "",
        "created_at": ctx.now,
        "expires_at": ctx.now + CONFIRM_WITHIN,
        "claimed_at": ctx.now,
        "attempts": 0,
    }
    limits = ((REGISTRATION_LIMITS[0], address), (REGISTRATION_LIMITS[1], email))
    row_id, wait = await take_turn(ctx.db, registrations, registration, limits, ctx.now)
    if wait:
        raise ResourceExhausted(
            TOO_MANY_REGISTRATIONS.format(in_words(wait)), retry_after_seconds=wait
        )
    # Hashed whether or not the address has an account: both answers take as long.
    password_hash = await asyncio.to_thread(_HASHER.hash, request.password)
    async with ctx.db.begin() as conn:
        await conn.execute(
            update(registrations)
            .where(registrations.c.id == row_id)
            .values(password_hash="" if exists else password_hash, claimed_at=None)
        )
    mail.send_soon(ctx.db, ctx.settings)
    return auth_pb2.AuthResponse()


async def confirm_registration(
    ctx: CallContext, request: auth_pb2.ConfirmRegistrationRequest
) -> auth_pb2.AuthResponse:
    token = plausible_token(request.token)
    if not token:
        raise FailedPrecondition(LINK_SPENT)
    guest_token = plausible_token(request.basket_token)
    try:
        async with ctx.db.begin() as conn:
            # First statement a write: a link followed twice at once is used once.
            registration = (
                await conn.execute(
                    update(registrations)
                    .where(
                        registrations.c.token == token,
                        registrations.c.account_exists.is_(False),
                        registrations.c.confirmed_at.is_(None),
                        registrations.c.expires_at > ctx.now,
                    )
                    .values(confirmed_at=ctx.now)
                    .returning(registrations)
                )
            ).one_or_none()
            if registration is None:
                raise FailedPrecondition(LINK_SPENT)
            # The unique email column lets one account in; a second registration of the
            # address, confirmed after it, lands below.
            user = (
                await conn.execute(
                    insert(users)
                    .values(
                        email=registration.email,
                        name=registration.name,
                        password_hash=registration.password_hash,
                        created_at=ctx.now,
                    )
                    .returning(users)
                )
            ).one()
            session = await _start_session(conn, user, ctx.now)
            basket_token = ""
            if guest_token:
                # The guest basket becomes the account's (a new account has none to merge into).
                basket_token = (
                    await conn.scalar(
                        update(baskets)
                        .where(baskets.c.token == guest_token, baskets.c.user_id.is_(None))
                        .values(user_id=user.id, updated_at=ctx.now)
                        .returning(baskets.c.token)
                    )
                    or ""
                )
    except IntegrityError as error:
        raise FailedPrecondition(ACCOUNT_EXISTS) from error
    return auth_pb2.AuthResponse(session=session, basket_token=basket_token)


async def log_in(ctx: CallContext, request: auth_pb2.LogInRequest) -> auth_pb2.AuthResponse:
    address = client_address(request.client_address)
    email = request.email.strip().lower()
    if not email or len(email) > MAX_EMAIL_LENGTH or "\x00" in email:
        raise Unauthenticated(WRONG_CREDENTIALS)  # no account can have it: nothing to count
    # Every attempt is written as a failure before it is counted (api/rate_limits.py), and the
    # row is taken back if the password matches.
    attempt = {"email": email, "client_address": address, "at": ctx.now}
    limits = ((LOGIN_LIMITS[0], email), (LOGIN_LIMITS[1], address))
    failure_id, wait = await take_turn(ctx.db, login_failures, attempt, limits, ctx.now)
    if wait:
        raise ResourceExhausted(TOO_MANY_FAILURES.format(in_words(wait)), retry_after_seconds=wait)
    async with ctx.db.connect() as conn:
        row = (
            await conn.execute(
                select(users.c.id, users.c.password_hash).where(users.c.email == email)
            )
        ).one_or_none()
    account = _Account(row.id, row.password_hash) if row is not None else None
    if not await _password_matches(account, request.password):
        raise Unauthenticated(WRONG_CREDENTIALS)
    assert account is not None  # a password only matches an account's hash
    new_hash = None
    if _HASHER.check_needs_rehash(account.password_hash):
        new_hash = await asyncio.to_thread(_HASHER.hash, request.password)
    async with ctx.db.begin() as conn:
        # First statement: a write on the user's row (see the module's docstring).
        user = (
            await conn.execute(
                update(users)
                .where(users.c.id == account.id)
                .values(password_hash=new_hash or users.c.password_hash)
                .returning(users)
            )
        ).one()
        await conn.execute(login_failures.delete().where(login_failures.c.id == failure_id))
        session = await _start_session(conn, user, ctx.now)
        basket_token = await _merge_baskets(
            conn, user.id, plausible_token(request.basket_token), ctx.now
        )
    return auth_pb2.AuthResponse(session=session, basket_token=basket_token)


async def log_out(ctx: CallContext, request: auth_pb2.LogOutRequest) -> auth_pb2.LogOutResponse:
    """Ends the session; an unknown or already ended one is not an error (a repeated click)."""
    token = plausible_token(request.session_token)
    if token:
        async with ctx.db.begin() as conn:
            await conn.execute(
                update(sessions)
                .where(sessions.c.token == token, sessions.c.ended_at.is_(None))
                .values(ended_at=ctx.now)
            )
    return auth_pb2.LogOutResponse()


async def get_session(ctx: CallContext, request: auth_pb2.GetSessionRequest) -> auth_pb2.Session:
    token = plausible_token(request.session_token)
    if not token:
        raise Unauthenticated(NOT_LOGGED_IN)
    async with ctx.db.connect() as conn:
        row = (
            await conn.execute(
                select(
                    sessions.c.token,
                    sessions.c.expires_at,
                    users.c.id,
                    users.c.email,
                    users.c.name,
                    users.c.created_at,
                )
                .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
                .where(
                    sessions.c.token == token,
                    sessions.c.ended_at.is_(None),
                    sessions.c.expires_at > ctx.now,
                )
            )
        ).one_or_none()
    if row is None:
        raise Unauthenticated(NOT_LOGGED_IN)
    return _session(row, row.expires_at)


def client_address(value: str) -> str:
    """The shopper's address as the front saw it. It comes from the front, not from a form, so a
    bad one is INVALID_ARGUMENT rather than a field error."""
    if "\x00" in value:
        raise Invalid("client_address contains a NUL character")
    if len(value) > MAX_CLIENT_ADDRESS_LENGTH:
        raise Invalid(
            f"client_address is {len(value)} characters long; "
            f"the maximum is {MAX_CLIENT_ADDRESS_LENGTH}"
        )
    return value.strip()


def checked_email(value: str) -> tuple[str, str]:
    """The address as stored (stripped, lower-cased) and what is wrong with it ("" if nothing)."""
    email = value.strip().lower()
    if not email:
        return email, "Enter your email address."
    if "\x00" in email:
        return email, "Your email address contains a character that is not allowed."
    if len(email) > MAX_EMAIL_LENGTH:
        return email, f"An email address has at most {MAX_EMAIL_LENGTH} characters."
    local, _, domain = email.partition("@")
    if (
        email.count("@") != 1
        or not local
        or "." not in domain
        or domain.startswith(".")
        or domain.endswith(".")
        or ".." in domain
        or any(character.isspace() for character in email)
    ):
        return email, "Enter an email address like name@example.com."
    return email, ""


def _name_problem(value: str) -> str:
    name = value.strip()
    if not name:
        return "Enter your name."
    if "\x00" in name:
        return "Your name contains a character that is not allowed."
    if len(name) > MAX_NAME_LENGTH:
        return f"Use at most {MAX_NAME_LENGTH} characters for your name."
    return ""


async def _email_taken(conn: AsyncConnection, email: str) -> bool:
    return await conn.scalar(select(users.c.id).where(users.c.email == email)) is not None


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, verified against for unknown emails: a wrong email then
    takes as long as a wrong password, so timing does not tell which emails have accounts."""
    return _HASHER.hash(secrets.token_urlsafe(16))


async def _password_matches(account: _Account | None, password: str) -> bool:
    if len(password) > MAX_PASSWORD_LENGTH:
        return False  # no account can have it; not worth hashing
    password_hash = account.password_hash if account is not None else None

    def verify() -> bool:
        try:
            return _HASHER.verify(password_hash or _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify) and account is not None


async def _start_session(conn: AsyncConnection, user: AnyRow, now: datetime) -> auth_pb2.Session:
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    expires_at = now + timedelta(days=SESSION_DAYS)
    await conn.execute(
        insert(sessions).values(token=token, user_id=user.id, created_at=now, expires_at=expires_at)
    )
    return _session(user, expires_at, token=token)


def _session(user: AnyRow, expires_at: datetime, *, token: str = "") -> auth_pb2.Session:
    return auth_pb2.Session(
        token=token or user.token,
        user=auth_pb2.User(
            id=user.id,
            email=user.email,
            name=user.name,
            created_at=messages.timestamp(user.created_at),
        ),
        expires_at=messages.timestamp(expires_at),
    )


async def _merge_baskets(
    conn: AsyncConnection, user_id: int, guest_token: str, now: datetime
) -> str:
    """The account's basket token after taking in the guest basket ("" when there is neither).

    Each guest line adds its quantity to the account's line of that variant, capped at the
    variant's stock and at MAX_LINE_QUANTITY, never lowering what the account's line already
    holds. A line that cannot be bought (discontinued, out of stock) is kept, not summed: the
    larger of the two quantities, so the basket page shows it, marked unavailable, and the
    shopper decides. Guest lines new to the account come after its own lines, in their order.
    """
    account = await touch_account_basket(conn, user_id, now)
    guest = None
    if guest_token:
        guest = (
            await conn.execute(
                update(baskets)
                .where(baskets.c.token == guest_token, baskets.c.user_id.is_(None))
                .values(updated_at=now)
                .returning(baskets.c.id, baskets.c.token)
            )
        ).one_or_none()
    if guest is None:
        return account.token if account is not None else ""
    if account is None:
        # Nothing to merge into: the guest basket, token and all, becomes the account's.
        await conn.execute(update(baskets).where(baskets.c.id == guest.id).values(user_id=user_id))
        return str(guest.token)
    held: dict[int, int] = {
        row.variant_id: row.quantity
        for row in await conn.execute(
            select(basket_lines.c.variant_id, basket_lines.c.quantity).where(
                basket_lines.c.basket_id == account.id
            )
        )
    }
    latest = await conn.scalar(
        select(func.max(basket_lines.c.added_at)).where(basket_lines.c.basket_id == account.id)
    )
    guest_lines = (
        await conn.execute(
            select(
                basket_lines.c.variant_id,
                basket_lines.c.quantity,
                variants.c.stock,
                products.c.discontinued,
            )
            .select_from(
                basket_lines.join(variants, variants.c.id == basket_lines.c.variant_id).join(
                    products, products.c.id == variants.c.product_id
                )
            )
            .where(basket_lines.c.basket_id == guest.id)
            .order_by(basket_lines.c.added_at, basket_lines.c.variant_id)
        )
    ).all()
    for line in guest_lines:
        in_account = held.get(line.variant_id, 0)
        quantity = _merged_quantity(line, in_account)
        if not in_account:
            latest = next_added_at(now, latest)
            await conn.execute(
                insert(basket_lines).values(
                    basket_id=account.id,
                    variant_id=line.variant_id,
                    quantity=quantity,
                    added_at=latest,
                )
            )
        elif quantity != in_account:
            await conn.execute(
                update(basket_lines)
                .where(line_key(account.id, line.variant_id))
                .values(quantity=quantity)
            )
    await promotions.move_codes(conn, guest.id, account.id)
    await conn.execute(basket_lines.delete().where(basket_lines.c.basket_id == guest.id))
    await conn.execute(baskets.delete().where(baskets.c.id == guest.id))
    return str(account.token)


def _merged_quantity(guest_line: AnyRow, in_account: int) -> int:
    """What the account's line holds after the merge (see _merge_baskets); always >= 1."""
    if guest_line.discontinued or guest_line.stock <= 0:
        return min(max(in_account, guest_line.quantity), MAX_LINE_QUANTITY)
    cap = min(guest_line.stock, MAX_LINE_QUANTITY)
    return max(in_account, min(in_account + guest_line.quantity, cap))
