"""Every setting Vitrine reads from the environment, in one place; the defaults run the demo."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"
# The most feed items the API answers per call (api/services/catalog.py, FEED_ITEMS_MAX).
FEED_PAGE_ITEMS_MAX = 2000
# The words and phrases that hold a review for moderation unless VITRINE_REVIEW_HOLD_WORDS_FILE
# names another list (docs/reviews.md).
DEFAULT_REVIEW_HOLD_WORDS_FILE = Path(__file__).resolve().parent / "review_hold_words.txt"


class ConfigError(ValueError):
    """A setting in the environment cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    # sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db
    database_url: str = f"sqlite+aiosqlite:///{VAR_DIR / 'vitrine.sqlite3'}"
    # PostgreSQL schema to work in (search_path); empty means the server's default.
    database_schema: str = ""
    # The first API worker's ZeroMQ endpoint; worker N of `vitrine api --workers` binds port + N.
    api_endpoint: str = "tcp://127.0.0.1:5555"
    api_workers: int = 2
    # Where fronts find the workers. Defaults to the endpoints `vitrine api` binds.
    api_endpoints: tuple[str, ...] = ()
    # Workers register their endpoints in the database with a heartbeat every this many
    # seconds, and fronts ask for them as often and connect to new ones (docs/operations.md).
    api_discovery: bool = False
    api_discovery_seconds: float = 2.0
    # The endpoint a worker registers, when the one it binds is not what others reach.
    api_advertise: str = ""
    # ZeroMQ CURVE between fronts and workers (docs/operations.md, "Network trust"): set, every
    # connection is encrypted and a worker serves only the fronts whose public keys it holds.
    # A worker's certificate with its secret key, and the folder of fronts' public keys it takes;
    curve_worker_secret: Path | None = None
    curve_allowed_fronts: Path | None = None
    # a front's certificate with its secret key, and the workers' public certificate.
    curve_front_secret: Path | None = None
    curve_worker_public: Path | None = None
    # Where `vitrine keys` writes them, and where the four above are looked for when unset.
    curve_keys_dir: Path = VAR_DIR / "keys"
    # The HTTP JSON API's internal listener, served by every worker on one shared port: every
    # method, trusted as sent (the fronts' HTTP transport, tools). Keep it on loopback or a
    # private network; never expose it (docs/api.md).
    api_http_url: str = "http://127.0.0.1:8100"
    # The JSON API's public face, on another port all workers share: only the methods marked
    # public, the caller's address taken from the connection. nginx proxies /api/v1/ to it.
    api_public_http_url: str = "http://127.0.0.1:8200"
    front_url: str = "http://127.0.0.1:8000"
    # The site's address as shoppers and crawlers see it (behind nginx, a CDN, HTTPS): canonical
    # links, Open Graph tags, robots.txt and sitemaps use it. Empty means front_url.
    public_url: str = ""
    # Most URLs in one child sitemap (the protocol's limit is 50,000); tests set a small one.
    sitemap_urls: int = 50_000
    # Products the feed asks the API for per call and flushes at once (the API allows 2000):
    # what a front holds of the feed at a time; tests set a small one to stream many pages.
    feed_page_items: int = 500
    # How fronts reach the API: "zmq" or "http" (the JSON API), for comparing the two.
    api_transport: str = "zmq"
    # A call's time budget when the caller names none.
    api_deadline_ms: int = 1000
    # Workers answer repeated catalogue reads from memory (see `cache_seconds` in the .proto).
    api_answer_cache: bool = True
    # Megabytes of pages a front keeps rendered, reused while the API's replies are byte for
    # byte the same (web/rendered_pages.py: about 4,000 product pages); 0 renders every page.
    rendered_pages_mb: int = 32
    # Benchmark and test knob: extra latency per method, {"shop.v1.Catalog/GetProduct": 200}.
    api_delays_ms: Mapping[str, int] = field(default_factory=dict)
    # Test knob: methods that always answer one status: {"shop.v1.Catalog/X": "UNAVAILABLE"}.
    api_faults: Mapping[str, str] = field(default_factory=dict)
    # Babel locale for money and dates; the demo catalogue is priced in EUR.
    locale: str = "en_IE"
    # Where webassets writes the built, hashed CSS and JS (served under /static/).
    static_dir: Path = VAR_DIR / "static"
    # Signs the session and basket cookies. Empty: a random one kept in var/cookie_secret, so
    # the demo needs no set-up; production sets one shared by all fronts.
    cookie_secret: str = ""
    # Addresses of the proxies (nginx) whose X-Real-IP header names the shopper's address; from
    # anyone else the header is ignored, so a client cannot pick its own address.
    trusted_proxies: tuple[str, ...] = ()
    # The card processor checkout charges through; "test" is the built-in test gateway
    # (api/payments.py), the only one so far.
    payment_gateway: str = "test"
    # Order emails go to this SMTP server (smtp://[user:password@]host[:port], STARTTLS when
    # offered, or smtps://...); when empty they are written as .eml files to outbox_dir.
    smtp_url: str = ""
    outbox_dir: Path = VAR_DIR / "outbox"
    mail_from: str = "Vitrine <orders@vitrine.example>"
    # Reviews holding any of these words or phrases (whole words, any case) wait for a moderator
    # instead of being published; so do reviews holding a link (docs/reviews.md).
    review_hold_words: tuple[str, ...] = field(
        default_factory=lambda: read_hold_words(DEFAULT_REVIEW_HOLD_WORDS_FILE)
    )
    demo_seed: int = 42
    demo_products: int = 2000
    debug: bool = False
    log_level: str = "INFO"
    # "json": one JSON object a line (production, log shippers); "text": for reading by eye.
    log_format: str = "json"
    # Each process's Prometheus /metrics port (0: none), on metrics_host; never the public port.
    # `vitrine serve` and `vitrine api` number their processes' ports up from this one.
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    # The production shape (`vitrine serve`, nginx.conf; docs/operations.md). The fronts nginx
    # balances over; `vitrine serve` starts one process on each.
    front_urls: tuple[str, ...] = ("http://127.0.0.1:8001", "http://127.0.0.1:8002")
    # Where nginx listens, and the folder its rendered nginx.conf, logs, temp files and cache
    # live in.
    nginx_listen: str = "127.0.0.1:8080"
    nginx_dir: Path = VAR_DIR / "nginx"
    nginx_mime_types: Path = Path("/etc/nginx/mime.types")
    nginx_microcache: bool = True
    # nginx's worker user when it is started as root; empty: the user who starts it.
    nginx_user: str = ""

    @property
    def curve_worker(self) -> bool:
        """This worker's socket is a CURVE server."""
        return self.curve_worker_secret is not None

    @property
    def curve_front(self) -> bool:
        """This front's sockets are CURVE clients."""
        return self.curve_front_secret is not None

    def __post_init__(self) -> None:
        if not self.api_endpoints:
            object.__setattr__(
                self, "api_endpoints", worker_endpoints(self.api_endpoint, self.api_workers)
            )

    @property
    def public_base(self) -> str:
        """The public URL without a trailing slash: "https://shop.example"."""
        return (self.public_url or self.front_url).rstrip("/")

    @property
    def api_http_port(self) -> int:
        return _port_of(self.api_http_url, "VITRINE_API_HTTP")

    @property
    def api_http_host(self) -> str:
        return urlsplit(self.api_http_url).hostname or "127.0.0.1"

    @property
    def api_public_http_port(self) -> int:
        return _port_of(self.api_public_http_url, "VITRINE_API_PUBLIC_HTTP")

    @property
    def api_public_http_host(self) -> str:
        return urlsplit(self.api_public_http_url).hostname or "127.0.0.1"

    @property
    def front_port(self) -> int:
        return _port_of(self.front_url, "VITRINE_FRONT")

    @property
    def front_host(self) -> str:
        return urlsplit(self.front_url).hostname or "127.0.0.1"


def worker_endpoints(first: str, workers: int) -> tuple[str, ...]:
    """The endpoints of `workers` workers numbered up from `first` (tcp://host:port)."""
    scheme, _, rest = first.partition("://")
    host, _, port = rest.rpartition(":")
    if scheme != "tcp" or not port.isdigit():
        return (first,)  # ipc:// and friends: one worker per explicit endpoint
    return tuple(f"tcp://{host}:{int(port) + n}" for n in range(workers))


def _port_of(url: str, name: str) -> int:
    port = urlsplit(url).port
    if port is None:
        raise ConfigError(f"{name}={url!r} must name a port")
    return port


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    return value


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} must be on or off")


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in choices:
        raise ConfigError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    """A comma-separated setting; empty items are dropped."""
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


def _faults(raw: str) -> dict[str, str]:
    faults: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        method, sep, status = item.partition("=")
        if not sep or "/" not in method or not status.strip().isupper():
            raise ConfigError(
                f"VITRINE_API_FAULTS item {item!r} is not like shop.v1.Search/Suggest=UNAVAILABLE"
            )
        faults[method.strip()] = status.strip()
    return faults


def _delays(raw: str) -> dict[str, int]:
    delays: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        method, sep, ms = item.partition("=")
        if not sep or not ms.strip().isdigit() or "/" not in method:
            raise ConfigError(
                f"VITRINE_API_DELAYS item {item!r} is not like shop.v1.Catalog/GetProduct=20"
            )
        delays[method.strip()] = int(ms)
    return delays


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment (os.environ by default); ConfigError names a bad value."""
    env = os.environ if env is None else env
    defaults = Settings()
    transport = env.get("VITRINE_API_TRANSPORT", defaults.api_transport)
    if transport not in {"zmq", "http"}:
        raise ConfigError(f"VITRINE_API_TRANSPORT={transport!r} must be 'zmq' or 'http'")
    workers = _int(env, "VITRINE_API_WORKERS", defaults.api_workers, minimum=1)
    endpoint = env.get("VITRINE_API_ENDPOINT", defaults.api_endpoint)
    endpoints = tuple(
        e.strip() for e in env.get("VITRINE_API_ENDPOINTS", "").split(",") if e.strip()
    )
    gateway = env.get("VITRINE_PAYMENT_GATEWAY", defaults.payment_gateway)
    if gateway != "test":
        raise ConfigError(f"VITRINE_PAYMENT_GATEWAY={gateway!r}: the only gateway is 'test'")
    smtp_url = env.get("VITRINE_SMTP_URL", "").strip()
    if smtp_url and urlsplit(smtp_url).scheme not in {"smtp", "smtps"}:
        raise ConfigError(f"VITRINE_SMTP_URL={smtp_url!r} must start with smtp:// or smtps://")
    public_url = env.get("VITRINE_PUBLIC_URL", "").strip()
    if public_url and (
        urlsplit(public_url).scheme not in {"http", "https"} or not urlsplit(public_url).netloc
    ):
        raise ConfigError(f"VITRINE_PUBLIC_URL={public_url!r} must be like https://shop.example")
    curve = _curve_files(env)
    return Settings(
        curve_worker_secret=curve["curve_worker_secret"],
        curve_allowed_fronts=curve["curve_allowed_fronts"],
        curve_front_secret=curve["curve_front_secret"],
        curve_worker_public=curve["curve_worker_public"],
        curve_keys_dir=Path(env.get("VITRINE_CURVE_KEYS", "").strip() or defaults.curve_keys_dir),
        database_url=env.get("VITRINE_DATABASE_URL", defaults.database_url),
        database_schema=env.get("VITRINE_DATABASE_SCHEMA", ""),
        api_endpoint=endpoint,
        api_workers=workers,
        api_endpoints=endpoints or worker_endpoints(endpoint, workers),
        api_http_url=env.get("VITRINE_API_HTTP", defaults.api_http_url),
        api_public_http_url=env.get("VITRINE_API_PUBLIC_HTTP", defaults.api_public_http_url),
        api_discovery=_flag(env, "VITRINE_API_DISCOVERY", default=defaults.api_discovery),
        api_discovery_seconds=_int(
            env,
            "VITRINE_API_DISCOVERY_MS",
            int(defaults.api_discovery_seconds * 1000),
            minimum=100,
        )
        / 1000,
        api_advertise=env.get("VITRINE_API_ADVERTISE", ""),
        front_url=env.get("VITRINE_FRONT", defaults.front_url),
        public_url=public_url,
        sitemap_urls=_sitemap_urls(env),
        feed_page_items=_feed_page_items(env),
        api_transport=transport,
        api_deadline_ms=_int(env, "VITRINE_API_DEADLINE_MS", defaults.api_deadline_ms, minimum=1),
        api_answer_cache=_flag(env, "VITRINE_API_ANSWER_CACHE", default=True),
        rendered_pages_mb=_int(env, "VITRINE_RENDERED_PAGES_MB", defaults.rendered_pages_mb),
        api_delays_ms=_delays(env.get("VITRINE_API_DELAYS", "")),
        api_faults=_faults(env.get("VITRINE_API_FAULTS", "")),
        locale=env.get("VITRINE_LOCALE", defaults.locale),
        cookie_secret=env.get("VITRINE_COOKIE_SECRET", ""),
        trusted_proxies=tuple(
            a.strip() for a in env.get("VITRINE_TRUSTED_PROXIES", "").split(",") if a.strip()
        ),
        static_dir=Path(env.get("VITRINE_STATIC_DIR", str(defaults.static_dir))),
        payment_gateway=gateway,
        smtp_url=smtp_url,
        outbox_dir=Path(env.get("VITRINE_OUTBOX_DIR", str(defaults.outbox_dir))),
        mail_from=env.get("VITRINE_MAIL_FROM", defaults.mail_from),
        review_hold_words=_review_hold_words(env),
        demo_seed=_int(env, "VITRINE_DEMO_SEED", defaults.demo_seed),
        demo_products=_int(env, "VITRINE_DEMO_PRODUCTS", defaults.demo_products, minimum=1),
        debug=_flag(env, "VITRINE_DEBUG", default=False),
        log_level=env.get("VITRINE_LOG_LEVEL", defaults.log_level).upper(),
        log_format=_choice(env, "VITRINE_LOG_FORMAT", ("json", "text"), defaults.log_format),
        metrics_port=_int(env, "VITRINE_METRICS_PORT", defaults.metrics_port),
        metrics_host=env.get("VITRINE_METRICS_HOST", defaults.metrics_host),
        front_urls=_list(env, "VITRINE_FRONTS") or defaults.front_urls,
        nginx_listen=env.get("VITRINE_NGINX_LISTEN", defaults.nginx_listen),
        nginx_dir=Path(env.get("VITRINE_NGINX_DIR", str(defaults.nginx_dir))),
        nginx_mime_types=Path(env.get("VITRINE_NGINX_MIME_TYPES", str(defaults.nginx_mime_types))),
        nginx_microcache=_flag(env, "VITRINE_NGINX_MICROCACHE", default=True),
        nginx_user=env.get("VITRINE_NGINX_USER", ""),
    )


def cookie_secret(settings: Settings, var_dir: Path = VAR_DIR) -> str:
    """The configured secret, or the demo's own, made once under var/ and shared by every front
    on this host. It is written whole to a temporary file and linked into place, so two fronts
    starting together agree on one and never read a half-written file; only its owner may read
    it (whoever reads it can sign a session cookie)."""
    if settings.cookie_secret:
        return settings.cookie_secret
    path = var_dir / "cookie_secret"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        draft = var_dir / f".cookie_secret.{secrets.token_hex(4)}"
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    elif path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
        path.chmod(0o600)  # made readable to all by an earlier version
    return path.read_text().strip()


def read_hold_words(path: Path) -> tuple[str, ...]:
    """A hold-words file: a word or phrase a line, lower-cased; blank lines and # comments
    skipped."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word = " ".join(line.partition("#")[0].split()).lower()
        if word:
            words.append(word)
    return tuple(dict.fromkeys(words))


def _review_hold_words(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("VITRINE_REVIEW_HOLD_WORDS_FILE", "").strip()
    path = Path(raw) if raw else DEFAULT_REVIEW_HOLD_WORDS_FILE
    try:
        return read_hold_words(path)
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"VITRINE_REVIEW_HOLD_WORDS_FILE={raw!r} cannot be read: {error}"
        ) from None


def _feed_page_items(env: Mapping[str, str]) -> int:
    value = _int(env, "VITRINE_FEED_PAGE_ITEMS", Settings.feed_page_items, minimum=1)
    if value > FEED_PAGE_ITEMS_MAX:
        raise ConfigError(
            f"VITRINE_FEED_PAGE_ITEMS={value}: the API answers at most {FEED_PAGE_ITEMS_MAX}"
        )
    return value


def _sitemap_urls(env: Mapping[str, str]) -> int:
    value = _int(env, "VITRINE_SITEMAP_URLS", Settings.sitemap_urls, minimum=1)
    if value > Settings.sitemap_urls:
        raise ConfigError(f"VITRINE_SITEMAP_URLS={value}: the sitemap protocol allows 50000")
    return value


# What `vitrine keys --dir DIR` writes, and where VITRINE_CURVE_KEYS=DIR looks by default.
CURVE_FILES = {
    "curve_worker_secret": ("VITRINE_CURVE_WORKER_SECRET", "worker.key_secret"),
    "curve_allowed_fronts": ("VITRINE_CURVE_ALLOWED_FRONTS", "allowed_fronts"),
    "curve_front_secret": ("VITRINE_CURVE_FRONT_SECRET", "front.key_secret"),
    "curve_worker_public": ("VITRINE_CURVE_WORKER_PUBLIC", "worker.key"),
}
# A worker needs both of its pair, a front both of its; either side alone is fine (one host
# may run only workers).
CURVE_PAIRS = (
    ("curve_worker_secret", "curve_allowed_fronts"),
    ("curve_front_secret", "curve_worker_public"),
)


def _curve_files(env: Mapping[str, str]) -> dict[str, Path | None]:
    """The CURVE key files and folder: each its own setting, or all under VITRINE_CURVE_KEYS as
    `vitrine keys` lays them out. A file named but missing, or half a pair, is a ConfigError."""
    keys_dir = env.get("VITRINE_CURVE_KEYS", "").strip()
    files: dict[str, Path | None] = {}
    for field_name, (name, default) in CURVE_FILES.items():
        raw = env.get(name, "").strip()
        if raw and not Path(raw).exists():
            raise ConfigError(f"{name}={raw!r} does not exist (make keys with `vitrine keys`)")
        # Under VITRINE_CURVE_KEYS a host holds only its side's files (a front's host has no
        # worker secret): what is missing there is simply not used.
        in_dir = Path(keys_dir) / default if keys_dir else None
        files[field_name] = Path(raw) if raw else (in_dir if in_dir and in_dir.exists() else None)
    for first, second in CURVE_PAIRS:
        if (files[first] is None) != (files[second] is None):
            raise ConfigError(
                f"{CURVE_FILES[first][0]} and {CURVE_FILES[second][0]} go together: set both"
                + (f" (or both files in VITRINE_CURVE_KEYS={keys_dir!r})" if keys_dir else "")
            )
    if keys_dir and all(path is None for path in files.values()):
        # Never a silent plain socket when keys were asked for.
        raise ConfigError(f"VITRINE_CURVE_KEYS={keys_dir!r} holds no keys (`vitrine keys --dir`)")
    return files
