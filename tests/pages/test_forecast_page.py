"""The Forecast page through AppTest: the horizon, the scope, the table and the words."""

from __future__ import annotations

import pandas as pd
import pytest

from core.platform.clubs import list_clubs
from tests.conftest import CHAIN_VIEWER
from tests.pages.support import charts, metric, ok

PAGE = "pages/forecast.py"


@pytest.mark.parametrize("role", ["manager", "analyst"])
def test_forecast_shows_the_chart_the_table_and_its_track_record(app_client, accounts, role):
    at = app_client(accounts[role], PAGE)
    assert charts(at)
    assert at.dataframe and len(at.dataframe[0].value) == 30
    assert any(m.value.startswith("Over the last") for m in at.markdown)
    assert at.get("download_button")
    assert [m.label for m in at.metric] == ["Next 30 days", "Next 7 days", "Average day"]
    assert all(m.value.startswith("₸") for m in at.metric)


def test_forecast_horizon_sets_the_table_length(app_client, accounts):
    at = app_client(accounts["manager"], PAGE)
    for horizon in (7, 45):
        at.slider(key="forecast_horizon").set_value(horizon)
        ok(at.run())
        table = at.dataframe[0].value
        assert len(table) == horizon
        assert pd.to_datetime(table.day).is_monotonic_increasing
        assert (table.lo_95 <= table.yhat).all() and (table.yhat <= table.hi_95).all()
        assert metric(at, f"Next {horizon} days")


def test_forecast_for_one_club_is_smaller_than_the_chain(app_client, accounts):
    at = app_client(accounts["manager"], PAGE)
    chain = at.dataframe[0].value.yhat.sum()
    club = at.selectbox(key="forecast_scope").options[1]
    at.selectbox(key="forecast_scope").set_value(club)
    ok(at.run())
    one = at.dataframe[0].value.yhat.sum()
    assert 0 < one < chain


def test_filters_survive_a_page_change(app_client, accounts, app_db):
    at = app_client(accounts["manager"])
    clubs = list_clubs(app_db, viewer=CHAIN_VIEWER)
    first = int(sorted(clubs.club_id)[0])
    at.multiselect(key="flt_clubs").set_value([first])
    ok(at.run())
    at.switch_page(PAGE)
    ok(at.run())
    assert at.multiselect(key="flt_clubs").value == [first]
    assert at.selectbox(key="forecast_scope").options == [clubs.set_index("club_id").club_name[first]]


def test_database_outage_shows_a_message_not_a_traceback(app_client, accounts):
    for page in ("pages/overview.py", PAGE, "pages/utilization.py", "pages/customers.py", "pages/models.py"):
        at = app_client(accounts["manager"], page,
                        database_url="postgresql://nobody@127.0.0.1:9/nothing?connect_timeout=2")
        assert not at.exception, [e.value for e in at.exception]
        assert any("database is not reachable right now" in e.value for e in at.error)
