"""The Utilization page through AppTest: the grid, the halls, the seats, the pickers and the dates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.i18n.format import date_text
from tests.pages.support import charts, metric, ok

PAGE = "pages/utilization.py"


@pytest.mark.parametrize("role", ["manager", "analyst"])
def test_utilization_shows_the_grid_the_halls_and_the_suggestions(app_client, accounts, role):
    at = app_client(accounts[role], PAGE)
    assert len(charts(at)) == 2  # the weekday x hour grid and the halls
    assert at.dataframe and len(at.dataframe[0].value) > 0
    assert any("Suggestions" in s.value for s in at.subheader)
    assert metric(at, "Average use").value.endswith("%")


def test_utilization_club_and_hall_pickers(app_client, accounts):
    at = app_client(accounts["manager"], PAGE)
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


def test_date_range_changes_the_utilization(app_client, accounts):
    at = app_client(accounts["manager"], PAGE)
    today = at.sidebar.date_input(key="flt_dates").value[1]
    at.sidebar.date_input(key="flt_dates").set_value((today - timedelta(days=6), today))
    ok(at.run())
    assert any(f"{date_text(today - timedelta(days=6))}–{date_text(today)}" in c.value for c in at.caption)
    assert metric(at, "Average use").value.endswith("%")  # recomputed for the week
