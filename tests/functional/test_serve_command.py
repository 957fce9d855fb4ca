"""`vitrine serve`, as `make serve` starts it: nginx, two fronts, two API workers; Ctrl-C stops
them all."""

from __future__ import annotations

import json
import os
import signal
import time

from tests.functional.pages import fetch
from tests.functional.test_public_api import call
from tests.functional.test_run_command import (
    START_TIMEOUT_SECONDS,
    alive,
    children_of,
    front_page,
    running_in_group,
    wait_for_home,
)
from tests.processes import free_consecutive_ports, free_port


def test_serve_starts_nginx_two_fronts_and_two_workers_and_ctrl_c_stops_them(tmp_path):
    ports = [free_port() for _ in range(5)]
    nginx_url = f"http://127.0.0.1:{ports[0]}"
    fronts = [f"http://127.0.0.1:{port}" for port in ports[1:3]]
    env = {
        **os.environ,
        "VITRINE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/fresh.sqlite3",
        # Worker N binds the endpoint's port + N: none of those is one of the ports above.
        "VITRINE_API_ENDPOINT": f"tcp://127.0.0.1:{free_consecutive_ports(2, avoid=ports)}",
        "VITRINE_API_WORKERS": "1",  # serve starts two all the same
        "VITRINE_API_HTTP": f"http://127.0.0.1:{ports[3]}",
        "VITRINE_API_PUBLIC_HTTP": f"http://127.0.0.1:{ports[4]}",
        "VITRINE_FRONTS": ",".join(fronts),
        "VITRINE_NGINX_LISTEN": nginx_url.removeprefix("http://"),
        "VITRINE_NGINX_DIR": str(tmp_path / "nginx"),
        "VITRINE_STATIC_DIR": str(tmp_path / "static"),
        "VITRINE_DEMO_PRODUCTS": "150",
    }
    log_path = tmp_path / "serve.log"
    with running_in_group(["serve"], env, log_path) as serve:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        home = wait_for_home(nginx_url, serve, deadline)
        assert home is not None, log_path.read_text()
        assert "<h2" in home
        # Shoppers and crawlers reach the site through nginx: its links name nginx, not a front.
        assert f'<link rel="canonical" href="{nginx_url}/">' in home
        assert not [front for front in fronts if front in home]
        page = fetch(nginx_url + "/")
        assert page.headers["X-Cache-Status"] in {"MISS", "HIT", "EXPIRED"}
        for front in fronts:
            while fetch(front + "/readyz").status != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert json.loads(fetch(front + "/readyz").body)["status"] == "ready"
        # The JSON API's public face, through nginx: public methods only.
        assert call(nginx_url, "catalog/GetCategoryTree", {}).status == 200
        assert call(nginx_url, "operations/ListWorkers", {}).status == 404
        children = children_of(serve.pid)
        assert len(children) == 5  # two workers, two fronts, nginx
        os.killpg(serve.pid, signal.SIGINT)
        serve.wait(timeout=30)
    assert serve.returncode == 0
    assert not [pid for pid in children if alive(pid)]
    assert front_page(nginx_url) is None
    assert all(front_page(front) is None for front in fronts)
