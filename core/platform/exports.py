"""Files people download: a CSV that a spreadsheet in the reader's language opens right, and Excel (.xlsx);
in both, text that a spreadsheet would run as a formula is made inert.

    data = exports.render(frame, "xlsx", labels={"full_name": "Имя"}, money=["clv_12m"])

`render` is the one way a table becomes a file (`core.accounts.audit.export` calls it after masking and
records the export): time zones, lists and dicts become plain values, text is neutralised (`neutralise`,
OWASP's advice on CSV injection), the header takes the page's column names, and the format is written.

- CSV: UTF-8 with a byte order mark; the separators follow the interface language (`csv_separators`:
  ';' and a decimal comma in Russian, ',' and '.' in English); dates as YYYY-MM-DD and times as
  YYYY-MM-DD HH:MM (with :SS when the column has seconds).
- XLSX (XlsxWriter): numbers and dates as typed cells (money with a thousands format), a frozen header,
  columns as wide as their longest value (capped), and every text written as text, never as a formula.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Collection, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import xlsxwriter

from core.i18n.format import csv_separators

FORMATS = {"csv": "text/csv",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# A text cell starting with one of these (after any spaces) runs as a formula in Excel or LibreOffice;
# the full-width forms are there because some spreadsheets read them as the ASCII ones.
_FORMULA = re.compile(r"[^\S\t\r]*[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]")
MAX_WIDTH = 50          # characters: the widest an XLSX column is made
_DATE, _MINUTE, _SECOND = "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"
_EXCEL_DATES = {_DATE: "yyyy-mm-dd", _MINUTE: "yyyy-mm-dd hh:mm", _SECOND: "yyyy-mm-dd hh:mm:ss"}
_MONEY, _INTEGER, _DECIMAL = "#,##0", "0", "#,##0.00"


def inert(value: str) -> str:
    """`value` with a leading "'" when a spreadsheet would read it as a formula: it begins with =, +, -, @, a
    tab or a carriage return (also after spaces)."""
    return "'" + value if _FORMULA.match(value) else value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells are `inert`; numbers (negative ones too), dates and missing
    values stay as they are."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_datetime64_any_dtype(out[column])):
            out[column] = out[column].map(lambda v: inert(v) if isinstance(v, str) else v)
    return out


def render(frame: pd.DataFrame, fmt: str, *, labels: Mapping[str, str] | None = None,
           money: Collection[str] = (), sheet: str = "data") -> bytes:
    """`frame` as a file of `fmt` ("csv" or "xlsx"), neutralised, with `labels` as the header's names (None:
    the columns'); `money` columns get a thousands format in XLSX; `sheet` names the XLSX's sheet."""
    if fmt not in FORMATS:
        raise ValueError(f"the format must be one of {', '.join(FORMATS)}")
    table = neutralise(_plain(frame))
    money = {str(c) for c in money}
    names = [inert(str((labels or {}).get(c, c))) for c in table.columns]
    return _csv(table, names) if fmt == "csv" else _xlsx(table, names, money, sheet)


# ---------------------------------------------------------------- plain values


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and times as naive datetime64 columns (a time zone's wall clock), numbers held as objects
    (Decimal) as numbers, and lists and dicts as JSON text."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            out[column] = values.dt.tz_localize(None)
        elif values.dtype == object:
            present = values.dropna().tolist()
            if present and all(isinstance(v, date) for v in present):
                out[column] = pd.to_datetime(pd.Series([_naive(v) for v in values], index=values.index))
            elif present and all(_number(v) for v in present):
                out[column] = pd.to_numeric(values.map(lambda v: float(v) if isinstance(v, Decimal) else v))
            else:
                out[column] = values.map(_text)
    return out


def _naive(value: Any) -> Any:
    return value.replace(tzinfo=None) if isinstance(value, datetime) and value.tzinfo else value


def _number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _text(value: Any) -> Any:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _date_format(values: pd.Series) -> str:
    """YYYY-MM-DD for a column of days, with the time to the minute, or the second, when it has one."""
    present = values.dropna()
    if (present == present.dt.normalize()).all():
        return _DATE
    return _MINUTE if (present.dt.second == 0).all() and (present.dt.microsecond == 0).all() else _SECOND


# ---------------------------------------------------------------- the formats


def _csv(table: pd.DataFrame, names: list[str]) -> bytes:
    separator, decimal = csv_separators()
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime(_date_format(out[column]))
    out.columns = names
    text = out.to_csv(index=False, sep=separator, decimal=decimal, lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


def _xlsx(table: pd.DataFrame, names: list[str], money: set[str], sheet: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    page = book.add_worksheet(re.sub(r"[\[\]:*?/\\']", "_", sheet)[:31] or "data")
    header = book.add_format({"bold": True, "bottom": 1})
    styles = {pattern: book.add_format({"num_format": pattern})
              for pattern in (_MONEY, _INTEGER, _DECIMAL, *_EXCEL_DATES.values())}
    for j, name in enumerate(names):
        page.write_string(0, j, name, header)
        width = _column(page, j, table[table.columns[j]], str(table.columns[j]) in money, styles)
        page.set_column(j, j, min(max(width, len(name)) + 2, MAX_WIDTH))
    page.freeze_panes(1, 0)
    page.autofilter(0, 0, max(len(table), 1), max(len(names) - 1, 0))
    book.close()
    return buffer.getvalue()


def _column(page: Any, j: int, values: pd.Series, money: bool, styles: dict[str, Any]) -> int:
    """Write one column's cells below the header; returns the length of its longest value as shown."""
    widest = 0
    if pd.api.types.is_bool_dtype(values):
        for i, value in enumerate(values.tolist(), start=1):
            page.write_boolean(i, j, bool(value))
        return 5
    if pd.api.types.is_datetime64_any_dtype(values):
        pattern = _date_format(values)
        for i, value in enumerate(values.tolist(), start=1):
            if not pd.isna(value):
                page.write_datetime(i, j, value.to_pydatetime(), styles[_EXCEL_DATES[pattern]])
        return len(datetime(2000, 1, 1).strftime(pattern))
    if pd.api.types.is_numeric_dtype(values):
        pattern = _MONEY if money else _INTEGER if pd.api.types.is_integer_dtype(values) else _DECIMAL
        shown = "{:,.0f}" if pattern != _DECIMAL else "{:,.2f}"
        for i, value in enumerate(values.tolist(), start=1):
            if value is not None and not pd.isna(value) and math.isfinite(value):
                page.write_number(i, j, float(value), styles[pattern])
                widest = max(widest, len(shown.format(value)))
        return widest
    for i, value in enumerate(values.tolist(), start=1):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        text = value if isinstance(value, str) else inert(str(value))
        page.write_string(i, j, text)
        widest = max(widest, max((len(line) for line in text.splitlines()), default=0))
    return widest
