"""Hand-made live KPI rows for the overview tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd

from core.overview import kpis as kpi

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)


def club_rows(club_id: int = 1, *, today: dict | None = None, past: dict | None = None,
              seats: int = 20, open_now: bool = True) -> pd.DataFrame:
    """Rows like live_kpi_clubs for one club: weeks_ago 0 (today) and 1-4 (the same weekday before)."""
    base = {
        "revenue_by_now": 40_000.0, "revenue_full_day": 100_000.0, "bookings_by_now": 40,
        "bookings_full_day": 100, "occupied": 10, "seat_hours_by_now": 60.0, "seat_hours_full_day": 200.0,
        "bookings_recent": 8, "open_hours_by_now": 10.0, "open_hours_full_day": 24.0,
    }
    rows = []
    for weeks_ago in range(5):
        values = dict(base, **((today or {}) if weeks_ago == 0 else (past or {})))
        rows.append({"club_id": club_id, "club_name": f"Club {club_id}", "weeks_ago": weeks_ago,
                     "day": (NOW - timedelta(days=7 * weeks_ago)).date(), "cut_ts": NOW - timedelta(days=7 * weeks_ago),
                     "seats": seats, "open_now": open_now, "last_booking_at": NOW - timedelta(minutes=5),
                     **values})
    return pd.DataFrame(rows)


def card(cards: list[kpi.Kpi], key: str) -> kpi.Kpi:
    return next(c for c in cards if c.key == key)
