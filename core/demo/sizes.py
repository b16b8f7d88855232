"""Demo sizes: S for tests, M the default demo, L for load tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSize:
    name: str
    clubs: int
    days: int
    customers: int
    target_bookings: int


SIZES = {
    "S": DemoSize("S", clubs=2, days=90, customers=2_500, target_bookings=22_000),
    "M": DemoSize("M", clubs=10, days=365, customers=50_000, target_bookings=1_000_000),
    "L": DemoSize("L", clubs=50, days=730, customers=250_000, target_bookings=8_000_000),
}


def get_size(name: str) -> DemoSize:
    try:
        return SIZES[name.upper()]
    except KeyError:
        raise ValueError(f"unknown demo size {name!r}; choose one of {', '.join(SIZES)}") from None
