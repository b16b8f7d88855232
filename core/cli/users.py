"""`oyna user add|list|remove|passwd`: sign-in accounts for the app.

Errors are one line on stderr and never show a password; a generated password is printed once.
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
from core.accounts.store import add_account, list_accounts, remove_account, set_password
from core.accounts.throttle import wait_text
from core.cli.support import connect


def add_parsers(sub: Any) -> argparse.ArgumentParser:
    """Add `oyna user add|list|remove|passwd` to the `oyna` parser's subparsers."""
    user = sub.add_parser("user", help="sign-in accounts for the app",
                          description="Sign-in accounts for the app: managers and analysts.")
    user.set_defaults(run=run)
    actions = user.add_subparsers(dest="user_action", required=True, metavar="{add,list,remove,passwd}")

    add = actions.add_parser("add", help="create an account (prints a generated password once)")
    add.add_argument("name", help="3 to 32 characters: a-z, 0-9, '.', '_', '-' (case-insensitive)")
    add.add_argument("--role", required=True, type=str.lower, choices=[r.value for r in Role])
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input instead of generating one")

    actions.add_parser("list", help="list the accounts")

    remove = actions.add_parser("remove", help="remove an account")
    remove.add_argument("name")

    passwd = actions.add_parser("passwd", help="set a new password (prints a generated one once); also unlocks")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input instead of generating one")
    return user


def run(args: argparse.Namespace, *, engine: Engine | None = None) -> int:
    """Run `oyna user ...`; returns the exit code."""
    try:
        action = args.user_action
        if engine is None:
            engine = connect(migrated=True)
        if action == "list":
            _print_accounts(list_accounts(engine))
            return 0
        shown = str(args.name).strip().lower()
        if action == "remove":
            if not remove_account(engine, username=args.name):
                print(f"oyna: no account named '{shown}'", file=sys.stderr)
                return 1
            print(f"removed account '{shown}'")
            return 0
        if action in ("add", "passwd"):
            generated = not args.password_stdin
            password = generate_password() if generated else _read_password_stdin()
            if action == "add":
                account = add_account(engine, username=args.name, role=args.role, password=password)
                print(f"added {account.role.value} account '{account.username}'")
            else:
                set_password(engine, username=args.name, password=password)
                print(f"new password set for '{shown}'")
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


def _print_accounts(accounts: list[Account]) -> None:
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

    header = ["username", "role", "created", "password changed", "sign-in"]
    rows = [[a.username, a.role.value, when(a.created_at), when(a.password_changed_at), state(a)]
            for a in accounts]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths)))
    print(f"({len(accounts)} account{'s' if len(accounts) != 1 else ''})")
