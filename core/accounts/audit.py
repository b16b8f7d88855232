"""The activity log: who did what, when, from which address, on which object (`activity_log`, partitioned
by month), the record of every file people download (`export`), and the Activity page's search and its
export.

    from core.accounts import audit
    audit.record(engine, account, "export", object_type="customers", club_ids=ids,
                 details={"rows": 120, "filter": {...}})

`record` takes the signed-in Account (its id, name, role, session and address are kept) or None with
`via="cli"` / `via="system"` for the oyna command and the app's own work. Pass an open connection
instead of the engine to write in the caller's transaction (the record then stands or falls with
the action). A club-scoped manager sees only rows whose clubs all lie in their scope, plus their own.
"""

from __future__ import annotations

import getpass
import json
import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.accounts.roles import Account, require
from core.i18n import N_
from core.platform import exports
from core.platform.db import load_sql, query_df

logger = logging.getLogger(__name__)

# What the log records (Activity page filter); other features add theirs with record(...).
ACTIONS: dict[str, str] = {
    "sign_in": N_("signed in"),
    "sign_in_failed": N_("failed to sign in"),
    "sign_out": N_("signed out"),
    "sign_out_everywhere": N_("signed out everywhere"),
    "session_end": N_("ended a session"),
    "password_change": N_("changed their password"),
    "language_change": N_("changed their interface language"),
    "password_reset": N_("set a new password for an account"),
    "account_add": N_("added an account"),
    "account_remove": N_("removed an account"),
    "account_role": N_("changed an account's role"),
    "account_scope": N_("changed an account's clubs"),
    "export": N_("exported a file"),
    "customer_view": N_("opened a customer with contacts"),
    "retrain": N_("retrained the models"),
    "model_activate": N_("activated a model version"),
    "scenario_save": N_("saved a scenario"),
    "scenario_delete": N_("deleted a scenario"),
    "import": N_("imported data"),
    "campaign_create": N_("created a campaign"),
    "campaign_close": N_("closed a campaign"),
    "alert_channel_add": N_("added an alert channel"),
    "alert_channel_remove": N_("removed an alert channel"),
    "alert_subscribe": N_("subscribed a channel to alerts"),
    "alert_unsubscribe": N_("removed an alert subscription"),
    "backup": N_("backed up the database"),
    "restore": N_("restored the database"),
}
VIA = ("app", "cli", "system")
MAX_ROWS = 5000


def _json(details: Mapping[str, Any] | None) -> str:
    return json.dumps(dict(details or {}), ensure_ascii=False, default=str, allow_nan=False)


def record(db: Engine | sa.Connection, actor: Account | None, action: str, *, object_type: str | None = None,
           object_id: Any = None, club_ids: Sequence[int] = (), details: Mapping[str, Any] | None = None,
           address: str | None = None, via: str = "app", username: str | None = None,
           once_within: float | None = None) -> None:
    """Write one row of the activity log. `username` names the subject when there is no account (a
    failed sign-in for a known name, a CLI change); the actor's address wins over `address`.
    `once_within` seconds: skip it when this session logged the same action on the same object lately."""
    if via not in VIA:
        raise ValueError(f"via must be one of {', '.join(VIA)}")
    extra = dict(details or {})
    if via == "cli":
        extra.setdefault("os_user", _os_user())
    params = {
        "account_id": actor.id if actor else None,
        "username": actor.username if actor else username,
        "role": actor.role.value if actor else None,
        "via": via,
        "session_id": actor.session_id if actor else None,
        "address": (actor.address if actor and actor.address else address),
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "club_ids": sorted({int(c) for c in club_ids}),
        "details": _json(extra),
    }
    if once_within is not None:
        params["within_seconds"] = float(once_within)
    statement = sa.text(load_sql("accounts/activity_insert" if once_within is None else "accounts/activity_insert_once"))
    if isinstance(db, sa.Connection):
        db.execute(statement, params)
    else:
        with db.begin() as conn:
            conn.execute(statement, params)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in this environment
        return "unknown"


def export(engine: Engine, viewer: Account, frame: pd.DataFrame, *, what: str, fmt: str = "csv",
           club_ids: Sequence[int] = (), filters: Mapping[str, Any] | None = None,
           labels: Mapping[str, str] | None = None, money: Collection[str] = ()) -> bytes:
    """`frame` (as the viewer may see it: masked by the caller) as a CSV or XLSX file
    (`core.platform.exports.render`: neutralised, in the reader's language), recorded in the activity log
    as who exported how many rows of what, in which format, with which filter; `labels` renames columns in
    the header (the page's names in the reader's language), `money` gets a thousands format in XLSX."""
    data = exports.render(frame, fmt, labels=labels, money=money, sheet=what)
    record(engine, viewer, "export", object_type=what, club_ids=club_ids,
           details={"rows": int(len(frame)), "format": fmt, "filter": dict(filters or {})})
    return data


# ---------------------------------------------------------------- the Activity page


def day_bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """The instants that start `start` and end `end` (both included) in a time zone."""
    zone = ZoneInfo(timezone)
    return (datetime.combine(start, time(), zone), datetime.combine(end + timedelta(days=1), time(), zone))


def search(engine: Engine, *, viewer: Account, start: date, end: date, timezone: str = "UTC",
           actions: Sequence[str] = (), who: str | None = None, text: str | None = None,
           limit: int = MAX_ROWS) -> pd.DataFrame:
    """Activity between two days (both included, in `timezone`), newest first: optionally only some
    actions, a person (part of the username) and a text found in the object, the address or the details.
    Managers only; a club-scoped manager sees rows of their clubs and their own."""
    require(viewer, "view_activity")
    if end < start:
        raise ValueError("the first day must not be after the last")
    if not 1 <= limit <= MAX_ROWS:
        raise ValueError(f"limit must be between 1 and {MAX_ROWS:,}")
    since, until = day_bounds(start, end, timezone)
    return query_df(engine, "accounts/activity_search", since=since, until=until, actions=list(actions),
                    who=(who or "").strip().lower() or None, text=(text or "").strip() or None,
                    whole_chain=viewer.whole_chain, viewer_id=viewer.id, club_ids=list(viewer.club_ids or ()),
                    limit=limit)


def search_export(engine: Engine, *, viewer: Account, start: date, end: date, timezone: str = "UTC",
                  actions: Sequence[str] = (), who: str | None = None, text: str | None = None, fmt: str = "csv",
                  labels: Mapping[str, str] | None = None) -> bytes:
    """The Activity page's export: the same search, its times on the clock of `timezone`, recorded as an
    export."""
    frame = search(engine, viewer=viewer, start=start, end=end, timezone=timezone, actions=actions, who=who,
                   text=text)
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(timezone)
    return export(engine, viewer, frame, what="activity", fmt=fmt, labels=labels, filters={
        "start": start, "end": end, "actions": list(actions), "who": who or "", "text": text or ""})


def trim(engine: Engine, *, retention_days: int, today: date | None = None) -> int:
    """Drop the months of the activity log that ended more than `retention_days` ago; returns how many."""
    before = (today or date.today()) - timedelta(days=int(retention_days))
    with engine.begin() as conn:
        return int(conn.execute(sa.text(load_sql("accounts/activity_trim")), {"before": before}).scalar_one())
