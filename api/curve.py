"""ZeroMQ CURVE on the worker's side: its own secret key, and the ZAP handler (pyzmq's
zmq.auth) that lets in only the fronts whose public keys are in the allowed folder, logging
every other key it refuses (docs/operations.md, "Network trust")."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import zmq
import zmq.asyncio
import zmq.auth
from zmq.auth.asyncio import AsyncioAuthenticator

from vitrine.config import ConfigError, Settings

log = logging.getLogger("vitrine.api")

# ZAP's domain for every connection to a worker (libzmq asks the handler with it).
ZAP_DOMAIN = "*"


def worker_secret_key(settings: Settings) -> bytes | None:
    """The worker's CURVE secret key from its certificate, or None without CURVE."""
    if settings.curve_worker_secret is None:
        return None
    _public, secret = _load(settings.curve_worker_secret)
    if secret is None:
        raise ConfigError(
            f"VITRINE_CURVE_WORKER_SECRET={str(settings.curve_worker_secret)!r} holds no secret "
            "key: name the .key_secret file"
        )
    return secret


class AllowedFronts:
    """zmq.auth's credentials provider: a front may connect when its public key is one of the
    certificates in the folder (read at start; restart workers one at a time after a change)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        try:
            self.keys = set(zmq.auth.load_certificates(folder))
        except (OSError, ValueError) as error:
            raise ConfigError(f"VITRINE_CURVE_ALLOWED_FRONTS={str(folder)!r}: {error}") from None
        if not self.keys:
            log.warning("no front's public key in %s: every front will be refused", folder)

    def callback(self, _domain: str, client_key: bytes) -> bool:
        if client_key in self.keys:
            return True
        log.warning(
            "refused a peer: CURVE key %s is not among the allowed fronts (%s)",
            client_key.decode("ascii", "replace"),
            self.folder,
        )
        return False


def start_authenticator(context: zmq.asyncio.Context, settings: Settings) -> Callable[[], None]:
    """With CURVE, start the context's ZAP handler; it must run before the socket binds, or
    libzmq would take every CURVE client without asking. Returns what stops it."""
    if settings.curve_allowed_fronts is None:
        log.info("CURVE off: this worker's ZeroMQ socket is plain (loopback or a trusted net)")
        return lambda: None
    allowed = AllowedFronts(settings.curve_allowed_fronts)
    authenticator = AsyncioAuthenticator(context, log=logging.getLogger("vitrine.api.zap"))
    authenticator.start()
    authenticator.configure_curve_callback(ZAP_DOMAIN, credentials_provider=allowed)
    log.info("CURVE on: %d allowed front keys in %s", len(allowed.keys), allowed.folder)
    return authenticator.stop


def _load(path: Path) -> tuple[bytes, bytes | None]:
    try:
        return zmq.auth.load_certificate(path)
    except (OSError, ValueError) as error:
        raise ConfigError(f"cannot read the CURVE certificate {path}: {error}") from None
