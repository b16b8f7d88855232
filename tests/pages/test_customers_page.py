"""The Customers page through AppTest on a trained tier-S database: segments, search, filters, masking."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from tests.pages.support import charts, ok

PAGE = "pages/customers.py"


@pytest.fixture(scope="module")
def scored(app_db, trained):
    return trained[0]


def top_customer(engine) -> tuple[int, str, str]:
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "select u.id, u.full_name, u.email from ai_customer_segmentation() a join users u on u.id = a.user_id "
            "where jsonb_array_length(a.recommendations) >= 2 and u.full_name like '% %' "
            "order by a.churn_risk desc, a.clv_predicted desc, a.user_id limit 1")).one()
    return row.id, row.full_name, row.email


@pytest.mark.parametrize("role", ["manager", "analyst"])
def test_customers_shows_segments_and_the_list(app_client, accounts, scored, role):
    at = app_client(accounts[role], PAGE)
    assert len(charts(at)) >= 2  # segments and the RFM scatter
    assert at.dataframe
    assert any(c.value.startswith("Revenue shares use the last 90 days") and "₸" in c.value for c in at.caption)
    # how good the churn risk in the list is (in an expander, drawn all the same)
    assert {"Prediction quality", "ROC AUC, held out", "Lift, top 10%"} <= {m.label for m in at.metric}
    assert any("is a probability" in c.value for c in at.caption)


def test_analysts_see_no_contacts_and_no_full_names(app_client, accounts, scored, app_db):
    _, name, email = top_customer(app_db)
    table_m = app_client(accounts["manager"], PAGE).dataframe[-1].value
    at = app_client(accounts["analyst"], PAGE)
    table_a = at.dataframe[-1].value
    assert email in set(table_m["email"]) and name in set(table_m["full_name"])
    assert not {"email", "phone"} & set(table_a.columns)
    assert name not in set(table_a["full_name"]) and table_a["full_name"].str.fullmatch(r"\S+ \S\.").all()
    rfm = json.loads(charts(at)[1].proto.spec)  # the RFM scatter's hover names
    hovers = [h for trace in rfm["data"] for h in trace.get("hovertext", [])]
    assert hovers and all(re.fullmatch(r"\S+ \S\.", h) for h in hovers)
    assert at.text_input(key="cust_search").label == "First name"


def riskiest_customer(engine) -> tuple[int, str]:
    """The customer at the top of the list (the highest churn risk), who is on the page unfiltered."""
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "select u.id, u.full_name from customer_scores s join users u on u.id = s.user_id "
            "where s.version = active_model_version() order by s.churn_risk desc, s.clv_12m desc, u.id limit 1")).one()
    return row.id, row.full_name


def test_an_analysts_search_reads_first_names_only(app_client, accounts, scored, app_db):
    """'Айгерим', 'Айгерим А', 'Айгерим Ал', …: the same list, so a surname cannot be rebuilt; and a contact
    typed as a name is shown as the customer's number."""
    user_id, name = riskiest_customer(app_db)
    first, surname = name.split()[:2]
    at = app_client(accounts["analyst"], PAGE)
    search = at.text_input(key="cust_search")
    assert search.label == "First name" and "first names" in search.help
    search.input(first).run()
    alone = at.dataframe[-1].value
    assert len(alone) and alone.full_name.str.startswith(first + " ").all()
    for n in range(1, len(surname) + 1):
        at.text_input(key="cust_search").input(f"{first} {surname[:n]}").run()
        assert at.dataframe[-1].value.equals(alone), surname[:n]
    with app_db.begin() as conn:
        conn.execute(sa.text("update users set full_name = '+77011234567' where id = :id"), {"id": user_id})
    try:
        shown = set(app_client(accounts["analyst"], PAGE, fresh=True).dataframe[-1].value.full_name)
        assert f"Customer #{user_id}" in shown and "+77011234567" not in shown
    finally:
        with app_db.begin() as conn:
            conn.execute(sa.text("update users set full_name = :n where id = :id"), {"n": name, "id": user_id})


def test_search_and_filters_change_the_list(app_client, accounts, scored, app_db):
    _, name, _ = top_customer(app_db)
    at = app_client(accounts["manager"], PAGE)
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
