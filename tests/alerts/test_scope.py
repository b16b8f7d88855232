"""The System page's lists of incidents and messages are cut to the viewer's clubs and fail closed."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from core.accounts import add_account, remove_account
from core.alerts import service, store
from core.platform.db import load_sql

QUERIES = ("alerts/recent_incidents", "alerts/recent_deliveries")


@pytest.fixture
def one_message(engine, demo):
    """An incident at the first and at the last club, each with a message to a webhook; removed afterwards."""
    account = add_account(engine, username=f"scope-{uuid.uuid4().hex[:8]}", role="manager",
                          password="plasma-otter-2741")
    channel = service.add_channel(engine, account=account, name="hook", kind="webhook",
                                  target="https://hooks.example.kz/x", language="en")
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        club, other = conn.execute(sa.text("select min(id), max(id) from clubs")).one()
        sub = service.subscribe(engine, account=account, channel_id=channel, club_ids=[club, other])
        incidents = []
        for c in (club, other):
            incidents.append(conn.execute(sa.text(
                "insert into alert_incidents (key, kind, club_id, level, texts, opened_at, last_seen_at) "
                "values (:k, 'silent_club', :c, 'critical', '{}', :now, :now) returning id"),
                {"k": f"silent_club:{c}:{uuid.uuid4().hex}", "c": c, "now": now}).scalar())
            conn.execute(sa.text(
                "insert into alert_deliveries (incident_id, subscription_id, channel_id, event, next_attempt_at) "
                "values (:i, :s, :ch, 'opened', :now)"), {"i": incidents[-1], "s": sub, "ch": channel, "now": now})
    yield club, other
    remove_account(engine, username=account.username)
    with engine.begin() as conn:
        conn.execute(sa.text("delete from alert_incidents where id = any(:i)"), {"i": incidents})


@pytest.mark.parametrize("name", QUERIES)
def test_the_lists_see_only_the_clubs_given(engine, one_message, name):
    club, other = one_message
    assert club != other

    def clubs(club_ids):  # other tests or the live alerts may have left incidents of their own
        with engine.connect() as conn:
            rows = conn.execute(sa.text(load_sql(name)), {"club_ids": club_ids, "limit": 1000}).all()
        return {r.club_id for r in rows}

    assert clubs([club, other]) == {club, other}
    assert clubs([club]) == {club}
    assert clubs([other]) == {other}
    assert clubs([]) == set()


@pytest.fixture
def scoped_manager(engine, demo, forget_logs):
    """A manager of the first club only, with a webhook channel; removed afterwards (with its channels)."""
    with engine.connect() as conn:
        club, other = conn.execute(sa.text("select min(id), max(id) from clubs")).one()
    account = add_account(engine, username=f"scoped-{uuid.uuid4().hex[:8]}", role="manager",
                          password="plasma-otter-2741", club_ids=[club])
    channel = service.add_channel(engine, account=account, name="hook", kind="webhook",
                                  target="https://hooks.example.kz/y", language="en")
    yield account, channel, club, other
    remove_account(engine, username=account.username)


def test_a_subscription_is_cut_to_its_owners_clubs(engine, scoped_manager):
    account, channel, club, other = scoped_manager
    with pytest.raises(service.AlertSetupError):
        service.subscribe(engine, account=account, channel_id=channel, club_ids=[other])
    everything = service.subscribe(engine, account=account, channel_id=channel)  # "all my clubs"
    mine = next(s for s in store.subscriptions(engine) if s.id == everything)
    assert mine.club_ids == frozenset({club})
    with engine.begin() as conn:  # the scope grows later: the subscription follows it
        conn.execute(sa.text("insert into app_account_clubs (account_id, club_id) values (:a, :c)"),
                     {"a": account.id, "c": other})
    assert next(s for s in store.subscriptions(engine) if s.id == everything).club_ids == {club, other}
    assert store.account_club_ids(engine, 10**9) == []  # an account that is gone sees nothing


def test_changes_to_alert_delivery_are_in_the_activity_log(engine, scoped_manager):
    account, channel, club, _ = scoped_manager
    sub = service.subscribe(engine, account=account, channel_id=channel, club_ids=[club])
    assert service.unsubscribe(engine, account=account, subscription_id=sub)
    assert service.remove_channel(engine, account=account, channel_id=channel)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select action, username, via, object_id, club_ids from activity_log "
                                    "where account_id = :a order by id"), {"a": account.id}).all()
    assert [(r.action, r.object_id) for r in rows] == [
        ("alert_channel_add", str(channel)), ("alert_subscribe", str(sub)), ("alert_unsubscribe", str(sub)),
        ("alert_channel_remove", str(channel))]
    assert {r.username for r in rows} == {account.username} and {r.via for r in rows} == {"cli"}
    assert rows[1].club_ids == [club]
