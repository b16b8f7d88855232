"""The System page's lists of incidents and messages are cut to the viewer's clubs and fail closed."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from core.accounts import add_account, remove_account
from core.alerts import service
from core.platform.db import load_sql

QUERIES = ("alerts/recent_incidents", "alerts/recent_deliveries")


@pytest.fixture
def one_message(engine, demo):
    """An incident at the first club with one message to a manager's webhook; removed afterwards."""
    account = add_account(engine, username=f"scope-{uuid.uuid4().hex[:8]}", role="manager",
                          password="plasma-otter-2741")
    channel = service.add_channel(engine, account=account, name="hook", kind="webhook",
                                  target="https://hooks.example.kz/x", language="en")
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        club, other = conn.execute(sa.text("select min(id), max(id) from clubs")).one()
        sub = service.subscribe(engine, account=account, channel_id=channel, club_ids=[club])
        incident = conn.execute(sa.text(
            "insert into alert_incidents (key, kind, club_id, level, texts, opened_at, last_seen_at) "
            "values (:k, 'silent_club', :c, 'critical', '{}', :now, :now) returning id"),
            {"k": f"silent_club:{club}:{uuid.uuid4().hex}", "c": club, "now": now}).scalar()
        conn.execute(sa.text(
            "insert into alert_deliveries (incident_id, subscription_id, channel_id, event, next_attempt_at) "
            "values (:i, :s, :ch, 'opened', :now)"), {"i": incident, "s": sub, "ch": channel, "now": now})
    yield club, other
    remove_account(engine, username=account.username)
    with engine.begin() as conn:
        conn.execute(sa.text("delete from alert_incidents where id = :i"), {"i": incident})


@pytest.mark.parametrize("name", QUERIES)
def test_the_lists_see_only_the_clubs_given(engine, one_message, name):
    club, other = one_message
    assert club != other

    def rows(club_ids):
        with engine.connect() as conn:
            return conn.execute(sa.text(load_sql(name)), {"club_ids": club_ids, "limit": 100}).all()

    assert rows([club, other])
    assert rows([club])
    assert rows([other]) == []
    assert rows([]) == []
