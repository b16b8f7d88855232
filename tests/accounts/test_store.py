"""The account store against the session's PostgreSQL: accounts, sign-in, the log and the demo accounts.

The demo-account test gets a private database, because it needs a table with no accounts at all.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from core.accounts import (
    AuthError,
    Role,
    UnknownAccount,
    add_account,
    authenticate,
    ensure_demo_accounts,
    list_accounts,
    remove_account,
    set_password,
    store,
)
from core.accounts.passwords import dummy_hash
from core.platform.db import make_engine
from core.platform.migrate import migrate
from tests.accounts.support import OTHER_PASSWORD, PASSWORD, row_of, unique_name


def test_no_plaintext_is_stored(engine, names):
    name = names()
    created = add_account(engine, username=name, role="manager", password=PASSWORD)
    assert created.role is Role.MANAGER and created.username == name
    assert not hasattr(created, "password_hash") and PASSWORD not in repr(created)
    row = row_of(engine, name)
    assert row.password_hash.startswith("scrypt$16384$8$1$")
    assert all(PASSWORD not in str(value) for value in row)
    assert row.failed_attempts == 0 and row.locked_until is None


def test_right_wrong_and_case_insensitive_username(engine, account):
    signed_in = authenticate(engine, username=account.username, password=PASSWORD)
    assert signed_in is not None and signed_in.id == account.id and signed_in.role is Role.ANALYST
    assert authenticate(engine, username=f"  {account.username.upper()} ", password=PASSWORD) is not None
    assert authenticate(engine, username=account.username, password=PASSWORD.lower()) is None
    assert authenticate(engine, username=account.username, password="") is None
    assert authenticate(engine, username=account.username, password=None) is None  # type: ignore[arg-type]


def test_unknown_user_costs_a_hash_and_logs_no_name(engine, monkeypatch):
    checked: list[str] = []
    real = store.verify_password
    monkeypatch.setattr(store, "verify_password", lambda pw, stored: checked.append(stored) or real(pw, stored))
    typed_into_username = unique_name("secret")  # e.g. a password typed into the wrong field
    assert authenticate(engine, username=typed_into_username, password=PASSWORD) is None
    assert authenticate(engine, username="not a valid name!", password=PASSWORD) is None
    assert checked == [dummy_hash()] * 2
    with engine.connect() as conn:
        logged = conn.execute(sa.text("select count(*) from sign_in_log where username = :u"),
                              {"u": typed_into_username}).scalar_one()
    assert logged == 0


def test_sign_in_log_records_outcomes(engine, account):
    authenticate(engine, username=account.username, password="wrong password 1")
    authenticate(engine, username=account.username, password=PASSWORD)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select succeeded, reason from sign_in_log where username = :u order by id"),
                            {"u": account.username}).all()
    assert [tuple(r) for r in rows] == [(False, "bad_password"), (True, "ok")]


def test_duplicate_username_is_refused_case_insensitively(engine, names):
    name = names()
    add_account(engine, username=name, role="analyst", password=PASSWORD)
    with pytest.raises(AuthError, match="already exists"):
        add_account(engine, username=name.upper(), role="manager", password=OTHER_PASSWORD)
    assert row_of(engine, name).role == "analyst"


@pytest.mark.parametrize("username", ["ab", "x" * 33, "has space", "имя-клиента", "semi;colon", "", None])
def test_bad_usernames(engine, username):
    with pytest.raises(AuthError, match="username"):
        add_account(engine, username=username, role="analyst", password=PASSWORD)


@pytest.mark.parametrize("role", ["admin", "", "root", None])
def test_bad_role(engine, names, role):
    with pytest.raises(AuthError, match="role must be"):
        add_account(engine, username=names(), role=role, password=PASSWORD)


@pytest.mark.parametrize("password, message", [
    ("short-pw9", "too short"),
    ("", "too short"),
    ("x" * 1025, "too long"),
    ("aaaaaaaaaaaa", "different characters"),
    ("abababababab", "different characters"),
    ("good password\nsecond line", "control characters"),
    ("Password123", "too common"),
    ("qwertyuiop", "too common"),
    (12345678901, "must be text"),
])
def test_weak_passwords_are_refused_without_echoing_them(engine, names, password, message):
    with pytest.raises(AuthError, match=message) as info:
        add_account(engine, username=names(), role="analyst", password=password)
    if isinstance(password, str) and password:
        assert password not in str(info.value)


def test_password_equal_to_username_is_refused(engine, names):
    name = names("samename")
    with pytest.raises(AuthError, match="must not be the username"):
        add_account(engine, username=name, role="analyst", password=name.upper())


def test_list_and_remove(engine, names):
    first, second = names("a"), names("b")
    add_account(engine, username=first, role="manager", password=PASSWORD)
    add_account(engine, username=second, role=Role.ANALYST, password=PASSWORD)
    listed = {a.username: a for a in list_accounts(engine)}
    assert listed[first].role is Role.MANAGER and listed[second].role is Role.ANALYST
    assert remove_account(engine, username=first.upper()) is True
    assert remove_account(engine, username=first) is False
    assert remove_account(engine, username="no such user!") is False
    assert first not in {a.username for a in list_accounts(engine)}
    assert authenticate(engine, username=first, password=PASSWORD) is None


def test_set_password(engine, account):
    before = row_of(engine, account.username)
    set_password(engine, username=account.username, password=OTHER_PASSWORD)
    after = row_of(engine, account.username)
    assert after.password_changed_at >= before.password_changed_at
    assert after.password_hash != before.password_hash
    assert authenticate(engine, username=account.username, password=PASSWORD) is None
    assert authenticate(engine, username=account.username, password=OTHER_PASSWORD) is not None
    with pytest.raises(AuthError, match="too short"):
        set_password(engine, username=account.username, password="short")
    with pytest.raises(UnknownAccount, match="no account named"):
        set_password(engine, username=unique_name("ghost"), password=OTHER_PASSWORD)


# --- demo accounts (private database: it must start with no accounts) ---------------------------

@pytest.fixture(scope="module")
def empty_engine(engine):
    name = f"oyna_auth_{uuid.uuid4().hex[:10]}"
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    private = make_engine(engine.url.set(database=name).render_as_string(hide_password=False))
    try:
        migrate(private)
        yield private
    finally:
        private.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))


def test_ensure_demo_accounts_only_once(empty_engine):
    with ThreadPoolExecutor(max_workers=3) as pool:  # several app processes starting together
        results = list(pool.map(lambda _: ensure_demo_accounts(empty_engine), range(3)))
    created = [r for r in results if r]
    assert len(created) == 1 and results.count({}) == 2
    passwords = created[0]
    assert set(passwords) == {"manager", "analyst"}
    for username, password in passwords.items():
        assert len(password) >= 14
        signed_in = authenticate(empty_engine, username=username, password=password)
        assert signed_in is not None and signed_in.role == username
    assert ensure_demo_accounts(empty_engine) == {}
    assert len(list_accounts(empty_engine)) == 2
