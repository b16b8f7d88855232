"""The targeting control on the Customers page (AppTest, trained tier-S database)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.pages.support import charts, metric, ok

PAGE = "pages/customers.py"


@pytest.fixture(scope="module")
def scored(app_db, trained):
    return trained[0]


def _count(engine, risk: float) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("select count(*) from customer_scores where version = active_model_version() "
                                    "and churn_risk >= :r"), {"r": risk}).scalar()


@pytest.mark.parametrize("role", ["manager", "analyst"])
def test_the_targeting_control_shows_what_a_pick_holds(app_client, accounts, scored, app_db, role):
    at = app_client(accounts[role], PAGE)
    targeted = metric(at, "Customers targeted")
    with app_db.connect() as conn:
        total = conn.execute(sa.text("select count(*) from customer_scores where version = active_model_version()")
                             ).scalar()
    assert targeted.value == f"{-(-total // 10):,}"                    # the top 10%, rounded up
    for label in ("Expected churners", "Targeted by mistake", "Value at stake", "Expected net return"):
        assert metric(at, label).value
    assert any(c.value.startswith("The top 10% is a rank") for c in at.caption)
    assert any("assumption" in c.value or "measured" in c.value for c in at.caption)
    assert len(charts(at)) >= 3                                        # segments, RFM, reach
    at.radio(key="tgt_mode").set_value("threshold").run()
    at.slider(key="tgt_risk").set_value(70).run()
    ok(at)
    assert metric(at, "Customers targeted").value == f"{_count(app_db, 70):,}"
    assert any(c.value.startswith("Churn risk 70 or more is a probability") for c in at.caption)
    starts = [b for b in at.button if b.key == "tgt_campaign"]
    assert bool(starts) == (role == "manager")                         # analysts cannot start campaigns


def test_a_manager_takes_the_selection_to_a_new_campaign(app_client, accounts, scored):
    at = app_client(accounts["manager"], PAGE)
    at.slider(key="tgt_top").set_value(25).run()
    next(b for b in at.button if b.key == "tgt_campaign").click().run()
    ok(at)
    assert at.session_state["campaign_audience"] == {"kind": "top", "value": 25.0, "segment": None}
    assert at.slider(key="new_top").value == 25                        # the Campaigns page's form starts there
