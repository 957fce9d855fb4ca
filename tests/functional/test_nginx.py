"""The repository's nginx.conf, run by real nginx on a random port in front of real fronts."""

from __future__ import annotations

import gzip
import re
import subprocess
import time
from pathlib import Path

import pytest

from ops.nginx import NginxParams, nginx_command, render_nginx_conf
from tests.functional.pages import Shopper, product_variants
from tests.functional.raw_http import fetch
from tests.processes import Process, Processes, free_port

IMMUTABLE = "public, max-age=31536000, immutable"
FORGED_ADDRESS = "203.0.113.66"


@pytest.fixture
def shop(workers: Processes) -> tuple[Process, Process]:
    """nginx in front of one front that trusts nginx's address (127.0.0.1) as its proxy."""
    worker = workers.start_worker()
    front = workers.start_front(worker, env={"VITRINE_TRUSTED_PROXIES": "127.0.0.1"})
    return workers.start_nginx(front), front


def test_the_configuration_passes_nginx_t_with_and_without_the_microcache(tmp_path: Path):
    for microcache in (True, False):
        params = NginxParams(listen=f"127.0.0.1:{free_port()}", microcache=microcache)
        conf = render_nginx_conf(params, tmp_path / str(microcache))
        assert not re.search(r"\$\{VITRINE_NGINX_[A-Z0-9_]+\}", conf.read_text())
        checked = subprocess.run(
            [*nginx_command(conf, foreground=False), "-t"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stderr
        assert "test is successful" in checked.stderr


def test_hashed_assets_are_served_by_nginx_for_a_year_and_gzipped(shop):
    nginx, _front = shop
    page = fetch(nginx.url, "/")
    css = re.search(r'href="(/static/site\.[0-9a-f]+\.css)"', page.body.decode())
    assert css is not None
    asset = fetch(nginx.url, css.group(1), headers={"Accept-Encoding": "gzip"})
    assert asset.status == 200
    assert asset.header("Cache-Control") == IMMUTABLE
    assert asset.header("Content-Encoding") == "gzip"
    assert asset.header("X-Content-Type-Options") == "nosniff"
    assert fetch(nginx.url, "/static/site.0000.css").status == 404


def test_pages_are_gzipped_and_carry_the_security_headers(shop):
    nginx, _front = shop
    page = fetch(nginx.url, "/", headers={"Accept-Encoding": "gzip"})
    assert page.status == 200
    assert page.header("Content-Encoding") == "gzip"
    csp = page.header("Content-Security-Policy")
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.header("X-Content-Type-Options") == "nosniff"
    assert page.header("Referrer-Policy") == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("first", ["gzip", "plain"])
def test_the_microcache_keeps_a_pages_gzip_and_plain_variants_apart(shop, first):
    """The front compresses a page for a client that accepts gzip, and says it varies with
    Accept-Encoding: nginx keeps both answers, each given only to a client of its kind."""
    nginx, _front = shop
    # A page of its own per order, so that the other order's cached answers are not here.
    path = "/" if first == "gzip" else "/help/delivery"
    asks = {"gzip": {"Accept-Encoding": "gzip, deflate, br"}, "plain": {}}
    order = [first, "plain" if first == "gzip" else "gzip"] * 4
    answers = [(kind, fetch(nginx.url, path, headers=asks[kind])) for kind in order]
    plain = {a.body for kind, a in answers if kind == "plain"}
    assert len(plain) == 1
    for kind, answer in answers:
        assert answer.status == 200
        if kind == "gzip":
            assert answer.header("Content-Encoding") == "gzip"
            assert gzip.decompress(answer.body) in plain
        else:
            assert answer.header("Content-Encoding") == ""
            assert answer.body.startswith(b"<!doctype html>")
    for kind in asks:
        statuses = [a.header("X-Cache-Status") for k, a in answers if k == kind]
        assert statuses[0] in {"MISS", "EXPIRED"}, kind
        assert "HIT" in statuses[1:], kind


def test_a_cached_pages_variants_each_revalidate_with_their_own_etag(shop):
    nginx, _front = shop
    for headers in ({"Accept-Encoding": "gzip"}, {}):
        page = fetch(nginx.url, "/", headers=headers)
        again = fetch(nginx.url, "/", headers={**headers, "If-None-Match": page.header("ETag")})
        assert again.status == 304
    etags = {
        fetch(nginx.url, "/", headers=h).header("ETag") for h in ({"Accept-Encoding": "gzip"}, {})
    }
    assert len(etags) == 2


def test_nginx_still_compresses_what_the_front_sends_plain(shop):
    """Sitemaps, feeds and JSON leave the front plain (it compresses only its pages)."""
    nginx, _front = shop
    for _ in range(2):  # a miss, then the microcache's copy
        packed = fetch(nginx.url, "/sitemaps/products-1.xml", headers={"Accept-Encoding": "gzip"})
        plain = fetch(nginx.url, "/sitemaps/products-1.xml")
        assert packed.header("Content-Encoding") == "gzip"
        assert plain.header("Content-Encoding") == ""
        assert gzip.decompress(packed.body) == plain.body


def test_anonymous_pages_come_from_the_microcache_and_session_pages_never_do(shop):
    nginx, _front = shop
    statuses = [fetch(nginx.url, "/").header("X-Cache-Status") for _ in range(5)]
    assert statuses[0] in {"MISS", "EXPIRED"}
    assert "HIT" in statuses[1:]
    for cookie in ("session=someone", "basket=abc", "_xsrf=2|00|11|22"):
        answers = [fetch(nginx.url, "/", headers={"Cookie": cookie}) for _ in range(2)]
        assert [a.header("X-Cache-Status") for a in answers] == ["BYPASS", "BYPASS"]


def test_anonymous_product_pages_are_microcached_and_a_shopper_with_a_basket_bypasses(shop):
    """The add-to-basket form carries no token, so an anonymous product page is one page for
    everyone; a shopper with a basket gets their own (their badge), never a cached one."""
    nginx, _front = shop
    home = fetch(nginx.url, "/").body.decode()
    product = re.search(r'href="(/p/\d+/[a-z0-9-]+)"', home)
    assert product is not None
    answers = [fetch(nginx.url, product.group(1)) for _ in range(5)]
    assert [a.status for a in answers] == [200] * 5
    assert all(a.header("Set-Cookie") == "" for a in answers)
    statuses = [a.header("X-Cache-Status") for a in answers]
    assert statuses[0] in {"MISS", "EXPIRED"}
    assert "HIT" in statuses[1:]

    shopper = Shopper(nginx.url)
    page = shopper.request(product.group(1))
    variant = str(next(v[0] for v in product_variants(page) if v[3]))
    added = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    assert added.status == 303
    for _ in range(2):
        own = shopper.request(product.group(1))
        assert own.headers["X-Cache-Status"] == "BYPASS"
        assert re.search(r"data-basket-count>1<", own.body)


def test_a_page_that_sets_a_cookie_is_not_cached(shop):
    nginx, _front = shop
    # The log-in form carries a token, so it sets the _xsrf cookie.
    answers = [fetch(nginx.url, "/account/login") for _ in range(3)]
    assert all("_xsrf=" in a.header("Set-Cookie") for a in answers)
    assert "HIT" not in [a.header("X-Cache-Status") for a in answers]


def test_a_form_through_nginx_is_from_the_address_the_browser_used(shop):
    """The browser's Origin names nginx's address and port; the front sees the Host the browser
    sent, so add-to-basket takes the form as this site's."""
    nginx, _front = shop
    shopper = Shopper(nginx.url)
    home = shopper.request("/").body
    page = shopper.request(re.search(r'href="(/p/\d+/[a-z0-9-]+)"', home).group(1))
    variant = str(next(v[0] for v in product_variants(page) if v[3]))
    added = shopper.request("/basket/lines", {"variant_id": variant, "quantity": "1"})
    assert added.status == 303
    assert re.search(r"data-basket-count>1<", shopper.request("/").body)
    # Another port, or another name for the same address, is another origin.
    elsewhere = {"Origin": nginx.url.replace("127.0.0.1", "localhost")}
    refused = shopper.request("/basket/lines", {"variant_id": variant}, elsewhere)
    assert refused.status == 403


def test_the_microcache_can_be_switched_off(workers: Processes):
    front = workers.start_front(workers.start_worker())
    nginx = workers.start_nginx(front, microcache=False)
    answers = [fetch(nginx.url, "/") for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 200]
    assert [a.header("X-Cache-Status") for a in answers] == ["", "", ""]


def test_a_body_over_one_megabyte_is_refused_with_413(shop):
    nginx, _front = shop
    answer = fetch(
        nginx.url,
        "/basket/lines",
        method="POST",
        body=b"x" * (1024 * 1024 + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 413


def test_a_forged_forwarded_for_does_not_become_the_client_address(shop):
    nginx, front = shop
    # Straight to the front (which trusts 127.0.0.1 as a proxy) the header would be believed...
    direct = fetch(front.url, "/search?q=direct", headers={"X-Real-IP": "203.0.113.77"})
    assert direct.status == 200
    # ...but nginx replaces what the client claims with the address it really came from.
    forged = {"X-Forwarded-For": FORGED_ADDRESS, "X-Real-IP": FORGED_ADDRESS}
    assert fetch(nginx.url, "/search?q=forged", headers=forged).status == 200
    lines = _log_lines_for(front, "/search?q=")
    assert any("client=203.0.113.77" in line and "q=direct" in line for line in lines)
    forged_line = next(line for line in lines if "q=forged" in line)
    assert "client=127.0.0.1" in forged_line
    assert FORGED_ADDRESS not in front.log


def test_operator_endpoints_are_not_reachable_through_nginx(shop):
    nginx, _front = shop
    for path in ("/metrics", "/readyz", "/healthz"):
        assert fetch(nginx.url, path).status == 404


def test_with_no_front_up_nginx_answers_its_own_error_page(workers: Processes):
    dead = Process("front", f"http://127.0.0.1:{free_port()}", None, Path())  # type: ignore[arg-type]
    nginx = workers.start_nginx(dead)
    answer = fetch(nginx.url, "/")
    assert answer.status == 502
    assert b"The shop is restarting" in answer.body
    assert answer.header("Content-Security-Policy")


def _log_lines_for(front: Process, marker: str) -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [line for line in front.log.splitlines() if marker in line and "request" in line]
        if len(lines) >= 2:
            return lines
        time.sleep(0.05)
    return lines


def test_an_orders_access_token_is_in_neither_access_log(shop):
    """The token in a guest's order link opens the order (name, address), a registration link's
    makes its account: whoever reads the logs sees the order's number and the paths, not the
    tokens."""
    nginx, front = shop
    fetch(nginx.url, "/orders/A1B2C3/SecretOrderToken123")
    fetch(nginx.url, "/search?q=shirt&token=SecretQueryToken456")
    fetch(nginx.url, "/account/confirm/SecretConfirmToken789")
    access_log = nginx.log_path.parent / "access.log"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        # Each log on its own: the front's JSON line names the path twice (message and path),
        # so a count over both logs could end the wait before nginx wrote its line.
        logs = (access_log.read_text(), front.log)
        if all("/orders/A1B2C3/" in log and "/account/confirm/" in log for log in logs):
            break
        time.sleep(0.05)
    for log in (access_log.read_text(), front.log):
        assert "/orders/A1B2C3/[redacted]" in log
        assert "/search?" in log
        assert "SecretOrderToken123" not in log
        assert "SecretQueryToken456" not in log
        assert "/account/confirm/[redacted]" in log
        assert "SecretConfirmToken789" not in log
