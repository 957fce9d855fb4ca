"""Scenario 5 of `make bench`: anonymous category pages through nginx, with and without its
microcache.

nginx runs the repository's nginx.conf, rendered twice by ops/nginx.py for the measured front:
once as in production, once with `microcache=False` (the only difference), each in its own
scratch folder, pinned to the client's core like wrk.

Both sides ask with `Accept-Encoding: gzip`, as every browser does: the microcache then keeps
the gzip answer the front compressed (once, for a page it reuses) and a hit moves ~6 KB of a
37 KB page (docs/performance.md, "The microcache").
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stack import BROWSER_HEADERS, CLIENT_CORE, Process, Stack, free_port, wait_until_ready

from ops.nginx import NginxParams, nginx_command, render_nginx_conf

if TYPE_CHECKING:
    from run import Bench


def start_nginx(stack: Stack, front: Process, *, microcache: bool) -> Process:
    listen = f"127.0.0.1:{free_port()}"
    params = NginxParams(
        listen=listen,
        fronts=[front.url.removeprefix("http://")],
        static_dir=stack.tmp / "static",
        microcache=microcache,
    )
    conf = render_nginx_conf(params, Path(tempfile.mkdtemp(dir=stack.tmp, prefix="nginx-")))
    process = stack.start(nginx_command(conf), stack.core(CLIENT_CORE), {})
    process.url = f"http://{listen}"
    wait_until_ready(f"{process.url}/", process)
    return process


def measure_microcache(
    stack: Stack, bench: Bench, front: Process, paths: list[str], seconds: int
) -> dict[str, Any]:
    """Blocks "nginx, microcache" and "nginx, no microcache"; the front's CPU is what is read."""
    if shutil.which("nginx") is None:
        print("scenario 5 not measured: nginx is not installed (make bootstrap)", flush=True)
        return {"measured": False, "reason": "nginx is not installed"}
    cached = start_nginx(stack, front, microcache=True)
    uncached = start_nginx(stack, front, microcache=False)
    headers = BROWSER_HEADERS
    bench.warm(front, paths, url=cached.url, headers=headers)
    with_cache = bench.block(
        "nginx, microcache", front, paths, seconds, url=cached.url, headers=headers
    )
    without = bench.block(
        "nginx, no microcache", front, paths, seconds, url=uncached.url, headers=headers
    )
    return {
        "measured": True,
        "speedup": round(with_cache["rps"] / max(1.0, without["rps"]), 2),
    }
