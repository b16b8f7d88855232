"""What a signed-in manager may do with alert delivery: their channels and subscriptions, a test
message, and what was sent lately. The permission is checked here (`manage_alerts` to change,
`view_system` to see what happened), and lists are cut to the clubs the account may see.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import time

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, audit, require
from core.alerts import channels, messages, outbound, store
from core.alerts.channels import DeliveryError
from core.alerts.store import AlertSetupError
from core.i18n import _, current_locale
from core.platform.clubs import list_clubs, visible_club_ids
from core.platform.db import query_df
from core.platform.settings import Settings, load_settings

logger = logging.getLogger("oyna.alerts")

__all__ = ["AlertSetupError", "DeliveryError", "add_channel", "channels_of", "recent_deliveries",
           "recent_incidents", "remove_channel", "send_test", "subscribe", "subscriptions_of", "unsubscribe"]


def record_change(engine: Engine, account: Account, action: str, *, object_id: int, club_ids: Sequence[int] = (),
                  **details) -> None:
    """The activity log's row for a change to alert delivery (who, when, which channel or subscription): by
    a signed-in session in the app, or by `oyna alerts --account` (an account without a session)."""
    audit.record(engine, account, action, object_type="alerts", object_id=object_id, club_ids=club_ids,
                 details=details, via="app" if account.session_id is not None else "cli")


def shown_target(kind: str, target: str) -> str:
    """A destination as lists show it: a webhook's address carries its secret, so only its host is shown."""
    if kind == channels.WEBHOOK:
        try:
            address = outbound.parse(target)
        except ValueError:
            return "…"
        return f"{address.scheme}://{address.shown}/…"
    return target


def channels_of(engine: Engine, *, account: Account) -> pd.DataFrame:
    """The account's channels: id, name, kind, target (webhooks shortened), language, subscriptions."""
    require(account, "manage_alerts")
    frame = store.list_channels(engine, account.id)
    frame["target"] = [shown_target(k, t) for k, t in zip(frame.kind, frame.target)]
    return frame


def add_channel(engine: Engine, *, account: Account, name: str, kind: str, target: str, language: str,
                settings: Settings | None = None) -> int:
    """A new channel of the account (a webhook is checked against the settings' allowed hosts)."""
    require(account, "manage_alerts")
    allowed = (settings or load_settings()).webhook_allowed_hosts if kind == channels.WEBHOOK else ()
    new = store.add_channel(engine, account.id, name=name, kind=kind, target=target, language=language,
                            allowed_hosts=allowed)
    record_change(engine, account, "alert_channel_add", object_id=new, kind=kind, name=name)
    return new


def remove_channel(engine: Engine, *, account: Account, channel_id: int) -> bool:
    require(account, "manage_alerts")
    removed = store.remove_channel(engine, account.id, channel_id)
    if removed:
        record_change(engine, account, "alert_channel_remove", object_id=channel_id)
    return removed


def subscriptions_of(engine: Engine, *, account: Account) -> pd.DataFrame:
    """The account's subscriptions, with club and kind names in the current language."""
    require(account, "manage_alerts")
    frame = store.list_subscriptions(engine, account.id)
    names = _club_names(engine, account)
    frame["clubs"] = [None if ids is None else ", ".join(names.get(int(c), str(c)) for c in ids)
                      for ids in frame.club_ids]
    frame["kind_names"] = [None if kinds is None else ", ".join(messages.kind_name(k) for k in kinds)
                           for kinds in frame.kinds]
    frame["level"] = [messages.level_name(level) for level in frame.min_level]
    return frame


def subscribe(engine: Engine, *, account: Account, channel_id: int, club_ids: Sequence[int] | None = None,
              kinds: Sequence[str] | None = None, min_level: str = "critical", quiet_from: time | None = None,
              quiet_until: time | None = None, critical_breaks_quiet: bool = False) -> int:
    require(account, "manage_alerts")
    new = store.add_subscription(engine, account.id, channel_id=channel_id, club_ids=club_ids, kinds=kinds,
                                 min_level=min_level, quiet_from=quiet_from, quiet_until=quiet_until,
                                 critical_breaks_quiet=critical_breaks_quiet)
    record_change(engine, account, "alert_subscribe", object_id=new, club_ids=club_ids or (), channel=channel_id,
                  kinds=list(kinds or ()), level=min_level)
    return new


def unsubscribe(engine: Engine, *, account: Account, subscription_id: int) -> bool:
    require(account, "manage_alerts")
    removed = store.remove_subscription(engine, account.id, subscription_id)
    if removed:
        record_change(engine, account, "alert_unsubscribe", object_id=subscription_id)
    return removed


def send_test(engine: Engine, settings: Settings, *, account: Account, channel_id: int) -> None:
    """Send a test message to one of the account's channels now; DeliveryError says why it failed."""
    require(account, "manage_alerts")
    frame = store.list_channels(engine, account.id)
    chosen = frame[frame.id == int(channel_id)]
    if chosen.empty:
        raise AlertSetupError(_("That channel is not one of yours."))
    row = chosen.iloc[0]
    channels.send(settings, row.kind, row.target, messages.test_message(row.language, row["name"]))


def recent_incidents(engine: Engine, *, account: Account, limit: int = 50) -> pd.DataFrame:
    """Open incidents and those cleared in the last day, of the account's clubs, in the current language."""
    require(account, "view_system")
    frame = query_df(engine, "alerts/recent_incidents", club_ids=visible_club_ids(engine, viewer=account),
                     limit=int(limit))
    return _described(engine, frame, account)


def recent_deliveries(engine: Engine, *, account: Account, limit: int = 50) -> pd.DataFrame:
    """The latest messages about the account's clubs: when, where, what, and how it went."""
    require(account, "view_system")
    frame = query_df(engine, "alerts/recent_deliveries", club_ids=visible_club_ids(engine, viewer=account),
                     limit=int(limit))
    return _described(engine, frame, account)


def _described(engine: Engine, frame: pd.DataFrame, account: Account) -> pd.DataFrame:
    names = _club_names(engine, account)
    language = current_locale()
    frame["club"] = [names.get(int(c), str(c)) if pd.notna(c) else "" for c in frame.club_id]
    frame["title"] = [messages.words(t or {}, language)[0] for t in frame.texts]
    frame["level_name"] = [messages.level_name(level) for level in frame.level]
    return frame.drop(columns=["texts"])


def _club_names(engine: Engine, account: Account) -> dict[int, str]:
    clubs = list_clubs(engine, viewer=account)
    return {int(r.club_id): str(r.club_name) for r in clubs.itertuples()}
