"""The Campaigns page (AppTest, trained tier-S database): a manager creates and closes a campaign, an
analyst reads the ledger without a create button."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.campaigns import Audience, CampaignPlan, create_campaign
from core.platform.clubs import all_club_ids

from tests.campaigns.support import purge_campaigns
from tests.conftest import TODAY, viewer_of
from tests.pages.support import clear_caches, metric, ok

PAGE = "pages/campaigns.py"


@pytest.fixture
def new_campaigns(app_db, trained):
    """Purge the campaigns the test's app creates."""
    with app_db.connect() as conn:
        before = conn.execute(sa.text("select coalesce(max(id), 0) from campaigns")).scalar()
    yield
    with app_db.connect() as conn:
        ids = conn.execute(sa.text("select id from campaigns where id > :b"), {"b": before}).scalars().all()
    purge_campaigns(app_db, ids)
    clear_caches()


def test_a_manager_creates_then_closes_a_campaign(app_client, accounts, new_campaigns, app_db):
    at = app_client(accounts["manager"], PAGE)
    assert any("No campaign yet" in i.value for i in at.info)
    at.slider(key="new_top").set_value(60).run()
    assert any("contacted" in m.value and "held out" in m.value for m in at.markdown)
    at.text_input(key="new_name").input("Spring comeback").run()
    at.text_input(key="new_offer").input("A free hour").run()
    next(b for b in at.button if b.key == "new_create").click().run()
    ok(at)
    assert any(s.value.startswith("Created #") for s in at.success)
    ledger = at.dataframe[0].value
    assert list(ledger["name"]) == ["Spring comeback"]
    assert ledger["status"].iloc[0] == "scheduled"                      # it starts tomorrow
    with app_db.connect() as conn:
        row = conn.execute(sa.text("select created_by, window_days, control_share from campaigns "
                                   "where name = 'Spring comeback'")).one()
    assert row.created_by == accounts["manager"].username and row.window_days == 30
    assert float(row.control_share) == 0.15
    next(b for b in at.button if b.key == "camp_close").click().run()
    ok(at)
    assert any(s.value.startswith("Closed #") for s in at.success)
    assert at.dataframe[0].value["status"].iloc[0] == "closed"
    assert not [b for b in at.button if b.key == "camp_close"]
    assert at.text_input(key="new_name").value == ""                    # the form is empty again
    at.text_input(key="new_name").input("Second wave").run()
    at.text_input(key="new_offer").input("Two free hours").run()
    next(b for b in at.button if b.key == "new_create").click().run()
    ok(at)
    assert list(at.dataframe[0].value["name"]) == ["Second wave", "Spring comeback"]
    assert "Second wave" in at.selectbox(key="camp_pick").format_func(at.selectbox(key="camp_pick").value)


def test_a_small_control_group_is_warned_about(app_client, accounts, new_campaigns):
    at = app_client(accounts["manager"], PAGE)
    at.slider(key="new_top").set_value(5).run()
    assert any("fewer than 200" in w.value for w in at.warning)


def test_a_name_is_required(app_client, accounts, new_campaigns, app_db):
    at = app_client(accounts["manager"], PAGE)
    next(b for b in at.button if b.key == "new_create").click().run()
    assert any("name" in e.value for e in at.error)
    with app_db.connect() as conn:
        assert conn.execute(sa.text("select count(*) from campaigns")).scalar() == 0


def test_an_analyst_reads_but_cannot_create(app_client, accounts, new_campaigns, app_db):
    plan = CampaignPlan(name="Last month", offer="A free hour", cost_per_contact=200, window_days=14,
                        starts_on=TODAY - timedelta(days=20), audience=Audience("top", 80))
    create_campaign(app_db, plan, account=accounts["manager"], club_ids=all_club_ids(app_db))
    at = app_client(accounts["analyst"], PAGE, fresh=True)
    assert list(at.dataframe[0].value["name"]) == ["Last month"]
    assert at.dataframe[0].value["status"].iloc[0] == "window over, not closed"
    assert metric(at, "Net return").value and metric(at, "Save rate").value
    assert any("Over the whole window" in c.value for c in at.caption)
    assert not [b for b in at.button if b.key in ("new_create", "camp_close")]
    assert any("creating and closing campaigns is for managers" in i.value for i in at.info)


def test_the_what_if_campaign_lever_starts_from_the_measured_save_rate(app_client, accounts, new_campaigns, app_db):
    from core.campaigns import close_campaign
    from core.whatif import measured_save_rate

    clubs = all_club_ids(app_db)
    assert measured_save_rate(app_db, viewer=accounts["analyst"], club_ids=clubs) is None
    plan = CampaignPlan(name="Measured", offer="A free hour", cost_per_contact=200, window_days=14,
                        starts_on=TODAY - timedelta(days=20), audience=Audience("top", 100))
    campaign_id, _ = create_campaign(app_db, plan, account=accounts["manager"], club_ids=clubs)
    result = close_campaign(app_db, campaign_id, account=accounts["manager"], club_ids=clubs)
    assert not result["provisional"] and not result["shortened"]
    measured = measured_save_rate(app_db, viewer=accounts["analyst"], club_ids=clubs)
    assert measured["campaigns"] == 1 and measured["raw_rate"] == pytest.approx(result["overall"]["save_rate"]["value"])
    # a manager of one club does not start from a campaign that covers other clubs too, whatever clubs are asked
    assert measured_save_rate(app_db, viewer=viewer_of(clubs[:1]), club_ids=clubs) is None
    at = app_client(accounts["analyst"], fresh=True)  # the first run registers the pages (What-if is /what-if)
    at.switch_page("pages/whatif.py")
    ok(at.run())
    assert at.slider(key="camp_save").value == int(round(measured["rate"] * 100))
    assert any("closed campaigns measured" in c.value for c in at.caption)
