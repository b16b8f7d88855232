"""Roles and permissions, club scope, and what analysts see of a customer."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from core.accounts import (
    CHAIN_PERMISSIONS,
    AuthError,
    PermissionDenied,
    Role,
    add_account,
    can,
    mask_customers,
    require,
    scope,
    sees_contacts,
    short_name,
)
from core.i18n import use_locale
from tests.accounts.support import PASSWORD
from tests.conftest import viewer_of


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


def test_scoped_managers_may_not_act_on_the_whole_chain(engine, demo, names):
    scoped = add_account(engine, username=names("s"), role="manager", password=PASSWORD, club_ids=[1])
    assert scoped.club_ids == (1,) and not scoped.whole_chain
    assert can(scoped, "view") and can(scoped, "see_contacts") and can(scoped, "view_activity")
    for permission in CHAIN_PERMISSIONS:
        assert not can(scoped, permission)
    with pytest.raises(PermissionDenied, match="some clubs only"):
        require(scoped, "retrain")


def test_scope_keeps_only_the_accounts_clubs(chain_viewer):
    assert scope.clubs(chain_viewer, [3, 1, 3, 2]) == [3, 1, 2]        # the whole chain: the choice as it is
    assert scope.clubs(viewer_of([1, 2]), [3, 2, 1]) == [2, 1]
    assert scope.clubs(viewer_of([]), [1, 2]) == []                    # no clubs: nothing (fails closed)
    assert scope.clubs(None, [1, 2]) == []
    assert scope.allows_all(viewer_of([1, 2]), [2]) and not scope.allows_all(viewer_of([1]), [1, 2])
    with pytest.raises(PermissionDenied):                               # a role name is not a signed-in account
        scope.clubs("manager", [1])


@pytest.mark.parametrize("full, short", [
    ("Айгерим Алиева", "Айгерим А."),
    ("Данияр Омаров Серикович", "Данияр О."),
    ("Cher", "Cher"),
    ("", ""),
    (None, None),
    # a name field that holds a contact (people type their own at a club's counter)
    ("+77011234567", "Customer #42"),
    ("87011234567", "Customer #42"),
    ("8(701)123-45-67", "Customer #42"),
    ("aigerim@mail.kz", "Customer #42"),
    ("gamer12345", "Customer #42"),
    ("+7 701 123 45 67", "Customer #42"),            # the first word alone: a phone's characters and a digit
    ("aigerim@mail.kz Алиева", "Customer #42"),
    ("87011234567 Айгерим", "Customer #42"),
    ("Айгерим +77011234567", "Айгерим"),              # no initial from a second word that is a contact
    ("Айгерим a@b.kz", "Айгерим"),
    # ordinary names and nicknames stay as they were
    ("Ninja_2009", "Ninja_2009"),
    ("R2D2 Skywalker", "R2D2 S."),
    ("Анна-Мария Иванова", "Анна-Мария И."),
    ("1234", "Customer #42"),
    ("Agent 007", "Agent"),
])
def test_short_name(full, short):
    assert short_name(full, 42) == short


def test_a_contact_in_the_name_without_a_customer_number_is_dots():
    assert short_name("+77011234567") == short_name("a@b.kz", None) == "•••"


def test_the_customer_number_is_said_in_the_language_of_the_page():
    with use_locale("ru"):
        assert short_name("+77011234567", 7) == "Клиент №7"


def test_masking_of_customers_by_the_accounts_role(chain_viewer):
    df = pd.DataFrame({
        "full_name": ["Айгерим Алиева", "Данияр Омаров"],
        "email": ["aigerim.alieva5@mail.kz", None],
        "phone": ["+7 701 234 56 78", float("nan")],
        "Customer_Email": ["d.omarov@gmail.com", "x@y.kz"],
        "visits": [3, 5],
    })
    original = df.copy()
    analyst = replace(chain_viewer, role=Role.ANALYST)
    for who in (analyst, None):
        masked = mask_customers(df, who)
        assert list(masked.columns) == ["full_name", "visits"]          # no e-mail, no phone, in any column
        assert masked.full_name.tolist() == ["Айгерим А.", "Данияр О."]
        assert not sees_contacts(who)
    pd.testing.assert_frame_equal(df, original)  # the input is left alone
    full = mask_customers(df, chain_viewer)
    pd.testing.assert_frame_equal(full, original)
    assert full is not df and sees_contacts(chain_viewer)
    assert not sees_contacts("manager")           # a role string is never trusted
