"""Scenario 5 of `make bench`: anonymous category pages through nginx, with and without its
microcache.

The production configuration is the repository's nginx.conf, rendered for a given set of fronts
by a `render_nginx_conf(...)` function (written with nginx.conf, issue #6). This module looks
for that function in RENDERERS; while nginx.conf or the function is missing, the scenario is
recorded as "not measured" and the rest of the run goes on. The function is called with the
keyword arguments it accepts among: `listen` ("127.0.0.1:<port>"), `fronts` (front URLs),
`prefix` (a scratch directory for the cache, logs and pid file), `static_dir`, and
`microcache` (False renders the same configuration without the microcache). If it takes no
`microcache`, "without" is measured with a session cookie, which nginx must not cache.
"""

from __future__ import annotations

import importlib
import inspect
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stack import CLIENT_CORE, ROOT, Process, Stack, free_port, wait_until_ready

if TYPE_CHECKING:
    from run import Bench

# Where render_nginx_conf may live once issue #6 lands, in order.
RENDERERS = ("web.nginx", "web.deploy", "web.cli")
SESSION_COOKIE = {"Cookie": "session=bench-no-cache"}


def find_renderer() -> Callable[..., str] | str:
    """The render function, or why there is none."""
    if not (ROOT / "nginx.conf").exists():
        return "nginx.conf missing"
    if shutil.which("nginx") is None:
        return "nginx is not installed"
    for module_name in RENDERERS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        render = getattr(module, "render_nginx_conf", None)
        if callable(render):
            return render  # type: ignore[no-any-return]
    return f"no render_nginx_conf in {', '.join(RENDERERS)}"


def start_nginx(
    stack: Stack, render: Callable[..., str], front: Process, *, microcache: bool
) -> Process:
    prefix = Path(tempfile.mkdtemp(dir=stack.tmp, prefix="nginx-"))
    (prefix / "logs").mkdir()
    listen = f"127.0.0.1:{free_port()}"
    offered = {
        "listen": listen,
        "fronts": [front.url],
        "prefix": str(prefix),
        "static_dir": str(stack.tmp / "static"),
        "microcache": microcache,
    }
    accepted = inspect.signature(render).parameters
    conf = prefix / "nginx.conf"
    conf.write_text(render(**{k: v for k, v in offered.items() if k in accepted}))
    argv = ["nginx", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "logs" / "error.log")]
    if "daemon" not in conf.read_text():
        argv += ["-g", "daemon off;"]
    process = stack.start(argv, stack.core(CLIENT_CORE), {})
    process.url = f"http://{listen}"
    wait_until_ready(f"{process.url}/", process)
    return process


def measure_microcache(
    stack: Stack, bench: Bench, front: Process, paths: list[str], seconds: int
) -> dict[str, Any]:
    """Blocks "nginx, microcache" and "nginx, no microcache"; the front's CPU is what is read."""
    render = find_renderer()
    if isinstance(render, str):
        print(f"scenario 5 not measured: {render}", flush=True)
        return {"measured": False, "reason": render}
    accepts_switch = "microcache" in inspect.signature(render).parameters
    cached = start_nginx(stack, render, front, microcache=True)
    uncached = start_nginx(stack, render, front, microcache=False) if accepts_switch else cached
    headers = None if accepts_switch else SESSION_COOKIE
    bench.warm(front, paths, url=cached.url)
    with_cache = bench.block("nginx, microcache", front, paths, seconds, url=cached.url)
    without = bench.block(
        "nginx, no microcache", front, paths, seconds, url=uncached.url, headers=headers
    )
    return {
        "measured": True,
        "without_microcache_by": "microcache=False" if accepts_switch else "a session cookie",
        "speedup": round(with_cache["rps"] / max(1.0, without["rps"]), 2),
    }
