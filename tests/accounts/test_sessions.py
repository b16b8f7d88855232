"""Sessions: the one-time grant and the cookie's token (hashes only), finding a session again with the account
re-read, the idle and absolute limits, and every way a session ends."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from core.accounts import (
    PermissionDenied,
    Role,
    add_account,
    authenticate,
    change_password,
    remove_account,
    sessions,
    set_password,
    set_role,
    set_scope,
)
from core.platform.clubs import all_club_ids
from core.platform.settings import load_settings
from tests.accounts.support import OTHER_PASSWORD, PASSWORD


@pytest.fixture
def manager(engine, demo, names):
    return add_account(engine, username=names("m"), role="manager", password=PASSWORD)


def session_row(engine, session_id: int):
    with engine.connect() as conn:
        return conn.execute(sa.text("select * from app_sessions where id = :i"), {"i": session_id}).one()


def age(engine, session_id: int, column: str, hours: float) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"update app_sessions set {column} = {column} - make_interval(secs => :s) "
                             "where id = :i"), {"s": hours * 3600, "i": session_id})


def test_a_grant_is_traded_once_for_a_token_and_only_hashes_are_kept(engine, account):
    started = sessions.start(engine, account, address="10.0.0.5", user_agent="Chromium")
    token, expires_at = sessions.redeem(engine, started.grant)
    assert expires_at == started.expires_at and token != started.grant
    assert sessions.redeem(engine, started.grant) is None  # once only
    row = session_row(engine, started.session_id)
    assert row.token_hash == sessions.digest(token) and row.grant_hash is None
    assert token.encode() not in bytes(row.token_hash) and row.address == "10.0.0.5"
    found = sessions.resume(engine, token=token)
    assert found.id == account.id and found.session_id == started.session_id
    assert sessions.resume(engine, token=token + "x") is None
    assert sessions.redeem(engine, "too short") is None


def test_a_late_grant_is_refused(engine, account):
    started = sessions.start(engine, account)
    with engine.begin() as conn:
        conn.execute(sa.text("update app_sessions set grant_expires_at = now() - interval '1 second' where id = :i"),
                     {"i": started.session_id})
    assert sessions.redeem(engine, started.grant) is None
    assert sessions.resume(engine, session_id=started.session_id) is not None  # the tab itself stays signed in


def test_only_runs_a_person_caused_keep_a_session_alive(engine, account):
    started = sessions.start(engine, account)
    age(engine, started.session_id, "last_seen_at", 11)
    before = session_row(engine, started.session_id).last_seen_at
    assert sessions.resume(engine, session_id=started.session_id, touch=False) is not None  # an auto refresh
    assert session_row(engine, started.session_id).last_seen_at == before
    age(engine, started.session_id, "last_seen_at", 1.5)   # 12.5 h without a person: idle, ended
    assert sessions.resume(engine, session_id=started.session_id, touch=False) is None
    assert sessions.resume(engine, session_id=started.session_id) is None


def test_a_run_a_person_caused_moves_the_idle_clock(engine, account):
    started = sessions.start(engine, account)
    age(engine, started.session_id, "last_seen_at", 11)
    assert sessions.resume(engine, session_id=started.session_id, address="10.0.0.9") is not None
    age(engine, started.session_id, "last_seen_at", 11)  # 11 h after the last run, not 22
    assert sessions.resume(engine, session_id=started.session_id) is not None
    assert session_row(engine, started.session_id).address == "10.0.0.9"


def test_the_absolute_limit_and_the_settings(engine, account):
    started = sessions.start(engine, account)
    age(engine, started.session_id, "created_at", 7 * 24 + 1)  # older than 7 days, however busy
    assert sessions.resume(engine, session_id=started.session_id) is None
    short = replace(load_settings(), session_idle_hours=0.5)
    fresh = sessions.start(engine, account, settings=short)
    age(engine, fresh.session_id, "last_seen_at", 1)
    assert sessions.resume(engine, session_id=fresh.session_id, settings=short) is None
    assert sessions.resume(engine, session_id=fresh.session_id) is not None  # 12 h by default


def test_the_account_is_read_afresh(engine, manager):
    started = sessions.start(engine, manager)
    set_role(engine, username=manager.username, role="analyst")
    assert sessions.resume(engine, session_id=started.session_id).role is Role.ANALYST
    set_scope(engine, username=manager.username, club_ids=[2])
    assert sessions.resume(engine, session_id=started.session_id).club_ids == (2,)
    set_scope(engine, username=manager.username, club_ids=None)
    assert sessions.resume(engine, session_id=started.session_id).whole_chain
    remove_account(engine, username=manager.username)
    assert sessions.resume(engine, session_id=started.session_id) is None


def test_every_way_a_session_ends(engine, account):
    first, second, third = (sessions.start(engine, account) for _ in range(3))
    signed_in = sessions.resume(engine, session_id=first.session_id)
    sessions.sign_out(engine, signed_in)
    assert sessions.resume(engine, session_id=first.session_id) is None
    assert sessions.resume(engine, session_id=second.session_id) is not None
    assert session_row(engine, first.session_id).end_reason == "sign_out"

    assert sessions.sign_out_everywhere(engine, sessions.resume(engine, session_id=second.session_id)) == 2
    assert sessions.resume(engine, session_id=third.session_id) is None

    fourth = sessions.start(engine, account)
    set_password(engine, username=account.username, password=OTHER_PASSWORD)  # a manager's reset
    assert sessions.resume(engine, session_id=fourth.session_id) is None
    assert session_row(engine, fourth.session_id).end_reason == "password_changed"


def test_changing_ones_password_ends_every_session(engine, account):
    started = sessions.start(engine, account)
    me = sessions.resume(engine, session_id=started.session_id)
    with pytest.raises(Exception, match="current password is not right"):
        change_password(engine, account=me, current="not it at all", new=OTHER_PASSWORD, address="10.3.3.3")
    with pytest.raises(Exception, match="differ"):
        change_password(engine, account=me, current=PASSWORD, new=OTHER_PASSWORD, repeat=OTHER_PASSWORD + "!")
    change_password(engine, account=me, current=PASSWORD, new=OTHER_PASSWORD, repeat=OTHER_PASSWORD)
    assert sessions.resume(engine, session_id=started.session_id) is None
    assert authenticate(engine, username=account.username, password=OTHER_PASSWORD, address="10.3.3.4") is not None


def test_managers_list_and_end_anyones_sessions(engine, account, manager, names):
    theirs = sessions.start(engine, account, address="10.4.4.4")
    mine = sessions.start(engine, manager)
    me = sessions.resume(engine, session_id=mine.session_id)
    analyst = sessions.resume(engine, session_id=theirs.session_id)
    everyone = sessions.live_sessions(engine, viewer=me, everyone=True)
    assert {theirs.session_id, mine.session_id} <= set(everyone.session_id)
    assert everyone.set_index("session_id").loc[mine.session_id, "current"]
    assert set(sessions.live_sessions(engine, viewer=analyst).username) == {account.username}
    with pytest.raises(PermissionDenied):
        sessions.live_sessions(engine, viewer=analyst, everyone=True)
    with pytest.raises(PermissionDenied):
        sessions.end_session(engine, viewer=analyst, session_id=mine.session_id)
    scoped = add_account(engine, username=names("sm"), role="manager", password=PASSWORD, club_ids=[1])
    with pytest.raises(PermissionDenied, match="some clubs only"):  # a club's manager manages their own only
        sessions.live_sessions(engine, viewer=scoped, everyone=True)
    assert sessions.end_session(engine, viewer=me, session_id=theirs.session_id)
    assert sessions.resume(engine, session_id=theirs.session_id) is None
    assert session_row(engine, theirs.session_id).end_reason == "ended_by_manager"
    assert not sessions.end_session(engine, viewer=me, session_id=theirs.session_id)


def test_old_sessions_are_trimmed(engine, account):
    started = sessions.start(engine, account)
    sessions.sign_out(engine, sessions.resume(engine, session_id=started.session_id))
    sessions.trim(engine)
    assert session_row(engine, started.session_id).end_reason == "sign_out"  # a recent end is kept
    with engine.begin() as conn:
        conn.execute(sa.text("update app_sessions set ended_at = now() - interval '31 days' where id = :i"),
                     {"i": started.session_id})
    assert sessions.trim(engine) >= 1
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from app_sessions where id = :i"),
                            {"i": started.session_id}).scalar_one() == 0


def test_live_sessions_are_counted_for_the_metric(engine, account):
    before = sessions.count_live(engine)
    first, second = sessions.start(engine, account), sessions.start(engine, account)
    assert sessions.count_live(engine) == before + 2
    sessions.end(engine, first.session_id, reason="sign_out")
    age(engine, second.session_id, "last_seen_at", 13)  # idle past the 12 h default
    assert sessions.count_live(engine) == before


def test_recheck_refuses_what_a_session_may_no_longer_do(engine, manager):
    """Work a page prepared (a download) asks again when it is done: the account as it is now, or a refusal."""
    clubs = all_club_ids(engine)[:2]
    session_id = sessions.start(engine, manager, address="10.1.2.3").session_id
    fresh = sessions.recheck(engine, session_id=session_id, permissions=("view", "see_contacts"), club_ids=clubs,
                             address="10.1.2.3")
    assert (fresh.id, fresh.session_id, fresh.address) == (manager.id, session_id, "10.1.2.3")
    set_role(engine, username=manager.username, role="analyst")
    with pytest.raises(PermissionDenied, match="is an analyst"):
        sessions.recheck(engine, session_id=session_id, permissions=("view", "see_contacts"), club_ids=clubs)
    assert sessions.recheck(engine, session_id=session_id, club_ids=clubs).role == Role.ANALYST
    set_scope(engine, username=manager.username, club_ids=clubs[:1])
    with pytest.raises(PermissionDenied, match="no longer see every club"):
        sessions.recheck(engine, session_id=session_id, club_ids=clubs)   # refused, not narrowed
    assert sessions.recheck(engine, session_id=session_id, club_ids=clubs[:1]).club_ids == tuple(clubs[:1])
    sessions.end(engine, session_id, reason="sign_out")
    for gone in (session_id, None):
        with pytest.raises(PermissionDenied, match="session has ended"):
            sessions.recheck(engine, session_id=gone)
