"""Sign-in throttling: the back-off after failures in a row, shared by every app process."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from core.accounts import AuthError, SignInThrottled, authenticate, set_password
from core.platform.db import make_engine
from tests.accounts.support import OTHER_PASSWORD, PASSWORD, row_of


def expire_lock(engine, username: str) -> None:
    """Pretend the lock's time has passed (instead of sleeping through it)."""
    with engine.begin() as conn:
        conn.execute(sa.text("update app_accounts set locked_until = now() - interval '1 second' "
                             "where username = :u and locked_until is not null"), {"u": username})


def lock_seconds(engine, username: str) -> float:
    with engine.connect() as conn:
        return conn.execute(sa.text("select extract(epoch from locked_until - now()) from app_accounts "
                                    "where username = :u"), {"u": username}).scalar_one()


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
