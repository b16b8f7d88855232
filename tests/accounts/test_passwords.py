"""Password hashes (scrypt), their checks, the bound on hashes at once, upgrades, and generated passwords.

The session runs at a cheaper cost (tests/conftest.py); the tests marked `real_cost` put OWASP's back."""

from __future__ import annotations

import threading
import time

import pytest

from core.accounts import authenticate, passwords
from core.accounts.passwords import (
    HASH_SLOTS,
    PASSWORD_ALPHABET,
    HashingBusy,
    generate_password,
    hash_password,
    hashing,
    needs_rehash,
    validate_password,
    verify_password,
)
from tests.accounts.support import PASSWORD, row_of


@pytest.fixture
def real_cost(monkeypatch, cheaper_hashes):
    monkeypatch.setattr(passwords, "SCRYPT_N", cheaper_hashes)
    return cheaper_hashes


def test_the_cost_is_owasps_recommendation(real_cost):
    assert (real_cost, passwords.SCRYPT_R, passwords.SCRYPT_P) == (2**17, 8, 1)
    stored = hash_password(PASSWORD)
    assert stored.startswith("scrypt$131072$8$1$")
    assert verify_password(PASSWORD, stored) and not needs_rehash(stored)


def test_an_old_hash_is_upgraded_at_sign_in(engine, account, real_cost):
    before = row_of(engine, account.username).password_hash      # made at the session's cheaper cost
    assert before.startswith("scrypt$16384$") and needs_rehash(before)
    assert authenticate(engine, username=account.username, password=PASSWORD, address="10.9.9.1") is not None
    after = row_of(engine, account.username).password_hash
    assert after.startswith("scrypt$131072$8$1$") and verify_password(PASSWORD, after)
    assert authenticate(engine, username=account.username, password="wrong password!", address="10.9.9.1") is None
    assert row_of(engine, account.username).password_hash == after  # a failure changes nothing


def test_at_most_hash_slots_hashes_run_at_once(monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()
    real = passwords.hashlib.scrypt

    def counted(*args, **kwargs):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(passwords.hashlib, "scrypt", counted)
    threads = [threading.Thread(target=hash_password, args=(PASSWORD,)) for _ in range(HASH_SLOTS * 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == HASH_SLOTS


def test_a_hash_that_waits_too_long_is_turned_away():
    for _ in range(HASH_SLOTS):  # every slot taken, as by a flood of sign-ins
        assert passwords._slots.acquire(timeout=5)
    try:
        with pytest.raises(HashingBusy, match="busy"):
            with hashing(wait=0.05):
                pass
    finally:
        for _ in range(HASH_SLOTS):
            passwords._slots.release()
    with hashing(wait=0):
        pass  # free again


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
                   good.replace("$16384$", "$4194304$"), good.replace("$16384$", "$2097152$"), good.rsplit("$", 1)[0] + "$!!!"]:
        assert not verify_password(PASSWORD, stored)


def test_unicode_passwords_are_normalised():
    stored = hash_password("café-au-lait-9")          # composed é
    assert verify_password("cafe\u0301-au-lait-9", stored)  # e + combining accent


def test_generate_password():
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) >= 14
        assert set(password) <= set(PASSWORD_ALPHABET + "-")
        validate_password(password)
