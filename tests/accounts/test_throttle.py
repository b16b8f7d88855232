"""Sign-in throttling by name and by address: the same for unknown and known names, an exponential back-off
with a cap, forgotten after a while, shared by every app process; no pooled connection held while hashing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from core.accounts import AuthError, SignInThrottled, authenticate, set_password, store, throttle
from core.accounts.throttle import (
    ADDRESS_AFTER,
    THROTTLE_AFTER,
    THROTTLE_BASE_SECONDS,
    THROTTLE_CAP_SECONDS,
    name_key,
)
from core.platform.db import make_engine
from tests.accounts.support import OTHER_PASSWORD, PASSWORD, unique_name

WRONG = "wrong password!"


def fail(engine, name: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        assert authenticate(engine, username=name, password=WRONG, address=address) is None


def throttle_row(engine, key: str):
    with engine.connect() as conn:
        return conn.execute(sa.text("select failures, extract(epoch from locked_until - now()) as wait "
                                    "from sign_in_throttle where key = :k"), {"k": key}).first()


def expire(engine, key: str) -> None:
    """Pretend the lock's time has passed (instead of sleeping through it)."""
    with engine.begin() as conn:
        conn.execute(sa.text("update sign_in_throttle set locked_until = now() - interval '1 second' "
                             "where key = :k and locked_until is not null"), {"k": key})


def test_unknown_and_known_names_are_throttled_alike(engine, account):
    ghost = unique_name("ghost")
    outcomes = {}
    for name, address in ((account.username, "10.1.0.1"), (ghost, "10.1.0.2")):
        fail(engine, name, address, THROTTLE_AFTER)
        with pytest.raises(SignInThrottled) as info:
            authenticate(engine, username=name, password=PASSWORD, address=address)
        row = throttle_row(engine, name_key(name))
        outcomes[name] = (row.failures, info.value.seconds)
    assert outcomes[account.username] == outcomes[ghost] == (THROTTLE_AFTER, THROTTLE_BASE_SECONDS)
    with engine.connect() as conn:  # the throttle keeps hashes of names, never a name
        keys = conn.execute(sa.text("select key from sign_in_throttle")).scalars().all()
    assert not any(ghost in k or account.username in k for k in keys)


def test_back_off_doubles_up_to_the_cap(engine, account):
    name, key = account.username, name_key(account.username)
    fail(engine, name, "10.2.0.1", THROTTLE_AFTER)
    waits = []
    for i in range(10):
        waits.append(throttle_row(engine, key).wait)
        expire(engine, key)
        fail(engine, name, f"10.2.1.{i}")  # new addresses: only the name's throttle is at work
    assert THROTTLE_BASE_SECONDS - 1 < waits[0] <= THROTTLE_BASE_SECONDS
    assert 2 * THROTTLE_BASE_SECONDS - 1 < waits[1] <= 2 * THROTTLE_BASE_SECONDS
    assert 4 * THROTTLE_BASE_SECONDS - 1 < waits[2] <= 4 * THROTTLE_BASE_SECONDS
    assert THROTTLE_CAP_SECONDS - 5 < throttle_row(engine, key).wait <= THROTTLE_CAP_SECONDS  # capped


def test_occasional_failures_are_forgotten(engine, account):
    """One wrong password now and then never adds up to a lockout of the real person."""
    key = name_key(account.username)
    for i in range(THROTTLE_AFTER * 2):
        fail(engine, account.username, f"10.3.0.{i}")
        with engine.begin() as conn:  # the next try comes after the throttle's memory has passed
            conn.execute(sa.text("update sign_in_throttle set last_failure_at = last_failure_at - "
                                 "make_interval(secs => :s) where key = :k"),
                         {"s": throttle.THROTTLE_MEMORY_SECONDS + 1, "k": key})
    assert throttle_row(engine, key).failures == 1 and throttle_row(engine, key).wait is None
    assert authenticate(engine, username=account.username, password=PASSWORD, address="10.3.1.1") is not None


def test_success_resets_the_name_and_refunds_the_address(engine, account):
    address = "10.4.0.1"
    for _ in range(ADDRESS_AFTER - 1):
        fail(engine, unique_name("other"), address)
    assert authenticate(engine, username=account.username, password=PASSWORD, address=address) is not None
    assert throttle_row(engine, name_key(account.username)) is None
    row = throttle_row(engine, throttle.address_key(address))
    assert row.failures == ADDRESS_AFTER - 1 and row.wait is None  # the successful attempt is not counted


def test_one_address_guessing_many_names_is_throttled(engine, account):
    attacker = "10.5.0.66"
    for _ in range(ADDRESS_AFTER):
        fail(engine, unique_name("guess"), attacker)
    with pytest.raises(SignInThrottled):  # even a real name with the right password, from there
        authenticate(engine, username=account.username, password=PASSWORD, address=attacker)
    assert authenticate(engine, username=account.username, password=PASSWORD, address="10.5.0.7") is not None


def test_concurrent_attempts_are_all_counted(engine, account):
    """Parallel guesses (as from several app processes) cannot slip past the limit."""
    def attempt(i):
        try:
            return authenticate(engine, username=account.username, password=WRONG, address=f"10.6.0.{i}")
        except SignInThrottled:
            return "throttled"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(THROTTLE_AFTER + 3)))
    assert outcomes.count(None) == THROTTLE_AFTER and outcomes.count("throttled") == 3
    assert throttle_row(engine, name_key(account.username)).failures == THROTTLE_AFTER


def test_throttle_state_is_shared_between_processes(engine, db_url, account):
    other_process = make_engine(db_url)
    try:
        fail(engine, account.username, "10.7.0.1", THROTTLE_AFTER)
        with pytest.raises(SignInThrottled) as info:
            authenticate(other_process, username=account.username, password=PASSWORD, address="10.7.0.2")
        assert isinstance(info.value, AuthError) and "try again in" in str(info.value)
    finally:
        other_process.dispose()


def test_set_password_unlocks(engine, account):
    fail(engine, account.username, "10.8.0.1", THROTTLE_AFTER)
    set_password(engine, username=account.username, password=OTHER_PASSWORD)
    assert authenticate(engine, username=account.username, password=OTHER_PASSWORD, address="10.8.0.2") is not None


def test_no_pooled_connection_is_held_while_hashing(db_url, account, monkeypatch):
    small = make_engine(db_url)
    seen: list[int] = []
    real = store.verify_password

    def watched(password, stored):
        seen.append(small.pool.checkedout())
        return real(password, stored)

    monkeypatch.setattr(store, "verify_password", watched)
    try:
        assert authenticate(small, username=account.username, password=PASSWORD, address="10.9.0.1") is not None
        assert authenticate(small, username=unique_name("ghost"), password=PASSWORD, address="10.9.0.1") is None
    finally:
        small.dispose()
    assert seen == [0, 0]
