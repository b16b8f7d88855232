"""The System page through AppTest: managers see the health checks and set up where alerts go; analysts
do not get the page at all."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from core.alerts import dispatch
from core.alerts.evaluate import Evaluation, Found
from tests.alerts.support import allowing_local, http_recorder
from tests.pages.support import ok, shown

PAGE = "pages/system.py"


@pytest.fixture
def recorder():
    with http_recorder() as (base, http):
        yield base, http


@pytest.fixture
def cleanup(app_db, accounts):
    """Forget the manager's channels and every incident the test made."""
    with app_db.connect() as conn:
        first = conn.execute(sa.text("select coalesce(max(id), 0) from alert_incidents")).scalar()
    yield
    with app_db.begin() as conn:
        conn.execute(sa.text("delete from alert_channels where account_id = :a"), {"a": accounts["manager"].id})
        conn.execute(sa.text("delete from alert_incidents where id > :id"), {"id": first})


def test_a_manager_sees_every_health_check(app_client, accounts, trained):
    at = app_client(accounts["manager"], PAGE)
    assert [t.label for t in at.tabs] == ["Health", "Alert delivery"]
    checks = at.dataframe[0].value
    assert list(checks["Check"]) == ["Database", "Analytics views", "Model", "Latest data", "Alert delivery",
                                     "Disk space", "Audit partitions"]
    assert checks.iloc[0]["Result"].startswith("reachable in")
    banner = {"OK": "Everything is working.", "Warning": "Working, with warnings."}
    worst = "Warning" if "Warning" in set(checks["Status"]) else "OK"  # no check fails here (no error shown)
    assert [*at.success, *at.warning][0].value == banner[worst]


def test_analysts_do_not_get_the_page(app_client, accounts, app_db):
    from core.accounts import PermissionDenied
    from core.system import service

    at = app_client(accounts["analyst"], PAGE)  # not in their navigation: the address leads elsewhere
    assert "System" not in [t.value for t in at.title]
    assert at.title[0].value == "Overview"
    with pytest.raises(PermissionDenied):  # and the service refuses them on its own
        service.health(app_db, account=accounts["analyst"])


def test_a_manager_adds_a_channel_tests_it_and_subscribes_it(app_client, accounts, recorder, cleanup, monkeypatch):
    base, http = recorder
    monkeypatch.setenv("OYNA_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")  # the local server stands for a webhook
    at = app_client(accounts["manager"], PAGE)
    at.text_input(key="channel_name").input("Ops room")
    at.selectbox(key="channel_kind").set_value("webhook")
    at.text_input(key="channel_target").input(f"{base}/hooks/ops")
    at.selectbox(key="channel_language").set_value("en")
    at.button(key="FormSubmitter:channel_add-Add the channel").click()
    ok(at.run())
    channels = at.dataframe[1].value
    assert list(channels["name"]) == ["Ops room"]
    assert channels["target"].iloc[0] == base + "/…"  # a webhook's secret path is not shown

    at.button(key="channel_test").click()
    ok(at.run())
    assert at.success[-1].value == "Sent."
    assert http.to("/hooks/ops")[0]["json"]["text"].startswith("Oyna Insights: test message")

    at.multiselect(key="sub_kinds").set_value(["silent_club"])
    at.checkbox(key="sub_quiet").check()
    at.button(key="FormSubmitter:sub_add-Subscribe").click()
    ok(at.run())
    subs = at.dataframe[2].value
    assert list(subs["channel"]) == ["Ops room"]
    assert subs["quiet"].iloc[0] == "23:00–08:00"
    assert subs["kinds"].iloc[0] == "No bookings at an open club"

    bad = app_client(accounts["manager"], PAGE)
    bad.text_input(key="channel_name").input("Wrong")
    bad.selectbox(key="channel_kind").set_value("telegram")
    bad.text_input(key="channel_target").input("my phone")
    bad.button(key="FormSubmitter:channel_add-Add the channel").click()
    bad.run()
    assert "Telegram chat is a number" in bad.error[0].value


def test_failed_messages_show_up_on_the_page(app_client, accounts, recorder, cleanup, app_db, model_settings):
    from core.alerts import service

    base, http = recorder
    manager = accounts["manager"]
    settings = allowing_local(model_settings)
    channel = service.add_channel(app_db, account=manager, name="Broken hook", kind="webhook",
                                  target=f"{base}/hooks/broken", language="en", settings=settings)
    with app_db.connect() as conn:
        club = conn.execute(sa.text("select min(id) from clubs")).scalar()
    service.subscribe(app_db, account=manager, channel_id=channel, club_ids=[club])
    found = Found("silent_club", club, "critical", {"en": {"title": "No bookings at the test club", "detail": "."}})
    http.fail_next = 10_000
    at_time = datetime.now(timezone.utc) + timedelta(minutes=1)
    for _ in range(dispatch.MAX_ATTEMPTS):
        dispatch.run_pass(app_db, settings, now=at_time,
                          evaluate=lambda engine, ids: Evaluation([found], frozenset(ids)))
        at_time += dispatch.BACKOFF_MAX + timedelta(seconds=1)
    at = app_client(accounts["manager"], PAGE, run=False, fresh=True)  # nothing cached from before
    at.run()
    assert not at.exception
    assert at.error[0].value == "Something needs attention now."
    health = at.dataframe[0].value
    assert "HTTP 500" in health[health["Check"] == "Alert delivery"]["Result"].iloc[0]
    incidents = at.dataframe[3].value
    assert incidents["title"].iloc[0] == "No bookings at the test club"
    messages = at.dataframe[4].value
    assert messages["status"].iloc[0] == "failed" and "HTTP 500" in messages["last_error"].iloc[0]


def test_a_webhook_to_the_servers_own_network_cannot_be_added(app_client, accounts, recorder, cleanup, app_db):
    base, http = recorder
    port = base.rsplit(":", 1)[1]
    for target, reason in ((f"https://127.0.0.1:{port}/hooks/ops", "this address is not allowed"),
                           (f"http://127.1:{port}/hooks/ops", "starts with https://"),
                           ("https://169.254.169.254/latest/meta-data/", "this address is not allowed")):
        at = app_client(accounts["manager"], PAGE, fresh=True)  # no health check cached from a test before
        at.text_input(key="channel_name").input("Inside")
        at.selectbox(key="channel_kind").set_value("webhook")
        at.text_input(key="channel_target").input(target)
        at.button(key="FormSubmitter:channel_add-Add the channel").click()
        at.run()
        assert not at.exception and reason in shown(at.error[-1].value)  # shown as text (pages.ui.text.md)
    assert http.connections == 0
    from core.alerts import service

    assert service.channels_of(app_db, account=accounts["manager"]).empty


def test_a_failed_test_message_shows_the_status_as_plain_text(app_client, accounts, recorder, cleanup, app_db,
                                                             model_settings, monkeypatch):
    """What a webhook answers never reaches the page; what is shown is text, not Markdown."""
    from core.alerts import service

    base, http = recorder
    monkeypatch.setenv("OYNA_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    service.add_channel(app_db, account=accounts["manager"], name="Ops room", kind="webhook",
                        target=f"{base}/hooks/ops", language="en", settings=allowing_local(model_settings))
    http.fail_next, http.fail_body = 1, b"SECRET-4242 ![x](http://127.0.0.1:9/p.png) **[pay](http://127.0.0.1:9/)**"
    at = app_client(accounts["manager"], PAGE, fresh=True)
    at.button(key="channel_test").click()
    at.run()
    assert not at.exception and len(http.requests) == 1
    assert at.error[-1].value == "It did not get through."
    assert at.text[0].value == f"HTTP 500 from {base.split('//')[1]}"
    shown = [e.value for kind in ("error", "text", "markdown", "caption", "success", "warning", "info")
             for e in getattr(at, kind)]
    assert not [v for v in shown if "SECRET" in str(v) or "pay" in str(v)]
