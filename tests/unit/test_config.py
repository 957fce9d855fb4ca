"""Settings come from the environment, with defaults that run the demo."""

from __future__ import annotations

import re

import pytest

from contract import envelope_pb2
from contract.errors import ERRORS_BY_STATUS
from ops.nginx import NginxParams, render_nginx_conf
from vitrine.config import ConfigError, Settings, cookie_secret, load_settings
from web.server import DRAIN_QUIET_SECONDS


def test_defaults_run_the_demo_on_loopback():
    settings = load_settings({})
    assert settings.api_endpoints == ("tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556")
    assert settings.api_http_url == "http://127.0.0.1:8100"
    assert settings.front_url == "http://127.0.0.1:8000"
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("/var/vitrine.sqlite3")
    assert settings.api_transport == "zmq"


def test_worker_endpoints_follow_the_first_one_and_the_worker_count():
    settings = load_settings(
        {"VITRINE_API_ENDPOINT": "tcp://10.0.0.5:7000", "VITRINE_API_WORKERS": "3"}
    )
    assert settings.api_endpoints == (
        "tcp://10.0.0.5:7000",
        "tcp://10.0.0.5:7001",
        "tcp://10.0.0.5:7002",
    )
    explicit = load_settings({"VITRINE_API_ENDPOINTS": "tcp://a:1, tcp://b:2"})
    assert explicit.api_endpoints == ("tcp://a:1", "tcp://b:2")


def test_delays_are_parsed_per_method():
    settings = load_settings(
        {"VITRINE_API_DELAYS": "shop.v1.Catalog/GetProduct=20, shop.v1.Search/Suggest=5"}
    )
    assert settings.api_delays_ms == {"shop.v1.Catalog/GetProduct": 20, "shop.v1.Search/Suggest": 5}


def test_rendered_pages_keep_32_mb_by_default_and_0_turns_their_reuse_off():
    assert load_settings({}).rendered_pages_mb == 32
    assert load_settings({"VITRINE_RENDERED_PAGES_MB": "0"}).rendered_pages_mb == 0


def test_the_feed_reads_500_products_a_call_unless_told():
    assert load_settings({}).feed_page_items == 500
    assert load_settings({"VITRINE_FEED_PAGE_ITEMS": "2000"}).feed_page_items == 2000


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"VITRINE_API_TRANSPORT": "grpc"}, "must be 'zmq' or 'http'"),
        ({"VITRINE_API_WORKERS": "two"}, "is not a whole number"),
        ({"VITRINE_API_WORKERS": "0"}, "must be at least 1"),
        ({"VITRINE_API_DELAYS": "GetProduct=fast"}, "is not like shop.v1.Catalog/GetProduct=20"),
        ({"VITRINE_RENDERED_PAGES_MB": "many"}, "VITRINE_RENDERED_PAGES_MB='many' is not a"),
        ({"VITRINE_RENDERED_PAGES_MB": "-1"}, "VITRINE_RENDERED_PAGES_MB='-1' must be at least"),
        ({"VITRINE_FEED_PAGE_ITEMS": "0"}, "VITRINE_FEED_PAGE_ITEMS='0' must be at least 1"),
        ({"VITRINE_FEED_PAGE_ITEMS": "2001"}, "the API answers at most 2000"),
    ],
)
def test_a_bad_setting_is_named_in_the_error(env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_every_error_status_has_one_domain_exception():
    statuses = set(envelope_pb2.Status.values()) - {
        envelope_pb2.STATUS_UNSPECIFIED,
        envelope_pb2.OK,
    }
    assert set(ERRORS_BY_STATUS) == statuses


def test_the_nginx_settings_fill_the_rendered_configuration(tmp_path):
    settings = load_settings(
        {
            "VITRINE_NGINX_LISTEN": "0.0.0.0:80",
            "VITRINE_FRONTS": "http://10.0.0.7:8001, 10.0.0.8:8001",
            "VITRINE_STATIC_DIR": "/srv/vitrine/static",
            "VITRINE_NGINX_MICROCACHE": "off",
            "VITRINE_NGINX_USER": "www-data",
        }
    )
    conf = render_nginx_conf(NginxParams.from_settings(settings), tmp_path).read_text()
    assert "listen 0.0.0.0:80;" in conf
    assert "server 10.0.0.7:8001 " in conf
    assert "server 10.0.0.8:8001 " in conf
    assert "alias /srv/vitrine/static/;" in conf
    assert "proxy_cache off;" in conf
    assert "user www-data;" in conf
    assert "$remote_addr" in conf  # nginx's own variables are left alone


def test_a_front_without_a_port_is_refused(tmp_path):
    settings = load_settings({"VITRINE_FRONTS": "http://front-a"})
    with pytest.raises(ValueError, match="front-a"):
        render_nginx_conf(NginxParams.from_settings(settings), tmp_path)


def test_curve_keys_come_from_one_folder_or_one_setting_each(tmp_path):
    for name in ("worker.key", "worker.key_secret", "front.key_secret"):
        (tmp_path / name).write_text("")
    (tmp_path / "allowed_fronts").mkdir()
    settings = load_settings({"VITRINE_CURVE_KEYS": str(tmp_path)})
    assert settings.curve_worker_secret == tmp_path / "worker.key_secret"
    assert settings.curve_allowed_fronts == tmp_path / "allowed_fronts"
    assert settings.curve_front_secret == tmp_path / "front.key_secret"
    assert settings.curve_worker_public == tmp_path / "worker.key"
    assert not load_settings({}).curve_worker
    assert not load_settings({}).curve_front


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"VITRINE_CURVE_WORKER_SECRET": "{tmp}/worker.key_secret"},
            "VITRINE_CURVE_WORKER_SECRET and VITRINE_CURVE_ALLOWED_FRONTS go together",
        ),
        ({"VITRINE_CURVE_FRONT_SECRET": "{tmp}/missing"}, "does not exist"),
        ({"VITRINE_CURVE_KEYS": "{tmp}/empty"}, "holds no keys"),
    ],
)
def test_half_a_curve_pair_or_a_missing_key_file_is_refused(tmp_path, env, message):
    (tmp_path / "worker.key_secret").write_text("")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=message):
        load_settings({name: value.format(tmp=tmp_path) for name, value in env.items()})


def test_nginx_drops_an_idle_connection_to_a_front_before_a_stopping_front_closes_it(tmp_path):
    """Else a POST sent down a connection the front is closing would be nginx's 502."""
    conf = render_nginx_conf(NginxParams(), tmp_path).read_text()
    upstream = conf[conf.index("upstream vitrine_fronts") :]
    upstream = upstream[: upstream.index("}")]
    keepalive = re.search(r"keepalive_timeout (\d+)s;", upstream)
    assert keepalive is not None
    assert int(keepalive.group(1)) < DRAIN_QUIET_SECONDS


def test_the_demos_cookie_secret_is_readable_by_its_owner_only(tmp_path):
    secret = cookie_secret(Settings(cookie_secret=""), tmp_path)
    path = tmp_path / "cookie_secret"
    assert path.stat().st_mode & 0o777 == 0o600
    assert cookie_secret(Settings(cookie_secret=""), tmp_path) == secret
    assert list(tmp_path.iterdir()) == [path]


def test_a_cookie_secret_left_readable_to_all_is_made_private(tmp_path):
    path = tmp_path / "cookie_secret"
    path.write_text("an older front's secret\n")
    path.chmod(0o644)
    assert cookie_secret(Settings(cookie_secret=""), tmp_path) == "an older front's secret"
    assert path.stat().st_mode & 0o777 == 0o600
