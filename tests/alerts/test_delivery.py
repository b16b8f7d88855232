"""Alert delivery against local servers that record what they get: Telegram's Bot API and a webhook
(one HTTP server) and an SMTP server. The rules' verdicts are scripted (`Script`), so each test
decides when an alert holds; everything from there on (incidents, subscriptions, quiet hours,
retries, the messages themselves) is the real code against the session's PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.accounts import PermissionDenied, add_account, remove_account
from core.alerts import channels, dispatch, service, store
from core.alerts.evaluate import Evaluation, Found
from core.system import health
from tests.alerts.support import allowing_local, http_recorder, smtp_recorder

TOKEN = "123456:TEST-token"
# The passes' clock: the next full hour, so nothing the test plans looks overdue to the health check.
T0 = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


class Script:
    """The alerts that hold, as the test says; every club asked for counts as evaluated."""

    def __init__(self) -> None:
        self.found: list[Found] = []

    def __call__(self, engine, club_ids) -> Evaluation:
        return Evaluation([f for f in self.found if f.club_id in set(club_ids)], frozenset(club_ids))


def silent(club_id: int, level: str = "critical") -> Found:
    return Found(kind="silent_club", club_id=club_id, level=level, texts={
        "en": {"title": f"No bookings at Club {club_id} for 2 hours", "detail": "Check the front desk."},
        "ru": {"title": f"Нет бронирований в клубе {club_id} 2 часа", "detail": "Проверьте ресепшн."}})


@pytest.fixture
def servers():
    with http_recorder() as (base, http), smtp_recorder() as (port, mails):
        yield base, http, port, mails


@pytest.fixture
def setup(engine, demo, model_settings, servers):
    """A manager with a Telegram chat (Russian), a webhook and an e-mail channel, each subscribed to
    critical alerts of the first club; removed afterwards with every incident the test made."""
    base, http, port, mails = servers
    with engine.connect() as conn:
        first_incident = conn.execute(sa.text("select coalesce(max(id), 0) from alert_incidents")).scalar()
        club, zone = conn.execute(sa.text("select id, timezone from clubs order by id limit 1")).one()
    account = add_account(engine, username=f"alerts-{uuid.uuid4().hex[:8]}", role="manager",
                          password="plasma-otter-2741")
    settings = allowing_local(replace(model_settings, telegram_token=TOKEN, telegram_api_url=base,
                                      smtp_url=f"smtp://127.0.0.1:{port}?from=oyna@test.kz&starttls=false"))
    ids = {
        "telegram": service.add_channel(engine, account=account, name="phone", kind="telegram", target="-100777",
                                        language="ru"),
        "webhook": service.add_channel(engine, account=account, name="slack", kind="webhook",
                                       target=f"{base}/hooks/T000/B000", language="en", settings=settings),
        "email": service.add_channel(engine, account=account, name="mail", kind="email", target="boss@club.kz",
                                     language="en"),
    }
    for channel in ids.values():
        service.subscribe(engine, account=account, channel_id=channel, club_ids=[club])
    script = Script()

    def run(at: datetime) -> dispatch.PassReport:
        return dispatch.run_pass(engine, settings, now=at, evaluate=script)

    yield {"account": account, "settings": settings, "club": club, "zone": zone, "script": script, "run": run,
           "http": http, "mails": mails, "channels": ids}
    remove_account(engine, username=account.username)
    with engine.begin() as conn:
        conn.execute(sa.text("delete from alert_incidents where id > :id"), {"id": first_incident})


def telegram(http) -> list[dict]:
    return [r for r in http.to(f"/bot{TOKEN}/sendMessage") if not r["failed"]]


def webhook(http) -> list[dict]:
    return [r for r in http.to("/hooks/T000/B000") if not r["failed"]]


def test_one_message_per_incident_and_one_when_it_clears(setup):
    s, http, mails = setup, setup["http"], setup["mails"]
    s["script"].found = [silent(s["club"])]
    report = s["run"](T0)
    assert (report.opened, report.sent, report.failed) == (1, 3, 0)
    assert len(telegram(http)) == 1 and len(webhook(http)) == 1 and len(mails) == 1
    message = telegram(http)[0]["json"]
    assert message["chat_id"] == "-100777"
    assert "Нет бронирований в клубе" in message["text"]  # the Telegram chat speaks Russian
    hook = webhook(http)[0]["json"]
    assert hook["text"].startswith("🔴 Critical: No bookings at Club")
    assert hook["oyna"]["event"] == "opened" and hook["oyna"]["club_id"] == s["club"]
    assert mails[0]["To"] == "boss@club.kz" and "No bookings" in mails[0]["Subject"]

    for minutes in (1, 2, 5):  # the alert still holds: nothing new
        assert s["run"](T0 + timedelta(minutes=minutes)).sent == 0
    s["script"].found = []
    assert s["run"](T0 + timedelta(minutes=8)).cleared == 0  # gone for 3 minutes: not over yet
    report = s["run"](T0 + timedelta(minutes=16))
    assert (report.cleared, report.sent) == (1, 3)
    assert len(telegram(http)) == 2 and len(webhook(http)) == 2 and len(mails) == 2
    assert webhook(http)[1]["json"]["oyna"]["event"] == "cleared"
    assert webhook(http)[1]["json"]["text"].startswith("✅ Resolved: No bookings at Club")
    assert s["run"](T0 + timedelta(minutes=30)).sent == 0


def test_warnings_and_other_clubs_do_not_reach_a_critical_subscription(setup, engine):
    s, http = setup, setup["http"]
    with engine.connect() as conn:
        other = conn.execute(sa.text("select id from clubs where id <> :c order by id limit 1"),
                             {"c": s["club"]}).scalar()
    s["script"].found = [silent(s["club"], "warning"), silent(other)]
    assert s["run"](T0).sent == 0
    assert http.requests == [] and s["mails"] == []
    s["script"].found = [silent(s["club"], "critical")]  # the same incident becomes critical: now it is sent
    assert s["run"](T0 + timedelta(minutes=1)).sent == 3


def test_nothing_during_quiet_hours(setup, engine):
    s, http = setup, setup["http"]
    local = T0.astimezone(ZoneInfo(s["zone"]))
    quiet_from, quiet_until = time((local.hour - 1) % 24), time((local.hour + 2) % 24)
    with engine.begin() as conn:
        conn.execute(sa.text("update alert_subscriptions set quiet_from = :f, quiet_until = :u "
                             "where channel_id = any(:ids)"),
                     {"f": quiet_from, "u": quiet_until, "ids": list(s["channels"].values())})
    s["script"].found = [silent(s["club"])]
    assert s["run"](T0).postponed == 3
    assert s["run"](T0 + timedelta(minutes=30)).sent == 0
    s["script"].found = []  # over before the quiet hours end: nobody is told anything
    assert s["run"](T0 + timedelta(minutes=45)).cleared == 1
    assert s["run"](T0 + timedelta(hours=3)).sent == 0
    assert http.requests == [] and s["mails"] == []

    s["script"].found = [silent(s["club"])]  # a new incident that lasts: sent when the quiet hours end
    start = T0 + timedelta(days=1)
    assert s["run"](start).postponed == 3
    start_local = start.astimezone(ZoneInfo(s["zone"]))
    end = start_local.replace(hour=quiet_until.hour, minute=0)
    end = (end if end > start_local else end + timedelta(days=1)).astimezone(timezone.utc)
    assert s["run"](end - timedelta(minutes=1)).sent == 0
    assert s["run"](end + timedelta(seconds=1)).sent == 3
    assert len(telegram(http)) == 1


def test_critical_alerts_break_quiet_hours_when_the_subscription_says_so(setup, engine):
    s = setup
    local = T0.astimezone(ZoneInfo(s["zone"]))
    with engine.begin() as conn:
        conn.execute(sa.text("update alert_subscriptions set quiet_from = :f, quiet_until = :u, "
                             "critical_breaks_quiet = (channel_id = :tg) where channel_id = any(:ids)"),
                     {"f": time((local.hour - 1) % 24), "u": time((local.hour + 2) % 24),
                      "tg": s["channels"]["telegram"], "ids": list(s["channels"].values())})
    s["script"].found = [silent(s["club"])]
    report = s["run"](T0)
    assert (report.sent, report.postponed) == (1, 2)
    assert len(telegram(s["http"])) == 1 and webhook(s["http"]) == []


def test_a_failed_attempt_is_retried_with_back_off(setup, engine):
    s, http = setup, setup["http"]
    http.fail_next = 2  # Telegram is asked first (channels in id order): two 500s, then it works
    s["script"].found = [silent(s["club"])]
    report = s["run"](T0)
    assert (report.sent, report.failed) == (1, 2)  # the webhook got the second 500, the e-mail went out
    assert [r["failed"] for r in http.requests] == [True, True]
    assert s["run"](T0 + timedelta(seconds=20)).sent == 0  # still waiting: the first back-off is 30 s
    assert len(http.requests) == 2
    report = s["run"](T0 + timedelta(seconds=31))
    assert (report.sent, report.failed) == (2, 0)
    assert len(telegram(http)) == 1 and len(webhook(http)) == 1 and len(s["mails"]) == 1
    with engine.connect() as conn:
        attempts = conn.execute(sa.text("select attempts from alert_deliveries where channel_id = :c"),
                                {"c": s["channels"]["telegram"]}).scalar()
    assert attempts == 2
    assert dispatch.backoff(1) == timedelta(seconds=30) and dispatch.backoff(3) == timedelta(minutes=2)
    assert dispatch.backoff(20) == dispatch.BACKOFF_MAX


def test_telegrams_flood_control_wait_is_respected(setup, engine):
    s, http = setup, setup["http"]
    http.fail_next, http.fail_status = 1, 429  # "retry after 120" seconds
    s["script"].found = [silent(s["club"])]
    assert s["run"](T0).failed == 1
    with engine.connect() as conn:
        wait, error = conn.execute(sa.text("select next_attempt_at - :t0, last_error from alert_deliveries "
                                           "where channel_id = :c"), {"t0": T0, "c": s["channels"]["telegram"]}).one()
    assert wait == timedelta(seconds=120) and "HTTP 429" in error
    assert s["run"](T0 + timedelta(seconds=60)).sent == 0  # the plain back-off (30 s) would have tried by now
    assert s["run"](T0 + timedelta(seconds=121)).sent == 1


def test_failures_are_shown_on_the_health_check(setup, engine):
    s, http = setup, setup["http"]
    http.fail_next = 10_000
    s["script"].found = [silent(s["club"])]
    at = T0
    s["run"](at)
    assert health.alerts(engine).status == health.WARN  # being retried
    for _ in range(dispatch.MAX_ATTEMPTS):
        at += dispatch.BACKOFF_MAX + timedelta(seconds=1)
        s["run"](at)
    check = health.alerts(engine)
    assert check.status == health.FAIL
    assert "could not be delivered" in check.summary and "HTTP 500" in check.summary
    assert check.value == 2  # Telegram and the webhook; the e-mail went out
    frame = service.recent_deliveries(engine, account=s["account"])
    assert set(frame[frame.status == "failed"].channel_kind) == {"telegram", "webhook"}
    assert frame.last_error.str.contains("HTTP 500").any()


def test_subscriptions_are_scoped_and_for_managers(setup, engine):
    s = setup
    with pytest.raises(store.AlertSetupError, match="clubs you can see"):
        service.subscribe(engine, account=s["account"], channel_id=s["channels"]["telegram"], club_ids=[999_999])
    with pytest.raises(store.AlertSetupError, match="Unknown kind"):
        service.subscribe(engine, account=s["account"], channel_id=s["channels"]["telegram"], kinds=["weather"])
    with pytest.raises(store.AlertSetupError, match="Telegram chat"):
        service.add_channel(engine, account=s["account"], name="x", kind="telegram", target="not a chat",
                            language="en")
    analyst = add_account(engine, username=f"alerts-a-{uuid.uuid4().hex[:6]}", role="analyst",
                          password="plasma-otter-2741")
    try:
        with pytest.raises(PermissionDenied):
            service.add_channel(engine, account=analyst, name="x", kind="email", target="a@b.kz", language="en")
        with pytest.raises(PermissionDenied):
            service.recent_incidents(engine, account=analyst)
        with pytest.raises(store.AlertSetupError, match="not one of yours"):  # someone else's channel
            store.add_subscription(engine, analyst.id, channel_id=s["channels"]["telegram"])
    finally:
        remove_account(engine, username=analyst.username)
    assert service.channels_of(engine, account=s["account"]).target.str.endswith("/…").sum() == 1  # the webhook


def test_one_dispatcher_at_a_time(setup, engine):
    with dispatch.dispatch_lock(engine) as first:
        assert first
        report = dispatch.run_pass(engine, setup["settings"], now=T0, evaluate=setup["script"])
        assert report.skipped
    assert not setup["run"](T0).skipped


@pytest.fixture
def pixel(engine, setup):
    """A club named "Pixel\\nBcc: x@y" (club systems name clubs), removed afterwards; every channel of the
    setup is subscribed to it as well as to the first club."""
    with engine.begin() as conn:
        club = conn.execute(sa.text("insert into clubs (name, city, timezone, opened_on) "
                                    "values (:n, 'Test', 'Asia/Almaty', current_date) returning id"),
                            {"n": "Pixel\nBcc: x@y"}).scalar()
        conn.execute(sa.text("update alert_subscriptions set club_ids = :ids where channel_id = any(:ch)"),
                     {"ids": [setup["club"], club], "ch": list(setup["channels"].values())})
    yield club
    with engine.begin() as conn:
        conn.execute(sa.text("delete from alert_incidents where club_id = :c"), {"c": club})
        conn.execute(sa.text("delete from clubs where id = :c"), {"c": club})


def named(club_id: int, name: str) -> Found:
    """The silent-club alert as the Overview's rule words it: the club's own name in the title."""
    return Found(kind="silent_club", club_id=club_id, level="critical", texts={
        "en": {"title": f"No bookings at {name} for 2 hours", "detail": "Check the front desk."}})


def test_a_club_name_with_a_line_break_does_not_stop_delivery(setup, pixel, engine):
    s, mails = setup, setup["mails"]
    s["script"].found = [named(pixel, "Pixel\nBcc: x@y"), named(s["club"], "Club One")]
    report = s["run"](T0)  # before: the e-mail's subject raised, and so did every pass after it
    assert report.opened == 2
    normal = [m for m in mails if "Club One" in m["Subject"]]
    assert len(normal) == 1 and len(telegram(s["http"])) == 2 and len(webhook(s["http"])) == 2
    assert report.sent == 6 and len(mails) == 2  # the other one too, its subject on one line, no header of its own
    mail = next(m for m in mails if "Pixel" in m["Subject"])
    assert mail["Subject"] == "🔴 Critical: No bookings at Pixel Bcc: x@y for 2 hours"
    assert all(m["Bcc"] is None for m in mails)


def test_an_unexpected_error_fails_only_its_own_message(setup, engine, caplog):
    """Any exception from one delivery is that delivery's failure: recorded, retried with back-off, given up
    on after MAX_ATTEMPTS; the others are delivered in the same pass."""
    s = setup

    def send(settings, kind, target, message):
        if kind == "telegram":
            raise KeyError("a bug in one channel")
        channels.send(settings, kind, target, message)

    s["script"].found = [silent(s["club"])]
    report = dispatch.run_pass(engine, s["settings"], now=T0, evaluate=s["script"], send=send)
    assert (report.sent, report.failed) == (2, 1)
    assert len(webhook(s["http"])) == 1 and len(s["mails"]) == 1

    def row():
        with engine.connect() as conn:
            return conn.execute(sa.text("select status, attempts, next_attempt_at, last_error from alert_deliveries "
                                        "where channel_id = :c"), {"c": s["channels"]["telegram"]}).one()

    status, attempts, next_at, error = row()
    assert (status, attempts, next_at) == ("pending", 1, T0 + dispatch.backoff(1))
    assert error == "unexpected error (KeyError); the log has the details"
    assert "a bug in one channel" in caplog.text  # the operator's log has the rest
    at = T0
    for _ in range(dispatch.MAX_ATTEMPTS - 1):
        at += dispatch.BACKOFF_MAX + timedelta(seconds=1)
        dispatch.run_pass(engine, s["settings"], now=at, evaluate=s["script"], send=send)
    assert row()[:2] == ("failed", dispatch.MAX_ATTEMPTS)
