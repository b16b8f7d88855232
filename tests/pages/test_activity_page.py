"""The Activity page through AppTest: every recorded action shows with who and when, filters and search
narrow it, analysts cannot open it, and a club's manager sees only their clubs' rows."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from core.accounts import add_account, remove_account, sessions, set_role, set_scope
from core.customers import service as customers
from core.platform.clubs import all_club_ids
from core.whatif import Scenario, load_baseline, run_scenario, save_scenario, delete_scenario
from pages.ui.session import SESSION_KEY
from tests.conftest import logs_forgotten
from tests.pages.support import PASSWORD, ok, sign_in_form

PAGE = "pages/activity.py"


@pytest.fixture(scope="module")
def people(app_db, trained):
    suffix = uuid.uuid4().hex[:8]
    made = {"boss": add_account(app_db, username=f"act-boss-{suffix}", role="manager", password=PASSWORD),
            "clerk": add_account(app_db, username=f"act-clerk-{suffix}", role="analyst", password=PASSWORD)}
    with logs_forgotten(app_db):
        yield made
    for account in made.values():
        remove_account(app_db, username=account.username)


def shown(at):
    return at.dataframe[-1].value


def test_every_action_appears_with_who_and_when(app_client, app_db, people):
    boss, clerk = people["boss"], people["clerk"]
    started = datetime.now(timezone.utc) - timedelta(seconds=5)
    at = app_client()
    sign_in_form(at, clerk.username, "not the password 1")              # a failed sign-in
    ok(sign_in_form(at, clerk.username, PASSWORD))                      # a sign-in
    at.button(key="sign_out").click()                                   # a sign-out
    at.run()
    me = sessions.resume(app_db, session_id=sessions.start(app_db, boss, address="10.7.7.7").session_id)
    ids = all_club_ids(app_db)
    customers.customers_export(app_db, viewer=me, club_ids=ids, min_risk=80)     # an export
    someone = customers.search_customers(app_db, viewer=me, club_ids=ids, limit=1).user_id.iloc[0]
    customers.customer_profile(app_db, viewer=me, user_id=int(someone), club_ids=ids)  # contacts seen
    baseline = load_baseline(app_db, viewer=me, club_ids=ids, weeks=8, estimate=False)
    sid = save_scenario(app_db, name="activity probe", author=me, scenario=Scenario(),
                        result=run_scenario(baseline, Scenario(), n_draws=10))   # a scenario saved ...
    delete_scenario(app_db, id=sid, author=me)                                   # ... and deleted
    set_role(app_db, username=clerk.username, role="manager", actor=me)          # account changes
    set_role(app_db, username=clerk.username, role="analyst", via="cli")
    set_scope(app_db, username=clerk.username, club_ids=ids[:1], actor=me)

    page = app_client(boss, PAGE)
    table = shown(ok(page))
    recent = table[table["at"] >= started]
    expected = {
        ("failed to sign in", clerk.username), ("signed in", clerk.username), ("signed out", clerk.username),
        ("exported a file", boss.username), ("opened a customer with contacts", boss.username),
        ("saved a scenario", boss.username), ("deleted a scenario", boss.username),
        ("changed an account's role", boss.username), ("changed an account's clubs", boss.username),
    }
    assert expected <= set(zip(recent.action, recent.who))
    assert any(w.startswith("oyna (") for w in recent[recent.action == "changed an account's role"].who)
    assert set(recent[recent.who == boss.username].address.dropna()) >= {"10.7.7.7"}

    page.multiselect(key="act_actions").set_value(["export"]).run()
    assert set(shown(page).action) == {"exported a file"}
    page.multiselect(key="act_actions").set_value([]).run()
    page.text_input(key="act_who").input(clerk.username).run()
    assert set(shown(page).who) == {clerk.username}
    page.text_input(key="act_who").input("").run()
    page.text_input(key="act_text").input("activity probe").run()
    assert set(shown(page).action) == {"saved a scenario", "deleted a scenario"}
    assert page.get("download_button")


def test_analysts_cannot_open_it(app_client, people):
    at = app_client(people["clerk"])
    assert "Activity" not in [info.get("page_name") for info in at._registered_pages.values()]
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # no address leads there
        at.switch_page(PAGE)


def test_a_clubs_manager_sees_their_clubs_rows_only(app_client, app_db, people):
    ids = all_club_ids(app_db)
    name = f"act-club-{uuid.uuid4().hex[:8]}"
    local = add_account(app_db, username=name, role="manager", password=PASSWORD, club_ids=ids[:1])
    try:
        boss = sessions.resume(app_db, session_id=sessions.start(app_db, people["boss"]).session_id)
        customers.customers_export(app_db, viewer=boss, club_ids=ids)        # the chain's customers
        customers.customers_export(app_db, viewer=boss, club_ids=ids[:1])    # the club's customers
        at = app_client(local, PAGE)
        table = shown(ok(at))
        assert not table.empty and set(table.club_ids) <= {str(ids[0]), ""}
        mine = table[table.club_ids == ""]
        assert set(mine.who) <= {name}  # rows about no club are their own (their sign-in)
        assert at.session_state[SESSION_KEY]
    finally:
        remove_account(app_db, username=name)
