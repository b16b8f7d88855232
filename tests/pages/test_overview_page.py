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
    assert any(c.value.startswith("Updated ") for c in at.caption)
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
    assert any("refreshes every 30 seconds" in c.value for c in at.caption)
    at.toggle(key="overview_live").set_value(False)
    ok(at.run())
    assert any(c.value.endswith("paused") for c in at.caption)
