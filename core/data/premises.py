"""Clubs, halls and seats an import names: found by name (case-insensitively) or created.

A new club gets the time zone given for the import (its city is the zone's city), is open 24 hours
and opened on its first visit's day; an existing club whose opening day is later than the imported
history opens earlier. A new hall's hourly price is the median the visits paid per hour there (0 without
amounts): those of the chunk that creates it, then those of the whole file (`core.data.loader`). A named
seat that does not exist yet is added to its hall. A file read in chunks resolves each chunk in turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlalchemy as sa

from core.data.visits import VisitTable
from core.platform.db import frame, load_sql


@dataclass
class Premises:
    """Where each visit of a table happens: hall and seat ids per row (seat 0: none named)."""

    hall_id: np.ndarray
    seat_id: np.ndarray
    added: dict[str, int] = field(default_factory=dict)  # clubs, halls, seats created
    new_halls: list[int] = field(default_factory=list)  # the halls created


def club_timezones(conn: sa.Connection, names: list[str], timezone: str) -> dict[str, str]:
    """The time zone of each named club (`timezone` for clubs that do not exist yet)."""
    clubs = frame(conn, "data/import_clubs")
    known = {str(n).strip().lower(): str(tz) for n, tz in zip(clubs.get("name", []), clubs.get("timezone", []))}
    return {name: known.get(name.strip().lower()) or timezone for name in names}


def city_of(timezone: str) -> str:
    """'Asia/Almaty' -> 'Almaty' (the city a new club is put in)."""
    return timezone.rsplit("/", 1)[-1].replace("_", " ")


def resolve(conn: sa.Connection, table: VisitTable, timezone: str) -> Premises:
    v = table.visits
    added = {"clubs": 0, "halls": 0, "seats": 0}
    new_halls: list[int] = []
    clubs = frame(conn, "data/import_clubs")
    club_id = {str(n).strip().lower(): int(i) for n, i in zip(clubs.get("name", []), clubs.get("id", []))}
    first_day = v.groupby("club").local_date.min()
    for name, day in first_day.items():
        found = club_id.get(name.strip().lower())
        if found is None:
            found = conn.execute(sa.text(load_sql("data/import_add_club")), {
                "name": name.strip(), "city": city_of(timezone), "timezone": timezone,
                "opened_on": pd.Timestamp(day).date()}).scalar_one()
            club_id[name.strip().lower()] = int(found)
            added["clubs"] += 1
        else:
            conn.execute(sa.text(load_sql("data/import_club_opened")), {"club_id": found,
                                                                    "opened_on": pd.Timestamp(day).date()})
    row_club = v.club.str.strip().str.lower().map(club_id).astype("int64")

    halls = frame(conn, "data/import_halls", clubs=sorted(set(club_id.values())))
    hall_key = {(int(c), str(n).strip().lower()): int(i)
                for c, n, i in zip(halls.get("club_id", []), halls.get("name", []), halls.get("id", []))}
    keyed = pd.DataFrame({"club_id": row_club, "name": v.hall.str.strip(), "hall_type": v.hall_type,
                          "per_hour": v.price / ((v.end_time - v.start_time).dt.total_seconds() / 3600)})
    keyed["lower"] = keyed.name.str.lower()
    group = keyed.groupby(["club_id", "lower"], sort=False).ngroup().to_numpy()
    distinct = keyed.groupby(["club_id", "lower"], sort=False).agg(
        name=("name", "first"), hall_type=("hall_type", "first"),
        price=("per_hour", lambda p: p[p > 0].median() if (p > 0).any() else 0.0)).reset_index()
    distinct["key"] = list(zip(distinct.club_id.astype(int), distinct.lower))
    missing = distinct[~distinct.key.isin(hall_key)]
    if len(missing):
        made = conn.execute(sa.text(load_sql("data/import_add_halls")), {
            "clubs": missing.club_id.astype(int).tolist(), "names": missing.name.tolist(),
            "hall_types": missing.hall_type.tolist(),
            "prices": missing.price.fillna(0).round(0).astype(float).tolist()}).all()
        for row in made:
            hall_key[(int(row.club_id), str(row.name).strip().lower())] = int(row.id)
            new_halls.append(int(row.id))
        added["halls"] += len(made)
    row_hall = distinct.key.map(hall_key).astype("int64").to_numpy()[group]

    row_seat = np.zeros(len(v), dtype=np.int64)
    named = v.seat.notna().to_numpy()
    if named.any():
        seats = frame(conn, "data/import_seats", hall_ids=sorted(set(row_hall[named].tolist())))
        seat_key = {(int(h), str(lbl).strip().lower()): int(i)
                    for h, lbl, i in zip(seats.get("hall_id", []), seats.get("label", []), seats.get("seat_id", []))}
        wanted = pd.DataFrame({"hall_id": row_hall[named], "label": v.seat[named].str.strip().to_numpy(),
                               "hall_type": v.hall_type[named].to_numpy()})
        wanted["lower"] = wanted.label.str.lower()
        group = wanted.groupby(["hall_id", "lower"], sort=False).ngroup().to_numpy()
        distinct = wanted.groupby(["hall_id", "lower"], sort=False).agg(
            label=("label", "first"), hall_type=("hall_type", "first")).reset_index()
        distinct["key"] = list(zip(distinct.hall_id.astype(int), distinct.lower))
        new = distinct[~distinct.key.isin(seat_key)]
        if len(new):
            made = conn.execute(sa.text(load_sql("data/import_add_seats")), {
                "hall_ids": new.hall_id.astype(int).tolist(), "labels": new.label.tolist(),
                "devices": np.where(new.hall_type == "console", "console", "pc").tolist()}).all()
            for row in made:
                seat_key[(int(row.hall_id), str(row.label).strip().lower())] = int(row.id)
            added["seats"] += len(made)
        row_seat[named] = distinct.key.map(seat_key).astype("int64").to_numpy()[group]
    return Premises(hall_id=row_hall, seat_id=row_seat, added=added, new_halls=new_halls)


def add_seats(conn: sa.Connection, new_seats: pd.DataFrame, hall_types: dict[int, str]) -> list[int]:
    """Insert the seats placement asked for; their ids in the same order."""
    if new_seats.empty:
        return []
    made = conn.execute(sa.text(load_sql("data/import_add_seats")), {
        "hall_ids": new_seats.hall_id.astype(int).tolist(), "labels": new_seats.label.tolist(),
        "devices": ["console" if hall_types.get(int(h)) == "console" else "pc" for h in new_seats.hall_id]}).all()
    ids = {(int(r.hall_id), str(r.label)): int(r.id) for r in made}
    return [ids[(int(h), str(lbl))] for h, lbl in zip(new_seats.hall_id, new_seats.label)]
