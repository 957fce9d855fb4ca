"""Basket changes applied exactly once: the idempotency key a change carries is stored in the
change's own transaction (`basket_writes`), so its retry (after a 503, a double click, a worker
that stalled and resumed) finds it and is answered with the basket instead of changing it again.

A key is made by the front (per rendered form, or per attempt and kept for its retry) and is as
hard to guess as a basket token: a retry with an empty basket token is answered with the basket
the key's change went to (a first add makes the basket, and its 503 never set the cookie).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

from google.protobuf.message import Message
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.schema import basket_writes
from contract.errors import Invalid

# Keys are token_urlsafe(16) or longer: 22 to 64 characters of the token alphabet.
MIN_KEY_LENGTH = 22
_KEY = re.compile(r"[A-Za-z0-9_-]{22,64}")
# A retry comes within minutes; a day of keys is plenty, and the sweep drops older ones.
KEPT_FOR = timedelta(days=1)
KEY_REUSED = "This change's key was already used for another change: reload the page."


def checked_key(value: str) -> str:
    """The key ("" when the caller sent none: the change is then not protected), or INVALID."""
    if not value:
        return ""
    if not _KEY.fullmatch(value):
        raise Invalid(f"idempotency_key must be {MIN_KEY_LENGTH} to 64 URL-safe characters")
    return value


def digest(request: Message) -> str:
    """What the change asks for, apart from its key and who asks: a retry's is the same."""
    copy = type(request)()
    copy.CopyFrom(request)
    for field in ("token", "session_token", "idempotency_key"):
        if field in copy.DESCRIPTOR.fields_by_name:
            copy.ClearField(field)  # type: ignore[arg-type]
    return hashlib.sha256(copy.SerializeToString(deterministic=True)).hexdigest()


async def applied(conn: AsyncConnection, key: str, request_digest: str) -> int | None:
    """The basket a change with this key went to, when it was applied; INVALID when the key
    came with another change."""
    row = (
        await conn.execute(
            select(basket_writes.c.basket_id, basket_writes.c.request_digest).where(
                basket_writes.c.idempotency_key == key
            )
        )
    ).one_or_none()
    if row is None:
        return None
    if row.request_digest != request_digest:
        raise Invalid(KEY_REUSED)
    return int(row.basket_id)


async def remember(
    conn: AsyncConnection, key: str, basket_id: int, request_digest: str, now: datetime
) -> None:
    """In the change's transaction: this key's change is applied to this basket."""
    await conn.execute(
        insert(basket_writes).values(
            idempotency_key=key, basket_id=basket_id, request_digest=request_digest, created_at=now
        )
    )


async def forget_old(engine: AsyncEngine, now: datetime) -> int:
    """Drop keys older than KEPT_FOR; how many."""
    async with engine.begin() as conn:
        gone = await conn.execute(
            delete(basket_writes).where(basket_writes.c.created_at < now - KEPT_FOR)
        )
    return int(gone.rowcount)
