"""Creating and closing campaigns: managers only, a seeded control group, groups that never change, and
a contact list of the treated customers only, masked for analysts."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pandas as pd
import pytest
import sqlalchemy as sa

from core.accounts import PermissionDenied, Role
from core.campaigns import Audience, CampaignError, CampaignPlan, close_campaign, create_campaign, preview, service
from core.campaigns.measure import AssignmentChanged, verify_assignment
from core.campaigns.store import find_campaign
from core.platform.db import query_df
from tests.campaigns.support import every_club
from tests.conftest import TODAY, viewer_of


def _plan(**changes) -> CampaignPlan:
    values = dict(name="Comeback bonus", offer="500 ₸ off the next visit", cost_per_contact=150, window_days=30,
                  starts_on=TODAY, audience=Audience("top", 40), control_share=0.15, seed=7)
    values.update(changes)
    return CampaignPlan(**values)


def _groups(engine, campaign_id: int):
    return query_df(engine, "campaigns/assignments", campaign_id=campaign_id, club_ids=every_club(engine))


def test_a_manager_creates_a_campaign_with_a_seeded_stratified_control(engine, trained, manager, made):
    clubs = every_club(engine)
    campaign_id, groups = create_campaign(engine, _plan(), account=manager, club_ids=clubs)
    made.append(campaign_id)
    stored = _groups(engine, campaign_id)
    assert len(stored) == len(groups.customers) == groups.treated + groups.control
    assert groups.control == (~stored.treated).sum()
    for band, part in stored.groupby("risk_band"):
        assert (~part.treated).sum() == round(0.15 * len(part)), band     # each risk band holds out 15%
    # the same plan and seed give the same split again (reproducible), here without writing anything
    again = preview(engine, account=manager, audience=Audience("top", 40), control_share=0.15, club_ids=clubs, seed=7)
    again = again.customers.set_index("user_id").treated
    assert (again.loc[stored.user_id].to_numpy() == stored.treated.to_numpy()).all()
    verify_assignment(stored, control_share=0.15, seed=7)
    row = service.campaign_report(engine, campaign_id, viewer=manager, club_ids=clubs)["campaign"]
    assert row["created_by"] == manager.username and row["status"] == "running" and row["treated"] == groups.treated


def test_an_analyst_cannot_create_or_close_a_campaign(engine, trained, manager, analyst, made):
    clubs = every_club(engine)
    before = query_df(engine, "campaigns/list", club_ids=clubs, campaign_id=None)
    with pytest.raises(PermissionDenied, match="may not create and close retention campaigns"):
        create_campaign(engine, _plan(), account=analyst, club_ids=clubs)
    with pytest.raises(PermissionDenied):
        create_campaign(engine, _plan(), account=None, club_ids=clubs)
    assert len(query_df(engine, "campaigns/list", club_ids=clubs, campaign_id=None)) == len(before)
    campaign_id, _ = create_campaign(engine, _plan(), account=manager, club_ids=clubs)
    made.append(campaign_id)
    with pytest.raises(PermissionDenied):
        close_campaign(engine, campaign_id, account=analyst, club_ids=clubs)
    assert service.campaign_report(engine, campaign_id, viewer=manager, club_ids=clubs)["campaign"]["status"] != "closed"


def test_assignments_cannot_change_afterwards(engine, trained, manager, made):
    clubs = every_club(engine)
    campaign_id, groups = create_campaign(engine, _plan(), account=manager, club_ids=clubs)
    made.append(campaign_id)
    user = int(groups.customers.user_id.iloc[0])
    refused = {
        "update": "update campaign_assignments set treated = not treated where campaign_id = :c",
        "delete": "delete from campaign_assignments where campaign_id = :c",
        "insert": "insert into campaign_assignments (campaign_id, user_id, treated, club_id, churn_risk, risk_band) "
                  "select :c, id, true, 1, 50, 'medium' from users where id not in "
                  "(select user_id from campaign_assignments where campaign_id = :c) order by id limit 1",
        "redefine": "update campaigns set control_share = 0.5 where id = :c",
        "delete campaign": "delete from campaigns where id = :c",
    }
    for what, statement in refused.items():
        with pytest.raises(sa.exc.DBAPIError, match="cannot|already has its groups|kept in the ledger"):
            with engine.begin() as conn:
                conn.execute(sa.text(statement), {"c": campaign_id})
        assert len(_groups(engine, campaign_id)) == len(groups.customers), what
    stored = _groups(engine, campaign_id)
    assert bool(stored.set_index("user_id").treated[user]) == bool(groups.customers.set_index("user_id").treated[user])
    # core checks the stored groups against the seed, so a change made behind its back is caught
    flipped = stored.assign(treated=stored.treated.where(stored.user_id != user, ~stored.treated))
    with pytest.raises(AssignmentChanged):
        verify_assignment(flipped, control_share=0.15, seed=7)


def test_closing_freezes_the_result(engine, trained, manager, made):
    clubs = every_club(engine)
    plan = _plan(starts_on=TODAY - timedelta(days=20))
    campaign_id, _ = create_campaign(engine, plan, account=manager, club_ids=clubs)
    made.append(campaign_id)
    result = close_campaign(engine, campaign_id, account=manager, club_ids=clubs)
    assert result["shortened"] and not result["provisional"]          # closed before its 30 days were over
    report = service.campaign_report(engine, campaign_id, viewer=manager, club_ids=clubs)
    assert report["campaign"]["status"] == "closed" and report["result"] == result
    with pytest.raises(CampaignError, match="already closed"):
        close_campaign(engine, campaign_id, account=manager, club_ids=clubs)
    with pytest.raises(sa.exc.DBAPIError, match="is closed"):
        with engine.begin() as conn:
            conn.execute(sa.text("update campaigns set result = '{}' where id = :c"), {"c": campaign_id})
    with engine.connect() as conn:
        actions = conn.execute(sa.text("select action from activity_log where object_type = 'campaign' "
                                       "and object_id = :c order by at"), {"c": str(campaign_id)}).scalars().all()
    assert actions == ["campaign_create", "campaign_close"]            # both go to the activity log


def test_fewer_than_200_control_customers_bring_a_clear_warning(engine, trained, manager, made):
    clubs = every_club(engine)
    small = preview(engine, account=manager, audience=Audience("top", 5), control_share=0.15, club_ids=clubs)
    assert small.control < 200
    assert any("fewer than 200" in w for w in small.warnings)
    campaign_id, groups = create_campaign(engine, _plan(audience=Audience("top", 5)), account=manager,
                                          club_ids=clubs)
    made.append(campaign_id)
    assert groups.warnings == small.warnings
    big = preview(engine, account=manager, audience=Audience("top", 100), control_share=0.4, club_ids=clubs)
    assert big.control >= 200 and not big.warnings


def test_both_exports_are_masked_and_in_the_activity_log(engine, trained, manager, analyst, made, forget_logs):
    clubs = every_club(engine)
    campaign_id, groups = create_campaign(engine, _plan(), account=manager, club_ids=clubs)
    made.append(campaign_id)
    contacts = pd.read_csv(BytesIO(service.contacts_export(engine, campaign_id, viewer=analyst, club_ids=clubs)),
                           encoding="utf-8-sig")
    assert len(contacts) == groups.treated and "email" not in contacts.columns
    top = Audience("top", 5)
    chosen = pd.read_csv(BytesIO(service.targeted_export(engine, viewer=manager, club_ids=clubs, audience=top,
                                                         labels={"full_name": "Имя"})), encoding="utf-8-sig")
    assert "Имя" in chosen.columns and len(chosen) == len(service.targeted_list(
        engine, viewer=manager, club_ids=clubs, audience=top)) > 0
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select object_type, username, club_ids, details from activity_log "
                                    "where action = 'export' and username in (:a, :m) order by id"),
                            {"a": analyst.username, "m": manager.username}).all()
    assert [(r.object_type, r.username) for r in rows] == [
        ("campaign_contacts", analyst.username), ("targeted_customers", manager.username)]
    assert rows[0].details["rows"] == len(contacts) and rows[0].details["filter"]["campaign"] == campaign_id
    assert rows[1].details["filter"]["audience"] == top.to_dict() and rows[1].club_ids == sorted(clubs)


def test_the_contact_list_holds_the_treated_only_masked_for_analysts(engine, trained, manager, analyst, made):
    clubs = every_club(engine)
    campaign_id, groups = create_campaign(engine, _plan(), account=manager, club_ids=clubs)
    made.append(campaign_id)
    full = service.treated_contacts(engine, campaign_id, viewer=manager, club_ids=clubs)
    masked = service.treated_contacts(engine, campaign_id, viewer=analyst, club_ids=clubs)
    treated = set(groups.customers[groups.customers.treated].user_id)
    assert set(full.user_id) == set(masked.user_id) == treated
    assert full.email.notna().any() and not full.email.str.contains("***", regex=False).any()
    assert "email" not in masked.columns and "phone" not in masked.columns   # analysts get no contacts


def test_club_scope_fails_closed(engine, trained, manager, made):
    clubs = every_club(engine)
    campaign_id, _ = create_campaign(engine, _plan(), account=manager, club_ids=clubs)
    made.append(campaign_id)
    assert campaign_id not in set(service.ledger(engine, viewer=manager, club_ids=[]).id)
    assert campaign_id not in set(service.ledger(engine, viewer=manager, club_ids=clubs[:1]).id)   # it covers more clubs
    assert campaign_id in set(service.ledger(engine, viewer=manager, club_ids=clubs).id)
    with pytest.raises(CampaignError, match="no such campaign"):
        service.treated_contacts(engine, campaign_id, viewer=manager, club_ids=clubs[:1])
    with pytest.raises(CampaignError, match="at least one club"):
        create_campaign(engine, _plan(), account=manager, club_ids=[])


def test_a_club_manager_reads_no_campaign_of_another_club_whatever_clubs_the_page_passes(engine, trained, manager,
                                                                                          made):
    """The services apply the signed-in account's club scope themselves: a manager of club A asking for
    club B (as a tampered page would) reads nothing of B's campaign, its report, contacts or targeting."""
    a, b = every_club(engine)[:2]
    plan = _plan(window_days=14, starts_on=TODAY - timedelta(days=20))
    at_b, _ = create_campaign(engine, plan, account=manager, club_ids=[b])
    both, _ = create_campaign(engine, _plan(), account=manager, club_ids=[a, b])
    made.extend([at_b, both])
    close_campaign(engine, at_b, account=manager, club_ids=[b])
    of_a, of_b = viewer_of([a]), viewer_of([b])
    asked = {"b": [b], "a and b": [a, b]}
    top = Audience("top", 40)
    # club B's manager sees it all: the checks below can fail
    assert at_b in set(service.ledger(engine, viewer=of_b, club_ids=[b]).id)
    assert service.campaign_report(engine, at_b, viewer=of_b, club_ids=[b])["result"]
    assert len(service.treated_contacts(engine, at_b, viewer=of_b, club_ids=[b]))
    assert service.measured_save_rate(engine, viewer=of_b, club_ids=[b]) is not None
    assert service.targeting(engine, viewer=of_b, club_ids=[b], audience=top, offer_cost=100, save_rate=0.1)["targeted"]
    assert len(service.targeted_list(engine, viewer=of_b, club_ids=[b], audience=top))
    for what, clubs in asked.items():
        for viewer in (of_a, viewer_of([a], Role.ANALYST)):
            ledger = set(service.ledger(engine, viewer=viewer, club_ids=clubs).id)
            assert at_b not in ledger and both not in ledger, what
            for campaign_id in (at_b, both):
                with pytest.raises(CampaignError, match="no such campaign"):
                    service.campaign_report(engine, campaign_id, viewer=viewer, club_ids=clubs)
                with pytest.raises(CampaignError, match="no such campaign"):
                    service.treated_contacts(engine, campaign_id, viewer=viewer, club_ids=clubs)
                with pytest.raises(CampaignError, match="no such campaign"):
                    find_campaign(engine, campaign_id, viewer=viewer, club_ids=clubs)
            assert service.measured_save_rate(engine, viewer=viewer, club_ids=clubs) is None
            seen = service.scores(engine, viewer=viewer, club_ids=clubs)
            assert set(seen.club_id) <= {a}, what
            out = service.targeting(engine, viewer=viewer, club_ids=clubs, audience=top, offer_cost=100, save_rate=0.1)
            assert out["customers"] == len(seen), what
            listed = service.targeted_list(engine, viewer=viewer, club_ids=clubs, audience=top)
            assert set(listed.user_id) <= set(seen.user_id), what
        with pytest.raises(CampaignError, match="no such campaign"):
            close_campaign(engine, both, account=of_a, club_ids=clubs)
    # only club B asked for: nothing at all for club A's manager
    assert service.scores(engine, viewer=of_a, club_ids=[b]).empty
    assert service.segments(engine, viewer=of_a, club_ids=[b]) == []
    assert service.targeting(engine, viewer=of_a, club_ids=[b], audience=top, offer_cost=100,
                             save_rate=0.1)["targeted"] == 0
    assert service.targeted_list(engine, viewer=of_a, club_ids=[b], audience=top).empty
    with pytest.raises(CampaignError, match="no customer"):
        preview(engine, account=of_a, audience=top, control_share=0.15, club_ids=[b])
    # nobody signed in reads nothing, and an analyst cannot preview a campaign's groups
    with pytest.raises(PermissionDenied):
        service.ledger(engine, viewer=None, club_ids=[a, b])
    with pytest.raises(PermissionDenied):
        service.targeting(engine, viewer=None, club_ids=[a, b], audience=top, offer_cost=100, save_rate=0.1)
    with pytest.raises(PermissionDenied):
        preview(engine, account=viewer_of([a, b], Role.ANALYST), audience=top, control_share=0.15, club_ids=[a, b])


def test_bad_plans_are_refused_with_a_reason():
    with pytest.raises(CampaignError, match="name"):
        _plan(name="  ")
    with pytest.raises(CampaignError, match="negative"):
        _plan(cost_per_contact=-5)
    with pytest.raises(CampaignError, match="window"):
        _plan(window_days=3)
    with pytest.raises(CampaignError, match="control group"):
        _plan(control_share=0.9)
    with pytest.raises(CampaignError, match="start date"):
        _plan(starts_on="tomorrow")


CAMPAIGN_QUERIES = {"assignments": {}, "close": {"closed_by": "test", "result": "{}"}, "closed_results": {},
                    "contacts": {}, "list": {}, "outcomes": {"as_of": None}, "treated_contacts": {}}


def test_every_campaign_query_fails_closed(engine, trained, manager, made):
    """Each campaigns/* query that takes clubs: rows for the campaign's clubs, nothing for an empty list."""
    from core.platform.db import load_sql

    clubs = every_club(engine)
    campaign_id, groups = create_campaign(engine, _plan(), account=manager, club_ids=clubs)
    made.append(campaign_id)
    users = groups.customers.user_id.astype(int).tolist()
    for name, extra in CAMPAIGN_QUERIES.items():
        params = dict(extra, campaign_id=campaign_id, user_ids=users)
        with engine.connect() as conn:
            if name == "closed_results":   # it reads closed campaigns: close this one inside the transaction
                conn.execute(sa.text(load_sql("campaigns/close")), dict(params, club_ids=clubs, closed_by="t",
                                                                            result="{}"))
            everyone = conn.execute(sa.text(load_sql(f"campaigns/{name}")), dict(params, club_ids=clubs)).all()
            nobody = conn.execute(sa.text(load_sql(f"campaigns/{name}")), dict(params, club_ids=[])).all()
            conn.rollback()
        assert everyone, f"campaigns/{name} returns rows for the whole chain (else this test proves nothing)"
        assert nobody == [], f"campaigns/{name} sees something with an empty club list"
