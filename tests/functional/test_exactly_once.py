"""Writes land exactly once, or not at all, as a shopper and an operator see them, on real
workers and fronts, on SQLite and PostgreSQL: a worker stalled (SIGSTOP) past an add's deadline
does not apply it when it resumes, and the retry the 503 page offers applies it once; a database
that refuses writes makes /readyz and every writing page answer 503 with words, writing nothing;
no card number reaches the database, the logs or the emails."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url

from api.db import create_engine
from api.schema import basket_lines, basket_writes, baskets, checkouts, metadata, users, variants
from tests.functional.pages import Shopper, catalogue_facts, fetch, product_option, xsrf_field
from tests.functional.test_basket import basket_quantities
from tests.functional.test_checkout import ADDRESS, GOOD_CARD, place, to_review
from tests.processes import Processes
from vitrine.config import Settings
from web.handlers.base import WRITE_DEADLINE_MS

TEST_CARD_DIGITS = "4242424242424242"


def run_on(database: dict[str, str], *statements: Any) -> list[Any]:
    """Each statement in one transaction; the scalar each answered (None for a write)."""

    async def run() -> list[Any]:
        settings = Settings(
            database_url=database["VITRINE_DATABASE_URL"],
            database_schema=database.get("VITRINE_DATABASE_SCHEMA", ""),
        )
        engine = create_engine(settings)
        try:
            async with engine.begin() as conn:
                answers = []
                for statement in statements:
                    result = await conn.execute(statement)
                    answers.append(result.scalar() if result.returns_rows else None)
                return answers
        finally:
            await engine.dispose()

    return asyncio.run(run())


def plenty_of(database: dict[str, str], variant: str) -> None:
    run_on(database, update(variants).where(variants.c.id == int(variant)).values(stock=50))


def test_an_add_told_failed_does_not_land_later_and_its_retry_lands_once(
    workers: Processes, database: dict[str, str]
):
    worker = workers.start_worker()
    shopper = Shopper(workers.start_front(worker).url)
    variant = product_option(shopper, catalogue_facts(database))
    plenty_of(database, variant)
    assert shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"}).status == 303

    os.kill(worker.process.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        failed = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "2"})
        took = time.monotonic() - started
    finally:
        os.kill(worker.process.pid, signal.SIGCONT)
    assert failed.status == 503
    assert "We could not confirm this change to your basket in time" in failed.body
    assert took < WRITE_DEADLINE_MS / 1000 + 0.5
    # The resumed worker finds the add in its queue, after the shopper was told it failed.
    deadline = time.monotonic() + 5
    while "DEADLINE_EXCEEDED" not in worker.log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "DEADLINE_EXCEEDED" in worker.log
    assert basket_quantities(shopper) == [1]  # not applied behind the shopper's back

    retry = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', failed.body))
    assert set(retry) == {"_xsrf", "variant_id", "quantity", "idempotency_key"}
    assert shopper.request("/basket/lines", retry).status == 303
    assert shopper.request("/basket/lines", retry).status == 303  # "Try again" pressed twice
    assert basket_quantities(shopper) == [3]


@contextlib.contextmanager
def refusing_writes(database: dict[str, str]) -> Iterator[dict[str, str]]:
    """The environment of a worker whose database answers reads and refuses every write: the
    SQLite file opened read-only, or a PostgreSQL role whose transactions are read-only (as a
    replica's are), on the same rows."""
    url = database["VITRINE_DATABASE_URL"]
    if url.startswith("sqlite"):
        path = make_url(url).database
        yield {"VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"}
        return
    schema = database["VITRINE_DATABASE_SCHEMA"]
    role = f"vitrine_read_only_{secrets.token_hex(4)}"
    run_on(
        database,
        text(f"CREATE ROLE {role} LOGIN"),
        text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"),
        text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"),
        text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"),
        text(f"ALTER ROLE {role} SET default_transaction_read_only = on"),
    )
    try:
        as_role = make_url(url).set(username=role).render_as_string(hide_password=False)
        yield {"VITRINE_DATABASE_URL": as_role}
    finally:
        run_on(database, text(f"DROP OWNED BY {role}"), text(f"DROP ROLE {role}"))


def row_counts(database: dict[str, str]) -> list[int]:
    tables = (baskets, basket_lines, basket_writes, checkouts, users)
    return run_on(database, *(select(func.count()).select_from(t) for t in tables))


def test_a_database_refusing_writes_is_not_ready_and_writing_pages_say_so(
    workers: Processes, database: dict[str, str]
):
    writable = workers.start_front(workers.start_worker())
    shopper = Shopper(writable.url)
    variant = product_option(shopper, catalogue_facts(database))
    plenty_of(database, variant)
    assert shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"}).status == 303
    token = xsrf_field(shopper.request("/basket"))
    with refusing_writes(database) as env:
        worker = workers.start_worker(env=env)
        front = workers.start_front(worker)
        ready = fetch(front.url + "/readyz")
        assert ready.status == 503
        assert json.loads(ready.body)["database"] == "UNAVAILABLE"
        assert fetch(writable.url + "/readyz").status == 200
        before = row_counts(database)
        shopper.base = front.url  # the same browser, its cookies, sent to the other front
        added = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
        assert added.status == 503
        assert "We could not confirm this change to your basket in time" in added.body
        changed = shopper.request(f"/basket/lines/{variant}", {"_xsrf": token, "quantity": "4"})
        assert changed.status == 503
        address = shopper.request("/checkout/address", {"_xsrf": token, **ADDRESS})
        assert address.status == 503
        assert "Please try again in a few seconds" in address.body
        # Refused writes are the database's state, not bugs: no traceback.
        assert "Traceback" not in worker.log, worker.log
        assert "database refused" in worker.log
        assert row_counts(database) == before
        worker.process.terminate()  # its connections go before its role does
        worker.process.wait(timeout=10)
    shopper.base = writable.url
    assert basket_quantities(shopper) == [1]


def database_text(database: dict[str, str]) -> str:
    """Every row of every table, as text (on SQLite also the file's and its log's raw bytes, where
    deleted rows linger)."""
    url = make_url(database["VITRINE_DATABASE_URL"])
    raw = ""
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        for part in (path, path.with_name(path.name + "-wal")):
            if part.exists():
                raw += part.read_bytes().decode("latin-1")

    async def dump() -> str:
        settings = Settings(
            database_url=database["VITRINE_DATABASE_URL"],
            database_schema=database.get("VITRINE_DATABASE_SCHEMA", ""),
        )
        engine = create_engine(settings)
        try:
            async with engine.connect() as conn:
                texts = []
                for table in metadata.sorted_tables:
                    texts.extend(repr(tuple(r)) for r in (await conn.execute(select(table))).all())
                return "\n".join(texts)
        finally:
            await engine.dispose()

    return raw + asyncio.run(dump())


def test_no_card_number_reaches_the_database_the_logs_or_the_emails(
    workers: Processes, database: dict[str, str], tmp_path: Path
):
    outbox = tmp_path / "outbox"
    env = {"VITRINE_OUTBOX_DIR": str(outbox)}
    worker = workers.start_worker(env=env)
    front = workers.start_front(worker, env=env)
    shopper = Shopper(front.url)
    variant = product_option(shopper, catalogue_facts(database))
    plenty_of(database, variant)
    assert shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"}).status == 303
    token = xsrf_field(shopper.request("/basket"))
    placed = place(shopper, token, to_review(shopper, token, GOOD_CARD))
    assert placed.status == 303
    order = shopper.request(placed.headers["Location"])
    assert "Visa ending 4242" in order.body
    deadline = time.monotonic() + 5
    while not list(outbox.glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.05)
    emails = "".join(p.read_text() for p in outbox.glob("*.eml"))
    assert "4242" in emails  # the last four, as the shopper knows the card
    everything = {
        "database": database_text(database),
        "worker log": worker.log,
        "front log": front.log,
        "emails": emails,
    }
    for where, seen in everything.items():
        squeezed = re.sub(r"[ -]", "", seen)
        assert TEST_CARD_DIGITS not in squeezed, f"the card number is in the {where}"
        assert GOOD_CARD["card_number"] not in seen, f"the card number is in the {where}"


def test_the_json_api_does_not_apply_a_change_its_caller_gave_up_on(
    workers: Processes, database: dict[str, str]
):
    worker = workers.start_worker()
    variant = product_option(Shopper(workers.start_front(worker).url), catalogue_facts(database))
    plenty_of(database, variant)
    before = row_counts(database)
    body = json.dumps({"variantId": variant, "quantity": 1}).encode()
    late = str(int(time.time() * 1000) - 1)
    request = urllib.request.Request(
        worker.http_url + "/api/v1/basket/AddLine",
        data=body,
        headers={"X-Deadline-Ms": "5000", "X-Deadline-At-Ms": late},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 504
    assert "deadline had passed" in json.loads(refused.value.read())["error"]["message"]
    assert row_counts(database) == before


def test_an_order_whose_answer_does_not_come_shows_the_review_again_with_words(
    workers: Processes, database: dict[str, str]
):
    worker = workers.start_worker(faults="shop.v1.Checkout/PlaceOrder=UNAVAILABLE")
    shopper = Shopper(workers.start_front(worker).url)
    variant = product_option(shopper, catalogue_facts(database))
    plenty_of(database, variant)
    assert shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"}).status == 303
    token = xsrf_field(shopper.request("/basket"))
    key = to_review(shopper, token)
    failed = place(shopper, token, key)
    assert failed.status == 503
    assert "We could not confirm your order just now" in failed.body
    assert "never orders or charges twice" in failed.body
    assert f'name="idempotency_key" value="{key}"' in failed.body  # the same order, again
