"""`oyna alerts`: alert delivery from the shell.

    oyna alerts run                                     one evaluation-and-delivery pass (cron, every minute)
    oyna alerts add-channel NAME --account A (--telegram CHAT | --webhook URL | --email ADDRESS) [--language ru]
    oyna alerts channels --account A                    list them
    oyna alerts test NAME --account A                   send a test message now
    oyna alerts remove-channel NAME --account A
    oyna alerts subscribe CHANNEL --account A [--clubs 1,2] [--kinds silent_club,revenue]
                          [--level critical|warning] [--quiet 23:00-08:00] [--critical-breaks-quiet]
    oyna alerts subscriptions --account A
    oyna alerts unsubscribe ID --account A

Channels and subscriptions belong to a manager's account (`--account`), as on the System page.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.cli.support import UsageError, connect, table
from core.platform.settings import load_settings


def add_parsers(sub: Any) -> None:
    alerts = sub.add_parser("alerts", help="alert delivery: channels, subscriptions, and `run` for cron")
    actions = alerts.add_subparsers(dest="alerts_action", required=True)

    actions.add_parser("run", help="evaluate the alerts and deliver the messages that are due (once)"
                       ).set_defaults(run=run_pass)

    add = actions.add_parser("add-channel", help="a Telegram chat, a webhook or an e-mail address")
    add.add_argument("name")
    _account(add)
    where = add.add_mutually_exclusive_group(required=True)
    where.add_argument("--telegram", metavar="CHAT", help="a chat id (-1001234567890) or @channel")
    where.add_argument("--webhook", metavar="URL", help="a Slack-compatible incoming webhook: https:// at a public "
                       "address (http:// and private addresses only for OYNA_WEBHOOK_ALLOWED_HOSTS)")
    where.add_argument("--email", metavar="ADDRESS")
    add.add_argument("--language", default="ru", help="the messages' language (default: ru)")
    add.set_defaults(run=run_add_channel)

    listing = actions.add_parser("channels", help="list an account's channels")
    _account(listing)
    listing.set_defaults(run=run_channels)

    for name, text, handler in (("test", "send a test message to a channel now", run_test),
                                ("remove-channel", "remove a channel and its subscriptions", run_remove_channel)):
        action = actions.add_parser(name, help=text)
        action.add_argument("name")
        _account(action)
        action.set_defaults(run=handler)

    subscribe = actions.add_parser("subscribe", help="choose which alerts reach a channel")
    subscribe.add_argument("channel")
    _account(subscribe)
    subscribe.add_argument("--clubs", help="club ids, comma-separated (default: every club the account sees)")
    subscribe.add_argument("--kinds", help="silent_club, revenue, utilization, high_value_risk (default: all)")
    subscribe.add_argument("--level", choices=["critical", "warning"], default="critical",
                           help="the lowest level sent (default: critical)")
    subscribe.add_argument("--quiet", metavar="HH:MM-HH:MM", help="quiet hours, club time, e.g. 23:00-08:00")
    subscribe.add_argument("--critical-breaks-quiet", action="store_true",
                           help="send critical alerts during quiet hours too")
    subscribe.set_defaults(run=run_subscribe)

    subs = actions.add_parser("subscriptions", help="list an account's subscriptions")
    _account(subs)
    subs.set_defaults(run=run_subscriptions)

    unsubscribe = actions.add_parser("unsubscribe", help="remove a subscription by its id")
    unsubscribe.add_argument("id", type=int)
    _account(unsubscribe)
    unsubscribe.set_defaults(run=run_unsubscribe)


def _account(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", required=True, help="the manager's username")


def _who(engine, username: str):
    from core.accounts import can, list_accounts

    name = username.strip().lower()
    account = next((a for a in list_accounts(engine) if a.username == name), None)
    if account is None:
        raise UsageError(f"there is no account named {username!r} (see `oyna user list`)")
    if not can(account, "manage_alerts"):
        raise UsageError(f"'{account.username}' is an {account.role}; alerts are chosen by managers")
    return account


def _channel_id(engine, account, name: str) -> int:
    from core.alerts import store

    frame = store.list_channels(engine, account.id)
    chosen = frame[frame["name"] == name]
    if chosen.empty:
        raise UsageError(f"{account.username} has no channel named {name!r} (see `oyna alerts channels`)")
    return int(chosen.id.iloc[0])


def run_pass(args: argparse.Namespace) -> int:
    from core.alerts.dispatch import run_pass as dispatch

    report = dispatch(connect(migrated=True), load_settings())
    print(report.summary())
    return 0


def run_add_channel(args: argparse.Namespace) -> int:
    from core.alerts import service

    engine = connect()
    account = _who(engine, args.account)
    kind, target = next((k, v) for k, v in (("telegram", args.telegram), ("webhook", args.webhook),
                                            ("email", args.email)) if v)
    try:
        new = service.add_channel(engine, account=account, name=args.name, kind=kind, target=target,
                                  language=args.language)
    except service.AlertSetupError as exc:
        raise UsageError(str(exc)) from exc
    print(f"channel {new} ({kind}) added for {account.username}; subscribe it with "
          f"`oyna alerts subscribe {args.name} --account {account.username}`")
    return 0


def run_channels(args: argparse.Namespace) -> int:
    from core.alerts import service

    engine = connect()
    frame = service.channels_of(engine, account=_who(engine, args.account))
    cols = ["id", "name", "kind", "target", "language", "subscriptions"]
    print(table(cols, frame[cols].values.tolist()))
    return 0


def run_test(args: argparse.Namespace) -> int:
    from core.alerts import service

    engine = connect()
    account = _who(engine, args.account)
    try:
        service.send_test(engine, load_settings(), account=account, channel_id=_channel_id(engine, account, args.name))
    except service.DeliveryError as exc:
        print(f"oyna: the test message did not get through: {exc}")
        return 1
    print("sent")
    return 0


def run_remove_channel(args: argparse.Namespace) -> int:
    from core.alerts import service

    engine = connect()
    account = _who(engine, args.account)
    service.remove_channel(engine, account=account, channel_id=_channel_id(engine, account, args.name))
    print(f"removed {args.name}")
    return 0


def run_subscribe(args: argparse.Namespace) -> int:
    from core.alerts import service, store

    engine = connect()
    account = _who(engine, args.account)
    try:
        clubs = [int(c) for c in args.clubs.split(",") if c.strip()] if args.clubs else None
    except ValueError as exc:
        raise UsageError("--clubs takes club ids separated by commas, such as 1,2") from exc
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()] if args.kinds else None
    try:
        quiet_from, quiet_until = store.parse_quiet(args.quiet)
        new = service.subscribe(engine, account=account, channel_id=_channel_id(engine, account, args.channel),
                                club_ids=clubs, kinds=kinds, min_level=args.level, quiet_from=quiet_from,
                                quiet_until=quiet_until, critical_breaks_quiet=args.critical_breaks_quiet)
    except service.AlertSetupError as exc:
        raise UsageError(str(exc)) from exc
    print(f"subscription {new} added")
    return 0


def run_subscriptions(args: argparse.Namespace) -> int:
    from core.alerts import service

    engine = connect()
    frame = service.subscriptions_of(engine, account=_who(engine, args.account))
    rows = [[r.id, r.channel, r.clubs or "all", ",".join(r.kinds) if r.kinds is not None else "all", r.min_level,
             f"{r.quiet_from:%H:%M}-{r.quiet_until:%H:%M}" if r.quiet_from is not None else "",
             "yes" if r.critical_breaks_quiet else ""] for r in frame.itertuples()]
    print(table(["id", "channel", "clubs", "kinds", "level", "quiet", "critical breaks quiet"], rows))
    return 0


def run_unsubscribe(args: argparse.Namespace) -> int:
    from core.alerts import service

    engine = connect()
    if not service.unsubscribe(engine, account=_who(engine, args.account), subscription_id=args.id):
        raise UsageError(f"{args.account} has no subscription {args.id}")
    print(f"removed subscription {args.id}")
    return 0
