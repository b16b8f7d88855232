"""The Utilization page's service on the tier-S demo chain: the grid, halls, seats and suggestions."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from core.i18n import use_locale
from core.platform.clubs import chain_today, club_names, list_clubs
from tests.conftest import CHAIN_VIEWER as chain_viewer
from core.utilization import service
from core.utilization.rules import IDLE_SEAT, Slot


@pytest.fixture(scope="module")
def period(engine, demo):
    clubs = list_clubs(engine, viewer=chain_viewer)
    end = chain_today(clubs)
    ids = [int(c) for c in clubs.club_id]
    return {"club_ids": ids, "start": end - timedelta(days=27), "end": end, "names": club_names(clubs)}


@pytest.fixture(scope="module")
def frames(engine, period):
    args = {"viewer": chain_viewer, **{k: period[k] for k in ("club_ids", "start", "end")}}
    return service.hourly_use(engine, **args), service.seat_use(engine, **args)


def test_queries_are_limited_to_the_clubs_given(engine, period, frames):
    hourly, seats = frames
    assert set(hourly.club_id) == set(period["club_ids"]) == set(seats.club_id)
    one = period["club_ids"][:1]
    assert set(service.hourly_use(engine, viewer=chain_viewer, club_ids=one, start=period["start"], end=period["end"]).club_id) == set(one)
    assert service.seat_use(engine, viewer=chain_viewer, club_ids=[], start=period["start"], end=period["end"]).empty


def test_week_of_a_club_and_of_one_hall(frames, period):
    hourly, _ = frames
    club = service.clubs_with_hours(hourly, period["club_ids"])[0]
    halls = service.halls(hourly, club)
    assert len(halls) >= 2
    whole = service.week(hourly, club)
    assert whole.table.shape == (24, 7)
    assert 0 < whole.average < 1
    assert whole.busiest[0].utilization >= whole.emptiest[0].utilization
    assert len(whole.busiest) == service.PEAK_SLOTS
    scope = hourly[hourly.club_id == club]
    assert whole.average == pytest.approx(scope.booked_seat_hours.sum() / (scope.seats * scope.occurrences).sum())
    hall = service.week(hourly, club, next(iter(halls)))
    assert not np.allclose(hall.table.to_numpy(), whole.table.to_numpy(), equal_nan=True)


def test_halls_and_seats(frames, period):
    _, seats = frames
    club = period["club_ids"][0]
    halls = service.hall_use(seats, club)
    assert halls.use.between(0, 1).all() and halls.use.is_monotonic_increasing
    table = service.seat_table(seats, club)
    assert set(table.club_id) == {club} and table.use.is_monotonic_increasing
    assert (table.idle == (table.use < IDLE_SEAT)).all()
    hall_id = int(halls.hall_id.iloc[0])
    assert set(service.seat_table(seats, club, hall_id).hall_id) == {hall_id}


def test_suggestions_come_out_for_the_demo_chain(frames, period):
    hourly, seats = frames
    found = service.suggestions(hourly, seats, period["names"])
    assert found and {s.club_id for s in found} <= set(period["club_ids"])


def test_slot_text_follows_the_language():
    slot = Slot(dow=5, hour=20, utilization=0.934)
    assert service.slot_text(slot) == "Fri 20:00"
    assert service.slot_text(slot, with_share=True) == "Fri 20:00 (93%)"
    with use_locale("ru"):
        assert service.slot_text(slot, with_share=True) == "пт 20:00 (93\u00a0%)"
