"""The Customer page through AppTest on a trained tier-S database: search, scores, history, actions."""

from __future__ import annotations

import pytest

from pages.ui.text import md
from tests.pages.support import charts, ok
from tests.pages.test_customers_page import top_customer

PAGE = "pages/customer.py"


@pytest.fixture(scope="module")
def scored(app_db, trained):
    return trained[0]


@pytest.mark.parametrize("role", ["manager", "analyst"])
def test_customer_asks_for_someone_first(app_client, accounts, scored, role):
    at = app_client(accounts[role], PAGE)
    assert at.text_input(key="customer_find")
    assert any("Search for a customer" in i.value for i in at.info)


def test_customer_page_shows_scores_and_actions(app_client, accounts, scored, app_db):
    user_id, name, email = top_customer(app_db)
    at = app_client(accounts["analyst"], run=False)
    at.session_state["customer_id"] = user_id
    at.switch_page(PAGE)
    ok(at.run())
    first, last = name.split()[:2]
    assert [s.value for s in at.subheader][0] == md(f"{first} {last[0]}.")  # an analyst sees a first name and initial
    assert not any(email in c.value or last in c.value for c in [*at.caption, *at.text])
    labels = [m.label for m in at.metric]
    assert {"Churn risk", "Still active", "Lifetime value, 12 months", "Next visit"} <= set(labels)
    assert len(charts(at)) >= 2  # the timeline of visits and the next one, and the months
    assert any(s.value == "Visits and the next one" for s in at.subheader)
    assert any(c.value.startswith(("Expected next visit around", "No next visit is expected")) for c in at.caption)
    actions = next(m.value for m in at.markdown if m.value.startswith("1. **"))  # a numbered list with reasons
    assert len(actions.splitlines()) >= 2 and "expected value ₸" in actions


def test_searching_finds_the_customer(app_client, accounts, scored, app_db):
    user_id, name, _ = top_customer(app_db)
    at = app_client(accounts["manager"], PAGE)
    at.text_input(key="customer_find").input(name).run()
    ok(at)
    box = at.selectbox(key="customer_pick")
    assert any(option.startswith(name + " · ") for option in box.options)
    box.set_value(user_id)  # the widget's value is the id; its options show names
    ok(at.run())
    assert at.session_state["customer_id"] == user_id
    assert any(name in s.value for s in at.subheader)


def test_a_search_that_finds_nobody_clears_the_profile(app_client, accounts, scored, app_db):
    user_id, name, _ = top_customer(app_db)
    at = app_client(accounts["manager"], run=False)
    at.query_params["id"] = str(user_id)  # also when the profile came from a link
    at.switch_page(PAGE)
    ok(at.run())
    at.text_input(key="customer_find").input(name).run()
    at.selectbox(key="customer_pick").set_value(user_id)
    ok(at.run())
    assert any(name in s.value for s in at.subheader)
    at.text_input(key="customer_find").input("zzzz").run()
    ok(at)
    assert any("Nobody matches" in i.value for i in at.info)
    assert not any(name in s.value for s in at.subheader)
    assert not at.metric and not charts(at) and not at.dataframe
