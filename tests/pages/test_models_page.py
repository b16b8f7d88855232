"""The Customers, Customer and Models pages through AppTest, for both roles, on a trained tier-S database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.models import registry
from tests.pages.test_app_pages import accounts, app_db, charts, navigation_mode, ok, signed_in  # noqa: F401

PAGES = {"customers": "pages/customers.py", "customer": "pages/customer.py", "models": "pages/models.py"}


@pytest.fixture(scope="module")
def scored(app_db, trained):  # noqa: F811
    return trained[0]


def _top_customer(engine) -> tuple[int, str, str]:
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "select u.id, u.full_name, u.email from ai_customer_segmentation() a join users u on u.id = a.user_id "
            "limit 1")).one()
    return row.id, row.full_name, row.email


@pytest.mark.parametrize("role", ["manager", "analyst"])
@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders_for_each_role(accounts, scored, role, page):  # noqa: F811
    at = signed_in(accounts[role], PAGES[page])
    if page == "customers":
        assert len(charts(at)) >= 2  # segments and the RFM scatter
        assert at.dataframe
    if page == "models":
        assert any("Active version" in m.value for m in at.markdown)
        assert at.dataframe
        retrain = [b for b in at.button if b.key == "retrain"]
        assert bool(retrain) == (role == "manager")


def test_contacts_are_masked_for_analysts(accounts, scored, app_db):  # noqa: F811
    _, _, email = _top_customer(app_db)
    manager = signed_in(accounts["manager"], PAGES["customers"])
    analyst = signed_in(accounts["analyst"], PAGES["customers"])
    table_m = manager.dataframe[-1].value
    table_a = analyst.dataframe[-1].value
    assert email in set(table_m["email"])
    assert email not in set(table_a["email"])
    assert table_a["email"].str.contains(r"\*\*\*@").all()


def test_search_and_filters_change_the_list(accounts, scored, app_db):  # noqa: F811
    _, name, _ = _top_customer(app_db)
    at = signed_in(accounts["manager"], PAGES["customers"])
    everyone = len(at.dataframe[-1].value)
    at.text_input(key="cust_search").input(name.split()[1][:5]).run()
    ok(at)
    found = at.dataframe[-1].value
    assert 0 < len(found) < everyone and name in set(found["full_name"])
    at.text_input(key="cust_search").input("").run()
    at.slider(key="cust_risk").set_range(90, 100).run()
    risky = at.dataframe[-1].value
    assert len(risky) < everyone and (risky["churn_risk"] >= 90).all()
    at.slider(key="cust_risk").set_range(0, 100).run()
    at.slider(key="cust_clv").set_range(50_000, 300_000).run()
    valuable = at.dataframe[-1].value
    assert 0 < len(valuable) < everyone and (valuable["clv_12m"] >= 50_000).all()


def test_customer_page_shows_scores_and_actions(accounts, scored, app_db):  # noqa: F811
    user_id, name, _ = _top_customer(app_db)
    at = signed_in(accounts["analyst"])
    at.session_state["customer_id"] = user_id
    at.switch_page(PAGES["customer"])
    ok(at.run())
    assert any(name in s.value for s in at.subheader)
    labels = [m.label for m in at.metric]
    assert {"Churn risk", "Still active", "Lifetime value, 12 months", "Next visit"} <= set(labels)
    assert charts(at)
    actions = at.dataframe[-1].value
    assert len(actions) >= 1 and actions["why"].str.len().min() > 5
    at.toggle(key="actions_ru").set_value(True).run()
    assert at.dataframe[-1].value["action"].str.contains("[а-яА-Я]").all()


def test_analyst_cannot_activate_a_version(accounts, scored, app_db):  # noqa: F811
    from core.accounts import PermissionDenied
    from core.models.jobs import activate_version

    with pytest.raises(PermissionDenied):
        activate_version(app_db, account=accounts["analyst"], version=scored.version)
    assert registry.active_version(app_db) is not None


def test_manager_can_roll_back_from_the_page(accounts, scored, app_db, model_settings):  # noqa: F811
    from core.models.training import retrain

    newer = retrain(app_db, model_settings, force=True, trained_by="test")
    at = signed_in(accounts["manager"], PAGES["models"])
    at.selectbox(key="activate_pick").set_value(scored.version)
    at.button(key="activate").click()
    ok(at.run())
    assert registry.active_version(app_db) == scored.version != newer.version
