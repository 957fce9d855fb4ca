"""The password policy, after NIST SP 800-63B (5.1.1.2): a length between a minimum and a
maximum, not one of the commonest passwords, not built on the account's own email address, and
no composition rules (no "one digit, one capital"), which make passwords harder to remember
without making them harder to guess.

The commonest passwords are zxcvbn's list (the 30,000 most frequent in leaked sets), shipped by
the `zxcvbn` package: a list kept by others, not one kept here.
"""

from __future__ import annotations

import functools

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128  # characters; bounds the hashing work a request can ask for
# A local part shorter than this ("jo@...") is too short to count as built upon.
MIN_LOCAL_PART = 3

COMMON = (
    "This is one of the most common passwords, so it is among the first to be guessed. "
    "Choose another."
)
REPEATED = "A password of one character repeated is easy to guess. Choose another."
HAS_EMAIL = "Your password contains your email address. Choose one that does not."


@functools.cache
def _common_passwords() -> frozenset[str]:
    # Imported when first needed: the list is megabytes a process that never registers
    # anyone does not have to hold.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: PLC0415

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, email: str) -> str:
    """What is wrong with `password` for the account of `email` (stored form); "" if nothing."""
    if "\x00" in password:
        return "Your password contains a character that is not allowed."
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters for your password."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters for your password."
    return _guessable(password.casefold(), email.partition("@")[0].casefold())


def _guessable(password: str, local_part: str) -> str:
    if password in _common_passwords():
        return COMMON
    if len(set(password)) == 1:
        return REPEATED
    if len(local_part) >= MIN_LOCAL_PART and local_part in password:
        return HAS_EMAIL
    return ""
