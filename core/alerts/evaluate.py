"""Which alerts hold right now, club by club: the Overview's own rules, through the overview service.

Each club is evaluated on its own (an alert is keyed by its kind and club), in every language that
has a catalogue, so a message can be written in its channel's language.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from core.i18n import available, use_locale
from core.overview import kpis
from core.overview import service as overview
from core.platform import clubs as chain
from core.platform.db import database_down

logger = logging.getLogger("oyna.alerts")


@dataclass(frozen=True)
class Found:
    """An alert that holds now: its kind, club, level and, per language, its title and detail."""

    kind: str
    club_id: int
    level: str
    texts: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.club_id}"


@dataclass(frozen=True)
class Evaluation:
    found: list[Found]
    clubs: frozenset[int]  # the clubs evaluated; an incident of a club that failed is left as it is


class ForecastCache:
    """Today's forecast per club, computed once per day and history (the dispatcher runs every minute)."""

    def __init__(self) -> None:
        self._kept: dict[tuple, kpis.Forecast | None] = {}

    def get(self, club_id: int, history: pd.Series, today: date) -> kpis.Forecast | None:
        last = None if history.empty else history.index.max()
        key = (club_id, today, last, round(float(history.sum()), 2), len(history))
        if key not in self._kept:
            self._kept = {k: v for k, v in self._kept.items() if k[1] == today}  # forget other days
            self._kept[key] = overview.today_forecast(history, today)
        return self._kept[key]


def evaluate_overview(engine: Engine, club_ids: Sequence[int], *,
                      forecasts: ForecastCache | None = None) -> Evaluation:
    """The Overview's alerts of each club in `club_ids`, as the page would show them for that club alone."""
    ids = sorted({int(c) for c in club_ids})
    if not ids:
        return Evaluation([], frozenset())
    forecasts = forecasts or ForecastCache()
    clubs = chain.all_clubs(engine)
    names = chain.club_names(clubs)
    today = chain.chain_today(clubs)
    live = overview.live_by_club(overview.clubs_live_figures(engine, club_ids=ids))
    risk = overview.risk_counts_by_club(engine, club_ids=ids)
    quality = overview.live_quality_by_club(engine, club_ids=ids)
    found: dict[str, Found] = {}
    done: set[int] = set()
    for club_id in ids:
        if club_id not in names:
            continue  # the club is gone
        try:
            club_live = live.get(club_id)
            if club_live is not None:
                history = overview.clubs_revenue_history(engine, club_ids=[club_id], today=today)
                fc = forecasts.get(club_id, history, today)
                for language in available():
                    with use_locale(language):
                        result = overview.overview(club_live, fc, risk.get(club_id), None, names=names,
                                                   whole_chain=False, scope=names[club_id],
                                                   quality=quality.get(club_id))
                    for alert in result.alerts:
                        _collect(found, club_id, language, alert)
            done.add(club_id)
        except Exception as exc:  # noqa: BLE001 - one club's bad data must not silence the others
            if database_down(exc):
                raise
            logger.exception("could not evaluate the alerts of club %s", club_id)
    return Evaluation(list(found.values()), frozenset(done))


def _collect(found: dict[str, Found], club_id: int, language: str, alert) -> None:
    kind = alert.kind or "other"
    key = f"{kind}:{club_id}"
    item = found.get(key)
    if item is None:
        item = found[key] = Found(kind=kind, club_id=club_id, level=alert.level)
    item.texts[language] = {"title": alert.title, "detail": alert.detail}
