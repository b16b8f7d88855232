"""Accounts, password hashes, sign-in throttling, roles and masking, against the session's PostgreSQL.

The database is shared by the whole session, so every test uses its own usernames and removes them
and the sign-in log rows it wrote; the demo-account test gets a private database, because it needs a table with no accounts at all.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
import sqlalchemy as sa

from core.accounts import (
    Account,
    AuthError,
    PermissionDenied,
    Role,
    SignInThrottled,
    UnknownAccount,
    add_account,
    authenticate,
    can,
    ensure_demo_accounts,
    list_accounts,
    mask_contacts,
    mask_email,
    mask_phone,
    remove_account,
    require,
    set_password,
)
from core.accounts import store
from core.accounts.passwords import (
    PASSWORD_ALPHABET,
    dummy_hash,
    generate_password,
    hash_password,
    validate_password,
    verify_password,
)
from core.cli import users as user_command
from core.platform.db import make_engine
from core.platform.migrate import migrate
from core.platform.settings import PROJECT_ROOT

PASSWORD = "Steppe-wind-42!"
OTHER_PASSWORD = "Another long one 7"


# --- helpers ------------------------------------------------------------------------------------

def unique_name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(autouse=True)
def forget_sign_ins(engine):
    """The sign-in log rows a test writes are deleted after it (accounts are removed by `names`)."""
    with engine.connect() as conn:
        before = conn.execute(sa.text("select coalesce(max(id), 0) from sign_in_log")).scalar_one()
    yield
    with engine.begin() as conn:
        conn.execute(sa.text("delete from sign_in_log where id > :before"), {"before": before})


@pytest.fixture
def names(engine):
    """Hands out unique usernames and removes whatever accounts they name after the test."""
    made: list[str] = []

    def make(prefix: str = "t") -> str:
        made.append(unique_name(prefix))
        return made[-1]

    yield make
    for name in made:
        remove_account(engine, username=name)


@pytest.fixture
def account(engine, names) -> Account:
    return add_account(engine, username=names(), role="analyst", password=PASSWORD)


def row_of(engine, username: str):
    with engine.connect() as conn:
        return conn.execute(sa.text("select * from app_accounts where username = :u"), {"u": username}).one()


def expire_lock(engine, username: str) -> None:
    """Pretend the lock's time has passed (instead of sleeping through it)."""
    with engine.begin() as conn:
        conn.execute(sa.text("update app_accounts set locked_until = now() - interval '1 second' "
                             "where username = :u and locked_until is not null"), {"u": username})


def lock_seconds(engine, username: str) -> float:
    with engine.connect() as conn:
        return conn.execute(sa.text("select extract(epoch from locked_until - now()) from app_accounts "
                                    "where username = :u"), {"u": username}).scalar_one()


# --- hashing ------------------------------------------------------------------------------------

def test_hash_is_salted_self_describing_and_verifies():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first != second
    scheme, n, r, p, salt, key = first.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert first.split("$")[4] != second.split("$")[4]
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "x", first)
    assert PASSWORD not in first


def test_malformed_or_hostile_hashes_never_verify():
    good = hash_password(PASSWORD)
    for stored in ["", "plain", good.replace("scrypt", "md5"), "scrypt$3$8$1$AAAA$AAAA",
                   good.replace("$16384$", "$4194304$"), good.rsplit("$", 1)[0] + "$!!!"]:
        assert not verify_password(PASSWORD, stored)


def test_unicode_passwords_are_normalised():
    stored = hash_password("café-au-lait-9")          # composed é
    assert verify_password("cafe\u0301-au-lait-9", stored)  # e + combining accent


# --- accounts -----------------------------------------------------------------------------------

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


def test_generate_password():
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) >= 14
        assert set(password) <= set(PASSWORD_ALPHABET + "-")
        validate_password(password)


# --- throttling ---------------------------------------------------------------------------------

def test_throttling_after_three_failures_backs_off_and_success_resets(engine, account):
    name = account.username
    for _ in range(3):
        assert authenticate(engine, username=name, password="wrong password!") is None
    assert 3 < lock_seconds(engine, name) <= 5
    # refused even with the right password while locked, and the password is not checked
    with pytest.raises(SignInThrottled) as info:
        authenticate(engine, username=name, password=PASSWORD)
    assert 1 <= info.value.seconds <= 5 and "try again in" in str(info.value)
    assert isinstance(info.value, AuthError) and isinstance(info.value, ValueError)
    assert row_of(engine, name).failed_attempts == 3  # refused attempts are not counted

    expire_lock(engine, name)
    assert authenticate(engine, username=name, password="wrong password!") is None
    assert 8 < lock_seconds(engine, name) <= 10  # 5 s doubled
    expire_lock(engine, name)
    assert authenticate(engine, username=name, password="wrong password!") is None
    assert 18 < lock_seconds(engine, name) <= 20

    expire_lock(engine, name)
    signed_in = authenticate(engine, username=name, password=PASSWORD)
    assert signed_in is not None and signed_in.failed_attempts == 0 and signed_in.locked_until is None
    assert authenticate(engine, username=name, password="wrong password!") is None
    assert row_of(engine, name).locked_until is None  # counting starts again from zero


def test_success_before_the_limit_resets_the_count(engine, account):
    name = account.username
    for _ in range(2):
        authenticate(engine, username=name, password="wrong password!")
    assert authenticate(engine, username=name, password=PASSWORD) is not None
    for _ in range(2):
        assert authenticate(engine, username=name, password="wrong password!") is None
    assert authenticate(engine, username=name, password=PASSWORD) is not None


def test_backoff_is_capped_at_fifteen_minutes(engine, account):
    with engine.begin() as conn:
        conn.execute(sa.text("update app_accounts set failed_attempts = 500 where id = :i"), {"i": account.id})
    assert authenticate(engine, username=account.username, password="wrong password!") is None
    assert 890 < lock_seconds(engine, account.username) <= 900


def test_concurrent_attempts_are_counted_one_by_one(engine, account):
    """Parallel guesses (as from several app processes) cannot slip past the limit."""
    def attempt(_):
        try:
            return authenticate(engine, username=account.username, password="wrong password!")
        except SignInThrottled:
            return "throttled"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    assert outcomes.count(None) == 3 and outcomes.count("throttled") == 3
    assert row_of(engine, account.username).failed_attempts == 3


def test_throttle_state_is_shared_between_processes(engine, db_url, account):
    other_process = make_engine(db_url)
    try:
        for _ in range(3):
            authenticate(engine, username=account.username, password="wrong password!")
        with pytest.raises(SignInThrottled):
            authenticate(other_process, username=account.username, password=PASSWORD)
    finally:
        other_process.dispose()


def test_set_password_unlocks(engine, account):
    for _ in range(3):
        authenticate(engine, username=account.username, password="wrong password!")
    set_password(engine, username=account.username, password=OTHER_PASSWORD)
    assert authenticate(engine, username=account.username, password=OTHER_PASSWORD) is not None


# --- roles and masking --------------------------------------------------------------------------

def test_permissions():
    for permission in ("view", "retrain", "manage_models", "see_contacts", "manage_accounts"):
        assert can(Role.MANAGER, permission) and can("manager", permission)
    assert can("analyst", "view")
    for permission in ("retrain", "manage_models", "see_contacts", "manage_accounts"):
        assert not can(Role.ANALYST, permission)
        assert not can(None, permission)
    with pytest.raises(AuthError, match="unknown permission"):
        can("manager", "retrian")
    with pytest.raises(AuthError, match="role must be"):
        can("superuser", "view")


def test_require(engine, names):
    manager = add_account(engine, username=names("m"), role="manager", password=PASSWORD)
    analyst = add_account(engine, username=names("a"), role="analyst", password=PASSWORD)
    assert require(manager, "retrain") is manager and manager.can("manage_models")
    assert require(analyst, "view") is analyst
    with pytest.raises(PermissionDenied, match="may not retrain models"):
        require(analyst, "retrain")
    with pytest.raises(PermissionDenied, match="sign in"):
        require(None, "view")
    with pytest.raises(AuthError, match="unknown permission"):
        require(manager, "launch_rockets")


@pytest.mark.parametrize("email, masked", [
    ("aigerim.alieva5@mail.kz", "a***@mail.kz"),
    ("x@gmail.com", "x***@gmail.com"),
    ("@odd.kz", "***@odd.kz"),
    ("no-at-sign", "***"),
    ("", ""),
    (None, None),
])
def test_mask_email(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize("phone, masked", [
    ("+7 701 234 56 78", "+7 *** *** ** 78"),
    ("+77012345678", "+7********78"),
    ("8 (701) 234-56-78", "* (***) ***-**-78"),
    ("+996 555 123 456", "+996 *** *** *56"),
    ("12", "**"),
    ("n/a", "***"),
    (None, None),
])
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


def test_mask_contacts_by_role(engine, account):
    df = pd.DataFrame({
        "full_name": ["Айгерим Алиева", "Данияр Омаров"],
        "email": ["aigerim.alieva5@mail.kz", None],
        "phone": ["+7 701 234 56 78", float("nan")],
        "Customer_Email": ["d.omarov@gmail.com", "x@y.kz"],
        "visits": [3, 5],
    })
    original = df.copy()
    masked = mask_contacts(df, "analyst")
    assert masked["email"].iloc[0] == "a***@mail.kz" and pd.isna(masked["email"].iloc[1])
    assert masked["phone"].iloc[0] == "+7 *** *** ** 78" and pd.isna(masked["phone"].iloc[1])
    assert masked["Customer_Email"].tolist() == ["d***@gmail.com", "x***@y.kz"]
    assert masked["full_name"].equals(df["full_name"]) and masked["visits"].equals(df["visits"])
    pd.testing.assert_frame_equal(df, original)  # the input is left alone
    assert mask_contacts(df, account)["email"].iloc[0] == "a***@mail.kz"  # an analyst's Account
    assert mask_contacts(df, None)["email"].iloc[0] == "a***@mail.kz"     # nobody signed in
    full = mask_contacts(df, Role.MANAGER)
    pd.testing.assert_frame_equal(full, original)
    assert full is not df


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


# --- the `oyna user` command --------------------------------------------------------------------

def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="oyna")
    user_command.add_parsers(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["user", *argv])


def run(engine, capsys, *argv: str, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = user_command.run(parse(*argv), engine=engine)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_add_generates_and_prints_the_password_once(engine, names, capsys):
    name = names("cli")
    code, out, err = run(engine, capsys, "add", name.upper(), "--role", "Manager")
    assert code == 0 and err == ""
    assert f"added manager account '{name}'" in out
    shown = [line for line in out.splitlines() if line.startswith("password")]
    assert len(shown) == 1
    password = shown[0].rsplit(" ", 1)[1]
    assert authenticate(engine, username=name, password=password).role is Role.MANAGER

    code, out, err = run(engine, capsys, "list")
    assert code == 0 and name in out and password not in out and "scrypt$" not in out


def test_cli_password_stdin(engine, names, capsys, monkeypatch):
    name = names("cli")
    code, out, err = run(engine, capsys, "add", name, "--role", "analyst", "--password-stdin",
                         stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    assert code == 0 and PASSWORD not in out and "password" not in out.lower().replace(name, "")
    assert authenticate(engine, username=name, password=PASSWORD) is not None

    code, out, err = run(engine, capsys, "passwd", name, "--password-stdin",
                         stdin=OTHER_PASSWORD + "\r\n", monkeypatch=monkeypatch)
    assert code == 0 and f"new password set for '{name}'" in out and OTHER_PASSWORD not in out
    assert authenticate(engine, username=name, password=OTHER_PASSWORD) is not None

    code, out, err = run(engine, capsys, "passwd", name)
    generated = out.strip().splitlines()[-1].rsplit(" ", 1)[1]
    assert code == 0 and authenticate(engine, username=name, password=generated) is not None


def test_cli_errors_are_one_line_and_never_show_the_password(engine, names, capsys, monkeypatch):
    name = names("cli")
    run(engine, capsys, "add", name, "--role", "analyst")
    cases = [
        (("add", name, "--role", "manager"), None, 2, "already exists"),
        (("add", names("cli"), "--role", "manager", "--password-stdin"), "tooshort\n", 2, "too short"),
        (("add", names("cli"), "--role", "manager", "--password-stdin"), "", 2, "no password on standard input"),
        (("add", "x", "--role", "manager"), None, 2, "username"),
        (("passwd", unique_name("ghost"), "--password-stdin"), PASSWORD + "\n", 1, "no account named"),
        (("remove", unique_name("ghost")), None, 1, "no account named"),
    ]
    for argv, stdin, expected_code, message in cases:
        code, out, err = run(engine, capsys, *argv, stdin=stdin, monkeypatch=monkeypatch)
        assert code == expected_code, (argv, err)
        assert message in err and err.startswith("oyna: ") and err.count("\n") == 1
        assert "Traceback" not in err and "tooshort" not in err and PASSWORD not in err


def test_cli_remove(engine, names, capsys):
    name = names("cli")
    add_account(engine, username=name, role="analyst", password=PASSWORD)
    code, out, _ = run(engine, capsys, "remove", name)
    assert code == 0 and f"removed account '{name}'" in out
    assert name not in {a.username for a in list_accounts(engine)}


def test_cli_parser_rejects_a_bad_role(capsys):
    with pytest.raises(SystemExit) as info:
        parse("add", "someone", "--role", "admin")
    assert info.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_cli_finds_the_database_from_settings(oyna_home, db_url, capsys, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("OYNA_HOME", str(oyna_home))
    assert user_command.run(parse("list")) == 0
    assert capsys.readouterr().err == ""


def test_oyna_user_end_to_end(cli_env, engine):
    name = unique_name("proc")

    def oyna(*args, stdin=None):
        return subprocess.run([sys.executable, "-m", "core.cli", "user", *args], cwd=PROJECT_ROOT, env=cli_env,
                              capture_output=True, text=True, input=stdin, timeout=120)

    try:
        added = oyna("add", name, "--role", "analyst", "--password-stdin", stdin=PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
        assert authenticate(engine, username=name, password=PASSWORD) is not None
        listed = oyna("list")
        assert listed.returncode == 0 and name in listed.stdout
        duplicate = oyna("add", name, "--role", "analyst")
        assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
        assert "Traceback" not in duplicate.stderr
        removed = oyna("remove", name)
        assert removed.returncode == 0 and oyna("remove", name).returncode == 1
    finally:
        remove_account(engine, username=name)
