"""The dispatcher evaluates the Overview's own rules, club by club, through the overview service."""

from __future__ import annotations

from core.alerts.evaluate import ForecastCache, evaluate_overview
from core.i18n import available, use_locale
from core.overview import service
from core.overview.alerts import KINDS
from core.platform import clubs as chain
from tests.conftest import CHAIN_VIEWER


def test_each_club_gets_the_alerts_the_overview_shows_for_it(engine, demo, trained):
    clubs = chain.list_clubs(engine, viewer=CHAIN_VIEWER)
    names, today = chain.club_names(clubs), chain.chain_today(clubs)
    evaluation = evaluate_overview(engine, list(names))
    assert evaluation.clubs == frozenset(names)
    keys = [f.key for f in evaluation.found]
    assert len(keys) == len(set(keys))
    for club_id in names:
        live = service.live_figures(engine, viewer=CHAIN_VIEWER, club_ids=[club_id])
        history = service.revenue_history(engine, viewer=CHAIN_VIEWER, club_ids=[club_id], today=today)
        with use_locale("en"):
            risk = service.risk_counts(engine, viewer=CHAIN_VIEWER, club_ids=[club_id])
            page = service.overview(live, service.today_forecast(history, today), risk, None, names=names,
                                    whole_chain=False, scope=names[club_id],
                                    quality=service.live_quality(engine, viewer=CHAIN_VIEWER, club_ids=[club_id]))
        expected = {(a.kind, a.level, a.title) for a in page.alerts}
        got = {(f.kind, f.level, f.texts["en"]["title"]) for f in evaluation.found if f.club_id == club_id}
        assert got == expected
    for item in evaluation.found:
        assert item.kind in KINDS
        assert set(item.texts) == set(available())


def test_an_empty_club_list_evaluates_nothing(engine, demo):
    assert evaluate_overview(engine, []).found == []


def test_the_forecast_is_computed_once_per_day_and_history(engine, demo):
    cache = ForecastCache()
    clubs = chain.list_clubs(engine, viewer=CHAIN_VIEWER)
    today, club_id = chain.chain_today(clubs), int(clubs.club_id.iloc[0])
    history = service.revenue_history(engine, viewer=CHAIN_VIEWER, club_ids=[club_id], today=today)
    first = cache.get(club_id, history, today)
    assert cache.get(club_id, history, today) is first
    assert cache.get(club_id, history.iloc[:-1], today) is not first or first is None
