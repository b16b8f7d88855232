"""What a signed-in manager may do with alert delivery: their channels and subscriptions, a test
message, and what was sent lately. The permission is checked here (`manage_alerts` to change,
`view_system` to see what happened), and lists are cut to the clubs the account may see.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import time
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, require
from core.alerts import channels, messages, store
from core.alerts.channels import DeliveryError
from core.alerts.store import AlertSetupError, account_club_ids
from core.i18n import _, current_locale
from core.platform.clubs import list_clubs
from core.platform.db import query_df
from core.platform.settings import Settings

logger = logging.getLogger("oyna.alerts")

__all__ = ["AlertSetupError", "DeliveryError", "add_channel", "channels_of", "recent_deliveries",
           "recent_incidents", "remove_channel", "send_test", "subscribe", "subscriptions_of", "unsubscribe"]


def record_change(account: Account, action: str, **details) -> None:
    """Where the audit trail records who changed alert delivery (wired when the audit hook exists)."""
    logger.info("alerts: %s by %s %s", action, account.username, details)


def shown_target(kind: str, target: str) -> str:
    """A destination as lists show it: a webhook's address carries its secret, so only its host is shown."""
    if kind == channels.WEBHOOK:
        parts = urlsplit(target)
        return f"{parts.scheme}://{parts.netloc}/…"
    return target


def channels_of(engine: Engine, *, account: Account) -> pd.DataFrame:
    """The account's channels: id, name, kind, target (webhooks shortened), language, subscriptions."""
    require(account, "manage_alerts")
    frame = store.list_channels(engine, account.id)
    frame["target"] = [shown_target(k, t) for k, t in zip(frame.kind, frame.target)]
    return frame


def add_channel(engine: Engine, *, account: Account, name: str, kind: str, target: str, language: str) -> int:
    require(account, "manage_alerts")
    new = store.add_channel(engine, account.id, name=name, kind=kind, target=target, language=language)
    record_change(account, "channel added", channel=new, kind=kind, name=name)
    return new


def remove_channel(engine: Engine, *, account: Account, channel_id: int) -> bool:
    require(account, "manage_alerts")
    removed = store.remove_channel(engine, account.id, channel_id)
    if removed:
        record_change(account, "channel removed", channel=channel_id)
    return removed


def subscriptions_of(engine: Engine, *, account: Account) -> pd.DataFrame:
    """The account's subscriptions, with club and kind names in the current language."""
    require(account, "manage_alerts")
    frame = store.list_subscriptions(engine, account.id)
    names = _club_names(engine)
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
    record_change(account, "subscribed", subscription=new, channel=channel_id, clubs=club_ids, kinds=kinds,
                  level=min_level)
    return new


def unsubscribe(engine: Engine, *, account: Account, subscription_id: int) -> bool:
    require(account, "manage_alerts")
    removed = store.remove_subscription(engine, account.id, subscription_id)
    if removed:
        record_change(account, "unsubscribed", subscription=subscription_id)
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
    frame = query_df(engine, "alerts/recent_incidents", club_ids=account_club_ids(engine, account.id),
                     limit=int(limit))
    return _described(engine, frame)


def recent_deliveries(engine: Engine, *, account: Account, limit: int = 50) -> pd.DataFrame:
    """The latest messages about the account's clubs: when, where, what, and how it went."""
    require(account, "view_system")
    frame = query_df(engine, "alerts/recent_deliveries", club_ids=account_club_ids(engine, account.id),
                     limit=int(limit))
    return _described(engine, frame)


def _described(engine: Engine, frame: pd.DataFrame) -> pd.DataFrame:
    names = _club_names(engine)
    language = current_locale()
    frame["club"] = [names.get(int(c), str(c)) if pd.notna(c) else "" for c in frame.club_id]
    frame["title"] = [messages.words(t or {}, language)[0] for t in frame.texts]
    frame["level_name"] = [messages.level_name(level) for level in frame.level]
    return frame.drop(columns=["texts"])


def _club_names(engine: Engine) -> dict[int, str]:
    clubs = list_clubs(engine)
    return {int(r.club_id): str(r.club_name) for r in clubs.itertuples()}
