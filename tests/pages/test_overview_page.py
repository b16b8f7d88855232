"""The Overview page through AppTest: the five cards, the alerts, the chart, the live refresh."""

from __future__ import annotations

import pytest

from core.i18n.format import number
from core.overview import service
from core.platform.clubs import list_clubs
from tests.conftest import CHAIN_VIEWER
from tests.browser.support import walk_ins
from tests.pages.support import charts, clear_caches, metric, ok

PAGE = "pages/overview.py"
CARDS = ["Revenue today", "Bookings today", "Seats in use", "Utilization today", "Customers at risk"]


@pytest.mark.parametrize("role", ["manager", "analyst"])
def test_overview_shows_the_cards_the_chart_and_the_update_time(app_client, accounts, role):
    at = app_client(accounts[role], PAGE)
    assert charts(at)
    assert at.sidebar.get("multiselect") and at.sidebar.get("date_input")
    assert [m.label for m in at.metric] == CARDS
    assert len([m for m in at.markdown if "-badge[" in m.value]) == 5  # st.badge is markdown
    assert _status_line(at).count("Updated ") == 2  # the words and their template, for the browser
    assert any(s.value == "Alerts" for s in at.subheader)


def test_club_selection_changes_the_kpis(app_client, accounts, app_db):
    at = app_client(accounts["manager"])
    clubs = list_clubs(app_db, viewer=CHAIN_VIEWER)
    first = int(sorted(clubs.club_id)[0])
    at.multiselect(key="flt_clubs").set_value([first])
    ok(at.run())
    one = service.live_figures(app_db, viewer=CHAIN_VIEWER, club_ids=[first]).totals
    assert metric(at, "Seats in use").value == number(one.today("occupied"))
    assert metric(at, "Bookings today").value == number(one.today("bookings_by_now"))
    everyone = service.live_figures(app_db, viewer=CHAIN_VIEWER, club_ids=list(clubs.club_id)).totals
    assert everyone.today("seats") > one.today("seats")  # the chain has more seats than one club
    assert any(c.value.startswith(str(clubs.set_index("club_id").club_name[first])) for c in at.caption)


def test_overview_counts_new_bookings(app_client, accounts, app_db):
    at = app_client(accounts["manager"])
    before = int(metric(at, "Bookings today").value.replace(",", ""))
    with walk_ins(app_db, 3) as added:
        clear_caches()  # the page caches live figures for 15 s; skip the wait
        ok(at.run())
        assert int(metric(at, "Bookings today").value.replace(",", "")) == before + added
    assert added == 3


def test_pausing_stops_the_live_refresh(app_client, accounts):
    at = app_client(accounts["analyst"])
    assert "refreshes every 30 seconds" in _status_line(at)
    at.toggle(key="overview_live").set_value(False)
    ok(at.run())
    assert "paused</div>" in _status_line(at)


def _status_line(at):
    return next(h.proto.body for h in at.get("html") if 'id="oyna-age-overview"' in h.proto.body)


def test_the_update_time_counts_on_in_the_browser(app_client, accounts):
    at = app_client(accounts["analyst"])
    line = _status_line(at)
    assert "Updated " in line and "setInterval" in line  # ticks in the browser, no rerun
    assert "just now" in line and "1 minute ago" in line and "2 hours ago" in line  # the words it steps through


def test_a_club_with_no_history_yet_gets_the_page_not_an_error(app_client, app_db):
    """A club just added (no bookings, no revenue): the Overview draws its cards and says there is no trend yet."""
    import uuid

    import sqlalchemy as sa

    from core.accounts import add_account, remove_account
    from core.rollups.refresh import refresh
    from tests.pages.support import PASSWORD

    with app_db.begin() as conn:
        club = conn.execute(sa.text("insert into clubs (name, city, timezone, opened_on) "
                                    "values (:n, 'Алматы', 'Asia/Almaty', current_date) returning id"),
                            {"n": f"New club {uuid.uuid4().hex[:6]}"}).scalar_one()
    account = add_account(app_db, username=f"new-club-{uuid.uuid4().hex[:8]}", role="manager", password=PASSWORD,
                          club_ids=[club])
    try:
        refresh(app_db)
        at = app_client(account, PAGE, fresh=True)
        ok(at)
        assert [m.label for m in at.metric] == CARDS
    finally:
        remove_account(app_db, username=account.username)
        with app_db.begin() as conn:
            conn.execute(sa.text("delete from clubs where id = :c"), {"c": club})
        refresh(app_db)
