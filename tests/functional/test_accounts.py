"""Accounts as a shopper meets them: register (and follow the emailed link), log in and out,
sessions, the log-in and registration limits, and a guest basket that follows the shopper into
the account."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.functional.pages import (
    Shopper,
    catalogue_facts,
    confirmation_path,
    product_variants,
    register_and_confirm,
    registration_mails,
    set_cookie,
    wait_for_registration_mail,
    xsrf_field,
)
from tests.functional.test_basket import Shop, basket_count, basket_quantities
from tests.processes import Processes

PASSWORD = "correct horse battery"


@dataclass
class AccountShop(Shop):
    outbox: Path

    def shopper(self, address: str = "") -> Shopper:
        """A shopper at an address of its own (or the one given): the log-in limit counts per
        address, and tests must not lock each other out."""
        return Shopper(self.front.url, address or f"198.51.100.{secrets.randbelow(250) + 1}")


@pytest.fixture(scope="module")
def shop(database: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    tmp = tmp_path_factory.mktemp("accounts")
    outbox = tmp / "outbox"
    processes = Processes({**database, "VITRINE_OUTBOX_DIR": str(outbox)}, tmp)
    try:
        front = processes.start_front(
            processes.start_worker(), env={"VITRINE_TRUSTED_PROXIES": "127.0.0.1"}
        )
        yield AccountShop(front, catalogue_facts(database), outbox)
    finally:
        processes.stop_all()


def new_email() -> str:
    return f"shopper-{secrets.token_hex(4)}@example.com"


def form_token(shopper: Shopper, path: str) -> str:
    return xsrf_field(shopper.request(path))


def ask_to_register(
    shopper: Shopper, email: str, name: str = "Ada Lovelace", password: str = PASSWORD
):
    """The registration form's own answer."""
    token = form_token(shopper, "/account/register")
    return shopper.request(
        "/account/register", {"_xsrf": token, "email": email, "name": name, "password": password}
    )


def register(
    shop: AccountShop,
    shopper: Shopper,
    email: str,
    name: str = "Ada Lovelace",
    password: str = PASSWORD,
):
    """Register and follow the emailed link: the answer to the link's button."""
    return register_and_confirm(shopper, shop.outbox, email, name, password)


def log_in(shopper: Shopper, email: str, password: str = PASSWORD, next_path: str = ""):
    token = form_token(shopper, "/account/login")
    path = "/account/login" + (f"?next={next_path}" if next_path else "")
    return shopper.request(path, {"_xsrf": token, "email": email, "password": password})


def log_out(shopper: Shopper):
    token = form_token(shopper, "/account")
    return shopper.request("/account/logout", {"_xsrf": token})


def test_registering_mails_a_link_whose_button_logs_the_shopper_in(shop):
    shopper = shop.shopper()
    assert '<span class="site-tools__label">Log in</span></a>' in shopper.request("/").body
    email = new_email()
    asked = ask_to_register(shopper, email, name="Grace Hopper")
    assert asked.status == 303
    assert asked.headers["Location"] == "/account/register/sent"
    assert shopper.cookie("session") is None  # no account before the link is followed
    sent = shopper.request("/account/register/sent")
    assert "Check your email" in sent.body
    link = confirmation_path(wait_for_registration_mail(shop.outbox, email))
    page = shopper.request(link)  # what a mail scanner fetches: it makes nothing
    assert page.status == 200
    assert "Make my account" in page.body
    assert shopper.cookie("session") is None
    answer = shopper.request(link, {"_xsrf": xsrf_field(page)})
    assert answer.status == 303
    assert answer.headers["Location"] == "/account"
    cookie = set_cookie(answer, "session")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    again = shopper.request(link, {"_xsrf": xsrf_field(page)})  # the link works once
    assert again.status == 409
    assert "used or has expired" in again.body
    account = shopper.request("/account")
    assert account.status == 200
    assert "<dd>Grace Hopper</dd>" in account.body
    assert '<meta name="robots" content="noindex,nofollow">' in account.body
    home = shopper.request("/")
    assert re.search(
        r'account-link" href="/account"><svg.*?</svg><span class="site-tools__label">Grace Hopper<',
        home.body,
    )
    assert home.headers["Cache-Control"] == "private"


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("not-an-email", "Ada", PASSWORD, "email"),
        ("{email}", "", PASSWORD, "name"),
        ("{email}", "Ada", "short", "password"),
    ],
)
def test_a_bad_registration_shows_the_problem_beside_its_field_and_keeps_what_was_typed(
    shop, email, name, password, field
):
    shopper = shop.shopper()
    email = email.format(email=new_email())
    answer = ask_to_register(shopper, email, name=name, password=password)
    assert answer.status == 400
    assert f'id="register-{field}-error"' in answer.body
    assert 'aria-invalid="true"' in answer.body
    if field != "email":
        assert f'value="{email}"' in answer.body
    assert PASSWORD not in answer.body
    assert shopper.cookie("session") is None


def test_registering_a_taken_email_answers_as_a_new_one_and_mails_its_owner(shop):
    email = new_email()
    register(shop, shop.shopper(), email)
    taken = ask_to_register(shop.shopper(), email.upper(), name="Someone Else")
    new = ask_to_register(shop.shopper(), new_email(), name="Someone Else")
    assert (taken.status, taken.headers["Location"]) == (new.status, new.headers["Location"])
    assert (taken.status, taken.headers["Location"]) == (303, "/account/register/sent")
    assert taken.body == new.body
    warning = wait_for_registration_mail(shop.outbox, email, count=2)
    assert "It has one\nalready, so nothing was changed." in warning
    assert "/account/confirm/" not in warning
    assert len(registration_mails(shop.outbox, email)) == 2


def test_a_common_password_is_refused_with_a_message(shop):
    answer = ask_to_register(shop.shopper(), new_email(), password="qwertyuiop")
    assert answer.status == 400
    assert 'id="register-password-error"' in answer.body
    assert "one of the most common passwords" in answer.body


def test_registrations_from_one_address_are_limited_with_retry_after(shop):
    address = f"203.0.113.{secrets.randbelow(200) + 20}"
    for _ in range(5):
        assert ask_to_register(shop.shopper(address), new_email()).status == 303
    refused = ask_to_register(shop.shopper(address), new_email())
    assert refused.status == 429
    assert "Too many registrations. Try again in" in refused.body
    assert 3500 < int(refused.headers["Retry-After"]) <= 3600


def test_logging_in_starts_a_new_session_and_logging_out_ends_it(shop):
    email = new_email()
    first = shop.shopper()
    register(shop, first, email)
    old_session = first.cookie("session")
    assert first.request("/account/login").status == 302  # logged in already: to the account
    second = shop.shopper()
    answer = log_in(second, email, next_path="/basket")
    assert answer.status == 303
    assert answer.headers["Location"] == "/basket"
    assert second.cookie("session") not in (None, old_session)
    assert log_out(second).status == 303
    assert second.cookie("session") is None
    after = second.request("/account")
    assert after.status == 302
    assert after.headers["Location"] == "/account/login?next=/account"
    assert first.request("/account").status == 200  # the other session goes on


def test_a_stolen_cookie_is_useless_after_log_out(shop):
    shopper = shop.shopper()
    register(shop, shopper, new_email())
    stolen = shopper.cookie("session")
    assert shop.shopper().request("/account", headers={"Cookie": f"session={stolen}"}).status == 200
    log_out(shopper)
    page = shop.shopper().request("/account", headers={"Cookie": f"session={stolen}"})
    assert page.status == 302
    assert page.headers["Location"] == "/account/login?next=/account"


def test_a_wrong_password_is_refused_with_a_message(shop):
    email = new_email()
    register(shop, shop.shopper(), email)
    answer = log_in(shop.shopper(), email, password="wrong password!")
    assert answer.status == 401
    assert "Email or password is wrong." in answer.body
    assert f'value="{email}"' in answer.body
    unknown = log_in(shop.shopper(), new_email())
    assert unknown.status == 401
    assert "Email or password is wrong." in unknown.body


def test_five_failed_log_ins_for_one_account_lock_it_for_a_while(shop):
    email = new_email()
    register(shop, shop.shopper(), email)
    for _ in range(5):  # from five different addresses
        assert log_in(shop.shopper(), email, password="not the password").status == 401
    blocked = log_in(shop.shopper(), email)  # even with the right password
    assert blocked.status == 429
    assert "Too many failed log-ins. Try again in 15 minutes." in blocked.body
    assert 800 < int(blocked.headers["Retry-After"]) <= 900


def test_five_failed_log_ins_from_one_address_lock_that_address(shop):
    email = new_email()
    register(shop, shop.shopper(), email)
    address = "203.0.113.7"
    for _ in range(5):  # five different accounts
        assert log_in(shop.shopper(address), new_email()).status == 401
    assert log_in(shop.shopper(address), email).status == 429
    assert log_in(shop.shopper(), email).status == 303  # from elsewhere the account works


def roomy_option(shopper: Shopper, facts) -> str:
    """An option "In stock" (5 or more) on the product page, so adding 3 fits."""
    page = shopper.request(f"/p/{facts.product_id}/{facts.product_slug}")
    return str(next(variant[0] for variant in product_variants(page) if variant[3] >= 5))


def test_a_guest_basket_joins_the_account_basket_at_log_in(shop):
    email = new_email()
    owner = shop.shopper()
    register(shop, owner, email)
    variant = roomy_option(owner, shop.facts)
    owner.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    log_out(owner)
    assert basket_count(owner) == 0  # the account's basket left with the session

    guest = shop.shopper()
    guest.request("/basket/lines", {"variant_id": variant, "quantity": "2"})
    assert log_in(guest, email).status == 303
    assert basket_quantities(guest) == [3]  # 1 from the account, 2 from the guest basket
    assert basket_count(guest) == 3


def test_account_forms_refuse_posts_without_the_xsrf_token(shop):
    shopper = shop.shopper()
    shopper.request("/account/login")
    answer = shopper.request("/account/login", {"email": new_email(), "password": PASSWORD})
    assert answer.status == 403


def test_log_in_only_sends_the_shopper_back_into_this_site(shop):
    email = new_email()
    register(shop, shop.shopper(), email)
    answer = log_in(shop.shopper(), email, next_path="//evil.example/steal")
    assert answer.headers["Location"] == "/account"


@pytest.mark.parametrize(
    "next_path",
    [
        "/%09/evil.example",  # a browser drops the tab and lands on //evil.example
        "/%0A/evil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "https:evil.example",
        "/%EF%BC%8Fevil.example",  # fullwidth solidus
        "/%0B/evil.example",  # no Location header can carry these: they were a 500
        "/%0D%0ASet-Cookie:%20session=stolen",
    ],
)
def test_after_log_in_no_next_leaves_this_site_or_breaks_the_page(shop, next_path):
    email = new_email()
    register(shop, shop.shopper(), email)
    shopper = shop.shopper()
    assert shopper.request(f"/account/login?next={next_path}").status == 200
    answer = log_in(shopper, email, next_path=next_path)
    assert answer.status == 303
    assert answer.headers["Location"] == "/account"


def test_registering_sends_the_shopper_back_only_into_this_site(shop):
    shopper = shop.shopper()
    evil = "?next=/%09/evil.example"
    email = new_email()
    token = form_token(shopper, "/account/register" + evil)
    asked = shopper.request(
        "/account/register" + evil,
        {"_xsrf": token, "email": email, "name": "Ada", "password": PASSWORD},
    )
    assert asked.status == 303
    assert asked.headers["Location"] == "/account/register/sent"
    link = confirmation_path(wait_for_registration_mail(shop.outbox, email)) + evil
    page = shopper.request(link)
    assert "evil.example" not in page.body
    answer = shopper.request(link, {"_xsrf": xsrf_field(page)})
    assert answer.status == 303
    assert answer.headers["Location"] == "/account"


def cookies_set(*answers) -> list[str]:
    return [line for answer in answers for line in answer.headers.get_all("Set-Cookie") or []]


def test_every_cookie_the_site_sets_is_httponly_and_samesite_and_not_secure_over_http(shop):
    shopper = shop.shopper()
    answers = [shopper.request("/account/register")]  # the _xsrf cookie
    answers.append(register(shop, shopper, new_email()))  # the session
    variant = roomy_option(shopper, shop.facts)
    answers.append(shopper.request("/basket/lines", {"variant_id": variant}))  # the basket
    answers.append(log_out(shopper))  # both cleared
    lines = cookies_set(*answers)
    assert {line.split("=", 1)[0] for line in lines} >= {"_xsrf", "session", "basket"}
    for line in lines:
        assert "HttpOnly" in line, line
        assert "SameSite=Lax" in line, line
        assert "Secure" not in line, line  # a browser on http would drop it


def test_over_https_every_cookie_the_site_sets_is_secure_too(shop):
    """Behind a TLS proxy (nginx says X-Forwarded-Proto: https, and is trusted)."""
    shopper = shop.shopper()
    https = {"X-Forwarded-Proto": "https"}
    form = shopper.request("/account/login", headers=https)
    variant = roomy_option(shopper, shop.facts)
    origin = shop.front.url.replace("http://", "https://")
    added = shopper.request(
        "/basket/lines", {"variant_id": variant}, headers={**https, "Origin": origin}
    )
    assert added.status == 303
    lines = cookies_set(form, added)
    assert {line.split("=", 1)[0] for line in lines} == {"_xsrf", "basket"}
    for line in lines:
        assert "Secure" in line, line
        assert "HttpOnly" in line, line
        assert "SameSite=Lax" in line, line
