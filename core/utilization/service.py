"""What the Utilization page shows: the weekday x hour grid of a club or hall, its peak and idle hours,
how much each hall and seat is used, and the suggestions, over club-local days."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, scope
from core.i18n.format import percent, time_text, weekday_name
from core.platform.db import query_df
from core.utilization import rules
from core.utilization.rules import IDLE_SEAT, Slot, Suggestion

PEAK_SLOTS = 3  # busiest and emptiest hours listed


def hourly_use(engine: Engine, *, viewer: Account, club_ids: Sequence[int], start: date,
               end: date) -> pd.DataFrame:
    """Booked seat-hours of every hall of some of the viewer's clubs by local weekday and hour, open
    hours only."""
    ids = scope.clubs(scope.viewer(viewer), club_ids)
    frame = query_df(engine, "utilization/hourly", start_day=start, end_day=end, club_ids=ids)
    return frame[frame.club_id.isin(ids)].reset_index(drop=True)


def seat_use(engine: Engine, *, viewer: Account, club_ids: Sequence[int], start: date,
             end: date) -> pd.DataFrame:
    """How much each active seat of some of the viewer's clubs was used: booked hours against the
    club's open hours."""
    ids = scope.clubs(scope.viewer(viewer), club_ids)
    frame = query_df(engine, "utilization/seat_use", start_day=start, end_day=end, club_ids=ids)
    return frame[frame.club_id.isin(ids)].reset_index(drop=True)


def clubs_with_hours(hourly: pd.DataFrame, club_ids: Sequence[int]) -> list[int]:
    """The chosen clubs that were open in the dates, in the order given."""
    found = set(hourly.club_id)
    return [c for c in club_ids if c in found]


def halls(hourly: pd.DataFrame, club_id: int) -> dict[int, str]:
    """A club's halls: id -> name."""
    rows = hourly[hourly.club_id == club_id].drop_duplicates("hall_id")
    return {int(h): str(n) for h, n in zip(rows.hall_id, rows.hall_name)}


@dataclass(frozen=True)
class Week:
    """The weekday x hour grid of a club or one hall, with its busiest and emptiest hours."""

    table: pd.DataFrame  # hours 0-23 x weekdays 1-7, share booked 0-1, NaN when closed
    busiest: list[Slot]
    emptiest: list[Slot]
    average: float  # booked seat-hours over open seat-hours (NaN without open hours)


def week(hourly: pd.DataFrame, club_id: int, hall_id: int | None = None) -> Week:
    table = rules.grid(hourly, [club_id], None if hall_id is None else [hall_id])
    busiest, emptiest = rules.peak_and_idle(table, n=PEAK_SLOTS)
    scope = hourly[hourly.club_id == club_id]
    if hall_id is not None:
        scope = scope[scope.hall_id == hall_id]
    capacity = float((scope.seats * scope.occurrences).sum())
    average = float(scope.booked_seat_hours.sum() / capacity) if capacity else float("nan")
    return Week(table=table, busiest=busiest, emptiest=emptiest, average=average)


def hall_use(seats: pd.DataFrame, club_id: int) -> pd.DataFrame:
    """Each hall of a club: the share of its open seat-hours booked (hall_id, hall_name, use 0-1),
    least used first."""
    frame = seats[seats.club_id == club_id]
    out = frame.groupby(["hall_id", "hall_name"], as_index=False).agg(
        booked=("booked_hours", "sum"), open_hours=("open_hours", "max"), seats=("seat_id", "count"))
    out["use"] = out.booked / (out.open_hours * out.seats).replace(0, np.nan)
    return out.sort_values("use")[["hall_id", "hall_name", "use"]].reset_index(drop=True)


def seat_table(seats: pd.DataFrame, club_id: int, hall_id: int | None = None) -> pd.DataFrame:
    """The seats of a club (or one hall), least used first: use 0-1 and whether the seat is idle."""
    frame = seats[seats.club_id == club_id]
    if hall_id is not None:
        frame = frame[frame.hall_id == hall_id]
    use = frame.utilization.fillna(0.0)
    return frame.assign(use=use, idle=use < IDLE_SEAT).sort_values("use").reset_index(drop=True)


def suggestions(hourly: pd.DataFrame, seats: pd.DataFrame, names: Mapping[int, str]) -> list[Suggestion]:
    """Off-peak offers, halls near capacity and idle seats, the biggest first within each kind."""
    return rules.suggestions(hourly, seats, names)


def slot_text(slot: Slot, with_share: bool = False) -> str:
    """'Fri 20:00' (with the share booked: 'Fri 20:00 (93%)')."""
    text = f"{weekday_name(slot.dow)} {hour_text(slot.hour)}"
    return f"{text} ({percent(slot.utilization)})" if with_share else text


def hour_text(hour: int) -> str:
    """9 -> '09:00' (24-hour time in every language)."""
    return time_text(pd.Timestamp(2000, 1, 1, hour % 24).to_pydatetime())
