"""Signing in and out, throttling, deep links and the navigation, through app.py."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

import sqlalchemy as sa

from core.accounts import add_account, remove_account, sessions, set_role
from core.accounts.throttle import THROTTLE_AFTER, THROTTLE_BASE_SECONDS
from pages.ui.session import SESSION_KEY
from pages.ui.text import md
from tests.conftest import logs_forgotten
from tests.pages.support import APP, PASSWORD, charts, metric, ok, sign_in_form


@pytest.fixture(autouse=True)
def own_throttle(app_db):
    """Sign-ins under AppTest all come from one address (none): each test puts the throttle back."""
    with logs_forgotten(app_db):
        yield


def test_signed_out_shows_only_the_sign_in_form(app_client):
    at = app_client()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.metric and not charts(at)
    assert not at.sidebar.get("multiselect") and not at.sidebar.get("button")  # no filters, no sign-out


def test_wrong_password_is_refused_with_a_clear_message(app_client, accounts):
    at = sign_in_form(app_client(), accounts["manager"].username, "not-the-password-1")
    assert not at.exception
    assert [e.value for e in at.error] == ["Wrong username or password."]
    assert SESSION_KEY not in at.session_state
    assert not at.metric


def test_empty_form_asks_for_both_fields(app_client):
    at = sign_in_form(app_client(), "", "")
    assert [e.value for e in at.error] == ["Enter your username and password."]


def test_repeated_failures_are_throttled(app_client, app_db):
    name = f"app-throttle-{uuid.uuid4().hex[:8]}"
    add_account(app_db, username=name, role="analyst", password=PASSWORD)
    try:
        at = app_client()
        for _ in range(THROTTLE_AFTER):
            sign_in_form(at, name, "wrong-password-99")
        sign_in_form(at, name, PASSWORD)  # even the right password waits
        assert not at.exception
        found = re.fullmatch(r"Too many attempts, try again in (\d+) s\.", at.error[0].value)
        assert found and 1 <= int(found.group(1)) <= THROTTLE_BASE_SECONDS
    finally:
        remove_account(app_db, username=name)


def test_sign_in_then_sign_out(app_client, app_db, accounts):
    manager = accounts["manager"]
    at = ok(sign_in_form(app_client(), manager.username.upper(), PASSWORD))
    session_id = at.session_state[SESSION_KEY]
    assert sessions.resume(app_db, session_id=session_id).username == manager.username  # a real session
    assert metric(at, "Revenue today")  # lands on the Overview
    assert any(md(manager.username) in c.value for c in at.sidebar.get("caption"))
    at.button(key="sign_out").click()
    at.run()
    assert not at.exception
    assert SESSION_KEY not in at.session_state
    assert sessions.resume(app_db, session_id=session_id) is None  # ended on the server, not only in the tab
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.metric and not at.info  # no "your session has ended": this tab signed out itself


def test_a_removed_or_demoted_account_loses_access_on_its_next_run(app_client, app_db):
    name = f"app-revoke-{uuid.uuid4().hex[:8]}"
    manager = add_account(app_db, username=name, role="manager", password=PASSWORD)
    try:
        at = app_client(manager, "pages/models.py")
        assert "retrain" in button_keys(at) and "Activity" in nav_titles(at)
        set_role(app_db, username=name, role="analyst")
        ok(at.run())
        assert "retrain" not in button_keys(at) and "Activity" not in nav_titles(at)
        assert any("Analysts can see the models" in i.value for i in at.info)
        remove_account(app_db, username=name)
        at.run()
        assert not at.exception and [t.label for t in at.text_input] == ["Username", "Password"]
        assert "Your session has ended" in at.info[0].value
    finally:
        remove_account(app_db, username=name)


def test_a_session_ended_elsewhere_asks_to_sign_in_again(app_client, app_db, accounts):
    at = app_client(accounts["analyst"], "pages/forecast.py")
    other = sessions.start(app_db, accounts["analyst"])  # the same person on a phone
    sessions.sign_out_everywhere(app_db, sessions.resume(app_db, session_id=other.session_id))
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"] and not charts(at)
    assert "Your session has ended" in at.info[0].value


def test_the_idle_timeout_signs_out_an_unattended_tab(app_client, app_db, accounts):
    at = app_client(accounts["analyst"], "pages/forecast.py")
    with app_db.begin() as conn:
        conn.execute(sa.text("update app_sessions set last_seen_at = now() - interval '13 hours' where id = :i"),
                     {"i": at.session_state[SESSION_KEY]})
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]


@pytest.mark.parametrize("legacy", [False, True], ids=["navigation", "legacy-first-run"])
def test_a_deep_link_asks_to_sign_in_first_then_opens_the_page(app_client, accounts, legacy):
    # legacy: a fresh server process, where /forecast would run pages/forecast.py without app.py
    at = app_client(page="pages/forecast.py", legacy=legacy)
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]  # never the page itself
    assert not charts(at) and not at.slider
    app_client.leave_legacy_mode()  # the process has run app.py now
    ok(sign_in_form(at, accounts["analyst"].username, PASSWORD))
    assert at.slider(key="forecast_horizon")  # the Forecast page, as the address asked
    assert charts(at)


def test_navigation_lists_the_pages_whose_files_exist(app_client, accounts):
    at = app_client(accounts["analyst"])
    root = Path(APP).parent
    expected = [title for file, title in [("pages/overview.py", "Overview"), ("pages/customers.py", "Customers"),
                                          ("pages/customer.py", "Customer"), ("pages/campaigns.py", "Campaigns"),
                                          ("pages/forecast.py", "Forecast"),
                                          ("pages/utilization.py", "Utilization"), ("pages/whatif.py", "What-if"),
                                          ("pages/models.py", "Models"), ("pages/data.py", "Data")] if (root / file).is_file()]
    assert nav_titles(at) == expected + ["Account"]  # an analyst has no Activity or System page
    manager = app_client(accounts["manager"])
    system = ["System"] if (root / "pages/system.py").is_file() else []
    assert nav_titles(manager) == expected + ["Activity", *system, "Account"]


def button_keys(at) -> set[str]:
    return {b.key for b in at.button}


def nav_titles(at) -> list[str]:
    return [info.get("page_name") for info in at._registered_pages.values()]  # what st.navigation registered
