"""The Customers and Customer pages' service on a trained tier-S database."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.accounts import Account, Role
from core.customers import service
from core.platform.clubs import all_club_ids


def account(role: Role) -> Account:
    now = datetime.now(timezone.utc)
    return Account(id=0, username=f"probe-{role}", role=role, created_at=now, password_changed_at=now)


@pytest.fixture(scope="module")
def ids(engine, trained):
    return all_club_ids(engine)


def test_segments_of_the_chain_and_of_one_club(engine, ids):
    chain = service.segment_overview(engine, club_ids=ids)
    one = service.segment_overview(engine, club_ids=ids[:1])
    assert chain.customer_share.sum() == pytest.approx(1)
    assert 0 < one.customers.sum() < chain.customers.sum()
    assert service.segments_revenue(chain) == pytest.approx(chain.revenue_90d.sum())


def test_contacts_are_masked_for_the_analyst_account(engine, ids):
    manager = service.search_customers(engine, viewer=account(Role.MANAGER), club_ids=ids, limit=50)
    analyst = service.search_customers(engine, viewer=account(Role.ANALYST), club_ids=ids, limit=50)
    assert list(manager.user_id) == list(analyst.user_id)
    assert not manager.email.str.contains(r"\*\*\*").any()
    assert analyst.email.str.contains(r"\*\*\*@").all()


def test_profile_and_history(engine, ids):
    first = service.search_customers(engine, viewer=account(Role.ANALYST), club_ids=ids, limit=1).iloc[0]
    profile = service.customer_profile(engine, viewer=account(Role.ANALYST), user_id=int(first.user_id), club_ids=ids)
    assert profile["full_name"] == first.full_name and "***" in profile["email"]
    history = service.customer_history(engine, user_id=int(first.user_id), club_ids=ids)
    assert len(history) >= 1 and history.visits.sum() >= 1
    assert service.customer_profile(engine, viewer=account(Role.MANAGER), user_id=-1, club_ids=ids) is None


def test_segment_moves_month_by_month(engine, ids):
    moves = service.segment_moves(engine, months=2)
    months = service.move_months(moves)
    assert 1 <= len(months) <= 2 and months == sorted(months)
    matrix = service.moves_in_month(moves, months[-1])
    assert matrix.to_numpy().sum() == moves[moves.to_cutoff == months[-1]].customers.sum()
