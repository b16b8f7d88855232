"""Clubs, halls and seats of the simulated chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

import numpy as np
import pandas as pd

# (city, IANA time zone, price level, weight of customers)
CITIES = [
    ("Алматы", "Asia/Almaty", 1.10, 3.0),
    ("Астана", "Asia/Almaty", 1.05, 2.5),
    ("Шымкент", "Asia/Almaty", 0.90, 1.5),
    ("Караганда", "Asia/Almaty", 0.90, 1.0),
    ("Актобе", "Asia/Aqtobe", 0.90, 1.0),
    ("Атырау", "Asia/Atyrau", 1.00, 0.8),
    ("Костанай", "Asia/Qostanay", 0.85, 0.7),
    ("Уральск", "Asia/Oral", 0.85, 0.6),
]
CLUB_NAMES = ["Pixel", "Respawn", "Nexus", "Arena", "Headshot", "Lobby", "Frag", "Quest", "Level Up", "Combo"]

# hall type -> (seats low, seats high, base price per hour in KZT, night package, device)
HALL_TYPES = {
    "standard": (36, 64, 800, 3500, "pc"),
    "vip": (10, 20, 1500, 6000, "pc"),
    "bootcamp": (10, 15, 1200, 4500, "pc"),
    "console": (8, 14, 1300, 5000, "console"),
}
HALL_TYPE_ORDER = list(HALL_TYPES)


@dataclass
class Chain:
    clubs: pd.DataFrame
    halls: pd.DataFrame
    seats: pd.DataFrame


def make_chain(n_clubs: int, first_day: date, days: int, rng: np.random.Generator) -> Chain:
    clubs, halls, seats = [], [], []
    for c in range(n_clubs):
        city, tz, level, weight = CITIES[c % len(CITIES)] if c < len(CITIES) else CITIES[rng.integers(0, 4)]
        branch = sum(1 for x in clubs if x["city"] == city) + 1
        name = f"{CLUB_NAMES[c % len(CLUB_NAMES)]} {city}" + (f" {branch}" if branch > 1 else "")
        # most clubs predate the window; about one in five opens during it
        opens_late = n_clubs >= 5 and c % 5 == 4
        opened = first_day + timedelta(days=int(rng.integers(days // 4, days // 2))) if opens_late \
            else first_day - timedelta(days=int(rng.integers(200, 1500)))
        all_day = c == 0 or rng.random() < 0.7
        clubs.append({
            "id": c + 1, "name": name, "city": city, "timezone": tz,
            "address": f"{city}, ул. {['Абая', 'Сатпаева', 'Толе би', 'Жибек Жолы', 'Кунаева'][c % 5]}, {10 + c * 7}",
            "opens_at": time(0) if all_day else time(10), "closes_at": time(0) if all_day else time(4),
            "opened_on": opened, "price_level": level, "weight": weight * rng.uniform(0.7, 1.3),
        })
        size = rng.uniform(0.7, 1.4)
        for hall_type, (lo, hi, price, night, device) in HALL_TYPES.items():
            if hall_type == "bootcamp" and rng.random() < 0.3:
                continue
            hall_id = len(halls) + 1
            n_seats = max(3, int(rng.integers(lo, hi + 1) * size))
            halls.append({
                "id": hall_id, "club_id": c + 1, "name": f"{hall_type.capitalize()} hall",
                "hall_type": hall_type,
                "hourly_price": round(price * level / 50) * 50,
                "night_package_price": round(night * level / 100) * 100,
            })
            prefix = hall_type[0].upper()
            for s in range(n_seats):
                seats.append({"id": len(seats) + 1, "hall_id": hall_id, "label": f"{prefix}-{s + 1:02d}",
                              "device": device, "is_active": True})
    return Chain(pd.DataFrame(clubs), pd.DataFrame(halls), pd.DataFrame(seats))
