"""Roles and permissions, and masking of customers' contacts."""

from __future__ import annotations

import pandas as pd
import pytest

from core.accounts import (
    AuthError,
    PermissionDenied,
    Role,
    add_account,
    can,
    mask_contacts,
    mask_email,
    mask_phone,
    require,
)
from tests.accounts.support import PASSWORD


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
