"""The Account page through AppTest: change one's password, sign out everywhere, and a manager ending
someone else's session."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from core.accounts import add_account, authenticate, remove_account, sessions
from core.system import service as alerts
from pages.ui.session import SESSION_KEY
from tests.conftest import logs_forgotten
from tests.pages.support import PASSWORD, ok

PAGE = "pages/account.py"
NEW_PASSWORD = "granite-lynx-4096"


@pytest.fixture
def person(app_db):
    name = f"acct-{uuid.uuid4().hex[:8]}"
    with logs_forgotten(app_db):
        yield add_account(app_db, username=name, role="analyst", password=PASSWORD)
        remove_account(app_db, username=name)


def change(at, current: str, new: str, repeat: str):
    at.text_input(key="pw_current").input(current)
    at.text_input(key="pw_new").input(new)
    at.text_input(key="pw_repeat").input(repeat)
    next(b for b in at.button if b.label == "Change password").click()
    return at.run()


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_tab(app_client, app_db, person):
    phone = sessions.start(app_db, person)
    at = app_client(person, PAGE)
    assert len(at.dataframe[0].value) == 2  # this tab and the phone
    change(at, "not my password", NEW_PASSWORD, NEW_PASSWORD)
    assert "current password is not right" in at.error[0].value
    change(at, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert "differ" in at.error[0].value
    before = at.session_state[SESSION_KEY]
    ok(change(at, PASSWORD, NEW_PASSWORD, NEW_PASSWORD))
    assert "Your password is changed" in at.success[0].value
    assert sessions.resume(app_db, session_id=phone.session_id) is None
    assert sessions.resume(app_db, session_id=before) is None
    assert sessions.resume(app_db, session_id=at.session_state[SESSION_KEY]) is not None  # a new one for this tab
    ok(at.run())
    assert [t.label for t in at.text_input][:1] == ["Current password"]  # still signed in
    assert authenticate(app_db, username=person.username, password=NEW_PASSWORD) is not None


def test_sign_out_everywhere(app_client, app_db, person):
    at = app_client(person, PAGE)
    phone = sessions.start(app_db, person)
    at.button(key="sign_out_everywhere").click()
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert sessions.resume(app_db, session_id=phone.session_id) is None


def test_a_manager_ends_someone_elses_session(app_client, app_db, accounts, person):
    theirs = app_client(person, "pages/forecast.py")
    at = app_client(accounts["manager"], PAGE)
    everyone = at.dataframe[-1].value
    assert person.username in set(everyone["username"])
    pick = at.selectbox(key="end_session_pick")
    assert any(label.startswith(person.username + " · ") for label in pick.options)
    pick.set_value(theirs.session_state[SESSION_KEY])
    at.button(key="end_session").click()
    ok(at.run())
    theirs.run()
    assert [t.label for t in theirs.text_input] == ["Username", "Password"]
    analyst_view = app_client(accounts["analyst"], PAGE)
    assert "end_session_pick" not in {s.key for s in analyst_view.selectbox}  # analysts see their own only



@pytest.fixture
def club_manager(app_db):
    """A manager of one club, who has no System page: (account, its club's id, its club's name)."""
    with app_db.connect() as conn:
        club, name = conn.execute(sa.text("select id, name from clubs order by id limit 1")).one()
    username = f"club-mgr-{uuid.uuid4().hex[:8]}"
    with logs_forgotten(app_db):
        account = add_account(app_db, username=username, role="manager", password=PASSWORD, club_ids=[club])
        yield account, club, name
        with app_db.begin() as conn:
            conn.execute(sa.text("delete from alert_channels where account_id = :a"), {"a": account.id})
        remove_account(app_db, username=username)


def test_a_manager_of_one_club_chooses_where_alerts_go_on_the_account_page(app_client, app_db, club_manager):
    account, club, name = club_manager
    at = app_client(account, PAGE)
    assert "Alerts" in [h.value for h in at.subheader]
    at.text_input(key="channel_name").input("Club inbox")
    at.selectbox(key="channel_kind").set_value("email")
    at.text_input(key="channel_target").input("club@example.kz")
    at.button(key="FormSubmitter:channel_add-Add the channel").click()
    ok(at.run())
    assert at.multiselect(key="sub_clubs").options == [name]  # only the account's own club
    at.multiselect(key="sub_clubs").set_value([club])
    at.button(key="FormSubmitter:sub_add-Subscribe").click()
    ok(at.run())
    subs = alerts.subscriptions_of(app_db, account=account)
    assert list(subs.channel) == ["Club inbox"] and list(subs.clubs) == [name]


def test_the_alert_settings_are_for_managers_without_a_system_page(app_client, accounts, person):
    for who in (person, accounts["manager"]):  # an analyst; a manager of the whole chain (System page)
        at = app_client(who, PAGE)
        assert "Alerts" not in [h.value for h in at.subheader]
        assert "channel_name" not in [t.key for t in at.text_input]
