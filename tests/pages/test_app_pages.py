"""The app through Streamlit's AppTest: sign-in, routing, and the Overview, Forecast and Utilization pages,
against the session's tier-S database (DATABASE_URL points the app at it)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest, app_test

from core.accounts import Account, add_account, remove_account
from core.accounts.throttle import THROTTLE_AFTER, THROTTLE_BASE_SECONDS
from core.overview import kpis as kpi
from core.platform.db import query_df
from tests.browser.support import insert_walk_ins

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "plasma-otter-2741"
TIMEOUT = 120
MY_PAGES = {"overview": "pages/overview.py", "forecast": "pages/forecast.py", "utilization": "pages/utilization.py"}


@pytest.fixture(scope="module")
def app_db(db_url, engine, demo):
    """The app's DATABASE_URL for this module, with fresh Streamlit caches before and after."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DATABASE_URL", db_url)
    _clear_caches()
    yield engine
    _clear_caches()
    mp.undo()


@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch):
    """Run every AppTest run through app.py, as a served app does after its first run.

    Next to a pages/ folder Streamlit starts in its legacy multipage mode until st.navigation runs
    once; AppTest starts every run that way, which would run a page file directly and lose a click
    (pages.common.ensure_entrypoint reruns through app.py). test_legacy_first_run covers that mode.
    """
    monkeypatch.setattr(app_test, "PagesManager", AfterFirstRun)


class AfterFirstRun(PagesManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def accounts(app_db):
    """A manager and an analyst with unique names (removed afterwards)."""
    suffix = uuid.uuid4().hex[:8]
    made = {role: add_account(app_db, username=f"app-{role}-{suffix}", role=role, password=PASSWORD)
            for role in ("manager", "analyst")}
    yield made
    for account in made.values():
        remove_account(app_db, username=account.username)


def new_app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def signed_in(account: Account, page: str | None = None) -> AppTest:
    at = new_app()
    at.session_state["account"] = account
    if page:
        at.switch_page(page)
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def charts(at: AppTest) -> list:
    return list(at.get("plotly_chart"))


def sign_in_form(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="signin_username").input(username)
    at.text_input(key="signin_password").input(password)
    at.button[0].click()  # the form's only button: "Sign in"
    return at.run()


# ---------------------------------------------------------------- sign-in and routing


def test_signed_out_shows_only_the_sign_in_form(app_db):
    at = new_app().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.metric and not charts(at)
    assert not at.sidebar.get("multiselect") and not at.sidebar.get("button")  # no filters, no sign-out


def test_wrong_password_is_refused_with_a_clear_message(accounts):
    at = sign_in_form(new_app().run(), accounts["manager"].username, "not-the-password-1")
    assert not at.exception
    assert [e.value for e in at.error] == ["Wrong username or password."]
    assert "account" not in at.session_state
    assert not at.metric


def test_empty_form_asks_for_both_fields(app_db):
    at = sign_in_form(new_app().run(), "", "")
    assert [e.value for e in at.error] == ["Enter your username and password."]


def test_repeated_failures_are_throttled(app_db):
    name = f"app-throttle-{uuid.uuid4().hex[:8]}"
    add_account(app_db, username=name, role="analyst", password=PASSWORD)
    try:
        at = new_app().run()
        for _ in range(THROTTLE_AFTER):
            sign_in_form(at, name, "wrong-password-99")
        sign_in_form(at, name, PASSWORD)  # even the right password waits
        assert not at.exception
        message = at.error[0].value
        found = re.fullmatch(r"Too many attempts, try again in (\d+) s\.", message)
        assert found and 1 <= int(found.group(1)) <= THROTTLE_BASE_SECONDS
    finally:
        remove_account(app_db, username=name)


def test_sign_in_then_sign_out(accounts):
    manager = accounts["manager"]
    at = ok(sign_in_form(new_app().run(), manager.username.upper(), PASSWORD))
    assert at.session_state["account"].username == manager.username
    assert metric(at, "Revenue today")  # lands on the Overview
    assert any(manager.username in c.value for c in at.sidebar.get("caption"))
    at.button(key="sign_out").click()
    at.run()
    assert not at.exception
    assert "account" not in at.session_state
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.metric


@pytest.mark.parametrize("legacy", [False, True], ids=["navigation", "legacy-first-run"])
def test_a_deep_link_asks_to_sign_in_first_then_opens_the_page(accounts, monkeypatch, legacy):
    if legacy:  # a fresh server process: /forecast would run pages/forecast.py without app.py
        monkeypatch.setattr(app_test, "PagesManager", PagesManager)
    at = new_app()
    at.switch_page("pages/forecast.py")
    at.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]  # never the page itself
    assert not charts(at) and not at.slider
    monkeypatch.setattr(app_test, "PagesManager", AfterFirstRun)  # the process has run app.py now
    ok(sign_in_form(at, accounts["analyst"].username, PASSWORD))
    assert at.slider(key="forecast_horizon")  # the Forecast page, as the address asked
    assert charts(at)


def test_navigation_lists_the_pages_whose_files_exist(accounts):
    at = signed_in(accounts["analyst"])
    root = Path(APP).parent
    expected = [title for file, title in [("pages/overview.py", "Overview"), ("pages/customers.py", "Customers"),
                                          ("pages/customer.py", "Customer"), ("pages/forecast.py", "Forecast"),
                                          ("pages/utilization.py", "Utilization"), ("pages/whatif.py", "What-if"),
                                          ("pages/models.py", "Models")] if (root / file).is_file()]
    titles = [info.get("page_name") for info in at._registered_pages.values()]  # what st.navigation registered
    assert titles == expected


# ---------------------------------------------------------------- every page, both roles


@pytest.mark.parametrize("role", ["manager", "analyst"])
@pytest.mark.parametrize("page", list(MY_PAGES))
def test_page_renders_with_its_charts(accounts, role, page):
    at = signed_in(accounts[role], MY_PAGES[page])
    assert charts(at), f"{page} drew no chart"
    assert at.sidebar.get("multiselect") and at.sidebar.get("date_input")
    if page == "overview":
        assert [m.label for m in at.metric] == ["Revenue today", "Bookings today", "Seats in use",
                                                "Utilization today", "Customers at risk"]
        assert len([m for m in at.markdown if "-badge[" in m.value]) == 5  # st.badge is markdown
        assert any(c.value.startswith("Updated ") for c in at.caption)
    if page == "forecast":
        assert at.dataframe and len(at.dataframe[0].value) == 30
        assert any(m.value.startswith("Over the last") for m in at.markdown)
        assert at.get("download_button")
    if page == "utilization":
        assert len(charts(at)) == 2  # the weekday x hour grid and the halls
        assert at.dataframe and len(at.dataframe[0].value) > 0
        assert any("Suggestions" in s.value for s in at.subheader)


# ---------------------------------------------------------------- the controls change what is shown


def test_forecast_horizon_sets_the_table_length(accounts):
    at = signed_in(accounts["manager"], MY_PAGES["forecast"])
    for horizon in (7, 45):
        at.slider(key="forecast_horizon").set_value(horizon)
        ok(at.run())
        table = at.dataframe[0].value
        assert len(table) == horizon
        assert pd.to_datetime(table.day).is_monotonic_increasing
        assert (table.lo_95 <= table.yhat).all() and (table.yhat <= table.hi_95).all()
        assert metric(at, f"Next {horizon} days")


def test_forecast_for_one_club_is_smaller_than_the_chain(accounts):
    at = signed_in(accounts["manager"], MY_PAGES["forecast"])
    chain = at.dataframe[0].value.yhat.sum()
    club = at.selectbox(key="forecast_scope").options[1]
    at.selectbox(key="forecast_scope").set_value(club)
    ok(at.run())
    one = at.dataframe[0].value.yhat.sum()
    assert 0 < one < chain


def test_club_selection_changes_the_kpis(accounts, app_db):
    at = signed_in(accounts["manager"])
    club_ids = sorted(query_df(app_db, "platform/club_ids").club_id)
    first = club_ids[0]
    at.multiselect(key="flt_clubs").set_value([first])
    ok(at.run())
    live = query_df(app_db, "overview/live_kpis", silent_hours=kpi.SILENT_HOURS, club_ids=club_ids)
    expected = kpi.totals(live, [first])
    assert metric(at, "Seats in use").value == f"{expected.today('occupied'):,.0f}".replace(",", " ")
    assert metric(at, "Bookings today").value == f"{expected.today('bookings_by_now'):,.0f}".replace(",", " ")
    everyone = kpi.totals(live)
    assert everyone.today("seats") > expected.today("seats")  # the chain has more seats than one club
    assert any(c.value.startswith(str(query_df(app_db, "platform/clubs", club_ids=[first]).set_index("club_id").club_name[first]))
               for c in at.caption)


def test_overview_counts_new_bookings(accounts, app_db):
    at = signed_in(accounts["manager"])
    before = int(metric(at, "Bookings today").value.replace(" ", ""))
    added = insert_walk_ins(app_db, 3)
    st.cache_data.clear()  # the page caches live figures for 15 s; skip the wait
    ok(at.run())
    after = int(metric(at, "Bookings today").value.replace(" ", ""))
    assert after == before + added


def test_pausing_stops_the_live_refresh(accounts):
    at = signed_in(accounts["analyst"])
    assert any("refreshes every 30 s" in c.value for c in at.caption)
    at.toggle(key="overview_live").set_value(False)
    ok(at.run())
    assert any(c.value.endswith("paused") for c in at.caption)


def test_utilization_club_and_hall_pickers(accounts):
    at = signed_in(accounts["manager"], MY_PAGES["utilization"])
    club_box = at.selectbox(key="util_club")
    first_grid = charts(at)[0].proto.spec
    at.selectbox(key="util_club").set_value(club_box.options[-1] if len(club_box.options) > 1 else club_box.value)
    ok(at.run())
    hall_box = at.selectbox(key="util_hall")
    assert hall_box.options[0] == "All halls" and len(hall_box.options) > 1
    at.selectbox(key="util_hall").set_value(hall_box.options[1])
    ok(at.run())
    assert charts(at)[0].proto.spec != first_grid
    seats = at.dataframe[0].value
    assert seats.hall_name.nunique() == 1


def test_date_range_changes_the_utilization(accounts):
    at = signed_in(accounts["manager"], MY_PAGES["utilization"])
    before = metric(at, "Average use").value
    today = at.sidebar.date_input(key="flt_dates").value[1]
    at.sidebar.date_input(key="flt_dates").set_value((today - timedelta(days=6), today))
    ok(at.run())
    assert any(f"{today - timedelta(days=6):%d.%m.%Y}–{today:%d.%m.%Y}" in c.value for c in at.caption)
    assert metric(at, "Average use").value.endswith("%") and before.endswith("%")  # recomputed for the week


def test_filters_survive_a_page_change(accounts, app_db):
    at = signed_in(accounts["manager"])
    first = sorted(query_df(app_db, "platform/club_ids").club_id)[0]
    at.multiselect(key="flt_clubs").set_value([first])
    ok(at.run())
    at.switch_page(MY_PAGES["forecast"])
    ok(at.run())
    assert at.multiselect(key="flt_clubs").value == [first]
    assert at.selectbox(key="forecast_scope").options == [
        query_df(app_db, "platform/clubs", club_ids=[first]).set_index("club_id").club_name[first]]


# ---------------------------------------------------------------- errors and permissions


def test_database_outage_shows_a_message_not_a_traceback(accounts, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9/nothing?connect_timeout=2")
    _clear_caches()
    try:
        for page in MY_PAGES.values():
            at = new_app()
            at.session_state["account"] = accounts["manager"]
            at.switch_page(page)
            at.run()
            assert not at.exception, [e.value for e in at.exception]
            assert any("database is not reachable right now" in e.value for e in at.error)
    finally:
        monkeypatch.undo()
        _clear_caches()


def _guarded(kind: str) -> None:  # an AppTest script: the body of page_guard raising `kind`
    import sqlalchemy as sa
    import streamlit as st  # noqa: F811 - the script's own imports

    from pages.common import page_guard

    with page_guard("test"):
        if kind == "db":
            raise sa.exc.OperationalError("select 1", {}, Exception("connection refused"))
        raise KeyError("a bug")
    st.write("after the guard")


@pytest.mark.parametrize(("kind", "message"), [("db", "database is not reachable"), ("bug", "Something went wrong")])
def test_page_guard_turns_exceptions_into_messages(kind, message):
    at = AppTest.from_function(_guarded, args=(kind,), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert message in at.error[0].value
    assert at.markdown[-1].value == "after the guard"  # the rest of the page still renders


def _needs(permission: str, role: str) -> None:  # an AppTest script
    from datetime import datetime, timezone

    import streamlit as st  # noqa: F811 - the script's own imports

    from core.accounts import Account, Role  # noqa: F811
    from pages.common import require

    now = datetime.now(timezone.utc)
    st.session_state["account"] = Account(id=1, username="probe", role=Role(role), created_at=now,
                                          password_changed_at=now)
    require(permission)
    st.write("allowed")


@pytest.mark.parametrize(("role", "allowed"), [("manager", True), ("analyst", False)])
def test_require_stops_a_role_without_the_permission(role, allowed):
    at = AppTest.from_function(_needs, args=("retrain", role), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any(m.value == "allowed" for m in at.markdown) == allowed
    assert bool(at.warning) != allowed
    if not allowed:
        assert "may not retrain models" in at.warning[0].value


# ---------------------------------------------------------------- the pages' queries


def test_daily_revenue_from_the_view_matches_the_tables(app_db):
    """The Forecast and Overview read complete days from mv_daily_club_stats plus the days after its
    last refresh from the tables; either way, the same numbers as the tables alone."""
    chain = query_df(app_db, "platform/club_ids").club_id.tolist()
    raw = query_df(app_db, "forecast/daily_revenue_raw", club_ids=chain).set_index(["day", "club_id"]).revenue
    before = query_df(app_db, "forecast/daily_revenue", club_ids=chain).set_index(["day", "club_id"]).revenue
    from core.platform.refresh import refresh

    refresh(app_db)
    after = query_df(app_db, "forecast/daily_revenue", club_ids=chain).set_index(["day", "club_id"]).revenue
    for frame in (before, after):
        joined = pd.concat([raw, frame.reindex(raw.index)], axis=1, keys=["raw", "page"])
        assert (joined.raw - joined.page).abs().max() < 0.01
        assert frame[frame > 0].index.equals(raw.index)
