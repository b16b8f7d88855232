"""The words of an alert message, in the channel's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.alerts.channels import Message
from core.i18n import N_, _, use_locale
from core.i18n.format import datetime_text, duration
from core.overview.alerts import HIGH_VALUE, MODEL_QUALITY, REVENUE, SILENT_CLUB, UTILIZATION
from core.overview.kpis import CRITICAL, WARNING

KIND_NAMES = {
    SILENT_CLUB: N_("No bookings at an open club"),
    REVENUE: N_("Revenue below the forecast"),
    UTILIZATION: N_("Utilization falling"),
    HIGH_VALUE: N_("More high-value customers at risk"),
    MODEL_QUALITY: N_("Churn predictions worse than promised"),
}
LEVEL_NAMES = {WARNING: N_("Warning"), CRITICAL: N_("Critical")}
LEVEL_ICONS = {WARNING: "🟠", CRITICAL: "🔴"}
OPENED, CLEARED = "opened", "cleared"


def kind_name(kind: str) -> str:
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


def level_name(level: str) -> str:
    return _(LEVEL_NAMES[level]) if level in LEVEL_NAMES else level


def words(texts: Mapping[str, Any], language: str) -> tuple[str, str]:
    """An incident's title and detail in `language` (English, or any, when that one is missing)."""
    chosen = texts.get(language) or texts.get("en") or next(iter(texts.values()), None) or {}
    return str(chosen.get("title", "")), str(chosen.get("detail", ""))


def render(*, event: str, kind: str, level: str, texts: Mapping[str, Any], club: str, timezone: str,
           opened_at: datetime, cleared_at: datetime | None, language: str, incident_id: int | None = None,
           club_id: int | None = None) -> Message:
    """The message for one incident event, in `language`."""
    zone = ZoneInfo(timezone)
    with use_locale(language):
        title, detail = words(texts, language)
        if event == CLEARED:
            subject = _("✅ Resolved: {title}").format(title=title)
            lasted = (cleared_at - opened_at).total_seconds() if cleared_at else None
            lines = [subject, _("{club}: back to normal after {duration} (since {time}).").format(
                club=club, duration=duration(lasted), time=datetime_text(opened_at, zone))]
        else:
            subject = _("{icon} {level}: {title}").format(icon=LEVEL_ICONS.get(level, "⚠️"), level=level_name(level),
                                                         title=title)
            lines = [subject, detail, _("{club} · since {time} (club time)").format(
                club=club, time=datetime_text(opened_at, zone))]
        data = {"event": event, "kind": kind, "level": level, "club_id": club_id, "club": club, "title": title,
                "detail": detail, "incident": incident_id, "opened_at": opened_at.isoformat(),
                "cleared_at": cleared_at.isoformat() if cleared_at else None, "language": language}
        return Message(subject=subject, text="\n".join(line for line in lines if line), data=data)


def test_message(language: str, channel_name: str) -> Message:
    """What `Send a test message` sends."""
    with use_locale(language):
        subject = _("Oyna Insights: test message")
        text = _("This channel (“{name}”) will receive the alerts it is subscribed to.").format(name=channel_name)
        return Message(subject=subject, text=f"{subject}\n{text}", data={"event": "test"})
