"""Sign-in throttling by username and by client address, the same for names that exist and names that
do not, so it never tells which accounts exist.

Every attempt is charged as a failure to two keys before its password is checked ('name:<sha-256 of
the name typed>' and 'address:<client address>'), and a success takes the charge back. From the
THROTTLE_AFTER-th failure of a name (ADDRESS_AFTER-th of an address, which many people behind one
office router or proxy share) on, a key refuses attempts for THROTTLE_BASE_SECONDS, doubling with every
further failure, up to THROTTLE_CAP_SECONDS. Failures are forgotten THROTTLE_MEMORY_SECONDS after the
last one, so an occasional wrong password never adds up to a lockout, and the real person is never
kept out longer than the cap. The state lives in `sign_in_throttle`, shared by every app process;
charging first makes parallel attempts count too.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Sequence

import sqlalchemy as sa

from core.accounts.roles import AuthError
from core.i18n import _, ngettext
from core.platform.db import run

logger = logging.getLogger(__name__)

THROTTLE_AFTER = 5                 # failures of a name (within the memory) before attempts are refused
ADDRESS_AFTER = 20                 # ... and of an address (one attacker trying many names)
THROTTLE_BASE_SECONDS = 2          # the first refusal; doubles with every further failure
THROTTLE_CAP_SECONDS = 5 * 60      # the longest refusal
THROTTLE_MEMORY_SECONDS = 60 * 60  # failures are forgotten this long after the last one

LOCAL = "local"  # the address key of a browser on the same machine (Streamlit gives no address for it)


class SignInThrottled(AuthError):
    """Too many failed sign-ins for this name or from this address; `seconds` until the next attempt."""

    def __init__(self, seconds: int):
        self.seconds = int(seconds)
        super().__init__(_("too many failed sign-ins: try again in {wait}").format(wait=wait_text(self.seconds)))


def wait_text(seconds: float) -> str:
    """'1 minute 5 seconds': an exact wait, for messages and the CLI."""
    minutes, secs = divmod(max(0, math.ceil(seconds)), 60)
    parts = []
    if minutes:
        parts.append(ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes))
    if secs or not minutes:
        parts.append(ngettext("{n} second", "{n} seconds", secs).format(n=secs))
    return " ".join(parts)


def name_key(typed: str | None) -> str:
    """The throttle key of a typed username: a hash of it (trimmed, lower case), never the name."""
    text = (typed or "").strip().lower()[:256]
    return "name:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def address_key(address: str | None) -> str:
    return "address:" + ((address or "").strip()[:64] or LOCAL)


def wait_seconds(conn: sa.Connection, keys: Sequence[str]) -> int | None:
    """Whole seconds until every key accepts an attempt; None when none is locked."""
    wait = run(conn, "accounts/throttle_wait", keys=list(keys)).scalar_one()
    return max(1, math.ceil(wait)) if wait and wait > 0 else None


def charge(conn: sa.Connection, keys: Sequence[str]) -> int | None:
    """Count this attempt as a failure for every key, before its password is checked.

    Returns None when the attempt may go ahead, or the seconds to wait when a key was locked (by
    a parallel attempt, between the check and this charge).
    """
    wait = wait_seconds(conn, keys)
    if wait is not None:
        return wait
    run(conn, "accounts/throttle_forget", keys=list(keys), memory_seconds=THROTTLE_MEMORY_SECONDS)
    charged = []
    for key in dict.fromkeys(keys):
        charged += run(conn, "accounts/throttle_charge", keys=[key], threshold=threshold(key),
                        base_seconds=THROTTLE_BASE_SECONDS, cap_seconds=THROTTLE_CAP_SECONDS).all()
    if len(charged) < len(set(keys)):
        return wait_seconds(conn, keys) or 1
    for row in charged:
        if row.failures >= threshold(row.key):
            logger.warning("sign-in throttle: %d failures for %s; refusing until %s", row.failures,
                           row.key.split(":", 1)[0], row.locked_until)
    return None


def threshold(key: str) -> int:
    """Failures a key may have before it refuses attempts."""
    return ADDRESS_AFTER if key.startswith("address:") else THROTTLE_AFTER


def refund(conn: sa.Connection, *, name: str, address: str) -> None:
    """A successful sign-in: the name's failures are forgotten, and the address's charge is taken back."""
    run(conn, "accounts/throttle_refund", name_key=name, address_key=address, threshold=ADDRESS_AFTER)


def clear(conn: sa.Connection, username: str) -> None:
    """Forget a name's failures (a manager's password reset)."""
    run(conn, "accounts/throttle_clear", key=name_key(username))
