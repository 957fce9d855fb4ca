"""`vitrine keys`: the CURVE certificates fronts and workers use to reach each other
(docs/operations.md, "Network trust"): a key pair for the workers, one per front, and the
folder of front public keys the workers let in. Secrets are written 0600 from the first byte."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import zmq.auth

from vitrine.config import CURVE_FILES

WORKER = "worker"
FRONT = "front"
ALLOWED_FRONTS = CURVE_FILES["curve_allowed_fronts"][1]
SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
FOLDER_MODE = 0o700
# A front's key is a file name in two folders: nothing that could leave them.
FRONT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class KeysExist(FileExistsError):
    """Keys are never overwritten: fronts and workers in service hold the old ones."""


def make_keys(directory: Path, front: str = "") -> list[Path]:
    """The whole set in `directory` (worker.key[_secret], front.key[_secret], and
    allowed_fronts/front.key); or, with `front`, one more front's pair, let in by the workers
    that read this allowed_fronts folder. Returns the files written."""
    if front and not FRONT_NAME.fullmatch(front):
        raise ValueError(f"--front {front!r}: a name of letters, digits, - and _ (front-2)")
    names = [front] if front else [WORKER, FRONT]
    targets = [
        directory / f"{name}{suffix}" for name in names for suffix in (".key", ".key_secret")
    ]
    targets += [directory / ALLOWED_FRONTS / f"{front or FRONT}.key"]
    existing = [path for path in targets if path.exists()]
    if existing:
        raise KeysExist(f"{existing[0]} exists; keys are never overwritten")
    directory.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    (directory / ALLOWED_FRONTS).mkdir(mode=FOLDER_MODE, exist_ok=True)
    written: list[Path] = []
    previous = os.umask(0o077)  # the secret file is never readable by others, not even briefly
    try:
        for name in names:
            public, secret = (Path(p) for p in zmq.auth.create_certificates(directory, name))
            public.chmod(PUBLIC_MODE)
            secret.chmod(SECRET_MODE)
            written += [public, secret]
    finally:
        os.umask(previous)
    allowed = directory / ALLOWED_FRONTS / f"{front or FRONT}.key"
    shutil.copyfile(directory / f"{front or FRONT}.key", allowed)
    allowed.chmod(PUBLIC_MODE)
    return [*written, allowed]
