"""Utilization grids, peak and idle hours, and the suggestion rules (core/utilization.py)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from core.utilization import rules as util

NAMES = {1: "Pixel", 2: "Respawn"}


def hourly(club_id: int = 1, hall_id: int = 10, *, seats: int = 10, hall_name: str = "Standard hall",
           use=None, open_hours=range(24)) -> pd.DataFrame:
    """Rows like app_hourly_utilization; `use(dow, hour)` gives the share booked (default 50%)."""
    use = use or (lambda dow, hour: 0.5)
    rows = []
    for dow in range(1, 8):
        for hour in open_hours:
            u = use(dow, hour)
            rows.append({"club_id": club_id, "hall_id": hall_id, "hall_name": hall_name, "hall_type": "standard",
                         "dow": dow, "hour": hour, "seats": seats, "occurrences": 12,
                         "booked_seat_hours": u * seats * 12, "utilization": u})
    return pd.DataFrame(rows)


def seat_rows(club_id: int = 1, hall_id: int = 10, uses=(0.5, 0.5, 0.5, 0.02), hall_name="Standard hall"):
    return pd.DataFrame([{
        "club_id": club_id, "hall_id": hall_id, "hall_name": hall_name, "hall_type": "standard",
        "seat_id": hall_id * 100 + i, "seat_label": f"S-{i + 1:02d}", "device": "pc", "bookings": 10,
        "booked_hours": u * 1000, "open_hours": 1000, "utilization": u} for i, u in enumerate(uses)])


def test_grid_pools_halls_by_seat_hours_and_blanks_closed_hours():
    frame = pd.concat([hourly(hall_id=10, seats=10, use=lambda d, h: 0.9, open_hours=range(10, 24)),
                       hourly(hall_id=11, seats=30, use=lambda d, h: 0.1, open_hours=range(10, 24))])
    table = util.grid(frame)
    assert table.shape == (24, 7)
    assert table.loc[12, 3] == pytest.approx((0.9 * 10 + 0.1 * 30) / 40)
    assert table.loc[5].isna().all()
    assert util.grid(frame, hall_ids=[10]).loc[12, 3] == pytest.approx(0.9)
    assert util.grid(frame, club_ids=[2]).isna().all().all()


def test_peak_and_idle_hours():
    table = util.grid(hourly(use=lambda d, h: 0.95 if (d, h) == (5, 20) else 0.01 if (d, h) == (2, 9) else 0.5))
    busiest, emptiest = util.peak_and_idle(table, n=2)
    assert util.slot_label(busiest[0]) == "Fri 20:00" and busiest[0].utilization == pytest.approx(0.95)
    assert util.slot_label(emptiest[0]) == "Tue 09:00"
    assert len(busiest) == len(emptiest) == 2


def test_labels():
    assert util.days_label([1, 2, 3, 5, 6, 7]) == "Mon–Wed, Fri–Sun"
    assert util.days_label([6, 7]) == "Sat, Sun"
    assert util.days_label([4]) == "Thu"
    assert util.hour_label(9) == "09:00" and util.hour_label(24) == "24:00"


def test_blocks_find_runs_of_hours():
    mask = pd.DataFrame(False, index=range(24), columns=range(1, 8))
    mask.loc[8:11, 1] = True
    mask.loc[23, 2] = True
    assert util.blocks(mask) == [(1, 8, 12), (2, 23, 24)]
    assert util.blocks(mask, min_hours=2) == [(1, 8, 12)]


def test_offpeak_offers_target_empty_waking_hours():
    # weekday mornings 09-12 are empty, nights are empty too (but nights have the night package)
    def use(dow, hour):
        if dow <= 5 and 9 <= hour < 12:
            return 0.05
        if hour < 7:
            return 0.02
        return 0.6

    offers = util.offpeak_offers(hourly(use=use), NAMES)
    assert len(offers) == 1
    assert offers[0].title == "Off-peak offer at Pixel: Mon–Fri 09:00–12:00"
    assert "5%" in offers[0].detail
    assert offers[0].weight == pytest.approx(10 * 0.95 * 3 * 5)
    assert util.offpeak_offers(hourly(use=lambda d, h: 0.6), NAMES) == []


def test_offpeak_offers_are_ranked_and_capped_per_club():
    def use(dow, hour):
        if dow <= 5 and 8 <= hour < 10:
            return 0.1
        if dow >= 6 and 8 <= hour < 14:
            return 0.05
        if dow <= 5 and 14 <= hour < 16:
            return 0.15
        return 0.7

    offers = util.offpeak_offers(hourly(use=use), NAMES, per_club=2)
    # free seat-hours a week: Sat–Sun 10 * 0.95 * 6 h * 2 = 114, Mon–Fri mornings 90, afternoons 85
    assert [o.title.split(": ")[1] for o in offers] == ["Sat–Sun 08:00–14:00", "Mon–Fri 08:00–10:00"]


def test_halls_near_capacity_at_peak_point_to_a_quieter_hall():
    busy = hourly(hall_id=10, hall_name="VIP hall", seats=8,
                  use=lambda d, h: 0.95 if d >= 6 and 14 <= h < 22 else 0.5)
    quiet = hourly(hall_id=11, hall_name="Standard hall", seats=40, use=lambda d, h: 0.4)
    found = util.near_capacity(pd.concat([busy, quiet]), NAMES)
    assert len(found) == 1
    assert found[0].title == "VIP hall at Pixel is near capacity" and found[0].hall_id == 10
    assert "Sat–Sun 14:00–22:00 (95%)" in found[0].detail
    assert "Standard hall has room then (40% booked)" in found[0].detail
    assert util.near_capacity(quiet, NAMES) == []


def test_every_halls_day_groups_at_once_match_one_hall_at_a_time():
    frame = pd.concat([
        hourly(club_id=2, hall_id=21, seats=5, use=lambda d, h: (d * 24 + h) % 17 / 17, open_hours=range(10, 24)),
        hourly(club_id=1, hall_id=12, seats=8, use=lambda d, h: 0.9 if d == 7 else 0.3),
        hourly(club_id=1, hall_id=10, seats=0, open_hours=range(0, 4)),  # no seats: no utilization
    ])
    pairs, groups = util.hall_day_groups(frame)
    assert pairs == [(1, 10), (1, 12), (2, 21)]
    for i, (_club, hall) in enumerate(pairs):
        one = util.by_day_group(util.grid(frame[frame.hall_id == hall]))
        for name in util.DAY_GROUPS:
            np.testing.assert_array_equal(groups[name][i], one[name].to_numpy())


def test_idle_seats_in_a_busy_hall():
    found = util.idle_seats(seat_rows(uses=(0.5, 0.6, 0.55, 0.03)), NAMES)
    assert len(found) == 1
    assert found[0].title == "1 idle seat in Standard hall at Pixel"
    assert found[0].detail.startswith("S-04:") and "Check the hardware" in found[0].detail
    # a quiet hall: nobody is idle "while the hall is busier"
    assert util.idle_seats(seat_rows(uses=(0.12, 0.15, 0.1, 0.03)), NAMES) == []
    # many idle seats: the hall is too big rather than the seats broken
    many = util.idle_seats(seat_rows(uses=(0.9, 0.9, 0.9, 0.9, 0.02, 0.03, 0.01, 0.02)), NAMES)
    assert "bigger than its demand" in many[0].detail and many[0].title.startswith("4 idle seats")


def test_suggestions_keep_kinds_in_order():
    frame = pd.concat([
        hourly(use=lambda d, h: 0.05 if 9 <= h < 12 else 0.95 if 18 <= h < 22 else 0.5),
        hourly(club_id=2, hall_id=20, use=lambda d, h: 0.5),
    ])
    found = util.suggestions(frame, pd.concat([seat_rows(), seat_rows(club_id=2, hall_id=20)]), NAMES)
    kinds = [s.kind for s in found]
    assert kinds == sorted(kinds, key=["offpeak", "capacity", "idle_seats"].index)
    assert {"offpeak", "capacity", "idle_seats"} <= set(kinds)


def test_queries_feed_the_rules(engine, demo):
    """The utilization SQL on the demo chain: shares between 0 and 1, and suggestions come out."""
    from core.platform.db import query_df

    end = pd.Timestamp.now(tz="Asia/Almaty").date()
    start = end - timedelta(days=27)
    chain = query_df(engine, "platform/club_ids").club_id.tolist()
    hours = query_df(engine, "utilization/hourly", start_day=start, end_day=end, club_ids=chain)
    seats = query_df(engine, "utilization/seat_use", start_day=start, end_day=end, club_ids=chain)
    assert len(hours) == hours.hall_id.nunique() * 7 * 24  # the demo clubs are open around the clock
    assert hours.utilization.between(0, 1.0001).all()
    assert (hours.occurrences == 4).all()
    assert seats.utilization.between(0, 1.0001).all()
    assert seats.seat_id.is_unique
    table = util.grid(hours, [int(hours.club_id.iloc[0])])
    assert np.nanmax(table.to_numpy()) > np.nanmin(table.to_numpy())
    names = dict(query_df(engine, "platform/clubs", club_ids=chain)[["club_id", "club_name"]].itertuples(index=False))
    assert util.suggestions(hours, seats, names)
    # a window before any data: no bookings, nothing booked
    empty = query_df(engine, "utilization/hourly", start_day=date(2000, 1, 1), end_day=date(2000, 1, 7), club_ids=chain)
    assert empty.empty or (empty.booked_seat_hours == 0).all()
