"""Renders the repository's nginx.conf for one deployment: its ${VITRINE_NGINX_*} placeholders
filled from settings, into a folder that also holds nginx's logs, temp files and cache."""

from __future__ import annotations

import dataclasses
import getpass
import os
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from vitrine.config import PROJECT_ROOT, Settings

NGINX_CONF_TEMPLATE = PROJECT_ROOT / "nginx.conf"
# nginx's own error pages (static HTML, written beside the rendered nginx.conf): one template,
# a title per status.
ERROR_PAGE_TEMPLATE = PROJECT_ROOT / "assets" / "errors" / "unavailable.html"
ERROR_PAGE_TITLES = {
    502: "The shop is restarting",
    503: "The shop is busy",
    504: "The shop is taking too long",
}
SUBDIRECTORIES = ("logs", "temp", "cache", "errors")
# A front that refused or failed a request is left out this long. Short, so that a front
# restarted in a rolling restart is back in the pool a second after it is ready.
FAIL_TIMEOUT_SECONDS = 1


# Only ${VITRINE_NGINX_NAME} is ours; nginx's own $variables pass through untouched.
_PLACEHOLDER = r"""
    \$(?:
      (?P<escaped>(?!))
    | (?P<named>(?!))
    | \{(?P<braced>VITRINE_NGINX_[A-Z0-9_]+)\}
    | (?P<invalid>(?!))
    )
"""


class _Placeholders(string.Template):
    # A string here: Template compiles it (re.VERBOSE) when the class is made.
    pattern = _PLACEHOLDER  # type: ignore[assignment]


@dataclass(frozen=True)
class NginxParams:
    """What varies between deployments of the one nginx.conf."""

    # host:port or port nginx listens on.
    listen: str = "127.0.0.1:8080"
    # The fronts' host:port, balanced in this order.
    fronts: Sequence[str] = ("127.0.0.1:8001", "127.0.0.1:8002")
    # host:port of the JSON API's public face (every worker shares it), proxied under /api/v1/.
    api: str = "127.0.0.1:8200"
    static_dir: Path = PROJECT_ROOT / "var" / "static"
    mime_types: Path = Path("/etc/nginx/mime.types")
    # The one-second page cache for anonymous GETs; off for comparing with and without it.
    microcache: bool = True
    # The worker processes' user when nginx starts as root; empty: the user who starts it.
    user: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> NginxParams:
        return cls(
            listen=settings.nginx_listen,
            fronts=tuple(_host_port(url) for url in settings.front_urls),
            api=_host_port(settings.api_public_http_url),
            static_dir=settings.static_dir,
            mime_types=settings.nginx_mime_types,
            microcache=settings.nginx_microcache,
            user=settings.nginx_user,
        )

    def replace(self, **changes: object) -> NginxParams:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def _host_port(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname or not parts.port:
        raise ValueError(f"{url!r} must name a host and a port")
    return f"{parts.hostname}:{parts.port}"


def render_nginx_conf(params: NginxParams, directory: Path) -> Path:
    """Write `directory`/nginx.conf for these params, with the folders it writes to; return
    its path. Start nginx with `-p directory -c <path> -e directory/logs/error.log`."""
    if not params.fronts:
        raise ValueError("nginx needs at least one front")
    directory = directory.resolve()
    for name in SUBDIRECTORIES:
        (directory / name).mkdir(parents=True, exist_ok=True)
    user = params.user or (getpass.getuser() if os.geteuid() == 0 else "")
    servers = "\n".join(
        f"        server {front} max_fails=1 fail_timeout={FAIL_TIMEOUT_SECONDS}s;"
        for front in params.fronts
    )
    values = {
        "VITRINE_NGINX_USER_DIRECTIVE": f"user {user};" if user else "",
        "VITRINE_NGINX_DIR": str(directory),
        "VITRINE_NGINX_LISTEN": params.listen,
        "VITRINE_NGINX_UPSTREAM_SERVERS": servers,
        "VITRINE_NGINX_API_SERVER": params.api,
        "VITRINE_NGINX_STATIC_DIR": str(Path(params.static_dir).resolve()),
        "VITRINE_NGINX_ERROR_PAGES_DIR": str(directory / "errors"),
        "VITRINE_NGINX_MIME_TYPES": str(params.mime_types),
        "VITRINE_NGINX_CACHE": "microcache" if params.microcache else "off",
    }
    page = string.Template(ERROR_PAGE_TEMPLATE.read_text())
    for status, title in ERROR_PAGE_TITLES.items():
        (directory / "errors" / f"{status}.html").write_text(page.substitute(title=title))
    text = _Placeholders(NGINX_CONF_TEMPLATE.read_text()).substitute(values)
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


def nginx_command(conf: Path, *, foreground: bool = True) -> list[str]:
    """The command that runs nginx on a rendered configuration."""
    error_log = conf.parent / "logs" / "error.log"
    command = ["nginx", "-p", str(conf.parent), "-c", str(conf), "-e", str(error_log)]
    return [*command, "-g", "daemon off;"] if foreground else command
