"""Kazakhstan's public holidays and school breaks, used by the demo and the forecast."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

# Fixed-date public days off (month, day).
_FIXED = [
    (1, 1), (1, 2),          # New Year
    (1, 7),                  # Orthodox Christmas
    (3, 8),                  # International Women's Day
    (3, 21), (3, 22), (3, 23),  # Nauryz
    (5, 1),                  # Unity Day
    (5, 7),                  # Defender of the Fatherland Day
    (5, 9),                  # Victory Day
    (7, 6),                  # Capital Day
    (8, 30),                 # Constitution Day
    (10, 25),                # Republic Day
    (12, 16),                # Independence Day
]

# Kurban Ait follows the lunar calendar.
_KURBAN_AIT = {
    2022: date(2022, 7, 9), 2023: date(2023, 6, 28), 2024: date(2024, 6, 16),
    2025: date(2025, 6, 6), 2026: date(2026, 5, 27), 2027: date(2027, 5, 16),
    2028: date(2028, 5, 5), 2029: date(2029, 4, 24), 2030: date(2030, 4, 13),
}

# School breaks as (start month, start day, end month, end day), inclusive.
_SCHOOL_BREAKS = [
    (1, 1, 1, 8),
    (3, 20, 3, 29),
    (6, 1, 8, 31),
    (10, 27, 11, 2),
    (12, 30, 12, 31),
]


def public_holidays(start: date, end: date) -> list[date]:
    """Public holidays of Kazakhstan between start and end, inclusive."""
    days = []
    for year in range(start.year, end.year + 1):
        days += [date(year, m, d) for m, d in _FIXED]
        if year in _KURBAN_AIT:
            days.append(_KURBAN_AIT[year])
    return sorted(d for d in days if start <= d <= end)


def school_break_days(start: date, end: date) -> list[date]:
    """Days of school breaks between start and end, inclusive."""
    days = []
    for year in range(start.year, end.year + 1):
        for m1, d1, m2, d2 in _SCHOOL_BREAKS:
            day, last = date(year, m1, d1), date(year, m2, d2)
            while day <= last:
                if start <= day <= end:
                    days.append(day)
                day += timedelta(days=1)
    return days


def holiday_flags(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Columns `holiday` and `school_break` (0/1) for each day of a daily index."""
    if len(index) == 0:
        return pd.DataFrame({"holiday": [], "school_break": []}, index=index)
    first, last = index.min().date(), index.max().date()
    holidays = set(public_holidays(first, last))
    breaks = set(school_break_days(first, last))
    days = [ts.date() for ts in index]
    return pd.DataFrame(
        {
            "holiday": [int(d in holidays) for d in days],
            "school_break": [int(d in breaks) for d in days],
        },
        index=index,
    )
