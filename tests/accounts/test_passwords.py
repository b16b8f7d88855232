"""Password hashes (scrypt), their checks, and generated passwords."""

from __future__ import annotations

from core.accounts.passwords import (
    PASSWORD_ALPHABET,
    generate_password,
    hash_password,
    validate_password,
    verify_password,
)
from tests.accounts.support import PASSWORD


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


def test_generate_password():
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        assert len(password) >= 14
        assert set(password) <= set(PASSWORD_ALPHABET + "-")
        validate_password(password)
