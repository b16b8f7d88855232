"""The live feed honours campaigns: contacted customers come back with the true uplift kept in
demo_truth, control customers are left alone, and the measurement sees exactly what the demo did."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.accounts import Account, Role
from core.campaigns import Audience, CampaignPlan, create_campaign
from core.campaigns.measure import measure_campaign
from core.campaigns.store import find_campaign
from core.demo.live import LiveFeed
from core.demo.truth import campaign_truth
from core.platform.clubs import all_club_ids, chain_calendar
from core.platform.db import query_df
from tests.campaigns.support import purge_campaigns
from tests.conftest import CHAIN_VIEWER
from tests.demo.test_live import undo_live_writes  # noqa: F401 - a fixture

UPLIFT = 0.3
TICKS = 15


@pytest.fixture
def campaign(engine, trained, undo_live_writes):  # noqa: F811
    now = datetime.now(timezone.utc)
    manager = Account(id=0, username="test-manager", role=Role.MANAGER, created_at=now, password_changed_at=now)
    today = chain_calendar(engine).local_today
    plan = CampaignPlan(name="Demo uplift", offer="a free hour", cost_per_contact=100, window_days=30,
                        starts_on=today, audience=Audience("top", 100), control_share=0.3, seed=1)
    campaign_id, groups = create_campaign(engine, plan, account=manager, club_ids=all_club_ids(engine))
    yield campaign_id, groups
    purge_campaigns(engine, [campaign_id])


def _sums(engine, campaign_id: int, as_of: datetime):
    out = query_df(engine, "campaigns/outcomes", campaign_id=campaign_id, club_ids=all_club_ids(engine), as_of=as_of)
    g = out.groupby("treated")[["visits", "revenue"]].sum()
    return g.loc[True], g.loc[False]


def test_contacted_customers_come_back_with_the_true_uplift(engine, campaign):
    campaign_id, groups = campaign
    clubs = all_club_ids(engine)
    row = find_campaign(engine, campaign_id, viewer=CHAIN_VIEWER, club_ids=clubs)
    start = datetime.now(timezone.utc)
    ends_at = row["ends_at"].to_pydatetime()
    end = ends_at - timedelta(minutes=1)                                 # the last tick
    treated_before, control_before = _sums(engine, campaign_id, ends_at)   # with the bookings made ahead
    # no ordinary arrivals (speedup 0): every new visit is the campaign's doing
    feed = LiveFeed(engine, interval=60, speedup=0, seed=8, campaign_uplift=UPLIFT)
    for k in range(1, TICKS + 1):
        feed.tick(now=start + (end - start) * k / TICKS)

    truth = campaign_truth(engine, campaign_id)
    n_t = groups.treated
    assert truth["uplift"] == UPLIFT and truth["drawn"] == n_t
    assert abs(truth["responders"] / n_t - UPLIFT) < 4 * (UPLIFT * (1 - UPLIFT) / n_t) ** 0.5
    assert truth["booked"] == truth["responders"] > 0

    treated_after, control_after = _sums(engine, campaign_id, ends_at)
    assert treated_after.visits - treated_before.visits == truth["booked"]
    assert treated_after.revenue - treated_before.revenue == pytest.approx(truth["booked_revenue"])
    assert control_after.visits == control_before.visits          # the control group is never contacted

    result = measure_campaign(engine, find_campaign(engine, campaign_id, viewer=CHAIN_VIEWER, club_ids=clubs), club_ids=clubs, as_of=ends_at)
    visits = result["overall"]["visits"]
    true_effect = truth["booked"] / n_t
    se = (visits["hi"] - visits["lo"]) / (2 * 1.645)
    assert visits["lo"] > 0                                         # a clear effect at this uplift
    assert abs(visits["diff"] - true_effect) < 4 * se


def test_without_campaigns_the_feed_draws_nothing(engine, trained, undo_live_writes):  # noqa: F811
    feed = LiveFeed(engine, interval=60, speedup=0, seed=9)
    assert feed._campaigns.draw(datetime.now(timezone.utc)) == 0
    with pytest.raises(ValueError, match="between 0 and 1"):
        LiveFeed(engine, campaign_uplift=1.5)
