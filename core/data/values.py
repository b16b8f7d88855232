"""Turning text columns into times, amounts and durations, a whole column at a time.

Times: ISO 8601 (`2024-03-01 18:30`, `2024-03-01T18:30:00+05:00`, `2024-03-01`), day first with dots
(`01.03.2024 18:30[:15]`, `01.03.2024`), US style with slashes (`3/1/2024 6:30:15 PM`; day first when a
first number is above 12) and compact dates (`20240301`). A time without an offset is the club's local
time (`localize`); one with an offset is an instant.

Amounts: spaces (also non-breaking) and currency marks are dropped; a comma is the decimal mark when
it is followed by one or two digits at the end (`1 234,50`), a thousands separator otherwise (`1,234.50`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# One pattern per family; groups: year, month, day, hour, minute, second, fraction, am/pm, offset.
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
                  r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
                  r"\s*(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?$")
_DOTS = re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"
                   r"(?:,?\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$")
_SLASH = re.compile(r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})"
                    r"(?:,?\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<p>[AaPp]\.?[Mm]\.?)?)?$")
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
# exact formats tried first on the whole column (fast, in C); the patterns above catch the rest
_FAST_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S",
                 "%d.%m.%Y %H:%M", "%d.%m.%Y", "%Y%m%d")
_CURRENCY = re.compile(r"[\s\u00a0\u202f'₸$€₽]|KZT|kzt|тг\.?|тенге|руб\.?", re.UNICODE)
_DECIMAL_COMMA = re.compile(r",\d{1,2}$")
_CLOCK = re.compile(r"^(?P<h>\d{1,3}):(?P<m>\d{2})(?::(?P<s>\d{2}))?$")
CONTROL = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+"  # control characters and line breaks: never in a name


@dataclass(frozen=True)
class Times:
    """A parsed time column: `local` holds values written without an offset (club-local, naive),
    `instant` those with one (UTC); `bad` marks non-empty cells that are not a time."""

    local: pd.Series    # datetime64[ns], NaT where absent
    instant: pd.Series  # datetime64[ns, UTC], NaT where absent
    bad: pd.Series      # bool

    @property
    def missing(self) -> pd.Series:
        return self.local.isna() & self.instant.isna() & ~self.bad


def clean(column: pd.Series) -> pd.Series:
    """Cells stripped of surrounding spaces; missing cells become ""."""
    return column.fillna("").astype(str).str.strip()


def per_value(text: pd.Series, parse) -> pd.Series | pd.DataFrame:
    """`parse` applied once per distinct value and spread back over the column (exports repeat values)."""
    codes, uniques = pd.factorize(text)
    done = parse(pd.Series(uniques, dtype=object).astype(str))
    out = done.iloc[codes]
    out.index = text.index
    return out


def parse_times(column: pd.Series) -> Times:
    text = clean(column)
    parts = per_value(text, _parse_distinct_times)
    local, instant = parts["local"], parts["instant"]
    bad = (text != "") & local.isna() & instant.isna()
    return Times(local=local.astype("datetime64[ns]"), instant=instant.astype("datetime64[ns, UTC]"), bad=bad)


def _parse_distinct_times(text: pd.Series) -> pd.DataFrame:
    present = text != ""
    local = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    instant = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    todo = present.copy()
    sample = text[present].head(200)
    for fmt in _FAST_FORMATS:  # only formats that read some of the first values
        if not todo.any():
            break
        if pd.to_datetime(sample, format=fmt, errors="coerce").isna().all():
            continue
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        ok = parsed.notna()
        if ok.any():
            local.loc[ok[ok].index] = parsed[ok]
            todo.loc[ok[ok].index] = False
    if todo.any():
        rest_local, rest_instant = _by_pattern(text[todo])
        local.loc[rest_local.index] = rest_local
        instant.loc[rest_instant.index] = rest_instant
    return pd.DataFrame({"local": local, "instant": instant})


def _by_pattern(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The cells the fast formats missed, by family (ISO with offsets or fractions, dots, slashes, compact)."""
    local = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    instant = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")

    iso = text.str.extract(_ISO)
    hit = iso["y"].notna()
    if hit.any():
        stamp = _assemble(iso[hit], iso["y"], iso["m"], iso["d"])
        fraction = pd.to_numeric(iso.loc[hit, "f"].fillna("0").str.ljust(9, "0").str[:9], errors="coerce")
        stamp = stamp + pd.to_timedelta(fraction.fillna(0), unit="ns")
        offset = iso.loc[hit, "tz"]
        aware = offset.notna()
        local.loc[stamp[~aware].index] = stamp[~aware]
        if aware.any():
            minutes = offset[aware].map(_offset_minutes)
            utc = stamp[aware] - pd.to_timedelta(minutes, unit="min")
            instant.loc[utc.index] = utc.dt.tz_localize("UTC")
    rest = text[~hit]

    dots = rest.str.extract(_DOTS)
    hit = dots["y"].notna()
    if hit.any():
        local.loc[dots[hit].index] = _assemble(dots[hit], dots["y"], dots["m"], dots["d"])
    rest = rest[~hit]

    slash = rest.str.extract(_SLASH)
    hit = slash["y"].notna()
    if hit.any():
        part = slash[hit]
        a, b = pd.to_numeric(part["a"]), pd.to_numeric(part["b"])
        day_first = bool((a > 12).any() and not (b > 12).any())
        month, day = (part["b"], part["a"]) if day_first else (part["a"], part["b"])
        hour = pd.to_numeric(part["H"]).fillna(0)
        pm = part["p"].fillna("").str.lower().str.startswith("p")
        am = part["p"].fillna("").str.lower().str.startswith("a")
        hour = hour.where(~(am & (hour == 12)), 0).where(~(pm & (hour < 12)), hour + 12)
        part = part.assign(H=hour.astype(int).astype(str))
        local.loc[part.index] = _assemble(part, part["y"], month, day)
    rest = rest[~hit]

    compact = rest.str.extract(_COMPACT)
    hit = compact["y"].notna()
    if hit.any():
        local.loc[compact[hit].index] = _assemble(compact[hit], compact["y"], compact["m"], compact["d"])
    return local, instant


def _assemble(part: pd.DataFrame, year, month, day) -> pd.Series:
    """Timestamps from text parts (NaT where a part is out of range, e.g. 31.02)."""
    index = part.index

    def number(values, default: int = 0) -> pd.Series:
        if isinstance(values, str):
            values = part[values] if values in part else pd.Series(default, index=index)
        return pd.to_numeric(pd.Series(values, index=index), errors="coerce").reindex(index).fillna(default)

    fields = pd.DataFrame({"year": number(year), "month": number(month), "day": number(day),
                           "hour": number("H"), "minute": number("M"), "second": number("S")}, index=index)
    ok = fields.hour.between(0, 23) & fields.minute.between(0, 59) & fields.second.between(0, 59)
    out = pd.to_datetime(fields.where(ok), errors="coerce")
    return out.astype("datetime64[ns]")


def _offset_minutes(text: str) -> int:
    if text == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) >= 4 else 0))


def localize(times: Times, timezones: pd.Series) -> pd.Series:
    """UTC instants: local values in each row's time zone (a time that does not exist there, or exists
    twice, becomes NaT), instants as they are."""
    out = times.instant.copy()
    for tz, rows in timezones.groupby(timezones).groups.items():
        local = times.local.loc[rows]
        local = local[local.notna()]
        if local.empty:
            continue
        converted = local.dt.tz_localize(str(tz), ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
        out.loc[converted.index] = converted
    return out


def parse_amounts(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(amounts as floats with NaN where empty, bad: non-empty cells that are not a number)."""
    text = clean(column)
    values = per_value(text, _parse_distinct_amounts)
    return values.astype(float), (text != "") & values.isna()


def _parse_distinct_amounts(text: pd.Series) -> pd.Series:
    text = text.str.replace(_CURRENCY, "", regex=True)
    decimal_comma = text.str.contains(_DECIMAL_COMMA) & ~text.str.contains(".", regex=False)
    both = text.str.contains(",", regex=False) & text.str.contains(".", regex=False)
    comma_last = both & (text.str.rfind(",") > text.str.rfind("."))
    swap = decimal_comma | comma_last
    normal = text.where(~swap, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    normal = normal.where(swap, normal.str.replace(",", "", regex=False))
    return pd.to_numeric(normal.where(text != ""), errors="coerce").astype(float)


def parse_durations(column: pd.Series, *, unit_minutes: bool = True) -> tuple[pd.Series, pd.Series]:
    """(durations as Timedelta, bad): `hh:mm[:ss]` clocks, or numbers of minutes (of seconds when
    `unit_minutes` is False); NaT where empty."""
    text = clean(column)
    seconds = per_value(text, lambda t: _parse_distinct_seconds(t, 60 if unit_minutes else 1))
    out = pd.to_timedelta(seconds, unit="s")
    return out, (text != "") & out.isna()


def _parse_distinct_seconds(text: pd.Series, unit: int) -> pd.Series:
    clock = text.str.extract(_CLOCK)
    is_clock = clock["h"].notna()
    minutes = pd.to_numeric(clock["m"], errors="coerce")
    seconds = (pd.to_numeric(clock["h"], errors="coerce") * 3600 + minutes * 60
               + pd.to_numeric(clock["s"], errors="coerce").fillna(0))
    seconds = seconds.where(~is_clock | (minutes <= 59))
    numbers = _parse_distinct_amounts(text.where(~is_clock, ""))
    return seconds.where(is_clock, numbers * unit).astype(float)


def first_clock(column: pd.Series) -> pd.Series:
    """The first `hh:mm:ss` found in each cell (ggLeap writes the session length into Details)."""
    found = clean(column).str.extract(r"(\d{1,3}:\d{2}:\d{2})", expand=False)
    durations, _ = parse_durations(found.fillna(""))
    return durations


def normalise_choice(column: pd.Series, synonyms: dict[str, str], default: str | None) -> tuple[pd.Series, pd.Series]:
    """(canonical values, bad): cells compared lower-cased with spaces, dashes and underscores removed;
    empty cells take `default`."""
    text = clean(column)
    table = {re.sub(r"[\s_\-]+", "", k.lower()): v for k, v in synonyms.items()}
    values = per_value(text, lambda t: t.str.lower().str.replace(r"[\s_\-]+", "", regex=True).map(table))
    empty = text == ""
    bad = ~empty & values.isna()
    return values.where(~empty, default).astype(object), bad


def as_text(column: pd.Series) -> pd.Series:
    """Stripped text with None for empty cells."""
    text = clean(column)
    return text.where(text != "", None)


def plain_text(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(`as_text` with each run of control characters or line breaks replaced by a space, which cells had
    one): for names and ids, which are shown on pages and written into messages."""
    text = clean(column)
    if not re.search(CONTROL, "".join(text.tolist())):  # one search over the column: most have none
        return text.where(text != "", None), pd.Series(False, index=text.index)
    dirty = text.str.contains(CONTROL, regex=True)
    text = text.where(~dirty, text.str.replace(CONTROL, " ", regex=True).str.strip())
    return text.where(text != "", None), dirty


def finite(values: pd.Series) -> pd.Series:
    return values.where(np.isfinite(values.astype(float)))
