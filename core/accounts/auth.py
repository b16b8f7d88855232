"""Sign-in accounts, password hashing, sign-in throttling, roles and masking of customer contacts.

Accounts live in PostgreSQL (`app_accounts`, migration 007), so every app process sees the same
accounts and the same throttle. Passwords are hashed with scrypt from the standard library and
stored as a self-describing string, `scrypt$16384$8$1$<salt b64>$<hash b64>`; a password is never
stored, logged or put into an exception message.

Roles are enforced here, not only by hiding buttons: pages call `require(account, "retrain")`
before doing the work, and pass every frame with customer contacts through `mask_contacts`.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import logging
import math
import re
import secrets
import sys
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from functools import cache
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.platform.db import load_sql

logger = logging.getLogger(__name__)

# --- parameters ---------------------------------------------------------------------------------

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
_SCRYPT_MAXMEM = 64 * 1024 * 1024  # 128 * r * n is 16 MiB at the defaults

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MIN_DISTINCT_CHARACTERS = 4

THROTTLE_AFTER = 3              # consecutive failures before attempts are refused
THROTTLE_BASE_SECONDS = 5       # first lock; doubles with every further failure
THROTTLE_CAP_SECONDS = 15 * 60  # longest lock

ACCOUNTS_LOCK_KEY = 7_351_007   # advisory lock: account creation and the demo accounts

_USERNAME_RE = re.compile(r"[a-z0-9._-]{3,32}")
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l/1, o/0: easy to read out and type

# A few passwords long enough to pass the length rule that nobody should use.
_COMMON_PASSWORDS = frozenset({
    "password12", "password123", "password1234", "password12345", "passw0rd123", "qwertyuiop",
    "qwerty1234", "qwerty12345", "qwerty123456", "1234567890", "0987654321", "12345678910",
    "1q2w3e4r5t", "1qaz2wsx3edc", "iloveyou12", "letmein123", "welcome123", "changeme123",
    "administrator", "admin12345", "manager123", "analyst123", "oyna123456", "oynainsights",
    "asdfghjkl1", "zxcvbnm123", "abcdefghij", "abc1234567", "qazwsxedcrfv",
})


# --- errors -------------------------------------------------------------------------------------

class AuthError(ValueError):
    """Bad input to an account operation; the message is safe to show (it never holds a password)."""


class UnknownAccount(AuthError):
    """No account has that username."""


class SignInThrottled(AuthError):
    """Too many consecutive failed sign-ins; `seconds` until the next attempt is accepted."""

    def __init__(self, seconds: int):
        self.seconds = int(seconds)
        super().__init__(f"too many failed sign-ins for this account: try again in {_duration(self.seconds)}")


class PermissionDenied(AuthError):
    """The account's role does not allow this."""


def _duration(seconds: int) -> str:
    minutes, secs = divmod(max(0, int(seconds)), 60)
    parts = []
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not minutes:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)


# --- roles and permissions ----------------------------------------------------------------------

class Role(StrEnum):
    MANAGER = "manager"
    ANALYST = "analyst"


# permission -> what it lets you do (for messages)
PERMISSIONS: dict[str, str] = {
    "view": "view the dashboards",
    "retrain": "retrain models",
    "manage_models": "manage saved models",
    "see_contacts": "see customers' e-mails and phone numbers",
    "manage_accounts": "manage sign-in accounts",
}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.MANAGER: frozenset(PERMISSIONS),
    Role.ANALYST: frozenset({"view"}),
}


def parse_role(role: Role | str) -> Role:
    if isinstance(role, Role):
        return role
    if isinstance(role, str):
        try:
            return Role(role.strip().lower())
        except ValueError:
            pass
    raise AuthError("the role must be 'manager' or 'analyst'")


@dataclass(frozen=True)
class Account:
    """A signed-in (or listed) account. It never carries the password hash."""

    id: int
    username: str
    role: Role
    created_at: datetime
    password_changed_at: datetime
    failed_attempts: int = 0
    locked_until: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Account:
        return cls(id=row.id, username=row.username, role=Role(row.role), created_at=row.created_at,
                   password_changed_at=row.password_changed_at, failed_attempts=row.failed_attempts,
                   locked_until=row.locked_until)

    @property
    def locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > datetime.now(timezone.utc)

    def can(self, permission: str) -> bool:
        return can(self, permission)


def can(who: Account | Role | str | None, permission: str) -> bool:
    """Whether an account (or a role) may do `permission`; nobody signed in (None) may do nothing.

    An unknown permission name raises AuthError, so a typo fails loudly instead of denying quietly.
    """
    if permission not in PERMISSIONS:
        raise AuthError(f"unknown permission {permission!r}; known: {', '.join(PERMISSIONS)}")
    if who is None:
        return False
    role = who.role if isinstance(who, Account) else parse_role(who)
    return permission in ROLE_PERMISSIONS[role]


def require(account: Account | None, permission: str) -> Account:
    """Return the account if it may do `permission`, else raise PermissionDenied."""
    if account is None:
        if permission not in PERMISSIONS:
            raise AuthError(f"unknown permission {permission!r}; known: {', '.join(PERMISSIONS)}")
        raise PermissionDenied(f"sign in to {PERMISSIONS[permission]}")
    if not can(account, permission):
        raise PermissionDenied(
            f"'{account.username}' is {'an' if account.role == Role.ANALYST else 'a'} {account.role} "
            f"and may not {PERMISSIONS[permission]}; ask a manager")
    return account


# --- masking of customer contacts ---------------------------------------------------------------

def mask_email(email: Any) -> Any:
    """'aigerim.alieva5@mail.kz' -> 'a***@mail.kz'; missing values pass through unchanged."""
    if not isinstance(email, str) or email == "":
        return email
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: Any) -> Any:
    """'+7 701 234 56 78' -> '+7 *** *** ** 78': the country code and the last two digits stay."""
    if not isinstance(phone, str) or phone == "":
        return phone
    text = phone.strip()
    digits = sum(ch in "0123456789" for ch in text)
    if digits == 0:
        return "***"
    keep_front = 0
    if text.startswith("+"):
        code = re.match(r"\+(\d{1,3})(?=\D)", text)
        keep_front = len(code.group(1)) if code else 1
    keep_back = 2 if digits - keep_front >= 6 else 0
    out, seen = [], 0
    for ch in text:
        if ch in "0123456789":
            seen += 1
            out.append(ch if seen <= keep_front or seen > digits - keep_back else "*")
        else:
            out.append(ch)
    return "".join(out)


def _contact_kind(column: Any) -> str | None:
    name = str(column).lower()
    for kind in ("email", "phone"):
        if name == kind or name.endswith("_" + kind):
            return kind
    return None


def mask_contacts(df: pd.DataFrame, who: Account | Role | str | None) -> pd.DataFrame:
    """A copy of `df` with e-mail and phone columns masked unless `who` may see contacts.

    Masks columns named `email`/`phone` and any `*_email`/`*_phone` (case-insensitive).
    """
    out = df.copy()
    if can(who, "see_contacts"):
        return out
    for column in out.columns:
        kind = _contact_kind(column)
        if kind is not None:
            out[column] = out[column].map(mask_email if kind == "email" else mask_phone, na_action="ignore")
    return out


# --- passwords ----------------------------------------------------------------------------------

def _encode(password: str) -> bytes:
    return unicodedata.normalize("NFKC", password).encode("utf-8", "surrogatepass")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """A salted scrypt hash: `scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(_encode(password), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                         maxmem=_SCRYPT_MAXMEM, dklen=KEY_BYTES)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def _parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    scheme, n, r, p, salt, key = stored.split("$")
    n_, r_, p_ = int(n), int(r), int(p)
    if (scheme != "scrypt" or n_ < 2 or n_ & (n_ - 1) or n_ > 2**20 or not 1 <= r_ <= 32
            or not 1 <= p_ <= 16 or 128 * r_ * n_ * p_ > _SCRYPT_MAXMEM):
        raise ValueError("unsupported scrypt parameters")
    salt_b, key_b = base64.b64decode(salt, validate=True), base64.b64decode(key, validate=True)
    if len(salt_b) < 8 or len(key_b) < 16:
        raise ValueError("salt or key too short")
    return n_, r_, p_, salt_b, key_b


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a stored hash (False for a malformed hash)."""
    try:
        n, r, p, salt, key = _parse_hash(stored)
    except (ValueError, TypeError, AttributeError):
        logger.error("a stored password hash is malformed; that account cannot sign in")
        return False
    candidate = hashlib.scrypt(_encode(password), salt=salt, n=n, r=r, p=p,
                               maxmem=_SCRYPT_MAXMEM, dklen=len(key))
    return hmac.compare_digest(candidate, key)


def needs_rehash(stored: str) -> bool:
    try:
        n, r, p, salt, key = _parse_hash(stored)
    except (ValueError, TypeError, AttributeError):
        return True
    return (n, r, p, len(salt), len(key)) != (SCRYPT_N, SCRYPT_R, SCRYPT_P, SALT_BYTES, KEY_BYTES)


@cache
def _dummy_hash() -> str:
    """A hash to check against when the username is unknown, so that costs the same time."""
    return hash_password(secrets.token_urlsafe(24))


def normalize_username(username: Any) -> str:
    if not isinstance(username, str):
        raise AuthError("the username must be text")
    name = username.strip().lower()
    if not _USERNAME_RE.fullmatch(name):
        raise AuthError("a username is 3 to 32 characters: letters a-z, digits, '.', '_' or '-'")
    return name


def validate_password(password: Any, *, username: str | None = None) -> None:
    """Raise AuthError when a new password is obviously bad. Messages never quote the password."""
    if not isinstance(password, str):
        raise AuthError("the password must be text")
    text = unicodedata.normalize("NFKC", password)
    if len(text) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if len(text) > MAX_PASSWORD_LENGTH:
        raise AuthError(f"the password is too long: at most {MAX_PASSWORD_LENGTH} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise AuthError("the password contains control characters (a line break or a tab?)")
    if len(set(text)) < MIN_DISTINCT_CHARACTERS:
        raise AuthError(f"the password needs at least {MIN_DISTINCT_CHARACTERS} different characters")
    folded = text.casefold()
    if username is not None and folded == username.casefold():
        raise AuthError("the password must not be the username")
    if folded in _COMMON_PASSWORDS:
        raise AuthError("that password is too common; choose another")


def generate_password() -> str:
    """A random, readable password such as 'k7mq-x3vp-9tfa-hw2r' (19 characters, 80 bits)."""
    while True:
        password = "-".join("".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(4))
        try:
            validate_password(password)
        except AuthError:
            continue
        return password


# --- accounts -----------------------------------------------------------------------------------

def _run(conn: sa.Connection, name: str, **params: Any) -> sa.CursorResult:
    return conn.execute(sa.text(load_sql(name)), params)


def add_account(engine: Engine, *, username: str, role: Role | str, password: str) -> Account:
    """Create an account; AuthError for a bad or taken username, a bad role or a weak password."""
    name = normalize_username(username)
    parsed_role = parse_role(role)
    validate_password(password, username=name)
    password_hash = hash_password(password)
    with engine.begin() as conn:
        _run(conn, "accounts/xact_lock", key=ACCOUNTS_LOCK_KEY)
        row = _run(conn, "accounts/insert", username=name, role=parsed_role.value,
                   password_hash=password_hash).first()
    if row is None:
        raise AuthError(f"an account named '{name}' already exists")
    logger.info("added %s account %s", parsed_role.value, name)
    return Account.from_row(row)


def list_accounts(engine: Engine) -> list[Account]:
    with engine.connect() as conn:
        return [Account.from_row(row) for row in _run(conn, "accounts/list")]


def remove_account(engine: Engine, *, username: str) -> bool:
    """Remove an account; False when there was none by that name."""
    try:
        name = normalize_username(username)
    except AuthError:
        return False
    with engine.begin() as conn:
        removed = _run(conn, "accounts/delete", username=name).rowcount > 0
    if removed:
        logger.info("removed account %s", name)
    return removed


def set_password(engine: Engine, *, username: str, password: str) -> None:
    """Set a new password (an administrator's reset); also clears the sign-in throttle."""
    name = normalize_username(username)
    validate_password(password, username=name)
    password_hash = hash_password(password)
    with engine.begin() as conn:
        changed = _run(conn, "accounts/set_password", username=name, password_hash=password_hash).rowcount
    if not changed:
        raise UnknownAccount(f"no account named '{name}'")
    logger.info("password changed for account %s", name)


def authenticate(engine: Engine, *, username: str, password: str) -> Account | None:
    """The account when the password is right, None when it is not (or the account is unknown).

    After THROTTLE_AFTER consecutive failures an account refuses attempts for 5 s, then 10 s,
    20 s, ... up to 15 minutes, raising SignInThrottled(seconds) without checking the password.
    A success resets the count. Unknown usernames cost one hash too, like known ones.
    """
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        password = ""  # can never match a stored hash (validated passwords are 10+ characters)
    try:
        name: str | None = normalize_username(username)
    except AuthError:
        name = None

    account: Account | None = None
    wait: int | None = None
    with engine.begin() as conn:
        row = _run(conn, "accounts/for_sign_in", username=name).first() if name else None
        if row is None:
            verify_password(password, _dummy_hash())
            _run(conn, "accounts/log_sign_in", username=None, succeeded=False, reason="unknown_account")
        elif row.wait_seconds > 0:
            wait = max(1, math.ceil(row.wait_seconds))
            _run(conn, "accounts/log_sign_in", username=row.username, succeeded=False, reason="throttled")
        elif verify_password(password, row.password_hash):
            upgraded = hash_password(password) if needs_rehash(row.password_hash) else None
            account = Account.from_row(_run(conn, "accounts/sign_in_succeeded", id=row.id, new_hash=upgraded).one())
            _run(conn, "accounts/log_sign_in", username=row.username, succeeded=True, reason="ok")
        else:
            failed = _run(conn, "accounts/sign_in_failed", id=row.id, threshold=THROTTLE_AFTER,
                          base_seconds=THROTTLE_BASE_SECONDS, cap_seconds=THROTTLE_CAP_SECONDS).one()
            _run(conn, "accounts/log_sign_in", username=row.username, succeeded=False, reason="bad_password")
            if failed.failed_attempts >= THROTTLE_AFTER:
                logger.warning("account %s: %d failed sign-ins in a row; locked until %s",
                               row.username, failed.failed_attempts, failed.locked_until)
    if wait is not None:
        raise SignInThrottled(wait)
    return account


def ensure_demo_accounts(engine: Engine) -> dict[str, str]:
    """When there are no accounts at all, create `manager` and `analyst` with generated passwords.

    Returns {username: password} to print once; {} when accounts already exist. Safe to call
    from several processes at once.
    """
    created: dict[str, str] = {}
    with engine.begin() as conn:
        _run(conn, "accounts/xact_lock", key=ACCOUNTS_LOCK_KEY)
        if _run(conn, "accounts/count").scalar_one():
            return {}
        for role in (Role.MANAGER, Role.ANALYST):
            password = generate_password()
            row = _run(conn, "accounts/insert", username=role.value, role=role.value,
                       password_hash=hash_password(password)).first()
            if row is not None:
                created[role.value] = password
    if created:
        logger.info("created the demo accounts: %s", ", ".join(created))
    return created


# --- the `oyna user` command --------------------------------------------------------------------

def add_user_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `oyna user add|list|remove|passwd` to the `oyna` parser's subparsers."""
    user = subparsers.add_parser("user", help="sign-in accounts for the app",
                                 description="Sign-in accounts for the app: managers and analysts.")
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


def _cli_engine() -> Engine:
    from core.platform.db import check, get_engine
    from core.platform.migrate import migrate
    from core.platform.settings import load_settings

    engine = get_engine(load_settings())
    check(engine)
    migrate(engine)
    return engine


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
            return f"locked for {_duration(math.ceil((a.locked_until - now).total_seconds()))}"
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


def cli_user(args: argparse.Namespace, *, engine: Engine | None = None) -> int:
    """Run `oyna user ...`; returns the exit code. Errors are one line on stderr, never a password."""
    try:
        action = args.user_action
        if engine is None:
            engine = _cli_engine()
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
