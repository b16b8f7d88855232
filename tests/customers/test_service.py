"""The Customers and Customer pages' service on a trained tier-S database: segments, search, profile,
history and moves, what an analyst sees, a club's manager's scope, and the recorded exports."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

import pandas as pd
import pytest
import sqlalchemy as sa

from core.accounts import Role
from core.customers import service
from core.platform.clubs import all_club_ids
from tests.conftest import CHAIN_VIEWER, viewer_of

MANAGER = CHAIN_VIEWER
ANALYST = replace(CHAIN_VIEWER, role=Role.ANALYST, username="test-analyst")


@pytest.fixture(scope="module")
def ids(engine, trained):
    return all_club_ids(engine)


def test_segments_of_the_chain_and_of_one_club(engine, ids):
    chain = service.segment_overview(engine, viewer=MANAGER, club_ids=ids)
    one = service.segment_overview(engine, viewer=MANAGER, club_ids=ids[:1])
    assert chain.customer_share.sum() == pytest.approx(1)
    assert 0 < one.customers.sum() < chain.customers.sum()
    assert 0 < one.revenue_90d.sum() < chain.revenue_90d.sum()
    assert service.segments_revenue(chain) == pytest.approx(chain.revenue_90d.sum())
    assert service.segment_overview(engine, viewer=viewer_of(ids[:1]), club_ids=ids).equals(one)
    assert service.segment_overview(engine, viewer=viewer_of([]), club_ids=ids).empty  # no clubs: nothing


def test_an_analyst_sees_a_first_name_and_an_initial_and_no_contacts(engine, ids):
    manager = service.search_customers(engine, viewer=MANAGER, club_ids=ids, limit=50)
    analyst = service.search_customers(engine, viewer=ANALYST, club_ids=ids, limit=50)
    assert list(manager.user_id) == list(analyst.user_id)
    assert {"email", "phone"} <= set(manager.columns) and not {"email", "phone"} & set(analyst.columns)
    assert manager.email.str.contains("@").all()
    for full, short in zip(manager.full_name, analyst.full_name):
        first, last = full.split()[:2]
        assert short == f"{first} {last[0]}." and last not in short


def test_an_analysts_search_matches_names_only(engine, ids):
    someone = service.search_customers(engine, viewer=MANAGER, club_ids=ids, limit=1).iloc[0]
    local = someone.email.split("@")[0]
    fragment = local[:max(4, len(local) // 2)]
    assert someone.user_id in set(service.search_customers(engine, viewer=MANAGER, club_ids=ids, text=fragment,
                                                           limit=5000).user_id)
    for typed in (someone.email, fragment, someone.email.split("@")[1]):
        # an e-mail or a piece of one finds nothing, so an analyst cannot confirm an address
        assert service.search_customers(engine, viewer=ANALYST, club_ids=ids, text=typed, limit=5000).empty
    first_name = someone.full_name.split()[0]
    assert someone.user_id in set(service.search_customers(engine, viewer=ANALYST, club_ids=ids, text=first_name,
                                                           limit=5000).user_id)


def _found(engine, viewer, ids, text) -> set[int]:
    return set(service.search_customers(engine, viewer=viewer, club_ids=ids, text=text, limit=50_000).user_id)


def test_an_analyst_cannot_rebuild_a_surname_letter_by_letter(engine, ids):
    """Typing a first name and more and more of a surname finds the same customers as the first name alone,
    and a surname's first letters alone find nobody by it."""
    everyone = service.search_customers(engine, viewer=MANAGER, club_ids=ids, limit=50_000).sort_values("user_id")
    words = everyone.full_name.str.split()
    first_names = {w[0].lower() for w in words}
    # a customer whose surname begins no one's first name, so that nobody at all may match it
    someone = next(r for r, w in zip(everyone.itertuples(), words)
                   if len(w) > 1 and not any(f.startswith(w[1][:2].lower()) for f in first_names))
    first, surname = someone.full_name.split()[:2]
    alone = _found(engine, ANALYST, ids, first)
    assert someone.user_id in alone
    for n in range(1, len(surname) + 1):
        assert _found(engine, ANALYST, ids, f"{first} {surname[:n]}") == alone, surname[:n]
        if n >= 2:  # `someone` was picked so that no first name begins with the surname's first two letters
            assert _found(engine, ANALYST, ids, surname[:n]) == set(), surname[:n]
    assert _found(engine, MANAGER, ids, f"{first} {surname}") < alone  # a manager still finds by surname


def test_an_analyst_matches_the_first_word_however_the_name_is_spaced(engine, ids):
    someone = service.search_customers(engine, viewer=MANAGER, club_ids=ids, limit=1).iloc[0]
    first, surname = someone.full_name.split()[:2]
    with engine.begin() as conn:
        conn.execute(sa.text("update users set full_name = :n where id = :id"),
                     {"n": f"\t{first}\u00a0\t{surname}", "id": int(someone.user_id)})
    try:
        assert someone.user_id in _found(engine, ANALYST, ids, first)
        assert someone.user_id not in _found(engine, ANALYST, ids, surname)
        assert someone.user_id in _found(engine, MANAGER, ids, surname)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("update users set full_name = :n where id = :id"),
                         {"n": someone.full_name, "id": int(someone.user_id)})


def test_profile_and_history(engine, ids, forget_logs):
    first = service.search_customers(engine, viewer=MANAGER, club_ids=ids, limit=1).iloc[0]
    profile = service.customer_profile(engine, viewer=ANALYST, user_id=int(first.user_id), club_ids=ids)
    assert profile["full_name"] == " ".join([first.full_name.split()[0], first.full_name.split()[1][0] + "."])
    assert "email" not in profile and "phone" not in profile
    full = service.customer_profile(engine, viewer=MANAGER, user_id=int(first.user_id), club_ids=ids)
    assert full["email"] == first.email and full["full_name"] == first.full_name
    history = service.customer_history(engine, viewer=ANALYST, user_id=int(first.user_id), club_ids=ids)
    assert len(history) >= 1 and history.visits.sum() >= 1
    assert service.customer_profile(engine, viewer=MANAGER, user_id=-1, club_ids=ids) is None


def test_a_profile_with_contacts_is_recorded_once_per_look(engine, ids, forget_logs):
    first = service.search_customers(engine, viewer=MANAGER, club_ids=ids, limit=1).iloc[0]
    looker = replace(MANAGER, session_id=-7, address="10.1.1.1")
    for _ in range(3):  # the page reruns while the manager looks
        service.customer_profile(engine, viewer=looker, user_id=int(first.user_id), club_ids=ids)
    service.customer_profile(engine, viewer=replace(ANALYST, session_id=-8), user_id=int(first.user_id), club_ids=ids)
    with engine.connect() as conn:
        views = conn.execute(sa.text("select session_id, address, object_id from activity_log "
                                     "where action = 'customer_view' and session_id in (-7, -8)")).all()
    assert [tuple(v) for v in views] == [(-7, "10.1.1.1", str(first.user_id))]  # analysts see no contacts


def test_a_clubs_manager_never_receives_another_clubs_customers(engine, ids, forget_logs):
    mine, other = ids[0], ids[1]
    viewer = viewer_of([mine])
    listed = service.search_customers(engine, viewer=viewer, club_ids=ids, limit=50_000)
    everyone = service.search_customers(engine, viewer=MANAGER, club_ids=ids, limit=50_000)
    theirs = everyone[everyone.favourite_club != listed.favourite_club.iloc[0]]
    assert len(listed) and set(listed.favourite_club) == {listed.favourite_club.iloc[0]}
    assert not set(listed.user_id) & set(theirs.user_id)
    stranger = int(theirs.user_id.iloc[0])
    with engine.connect() as conn:  # a customer who never booked at my club
        never_here = conn.execute(sa.text(
            "select u.id from users u where not exists (select 1 from club_bookings b where b.user_id = u.id "
            "and b.club_id = :c) and exists (select 1 from club_bookings b where b.user_id = u.id) order by u.id limit 1"),
            {"c": mine}).scalar_one()
    assert service.customer_profile(engine, viewer=viewer, user_id=never_here, club_ids=ids) is None
    assert service.customer_history(engine, viewer=viewer, user_id=stranger, club_ids=[other]).empty
    csv = pd.read_csv(BytesIO(service.customers_export(engine, viewer=viewer, club_ids=ids)), encoding="utf-8-sig")
    assert set(csv.user_id) == set(listed.user_id) and set(csv.favourite_club) == set(listed.favourite_club)


def test_the_csv_is_what_the_viewer_sees_and_is_recorded(engine, ids, forget_logs):
    csv = pd.read_csv(BytesIO(service.customers_export(engine, viewer=ANALYST, club_ids=ids, min_risk=50)),
                      encoding="utf-8-sig")
    assert len(csv) and not {"email", "phone"} & set(csv.columns) and (csv.churn_risk >= 50).all()
    assert csv.full_name.str.fullmatch(r"\S+ \S\.").all()
    with engine.connect() as conn:
        row = conn.execute(sa.text("select username, club_ids, details from activity_log where action = 'export' "
                                   "and object_type = 'customers' order by id desc limit 1")).one()
    assert row.username == ANALYST.username and row.details["rows"] == len(csv) and row.details["format"] == "csv"
    assert row.details["filter"]["risk"] == [50, 100] and sorted(row.club_ids) == sorted(ids)


def test_segment_moves_month_by_month(engine, ids):
    moves = service.segment_moves(engine, viewer=MANAGER, club_ids=ids, months=2)
    months = service.move_months(moves)
    assert 1 <= len(months) <= 2 and months == sorted(months)
    matrix = service.moves_in_month(moves, months[-1])
    assert matrix.to_numpy().sum() == moves[moves.to_cutoff == months[-1]].customers.sum()
    one = service.segment_moves(engine, viewer=viewer_of(ids[:1]), club_ids=ids, months=2)
    assert 0 < one.customers.sum() < moves.customers.sum()
    assert service.segment_moves(engine, viewer=viewer_of([]), club_ids=ids, months=2).empty
