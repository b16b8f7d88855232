"""Sign-in throttling: after a few failures in a row an account refuses attempts for a while.

The state lives in `app_accounts` (failed_attempts, locked_until), so every app process sees the
same throttle. The lock is 5 s after the third failure and doubles with each further one, up to
15 minutes; a success resets it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import sqlalchemy as sa

from core.accounts.roles import AuthError
from core.platform.db import load_sql

logger = logging.getLogger(__name__)

THROTTLE_AFTER = 3              # consecutive failures before attempts are refused
THROTTLE_BASE_SECONDS = 5       # first lock; doubles with every further failure
THROTTLE_CAP_SECONDS = 15 * 60  # longest lock


class SignInThrottled(AuthError):
    """Too many consecutive failed sign-ins; `seconds` until the next attempt is accepted."""

    def __init__(self, seconds: int):
        self.seconds = int(seconds)
        super().__init__(f"too many failed sign-ins for this account: try again in {wait_text(self.seconds)}")


def wait_text(seconds: float) -> str:
    """'1 minute 5 seconds': an exact wait, for messages and the CLI."""
    minutes, secs = divmod(max(0, math.ceil(seconds)), 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not minutes:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)


def wait_seconds(account_row: Any) -> int | None:
    """Whole seconds until a locked account accepts an attempt; None when it is not locked.

    `account_row` is a row of `accounts/for_sign_in` (it has `wait_seconds`).
    """
    return max(1, math.ceil(account_row.wait_seconds)) if account_row.wait_seconds > 0 else None


def count_failure(conn: sa.Connection, account_row: Any) -> None:
    """One more failure in a row for this account; locks it from the THROTTLE_AFTER-th on."""
    failed = conn.execute(sa.text(load_sql("accounts/sign_in_failed")), {
        "id": account_row.id, "threshold": THROTTLE_AFTER, "base_seconds": THROTTLE_BASE_SECONDS,
        "cap_seconds": THROTTLE_CAP_SECONDS}).one()
    if failed.failed_attempts >= THROTTLE_AFTER:
        logger.warning("account %s: %d failed sign-ins in a row; locked until %s",
                       account_row.username, failed.failed_attempts, failed.locked_until)
