"""A manager limited to one club, page by page through AppTest: the club picker offers only that club, and
no other club's name or rows reach the page; each page's CSV export holds only that club's rows."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from io import BytesIO

import pandas as pd
import pytest

from core.accounts import add_account, remove_account
from core.customers import service as customers
from core.forecast import service as forecast
from core.models import service as models
from core.platform.clubs import list_clubs
from tests.conftest import CHAIN_VIEWER, viewer_of
from tests.pages.support import PASSWORD, charts, ok

PAGES = ["pages/overview.py", "pages/customers.py", "pages/customer.py", "pages/forecast.py",
         "pages/utilization.py", "pages/whatif.py", "pages/models.py", "pages/activity.py", "pages/account.py"]


@pytest.fixture(scope="module")
def clubs(app_db, trained):
    table = list_clubs(app_db, viewer=CHAIN_VIEWER)
    return {int(r.club_id): str(r.club_name) for r in table.itertuples()}


@pytest.fixture(scope="module")
def scoped(app_db, clubs):
    mine = sorted(clubs)[0]
    name = f"club-mgr-{uuid.uuid4().hex[:8]}"
    account = add_account(app_db, username=name, role="manager", password=PASSWORD, club_ids=[mine])
    yield account
    remove_account(app_db, username=name)


def page_text(at) -> str:
    """Everything a page shows as text: words, tables, chart data, widget options."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error",
                 "text", "metric", "selectbox", "multiselect", "radio"):
        for el in at.get(kind):
            for attr in ("value", "label", "options"):
                value = getattr(el, attr, None)
                if value is not None and not callable(value):
                    parts.append(json.dumps(value, default=str, ensure_ascii=False))
    for frame in at.dataframe:
        parts.append(frame.value.to_csv())
    for chart in charts(at):
        parts.append(json.loads(chart.proto.spec).__repr__())
    for el in at.sidebar.get("multiselect"):
        parts.append(json.dumps(el.options, ensure_ascii=False))
    return "\n".join(parts)


@pytest.mark.parametrize("page", PAGES)
def test_a_clubs_manager_sees_only_that_club(app_client, scoped, clubs, page):
    mine = scoped.club_ids[0]
    at = app_client(scoped, page)
    ok(at)
    if page not in ("pages/activity.py", "pages/account.py"):
        picker = at.sidebar.multiselect(key="flt_clubs")
        assert picker.options == [clubs[mine]]
    text = page_text(at)
    for club_id, name in clubs.items():
        if club_id != mine:
            assert name not in text, f"{name} appears on {page}"
    if page == "pages/account.py":
        assert clubs[mine] in text


def test_the_customer_list_and_search_hold_only_the_clubs_customers(app_client, app_db, scoped, clubs):
    mine = scoped.club_ids[0]
    at = app_client(scoped, "pages/customers.py")
    table = at.dataframe[-1].value
    assert len(table) and set(table.favourite_club) == {clubs[mine]}
    everyone = customers.search_customers(app_db, viewer=CHAIN_VIEWER, club_ids=list(clubs), limit=50_000)
    here = set(everyone[everyone.favourite_club == clubs[mine]].full_name)
    stranger = next(n for n in everyone[everyone.favourite_club != clubs[mine]].full_name if n not in here)
    at.text_input(key="cust_search").input(stranger).run()
    assert stranger not in set(at.dataframe[-1].value.full_name)


def test_every_export_holds_only_the_clubs_rows(app_db, scoped, clubs):
    mine = scoped.club_ids[0]
    every = list(clubs)
    csv = pd.read_csv(BytesIO(customers.customers_export(app_db, viewer=scoped, club_ids=every)), encoding="utf-8-sig")
    assert len(csv) and set(csv.favourite_club) == {clubs[mine]}
    until = pd.Timestamp.now().date() - timedelta(days=1)
    theirs = forecast.forecast_export(app_db, viewer=scoped, club_ids=every, until=until, horizon=7, label="x")
    own = forecast.forecast_export(app_db, viewer=CHAIN_VIEWER, club_ids=[mine], until=until, horizon=7, label="x")
    chain = forecast.forecast_export(app_db, viewer=CHAIN_VIEWER, club_ids=every, until=until, horizon=7, label="x")
    assert theirs == own != chain  # asking for the chain gives the club's own numbers


def test_an_account_without_clubs_sees_nothing_and_is_told_why(app_client, app_db, clubs):
    name = f"no-clubs-{uuid.uuid4().hex[:8]}"
    nobody = add_account(app_db, username=name, role="manager", password=PASSWORD, club_ids=[])
    try:
        at = ok(app_client(nobody, "pages/customers.py"))
        assert "no clubs to show" in at.info[0].value
        assert not at.dataframe and not charts(at)
        assert customers.search_customers(app_db, viewer=nobody, club_ids=list(clubs)).empty  # fails closed
    finally:
        remove_account(app_db, username=name)


def test_a_clubs_manager_has_no_system_page_and_its_services_refuse(app_client, app_db, scoped):
    """Health, backups and the chain's alert history act on the whole chain: a club's manager gets none."""
    from core.accounts import PermissionDenied
    from core.system import service

    at = app_client(scoped, "pages/system.py")  # not in the navigation: the address leads elsewhere
    assert "System" not in [t.value for t in at.title]
    for call in (service.health, service.recent_incidents, service.recent_deliveries):
        with pytest.raises(PermissionDenied):
            call(app_db, account=scoped)


CHAIN_WIDE = "Chain-wide: measured on every club's customers"


def _scored(app_db, club_ids=None) -> int:
    import sqlalchemy as sa

    with app_db.connect() as conn:
        return conn.execute(sa.text("select count(*) from customer_scores where version = active_model_version() "
                                    "and (cast(:c as int[]) is null or club_id = any(cast(:c as int[])))"),
                            {"c": club_ids}).scalar()


def test_the_models_page_counts_the_clubs_customers_and_says_what_is_chain_wide(app_client, app_db, scoped):
    """A club's manager: customers scored at its clubs, and each figure of the whole chain's training said so."""
    from core.i18n.format import number

    mine, chain = _scored(app_db, list(scoped.club_ids)), _scored(app_db)
    assert 0 < mine < chain
    assert models.scored_customers(app_db, viewer=viewer_of([]), club_ids=list(scoped.club_ids)) == 0
    assert models.scored_customers(app_db, viewer=scoped, club_ids=[]) == 0
    at = ok(app_client(scoped, "pages/models.py"))
    active = next(m.value for m in at.markdown if "Active version" in m.value)
    assert f"{number(mine)} customers of your clubs scored" in active and number(chain) not in active
    notes = [c.value for c in at.caption if CHAIN_WIDE in c.value]
    # the held-out quality, against simple rules, what drives churn, the calibration table, all versions
    assert len(notes) >= 5, notes


def test_the_models_page_of_the_whole_chain_has_no_chain_wide_notes(app_client, app_db, accounts, scoped):
    from core.i18n.format import number

    at = ok(app_client(accounts["analyst"], "pages/models.py"))
    active = next(m.value for m in at.markdown if "Active version" in m.value)
    assert f"{number(_scored(app_db))} customers scored" in active
    assert not [c.value for c in at.caption if CHAIN_WIDE in c.value]


def test_the_customers_pages_quality_says_it_is_chain_wide(app_client, scoped):
    at = ok(app_client(scoped, "pages/customers.py"))
    assert any(CHAIN_WIDE in c.value for c in at.caption)


def test_the_data_page_counts_what_the_models_need_in_the_clubs_data(app_client, app_db, accounts, scoped):
    from core.data import requirements
    from core.data.service import data_moment

    moment = data_moment(app_db)["as_of"]
    own = requirements.assess(app_db, data_end=moment, club_ids=scoped.club_ids).counts
    chain = requirements.assess(app_db, data_end=moment).counts
    assert own["customers"] < chain["customers"] and own["revenue_days"] > 0
    assert not any(requirements.assess(app_db, data_end=moment, club_ids=[]).counts.values())  # no clubs: nothing

    def readiness(at) -> pd.DataFrame:
        return next(d.value for d in at.dataframe if {"model", "need", "have"} <= set(d.value.columns))

    at = ok(app_client(scoped, "pages/data.py"))
    customers = readiness(at).loc[lambda t: t.need == "customers with a visit", "have"]
    assert customers.tolist() == [own["customers"]]
    assert any("Counted over your clubs' data only" in c.value for c in at.caption)
    at = ok(app_client(accounts["manager"], "pages/data.py"))
    assert readiness(at).loc[lambda t: t.need == "customers with a visit", "have"].tolist() == [chain["customers"]]
    assert not any("Counted over your clubs' data only" in c.value for c in at.caption)
