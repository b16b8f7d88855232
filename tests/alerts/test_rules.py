"""The pure parts of delivery: quiet hours in club time, the SMTP address, the words of a message."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from core.alerts import channels, messages, store
from core.alerts.dispatch import quiet_end
from core.alerts.store import Subscription

ALMATY = ZoneInfo("Asia/Almaty")


def sub(start: time | None, end: time | None) -> Subscription:
    return Subscription(id=1, channel_id=1, account_id=1, channel_kind="telegram", target="1", language="en",
                        club_ids=frozenset({1}), kinds=None, min_level="critical", quiet_from=start, quiet_until=end,
                        critical_breaks_quiet=False)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=ALMATY)


@pytest.mark.parametrize(("at", "until"), [
    (local(10, 2), local(10, 8)),  # after midnight: until 08:00 the same day
    (local(10, 23, 30), local(11, 8)),  # before midnight: until 08:00 the next day
    (local(10, 8), None),  # the end is not quiet any more
    (local(10, 12), None),
])
def test_quiet_hours_across_midnight(at, until):
    end = quiet_end(sub(time(23), time(8)), "Asia/Almaty", at.astimezone(timezone.utc))
    assert end == (None if until is None else until.astimezone(timezone.utc))


def test_quiet_hours_within_a_day_and_none():
    at = local(10, 10).astimezone(timezone.utc)
    assert quiet_end(sub(time(9), time(18)), "Asia/Almaty", at) == local(10, 18).astimezone(timezone.utc)
    assert quiet_end(sub(None, None), "Asia/Almaty", at) is None


def test_parse_quiet():
    assert store.parse_quiet("23:00-08:00") == (time(23), time(8))
    assert store.parse_quiet(" 7:30 – 9:00 ") == (time(7, 30), time(9))
    assert store.parse_quiet("") == (None, None)
    for bad in ("23-08", "25:00-08:00", "late"):
        with pytest.raises(store.AlertSetupError):
            store.parse_quiet(bad)


def test_smtp_address():
    server = channels.smtp_server("smtp://ops%40club.kz:p%40ss@mail.club.kz:2525?from=alerts@club.kz")
    assert (server.host, server.port, server.user, server.password, server.sender) == (
        "mail.club.kz", 2525, "ops@club.kz", "p@ss", "alerts@club.kz")
    assert server.starttls and not server.tls
    assert channels.smtp_server("smtps://mail.club.kz").port == 465
    assert not channels.smtp_server("smtp://localhost?starttls=false").starttls
    with pytest.raises(channels.DeliveryError):
        channels.smtp_server("http://mail.club.kz")


def test_messages_in_the_channels_language():
    texts = {"en": {"title": "No bookings at Alpha", "detail": "Check the desk."},
             "ru": {"title": "Нет бронирований в Alpha", "detail": "Проверьте ресепшн."}}
    opened = datetime(2026, 3, 10, 6, 0, tzinfo=timezone.utc)
    first = messages.render(event="opened", kind="silent_club", level="critical", texts=texts, club="Alpha",
                            timezone="Asia/Almaty", opened_at=opened, cleared_at=None, language="en")
    assert first.subject == "🔴 Critical: No bookings at Alpha"
    assert "Check the desk." in first.text and "11:00" in first.text  # club time
    over = messages.render(event="cleared", kind="silent_club", level="critical", texts=texts, club="Alpha",
                           timezone="Asia/Almaty", opened_at=opened, cleared_at=opened + timedelta(minutes=42),
                           language="en")
    assert over.subject == "✅ Resolved: No bookings at Alpha" and "42 minutes" in over.text
    russian = messages.render(event="opened", kind="silent_club", level="critical", texts=texts, club="Alpha",
                              timezone="Asia/Almaty", opened_at=opened, cleared_at=None, language="ru")
    assert "Нет бронирований в Alpha" in russian.subject
    assert messages.words({"en": {"title": "t", "detail": "d"}}, "kk") == ("t", "d")  # English when missing


def test_targets_are_checked():
    assert channels.check_target("telegram", " -1001234 ") == "-1001234"
    assert channels.check_target("telegram", "@oyna_alerts") == "@oyna_alerts"
    assert channels.check_target("webhook", "https://hooks.example.kz/T/B") == "https://hooks.example.kz/T/B"
    for kind, bad in (("telegram", "phone"), ("webhook", "ftp://x"), ("email", "a@b"), ("fax", "1")):
        with pytest.raises(ValueError):
            channels.check_target(kind, bad)
