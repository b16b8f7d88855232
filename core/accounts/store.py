"""The account store: create, list, remove, change a role, a club scope or a password, sign in, and the
demo accounts.

Accounts live in PostgreSQL (`app_accounts`, their clubs in `app_account_clubs`), so every app process
sees the same accounts. Writes are transactions; account creation and the demo accounts serialise on an
advisory lock. Changes made by a person or the CLI go to the activity log: pass `actor` (the signed-in
account) or `via="cli"`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.accounts import audit, sessions, throttle
from core.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    HashingBusy,
    dummy_hash,
    generate_password,
    hash_password,
    needs_rehash,
    validate_password,
    verify_password,
)
from core.accounts.roles import Account, AuthError, Role, UnknownAccount, parse_role
from core.i18n import _
from core.platform.db import run

logger = logging.getLogger(__name__)

ACCOUNTS_LOCK_KEY = 7_351_007   # advisory lock: account creation and the demo accounts

_USERNAME_RE = re.compile(r"[a-z0-9._-]{3,32}")


def _audit(conn: sa.Connection, actor: Account | None, via: str | None, action: str, name: str, **details) -> None:
    if actor is not None or via is not None:
        audit.record(conn, actor, action, object_type="account", object_id=name, via=via or "app",
                     details=details)


def normalize_username(username: Any) -> str:
    """The stored form of a username (trimmed, lower case); AuthError when it breaks the rule."""
    if not isinstance(username, str):
        raise AuthError(_("the username must be text"))
    name = username.strip().lower()
    if not _USERNAME_RE.fullmatch(name):
        raise AuthError(_("a username is 3 to 32 characters: letters a-z, digits, '.', '_' or '-'"))
    return name


def club_ids_by_name(engine: Engine, names: Sequence[str]) -> dict[str, int]:
    """{club name: id} for club names (case-insensitive); AuthError naming any club that does not exist."""
    wanted = [n.strip() for n in names if n and n.strip()]
    if not wanted:
        raise AuthError(_("name at least one club (or give the whole chain)"))
    with engine.connect() as conn:
        found = {r.club_name.lower(): (r.club_name, int(r.club_id))
                 for r in run(conn, "accounts/clubs_by_name", names=[n.lower() for n in wanted])}
    missing = [n for n in wanted if n.lower() not in found]
    if missing:
        raise AuthError(_("no club named {names}").format(names=", ".join(repr(m) for m in missing)))
    return {found[n.lower()][0]: found[n.lower()][1] for n in wanted}


def _write_scope(conn: sa.Connection, account_id: int, club_ids: Sequence[int] | None) -> None:
    run(conn, "accounts/scope_clear", account_id=account_id)
    if club_ids is not None:
        run(conn, "accounts/scope_add", account_id=account_id, club_ids=[int(c) for c in club_ids])


def _fresh(conn: sa.Connection, account_id: int) -> Account:
    row = next(r for r in run(conn, "accounts/list") if r.id == account_id)
    return Account.from_row(row)


def add_account(engine: Engine, *, username: str, role: Role | str, password: str,
                club_ids: Sequence[int] | None = None, actor: Account | None = None,
                via: str | None = None) -> Account:
    """Create an account for the whole chain, or for `club_ids` only; AuthError for a bad or taken
    username, a bad role or a weak password."""
    name = normalize_username(username)
    parsed_role = parse_role(role)
    validate_password(password, username=name)
    password_hash = hash_password(password)
    with engine.begin() as conn:
        run(conn, "accounts/xact_lock", key=ACCOUNTS_LOCK_KEY)
        row = run(conn, "accounts/insert", username=name, role=parsed_role.value, password_hash=password_hash,
                   whole_chain=club_ids is None).first()
        if row is None:
            raise AuthError(_("an account named '{name}' already exists").format(name=name))
        _write_scope(conn, row.id, club_ids)
        account = _fresh(conn, row.id)
        _audit(conn, actor, via, "account_add", name, role=parsed_role.value,
               clubs="whole chain" if club_ids is None else list(account.club_ids or ()))
    logger.info("added %s account %s", parsed_role.value, name)
    return account


def list_accounts(engine: Engine) -> list[Account]:
    with engine.connect() as conn:
        return [Account.from_row(row) for row in run(conn, "accounts/list")]


def club_ids_of(engine: Engine, account_id: int) -> list[int]:
    """The clubs an account may see, read from the database (for work done on its behalf without a
    session, such as alert delivery); none for an unknown account."""
    with engine.connect() as conn:
        return [int(r.club_id) for r in run(conn, "accounts/club_scope", account_id=int(account_id))]


def club_names_of(engine: Engine) -> dict[str, list[str]]:
    """{username: the names of its clubs} for the accounts limited to some clubs."""
    with engine.connect() as conn:
        return {r.username: list(r.club_names) for r in run(conn, "accounts/list") if not r.whole_chain}


def remove_account(engine: Engine, *, username: str, actor: Account | None = None, via: str | None = None) -> bool:
    """Remove an account (its sessions end with it); False when there was none by that name."""
    try:
        name = normalize_username(username)
    except AuthError:
        return False
    with engine.begin() as conn:
        removed = run(conn, "accounts/delete", username=name).first() is not None
        if removed:
            _audit(conn, actor, via, "account_remove", name)
    if removed:
        logger.info("removed account %s", name)
    return removed


def set_role(engine: Engine, *, username: str, role: Role | str, actor: Account | None = None,
             via: str | None = None) -> None:
    """Give an account another role; its open sessions have the new one from their next run."""
    name = normalize_username(username)
    parsed = parse_role(role)
    with engine.begin() as conn:
        row = run(conn, "accounts/set_role", username=name, role=parsed.value).first()
        if row is None:
            raise UnknownAccount(_("no account named '{name}'").format(name=name))
        _audit(conn, actor, via, "account_role", name, old=row.old_role, new=parsed.value)
    logger.info("account %s is now a %s", name, parsed.value)


def set_scope(engine: Engine, *, username: str, club_ids: Sequence[int] | None, actor: Account | None = None,
              via: str | None = None) -> Account:
    """Limit an account to some clubs (None: the whole chain); its open sessions see the new scope from
    their next run."""
    name = normalize_username(username)
    with engine.begin() as conn:
        row = run(conn, "accounts/set_scope", username=name, whole_chain=club_ids is None).first()
        if row is None:
            raise UnknownAccount(_("no account named '{name}'").format(name=name))
        _write_scope(conn, row.id, club_ids)
        account = _fresh(conn, row.id)
        _audit(conn, actor, via, "account_scope", name,
               clubs="whole chain" if club_ids is None else list(account.club_ids or ()))
    logger.info("account %s now sees %s", name, "the whole chain" if club_ids is None else account.club_ids)
    return account


def set_password(engine: Engine, *, username: str, password: str, actor: Account | None = None,
                 via: str | None = None) -> None:
    """Set a new password (an administrator's reset): every session of the account ends, and the sign-in
    throttle of its name is cleared."""
    name = normalize_username(username)
    validate_password(password, username=name)
    password_hash = hash_password(password)
    with engine.begin() as conn:
        row = run(conn, "accounts/set_password", username=name, password_hash=password_hash).first()
        if row is None:
            raise UnknownAccount(_("no account named '{name}'").format(name=name))
        ended = sessions.end_all(conn, row.id, reason="password_changed")
        throttle.clear(conn, name)
        _audit(conn, actor, via, "password_reset", name, sessions_ended=ended)
    logger.info("password changed for account %s", name)


def change_password(engine: Engine, *, account: Account, current: str, new: str, repeat: str | None = None,
                    address: str | None = None) -> None:
    """A person changes their own password: the current one is checked (throttled like a sign-in), then
    every session of the account ends, this one included (the caller starts a new one for this tab)."""
    if repeat is not None and new != repeat:
        raise AuthError(_("the two new passwords differ"))
    validate_password(new, username=account.username)
    if authenticate(engine, username=account.username, password=current, address=address, record=False) is None:
        raise AuthError(_("the current password is not right"))
    password_hash = hash_password(new)
    with engine.begin() as conn:
        if run(conn, "accounts/set_password", username=account.username, password_hash=password_hash).first() is None:
            raise UnknownAccount(_("no account named '{name}'").format(name=account.username))
        ended = sessions.end_all(conn, account.id, reason="password_changed")
        audit.record(conn, account, "password_change", object_type="account", object_id=account.username,
                     details={"sessions_ended": ended})
    logger.info("account %s changed its password", account.username)


def authenticate(engine: Engine, *, username: str, password: str, address: str | None = None,
                 record: bool = True) -> Account | None:
    """The account when the password is right, None when it is not or the name is unknown.

    Throttled by name and by address alike for known and unknown names (SignInThrottled(seconds)); an
    unknown name costs one hash too. No pooled connection is held while hashing, and at most
    HASH_SLOTS hashes run at once (HashingBusy after a long wait). Old hashes are upgraded. Every attempt
    goes to `sign_in_log`; failures also to the activity log (`record=False`: a password check that is
    not a sign-in, such as a password change, leaves the activity log to its caller).
    """
    if not isinstance(password, str) or len(password) > MAX_PASSWORD_LENGTH:
        password = ""  # can never match a stored hash (validated passwords are 10+ characters)
    typed = username if isinstance(username, str) else ""
    try:
        name: str | None = normalize_username(typed)
    except AuthError:
        name = None
    keys = [throttle.name_key(typed), throttle.address_key(address)]

    with engine.begin() as conn:
        row = run(conn, "accounts/for_sign_in", username=name).first() if name else None
        wait = throttle.charge(conn, keys)
        if wait is not None:
            _failed(conn, row, "throttled", address, record)
    if wait is not None:
        raise throttle.SignInThrottled(wait)

    try:
        good = verify_password(password, row.password_hash if row is not None else dummy_hash())
        upgraded = hash_password(password) if good and needs_rehash(row.password_hash) else None
    except HashingBusy:
        with engine.begin() as conn:
            _failed(conn, row, "busy", address, record)
        raise

    with engine.begin() as conn:
        account_row = None
        if good:
            account_row = run(conn, "accounts/sign_in_succeeded", id=row.id, new_hash=upgraded,
                               checked_hash=row.password_hash).first()
        if account_row is None:
            _failed(conn, row, "unknown_account" if row is None else "bad_password", address, record)
            return None
        throttle.refund(conn, name=keys[0], address=keys[1])
        run(conn, "accounts/log_sign_in", username=row.username, succeeded=True, reason="ok", address=address)
    return Account.from_row(account_row, address=address)


def _failed(conn: sa.Connection, row: Any, reason: str, address: str | None, record: bool) -> None:
    username = row.username if row is not None else None
    run(conn, "accounts/log_sign_in", username=username, succeeded=False, reason=reason, address=address)
    if record:
        audit.record(conn, None, "sign_in_failed", address=address, username=username,
                     object_type="account" if username else None, object_id=username, details={"reason": reason})


def account_language(engine: Engine, account: Account) -> str | None:
    """The interface language the account chose (None: it follows the browser)."""
    with engine.connect() as conn:
        return run(conn, "accounts/language", id=account.id).scalar()


def set_language(engine: Engine, account: Account, language: str | None) -> None:
    """Keep the account's interface language (a code such as 'ru'; None: follow the browser), and write the
    change to the activity log."""
    if language is not None and not re.fullmatch(r"[a-z]{2,3}", str(language)):
        raise AuthError(_("unknown language code {code!r}").format(code=language))
    with engine.begin() as conn:
        run(conn, "accounts/set_language", id=account.id, language=language)
        audit.record(conn, account, "language_change", object_type="account", object_id=account.username,
                     details={"language": language or "browser"})


def ensure_demo_accounts(engine: Engine) -> dict[str, str]:
    """When there are no accounts at all, create `manager` and `analyst` with generated passwords.

    Returns {username: password} to print once; {} when accounts already exist. Safe to call
    from several processes at once.
    """
    created: dict[str, str] = {}
    with engine.begin() as conn:
        run(conn, "accounts/xact_lock", key=ACCOUNTS_LOCK_KEY)
        if run(conn, "accounts/count").scalar_one():
            return {}
        for role in (Role.MANAGER, Role.ANALYST):
            password = generate_password()
            row = run(conn, "accounts/insert", username=role.value, role=role.value,
                       password_hash=hash_password(password), whole_chain=True).first()
            if row is not None:
                created[role.value] = password
                audit.record(conn, None, "account_add", object_type="account", object_id=role.value,
                             via="system", details={"role": role.value, "clubs": "whole chain", "demo": True})
    if created:
        logger.info("created the demo accounts: %s", ", ".join(created))
    return created
