"""`oyna user add|list|remove|passwd|role|scope`: sign-in accounts for the app, their roles and clubs.

Errors are one line on stderr and never show a password; a generated password is printed once. Every
change goes to the activity log as done by the command line.
"""

from __future__ import annotations

import argparse
import getpass
import math
import sys
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import Engine

from core.accounts import Account, AuthError, Role, UnknownAccount
from core.accounts.passwords import generate_password
from core.accounts.store import (
    add_account,
    club_ids_by_name,
    club_names_of,
    list_accounts,
    remove_account,
    set_password,
    set_role,
    set_scope,
)
from core.accounts.throttle import wait_text
from core.cli.support import connect


def add_parsers(sub: Any) -> argparse.ArgumentParser:
    """Add `oyna user add|list|remove|passwd|role|scope` to the `oyna` parser's subparsers."""
    user = sub.add_parser("user", help="sign-in accounts for the app",
                          description="Sign-in accounts for the app: managers and analysts, of the whole chain "
                                      "or of some clubs.")
    user.set_defaults(run=run)
    actions = user.add_subparsers(dest="user_action", required=True,
                                  metavar="{add,list,remove,passwd,role,scope}")

    add = actions.add_parser("add", help="create an account (prints a generated password once)")
    add.add_argument("name", help="3 to 32 characters: a-z, 0-9, '.', '_', '-' (case-insensitive)")
    add.add_argument("--role", required=True, type=str.lower, choices=[r.value for r in Role])
    add.add_argument("--clubs", help='only these clubs, by name: "Club A,Club B" (default: the whole chain)')
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input instead of generating one")

    actions.add_parser("list", help="list the accounts")

    remove = actions.add_parser("remove", help="remove an account")
    remove.add_argument("name")

    passwd = actions.add_parser("passwd", help="set a new password (prints a generated one once); also unlocks")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input instead of generating one")

    role = actions.add_parser("role", help="give an account another role (its open tabs follow at once)")
    role.add_argument("name")
    role.add_argument("role", type=str.lower, choices=[r.value for r in Role])

    scope = actions.add_parser("scope", help="the clubs an account sees (its open tabs follow at once)")
    scope.add_argument("name")
    which = scope.add_mutually_exclusive_group(required=True)
    which.add_argument("--clubs", help='only these clubs, by name: "Club A,Club B"')
    which.add_argument("--all", action="store_true", help="the whole chain")
    return user


def run(args: argparse.Namespace, *, engine: Engine | None = None) -> int:
    """Run `oyna user ...`; returns the exit code."""
    try:
        action = args.user_action
        if engine is None:
            engine = connect(migrated=True)
        if action == "list":
            _print_accounts(list_accounts(engine), club_names_of(engine))
            return 0
        shown = str(args.name).strip().lower()
        if action == "remove":
            if not remove_account(engine, username=args.name, via="cli"):
                print(f"oyna: no account named '{shown}'", file=sys.stderr)
                return 1
            print(f"removed account '{shown}'; its sessions have ended")
            return 0
        if action == "role":
            set_role(engine, username=args.name, role=args.role, via="cli")
            print(f"'{shown}' is now {'an' if args.role == 'analyst' else 'a'} {args.role}")
            return 0
        if action == "scope":
            clubs = None if args.all else _clubs(engine, args.clubs)
            set_scope(engine, username=args.name, club_ids=None if clubs is None else list(clubs.values()),
                      via="cli")
            print(f"'{shown}' now sees {'the whole chain' if clubs is None else ', '.join(clubs)}")
            return 0
        if action in ("add", "passwd"):
            clubs = _clubs(engine, args.clubs) if action == "add" and args.clubs is not None else None
            generated = not args.password_stdin
            password = generate_password() if generated else _read_password_stdin()
            if action == "add":
                account = add_account(engine, username=args.name, role=args.role, password=password,
                                      club_ids=None if clubs is None else list(clubs.values()), via="cli")
                print(f"added {account.role.value} account '{account.username}' for "
                      f"{'the whole chain' if clubs is None else ', '.join(clubs)}")
            else:
                set_password(engine, username=args.name, password=password, via="cli")
                print(f"new password set for '{shown}'; its sessions have ended")
            if generated:
                print(f"password (shown once, store it now): {password}")
            return 0
        print(f"oyna: unknown user action {action!r}", file=sys.stderr)
        return 2
    except UnknownAccount as exc:
        print(f"oyna: {exc}", file=sys.stderr)
        return 1
    except AuthError as exc:
        print(f"oyna: {exc}", file=sys.stderr)
        return 2


def _clubs(engine: Engine, text: str) -> dict[str, int]:
    """'Club A, Club B' -> {name: id}; AuthError for an empty list or a club that does not exist."""
    return club_ids_by_name(engine, [part for part in str(text).split(",")])


def _read_password_stdin() -> str:
    stream = sys.stdin
    if stream is None:
        raise AuthError("--password-stdin: there is no standard input")
    if stream.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != first:
            raise AuthError("the two passwords differ")
        return first
    line = stream.readline()
    if not line.strip("\r\n"):
        raise AuthError("--password-stdin: no password on standard input")
    return line.rstrip("\n").rstrip("\r")


def _print_accounts(accounts: list[Account], clubs: dict[str, list[str]]) -> None:
    if not accounts:
        print("no accounts yet; add one with: oyna user add NAME --role manager")
        return
    now = datetime.now(timezone.utc)

    def when(t: datetime) -> str:
        return t.astimezone().strftime("%Y-%m-%d %H:%M")

    def state(a: Account) -> str:
        if a.locked_until is not None and a.locked_until > now:
            return f"locked for {wait_text(math.ceil((a.locked_until - now).total_seconds()))}"
        return f"{a.failed_attempts} failed sign-ins" if a.failed_attempts else "ok"

    header = ["username", "role", "clubs", "created", "password changed", "sign-in"]
    rows = [[a.username, a.role.value, "whole chain" if a.whole_chain else ", ".join(clubs.get(a.username, [])) or "none",
             when(a.created_at), when(a.password_changed_at), state(a)] for a in accounts]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths)))
    print(f"({len(accounts)} account{'s' if len(accounts) != 1 else ''})")
