"""The account store: create, list, remove, reset a password, sign in, and the demo accounts.

Accounts live in PostgreSQL (`app_accounts`), so every app process sees the same accounts. Writes
are transactions; account creation and the demo accounts serialise on an advisory lock.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.i18n import _
from core.accounts import throttle
from core.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    dummy_hash,
    generate_password,
    hash_password,
    needs_rehash,
    validate_password,
    verify_password,
)
from core.accounts.roles import Account, AuthError, Role, UnknownAccount, parse_role
from core.platform.db import load_sql

logger = logging.getLogger(__name__)

ACCOUNTS_LOCK_KEY = 7_351_007   # advisory lock: account creation and the demo accounts

_USERNAME_RE = re.compile(r"[a-z0-9._-]{3,32}")


def _run(conn: sa.Connection, name: str, **params: Any) -> sa.CursorResult:
    return conn.execute(sa.text(load_sql(name)), params)


def normalize_username(username: Any) -> str:
    """The stored form of a username (trimmed, lower case); AuthError when it breaks the rule."""
    if not isinstance(username, str):
        raise AuthError(_("the username must be text"))
    name = username.strip().lower()
    if not _USERNAME_RE.fullmatch(name):
        raise AuthError(_("a username is 3 to 32 characters: letters a-z, digits, '.', '_' or '-'"))
    return name


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
        raise AuthError(_("an account named '{name}' already exists").format(name=name))
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
        raise UnknownAccount(_("no account named '{name}'").format(name=name))
    logger.info("password changed for account %s", name)


def authenticate(engine: Engine, *, username: str, password: str) -> Account | None:
    """The account when the password is right, None when it is not (or the account is unknown).

    A throttled account raises SignInThrottled(seconds) without checking the password (see
    `core.accounts.throttle`). A success resets the count. Unknown usernames cost one hash too,
    like known ones.
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
            verify_password(password, dummy_hash())
            _run(conn, "accounts/log_sign_in", username=None, succeeded=False, reason="unknown_account")
        elif (wait := throttle.wait_seconds(row)) is not None:
            _run(conn, "accounts/log_sign_in", username=row.username, succeeded=False, reason="throttled")
        elif verify_password(password, row.password_hash):
            upgraded = hash_password(password) if needs_rehash(row.password_hash) else None
            account = Account.from_row(_run(conn, "accounts/sign_in_succeeded", id=row.id, new_hash=upgraded).one())
            _run(conn, "accounts/log_sign_in", username=row.username, succeeded=True, reason="ok")
        else:
            throttle.count_failure(conn, row)
            _run(conn, "accounts/log_sign_in", username=row.username, succeeded=False, reason="bad_password")
    if wait is not None:
        raise throttle.SignInThrottled(wait)
    return account


def account_language(engine: Engine, account: Account) -> str | None:
    """The interface language the account chose (None: it follows the browser)."""
    with engine.connect() as conn:
        return _run(conn, "accounts/language", id=account.id).scalar()


def set_language(engine: Engine, account: Account, language: str | None) -> None:
    """Keep the account's interface language (a code such as 'ru'; None: follow the browser)."""
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", str(language)):
        raise AuthError(_("unknown language code {code!r}").format(code=language))
    with engine.begin() as conn:
        _run(conn, "accounts/set_language", id=account.id, language=language)


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
