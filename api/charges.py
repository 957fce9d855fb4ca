"""Charges recorded before they are made, so that a card charged for a checkout always ends up
paying for its order or refunded, whatever fails in between (database, deadline, a worker dying).

A charge's row (api/schema.py `charges`) moves:

    charging ──> charged ──> placed                 (the order's transaction, atomically)
        │           └──────> refunding ──> refunded (any failure; then the gateway's refund)
        └──────> declined

Every move is an `UPDATE ... WHERE state = <the state it leaves>`: of two workers racing for one
charge (a repeated POST, the sweep), exactly one moves it, so a charge is never both placed and
refunded. After a refund the next try of the same checkout charges under a new attempt number.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from api.payments import Charge, PaymentGateway
from api.schema import charges

log = logging.getLogger("vitrine.payments")

CHARGING = "charging"
CHARGED = "charged"
DECLINED = "declined"
PLACED = "placed"
REFUNDING = "refunding"
REFUNDED = "refunded"
# A charge still open (charging, charged, refunding) this long after its last move was left by a
# worker that died or lost its database: no call lives that long (api/dispatch.py caps a deadline
# at 30 s), so the sweep refunds it.
STALE_AFTER = timedelta(minutes=2)
# Racing repeats of one checkout may all try to record its next attempt; one wins, the others read.
RECORD_TRIES = 3


async def record(engine: AsyncEngine, key: str, amount: int, currency: str, now: datetime) -> str:
    """The gateway idempotency key this checkout charges under, recorded before the gateway is
    asked: its open (or declined) attempt's, or a new attempt's after refunded ones."""
    for _ in range(RECORD_TRIES):
        async with engine.connect() as conn:
            latest = (
                await conn.execute(
                    select(charges.c.attempt, charges.c.state, charges.c.gateway_key)
                    .where(charges.c.checkout_key == key)
                    .order_by(charges.c.attempt.desc())
                    .limit(1)
                )
            ).one_or_none()
        if latest is not None and latest.state != REFUNDED:
            return str(latest.gateway_key)
        attempt = latest.attempt + 1 if latest is not None else 1
        gateway_key = f"{key}-{attempt}"
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    insert(charges).values(
                        checkout_key=key,
                        attempt=attempt,
                        gateway_key=gateway_key,
                        state=CHARGING,
                        amount=amount,
                        currency=currency,
                        reference="",
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            continue  # a racing repeat recorded this attempt first: read it
        return gateway_key
    raise RuntimeError(f"could not record a charge for checkout {key}")


async def mark_charged(
    engine: AsyncEngine, gateway_key: str, charge: Charge, now: datetime
) -> None:
    """What the gateway answered: charged (or declined), with its reference."""
    async with engine.begin() as conn:
        await conn.execute(
            update(charges)
            .where(charges.c.gateway_key == gateway_key, charges.c.state == CHARGING)
            .values(
                state=CHARGED if charge.approved else DECLINED,
                reference=charge.reference,
                updated_at=now,
            )
        )


async def mark_placed(
    conn: AsyncConnection, gateway_key: str, order_id: int, now: datetime
) -> bool:
    """In the order's transaction: the charge pays for this order. False when it cannot (it is
    being or was refunded): the order must not be written."""
    moved = await conn.execute(
        update(charges)
        .where(charges.c.gateway_key == gateway_key, charges.c.state == CHARGED)
        .values(state=PLACED, order_id=order_id, updated_at=now)
    )
    return moved.rowcount == 1


async def refund(
    engine: AsyncEngine, gateway: PaymentGateway, gateway_key: str, now: datetime
) -> bool:
    """Refund a charge that did not become an order. False when it is not this call's to refund
    (it was placed meanwhile by a repeat, or another worker is refunding it)."""
    async with engine.begin() as conn:
        claimed = await conn.execute(
            update(charges)
            .where(charges.c.gateway_key == gateway_key, charges.c.state.in_((CHARGING, CHARGED)))
            .values(state=REFUNDING, updated_at=now)
        )
    if claimed.rowcount != 1:
        return False
    await _refund_at_gateway(engine, gateway, gateway_key, now)
    return True


async def _refund_at_gateway(
    engine: AsyncEngine, gateway: PaymentGateway, gateway_key: str, now: datetime
) -> None:
    """A claimed (refunding) charge, refunded at the gateway and recorded so. A charge the
    gateway never made (the worker died before asking) has nothing to refund."""
    charge = await gateway.find_charge(gateway_key)
    if charge is not None and charge.approved:
        await gateway.refund(charge.reference)
    async with engine.begin() as conn:
        await conn.execute(
            update(charges)
            .where(charges.c.gateway_key == gateway_key, charges.c.state == REFUNDING)
            .values(state=REFUNDED, updated_at=now)
        )
    log.warning("charge %s refunded: it did not become an order", gateway_key)


async def refund_stale(engine: AsyncEngine, gateway: PaymentGateway, now: datetime) -> int:
    """Refund every charge left open longer than STALE_AFTER (a worker died between the charge
    and the order's commit, or its refund failed); how many."""
    async with engine.connect() as conn:
        stale = (
            await conn.scalars(
                select(charges.c.gateway_key).where(
                    charges.c.state.in_((CHARGING, CHARGED, REFUNDING)),
                    charges.c.updated_at < now - STALE_AFTER,
                )
            )
        ).all()
    refunded = 0
    for gateway_key in stale:
        if await refund(engine, gateway, gateway_key, now):
            refunded += 1
            continue
        # Left "refunding" by a refund that failed half-way: finish it.
        async with engine.connect() as conn:
            state = await conn.scalar(
                select(charges.c.state).where(charges.c.gateway_key == gateway_key)
            )
        if state == REFUNDING:
            await _refund_at_gateway(engine, gateway, gateway_key, now)
            refunded += 1
    return refunded
