"""Channels and subscriptions in PostgreSQL (migration 018): each belongs to one account.

A subscription says which clubs, kinds and levels reach a channel, and its quiet hours. Its clubs are
always cut to the clubs its owner may see (`account_club_ids`), when it is saved and when alerts are
sent, so club scoping applies to alert delivery too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import time

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.accounts import club_ids_of
from core.alerts.channels import KINDS as CHANNEL_KINDS
from core.alerts.channels import check_target
from core.alerts.outbound import AllowedHosts
from core.i18n import _, available
from core.overview.alerts import KINDS as ALERT_KINDS
from core.overview.kpis import CRITICAL, RANK, WARNING
from core.platform.db import load_sql, query_df, query_rows

LEVELS = (WARNING, CRITICAL)
MAX_NAME = 60
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class AlertSetupError(ValueError):
    """Bad input to a channel or a subscription; the message is safe to show."""


def account_club_ids(engine: Engine, account_id: int) -> list[int]:
    """The clubs an account may see, read afresh from its club scope (core.accounts): the scope its
    subscriptions are cut to. None for an account that is gone, so its messages stop."""
    return club_ids_of(engine, account_id)


@dataclass(frozen=True)
class Subscription:
    """A subscription with its channel, as the dispatcher uses it; `club_ids` is already scoped."""

    id: int
    channel_id: int
    account_id: int
    channel_kind: str
    target: str
    language: str
    club_ids: frozenset[int]
    kinds: frozenset[str] | None  # None: every kind
    min_level: str
    quiet_from: time | None
    quiet_until: time | None
    critical_breaks_quiet: bool

    def wants(self, kind: str, club_id: int | None, level: str) -> bool:
        return (club_id in self.club_ids and (self.kinds is None or kind in self.kinds)
                and RANK.get(level, 0) >= RANK[self.min_level])


def subscriptions(engine: Engine) -> list[Subscription]:
    """Every subscription, its clubs cut to its owner's scope."""
    scopes: dict[int, set[int]] = {}
    out = []
    for row in query_rows(engine, "alerts/subscriptions_all"):
        if row.account_id not in scopes:
            scopes[row.account_id] = set(account_club_ids(engine, row.account_id))
        scope = scopes[row.account_id]
        clubs = scope if row.club_ids is None else scope & {int(c) for c in row.club_ids}
        out.append(Subscription(
            id=row.id, channel_id=row.channel_id, account_id=row.account_id, channel_kind=row.channel_kind,
            target=row.target, language=row.language, club_ids=frozenset(clubs),
            kinds=None if row.kinds is None else frozenset(row.kinds), min_level=row.min_level,
            quiet_from=row.quiet_from, quiet_until=row.quiet_until,
            critical_breaks_quiet=bool(row.critical_breaks_quiet)))
    return out


def list_channels(engine: Engine, account_id: int) -> pd.DataFrame:
    return query_df(engine, "alerts/channel_list", account_id=int(account_id))


def add_channel(engine: Engine, account_id: int, *, name: str, kind: str, target: str,
                language: str = "ru", allowed_hosts: AllowedHosts = ()) -> int:
    """A new channel of the account; returns its id. `allowed_hosts`: the hosts a webhook may reach over
    http or at a private address (the settings' OYNA_WEBHOOK_ALLOWED_HOSTS)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise AlertSetupError(_("Give the channel a name of up to {n} characters.").format(n=MAX_NAME))
    if kind not in CHANNEL_KINDS:
        raise AlertSetupError(_("A channel is one of: {kinds}.").format(kinds=", ".join(CHANNEL_KINDS)))
    try:
        target = check_target(kind, target, allowed_hosts)
    except ValueError as exc:
        raise AlertSetupError(str(exc)) from exc
    if language not in available():
        raise AlertSetupError(_("Messages can be written in: {languages}.").format(languages=", ".join(available())))
    with engine.begin() as conn:
        new = conn.execute(sa.text(load_sql("alerts/channel_insert")), {
            "account_id": int(account_id), "name": name, "kind": kind, "target": target,
            "language": language}).scalar()
    if new is None:
        raise AlertSetupError(_("You already have a channel named “{name}”.").format(name=name))
    return int(new)


def remove_channel(engine: Engine, account_id: int, channel_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(sa.text(load_sql("alerts/channel_delete")),
                            {"account_id": int(account_id), "channel_id": int(channel_id)}).rowcount > 0


def list_subscriptions(engine: Engine, account_id: int) -> pd.DataFrame:
    return query_df(engine, "alerts/subscription_list", account_id=int(account_id))


def parse_quiet(text: str | None) -> tuple[time | None, time | None]:
    """'23:00-08:00' -> (23:00, 08:00); '' or None -> no quiet hours."""
    if not text or not text.strip():
        return None, None
    parts = [p.strip() for p in text.replace("–", "-").split("-")]
    if len(parts) != 2 or not all(_TIME.match(p) for p in parts):
        raise AlertSetupError(_("Quiet hours are written as 23:00-08:00 (club time)."))
    start, end = (time(int(p.split(":")[0]), int(p.split(":")[1])) for p in parts)
    return start, end


def add_subscription(engine: Engine, account_id: int, *, channel_id: int, club_ids: Sequence[int] | None = None,
                     kinds: Iterable[str] | None = None, min_level: str = CRITICAL,
                     quiet_from: time | None = None, quiet_until: time | None = None,
                     critical_breaks_quiet: bool = False) -> int:
    """Subscribe one of the account's channels; `club_ids`/`kinds` None or empty mean all of them."""
    scope = set(account_club_ids(engine, account_id))
    clubs = sorted({int(c) for c in club_ids}) if club_ids else None
    if clubs is not None and not set(clubs) <= scope:
        raise AlertSetupError(_("You can only subscribe to the clubs you can see."))
    chosen = sorted(set(kinds)) if kinds else None
    if chosen is not None and not set(chosen) <= set(ALERT_KINDS):
        raise AlertSetupError(_("Unknown kind of alert; the kinds are: {kinds}.").format(kinds=", ".join(ALERT_KINDS)))
    if min_level not in LEVELS:
        raise AlertSetupError(_("The level is “warning” or “critical”."))
    if (quiet_from is None) != (quiet_until is None) or (quiet_from is not None and quiet_from == quiet_until):
        raise AlertSetupError(_("Quiet hours need a start and a different end."))
    with engine.begin() as conn:
        new = conn.execute(sa.text(load_sql("alerts/subscription_insert")), {
            "account_id": int(account_id), "channel_id": int(channel_id), "subscribed_clubs": clubs, "kinds": chosen,
            "min_level": min_level, "quiet_from": quiet_from, "quiet_until": quiet_until,
            "critical_breaks_quiet": bool(critical_breaks_quiet)}).scalar()
    if new is None:
        raise AlertSetupError(_("That channel is not one of yours."))
    return int(new)


def remove_subscription(engine: Engine, account_id: int, subscription_id: int) -> bool:
    with engine.begin() as conn:
        return conn.execute(sa.text(load_sql("alerts/subscription_delete")),
                            {"account_id": int(account_id), "subscription_id": int(subscription_id)}).rowcount > 0
