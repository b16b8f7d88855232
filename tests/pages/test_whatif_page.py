"""The What-if page under Streamlit's AppTest, through app.py's routing, against the tier-S test database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from core.accounts import add_account, remove_account
from tests.pages.support import PASSWORD, shown

PAGE = "pages/whatif.py"
AUTHOR = "ana.page"


@pytest.fixture(scope="module")
def analyst(app_db):
    made = add_account(app_db, username=AUTHOR, role="analyst", password=PASSWORD)
    yield made
    remove_account(app_db, username=AUTHOR)


@pytest.fixture
def page(app_client, app_db, analyst):
    at = app_client(analyst)  # the first run registers app.py's pages (What-if lives at /what-if)
    at.switch_page(PAGE)
    yield at
    with app_db.begin() as conn:
        conn.execute(sa.text("delete from scenarios where author = :a"), {"a": AUTHOR})


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def _summary(at: AppTest) -> str:
    return shown(at.info[0].value)


def test_changing_a_lever_changes_the_numbers(page):
    at = _run(page)
    assert "equals the baseline" in _summary(at)
    before = _metric(at, "Revenue per 30 days")
    assert before.delta in ("0.0%", None, "")

    at.selectbox(key="p1_hall").set_value("vip")
    at.multiselect(key="p1_bands").set_value(["evening"])
    at.slider(key="p1_pct").set_value(20)
    at.radio(key="el_mode").set_value("manual")
    at.slider(key="el_value").set_value(-0.5)
    at.button(key="whatif_run").click()
    _run(at)
    after = _metric(at, "Revenue per 30 days")
    assert after.value != before.value
    assert after.delta.startswith("+") and after.delta != "+0.0%"
    assert _metric(at, "Utilization").delta.startswith("-")
    assert _summary(at).startswith("Raising evening prices in VIP halls by 20%")

    at.radio(key="el_mode").set_value("manual")
    at.slider(key="el_value").set_value(-1.5)
    at.button(key="whatif_run").click()
    _run(at)
    assert _metric(at, "Revenue per 30 days").delta.startswith("-")

    # an impossible lever is a clear message, not a traceback
    at.selectbox(key="seat_hall").set_value("vip")
    at.number_input(key="seat_delta").set_value(-200)
    at.button(key="whatif_run").click()
    at.run()
    assert not at.exception
    assert any("negative number of seats" in e.value for e in at.error)


def test_saved_scenarios_appear_in_the_compare_list(page):
    at = _run(page)
    at.text_input(key="save_name").input("Page baseline")
    at.button(key="whatif_save_button").click()
    _run(at)
    assert any("Saved" in s.value for s in at.success)

    at.checkbox(key="camp_on").check()
    at.slider(key="camp_risk").set_value(60)
    at.button(key="whatif_run").click()
    _run(at)
    assert "retention campaign" in _summary(at)
    at.text_input(key="save_name").input("Page campaign")
    at.button(key="whatif_save_button").click()
    _run(at)

    compare = at.multiselect(key="compare_ids")
    names = list(compare.options)                    # the labels shown: "name — author, date"
    assert any("Page campaign" in n for n in names) and any("Page baseline" in n for n in names)
    assert len(compare.value) >= 2
    table = next(d for d in at.dataframe if "Page campaign" in d.value.to_string())
    shown = table.value.set_index("name")
    assert shown.loc["Page campaign", "revenue"] > shown.loc["Page baseline", "revenue"]

    # the same name again is refused with a clear message, not a traceback
    at.text_input(key="save_name").input("Page campaign")
    at.button(key="whatif_save_button").click()
    at.run()
    assert not at.exception
    assert any("already have a scenario named" in w.value for w in at.warning)
