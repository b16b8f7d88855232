"""Names from club systems are shown as text: a customer, a club, a hall and seats named with Markdown and
HTML that would load a remote image or draw a link render literally on the Customer, Customers,
Utilization and Overview pages, and a campaign's name and offer on the Campaigns page. The browser test (tests/browser/test_hostile_names.py) checks the same
in Chromium, with no request to the addresses the names give."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from core.campaigns import Audience, CampaignPlan, close_campaign, create_campaign
from core.i18n.format import sentence
from core.platform.clubs import all_club_ids
from pages.ui.charts import TRACE_TEXT
from pages.ui.text import md, plotly_text
from tests.campaigns.support import purge_campaigns
from tests.conftest import TODAY
from tests.pages.support import charts, hostile_rows, ok

NAME = "Айгерим ![p](http://127.0.0.1:9/name.png) [pay](http://evil.example/pay) **b** $x$"
EMAIL = "[x](http://evil.example/mail)@a.b"
CLUB = "Pixel ![c](http://127.0.0.1:9/club.png) [pay](http://evil.example/club) <a href=http://e.x/a>a</a> :red[x]"
HALL = "Hall ![h](http://127.0.0.1:9/hall.png) <b>VIP</b>"
SEATS = ["PC-1", "[seat](http://evil.example/seat)", "<img src=http://127.0.0.1:9/seat.png>"]
ACTION = "[Call](http://evil.example/action)"
REASON = "plays at ![r](http://127.0.0.1:9/reason.png)"
OFFER = "A free hour ![o](http://127.0.0.1:9/offer.png) [claim](http://evil.example/offer) <a href=x>x</a>"


@pytest.fixture(scope="module")
def hostile(app_db, trained):
    with hostile_rows(app_db, name=NAME, email=EMAIL, club=CLUB, hall=HALL, seats=SEATS, action=ACTION,
                      reason=REASON) as made:
        yield made


def bodies(at: AppTest) -> list[str]:
    """The Markdown of everything the run drew, the sidebar's too: texts, notices, metric cards."""
    found = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                                  "success", "error", "toast") for e in at.get(kind)]
    return found + [part for m in at.metric for part in (m.label, m.value)] + [e.label for e in at.expander]


def markdown_syntax(body: str) -> str:
    """What Markdown reads as syntax in a body: the body without its escaped characters."""
    return re.sub(r"\\[!-/:-@\[-`{-~]", "", body)


def shown_as_text(at: AppTest) -> None:
    """No body draws a link or an image, and no chart's data holds a tag."""
    for body in bodies(at):
        syntax = markdown_syntax(body)
        assert "](" not in syntax and "<" not in syntax and "http:" not in syntax, body
    for chart in charts(at):
        for trace in json.loads(chart.proto.spec)["data"]:
            for key in TRACE_TEXT:
                assert "<" not in json.dumps(trace.get(key), ensure_ascii=False), (key, trace.get(key))


def chart_text(at: AppTest) -> str:
    return " ".join(json.dumps(json.loads(c.proto.spec)["data"], ensure_ascii=False) for c in charts(at))


def test_the_customer_page_shows_the_names_as_text(app_client, hostile):
    at = app_client(hostile.account, run=False, fresh=True)
    at.session_state["customer_id"] = hostile.user
    at.switch_page("pages/customer.py")
    ok(at.run())
    assert at.subheader[0].value == md(NAME)
    assert any(EMAIL in t.value and CLUB in t.value for t in at.text)  # contacts and the club: plain text
    actions = next(m.value for m in at.markdown if m.value.startswith("1. **"))
    assert md(ACTION) in actions and md(sentence(REASON)) in actions
    assert plotly_text(CLUB) in chart_text(at)  # the timeline's hover names the club
    shown_as_text(at)


def test_the_customers_list_shows_the_names_as_text(app_client, hostile):
    at = app_client(hostile.account, "pages/customers.py")
    assert plotly_text(NAME) in chart_text(at)  # the scatter's hover names the customer
    listed = next(d.value for d in at.dataframe if "full_name" in d.value.columns)
    assert NAME in set(listed.full_name)  # tables are plain text
    shown_as_text(at)


def test_utilization_shows_the_club_hall_and_seats_as_text(app_client, hostile):
    at = app_client(hostile.account, "pages/utilization.py")
    today = at.sidebar.date_input(key="flt_dates").value[1]
    at.sidebar.date_input(key="flt_dates").set_value((today - timedelta(days=6), today))
    ok(at.run())
    notices = [i.value for i in at.info]
    assert any(md(CLUB) in n for n in notices)  # an off-peak offer
    assert any(md(HALL) in n and md(SEATS[1]) in n and md(SEATS[2]) in n for n in notices)  # the idle seats
    assert plotly_text(HALL) in chart_text(at)  # the halls' bars
    assert any(md(CLUB) in c.value for c in at.sidebar.caption)  # the account's clubs
    shown_as_text(at)


def test_the_overview_shows_the_club_as_text(app_client, app_db, accounts, hostile):
    at = app_client(accounts["manager"], "pages/overview.py")
    demo_club = min(all_club_ids(app_db))  # with a club that has a history to chart
    at.sidebar.multiselect(key="flt_clubs").set_value([demo_club, hostile.club])
    ok(at.run())
    assert any(md(CLUB) in c.value and c.value.endswith("(club-local day)") for c in at.caption)
    shown_as_text(at)


def test_campaigns_show_a_campaigns_name_and_offer_as_text(app_client, app_db, accounts):
    clubs = all_club_ids(app_db)
    plan = CampaignPlan(name=CLUB, offer=OFFER, cost_per_contact=200, window_days=14,
                        starts_on=TODAY - timedelta(days=20), audience=Audience("top", 100))
    campaign, _ = create_campaign(app_db, plan, account=accounts["manager"], club_ids=clubs)
    try:
        close_campaign(app_db, campaign, account=accounts["manager"], club_ids=clubs)  # measured: on the chart
        at = app_client(accounts["manager"], "pages/campaigns.py", fresh=True)
        assert any(m.value.startswith(f"**{md(OFFER)}** to ") for m in at.markdown)
        assert plotly_text(f"#{campaign} {CLUB}") in chart_text(at)  # the ledger's bars
        shown_as_text(at)
    finally:
        purge_campaigns(app_db, [campaign])
