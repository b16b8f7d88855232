"""Numbers, money, percentages, dates and "5 minutes ago", formatted with Babel's locale data.

Every function formats in the current language (`core.i18n.current_locale`) and returns "—" for a
missing value (None or NaN). Money is tenge, shown as ₸ wherever the locale puts its currency sign.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from typing import Any

import pandas as pd
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from core.i18n.catalog import current_locale

MISSING = "—"
TENGE = "₸"
CURRENCY = "KZT"
NBSP = "\u00a0"


def _missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float | int) and math.isnan(float(value)))
    except (TypeError, ValueError):
        return False


def _pattern(digits: int) -> str:
    return "#,##0" + ("." + "0" * digits if digits > 0 else "")


# Babel parses a locale and a number pattern on every call; scoring formats 100,000 numbers, so both are
# parsed once here (Babel takes a Locale and a parsed pattern as they are).
@cache
def _locale(code: str) -> Locale:
    return Locale.parse(code)


@cache
def _parsed(pattern: str) -> babel_numbers.NumberPattern:
    return babel_numbers.parse_pattern(pattern)


def number(value: float | None, digits: int | None = 0) -> str:
    """1234567.8 -> '1,234,568' in English, '1 234 568' in Russian (no-break spaces);
    digits=None shows the decimals the value has (up to three): 0.6 -> '0.6', 70.0 -> '70'."""
    if _missing(value):
        return MISSING
    pattern = None if digits is None else _parsed(_pattern(digits))
    return babel_numbers.format_decimal(float(value), format=pattern, locale=_locale(current_locale()))


def signed_number(value: float | None, digits: int | None = 0) -> str:
    """1.25 -> '+1.2', -3 -> '-3' (ASCII minus, as signed_percent); a zero is '0'."""
    if _missing(value):
        return MISSING
    text = number(abs(float(value)), digits)
    if text == number(0.0, digits):
        return text
    return ("+" if float(value) > 0 else "-") + text


def compact(value: float | None, digits: int = 1) -> str:
    """1234567 -> '1.2M' / '1,2 млн'."""
    if _missing(value):
        return MISSING
    return babel_numbers.format_compact_decimal(float(value), fraction_digits=digits, locale=current_locale())


def money(value: float | None, *, compact: bool = False, digits: int = 0) -> str:
    """Tenge: '₸1,234,568' in English, '1 234 568 ₸' in Russian; compact, three significant digits:
    '₸1.2M' / '1,2 млн ₸', '₸566K' / '566 тыс. ₸'."""
    if _missing(value):
        return MISSING
    locale = current_locale()
    if compact and abs(float(value)) >= 10_000:
        fraction = 0 if int(math.log10(abs(float(value)))) % 3 == 2 else 1  # 566K, but 56.6K and 5.7M
        text = babel_numbers.format_compact_currency(float(value), CURRENCY, fraction_digits=fraction,
                                                     locale=locale)
    else:
        text = babel_numbers.format_currency(float(value), CURRENCY, format=_currency_pattern(locale, digits),
                                             currency_digits=False, locale=_locale(locale))
    return text.replace(CURRENCY, TENGE).replace(" ", NBSP)


@cache
def _currency_pattern(locale: str, digits: int) -> babel_numbers.NumberPattern:
    """The locale's currency pattern ('¤#,##0.00' or '#,##0.00 ¤') with `digits` decimals."""
    return _parsed(_localized(_locale(locale).currency_formats["standard"], digits))


@cache
def _percent_pattern(locale: str, digits: int) -> babel_numbers.NumberPattern:
    return _parsed(_localized(_locale(locale).percent_formats[None], digits))


def _localized(pattern: Any, digits: int) -> str:
    """A locale's number pattern with its own sign placement and `digits` decimals."""
    standard = pattern.pattern.split(";")[0]
    start = min(i for i in (standard.find("#"), standard.find("0")) if i >= 0)
    end = max(standard.rfind("0"), standard.rfind("#")) + 1
    return standard[:start] + _pattern(digits) + standard[end:]


def percent(fraction: float | None, digits: int = 0) -> str:
    """0.123 -> '12%' / '12 %'."""
    if _missing(fraction):
        return MISSING
    locale = current_locale()
    return babel_numbers.format_percent(float(fraction), format=_percent_pattern(locale, digits),
                                        locale=_locale(locale))


def signed_percent(fraction: float | None, digits: int = 0) -> str:
    """0.05 -> '+5%', -0.05 -> '-5%' (ASCII minus: st.metric reads it as a fall); a zero is '0%'."""
    if _missing(fraction):
        return MISSING
    value = float(fraction)
    text = percent(abs(value), digits)
    if text == percent(0.0, digits):
        return text
    return ("+" if value > 0 else "-") + text


def date_text(day: date | datetime | None, style: str = "medium") -> str:
    """A date: style 'short' (26.11.2026 / 11/26/26), 'medium', 'long', or a CLDR pattern such as 'EEE d MMM'."""
    if _missing(day):
        return MISSING
    if isinstance(day, pd.Timestamp):
        day = day.to_pydatetime()
    return babel_dates.format_date(day, format=style, locale=current_locale())


def time_text(moment: time | datetime | None, seconds: bool = False) -> str:
    """24-hour time in every language: '18:05' (or '18:05:09')."""
    if _missing(moment):
        return MISSING
    if isinstance(moment, pd.Timestamp):
        moment = moment.to_pydatetime()
    return babel_dates.format_time(moment, "HH:mm:ss" if seconds else "HH:mm", locale=current_locale())


def datetime_text(moment: datetime | None, tz: Any = None) -> str:
    """'26 Nov 2026, 18:05' / '26 нояб. 2026 г., 18:05', in `tz` when given."""
    if _missing(moment):
        return MISSING
    if isinstance(moment, pd.Timestamp):
        moment = moment.to_pydatetime()
    if tz is not None and moment.tzinfo is not None:
        moment = moment.astimezone(tz)
    return f"{date_text(moment)}, {time_text(moment)}"


def weekday_name(iso_weekday: int, width: str = "abbreviated") -> str:
    """1 -> 'Mon' / 'пн' (width 'abbreviated', 'wide' or 'narrow')."""
    names = babel_dates.get_day_names(width, context="stand-alone", locale=current_locale())
    return str(names[(int(iso_weekday) - 1) % 7])


def month_name(month: int, width: str = "wide") -> str:
    names = babel_dates.get_month_names(width, context="stand-alone", locale=current_locale())
    return str(names[int(month)])


def duration(seconds: float | None) -> str:
    """90 -> '2 minutes' / '2 минуты' (rounded, the largest sensible unit)."""
    if _missing(seconds):
        return MISSING
    return babel_dates.format_timedelta(timedelta(seconds=float(seconds)), threshold=1.0, locale=current_locale())


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago' / 'только что', '5 минут назад'; 'never' when missing."""
    from core.i18n.catalog import gettext as _

    if _missing(moment):
        return _("never")
    if isinstance(moment, pd.Timestamp):
        moment = moment.to_pydatetime()
    now = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    seconds = (now - moment).total_seconds()
    if 0 <= seconds < 10:
        return _("just now")
    return babel_dates.format_timedelta(timedelta(seconds=-max(seconds, 0.0)), add_direction=True, threshold=1.0,
                                        locale=current_locale())


def separators() -> str:
    """Plotly's `separators`: the decimal sign then the group sign of the current language ('.,' or ', ')."""
    locale = current_locale()
    group = babel_numbers.get_group_symbol(locale)
    return babel_numbers.get_decimal_symbol(locale) + (" " if group in (NBSP, "\u202f") else group)


def csv_separators() -> tuple[str, str]:
    """The list separator and decimal sign a spreadsheet of the current language expects in a CSV:
    (',', '.') in English; (';', ',') where the decimal sign is a comma, as Russian Excel on Windows reads it."""
    decimal = babel_numbers.get_decimal_symbol(_locale(current_locale()))
    return (";" if decimal == "," else ","), decimal


def sentence(text: str) -> str:
    """A message (an error's text, a note) as a sentence: a capital first letter and a full stop."""
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
