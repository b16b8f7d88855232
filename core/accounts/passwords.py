"""Passwords: scrypt hashes, checking them, the rules for a new password, and generated passwords.

Hashes use scrypt from the standard library at OWASP's recommended cost (N=2^17, r=8, p=1: 128 MiB
and about half a second a hash) and are stored as a self-describing string,
`scrypt$131072$8$1$<salt b64>$<hash b64>`; older, cheaper hashes are upgraded at the next sign-in.
A password is never stored, logged or put into an exception message.

At most HASH_SLOTS hashes run at once in a process (`hashing()`), so a flood of sign-ins cannot
exhaust memory; a sign-in that waits longer than HASH_WAIT_SECONDS for a slot is turned away.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from core.i18n import _
from core.accounts.roles import AuthError

logger = logging.getLogger(__name__)

SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
_SCRYPT_MAXMEM = 256 * 1024 * 1024  # 128 * r * n is 128 MiB at the defaults; OpenSSL needs a little more

HASH_SLOTS = 2             # hashes at once per process (each takes 128 MiB)
HASH_WAIT_SECONDS = 15.0   # longest wait for a slot before a sign-in is turned away
_slots = threading.BoundedSemaphore(HASH_SLOTS)


class HashingBusy(AuthError):
    """Every hashing slot stayed taken for HASH_WAIT_SECONDS (a flood of sign-ins)."""


@contextmanager
def hashing(wait: float = HASH_WAIT_SECONDS) -> Iterator[None]:
    """Hold one of the process's HASH_SLOTS while hashing; HashingBusy when none frees up in time."""
    if not _slots.acquire(timeout=wait):
        raise HashingBusy(_("the server is busy checking other sign-ins; try again in a few seconds"))
    try:
        yield
    finally:
        _slots.release()

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MIN_DISTINCT_CHARACTERS = 4

PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l/1, o/0: easy to read out and type

# A few passwords long enough to pass the length rule that nobody should use.
_COMMON_PASSWORDS = frozenset({
    "password12", "password123", "password1234", "password12345", "passw0rd123", "qwertyuiop",
    "qwerty1234", "qwerty12345", "qwerty123456", "1234567890", "0987654321", "12345678910",
    "1q2w3e4r5t", "1qaz2wsx3edc", "iloveyou12", "letmein123", "welcome123", "changeme123",
    "administrator", "admin12345", "manager123", "analyst123", "oyna123456", "oynainsights",
    "asdfghjkl1", "zxcvbnm123", "abcdefghij", "abc1234567", "qazwsxedcrfv",
})


def _encode(password: str) -> bytes:
    return unicodedata.normalize("NFKC", password).encode("utf-8", "surrogatepass")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """A salted scrypt hash: `scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`."""
    salt = secrets.token_bytes(SALT_BYTES)
    with hashing():
        key = hashlib.scrypt(_encode(password), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                             maxmem=_SCRYPT_MAXMEM, dklen=KEY_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    scheme, n, r, p, salt, key = stored.split("$")
    n_, r_, p_ = int(n), int(r), int(p)
    if (scheme != "scrypt" or n_ < 2 or n_ & (n_ - 1) or n_ > 2**20 or not 1 <= r_ <= 32
            or not 1 <= p_ <= 16 or 128 * r_ * n_ * p_ > _SCRYPT_MAXMEM):
        raise ValueError("unsupported scrypt parameters")
    salt_b, key_b = base64.b64decode(salt, validate=True), base64.b64decode(key, validate=True)
    if len(salt_b) < 8 or len(key_b) < 16:
        raise ValueError("salt or key too short")
    return n_, r_, p_, salt_b, key_b


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a stored hash (False for a malformed hash)."""
    try:
        n, r, p, salt, key = _parse_hash(stored)
    except (ValueError, TypeError, AttributeError):
        logger.error("a stored password hash is malformed; that account cannot sign in")
        return False
    with hashing():
        candidate = hashlib.scrypt(_encode(password), salt=salt, n=n, r=r, p=p,
                                   maxmem=_SCRYPT_MAXMEM, dklen=len(key))
    return hmac.compare_digest(candidate, key)


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash uses other parameters than today's (it is upgraded at the next sign-in)."""
    try:
        n, r, p, salt, key = _parse_hash(stored)
    except (ValueError, TypeError, AttributeError):
        return True
    return (n, r, p, len(salt), len(key)) != (SCRYPT_N, SCRYPT_R, SCRYPT_P, SALT_BYTES, KEY_BYTES)


def dummy_hash() -> str:
    """A hash at today's parameters to check against when the username is unknown, so that costs the
    same time as a known one."""
    return _dummy_hash(SCRYPT_N, SCRYPT_R, SCRYPT_P)


@cache
def _dummy_hash(n: int, r: int, p: int) -> str:
    return hash_password(secrets.token_urlsafe(24))


def validate_password(password: Any, *, username: str | None = None) -> None:
    """Raise AuthError when a new password is obviously bad. Messages never quote the password."""
    if not isinstance(password, str):
        raise AuthError(_("the password must be text"))
    text = unicodedata.normalize("NFKC", password)
    if len(text) < MIN_PASSWORD_LENGTH:
        raise AuthError(_("the password is too short: use at least {count} characters").format(
            count=MIN_PASSWORD_LENGTH))
    if len(text) > MAX_PASSWORD_LENGTH:
        raise AuthError(_("the password is too long: at most {count} characters").format(count=MAX_PASSWORD_LENGTH))
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise AuthError(_("the password contains control characters (a line break or a tab?)"))
    if len(set(text)) < MIN_DISTINCT_CHARACTERS:
        raise AuthError(_("the password needs at least {count} different characters").format(
            count=MIN_DISTINCT_CHARACTERS))
    folded = text.casefold()
    if username is not None and folded == username.casefold():
        raise AuthError(_("the password must not be the username"))
    if folded in _COMMON_PASSWORDS:
        raise AuthError(_("that password is too common; choose another"))


def generate_password() -> str:
    """A random, readable password such as 'k7mq-x3vp-9tfa-hw2r' (19 characters, 80 bits)."""
    while True:
        password = "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))
        try:
            validate_password(password)
        except AuthError:
            continue
        return password
