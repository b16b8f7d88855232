"""Sessions that last across reloads and tabs, and end when they should.

Signing in starts a session (`start`) and hands out a one-time grant; the browser trades the grant, once
and within GRANT_SECONDS, for a random token in an HttpOnly cookie (`redeem`, called by the app's cookie
route). Only SHA-256 hashes of the grant and the token are stored. Every run finds its session again
(`resume`, by the session's id or the cookie's token) and re-reads the account's role, club scope and
existence, so a removed, demoted, re-scoped or reset account loses access on its next run. A session
ends when it is signed out, after the idle timeout (only runs a person caused count: `touch`), at the
absolute limit, or when its password changes. Work prepared on a page and done later (a download, built
when its button is pressed) asks `recheck` first, which refuses unless the session is still live and its
account still may do it, for the same clubs.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.accounts import audit, scope
from core.accounts.roles import Account, PermissionDenied, require
from core.i18n import _
from core.platform.db import query_df, run
from core.platform.settings import Settings, load_settings

logger = logging.getLogger(__name__)

GRANT_SECONDS = 60        # a grant must be traded for the cookie within this long
TOKEN_BYTES = 32
ENDED_KEEP_DAYS = 30      # ended and expired sessions are kept this long (for the managers' list), then go
END_REASONS = ("sign_out", "sign_out_everywhere", "password_changed", "ended_by_manager", "role_changed")


@dataclass(frozen=True)
class Started:
    """A new session: its id (kept by the browser tab) and the grant its browser trades for the cookie."""

    session_id: int
    grant: str
    expires_at: datetime


def digest(secret: str) -> bytes:
    """The stored form of a token or grant."""
    return hashlib.sha256(secret.encode("ascii", "replace")).digest()


def _limits(settings: Settings | None) -> dict[str, float]:
    settings = settings or load_settings()
    return {"idle_seconds": settings.session_idle_hours * 3600, "max_seconds": settings.session_max_days * 86400}


def start(db: Engine | sa.Connection, account: Account, *, settings: Settings | None = None,
          address: str | None = None, user_agent: str | None = None) -> Started:
    """A new session for a signed-in account (recorded as a sign-in); returns its id and grant."""
    grant = secrets.token_urlsafe(TOKEN_BYTES)
    params = {"account_id": account.id, "grant_hash": digest(grant), "grant_seconds": GRANT_SECONDS,
              "address": address, "user_agent": (user_agent or "")[:400] or None,
              "max_seconds": _limits(settings)["max_seconds"]}

    def write(conn: sa.Connection) -> Started:
        row = run(conn, "accounts/session_start", **params).one()
        who = replace(account, session_id=int(row.id), address=address)
        audit.record(conn, who, "sign_in", object_type="session", object_id=row.id,
                     details={"user_agent": params["user_agent"] or ""})
        return Started(session_id=int(row.id), grant=grant, expires_at=row.expires_at)

    if isinstance(db, sa.Connection):
        return write(db)
    with db.begin() as conn:
        return write(conn)


def redeem(engine: Engine, grant: str) -> tuple[str, datetime] | None:
    """Trade a grant for the session's cookie token (once, within GRANT_SECONDS); None for a grant that
    is unknown, used, late, or whose session has ended. Returns (token, the session's expiry)."""
    if not isinstance(grant, str) or not 20 <= len(grant) <= 100:
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with engine.begin() as conn:
        row = run(conn, "accounts/session_redeem", grant_hash=digest(grant), token_hash=digest(token)).first()
    return None if row is None else (token, row.expires_at)


def resume(engine: Engine, *, session_id: int | None = None, token: str | None = None, touch: bool = True,
           address: str | None = None, settings: Settings | None = None) -> Account | None:
    """The account of a live session, read afresh (role, club scope), found by its id or its cookie token;
    None when the session ended, idled out or expired, or its account is gone. `touch` counts this as
    activity (a run a person caused); automatic refreshes pass touch=False so they never keep it alive."""
    if not isinstance(token, str):
        token = None
    if session_id is None and not token:
        return None
    params = {"session_id": None if session_id is None else int(session_id),
              "token_hash": digest(token) if token else None, **_limits(settings)}
    with engine.begin() as conn:
        row = run(conn, "accounts/session_account", **params).first()
        if row is None:
            return None
        if touch:
            run(conn, "accounts/session_touch", id=row.session_id, address=address)
    return Account.from_row(row, session_id=int(row.session_id), address=address)


def recheck(engine: Engine, *, session_id: int | None, permissions: Iterable[str] = ("view",),
            club_ids: Iterable[int] = (), address: str | None = None, settings: Settings | None = None) -> Account:
    """The account of a session as it is now, for work a page prepared earlier (a download is built when its
    button is pressed, outside the page's run): PermissionDenied, logged, when the session has ended, idled
    out or expired, its account is gone, it lost one of `permissions`, or its clubs no longer cover every
    one of `club_ids` (refused, never quietly narrowed). `address` is the client's, for the activity log."""
    account = None if session_id is None else resume(engine, session_id=session_id, address=address,
                                                     settings=settings)
    try:
        if account is None:
            raise PermissionDenied(_("your session has ended; sign in again"))
        for permission in permissions:
            require(account, permission)
        if not scope.allows_all(account, club_ids):
            raise PermissionDenied(_("'{name}' may no longer see every club this was prepared for; reload the "
                                     "page").format(name=account.username))
    except PermissionDenied as exc:
        logger.warning("refused session %s (account %s): %s", session_id,
                       account.username if account else "gone or signed out", exc)
        raise
    return account


def end(db: Engine | sa.Connection, session_id: int, *, reason: str) -> bool:
    """End one session (False when it had already ended)."""
    if reason not in END_REASONS:
        raise ValueError(f"reason must be one of {', '.join(END_REASONS)}")
    if isinstance(db, sa.Connection):
        return run(db, "accounts/session_end", id=int(session_id), reason=reason).rowcount > 0
    with db.begin() as conn:
        return run(conn, "accounts/session_end", id=int(session_id), reason=reason).rowcount > 0


def end_all(db: Engine | sa.Connection, account_id: int, *, reason: str) -> int:
    """End every live session of an account; returns how many."""
    if reason not in END_REASONS:
        raise ValueError(f"reason must be one of {', '.join(END_REASONS)}")
    if isinstance(db, sa.Connection):
        return run(db, "accounts/session_end_all", account_id=int(account_id), reason=reason).rowcount
    with db.begin() as conn:
        return run(conn, "accounts/session_end_all", account_id=int(account_id), reason=reason).rowcount


def sign_out(engine: Engine, account: Account) -> None:
    """End the account's current session (the Sign out button)."""
    if account.session_id is None:
        return
    with engine.begin() as conn:
        if end(conn, account.session_id, reason="sign_out"):
            audit.record(conn, account, "sign_out", object_type="session", object_id=account.session_id)


def sign_out_everywhere(engine: Engine, account: Account) -> int:
    """End every session of the account, this one included; returns how many."""
    with engine.begin() as conn:
        ended = end_all(conn, account.id, reason="sign_out_everywhere")
        audit.record(conn, account, "sign_out_everywhere", object_type="account", object_id=account.username,
                     details={"sessions": ended})
    return ended


def live_sessions(engine: Engine, *, viewer: Account, everyone: bool = False,
                  settings: Settings | None = None) -> pd.DataFrame:
    """Live sessions, newest activity first: the viewer's own, or (managers of the whole chain,
    `everyone`) every account's. `current` marks the viewer's session."""
    if everyone:
        require(viewer, "manage_accounts")
    frame = query_df(engine, "accounts/session_list", account_id=None if everyone else viewer.id,
                     **_limits(settings))
    frame["current"] = frame.session_id == (viewer.session_id or -1)
    return frame


def end_session(engine: Engine, *, viewer: Account, session_id: int) -> bool:
    """End one live session: one of the viewer's own, or anyone's for a manager of the whole chain."""
    with engine.begin() as conn:
        owner = run(conn, "accounts/session_owner", id=int(session_id)).first()
        if owner is None:
            return False
        if owner.account_id != viewer.id:
            require(viewer, "manage_accounts")
        mine = owner.account_id == viewer.id
        ended = end(conn, session_id, reason="sign_out" if mine else "ended_by_manager")
        if ended:
            audit.record(conn, viewer, "sign_out" if session_id == viewer.session_id else "session_end",
                         object_type="session", object_id=session_id, details={"account": owner.username})
    return ended


def count_live(engine: Engine, *, settings: Settings | None = None) -> int:
    """How many sessions are live now, across every app process (the `oyna_active_sessions` metric)."""
    with engine.connect() as conn:
        return int(run(conn, "accounts/session_count", **_limits(settings)).scalar_one())


def trim(engine: Engine, *, keep_days: int = ENDED_KEEP_DAYS, settings: Settings | None = None) -> int:
    """Delete sessions that ended or expired more than `keep_days` ago; returns how many."""
    with engine.begin() as conn:
        return run(conn, "accounts/session_trim", keep_days=int(keep_days), **_limits(settings)).rowcount


__all__ = ["END_REASONS", "GRANT_SECONDS", "PermissionDenied", "Started", "count_live", "digest", "end", "end_all",
           "end_session", "live_sessions", "recheck", "redeem", "resume", "sign_out", "sign_out_everywhere", "start",
           "trim"]
