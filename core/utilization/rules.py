"""Seat utilization: the weekday x hour grid, peak and idle hours, and concrete suggestions.

Pure functions on the frames of the `app_hourly_utilization` query (one row per hall, club-local
ISO weekday 1-7 and hour 0-23, open hours only) and the `app_seat_use` query (one row per seat).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.i18n import _, ngettext
from core.i18n.format import number, percent, weekday_name
from core.platform.thresholds import NEAR_CAPACITY  # a hall is near capacity at an hour above this share

OFFPEAK_BELOW = 0.20  # an hour is "empty" below 20% of seats booked ...
OFFPEAK_MIN_HOURS = 2  # ... and an offer needs a block of at least two such hours
OFFPEAK_PER_CLUB = 2
IDLE_SEAT = 0.10  # a seat is idle below 10% use ...
IDLE_HALL_MIN = 0.20  # ... while its hall is at 20% or more ...
IDLE_HALL_RATIO = 2.0  # ... and at least twice as busy as the seat
OVERSIZED_SHARE = 0.25  # more idle seats than this share of a hall: the hall is too big


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "offpeak", "capacity" or "idle_seats"
    club_id: int
    title: str
    detail: str
    hall_id: int | None = None
    weight: float = 0.0  # seat-hours at stake per week, for ordering


@dataclass(frozen=True)
class Slot:
    dow: int
    hour: int
    utilization: float


def _pool(hourly: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Utilization of groups of halls: booked seat-hours over seat-hours open."""
    capacity = hourly.seats * hourly.occurrences
    frame = hourly.assign(capacity=capacity)
    out = frame.groupby(keys, as_index=False)[["booked_seat_hours", "capacity"]].sum()
    out["utilization"] = np.where(out.capacity > 0, out.booked_seat_hours / out.capacity.where(out.capacity > 0), np.nan)
    return out


def grid(hourly: pd.DataFrame, club_ids: Iterable[int] | None = None, hall_ids: Iterable[int] | None = None
         ) -> pd.DataFrame:
    """Utilization (0-1) with hours 0-23 as rows and weekdays 1-7 as columns; NaN when closed."""
    frame = hourly
    if club_ids is not None:
        frame = frame[frame.club_id.isin(list(club_ids))]
    if hall_ids is not None:
        frame = frame[frame.hall_id.isin(list(hall_ids))]
    pooled = _pool(frame, ["dow", "hour"]) if len(frame) else pd.DataFrame(
        columns=["dow", "hour", "utilization"])
    table = pooled.pivot(index="hour", columns="dow", values="utilization")
    return table.reindex(index=range(24), columns=range(1, 8)).astype(float)


def peak_and_idle(table: pd.DataFrame, n: int = 3) -> tuple[list[Slot], list[Slot]]:
    """The `n` busiest and `n` emptiest open weekday-hours of a grid."""
    stacked = table.stack().dropna()
    slots = [Slot(int(dow), int(hour), float(u)) for (hour, dow), u in stacked.items()]
    busiest = sorted(slots, key=lambda s: (-s.utilization, s.dow, s.hour))[:n]
    emptiest = sorted(slots, key=lambda s: (s.utilization, s.dow, s.hour))[:n]
    return busiest, emptiest


def hour_label(hour: int) -> str:
    """9 -> '09:00'; the end of the day is '24:00'."""
    return f"{hour:02d}:00"


def slot_label(slot: Slot) -> str:
    """'Fri 20:00' / 'пт 20:00'."""
    return f"{weekday_name(slot.dow)} {hour_label(slot.hour)}"


def days_label(days: Iterable[int]) -> str:
    """[1, 2, 3, 5] -> 'Mon–Wed, Fri' (weekday names in the current language)."""
    days = sorted(set(days))
    parts, run = [], []
    for d in days + [None]:
        if run and (d is None or d != run[-1] + 1):
            first, last = weekday_name(run[0]), weekday_name(run[-1])
            parts.append(first if len(run) == 1 else f"{first}, {last}" if len(run) == 2 else f"{first}–{last}")
            run = []
        if d is not None:
            run.append(d)
    return ", ".join(parts)


def blocks(mask: pd.DataFrame, min_hours: int = 1) -> list[tuple[int, int, int]]:
    """Runs of True hours per weekday in an hours x weekdays mask: (dow, first hour, end hour exclusive)."""
    out = []
    for dow in mask.columns:
        hours = mask[dow].to_numpy(bool)
        start = None
        for h in range(25):
            on = h < 24 and hours[h]
            if on and start is None:
                start = h
            elif not on and start is not None:
                if h - start >= min_hours:
                    out.append((int(dow), start, h))
                start = None
    return out


DAY_GROUPS = {"weekdays": (1, 2, 3, 4, 5), "weekend": (6, 7)}


def group_label(group: str) -> str:
    """'weekdays' -> 'Mon–Fri' / 'пн–пт'."""
    days = DAY_GROUPS[group]
    return f"{weekday_name(days[0])}–{weekday_name(days[-1])}"

OFFER_HOURS = range(8, 24)  # offers target waking hours; nights already have the night package


def by_day_group(table: pd.DataFrame) -> pd.DataFrame:
    """A weekday x hour grid averaged into weekdays and weekends (hours x groups)."""
    return pd.DataFrame({name: table[list(days)].mean(axis=1, skipna=True) for name, days in DAY_GROUPS.items()})


def _runs(column: pd.Series, min_hours: int) -> list[tuple[int, int]]:
    return [(start, end) for _, start, end in blocks(column.to_frame(0), min_hours)]


def offpeak_offers(hourly: pd.DataFrame, names: Mapping[int, str], *, below: float = OFFPEAK_BELOW,
                   min_hours: int = OFFPEAK_MIN_HOURS, per_club: int = OFFPEAK_PER_CLUB,
                   hours: Iterable[int] = OFFER_HOURS) -> list[Suggestion]:
    """Discounts for the emptiest blocks of waking hours of each club (open, under `below` booked)."""
    allowed = np.isin(np.arange(24), list(hours))
    out: list[Suggestion] = []
    for club_id, frame in hourly.groupby("club_id"):
        groups = by_day_group(grid(frame))
        seats = int(frame.drop_duplicates("hall_id").seats.sum())
        found = []
        for group, column in groups.items():
            empty = column.lt(below) & column.notna() & allowed
            for start, end in _runs(empty, min_hours):
                usage = float(column.iloc[start:end].mean())
                free = seats * (1 - usage) * (end - start) * len(DAY_GROUPS[group])
                found.append((free, group, start, end, usage))
        for free, group, start, end, usage in sorted(found, key=lambda f: -f[0])[:per_club]:
            out.append(Suggestion(
                "offpeak", int(club_id),
                _("Off-peak offer at {club}: {days} {start}–{end}").format(
                    club=_club(names, club_id), days=group_label(group), start=hour_label(start),
                    end=hour_label(end)),
                _("Only {share} of seats are booked then: about {free} free seat-hours a week. Try a discounted "
                  "package, a student pass or a tournament for those hours.").format(
                    share=percent(usage), free=number(free)),
                weight=free))
    return out


def hall_day_groups(hourly: pd.DataFrame) -> tuple[list[tuple[int, int]], dict[str, np.ndarray]]:
    """Every hall's `by_day_group(grid(...))` at once: the (club, hall) pairs in order, and per day group an
    array of halls x 24 hours (NaN when closed)."""
    capacity = hourly.seats * hourly.occurrences
    use = hourly.assign(u=np.where(capacity > 0, hourly.booked_seat_hours / capacity.where(capacity > 0), np.nan))
    pairs = sorted(set(zip(use.club_id.astype(int), use.hall_id.astype(int))))
    rows = pd.MultiIndex.from_product([[hall for _, hall in pairs], range(24)], names=["hall_id", "hour"])
    wide = use.set_index(["hall_id", "hour", "dow"])["u"].unstack("dow").reindex(index=rows, columns=range(1, 8))
    return pairs, {name: wide[list(days)].astype(float).mean(axis=1, skipna=True).to_numpy().reshape(-1, 24)
                   for name, days in DAY_GROUPS.items()}


def near_capacity(hourly: pd.DataFrame, names: Mapping[int, str], *, above: float = NEAR_CAPACITY
                  ) -> list[Suggestion]:
    """Halls above `above` booked at their peak hours, and a less busy hall of the club then."""
    out: list[Suggestion] = []
    if hourly.empty:
        return out
    pairs, groups = hall_day_groups(hourly)
    clubs = dict(tuple(hourly.groupby("club_id")))
    for i, (club_id, hall_id) in enumerate(pairs):
        stretches = []
        for group, table in groups.items():
            column = pd.Series(table[i])
            for start, end in _runs(column.gt(above), 1):
                stretches.append((end - start, group, start, end, float(column.iloc[start:end].mean())))
        if not stretches:
            continue
        stretches.sort(key=lambda s: -s[0])
        club = clubs[club_id]
        hall = club[club.hall_id == hall_id].iloc[0]
        when = "; ".join(f"{group_label(g)} {hour_label(a)}–{hour_label(b)} ({percent(u)})"
                         for _hours, g, a, b, u in stretches[:2])
        group, start, end = stretches[0][1:4]
        others = club[(club.hall_id != hall_id) & club.dow.isin(DAY_GROUPS[group]) & (club.hour >= start)
                      & (club.hour < end)]
        alt = ""
        if len(others):
            pooled = _pool(others, ["hall_id", "hall_name"]).dropna(subset=["utilization"])
            if len(pooled) and pooled.utilization.min() < above - 0.15:
                best = pooled.loc[pooled.utilization.idxmin()]
                alt = " " + _("{hall} has room then ({share} booked): steer walk-ins there.").format(
                    hall=best.hall_name, share=percent(best.utilization))
        out.append(Suggestion(
            "capacity", int(club_id),
            _("{hall} at {club} is near capacity").format(hall=hall.hall_name, club=_club(names, club_id)),
            ngettext("Over {share} of its {seats} seat booked {when}.", "Over {share} of its {seats} seats booked "
                     "{when}.", int(hall.seats)).format(share=percent(above), seats=number(hall.seats), when=when)
            + " " + _("Raise peak prices, push pre-booking, or add seats.") + alt,
            hall_id=int(hall_id), weight=float(sum(s[0] for s in stretches))))
    return out


def idle_seats(seats: pd.DataFrame, names: Mapping[int, str], *, idle: float = IDLE_SEAT,
               hall_min: float = IDLE_HALL_MIN, ratio: float = IDLE_HALL_RATIO, show: int = 6
               ) -> list[Suggestion]:
    """Seats used under `idle` while their hall is busy: broken, badly placed or badly set up?"""
    out: list[Suggestion] = []
    frame = seats.assign(utilization=seats.utilization.fillna(0.0))
    for (club_id, hall_id), hall in frame.groupby(["club_id", "hall_id"]):
        open_hours = hall.open_hours.max()
        if not open_hours:
            continue
        hall_use = float(hall.booked_hours.sum() / (open_hours * len(hall)))
        if hall_use < hall_min:
            continue
        idle_rows = hall[(hall.utilization < idle) & (hall.utilization * ratio <= hall_use)]
        if idle_rows.empty:
            continue
        idle_rows = idle_rows.sort_values("utilization")
        labels = ", ".join(idle_rows.seat_label.astype(str).head(show))
        if len(idle_rows) > show:
            labels = _("{seats} and {count} more").format(seats=labels, count=number(len(idle_rows) - show))
        count = len(idle_rows)
        if count > OVERSIZED_SHARE * len(hall):
            advice = ngettext("That is {count} of {seats} seat: the hall is bigger than its demand.",
                              "That is {count} of {seats} seats: the hall is bigger than its demand.",
                              len(hall)).format(count=number(count), seats=number(len(hall))) + " " + _(
                "Turn a row into a bookable team or tournament area, or move those PCs where they are busy.")
        else:
            advice = _("Check the hardware and the spot (by the door, a broken headset?), or swap them with busy "
                       "seats.")
        out.append(Suggestion(
            "idle_seats", int(club_id),
            ngettext("{count} idle seat in {hall} at {club}", "{count} idle seats in {hall} at {club}", count).format(
                count=number(count), hall=str(hall.hall_name.iloc[0]), club=_club(names, club_id)),
            _("{seats}: under {idle} used while the hall averages {average}.").format(
                seats=labels, idle=percent(idle), average=percent(hall_use)) + " " + advice,
            hall_id=int(hall_id), weight=float(count * hall_use * open_hours)))
    return out


def _club(names: Mapping[int, str], club_id: int) -> str:
    return names.get(int(club_id)) or _("club {id}").format(id=int(club_id))


def suggestions(hourly: pd.DataFrame, seats: pd.DataFrame, names: Mapping[int, str]) -> list[Suggestion]:
    """Every suggestion, the biggest first within each kind (off-peak, capacity, idle seats)."""
    out: list[Suggestion] = []
    for found in (offpeak_offers(hourly, names), near_capacity(hourly, names), idle_seats(seats, names)):
        out.extend(sorted(found, key=lambda s: -s.weight))
    return out
